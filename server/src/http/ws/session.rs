//! The session loop of one socket: it reads client frames, forwards the
//! room's signals, and decides when and why the socket ends.

use std::net::IpAddr;
use std::time::Duration;

use axum::extract::ws::{Message as WsMessage, WebSocket};
use futures_util::stream::SplitStream;
use futures_util::StreamExt;
use private_chat_protocol::{ClientEvent, ErrorCode, ServerEvent};
use tokio::sync::{broadcast, mpsc};
use tokio::time::{sleep_until, Instant};

use super::close::Close;
use super::slot::SocketSlot;
use super::writer::{self, Outbound, WRITE_TIMEOUT};
use crate::error::Error;
use crate::guard::rate::Action;
use crate::room::{self, Member};
use crate::state::AppState;
use crate::store::{RoomSignal, SignalRef, Subscription};

/// Outbound frames queued per socket before the session waits for the writer.
const OUTBOUND_QUEUE: usize = 32;
/// How often the server pings a socket (and renews its count's lease).
const PING_EVERY: Duration = crate::store::LEASE_RENEW_EVERY;
/// Silence after which the client is taken for gone (half-open TCP).
const IDLE_LIMIT: Duration = Duration::from_secs(60);
/// Typing signals a socket may forward at most this often.
const TYPING_EVERY: Duration = Duration::from_millis(1000);
/// Longest pause in reading a socket that went over its message rate.
const MAX_READ_PAUSE: Duration = Duration::from_secs(1);
/// How long a socket whose room vanished waits for the reason to arrive.
const GONE_GRACE: Duration = Duration::from_secs(2);

/// Runs one upgraded socket to its end, then gives its slot back.
pub async fn run(
    socket: WebSocket,
    state: AppState,
    member: Member,
    slot: SocketSlot,
    peer: Option<IpAddr>,
) {
    let (sink, stream) = socket.split();
    let (out, queue) = mpsc::channel(OUTBOUND_QUEUE);
    let writer = tokio::spawn(writer::run(sink, queue));
    let mut session = Session {
        state: &state,
        member: &member,
        out: &out,
        peer,
        slot: &slot,
        last_typing: None,
        read_after: None,
    };
    if let Some(close) = session.run(stream).await {
        let _ = out.send(Outbound::Close(close)).await;
    }
    drop(out);
    let _ = tokio::time::timeout(WRITE_TIMEOUT, writer).await;
    slot.release().await;
}

/// Why the session loop stopped: a close frame to send, or `None` when the
/// client is already gone.
type End = Option<Close>;

struct Session<'a> {
    state: &'a AppState,
    member: &'a Member,
    out: &'a mpsc::Sender<Outbound>,
    /// The client's address, for its message rate.
    peer: Option<IpAddr>,
    /// This socket's count in the store, renewed with every ping.
    slot: &'a SocketSlot,
    last_typing: Option<Instant>,
    /// Set when the client went over its message rate: its socket is not
    /// read again before then, so a flood waits in its own TCP buffers
    /// instead of costing the server a refusal per frame.
    read_after: Option<Instant>,
}

/// The queue to the writer is closed: the client is gone.
struct Gone;

fn gone(_: Gone) -> End {
    None
}

impl Session<'_> {
    async fn emit(&self, event: &ServerEvent) -> Result<(), Gone> {
        let text = serde_json::to_string(event).expect("a ServerEvent always serializes");
        self.out.send(Outbound::Text(text)).await.map_err(|_| Gone)
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
        .map_err(gone)
    }

    /// Sends the room's current members; `Err` ends the socket.
    async fn emit_presence(&self) -> Result<(), End> {
        match self.state.store.room(self.member.room_id).await {
            Ok(room) => self
                .emit(&ServerEvent::Presence {
                    members: room::members(&room),
                })
                .await
                .map_err(gone),
            Err(e) => Err(Some(Close::for_start_error(&e.into()))),
        }
    }

    async fn run(&mut self, mut stream: SplitStream<WebSocket>) -> End {
        let room_id = self.member.room_id;
        let mut signals = match self.state.store.subscribe(room_id).await {
            Ok(s) => s,
            Err(e) => return Some(Close::for_start_error(&e.into())),
        };
        // Read the room after subscribing, so no signal falls in between;
        // one read gives both the deadline and the first presence.
        let room = match self.state.store.room(room_id).await {
            Ok(room) => room,
            Err(e) => return Some(Close::for_start_error(&e.into())),
        };
        let deadline = Instant::now() + room.expires_in;
        let hello = ServerEvent::Presence {
            members: room::members(&room),
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
                _ = &mut expiry => break self.expired().await,
                _ = shutdown.changed() => break Some(Close::SHUTDOWN),
                _ = ping.tick() => {
                    if last_heard.elapsed() > IDLE_LIMIT {
                        break Some(Close::SILENT);
                    }
                    if self.out.send(Outbound::Ping).await.is_err() {
                        break None;
                    }
                    self.slot.renew().await;
                }
                signal = signals.recv() => {
                    if let Err(end) = self.forward(signal, deadline).await {
                        break end;
                    }
                }
                _ = sleep_until(self.read_after.unwrap_or_else(Instant::now)), if self.read_after.is_some() => {
                    self.read_after = None;
                }
                frame = stream.next(), if self.read_after.is_none() => {
                    last_heard = Instant::now();
                    let handled = match frame {
                        None | Some(Ok(WsMessage::Close(_))) => Err(None),
                        Some(Err(e)) => Err(Some(Close::for_read_error(&e))),
                        Some(Ok(WsMessage::Text(text))) => self.handle_text(text.as_str()).await,
                        Some(Ok(WsMessage::Binary(_))) => {
                            let e = Error::new(ErrorCode::InvalidFrame, "Binary frames are not supported; send JSON text.");
                            self.refuse(e, None).await
                        }
                        Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => Ok(()),
                    };
                    if let Err(end) = handled {
                        break end;
                    }
                }
            }
        };
        match end {
            Some(Close::GONE) => self.why_gone(&mut signals, deadline).await,
            end => end,
        }
    }

    async fn expired(&self) -> End {
        let _ = self.emit(&ServerEvent::Expired).await;
        Some(Close::EXPIRED)
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
                _ = &mut grace => return Some(Close::GONE),
                _ = sleep_until(deadline) => return self.expired().await,
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
            Err(broadcast::error::RecvError::Lagged(_)) => return Err(Some(Close::LAGGED)),
            Err(broadcast::error::RecvError::Closed) => {
                // The memory store drops a room's channel when the room ends;
                // a destroy would have been announced first, so this is expiry.
                if deadline.saturating_duration_since(Instant::now()) <= Duration::from_secs(1) {
                    return Err(self.expired().await);
                }
                return Err(Some(Close::GONE));
            }
        };
        match &*signal {
            RoomSignal::Message { message, nonce } => self
                .emit(&ServerEvent::Message {
                    message: message.clone(),
                    nonce: nonce.clone(),
                })
                .await
                .map_err(gone),
            RoomSignal::Typing { member_id } if *member_id != self.member.record.member_id => self
                .emit(&ServerEvent::Typing {
                    member_id: member_id.clone(),
                })
                .await
                .map_err(gone),
            RoomSignal::Typing { .. } => Ok(()),
            RoomSignal::PresenceChanged => self.emit_presence().await,
            RoomSignal::Destroyed { by } => {
                let _ = self.emit(&ServerEvent::Destroyed { by: by.clone() }).await;
                Err(Some(Close::DESTROYED))
            }
            RoomSignal::Missed => Err(Some(Close::LAGGED)),
        }
    }

    /// Handles one client text frame; malformed input gets an error frame.
    async fn handle_text(&mut self, text: &str) -> Result<(), End> {
        let event = match serde_json::from_str::<ClientEvent>(text) {
            Ok(event) => event,
            Err(e) => {
                let e = Error::new(
                    ErrorCode::InvalidFrame,
                    format!("Unknown or malformed frame: {e}"),
                );
                return self.refuse(e, None).await;
            }
        };
        match event {
            // A stored message comes back through the room's signals.
            ClientEvent::Send { body, nonce } => {
                if let Some(peer) = self.peer {
                    if let Err(e) = self.state.guard.rates.check(Action::Message, peer) {
                        let wait = e.retry_after.unwrap_or_default().min(MAX_READ_PAUSE);
                        self.read_after = Some(Instant::now() + wait);
                        return self.refuse(e, nonce).await;
                    }
                }
                match self.member.send(self.state, &body, nonce.as_deref()).await {
                    // A retry is not announced again: answer this socket alone.
                    Ok(appended) if appended.retry => self
                        .emit(&ServerEvent::Message {
                            message: appended.message,
                            nonce,
                        })
                        .await
                        .map_err(gone),
                    Ok(_) => Ok(()),
                    Err(e) => self.refuse(e, nonce).await,
                }
            }
            ClientEvent::Typing {} => {
                if self.last_typing.is_some_and(|t| t.elapsed() < TYPING_EVERY) {
                    return Ok(());
                }
                self.last_typing = Some(Instant::now());
                match self.member.typing(self.state).await {
                    Ok(()) => Ok(()),
                    Err(e) => self.refuse(e, None).await,
                }
            }
        }
    }
}
