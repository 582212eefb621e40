//! The realtime socket of a room member: `GET /api/rooms/{room_id}/ws`.
//!
//! Each socket is two tasks, as in axum's chat example: a writer that owns
//! the sending half, fed by a small bounded queue, and the session loop that
//! `select!`s over client frames, the room's signals, the room's deadline,
//! keepalive and server shutdown. The session decides how the socket ends;
//! the writer only writes.

use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use private_chat_protocol::{close, limits, ClientEvent, ErrorCode, ServerEvent};
use tokio::sync::{broadcast, mpsc};
use tokio::time::{sleep_until, Instant};
use uuid::Uuid;

use crate::http::{self, ApiError, Bearer, RoomId};
use crate::state::AppState;
use crate::store::{MemberRecord, RoomSignal, SignalRef, Store, StoreError, Subscription};

/// Outbound frames queued per socket before the session waits for the writer.
const OUTBOUND_QUEUE: usize = 32;
/// A write that takes longer than this means the client stopped reading.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the server pings an otherwise quiet socket.
const PING_EVERY: Duration = Duration::from_secs(20);
/// Silence after which the client is taken for gone (half-open TCP).
const IDLE_LIMIT: Duration = Duration::from_secs(60);
/// Typing signals a socket may forward at most this often.
const TYPING_EVERY: Duration = Duration::from_millis(1000);
/// How long a socket whose room vanished waits for the reason to arrive.
const GONE_GRACE: Duration = Duration::from_secs(2);
/// The socket's read buffer: small, since idle sockets dominate memory and
/// the buffer grows on demand up to the frame limit.
const READ_BUFFER: usize = 2 * 1024;

enum Outbound {
    Text(String),
    Ping,
    Close(u16, &'static str),
}

/// Authenticates, reserves a socket slot, then upgrades.
pub async fn upgrade(
    State(state): State<AppState>,
    RoomId(room_id): RoomId,
    bearer: Bearer,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let (member, _) = http::authenticate(&state, room_id, &bearer).await?;
    let ws = ws.map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidFrame,
            format!("Expected a WebSocket upgrade: {e}"),
        )
    })?;
    state
        .store
        .connect(
            room_id,
            &member.member_id,
            state.config.max_sockets_per_member,
        )
        .await?;
    let slot = SocketSlot {
        store: Some(state.store.clone()),
        room_id,
        member_id: member.member_id.clone(),
    };
    Ok(ws
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_write_buffer_size(4 * limits::MAX_FRAME_BYTES)
        .max_message_size(limits::MAX_FRAME_BYTES)
        .max_frame_size(limits::MAX_FRAME_BYTES)
        .on_upgrade(move |socket| session(socket, state, room_id, member, slot)))
}

/// A counted socket of a member; gives its count back however the socket
/// ends, including an upgrade that never completes.
struct SocketSlot {
    store: Option<std::sync::Arc<dyn Store>>,
    room_id: Uuid,
    member_id: String,
}

impl SocketSlot {
    async fn release(mut self) {
        if let Some(store) = self.store.take() {
            let _ = store.disconnect(self.room_id, &self.member_id).await;
        }
    }
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        if let Some(store) = self.store.take() {
            let (room_id, member_id) = (self.room_id, std::mem::take(&mut self.member_id));
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move {
                    let _ = store.disconnect(room_id, &member_id).await;
                });
            }
        }
    }
}

async fn session(
    socket: WebSocket,
    state: AppState,
    room_id: Uuid,
    member: MemberRecord,
    slot: SocketSlot,
) {
    let (sink, stream) = socket.split();
    let (out, queue) = mpsc::channel(OUTBOUND_QUEUE);
    let writer = tokio::spawn(write_loop(sink, queue));
    let mut session = Session {
        state: &state,
        room_id,
        member: &member,
        out: &out,
        last_typing: None,
    };
    if let Some((code, reason)) = session.run(stream).await {
        let _ = out.send(Outbound::Close(code, reason)).await;
    }
    drop(out);
    let _ = tokio::time::timeout(WRITE_TIMEOUT, writer).await;
    slot.release().await;
}

async fn write_loop(
    mut sink: SplitSink<WebSocket, WsMessage>,
    mut queue: mpsc::Receiver<Outbound>,
) {
    while let Some(item) = queue.recv().await {
        let (frame, last) = match item {
            Outbound::Text(text) => (WsMessage::Text(text.into()), false),
            Outbound::Ping => (WsMessage::Ping(Default::default()), false),
            Outbound::Close(code, reason) => (
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

/// Why the session loop stopped: a close frame to send, or `None` when the
/// client is already gone.
type End = Option<(u16, &'static str)>;

struct Session<'a> {
    state: &'a AppState,
    room_id: Uuid,
    member: &'a MemberRecord,
    out: &'a mpsc::Sender<Outbound>,
    last_typing: Option<Instant>,
}

/// The queue to the writer is closed: the client is gone.
struct Gone;

impl Session<'_> {
    async fn emit(&self, event: &ServerEvent) -> Result<(), Gone> {
        let text = serde_json::to_string(event).expect("a ServerEvent always serializes");
        self.out.send(Outbound::Text(text)).await.map_err(|_| Gone)
    }

    async fn emit_error(
        &self,
        error: ErrorCode,
        message: impl Into<String>,
        nonce: Option<String>,
    ) -> Result<(), Gone> {
        self.emit(&ServerEvent::Error {
            error,
            message: message.into(),
            nonce,
        })
        .await
    }

    /// Sends the room's current members; `Err` ends the socket.
    async fn emit_presence(&self) -> Result<(), End> {
        match self.state.store.room(self.room_id).await {
            Ok(room) => self
                .emit(&ServerEvent::Presence {
                    members: http::members(&room),
                })
                .await
                .map_err(|Gone| None),
            Err(StoreError::NotFound) => Err(Some((close::ROOM_GONE, "room gone"))),
            Err(_) => Err(Some((close::INTERNAL_ERROR, "store unavailable"))),
        }
    }

    async fn run(&mut self, mut stream: SplitStream<WebSocket>) -> End {
        let mut signals = match self.state.store.subscribe(self.room_id).await {
            Ok(s) => s,
            Err(StoreError::NotFound) => return Some((close::ROOM_GONE, "room gone")),
            Err(_) => return Some((close::INTERNAL_ERROR, "store unavailable")),
        };
        // Read the room after subscribing, so no signal falls in between;
        // one read gives both the deadline and the first presence.
        let room = match self.state.store.room(self.room_id).await {
            Ok(room) => room,
            Err(StoreError::NotFound) => return Some((close::ROOM_GONE, "room gone")),
            Err(_) => return Some((close::INTERNAL_ERROR, "store unavailable")),
        };
        let deadline = Instant::now() + room.expires_in;
        let hello = ServerEvent::Presence {
            members: http::members(&room),
        };
        if self.emit(&hello).await.is_err() {
            return None;
        }
        let mut shutdown = self.state.shutdown.clone();
        let expiry = sleep_until(deadline);
        tokio::pin!(expiry);
        let mut ping = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
        let mut last_heard = Instant::now();
        let end = loop {
            tokio::select! {
                _ = &mut expiry => {
                    let _ = self.emit(&ServerEvent::Expired).await;
                    break Some((close::ROOM_EXPIRED, "room expired"));
                }
                _ = shutdown.changed() => break Some((close::GOING_AWAY, "server shutting down")),
                _ = ping.tick() => {
                    if last_heard.elapsed() > IDLE_LIMIT {
                        break Some((close::GOING_AWAY, "no answer to pings"));
                    }
                    if self.out.send(Outbound::Ping).await.is_err() {
                        break None;
                    }
                }
                signal = signals.recv() => {
                    if let Err(end) = self.forward(signal, deadline).await {
                        break end;
                    }
                }
                frame = stream.next() => {
                    last_heard = Instant::now();
                    match frame {
                        None | Some(Ok(WsMessage::Close(_))) => break None,
                        Some(Err(e)) => break Some(read_error(&e)),
                        Some(Ok(WsMessage::Text(text))) => {
                            if let Err(end) = self.handle_text(text.as_str()).await {
                                break end;
                            }
                        }
                        Some(Ok(WsMessage::Binary(_))) => {
                            if self.emit_error(ErrorCode::InvalidFrame, "Binary frames are not supported; send JSON text.", None).await.is_err() {
                                break None;
                            }
                        }
                        Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => {}
                    }
                }
            }
        };
        match end {
            Some((close::ROOM_GONE, _)) => self.why_gone(&mut signals, deadline).await,
            end => end,
        }
    }

    /// The room vanished under a read or write of this socket. The signal
    /// that says why (a destroy, normally) is right behind in the queue, or
    /// the deadline is: wait briefly for either, so the client learns the
    /// real reason instead of "gone".
    async fn why_gone(&self, signals: &mut Subscription, deadline: Instant) -> End {
        let grace = tokio::time::sleep(GONE_GRACE);
        tokio::pin!(grace);
        loop {
            tokio::select! {
                _ = &mut grace => return Some((close::ROOM_GONE, "room gone")),
                _ = sleep_until(deadline) => {
                    let _ = self.emit(&ServerEvent::Expired).await;
                    return Some((close::ROOM_EXPIRED, "room expired"));
                }
                signal = signals.recv() => {
                    let explains = match &signal {
                        Ok(s) => matches!(**s, RoomSignal::Destroyed { .. }),
                        Err(_) => true,
                    };
                    if explains {
                        if let Err(end) = self.forward(signal, deadline).await {
                            return end;
                        }
                    }
                }
            }
        }
    }

    /// Passes one room signal on to the client.
    async fn forward(
        &self,
        signal: Result<SignalRef, broadcast::error::RecvError>,
        deadline: Instant,
    ) -> Result<(), End> {
        let signal = match signal {
            Ok(signal) => signal,
            Err(broadcast::error::RecvError::Lagged(_)) => {
                return Err(Some((
                    close::TRY_AGAIN_LATER,
                    "fell behind; reconnect and catch up",
                )))
            }
            Err(broadcast::error::RecvError::Closed) => {
                // The memory store drops a room's channel when the room ends;
                // a destroy would have been announced first, so this is expiry.
                if deadline.saturating_duration_since(Instant::now()) <= Duration::from_secs(1) {
                    let _ = self.emit(&ServerEvent::Expired).await;
                    return Err(Some((close::ROOM_EXPIRED, "room expired")));
                }
                return Err(Some((close::ROOM_GONE, "room gone")));
            }
        };
        let gone = |Gone| None;
        match &*signal {
            RoomSignal::Message { message, nonce } => self
                .emit(&ServerEvent::Message {
                    message: message.clone(),
                    nonce: nonce.clone(),
                })
                .await
                .map_err(gone),
            RoomSignal::Typing { member_id } if *member_id != self.member.member_id => self
                .emit(&ServerEvent::Typing {
                    member_id: member_id.clone(),
                })
                .await
                .map_err(gone),
            RoomSignal::Typing { .. } => Ok(()),
            RoomSignal::PresenceChanged => self.emit_presence().await,
            RoomSignal::Destroyed { by } => {
                let _ = self.emit(&ServerEvent::Destroyed { by: by.clone() }).await;
                Err(Some((close::ROOM_DESTROYED, "room destroyed")))
            }
        }
    }

    /// Handles one client text frame; malformed input gets an error frame.
    async fn handle_text(&mut self, text: &str) -> Result<(), End> {
        let gone = |Gone| None;
        let event = match serde_json::from_str::<ClientEvent>(text) {
            Ok(event) => event,
            Err(e) => {
                let message = format!("Unknown or malformed frame: {e}");
                return self
                    .emit_error(ErrorCode::InvalidFrame, message, None)
                    .await
                    .map_err(gone);
            }
        };
        match event {
            ClientEvent::Send { body, nonce } => {
                let checked = http::validate_nonce(nonce.as_deref())
                    .and_then(|()| http::validate_body(&body));
                if let Err(e) = checked {
                    return self
                        .emit_error(e.code, e.message, nonce)
                        .await
                        .map_err(gone);
                }
                let max = self.state.config.max_messages_per_room;
                let stored = self
                    .state
                    .store
                    .append_message(self.room_id, self.member, &body, nonce.as_deref(), max)
                    .await;
                match stored {
                    // The message comes back through the room's signals.
                    Ok(_) => Ok(()),
                    Err(StoreError::NotFound) => Err(Some((close::ROOM_GONE, "room gone"))),
                    Err(e) => {
                        let e = ApiError::from(e);
                        self.emit_error(e.code, e.message, nonce)
                            .await
                            .map_err(gone)
                    }
                }
            }
            ClientEvent::Typing {} => {
                if self.last_typing.is_some_and(|t| t.elapsed() < TYPING_EVERY) {
                    return Ok(());
                }
                self.last_typing = Some(Instant::now());
                let signal = RoomSignal::Typing {
                    member_id: self.member.member_id.clone(),
                };
                match self.state.store.publish(self.room_id, &signal).await {
                    Ok(()) => Ok(()),
                    Err(StoreError::NotFound) => Err(Some((close::ROOM_GONE, "room gone"))),
                    Err(e) => {
                        let e = ApiError::from(e);
                        self.emit_error(e.code, e.message, None).await.map_err(gone)
                    }
                }
            }
        }
    }
}

/// The close for a failed read: too large a frame is 1009; anything else a
/// protocol error (1002).
fn read_error(e: &axum::Error) -> (u16, &'static str) {
    let text = e.to_string();
    if text.contains("too long") || text.contains("Space limit") || text.contains("too big") {
        (close::MESSAGE_TOO_BIG, "frame too large")
    } else {
        (close::PROTOCOL_ERROR, "protocol error")
    }
}
