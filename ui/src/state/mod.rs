//! The UI's state as pure reducers: every change is an [`Action`] applied by
//! [`State::apply`], with the time passed in where it matters, so all of it
//! is tested on the host without a DOM or a clock.
//!
//! - this module: the app around the rooms (boot, name, lobby notices,
//!   which screen shows);
//! - [`room`]: the room on screen.

pub mod room;

use std::rc::Rc;

use private_chat_protocol::app::{Bootstrap, CommandError, Notice, RoomEvent, ServerInfo};
use private_chat_protocol::limits::MAX_BODY_BYTES;
use yew::Reducible;

pub use room::{display_name, Outcome, Pending, Room, RoomAction};

/// The composer shows a byte counter above this share of the limit.
pub const COUNTER_FROM: usize = MAX_BODY_BYTES * 3 / 4;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct State {
    pub name: String,
    /// The server new rooms go to, once booted.
    pub server: Option<ServerInfo>,
    pub screen: Screen,
    /// The lobby's notice (why we are back, what failed).
    pub notice: Option<Notice>,
    /// A failure with no matching notice, shown as text.
    pub error: Option<String>,
    /// A create or join is under way (until its room's view arrives).
    pub busy: bool,
    /// Notifications show message text (the person's choice; off by default).
    pub notification_text: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub enum Screen {
    #[default]
    Loading,
    Lobby,
    /// Where rooms live (from the lobby).
    Settings,
    Room(Box<Room>),
}

/// Everything that can happen to the UI.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Booted(Bootstrap),
    BootFailed(String),
    NameChanged(String),
    Busy,
    EnterFailed(CommandError),
    /// The person declined a confirmation of the join.
    EnterCancelled,
    OpenSettings,
    CloseSettings,
    SettingsSaved(ServerInfo),
    /// The shell kept whether notifications show message text.
    NotificationTextSet(bool),
    DismissNotice,
    /// An event on a room's channel, stamped with the local time.
    Event {
        event: RoomEvent,
        now_ms: f64,
    },
    Room(RoomAction),
    DestroyFailed(String),
}

impl State {
    pub fn room(&self) -> Option<&Room> {
        match &self.screen {
            Screen::Room(room) => Some(room),
            _ => None,
        }
    }

    fn room_mut(&mut self) -> Option<&mut Room> {
        match &mut self.screen {
            Screen::Room(room) => Some(room),
            _ => None,
        }
    }

    /// Applies one action. Pure: no I/O, no clock.
    pub fn apply(&mut self, action: Action) {
        match action {
            Action::Booted(boot) => {
                self.notification_text = boot.notification_text;
                self.name = boot.name;
                self.server = Some(boot.server);
                self.notice = boot.notice;
                // A resumed room's view comes on its channel, maybe already.
                if self.screen == Screen::Loading && !boot.resumed {
                    self.screen = Screen::Lobby;
                }
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
            Action::EnterFailed(err) => {
                self.busy = false;
                if self.screen == Screen::Loading {
                    self.screen = Screen::Lobby;
                }
                self.notice = err.notice;
                self.error = err.notice.is_none().then_some(err.message);
            }
            Action::EnterCancelled => self.busy = false,
            Action::OpenSettings => {
                if self.screen == Screen::Lobby && !self.busy {
                    self.screen = Screen::Settings;
                    self.notice = None;
                    self.error = None;
                }
            }
            Action::CloseSettings => {
                if self.screen == Screen::Settings {
                    self.screen = Screen::Lobby;
                }
            }
            Action::SettingsSaved(info) => {
                self.server = Some(info);
                if self.screen == Screen::Settings {
                    self.screen = Screen::Lobby;
                }
            }
            Action::NotificationTextSet(show) => self.notification_text = show,
            Action::DismissNotice => {
                self.notice = None;
                self.error = None;
            }
            Action::Event { event, now_ms } => self.on_event(event, now_ms),
            Action::Room(action) => {
                if let Some(room) = self.room_mut() {
                    room.apply(action);
                }
            }
            Action::DestroyFailed(message) => {
                if let Some(room) = self.room_mut() {
                    room.apply(RoomAction::DestroyFailed);
                }
                self.error = Some(message);
            }
        }
    }

    fn on_event(&mut self, event: RoomEvent, now_ms: f64) {
        if let RoomEvent::Entered { view } = event {
            self.busy = false;
            self.notice = None;
            self.error = None;
            self.screen = Screen::Room(Box::new(Room::new(view, now_ms)));
            return;
        }
        let Some(room) = self.room_mut().filter(|r| r.room_id == event.room_id()) else {
            // A late event of a room already left.
            return;
        };
        if let RoomEvent::Ended { notice, .. } = event {
            self.screen = Screen::Lobby;
            self.notice = Some(notice);
            self.busy = false;
            return;
        }
        if let Outcome::Error(message) = room.on_event(event, now_ms) {
            self.error = Some(message);
        }
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = Rc::unwrap_or_clone(self);
        next.apply(action);
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::room::{COPIED_SHOWS_MS, TYPING_SHOWS_MS};
    use super::*;
    use private_chat_protocol::app::{ChatMessage, Connection, RoomView, Security, ServerSettings};
    use private_chat_protocol::Member;

    const ROOM: &str = "3f2b8c1e-4a5d-4e6f-8a9b-0c1d2e3f4a5b";
    const T0: f64 = 1_000.0;

    fn member(id: &str, online: bool) -> Member {
        Member {
            member_id: id.into(),
            name: format!("anonymous-{id}"),
            online,
        }
    }

    fn msg(id: u64, from: &str, body: &str) -> ChatMessage {
        ChatMessage {
            id,
            member_id: from.into(),
            name: from.into(),
            text: Some(body.into()),
            sent_at_ms: 1_700_000_000_000 + id,
        }
    }

    fn secured() -> Security {
        Security::Secured {
            safety_code: "123 456".into(),
        }
    }

    fn view(messages: Vec<ChatMessage>) -> RoomView {
        RoomView {
            room_id: ROOM.into(),
            member_id: "me".into(),
            invite: format!("privchat://room/{ROOM}"),
            invite_qr: "<svg/>".into(),
            expires_in_ms: 600_000,
            members: vec![member("me", true)],
            messages,
            security: secured(),
        }
    }

    fn here() -> ServerInfo {
        ServerInfo {
            settings: ServerSettings::ThisComputer {
                public_address: None,
            },
            url: "http://127.0.0.1:1".into(),
            network_port: Some(48787),
        }
    }

    fn boot(resumed: bool, notice: Option<Notice>) -> Bootstrap {
        Bootstrap {
            name: "anonymous-otter-ab12c".into(),
            server: here(),
            resumed,
            notice,
            invite: None,
            notification_text: false,
        }
    }

    #[test]
    fn the_notification_choice_comes_with_the_boot_and_follows_the_shell() {
        let mut s = State::default();
        s.apply(Action::Booted(Bootstrap {
            notification_text: true,
            ..boot(false, None)
        }));
        assert!(s.notification_text);
        s.apply(Action::NotificationTextSet(false));
        assert!(!s.notification_text);
        assert_eq!(s.screen, Screen::Lobby, "nothing else changes");
    }

    fn event(s: &mut State, event: RoomEvent) {
        s.apply(Action::Event { event, now_ms: T0 });
    }

    fn entered(s: &mut State, view: RoomView) {
        event(s, RoomEvent::Entered { view });
    }

    fn in_room() -> State {
        let mut s = State::default();
        s.apply(Action::Booted(boot(false, None)));
        s.apply(Action::Busy);
        entered(&mut s, view(vec![]));
        s
    }

    fn room(s: &State) -> &Room {
        s.room()
            .unwrap_or_else(|| panic!("not in a room: {:?}", s.screen))
    }

    fn ended(s: &mut State, notice: Notice) {
        event(
            s,
            RoomEvent::Ended {
                room_id: ROOM.into(),
                notice,
            },
        );
    }

    #[test]
    fn boot_lands_in_the_lobby_or_waits_for_the_resumed_room_in_either_order() {
        let mut s = State::default();
        assert_eq!(s.screen, Screen::Loading);
        s.apply(Action::Booted(boot(false, Some(Notice::Expired))));
        assert_eq!(s.screen, Screen::Lobby);
        assert_eq!(s.notice, Some(Notice::Expired));

        // Resumed: the answer first, then the view on the channel.
        let mut s = State::default();
        s.apply(Action::Booted(boot(true, None)));
        assert_eq!(s.screen, Screen::Loading, "no lobby flash before the room");
        entered(&mut s, view(vec![msg(1, "peer", "hi")]));
        assert_eq!(room(&s).messages.len(), 1);

        // Resumed: the view first, then the answer, which keeps the room.
        let mut s = State::default();
        entered(&mut s, view(vec![]));
        s.apply(Action::Booted(boot(true, None)));
        assert!(s.room().is_some());
        assert_eq!(s.name, "anonymous-otter-ab12c");
    }

    #[test]
    fn countdown_counts_down_from_the_servers_deadline_and_warns() {
        let mut s = in_room();
        let r = room(&s);
        assert_eq!(r.countdown(T0), "10:00");
        assert_eq!(r.countdown(T0 + 1.0), "10:00");
        assert_eq!(r.countdown(T0 + 1_000.0), "09:59");
        assert!(!r.warning(T0 + 1_000.0));
        assert_eq!(r.countdown(T0 + 540_001.0), "01:00");
        assert!(r.warning(T0 + 540_001.0));
        assert_eq!(r.countdown(T0 + 700_000.0), "00:00");
        assert!(r.title(T0 + 700_000.0).starts_with("00:00 · room 3f2b8c1e"));
        // A reconnect re-reads the deadline.
        s.apply(Action::Event {
            event: RoomEvent::Deadline {
                room_id: ROOM.into(),
                expires_in_ms: 30_000,
            },
            now_ms: T0 + 100_000.0,
        });
        assert_eq!(room(&s).countdown(T0 + 100_000.0), "00:30");
        // A clock that lags behind the event's stamp shows no extra time.
        assert_eq!(room(&s).countdown(T0 + 99_000.0), "00:30");
    }

    #[test]
    fn a_short_room_id_from_a_server_does_not_break_the_title() {
        let mut s = State::default();
        entered(
            &mut s,
            RoomView {
                room_id: "é".into(),
                ..view(vec![])
            },
        );
        assert_eq!(room(&s).short_id(), "é");
        assert!(room(&s).title(T0).contains("room é"));
    }

    #[test]
    fn messages_are_ordered_and_never_shown_twice() {
        let mut s = State::default();
        entered(&mut s, view(vec![msg(4, "peer", "x"), msg(4, "peer", "x")]));
        for id in [2, 1, 3, 2, 1] {
            event(
                &mut s,
                RoomEvent::Message {
                    room_id: ROOM.into(),
                    message: msg(id, "peer", "x"),
                    nonce: None,
                },
            );
        }
        let ids: Vec<u64> = room(&s).messages.iter().map(|m| m.id).collect();
        assert_eq!(ids, [1, 2, 3, 4]);
    }

    #[test]
    fn actions_share_the_messages_instead_of_copying_them() {
        let mut s = in_room();
        event(
            &mut s,
            RoomEvent::Message {
                room_id: ROOM.into(),
                message: msg(1, "peer", "x"),
                nonce: None,
            },
        );
        let before = Rc::new(s);
        let after = before
            .clone()
            .reduce(Action::Room(RoomAction::Copied { now_ms: T0 }));
        assert!(Rc::ptr_eq(&room(&before).messages, &room(&after).messages));
    }

    #[test]
    fn own_drafts_are_pending_until_echoed_and_marked_when_refused() {
        let mut s = in_room();
        for (nonce, body) in [("n1", "hello"), ("n2", "too big")] {
            s.apply(Action::Room(RoomAction::Sending {
                nonce: nonce.into(),
                body: body.into(),
            }));
        }
        assert_eq!(room(&s).pending.len(), 2);
        event(
            &mut s,
            RoomEvent::Message {
                room_id: ROOM.into(),
                message: msg(1, "me", "hello"),
                nonce: Some("n1".into()),
            },
        );
        assert_eq!(room(&s).pending.len(), 1);
        assert_eq!(room(&s).messages.len(), 1);
        event(
            &mut s,
            RoomEvent::SendFailed {
                room_id: ROOM.into(),
                nonce: Some("n2".into()),
                message: "too large".into(),
            },
        );
        assert_eq!(room(&s).pending[0].failed.as_deref(), Some("too large"));
        // A refusal with no draft to show it on becomes the room's error.
        event(
            &mut s,
            RoomEvent::SendFailed {
                room_id: ROOM.into(),
                nonce: None,
                message: "odd frame".into(),
            },
        );
        assert_eq!(s.error.as_deref(), Some("odd frame"));
        s.apply(Action::Room(RoomAction::SendRejected {
            nonce: "n2".into(),
            message: "not connected".into(),
        }));
        assert_eq!(room(&s).pending[0].failed.as_deref(), Some("not connected"));
    }

    #[test]
    fn a_caught_up_own_message_settles_its_draft() {
        let mut s = in_room();
        for nonce in ["n1", "n2"] {
            s.apply(Action::Room(RoomAction::Sending {
                nonce: nonce.into(),
                body: "same".into(),
            }));
        }
        event(
            &mut s,
            RoomEvent::Message {
                room_id: ROOM.into(),
                message: msg(1, "peer", "same"),
                nonce: None,
            },
        );
        assert_eq!(room(&s).pending.len(), 2, "the peer's text settles nothing");
        event(
            &mut s,
            RoomEvent::Message {
                room_id: ROOM.into(),
                message: msg(2, "me", "same"),
                nonce: None,
            },
        );
        let left: Vec<&str> = room(&s).pending.iter().map(|p| p.nonce.as_str()).collect();
        assert_eq!(left, ["n2"]);
    }

    #[test]
    fn typing_shows_for_a_while_and_stops_on_the_peers_message() {
        let mut s = in_room();
        let typing = |who: &str| RoomEvent::Typing {
            room_id: ROOM.into(),
            member_id: who.into(),
        };
        event(&mut s, typing("me"));
        assert!(!room(&s).peer_typing(T0), "own typing is not shown");
        event(&mut s, typing("peer"));
        assert!(room(&s).peer_typing(T0));
        assert!(!room(&s).peer_typing(T0 + TYPING_SHOWS_MS + 1.0));
        event(
            &mut s,
            RoomEvent::Message {
                room_id: ROOM.into(),
                message: msg(1, "peer", "x"),
                nonce: None,
            },
        );
        assert!(!room(&s).peer_typing(T0));
    }

    #[test]
    fn presence_and_connection_drive_the_composer() {
        let mut s = in_room();
        assert_eq!(
            room(&s).composer_blocked().as_deref(),
            Some("Connecting to the room…")
        );
        assert!(room(&s).peer().is_none());
        let connection = |state| RoomEvent::Connection {
            room_id: ROOM.into(),
            state,
        };
        event(&mut s, connection(Connection::Online));
        assert_eq!(room(&s).composer_blocked(), None);
        event(
            &mut s,
            RoomEvent::Presence {
                room_id: ROOM.into(),
                members: vec![member("me", true), member("peer", true)],
            },
        );
        assert!(room(&s).peer().unwrap().online);
        event(&mut s, connection(Connection::Reconnecting));
        assert_eq!(
            room(&s).composer_blocked().as_deref(),
            Some("Connection lost. Reconnecting…")
        );
    }

    #[test]
    fn nothing_is_sent_before_the_room_is_secured_or_after_it_failed() {
        let mut s = in_room();
        let online = RoomEvent::Connection {
            room_id: ROOM.into(),
            state: Connection::Online,
        };
        event(&mut s, online);
        let security = |security| RoomEvent::Security {
            room_id: ROOM.into(),
            security,
        };
        event(&mut s, security(Security::Waiting));
        assert!(room(&s)
            .composer_blocked()
            .unwrap()
            .contains("Waiting for someone"));
        assert_eq!(room(&s).safety_code(), None);
        let mut peer = member("peer", true);
        peer.name = String::new();
        event(
            &mut s,
            RoomEvent::Presence {
                room_id: ROOM.into(),
                members: vec![member("me", true), peer],
            },
        );
        assert_eq!(
            room(&s).composer_blocked().as_deref(),
            Some("Securing the room with The other person's app…")
        );
        event(&mut s, security(secured()));
        assert_eq!(room(&s).composer_blocked(), None);
        assert_eq!(room(&s).safety_code(), Some("123 456"));
        let reason = "could not be verified".to_string();
        event(
            &mut s,
            security(Security::Failed {
                reason: reason.clone(),
            }),
        );
        assert_eq!(room(&s).composer_blocked(), Some(reason));
        assert_eq!(room(&s).safety_code(), None);
    }

    #[test]
    fn an_unverified_message_is_kept_in_place_without_text() {
        let mut s = in_room();
        let mut bad = msg(2, "peer", "");
        bad.text = None;
        for m in [msg(1, "peer", "one"), bad, msg(3, "peer", "three")] {
            event(
                &mut s,
                RoomEvent::Message {
                    room_id: ROOM.into(),
                    message: m,
                    nonce: None,
                },
            );
        }
        let texts: Vec<_> = room(&s).messages.iter().map(|m| m.text.clone()).collect();
        assert_eq!(texts, [Some("one".into()), None, Some("three".into())]);
    }

    #[test]
    fn the_end_of_a_room_returns_to_the_lobby_with_its_notice() {
        for notice in [
            Notice::DestroyedByYou,
            Notice::DestroyedByPeer,
            Notice::Expired,
        ] {
            let mut s = in_room();
            ended(&mut s, notice);
            assert_eq!(s.screen, Screen::Lobby);
            assert_eq!(s.notice, Some(notice));
            s.apply(Action::DismissNotice);
            assert_eq!(s.notice, None);
        }
    }

    #[test]
    fn entering_ends_busy_and_late_events_of_a_left_room_are_ignored() {
        let mut s = in_room();
        assert!(!s.busy);
        ended(&mut s, Notice::Expired);
        // Late events of the room just left change nothing.
        event(
            &mut s,
            RoomEvent::Message {
                room_id: ROOM.into(),
                message: msg(1, "x", "y"),
                nonce: None,
            },
        );
        ended(&mut s, Notice::DestroyedByPeer);
        assert_eq!(s.screen, Screen::Lobby);
        assert_eq!(s.notice, Some(Notice::Expired));
        // Another room's events do not touch the room on screen.
        let mut s = in_room();
        let other = "00000000-0000-4000-8000-000000000000".to_string();
        event(
            &mut s,
            RoomEvent::Ended {
                room_id: other.clone(),
                notice: Notice::Expired,
            },
        );
        event(
            &mut s,
            RoomEvent::Message {
                room_id: other,
                message: msg(1, "x", "y"),
                nonce: None,
            },
        );
        assert!(room(&s).messages.is_empty());
    }

    #[test]
    fn lobby_errors_become_notices_or_text() {
        let mut s = in_room();
        ended(&mut s, Notice::Expired);
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
        // A start from an invite that fails leaves the loading screen.
        let mut s = State::default();
        s.apply(Action::EnterFailed(CommandError {
            notice: Some(Notice::InvalidInvite),
            message: "bad".into(),
        }));
        assert_eq!(s.screen, Screen::Lobby);
    }

    #[test]
    fn settings_open_from_the_lobby_and_switch_the_server() {
        let mut s = State::default();
        s.apply(Action::OpenSettings);
        assert_eq!(s.screen, Screen::Loading, "not before boot");
        s.apply(Action::Booted(boot(false, Some(Notice::Expired))));
        s.apply(Action::OpenSettings);
        assert_eq!(s.screen, Screen::Settings);
        assert_eq!(s.notice, None);
        s.apply(Action::CloseSettings);
        assert_eq!(s.screen, Screen::Lobby);
        s.apply(Action::OpenSettings);
        let there = ServerInfo {
            settings: ServerSettings::Server {
                url: "https://chat.example.org".into(),
            },
            url: "https://chat.example.org".into(),
            network_port: None,
        };
        s.apply(Action::SettingsSaved(there.clone()));
        assert_eq!(s.screen, Screen::Lobby);
        assert_eq!(s.server, Some(there));
        // Not from a room.
        let mut s = in_room();
        s.apply(Action::OpenSettings);
        assert!(s.room().is_some());
    }

    #[test]
    fn a_declined_join_ends_busy_and_changes_nothing_else() {
        let mut s = in_room();
        s.apply(Action::Busy);
        s.apply(Action::EnterCancelled);
        assert!(!s.busy);
        assert!(s.room().is_some());
    }

    #[test]
    fn destroy_flow_and_copy_feedback() {
        let mut s = in_room();
        s.apply(Action::Room(RoomAction::Copied { now_ms: T0 }));
        assert!(room(&s).copied(T0));
        assert!(!room(&s).copied(T0 + COPIED_SHOWS_MS + 1.0));
        s.apply(Action::Room(RoomAction::DestroyAsked));
        assert!(room(&s).destroying);
        s.apply(Action::Room(RoomAction::DestroyCancelled));
        assert!(!room(&s).destroying);
        s.apply(Action::Room(RoomAction::DestroyAsked));
        s.apply(Action::DestroyFailed("server unreachable".into()));
        assert!(!room(&s).destroying);
        assert_eq!(s.error.as_deref(), Some("server unreachable"));
    }
}
