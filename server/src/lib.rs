//! The private_chat room server: anonymous, self-destructing chat rooms for
//! exactly two people, over HTTP and WebSocket.
//!
//! The desktop app embeds this crate ([`start`] with [`Config::default`]:
//! loopback, in-memory store); the `private-chat-server` binary runs it
//! standalone, usually on Redis so several instances can share the rooms.
//! The wire contract is `docs/protocol.md` and the `private-chat-protocol` crate.
//!
//! # Layout
//! - [`config`]: flags and environment.
//! - [`store`]: the [`store::Store`] trait and its two backends,
//!   [`store::memory`] (timers) and [`store::redis`] (TTLs, Lua, pub/sub).
//! - [`http`]: routes, extractors, validation and the error body.
//! - [`ws`]: the realtime socket of a member.
//! - [`token`]: bearer tokens and their digests.
//! - [`server`]: binding, serving and graceful shutdown.

pub mod config;
pub mod http;
mod server;
pub mod state;
pub mod store;
pub mod token;
pub mod ws;

pub use config::Config;
pub use server::{open_store, start, start_with_store, RunningServer, StartError};
