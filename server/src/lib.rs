//! The private_chat room server: anonymous, self-destructing chat rooms for
//! exactly two people, over HTTP and WebSocket.
//!
//! The desktop app embeds this crate ([`start`] with [`Config::default`]:
//! loopback, in-memory store); the `private-chat-server` binary runs it
//! standalone, usually on Redis so several instances can share the rooms.
//! The wire contract is `docs/protocol.md` and the `private-chat-protocol` crate.
//!
//! # Layout
//! - [`room`]: what a member can do to a room (authenticate, validate, send,
//!   destroy, the member view), for HTTP and the socket alike.
//! - [`error`]: [`Error`], every refusal as a typed wire code.
//! - [`store`]: the [`store::Store`] trait and its two backends,
//!   [`store::memory`] (timers) and [`store::redis`] (TTLs, Lua, pub/sub).
//! - [`http`]: routes, extractors (the `Member` of a request), the error
//!   answer, and under `http::ws` the realtime socket with its close codes.
//! - [`token`]: bearer tokens and their digests.
//! - `tls`: serving HTTPS/WSS from certificate files.
//! - [`metrics`]: Prometheus counters, gauges and the store latency histogram.
//! - [`config`]: flags and environment; [`state`]: what every handler shares.
//! - [`guard`]: per-address rates and the caps on rooms and connections.
//! - `server`: binding and graceful shutdown (`closing` tells each socket);
//!   `serve`: the accept loop
//!   (connection caps, header/body timeouts, TLS handshakes per task).

mod closing;
pub mod config;
pub mod error;
pub mod guard;
pub mod http;
pub mod metrics;
pub mod room;
mod serve;
mod server;
pub mod state;
pub mod store;
mod tls;
pub mod token;

pub use config::Config;
pub use error::Error;
pub use server::{open_store, start, start_with_store, RunningServer, StartError};
