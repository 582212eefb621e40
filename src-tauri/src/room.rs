//! One owner per open room: a session task that holds the seat, the room's
//! socket and the UI's event sink, and is the one place a room ends.
//!
//! Commands talk to it through a [`RoomHandle`]; nothing is locked across
//! network I/O. It needs no window: the app gives it a [`Host`] (settings
//! and notifications) and a [`Sink`] (the UI's channel); tests give it
//! plain closures (`tests/room_session.rs`).

use std::sync::Arc;
use std::time::Duration;

use private_chat_protocol::app::{Notice, RoomEvent, RoomView};
use private_chat_protocol::ErrorCode;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::client::socket::Seat;
use crate::client::{Api, ClientError, RoomSocket};
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

/// Reads the room, keeps the seat, sends the view to `sink` as its first
/// event and starts the session that owns the room from then on.
pub async fn open(
    seat: SavedSeat,
    invite: String,
    host: Arc<dyn Host>,
    sink: Sink,
) -> Result<RoomHandle, ClientError> {
    let api = seat.api();
    let view = read_view(&api, &seat, &invite).await?;
    host.save_seat(Some(&seat));
    let last_id = view.messages.last().map_or(0, |m| m.id);
    let expires_in = Duration::from_millis(view.expires_in_ms);
    sink(RoomEvent::Entered { view });

    let (events_tx, events) = mpsc::unbounded_channel();
    let socket = RoomSocket::spawn(
        Seat {
            api: api.clone(),
            room_id: seat.room_id.clone(),
            member_id: seat.member_id.clone(),
            token: seat.token.clone(),
        },
        last_id,
        expires_in,
        Arc::new(move |event| {
            let _ = events_tx.send(event);
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
    };
    let task = tokio::spawn(session.run(inbox, events));
    Ok(RoomHandle {
        seat,
        invite,
        requests,
        task: Arc::new(task),
    })
}

/// The room as the UI first shows it: members, deadline and history.
async fn read_view(api: &Api, seat: &SavedSeat, invite: &str) -> Result<RoomView, ClientError> {
    let info = api.room(&seat.room_id, &seat.token).await?;
    let messages = api.messages(&seat.room_id, &seat.token, None).await?;
    Ok(RoomView {
        room_id: seat.room_id.clone(),
        member_id: seat.member_id.clone(),
        invite: invite.to_owned(),
        expires_in_ms: info.expires_in_ms,
        members: info.members,
        messages,
    })
}

struct Session {
    api: Api,
    seat: Arc<SavedSeat>,
    invite: Arc<str>,
    host: Arc<dyn Host>,
    sink: Sink,
    socket: RoomSocket,
}

impl Session {
    async fn run(
        mut self,
        mut inbox: mpsc::Receiver<Request>,
        mut events: mpsc::UnboundedReceiver<RoomEvent>,
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
                Some(event) = events.recv() => match event {
                    RoomEvent::Ended { notice, .. } => return self.end(notice),
                    event => self.deliver(event),
                },
            }
        }
    }

    /// Answers one request; `Some` when it ended the room.
    async fn handle(&mut self, request: Request) -> Option<Notice> {
        match request {
            Request::Attach(sink, reply) => {
                let view = read_view(&self.api, &self.seat, &self.invite).await;
                let answer = view.map(|view| {
                    sink(RoomEvent::Entered { view });
                    self.sink = sink;
                });
                let _ = reply.send(answer);
            }
            Request::Send { body, nonce, reply } => {
                let _ = reply.send(self.socket.send(body, nonce).await);
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

    /// Passes an event to the UI, with a notification for the peer's message.
    fn deliver(&self, event: RoomEvent) {
        if let RoomEvent::Message { message, .. } = &event {
            if message.member_id != self.seat.member_id {
                // Never the text: a notification can be read over a shoulder.
                self.host.notify("New message in your private room.");
            }
        }
        (self.sink)(event);
    }

    /// The room is over: forget its seat, tell the person, stop.
    fn end(self, notice: Notice) {
        tracing::info!(room_id = %self.seat.room_id, ?notice, "room ended");
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
