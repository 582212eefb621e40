//! One owner per open room: a session task that holds the seat, the room's
//! socket, its end-to-end [`Engine`] and the UI's event sink, and is the one
//! place a room ends. Every stored message passes through the engine, in id
//! order, before the UI sees it: the UI gets plaintext, never a key.
//!
//! Commands talk to it through a [`RoomHandle`]; nothing is locked across
//! network I/O. It needs no window: the app gives it a [`Host`] (settings
//! and notifications) and a [`Sink`] (the UI's channel); tests give it
//! plain closures (`tests/room_session.rs`).

use std::sync::Arc;
use std::time::Duration;

use private_chat_crypto::Role;
use private_chat_protocol::app::{ChatMessage, Notice, RoomEvent, RoomView};
use private_chat_protocol::{ErrorCode, Member, Message};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::client::socket::{Emit, Feed, Seat};
use crate::client::{Api, ClientError, RoomSocket};
use crate::secure::{Engine, Failure, Step};
use crate::settings::SavedSeat;

/// Where the room's events go: the UI's channel in the app.
pub type Sink = Box<dyn Fn(RoomEvent) + Send + Sync>;

/// What a room session needs from the app around it.
pub trait Host: Send + Sync + 'static {
    /// The seat kept between runs, so a restart can return to the room.
    fn saved_seat(&self) -> Option<SavedSeat>;
    /// Keeps `seat`, or forgets the kept one with `None`.
    fn save_seat(&self, seat: Option<&SavedSeat>);
    /// A notification for the person, when the window is not in front.
    fn notify(&self, text: &str);
    /// Whether notifications of messages may show their sender and text.
    fn notification_text(&self) -> bool {
        false
    }
    /// The room of `seat` is over (after its end was told).
    fn ended(&self, seat: &SavedSeat);
}

/// What commands ask of a session.
enum Request {
    /// Deliver to a new sink from now on (a reloaded UI); the view goes first.
    Attach(Sink, oneshot::Sender<Result<(), ClientError>>),
    Send {
        body: String,
        nonce: String,
        reply: oneshot::Sender<Result<(), String>>,
    },
    Typing,
    Destroy(oneshot::Sender<Result<(), ClientError>>),
}

/// The way to an open room. Cheap to clone; the session stops (without
/// ending the room) when the last handle is dropped.
#[derive(Clone)]
pub struct RoomHandle {
    seat: Arc<SavedSeat>,
    invite: Arc<str>,
    requests: mpsc::Sender<Request>,
    task: Arc<JoinHandle<()>>,
}

const ENDED: &str = "This room has ended.";
/// At most one notification of the other person's messages this often: a
/// flood of messages is not a flood of notifications.
const NOTIFY_EVERY: Duration = Duration::from_secs(10);
/// Longest text a notification shows, when texts are shown at all.
const NOTIFY_TEXT_CHARS: usize = 120;

impl RoomHandle {
    pub fn seat(&self) -> &SavedSeat {
        &self.seat
    }

    /// The link to share.
    pub fn invite(&self) -> &str {
        &self.invite
    }

    /// Whether the session still runs (it stops when the room ends).
    pub fn is_open(&self) -> bool {
        !self.task.is_finished()
    }

    async fn ask<T>(&self, request: impl FnOnce(oneshot::Sender<T>) -> Request, closed: T) -> T {
        let (reply, answer) = oneshot::channel();
        if self.requests.send(request(reply)).await.is_err() {
            return closed;
        }
        answer.await.unwrap_or(closed)
    }

    /// Sends the current view to `sink`, then every event after it.
    pub async fn attach(&self, sink: Sink) -> Result<(), ClientError> {
        let closed = Err(ClientError::Protocol(ENDED.into()));
        self.ask(|reply| Request::Attach(sink, reply), closed).await
    }

    /// Sends a message; its echo (with `nonce`) comes as an event.
    pub async fn send(&self, body: String, nonce: String) -> Result<(), String> {
        let closed = Err(ENDED.to_string());
        self.ask(|reply| Request::Send { body, nonce, reply }, closed)
            .await
    }

    /// Tells the other person this one is typing (best effort).
    pub fn typing(&self) {
        let _ = self.requests.try_send(Request::Typing);
    }

    /// Destroys the room for both people; the session ends it with its notice.
    pub async fn destroy(&self) -> Result<(), ClientError> {
        let closed = Err(ClientError::Protocol(ENDED.into()));
        self.ask(Request::Destroy, closed).await
    }
}

/// Reads the room through `engine` (which may post key-exchange frames),
/// keeps the seat, sends the view to `sink` as its first event and starts
/// the session that owns the room from then on. A joiner whose invite key
/// does not fit the room is refused with [`ClientError::KeyMismatch`].
pub async fn open(
    mut seat: SavedSeat,
    invite: String,
    mut engine: Engine,
    host: Arc<dyn Host>,
    sink: Sink,
) -> Result<RoomHandle, ClientError> {
    let api = seat.api();
    let info = api.room(&seat.room_id, &seat.token).await?;
    let history = api.messages(&seat.room_id, &seat.token, None).await?;
    let last_id = history.last().map_or(0, |m| m.id);
    let mut messages = Vec::new();
    for message in &history {
        let step = engine.receive(message);
        post(&api, &seat, &step).await;
        messages.extend(step.show);
    }
    let step = engine.resume();
    post(&api, &seat, &step).await;
    if engine.role() == Role::Joiner && engine.failure() == Some(Failure::Unverified) {
        return Err(ClientError::KeyMismatch);
    }
    seat.until_ms
        .get_or_insert(crate::settings::now_ms() + info.expires_in_ms);
    host.save_seat(Some(&seat));
    let expires_in = Duration::from_millis(info.expires_in_ms);
    let view = RoomView {
        room_id: seat.room_id.clone(),
        member_id: seat.member_id.clone(),
        invite: invite.clone(),
        invite_qr: crate::qr::svg_for(&invite),
        expires_in_ms: info.expires_in_ms,
        members: engine.members(info.members.clone()),
        messages: messages.clone(),
        security: engine.security(),
    };
    sink(RoomEvent::Entered { view });

    let (feed_tx, feed) = mpsc::unbounded_channel();
    let socket = RoomSocket::spawn(
        Seat {
            api: api.clone(),
            room_id: seat.room_id.clone(),
            member_id: seat.member_id.clone(),
            token: seat.token.clone(),
        },
        last_id,
        expires_in,
        Emit::new(move |item| {
            let _ = feed_tx.send(item);
        }),
    );
    let (requests, inbox) = mpsc::channel(64);
    let seat = Arc::new(seat);
    let invite: Arc<str> = invite.into();
    let session = Session {
        api,
        seat: seat.clone(),
        invite: invite.clone(),
        host,
        sink,
        socket,
        engine,
        shown: messages,
        members: info.members,
        notified: None,
    };
    let task = tokio::spawn(session.run(inbox, feed));
    Ok(RoomHandle {
        seat,
        invite,
        requests,
        task: Arc::new(task),
    })
}

/// Posts what the engine asks for, in order. A failure is logged: the
/// engine asks again on the next open (its name), or the other app
/// stays waiting (a visible state).
async fn post(api: &Api, seat: &SavedSeat, step: &Step) {
    for body in &step.post {
        if let Err(e) = api.post_message(&seat.room_id, &seat.token, body).await {
            tracing::warn!(room_id = %seat.room_id, "key exchange frame not posted: {e}");
            return;
        }
    }
}

struct Session {
    api: Api,
    seat: Arc<SavedSeat>,
    invite: Arc<str>,
    host: Arc<dyn Host>,
    sink: Sink,
    socket: RoomSocket,
    engine: Engine,
    /// Every message shown so far, for a reloaded UI (plaintext stays in
    /// the shell's memory for the room's life, never on disk).
    shown: Vec<ChatMessage>,
    /// Members as the server last told, before names are filled in.
    members: Vec<Member>,
    /// When the last notification of a message went out.
    notified: Option<tokio::time::Instant>,
}

impl Session {
    async fn run(
        mut self,
        mut inbox: mpsc::Receiver<Request>,
        mut feed: mpsc::UnboundedReceiver<Feed>,
    ) {
        loop {
            tokio::select! {
                request = inbox.recv() => match request {
                    // Every handle is gone: the app left the room locally.
                    None => return,
                    Some(request) => {
                        if let Some(notice) = self.handle(request).await {
                            return self.end(notice);
                        }
                    }
                },
                Some(item) = feed.recv() => match item {
                    Feed::Event(RoomEvent::Ended { notice, .. }) => return self.end(notice),
                    Feed::Event(RoomEvent::Presence { members, .. }) => {
                        self.members = members;
                        self.presence();
                    }
                    Feed::Event(event) => (self.sink)(event),
                    Feed::Message { message, nonce } => self.read(message, nonce).await,
                },
            }
        }
    }

    /// Answers one request; `Some` when it ended the room.
    async fn handle(&mut self, request: Request) -> Option<Notice> {
        match request {
            Request::Attach(sink, reply) => {
                let view = self.view().await;
                let answer = view.map(|view| {
                    sink(RoomEvent::Entered { view });
                    self.sink = sink;
                });
                let _ = reply.send(answer);
            }
            Request::Send { body, nonce, reply } => {
                let answer = match self.engine.seal_text(&body) {
                    Ok(sealed) => self.socket.send(sealed, nonce).await,
                    Err(reason) => Err(reason),
                };
                let _ = reply.send(answer);
            }
            Request::Typing => self.socket.typing(),
            Request::Destroy(reply) => {
                let seat = &self.seat;
                let (answer, notice) = match self.api.destroy(&seat.room_id, &seat.token).await {
                    Ok(()) => (Ok(()), Some(Notice::DestroyedByYou)),
                    // Gone already: it expired or the other person was quicker.
                    Err(e) if e.code() == Some(ErrorCode::RoomNotFound) => {
                        (Ok(()), Some(Notice::RoomNotFound))
                    }
                    Err(e) => (Err(e), None),
                };
                let _ = reply.send(answer);
                return notice;
            }
        }
        None
    }

    /// Reads one stored message through the engine: posts what the key
    /// exchange needs, tells the UI what changed, shows the message.
    async fn read(&mut self, message: Message, nonce: Option<String>) {
        let step = self.engine.receive(&message);
        post(&self.api, &self.seat, &step).await;
        if step.changed {
            (self.sink)(RoomEvent::Security {
                room_id: self.seat.room_id.clone(),
                security: self.engine.security(),
            });
            self.presence();
        }
        if let Some(message) = step.show {
            self.show(message, nonce);
        }
    }

    /// The members, with the names their apps sent.
    fn presence(&self) {
        (self.sink)(RoomEvent::Presence {
            room_id: self.seat.room_id.clone(),
            members: self.engine.members(self.members.clone()),
        });
    }

    /// Passes a message to the UI, with a notification for the peer's.
    fn show(&mut self, message: ChatMessage, nonce: Option<String>) {
        self.shown.push(message.clone());
        let quiet = self.notified.is_some_and(|t| t.elapsed() < NOTIFY_EVERY);
        if message.member_id != self.seat.member_id && !quiet {
            // The text only when the person chose it: a notification can
            // be read over a shoulder or on a locked screen.
            let text = match &message.text {
                Some(text) if self.host.notification_text() => {
                    let from = crate::names::shown(&message.name)
                        .unwrap_or_else(|| "The other person".into());
                    let short: String = text.chars().take(NOTIFY_TEXT_CHARS).collect();
                    format!("{from}: {short}")
                }
                _ => "New message in your private room.".into(),
            };
            self.host.notify(&text);
            self.notified = Some(tokio::time::Instant::now());
        }
        (self.sink)(RoomEvent::Message {
            room_id: self.seat.room_id.clone(),
            message,
            nonce,
        });
    }

    /// The room as a reloaded UI first shows it: the deadline and members
    /// read again, the messages shown so far.
    async fn view(&self) -> Result<RoomView, ClientError> {
        let info = self.api.room(&self.seat.room_id, &self.seat.token).await?;
        let mut messages = self.shown.clone();
        // Names may have come after a message was shown.
        for m in &mut messages {
            m.name = self.engine.name_of(&m.member_id);
        }
        Ok(RoomView {
            room_id: self.seat.room_id.clone(),
            member_id: self.seat.member_id.clone(),
            invite: self.invite.to_string(),
            invite_qr: crate::qr::svg_for(&self.invite),
            expires_in_ms: info.expires_in_ms,
            members: self.engine.members(info.members),
            messages,
            security: self.engine.security(),
        })
    }

    /// The room is over: forget its seat and keys, tell the person, stop.
    fn end(self, notice: Notice) {
        tracing::info!(room_id = %self.seat.room_id, ?notice, "room ended");
        self.engine.forget();
        if self
            .host
            .saved_seat()
            .is_some_and(|s| s.room_id == self.seat.room_id)
        {
            self.host.save_seat(None);
        }
        self.host.notify(notice.text());
        (self.sink)(RoomEvent::Ended {
            room_id: self.seat.room_id.clone(),
            notice,
        });
        self.host.ended(&self.seat);
    }
}
