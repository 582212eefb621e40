//! The UI's state as a pure reducer: every change is an [`Action`] applied by
//! [`State::apply`], with the current time passed in, so all of it is tested
//! on the host without a DOM or a clock.

use std::rc::Rc;

use private_chat_protocol::app::{
    Bootstrap, CommandError, Connection, Notice, RoomEvent, RoomView,
};
use private_chat_protocol::limits::MAX_BODY_BYTES;
use private_chat_protocol::{Member, Message};
use yew::Reducible;

/// How long "is typing…" stays after the last typing signal.
pub const TYPING_SHOWS_MS: f64 = 3_000.0;
/// How long "Copied" stays after the copy button.
pub const COPIED_SHOWS_MS: f64 = 1_500.0;
/// The countdown turns red below this.
pub const WARN_BELOW_MS: f64 = 60_000.0;
/// The composer shows a byte counter above this share of the limit.
pub const COUNTER_FROM: usize = MAX_BODY_BYTES * 3 / 4;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct State {
    pub name: String,
    pub server_url: String,
    pub embedded: bool,
    pub screen: Screen,
    /// The lobby's notice (why we are back, what failed).
    pub notice: Option<Notice>,
    /// A failure with no matching notice, shown as text.
    pub error: Option<String>,
    /// A create or join is under way.
    pub busy: bool,
    /// The local clock, as of the last [`Action::Tick`].
    pub now_ms: f64,
    /// Events that arrived while a room was being entered: the shell starts
    /// the room's socket before its command returns, so they can come first.
    pub early: Vec<RoomEvent>,
}

/// Most events kept while entering a room.
const EARLY_MAX: usize = 512;

#[derive(Debug, Clone, PartialEq, Default)]
pub enum Screen {
    #[default]
    Loading,
    Lobby,
    Room(Room),
}

/// A message this app sent that the server has not echoed yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub nonce: String,
    pub body: String,
    pub failed: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Room {
    pub room_id: String,
    pub member_id: String,
    pub invite: String,
    /// Local-clock time of the self-destruct, from the server's `expires_in_ms`.
    pub deadline_ms: f64,
    pub members: Vec<Member>,
    /// Stored messages, by id, without duplicates.
    pub messages: Vec<Message>,
    pub pending: Vec<Pending>,
    pub connection: Connection,
    pub peer_typing_until: Option<f64>,
    pub copied_until: Option<f64>,
    /// The destroy confirmation is open or the destroy is under way.
    pub destroying: bool,
}

impl Room {
    fn new(view: RoomView, now_ms: f64) -> Self {
        let mut room = Self {
            room_id: view.room_id,
            member_id: view.member_id,
            invite: view.invite,
            deadline_ms: now_ms + view.expires_in_ms as f64,
            members: view.members,
            messages: Vec::new(),
            pending: Vec::new(),
            connection: Connection::Connecting,
            peer_typing_until: None,
            copied_until: None,
            destroying: false,
        };
        for m in view.messages {
            room.add_message(m);
        }
        room
    }

    fn add_message(&mut self, message: Message) {
        match self.messages.binary_search_by_key(&message.id, |m| m.id) {
            Ok(_) => {}
            Err(at) => self.messages.insert(at, message),
        }
    }

    /// Milliseconds left, never negative.
    pub fn remaining_ms(&self, now_ms: f64) -> f64 {
        (self.deadline_ms - now_ms).max(0.0)
    }

    /// The countdown as `mm:ss`, rounded up so it reads 00:00 only at the end.
    pub fn countdown(&self, now_ms: f64) -> String {
        let secs = (self.remaining_ms(now_ms) / 1000.0).ceil() as u64;
        format!("{:02}:{:02}", secs / 60, secs % 60)
    }

    pub fn warning(&self, now_ms: f64) -> bool {
        self.remaining_ms(now_ms) < WARN_BELOW_MS
    }

    /// The other member, once someone joined.
    pub fn peer(&self) -> Option<&Member> {
        self.members.iter().find(|m| m.member_id != self.member_id)
    }

    pub fn peer_typing(&self, now_ms: f64) -> bool {
        self.peer_typing_until.is_some_and(|t| t > now_ms)
    }

    pub fn copied(&self, now_ms: f64) -> bool {
        self.copied_until.is_some_and(|t| t > now_ms)
    }

    /// Why the composer is disabled, if it is.
    pub fn composer_blocked(&self) -> Option<&'static str> {
        match self.connection {
            Connection::Online => None,
            Connection::Connecting => Some("Connecting to the room…"),
            Connection::Reconnecting => Some("Connection lost. Reconnecting…"),
        }
    }
}

/// Everything that can happen to the UI.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Tick(f64),
    Booted(Bootstrap),
    BootFailed(String),
    NameChanged(String),
    Busy,
    Entered(RoomView),
    EnterFailed(CommandError),
    DismissNotice,
    Event(RoomEvent),
    Sending { nonce: String, body: String },
    SendRejected { nonce: String, message: String },
    Copied,
    DestroyAsked,
    DestroyCancelled,
    DestroyFailed(String),
}

impl State {
    fn room_mut(&mut self) -> Option<&mut Room> {
        match &mut self.screen {
            Screen::Room(room) => Some(room),
            _ => None,
        }
    }

    fn room_id(&self) -> Option<&str> {
        match &self.screen {
            Screen::Room(room) => Some(&room.room_id),
            _ => None,
        }
    }

    fn back_to_lobby(&mut self, notice: Option<Notice>) {
        self.screen = Screen::Lobby;
        self.notice = notice;
        self.busy = false;
    }

    /// Applies one action. Pure: no I/O, the time comes in through `Tick`.
    pub fn apply(&mut self, action: Action) {
        let now = self.now_ms;
        match action {
            Action::Tick(now_ms) => self.now_ms = now_ms,
            Action::Booted(boot) => {
                self.name = boot.name;
                self.server_url = boot.server_url;
                self.embedded = boot.embedded;
                self.notice = boot.notice;
                self.screen = match boot.room {
                    Some(view) => Screen::Room(Room::new(view, now)),
                    None => Screen::Lobby,
                };
                self.replay_early();
            }
            Action::BootFailed(message) => {
                self.screen = Screen::Lobby;
                self.error = Some(message);
            }
            Action::NameChanged(name) => self.name = name,
            Action::Busy => {
                self.busy = true;
                self.notice = None;
                self.error = None;
            }
            Action::Entered(view) => {
                self.busy = false;
                self.notice = None;
                self.error = None;
                self.screen = Screen::Room(Room::new(view, now));
                self.replay_early();
            }
            Action::EnterFailed(err) => {
                self.busy = false;
                self.early.clear();
                self.notice = err.notice;
                self.error = err.notice.is_none().then_some(err.message);
            }
            Action::DismissNotice => {
                self.notice = None;
                self.error = None;
            }
            Action::Event(event) => self.on_event(event),
            Action::Sending { nonce, body } => {
                if let Some(room) = self.room_mut() {
                    room.pending.push(Pending {
                        nonce,
                        body,
                        failed: None,
                    });
                }
            }
            Action::SendRejected { nonce, message } => {
                if let Some(room) = self.room_mut() {
                    if let Some(p) = room.pending.iter_mut().find(|p| p.nonce == nonce) {
                        p.failed = Some(message);
                    }
                }
            }
            Action::Copied => {
                if let Some(room) = self.room_mut() {
                    room.copied_until = Some(now + COPIED_SHOWS_MS);
                }
            }
            Action::DestroyAsked => {
                if let Some(room) = self.room_mut() {
                    room.destroying = true;
                }
            }
            Action::DestroyCancelled => {
                if let Some(room) = self.room_mut() {
                    room.destroying = false;
                }
            }
            Action::DestroyFailed(message) => {
                if let Some(room) = self.room_mut() {
                    room.destroying = false;
                }
                self.error = Some(message);
            }
        }
    }

    fn replay_early(&mut self) {
        for event in std::mem::take(&mut self.early) {
            if self.room_id() == Some(event.room_id()) {
                self.on_event(event);
            }
        }
    }

    fn on_event(&mut self, event: RoomEvent) {
        if self.room_id() != Some(event.room_id()) {
            // A room being entered (kept for when it is), or one already left.
            let entering = self.busy || self.screen == Screen::Loading;
            if entering && self.early.len() < EARLY_MAX {
                self.early.push(event);
            }
            return;
        }
        let now = self.now_ms;
        if let RoomEvent::Ended { notice, .. } = event {
            self.back_to_lobby(Some(notice));
            return;
        }
        let Some(room) = self.room_mut() else { return };
        match event {
            RoomEvent::Connection { state, .. } => room.connection = state,
            RoomEvent::Presence { members, .. } => room.members = members,
            RoomEvent::Message { message, nonce, .. } => {
                match nonce {
                    Some(nonce) => room.pending.retain(|p| p.nonce != nonce),
                    // Caught up after a reconnect, the echo's nonce is lost:
                    // settle the oldest draft with the same text.
                    None if message.member_id == room.member_id => {
                        if let Some(at) = room.pending.iter().position(|p| p.body == message.body) {
                            room.pending.remove(at);
                        }
                    }
                    None => {}
                }
                if message.member_id != room.member_id {
                    room.peer_typing_until = None;
                }
                room.add_message(message);
            }
            RoomEvent::Typing { member_id, .. } => {
                if member_id != room.member_id {
                    room.peer_typing_until = Some(now + TYPING_SHOWS_MS);
                }
            }
            RoomEvent::SendFailed { nonce, message, .. } => match nonce {
                Some(nonce) => {
                    if let Some(p) = room.pending.iter_mut().find(|p| p.nonce == nonce) {
                        p.failed = Some(message);
                    }
                }
                None => self.error = Some(message),
            },
            RoomEvent::Deadline { expires_in_ms, .. } => {
                room.deadline_ms = now + expires_in_ms as f64
            }
            RoomEvent::Ended { .. } => unreachable!("handled above"),
        }
    }

    /// The window title: the room and its countdown while in one.
    pub fn title(&self) -> String {
        match &self.screen {
            Screen::Room(room) => {
                format!(
                    "{} · room {} · private_chat",
                    room.countdown(self.now_ms),
                    &room.room_id[..8]
                )
            }
            _ => "private_chat".into(),
        }
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        next.apply(action);
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOM: &str = "3f2b8c1e-4a5d-4e6f-8a9b-0c1d2e3f4a5b";

    fn member(id: &str, online: bool) -> Member {
        Member {
            member_id: id.into(),
            name: format!("anonymous-{id}"),
            online,
        }
    }

    fn msg(id: u64, from: &str, body: &str) -> Message {
        Message {
            id,
            member_id: from.into(),
            name: from.into(),
            body: body.into(),
            sent_at_ms: 1_700_000_000_000 + id,
        }
    }

    fn view(messages: Vec<Message>) -> RoomView {
        RoomView {
            room_id: ROOM.into(),
            member_id: "me".into(),
            invite: format!("privchat://room/{ROOM}"),
            expires_in_ms: 600_000,
            members: vec![member("me", true)],
            messages,
        }
    }

    fn in_room() -> State {
        let mut s = State {
            now_ms: 1_000.0,
            ..State::default()
        };
        s.apply(Action::Booted(Bootstrap {
            name: "anonymous-otter-ab12c".into(),
            server_url: "http://127.0.0.1:1".into(),
            embedded: true,
            room: None,
            notice: None,
            invite: None,
        }));
        s.apply(Action::Entered(view(vec![])));
        s
    }

    fn room(s: &State) -> &Room {
        match &s.screen {
            Screen::Room(r) => r,
            other => panic!("not in a room: {other:?}"),
        }
    }

    #[test]
    fn boot_lands_in_the_lobby_or_the_saved_room() {
        let mut s = State::default();
        assert_eq!(s.screen, Screen::Loading);
        s.apply(Action::Booted(Bootstrap {
            name: "n".into(),
            server_url: "u".into(),
            embedded: false,
            room: None,
            notice: Some(Notice::Expired),
            invite: None,
        }));
        assert_eq!(s.screen, Screen::Lobby);
        assert_eq!(s.notice, Some(Notice::Expired));
        let mut s = State::default();
        s.apply(Action::Booted(Bootstrap {
            name: "n".into(),
            server_url: "u".into(),
            embedded: false,
            room: Some(view(vec![msg(1, "peer", "hi")])),
            notice: None,
            invite: None,
        }));
        assert_eq!(room(&s).messages.len(), 1);
    }

    #[test]
    fn countdown_counts_down_from_the_servers_deadline_and_warns() {
        let mut s = in_room();
        assert_eq!(room(&s).countdown(s.now_ms), "10:00");
        s.apply(Action::Tick(1_000.0 + 1.0));
        assert_eq!(room(&s).countdown(s.now_ms), "10:00");
        s.apply(Action::Tick(1_000.0 + 1_000.0));
        assert_eq!(room(&s).countdown(s.now_ms), "09:59");
        assert!(!room(&s).warning(s.now_ms));
        s.apply(Action::Tick(1_000.0 + 540_001.0));
        assert_eq!(room(&s).countdown(s.now_ms), "01:00");
        assert!(room(&s).warning(s.now_ms));
        s.apply(Action::Tick(1_000.0 + 700_000.0));
        assert_eq!(room(&s).countdown(s.now_ms), "00:00");
        assert!(s.title().starts_with("00:00 · room 3f2b8c1e"));
        // A reconnect re-reads the deadline.
        s.apply(Action::Event(RoomEvent::Deadline {
            room_id: ROOM.into(),
            expires_in_ms: 30_000,
        }));
        assert_eq!(room(&s).countdown(s.now_ms), "00:30");
    }

    #[test]
    fn messages_are_ordered_and_never_shown_twice() {
        let mut s = in_room();
        for id in [2, 1, 3, 2, 1] {
            s.apply(Action::Event(RoomEvent::Message {
                room_id: ROOM.into(),
                message: msg(id, "peer", "x"),
                nonce: None,
            }));
        }
        let ids: Vec<u64> = room(&s).messages.iter().map(|m| m.id).collect();
        assert_eq!(ids, [1, 2, 3]);
    }

    #[test]
    fn own_drafts_are_pending_until_echoed_and_marked_when_refused() {
        let mut s = in_room();
        s.apply(Action::Sending {
            nonce: "n1".into(),
            body: "hello".into(),
        });
        s.apply(Action::Sending {
            nonce: "n2".into(),
            body: "too big".into(),
        });
        assert_eq!(room(&s).pending.len(), 2);
        s.apply(Action::Event(RoomEvent::Message {
            room_id: ROOM.into(),
            message: msg(1, "me", "hello"),
            nonce: Some("n1".into()),
        }));
        assert_eq!(room(&s).pending.len(), 1);
        assert_eq!(room(&s).messages.len(), 1);
        s.apply(Action::Event(RoomEvent::SendFailed {
            room_id: ROOM.into(),
            nonce: Some("n2".into()),
            message: "too large".into(),
        }));
        assert_eq!(room(&s).pending[0].failed.as_deref(), Some("too large"));
    }

    #[test]
    fn a_caught_up_own_message_settles_its_draft() {
        let mut s = in_room();
        s.apply(Action::Sending {
            nonce: "n1".into(),
            body: "same".into(),
        });
        s.apply(Action::Sending {
            nonce: "n2".into(),
            body: "same".into(),
        });
        s.apply(Action::Event(RoomEvent::Message {
            room_id: ROOM.into(),
            message: msg(1, "peer", "same"),
            nonce: None,
        }));
        assert_eq!(room(&s).pending.len(), 2, "the peer's text settles nothing");
        s.apply(Action::Event(RoomEvent::Message {
            room_id: ROOM.into(),
            message: msg(2, "me", "same"),
            nonce: None,
        }));
        assert_eq!(
            room(&s)
                .pending
                .iter()
                .map(|p| p.nonce.as_str())
                .collect::<Vec<_>>(),
            ["n2"]
        );
    }

    #[test]
    fn typing_shows_for_a_while_and_stops_on_the_peers_message() {
        let mut s = in_room();
        s.apply(Action::Event(RoomEvent::Typing {
            room_id: ROOM.into(),
            member_id: "me".into(),
        }));
        assert!(!room(&s).peer_typing(s.now_ms), "own typing is not shown");
        s.apply(Action::Event(RoomEvent::Typing {
            room_id: ROOM.into(),
            member_id: "peer".into(),
        }));
        assert!(room(&s).peer_typing(s.now_ms));
        s.apply(Action::Tick(s.now_ms + TYPING_SHOWS_MS + 1.0));
        assert!(!room(&s).peer_typing(s.now_ms));
        s.apply(Action::Event(RoomEvent::Typing {
            room_id: ROOM.into(),
            member_id: "peer".into(),
        }));
        s.apply(Action::Event(RoomEvent::Message {
            room_id: ROOM.into(),
            message: msg(1, "peer", "x"),
            nonce: None,
        }));
        assert!(!room(&s).peer_typing(s.now_ms));
    }

    #[test]
    fn presence_and_connection_drive_the_composer() {
        let mut s = in_room();
        assert_eq!(room(&s).composer_blocked(), Some("Connecting to the room…"));
        assert!(room(&s).peer().is_none());
        s.apply(Action::Event(RoomEvent::Connection {
            room_id: ROOM.into(),
            state: Connection::Online,
        }));
        assert_eq!(room(&s).composer_blocked(), None);
        s.apply(Action::Event(RoomEvent::Presence {
            room_id: ROOM.into(),
            members: vec![member("me", true), member("peer", true)],
        }));
        assert!(room(&s).peer().unwrap().online);
        s.apply(Action::Event(RoomEvent::Connection {
            room_id: ROOM.into(),
            state: Connection::Reconnecting,
        }));
        assert_eq!(
            room(&s).composer_blocked(),
            Some("Connection lost. Reconnecting…")
        );
    }

    #[test]
    fn the_end_of_a_room_returns_to_the_lobby_with_its_notice() {
        for notice in [
            Notice::DestroyedByYou,
            Notice::DestroyedByPeer,
            Notice::Expired,
        ] {
            let mut s = in_room();
            s.apply(Action::Event(RoomEvent::Ended {
                room_id: ROOM.into(),
                notice,
            }));
            assert_eq!(s.screen, Screen::Lobby);
            assert_eq!(s.notice, Some(notice));
            assert_eq!(s.title(), "private_chat");
            s.apply(Action::DismissNotice);
            assert_eq!(s.notice, None);
        }
    }

    #[test]
    fn events_that_beat_the_commands_answer_are_applied_on_entry() {
        let mut s = in_room();
        s.apply(Action::Event(RoomEvent::Ended {
            room_id: ROOM.into(),
            notice: Notice::Expired,
        }));
        s.apply(Action::Busy);
        let early = [
            RoomEvent::Connection {
                room_id: ROOM.into(),
                state: Connection::Online,
            },
            RoomEvent::Presence {
                room_id: ROOM.into(),
                members: vec![member("me", true), member("peer", true)],
            },
            RoomEvent::Message {
                room_id: ROOM.into(),
                message: msg(1, "peer", "first"),
                nonce: None,
            },
            RoomEvent::Connection {
                room_id: "00000000-0000-4000-8000-000000000000".into(),
                state: Connection::Online,
            },
        ];
        for e in early {
            s.apply(Action::Event(e));
        }
        s.apply(Action::Entered(view(vec![])));
        assert_eq!(room(&s).connection, Connection::Online);
        assert!(room(&s).peer().is_some_and(|p| p.online));
        assert_eq!(room(&s).messages.len(), 1);
        assert!(s.early.is_empty());
        // An early end ends the room at once.
        s.apply(Action::Event(RoomEvent::Ended {
            room_id: ROOM.into(),
            notice: Notice::Expired,
        }));
        s.apply(Action::Busy);
        s.apply(Action::Event(RoomEvent::Ended {
            room_id: ROOM.into(),
            notice: Notice::DestroyedByPeer,
        }));
        s.apply(Action::Entered(view(vec![])));
        assert_eq!(s.screen, Screen::Lobby);
        assert_eq!(s.notice, Some(Notice::DestroyedByPeer));
    }

    #[test]
    fn events_of_another_room_are_ignored() {
        let mut s = in_room();
        let other = "00000000-0000-4000-8000-000000000000".to_string();
        s.apply(Action::Event(RoomEvent::Ended {
            room_id: other.clone(),
            notice: Notice::Expired,
        }));
        s.apply(Action::Event(RoomEvent::Message {
            room_id: other,
            message: msg(1, "x", "y"),
            nonce: None,
        }));
        assert!(room(&s).messages.is_empty());
    }

    #[test]
    fn lobby_errors_become_notices_or_text() {
        let mut s = in_room();
        s.apply(Action::Event(RoomEvent::Ended {
            room_id: ROOM.into(),
            notice: Notice::Expired,
        }));
        s.apply(Action::Busy);
        assert!(s.busy && s.notice.is_none());
        s.apply(Action::EnterFailed(CommandError {
            notice: Some(Notice::RoomFull),
            message: "full".into(),
        }));
        assert!(!s.busy);
        assert_eq!(s.notice, Some(Notice::RoomFull));
        s.apply(Action::EnterFailed(CommandError {
            notice: None,
            message: "odd".into(),
        }));
        assert_eq!(s.error.as_deref(), Some("odd"));
    }

    #[test]
    fn destroy_flow_and_copy_feedback() {
        let mut s = in_room();
        s.apply(Action::Copied);
        assert!(room(&s).copied(s.now_ms));
        s.apply(Action::Tick(s.now_ms + COPIED_SHOWS_MS + 1.0));
        assert!(!room(&s).copied(s.now_ms));
        s.apply(Action::DestroyAsked);
        assert!(room(&s).destroying);
        s.apply(Action::DestroyCancelled);
        assert!(!room(&s).destroying);
        s.apply(Action::DestroyAsked);
        s.apply(Action::DestroyFailed("server unreachable".into()));
        assert!(!room(&s).destroying);
        assert_eq!(s.error.as_deref(), Some("server unreachable"));
    }
}
