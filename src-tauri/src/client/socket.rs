//! The realtime task of one open room.
//!
//! It connects, waits for the first `presence` frame (by then the server is
//! subscribed to the room, so nothing can fall between), catches up over
//! HTTP with `?after=<last id>`, and then forwards frames as
//! [`RoomEvent`]s. When the connection drops it retries with jittered
//! exponential backoff; when the room ends it says why and stops. Message
//! ids only grow, so a message seen on both paths is emitted once; a
//! live message whose id is not the next one means some went missing, and
//! the task catches up before showing it.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use private_chat_protocol::app::{Connection, Notice, RoomEvent};
use private_chat_protocol::{close, limits, ClientEvent, Message, ServerEvent};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{sleep, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::header::RETRY_AFTER;
use tokio_tungstenite::tungstenite::http::HeaderMap;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use super::api::Api;

/// What the socket reports: the room's events, and stored messages as the
/// server sent them (sealed; the room session opens them).
#[derive(Debug, Clone, PartialEq)]
pub enum Feed {
    Event(RoomEvent),
    Message {
        message: Message,
        nonce: Option<String>,
    },
}

/// Where the socket reports (the room session; tests collect).
#[derive(Clone)]
pub struct Emit(Arc<dyn Fn(Feed) + Send + Sync>);

impl Emit {
    pub fn new(f: impl Fn(Feed) + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    fn event(&self, event: RoomEvent) {
        (self.0)(Feed::Event(event))
    }

    fn message(&self, message: Message, nonce: Option<String>) {
        (self.0)(Feed::Message { message, nonce })
    }
}

const FIRST_BACKOFF: Duration = Duration::from_millis(300);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// Longest `Retry-After` obeyed (a server asking for hours is asked again sooner).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);
/// The server sends a frame (an event or a ping) at least every 40 s; this
/// much silence means a dead connection.
const SILENCE_LIMIT: Duration = Duration::from_secs(60);

/// What the app asks of the socket.
#[derive(Debug)]
pub enum SocketCommand {
    Send {
        body: String,
        nonce: String,
        reply: oneshot::Sender<Result<(), String>>,
    },
    Typing,
}

/// Who we are in which room, on which server.
#[derive(Clone, Debug)]
pub struct Seat {
    pub api: Api,
    pub room_id: String,
    pub member_id: String,
    pub token: String,
}

/// A running room task; dropping or closing it stops the task.
pub struct RoomSocket {
    commands: mpsc::Sender<SocketCommand>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RoomSocket {
    fn drop(&mut self) {
        self.task.abort();
    }
}

enum Outcome {
    /// The room is over.
    Ended(Notice),
    /// The app closed the socket.
    Stopped,
    /// The connection was lost; `served` if it had come online; the server
    /// may have said when to come back (`Retry-After` of a 429 or 503).
    Lost {
        served: bool,
        retry_after: Option<Duration>,
    },
}

impl Outcome {
    const LOST: Self = Self::lost(false);

    const fn lost(served: bool) -> Self {
        Self::Lost {
            served,
            retry_after: None,
        }
    }
}

const NOT_CONNECTED: &str = "Not connected to the room right now; try again in a moment.";

impl RoomSocket {
    /// Starts the task. `last_id` is the newest message the app already shows;
    /// `expires_in` is the room's time left, to tell expiry from destruction
    /// when a reconnect finds the room gone.
    pub fn spawn(seat: Seat, last_id: u64, expires_in: Duration, emit: Emit) -> Self {
        let (commands, rx) = mpsc::channel(64);
        let task = tokio::spawn(run(seat, last_id, Instant::now() + expires_in, emit, rx));
        Self { commands, task }
    }

    /// Sends a message over the socket; errs when not connected.
    pub async fn send(&self, body: String, nonce: String) -> Result<(), String> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(SocketCommand::Send { body, nonce, reply })
            .await
            .map_err(|_| NOT_CONNECTED.to_string())?;
        answer.await.unwrap_or_else(|_| Err(NOT_CONNECTED.into()))
    }

    /// Tells the other member we are typing (best effort).
    pub fn typing(&self) {
        let _ = self.commands.try_send(SocketCommand::Typing);
    }

    /// Whether the task still runs (it stops when the room ends).
    pub fn is_running(&self) -> bool {
        !self.task.is_finished()
    }
}

async fn run(
    seat: Seat,
    mut last_id: u64,
    mut deadline: Instant,
    emit: Emit,
    mut commands: mpsc::Receiver<SocketCommand>,
) {
    let mut backoff = FIRST_BACKOFF;
    let mut state = Connection::Connecting;
    loop {
        emit.event(RoomEvent::Connection {
            room_id: seat.room_id.clone(),
            state,
        });
        tracing::info!(room_id = %seat.room_id, ?state, "room socket connecting");
        match serve(&seat, &mut last_id, &mut deadline, &emit, &mut commands).await {
            Outcome::Ended(notice) => {
                tracing::info!(room_id = %seat.room_id, ?notice, "room ended");
                emit.event(RoomEvent::Ended {
                    room_id: seat.room_id.clone(),
                    notice,
                });
                return;
            }
            Outcome::Stopped => return,
            Outcome::Lost {
                served,
                retry_after,
            } => {
                if served {
                    backoff = FIRST_BACKOFF;
                }
                // Never past the server's Retry-After, within reason.
                if let Some(wait) = retry_after {
                    backoff = backoff.max(wait.min(MAX_RETRY_AFTER));
                }
                tracing::warn!(room_id = %seat.room_id, served, "room socket lost; retrying in {backoff:?}");
            }
        }
        // A room past its deadline is gone: no server can keep the app
        // retrying it.
        if Instant::now() >= deadline {
            emit.event(RoomEvent::Ended {
                room_id: seat.room_id.clone(),
                notice: Notice::Expired,
            });
            return;
        }
        state = Connection::Reconnecting;
        emit.event(RoomEvent::Connection {
            room_id: seat.room_id.clone(),
            state,
        });
        // Wait, answering sends with "not connected" meanwhile.
        let pause = sleep(jitter(backoff));
        tokio::pin!(pause);
        loop {
            tokio::select! {
                _ = &mut pause => break,
                cmd = commands.recv() => match cmd {
                    None => return,
                    Some(SocketCommand::Send { reply, .. }) => { let _ = reply.send(Err(NOT_CONNECTED.into())); }
                    Some(SocketCommand::Typing) => {}
                },
            }
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Up to 25% random extra, so many clients do not retry in lockstep.
fn jitter(d: Duration) -> Duration {
    let mut b = [0u8; 1];
    let _ = getrandom::fill(&mut b);
    d + d.mul_f64(f64::from(b[0]) / 1024.0)
}

/// What a refused upgrade means: the room is gone (401, 404), the refusal
/// passes with time (408, 425, 429, 5xx: retry, not before `Retry-After`),
/// or it never will (any other 4xx: the app stops retrying and says so).
fn refused(status: u16, headers: &HeaderMap, deadline: Instant) -> Outcome {
    match status {
        401 | 404 => Outcome::Ended(gone(deadline)),
        408 | 425 | 429 | 500..=599 => Outcome::Lost {
            served: false,
            retry_after: headers
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs),
        },
        _ => Outcome::Ended(Notice::ServerRefused),
    }
}

/// Why a room we cannot reach anymore is gone.
fn gone(deadline: Instant) -> Notice {
    if Instant::now() + Duration::from_secs(2) >= deadline {
        Notice::Expired
    } else {
        Notice::RoomNotFound
    }
}

async fn serve(
    seat: &Seat,
    last_id: &mut u64,
    deadline: &mut Instant,
    emit: &Emit,
    commands: &mut mpsc::Receiver<SocketCommand>,
) -> Outcome {
    let room_id = seat.room_id.clone();
    let mut req = match seat.api.ws_url(&seat.room_id).into_client_request() {
        Ok(req) => req,
        Err(_) => return Outcome::Ended(Notice::RoomNotFound),
    };
    if let Ok(value) = format!("Bearer {}", seat.token).parse() {
        req.headers_mut().insert("authorization", value);
    }
    let connector = seat.api.ws_connector();
    // A server's frames are bounded like a client's: a hostile server cannot
    // make the app buffer more than this per frame.
    let config = WebSocketConfig::default()
        .max_message_size(Some(limits::MAX_FRAME_BYTES))
        .max_frame_size(Some(limits::MAX_FRAME_BYTES));
    let connected =
        tokio_tungstenite::connect_async_tls_with_config(req, Some(config), true, connector);
    let mut ws = match connected.await {
        Ok((ws, _)) => ws,
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            return refused(resp.status().as_u16(), resp.headers(), *deadline);
        }
        Err(e) => {
            tracing::warn!(room_id = %room_id, "room socket cannot connect: {e}");
            return Outcome::LOST;
        }
    };
    tracing::debug!(room_id = %room_id, "room socket open; waiting for presence");

    let mut online = false;
    let mut heard = Instant::now();
    let mut watchdog = tokio::time::interval(Duration::from_secs(10));
    loop {
        tokio::select! {
            _ = watchdog.tick() => {
                if heard.elapsed() > SILENCE_LIMIT {
                    return Outcome::lost(online);
                }
            }
            frame = ws.next() => {
                heard = Instant::now();
                let text = match frame {
                    Some(Ok(WsMessage::Text(text))) => text,
                    Some(Ok(WsMessage::Close(frame))) => {
                        let code = frame.map(|f| u16::from(f.code)).unwrap_or(1005);
                        return match code {
                            close::ROOM_DESTROYED => Outcome::Ended(Notice::DestroyedByPeer),
                            close::ROOM_EXPIRED => Outcome::Ended(Notice::Expired),
                            close::ROOM_GONE => Outcome::Ended(gone(*deadline)),
                            _ => Outcome::lost(online),
                        };
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(_)) | None => return Outcome::lost(online),
                };
                let Ok(event) = serde_json::from_str::<ServerEvent>(&text) else { continue };
                match event {
                    ServerEvent::Presence { members } => {
                        emit.event(RoomEvent::Presence { room_id: room_id.clone(), members });
                        if !online {
                            tracing::debug!(room_id = %room_id, after = *last_id, "catching up");
                            // Subscribed now: catch up on what came while away.
                            match catch_up(seat, last_id, deadline, emit).await {
                                Ok(()) => {}
                                Err(Some(notice)) => return Outcome::Ended(notice),
                                Err(None) => return Outcome::LOST,
                            }
                            online = true;
                            tracing::info!(room_id = %room_id, "room socket online");
                            emit.event(RoomEvent::Connection { room_id: room_id.clone(), state: Connection::Online });
                        }
                    }
                    ServerEvent::Message { message, nonce } => {
                        // Ids are 1, 2, 3...: one not next means messages
                        // went missing on the way; fetch them first.
                        if online && message.id > *last_id + 1 {
                            tracing::warn!(room_id = %room_id, after = *last_id, id = message.id, "a gap in message ids; catching up");
                            match catch_up(seat, last_id, deadline, emit).await {
                                Ok(()) => {}
                                Err(Some(notice)) => return Outcome::Ended(notice),
                                Err(None) => return Outcome::lost(online),
                            }
                        }
                        if message.id > *last_id {
                            *last_id = message.id;
                            emit.message(message, nonce);
                        }
                    }
                    ServerEvent::Typing { member_id } => emit.event(RoomEvent::Typing { room_id: room_id.clone(), member_id }),
                    ServerEvent::Destroyed { by } => {
                        let notice = if by == seat.member_id { Notice::DestroyedByYou } else { Notice::DestroyedByPeer };
                        return Outcome::Ended(notice);
                    }
                    ServerEvent::Expired => return Outcome::Ended(Notice::Expired),
                    ServerEvent::Error { message, nonce, .. } => {
                        emit.event(RoomEvent::SendFailed { room_id: room_id.clone(), nonce, message });
                    }
                }
            }
            cmd = commands.recv() => {
                let frame = match cmd {
                    None => {
                        let _ = ws.close(None).await;
                        return Outcome::Stopped;
                    }
                    Some(SocketCommand::Typing) => ClientEvent::Typing {},
                    Some(SocketCommand::Send { body, nonce, reply }) => {
                        if !online {
                            let _ = reply.send(Err(NOT_CONNECTED.into()));
                            continue;
                        }
                        let frame = ClientEvent::Send { body, nonce: Some(nonce) };
                        let text = serde_json::to_string(&frame).expect("a ClientEvent always serializes");
                        let sent = ws.send(WsMessage::Text(text.into())).await;
                        let failed = sent.is_err();
                        let _ = reply.send(sent.map_err(|_| NOT_CONNECTED.to_string()));
                        if failed {
                            return Outcome::lost(online);
                        }
                        continue;
                    }
                };
                let text = serde_json::to_string(&frame).expect("a ClientEvent always serializes");
                if ws.send(WsMessage::Text(text.into())).await.is_err() {
                    return Outcome::lost(online);
                }
            }
        }
    }
}

/// Reads what was stored after `last_id` and the current deadline.
/// `Err(Some)` when the room is gone, `Err(None)` when the server is not
/// answering.
async fn catch_up(
    seat: &Seat,
    last_id: &mut u64,
    deadline: &mut Instant,
    emit: &Emit,
) -> Result<(), Option<Notice>> {
    let on_error = |e: super::ClientError, deadline: Instant| match e.code() {
        Some(
            private_chat_protocol::ErrorCode::RoomNotFound
            | private_chat_protocol::ErrorCode::Unauthorized,
        ) => Some(gone(deadline)),
        _ => None,
    };
    let info = seat
        .api
        .room(&seat.room_id, &seat.token)
        .await
        .map_err(|e| on_error(e, *deadline))?;
    *deadline = Instant::now() + Duration::from_millis(info.expires_in_ms);
    emit.event(RoomEvent::Deadline {
        room_id: seat.room_id.clone(),
        expires_in_ms: info.expires_in_ms,
    });
    let missed = seat
        .api
        .messages(&seat.room_id, &seat.token, Some(*last_id))
        .await
        .map_err(|e| on_error(e, *deadline))?;
    for message in missed {
        if message.id > *last_id {
            *last_id = message.id;
            emit.message(message, None);
        }
    }
    Ok(())
}
