//! The room being shown: members, messages, drafts, countdown and the
//! transient hints (typing, "Copied"). A pure reducer: time comes in with
//! the actions that need it, and the clock that reads it is a hook.

use std::rc::Rc;

use private_chat_protocol::app::{ChatMessage, Connection, RoomEvent, RoomView, Security};
use private_chat_protocol::Member;

/// How long "is typing…" stays after the last typing signal.
pub const TYPING_SHOWS_MS: f64 = 3_000.0;
/// How long "Copied" stays after the copy button.
pub const COPIED_SHOWS_MS: f64 = 1_500.0;
/// The countdown turns red below this.
pub const WARN_BELOW_MS: f64 = 60_000.0;

/// A message this app sent that the server has not echoed yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub nonce: String,
    pub body: String,
    pub failed: Option<String>,
}

/// What happens to a room besides the shell's events.
#[derive(Debug, Clone, PartialEq)]
pub enum RoomAction {
    Sending { nonce: String, body: String },
    SendRejected { nonce: String, message: String },
    Copied { now_ms: f64 },
    DestroyAsked,
    DestroyCancelled,
    DestroyFailed,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Room {
    pub room_id: String,
    pub member_id: String,
    pub invite: String,
    /// The invite's QR code (SVG markup from the shell); shared, as it is
    /// copied with the state at every action.
    pub invite_qr: Rc<str>,
    /// Local-clock time of the self-destruct, from the server's `expires_in_ms`.
    pub deadline_ms: f64,
    /// When the deadline was last set. A component's clock may lag behind an
    /// event's stamp; counting from before this would show more time than
    /// the server gave.
    pub deadline_set_ms: f64,
    pub members: Vec<Member>,
    /// Stored messages, by id, without duplicates; shared, so that copying
    /// the state (every action does) does not copy them.
    pub messages: Rc<Vec<ChatMessage>>,
    pub pending: Vec<Pending>,
    /// The end-to-end key exchange: nothing is sent before it is done.
    pub security: Security,
    pub connection: Connection,
    pub peer_typing_until: Option<f64>,
    pub copied_until: Option<f64>,
    /// The destroy confirmation is open or the destroy is under way.
    pub destroying: bool,
}

/// What an event asks of the screen around the room.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Stay,
    /// A failure with no draft to show it on.
    Error(String),
}

impl Room {
    pub fn new(view: RoomView, now_ms: f64) -> Self {
        let mut messages = view.messages;
        messages.sort_by_key(|m| m.id);
        messages.dedup_by_key(|m| m.id);
        Self {
            room_id: view.room_id,
            member_id: view.member_id,
            invite: view.invite,
            invite_qr: view.invite_qr.into(),
            deadline_ms: now_ms + view.expires_in_ms as f64,
            deadline_set_ms: now_ms,
            members: view.members,
            messages: Rc::new(messages),
            pending: Vec::new(),
            security: view.security,
            connection: Connection::Connecting,
            peer_typing_until: None,
            copied_until: None,
            destroying: false,
        }
    }

    fn add_message(&mut self, message: ChatMessage) {
        if let Err(at) = self.messages.binary_search_by_key(&message.id, |m| m.id) {
            Rc::make_mut(&mut self.messages).insert(at, message);
        }
    }

    fn draft(&mut self, nonce: &str) -> Option<&mut Pending> {
        self.pending.iter_mut().find(|p| p.nonce == nonce)
    }

    /// Applies one action of the person.
    pub fn apply(&mut self, action: RoomAction) {
        match action {
            RoomAction::Sending { nonce, body } => self.pending.push(Pending {
                nonce,
                body,
                failed: None,
            }),
            RoomAction::SendRejected { nonce, message } => {
                if let Some(p) = self.draft(&nonce) {
                    p.failed = Some(message);
                }
            }
            RoomAction::Copied { now_ms } => self.copied_until = Some(now_ms + COPIED_SHOWS_MS),
            RoomAction::DestroyAsked => self.destroying = true,
            RoomAction::DestroyCancelled | RoomAction::DestroyFailed => self.destroying = false,
        }
    }

    /// Applies one event of this room (not `entered` or `ended`, which the
    /// screen around it handles).
    pub fn on_event(&mut self, event: RoomEvent, now_ms: f64) -> Outcome {
        match event {
            RoomEvent::Connection { state, .. } => self.connection = state,
            RoomEvent::Presence { members, .. } => self.members = members,
            RoomEvent::Message { message, nonce, .. } => {
                match nonce {
                    Some(nonce) => self.pending.retain(|p| p.nonce != nonce),
                    // Caught up after a reconnect, the echo's nonce is lost:
                    // settle the oldest draft with the same text.
                    None if message.member_id == self.member_id => {
                        if let Some(at) = self
                            .pending
                            .iter()
                            .position(|p| Some(&p.body) == message.text.as_ref())
                        {
                            self.pending.remove(at);
                        }
                    }
                    None => {}
                }
                if message.member_id != self.member_id {
                    self.peer_typing_until = None;
                }
                self.add_message(message);
            }
            RoomEvent::Security { security, .. } => self.security = security,
            RoomEvent::Typing { member_id, .. } => {
                if member_id != self.member_id {
                    self.peer_typing_until = Some(now_ms + TYPING_SHOWS_MS);
                }
            }
            RoomEvent::SendFailed { nonce, message, .. } => {
                match nonce.and_then(|n| self.draft(&n)) {
                    Some(p) => p.failed = Some(message),
                    None => return Outcome::Error(message),
                }
            }
            RoomEvent::Deadline { expires_in_ms, .. } => {
                self.deadline_ms = now_ms + expires_in_ms as f64;
                self.deadline_set_ms = now_ms;
            }
            RoomEvent::Entered { .. } | RoomEvent::Ended { .. } => {}
        }
        Outcome::Stay
    }

    /// Milliseconds left: never negative, never more than the server said.
    pub fn remaining_ms(&self, now_ms: f64) -> f64 {
        (self.deadline_ms - now_ms.max(self.deadline_set_ms)).max(0.0)
    }

    /// The countdown as `mm:ss`, rounded up so it reads 00:00 only at the end.
    pub fn countdown(&self, now_ms: f64) -> String {
        let secs = (self.remaining_ms(now_ms) / 1000.0).ceil() as u64;
        format!("{:02}:{:02}", secs / 60, secs % 60)
    }

    pub fn warning(&self, now_ms: f64) -> bool {
        self.remaining_ms(now_ms) < WARN_BELOW_MS
    }

    /// The window title while in the room: the countdown and a short room id.
    pub fn title(&self, now_ms: f64) -> String {
        format!(
            "{} · room {} · private_chat",
            self.countdown(now_ms),
            self.short_id()
        )
    }

    /// The first characters of the room id (all of it, if it is short).
    pub fn short_id(&self) -> &str {
        let end = self
            .room_id
            .char_indices()
            .nth(8)
            .map_or(self.room_id.len(), |(i, _)| i);
        &self.room_id[..end]
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

    /// The other member's name, or how to call them while it is unknown.
    pub fn peer_name(&self) -> Option<String> {
        self.peer().map(|p| display_name(&p.name))
    }

    /// The safety code, once the keys are agreed.
    pub fn safety_code(&self) -> Option<&str> {
        match &self.security {
            Security::Secured { safety_code } => Some(safety_code),
            _ => None,
        }
    }

    /// Why the composer is disabled, if it is.
    pub fn composer_blocked(&self) -> Option<String> {
        match &self.security {
            Security::Failed { reason } => return Some(reason.clone()),
            Security::Waiting if self.peer().is_none() => {
                return Some(
                    "Waiting for someone to join. Nothing is sent before the room is secured."
                        .into(),
                )
            }
            Security::Waiting => {
                return Some(format!(
                    "Securing the room with {}'s app…",
                    self.peer_name().unwrap_or_default()
                ))
            }
            Security::Secured { .. } => {}
        }
        match self.connection {
            Connection::Online => None,
            Connection::Connecting => Some("Connecting to the room…".into()),
            Connection::Reconnecting => Some("Connection lost. Reconnecting…".into()),
        }
    }
}

/// A name to show: the one the member's app sent, or a stand-in until it
/// comes (names travel encrypted, after the key exchange).
pub fn display_name(name: &str) -> String {
    if name.is_empty() {
        "The other person".into()
    } else {
        name.into()
    }
}
