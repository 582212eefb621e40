//! The realtime socket of a room member: `GET /api/rooms/{room_id}/ws`.
//!
//! Each socket is two tasks, as in axum's chat example ([`session`]): a
//! [`reader`] of the client's frames and a [`writer`] that owns the sending
//! half and forwards the room's signals, the reader's answers, keepalive and
//! the endings ([`close`] maps each reason to its code).

mod close;
mod incoming;
mod reader;
mod session;
mod slot;
mod writer;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::response::Response;
use futures_util::StreamExt;
use private_chat_protocol::{limits, ErrorCode};

use super::extract::ClientIp;
use crate::error::Error;
use crate::room::Member;
use crate::state::AppState;

/// The socket's read buffer: small, since idle sockets dominate memory and
/// the buffer grows on demand up to the frame limit.
const READ_BUFFER: usize = 2 * 1024;

/// Authenticates, reserves a socket slot, then upgrades.
pub async fn upgrade(
    State(state): State<AppState>,
    ClientIp(peer): ClientIp,
    member: Member,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, Error> {
    let ws = ws.map_err(|e| {
        Error::new(
            ErrorCode::InvalidFrame,
            format!("Expected a WebSocket upgrade: {e}"),
        )
    })?;
    let slot = slot::SocketSlot::take(&state, &member).await?;
    let sender = member.into_sender();
    Ok(ws
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_write_buffer_size(4 * limits::MAX_FRAME_BYTES)
        .max_message_size(limits::MAX_FRAME_BYTES)
        .max_frame_size(limits::MAX_FRAME_BYTES)
        .on_upgrade(move |socket| {
            let sockets = state.sockets.clone();
            // Split here, so the session's future holds two small halves,
            // not the socket itself (futures keep their arguments whole).
            let (sink, stream) = socket.split();
            // A task of its own, and axum's upgrade task ends here: awaited
            // in it, the session would be polled through that task's future
            // at every wake for the socket's whole life.
            sockets.spawn(session::run(sink, stream, state, sender, slot, peer));
            std::future::ready(())
        }))
}
