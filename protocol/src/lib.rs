//! The private_chat wire protocol: every HTTP body, WebSocket frame and error
//! code that crosses between the room server and its clients.
//!
//! The human-readable contract is `docs/protocol.md`; this crate is its
//! machine-checked twin. It has no dependency beyond `serde`, so the server,
//! the desktop shell and the wasm32 UI all compile the very same types.
//!
//! # Layout
//! - [`http`]: request and response bodies of the REST routes.
//! - [`events`]: WebSocket frames in both directions.
//! - [`error`]: error codes and the `{"error", "message"}` body.
//! - [`close`]: WebSocket close codes the server uses.
//! - [`limits`]: default bounds the server enforces and clients respect.
//! - [`invite`]: parsing and building `privchat://room/<id>` invites.
//! - [`app`]: the desktop shell ↔ UI contract (Tauri IPC, never on the
//!   network): command names and arguments, and the events of a room's channel.

pub mod app;
pub mod close;
pub mod error;
pub mod events;
pub mod http;
pub mod invite;
pub mod limits;
pub mod text;

pub use error::{ErrorBody, ErrorCode};
pub use events::{ClientEvent, ServerEvent};
pub use http::{
    CreateRoomRequest, Health, JoinRoomRequest, Member, Message, MessageList, RoomInfo,
    SendMessageRequest, Session,
};
