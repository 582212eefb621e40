//! The writing half of a socket: the only task that writes to it.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket};
use futures_util::stream::SplitSink;
use futures_util::SinkExt;
use tokio::sync::mpsc;

use super::close::Close;

/// A write that takes longer than this means the client stopped reading.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// What the session asks the writer to send.
pub enum Outbound {
    Text(String),
    Ping,
    Close(Close),
}

/// Writes until the queue closes or a close frame went out; a write that
/// fails or stalls ends it.
pub async fn run(mut sink: SplitSink<WebSocket, WsMessage>, mut queue: mpsc::Receiver<Outbound>) {
    while let Some(item) = queue.recv().await {
        let (frame, last) = match item {
            Outbound::Text(text) => (WsMessage::Text(text.into()), false),
            Outbound::Ping => (WsMessage::Ping(Default::default()), false),
            Outbound::Close(Close { code, reason }) => (
                WsMessage::Close(Some(CloseFrame {
                    code,
                    reason: reason.into(),
                })),
                true,
            ),
        };
        match tokio::time::timeout(WRITE_TIMEOUT, sink.send(frame)).await {
            Ok(Ok(())) if !last => {}
            _ => break,
        }
    }
    let _ = tokio::time::timeout(WRITE_TIMEOUT, sink.close()).await;
}
