//! The reading half of a socket: client frames in, stored messages and
//! refusals out.

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message as WsMessage, WebSocket};
use futures_util::stream::SplitStream;
use futures_util::StreamExt;
use private_chat_protocol::{ErrorCode, ServerEvent};
use tokio::time::{sleep_until, Instant};

use super::close::Close;
use super::incoming::{self, Incoming};
use super::session::Halves;
use super::writer::frame;
use crate::error::Error;
use crate::guard::rate::Action;
use crate::room::Sender;
use crate::state::AppState;
use crate::store::{Own, OwnFrames};

/// Typing signals a socket may forward at most this often.
const TYPING_EVERY: Duration = Duration::from_millis(1000);
/// Longest pause in reading a socket that went over its message rate.
const MAX_READ_PAUSE: Duration = Duration::from_secs(1);

pub struct Reader {
    state: AppState,
    sender: Sender,
    out: OwnFrames,
    /// The client's address, for its message rate.
    peer: Option<IpAddr>,
    halves: Arc<Halves>,
    last_typing: Option<Instant>,
    /// Set when the client went over its message rate: its socket is not
    /// read again before then, so a flood waits in its own TCP buffers
    /// instead of costing the server a refusal per frame.
    read_after: Option<Instant>,
}

/// How reading ended: a close for the writer to send, or `None` when the
/// client is gone (or the writer, whose queue is closed).
type End = Option<Close>;

impl Reader {
    pub fn new(
        state: AppState,
        sender: Sender,
        out: OwnFrames,
        peer: Option<IpAddr>,
        halves: Arc<Halves>,
    ) -> Self {
        Self {
            state,
            sender,
            out,
            peer,
            halves,
            last_typing: None,
            read_after: None,
        }
    }

    /// Reads until the client leaves, a frame ends the socket, or the
    /// session stops it (the writer ended); a frame being handled is
    /// finished first.
    pub async fn run(mut self, mut stream: SplitStream<WebSocket>) {
        loop {
            if let Some(after) = self.read_after.take() {
                tokio::select! {
                    biased;
                    () = self.halves.stopped() => return,
                    // Boxed, like every rare step here: the reader's future
                    // lives as long as its socket, so it keeps only the
                    // common path's state (see session.rs).
                    _ = Box::pin(sleep_until(after)) => {}
                }
            }
            let frame = tokio::select! {
                biased;
                () = self.halves.stopped() => return,
                frame = stream.next() => frame,
            };
            self.halves.touch();
            let handled = match frame {
                None | Some(Ok(WsMessage::Close(_))) => Err(None),
                Some(Err(e)) => Err(Some(Close::for_read_error(&e))),
                // Not boxed: nearly every frame is a message, and a box per
                // frame costs an allocation. Its rare steps are boxed.
                Some(Ok(WsMessage::Text(text))) => self.handle_text(text.as_str()).await,
                Some(Ok(WsMessage::Binary(_))) => {
                    let e = Error::new(
                        ErrorCode::InvalidFrame,
                        "Binary frames are not supported; send JSON text.",
                    );
                    Box::pin(self.refuse(e, None)).await
                }
                Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => Ok(()),
            };
            if let Err(end) = handled {
                if let Some(Close { code, reason }) = end {
                    let _ = Box::pin(self.out.send(Own::End { code, reason })).await;
                }
                return;
            }
        }
    }

    async fn emit(&self, event: &ServerEvent) -> Result<(), End> {
        self.out
            .send(Own::Text(frame(event)))
            .await
            .map_err(|_| None)
    }

    /// Answers a refused frame: an `error` frame, or the end of the socket
    /// when the refusal means the room is gone.
    async fn refuse(&self, e: Error, nonce: Option<String>) -> Result<(), End> {
        crate::metrics::error(e.code);
        if let Some(close) = Close::for_frame_error(&e) {
            return Err(Some(close));
        }
        self.emit(&ServerEvent::Error {
            error: e.code,
            message: e.message.into_owned(),
            nonce,
        })
        .await
    }

    /// Handles one client text frame; malformed input gets an error frame.
    async fn handle_text(&mut self, text: &str) -> Result<(), End> {
        let event = match incoming::parse(text) {
            Ok(event) => event,
            Err(e) => {
                let e = Error::new(
                    ErrorCode::InvalidFrame,
                    format!("Unknown or malformed frame: {e}"),
                );
                return Box::pin(self.refuse(e, None)).await;
            }
        };
        match event {
            // A stored message comes back through the room's signals.
            Incoming::Send { body, nonce } => {
                if let Some(peer) = self.peer {
                    if let Err(e) = self.state.guard.rates.check(Action::Message, peer) {
                        let wait = e.retry_after.unwrap_or_default().min(MAX_READ_PAUSE);
                        self.read_after = Some(Instant::now() + wait);
                        return Box::pin(self.refuse(e, nonce.map(Cow::into_owned))).await;
                    }
                }
                match self.sender.send(&self.state, &body, nonce.as_deref()).await {
                    // A retry is not announced again: answer this socket alone.
                    Ok(appended) if appended.retry => {
                        let event = ServerEvent::Message {
                            message: Arc::unwrap_or_clone(appended.message),
                            nonce: nonce.map(Cow::into_owned),
                        };
                        Box::pin(self.emit(&event)).await
                    }
                    Ok(_) => Ok(()),
                    Err(e) => Box::pin(self.refuse(e, nonce.map(Cow::into_owned))).await,
                }
            }
            Incoming::Typing => {
                if self.last_typing.is_some_and(|t| t.elapsed() < TYPING_EVERY) {
                    return Ok(());
                }
                self.last_typing = Some(Instant::now());
                match Box::pin(self.sender.typing(&self.state)).await {
                    Ok(()) => Ok(()),
                    Err(e) => Box::pin(self.refuse(e, None)).await,
                }
            }
        }
    }
}
