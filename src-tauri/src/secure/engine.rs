//! The end-to-end state of one open room: it reads every stored message in
//! id order, runs the key exchange, opens sealed frames and seals texts.
//! No network I/O: it says what to post, the room session posts it.
//!
//! Which exchange a frame belongs to: the creator may make a new offer
//! after a restart (its ephemeral key was never stored), and the joiner
//! answers the newest offer. `exchange` is the id of the message the keys
//! came from (the answer, for the creator; the offer, for the joiner), and
//! sealed frames stored before it belong to an older exchange: skipped.

use std::collections::HashMap;

use private_chat_crypto::{answer, CryptoError, Frame, Offer, Order, Plain, Role, RoomKeys};
use private_chat_protocol::app::{ChatMessage, Security};
use private_chat_protocol::{Member, Message};

use super::keyfile::{KeyFile, Saved};

/// Counters reserved in the key file at a time, so that not every message
/// writes it; a restart skips the unused rest (gaps are allowed).
const RESERVE: u64 = 32;

/// What reading one message asks of the session.
#[derive(Debug, Default)]
pub struct Step {
    /// A message to show (a text, or one that could not be verified).
    pub show: Option<ChatMessage>,
    /// Bodies to post, in order (handshake frames, the name).
    pub post: Vec<String>,
    /// The security state or a name changed: tell the UI.
    pub changed: bool,
}

/// Why the exchange failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// This app could not verify the other's handshake frame.
    Unverified,
    /// The other app said it could not verify ours.
    PeerRefused,
}

pub struct Engine {
    room_id: String,
    me: String,
    /// This app's display name, sent sealed once the keys are agreed.
    name: String,
    file: KeyFile,
    saved: Saved,
    /// The creator's offer waiting for its answer, with its noise bytes (to
    /// recognise it in the history) and its id once seen.
    offer: Option<(Offer, Vec<u8>, Option<u64>)>,
    failed: Option<Failure>,
    /// A frame of the other app opened with our keys: they hold them too.
    confirmed: bool,
    order: Order,
    names: HashMap<String, String>,
    /// This app's name went out (or is in the history).
    hello_sent: bool,
    next: u64,
}

impl Engine {
    /// The engine of a room whose key file exists.
    pub fn load(file: KeyFile, me: &str, name: &str) -> Result<Self, String> {
        let saved = file.load()?;
        Ok(Self {
            room_id: file.room_id().to_owned(),
            me: me.to_owned(),
            name: name.to_owned(),
            next: saved.counter,
            file,
            saved,
            offer: None,
            failed: None,
            confirmed: false,
            order: Order::default(),
            names: HashMap::new(),
            hello_sent: false,
        })
    }

    pub fn role(&self) -> Role {
        self.saved.role
    }

    /// The invite secret, for the link (fragment form).
    pub fn fragment(&self) -> zeroize::Zeroizing<String> {
        self.saved.secret.to_fragment()
    }

    pub fn failure(&self) -> Option<Failure> {
        self.failed
    }

    /// Where the exchange stands, as the UI shows it.
    pub fn security(&self) -> Security {
        match (&self.failed, &self.saved.keys) {
            (Some(failure), _) => Security::Failed {
                reason: reason(*failure).into(),
            },
            (None, Some(keys)) if self.confirmed || self.role() == Role::Creator => {
                Security::Secured {
                    safety_code: keys.safety_code(),
                }
            }
            _ => Security::Waiting,
        }
    }

    /// The name `member_id`'s app sent (empty while unknown).
    pub fn name_of(&self, member_id: &str) -> String {
        self.names.get(member_id).cloned().unwrap_or_default()
    }

    /// The room ended: its key file goes (the keys in memory go with the
    /// engine, wiped on drop).
    pub fn forget(&self) {
        self.file.delete();
    }

    /// Members with the names their apps sent (empty while unknown).
    pub fn members(&self, mut members: Vec<Member>) -> Vec<Member> {
        for m in &mut members {
            m.name = self.name_of(&m.member_id);
        }
        members
    }

    /// After the history was read: what to post to go on (a new offer for
    /// a creator without keys, this app's name if it did not go out).
    pub fn resume(&mut self) -> Step {
        let mut step = Step::default();
        if self.failed.is_some() {
            return step;
        }
        match (&self.saved.keys, self.role()) {
            (None, Role::Creator) if self.offer.is_none() => {
                match Offer::new(&self.saved.secret, &self.room_id) {
                    Ok((offer, frame)) => {
                        let Frame::Offer { noise } = &frame else {
                            unreachable!()
                        };
                        self.offer = Some((offer, noise.clone(), None));
                        step.post.push(frame.encode());
                    }
                    Err(e) => tracing::error!("cannot make an offer: {e}"),
                }
            }
            (Some(_), _) if !self.hello_sent => self.hello(&mut step),
            _ => {}
        }
        step
    }

    /// Reads one stored message (in id order, each once).
    pub fn receive(&mut self, m: &Message) -> Step {
        let mut step = Step::default();
        let mine = m.member_id == self.me;
        let frame = match Frame::parse(&m.body) {
            Ok(frame) => frame,
            Err(_) => {
                step.show = Some(self.unverified(m));
                return step;
            }
        };
        match frame {
            Frame::Offer { noise } => {
                if mine {
                    if let Some((_, ours, id)) = &mut self.offer {
                        if *ours == noise {
                            *id = Some(m.id);
                        }
                    }
                } else if self.role() == Role::Joiner {
                    self.on_offer(m.id, &noise, &mut step);
                }
            }
            Frame::Answer { offer_id, noise } => {
                if !mine && self.role() == Role::Creator {
                    self.on_answer(m.id, offer_id, &noise, &mut step);
                }
            }
            Frame::Abort { .. } => {
                if self.failed.is_none() {
                    self.failed = Some(if mine {
                        Failure::Unverified
                    } else {
                        Failure::PeerRefused
                    });
                    step.changed = true;
                }
            }
            Frame::Sealed {
                counter,
                ciphertext,
            } => {
                if m.id < self.saved.exchange {
                    // Sealed for an older exchange.
                    return step;
                }
                let Some(keys) = &self.saved.keys else {
                    step.show = Some(self.unverified(m));
                    return step;
                };
                let opened = keys
                    .open(&self.room_id, mine, counter, &ciphertext)
                    .and_then(|plain| self.order.accept(mine, counter).map(|()| plain));
                match opened {
                    Ok(Plain::Hello { name }) => {
                        if mine {
                            self.hello_sent = true;
                        } else {
                            self.confirmed = true;
                        }
                        // A name that would hide, reorder or imitate is not
                        // shown: the UI says "the other person" instead.
                        match crate::names::shown(&name) {
                            Some(name) => self.names.insert(m.member_id.clone(), name),
                            None => self.names.remove(&m.member_id),
                        };
                        step.changed = true;
                    }
                    Ok(Plain::Text { text }) => {
                        if !mine && !self.confirmed {
                            self.confirmed = true;
                            step.changed = true;
                        }
                        step.show = Some(self.chat(m, Some(text)));
                    }
                    Err(e) => {
                        tracing::warn!(room_id = %self.room_id, id = m.id, "message not verified: {e}");
                        step.show = Some(self.unverified(m));
                    }
                }
            }
        }
        step
    }

    /// Seals a text to send; refused until the exchange is done.
    pub fn seal_text(&mut self, text: &str) -> Result<String, String> {
        match self.security() {
            Security::Secured { .. } => {}
            Security::Waiting => {
                return Err("The room is not secured yet: wait for the other person's app.".into())
            }
            Security::Failed { reason } => return Err(reason),
        }
        self.seal(Plain::Text { text: text.into() })
            .ok_or_else(|| "That message is too long.".into())
    }

    fn seal(&mut self, plain: Plain) -> Option<String> {
        if self.next >= self.saved.counter {
            self.saved.counter = self.next + RESERVE;
            if let Err(e) = self.file.save(&self.saved) {
                tracing::error!("cannot keep the room's counter: {e}");
                return None;
            }
        }
        let keys = self.saved.keys.as_ref()?;
        let frame = keys.seal(&self.room_id, self.next, &plain)?;
        self.next += 1;
        Some(frame.encode())
    }

    /// The joiner reads the creator's offer stored as message `id`. Once
    /// the creator confirmed the keys, a later offer can only be a replay
    /// by the server: ignored, so it cannot make the joiner re-key.
    fn on_offer(&mut self, id: u64, noise: &[u8], step: &mut Step) {
        if self.failed.is_some() || id <= self.saved.exchange || self.confirmed {
            return;
        }
        match answer(&self.saved.secret, &self.room_id, id, noise) {
            Ok((keys, frame)) => {
                self.adopt(keys, id, step);
                step.post.push(frame.encode());
                self.hello(step);
            }
            Err(e) => self.refuse(id, e, step),
        }
    }

    /// The creator reads the joiner's answer (message `id`) to an offer.
    fn on_answer(&mut self, id: u64, offer_id: u64, noise: &[u8], step: &mut Step) {
        if self.failed.is_some() || self.saved.keys.is_some() {
            return;
        }
        // An answer to an older offer: the joiner answers the newer one.
        if self.offer.as_ref().and_then(|o| o.2) != Some(offer_id) {
            return;
        }
        let (offer, _, _) = self.offer.take().expect("checked above");
        match offer.accept(noise) {
            Ok(keys) => {
                self.adopt(keys, id, step);
                self.hello(step);
            }
            Err(e) => self.refuse(offer_id, e, step),
        }
    }

    /// Keeps new keys, in the key file first (before anything is sealed).
    fn adopt(&mut self, keys: RoomKeys, exchange: u64, step: &mut Step) {
        self.saved.keys = Some(keys);
        self.saved.exchange = exchange;
        self.order = Order::default();
        self.confirmed = false;
        self.hello_sent = false;
        self.names.retain(|member, _| *member == self.me);
        if let Err(e) = self.file.save(&self.saved) {
            tracing::error!("cannot keep the room's keys: {e}");
        }
        step.changed = true;
    }

    fn hello(&mut self, step: &mut Step) {
        let name = Plain::Hello {
            name: self.name.clone(),
        };
        if let Some(body) = self.seal(name) {
            self.hello_sent = true;
            self.names.insert(self.me.clone(), self.name.clone());
            step.post.push(body);
        }
    }

    fn refuse(&mut self, offer_id: u64, e: CryptoError, step: &mut Step) {
        tracing::warn!(room_id = %self.room_id, "key exchange not verified: {e}");
        self.failed = Some(Failure::Unverified);
        step.post.push(Frame::Abort { offer_id }.encode());
        step.changed = true;
    }

    fn chat(&self, m: &Message, text: Option<String>) -> ChatMessage {
        ChatMessage {
            id: m.id,
            member_id: m.member_id.clone(),
            name: self.name_of(&m.member_id),
            text,
            sent_at_ms: m.sent_at_ms,
        }
    }

    fn unverified(&self, m: &Message) -> ChatMessage {
        self.chat(m, None)
    }
}

/// The sentence of a failed exchange.
pub fn reason(failure: Failure) -> &'static str {
    match failure {
        Failure::Unverified => "This room's key exchange could not be verified: it was changed on the way, or the invite's key is wrong. Nothing can be sent here. Destroy the room and start again with a new invite.",
        Failure::PeerRefused => "The other person's app could not verify this room's key exchange: it was changed on the way, or their invite's key is wrong. Nothing can be sent here. Destroy the room and start again with a new invite.",
    }
}
