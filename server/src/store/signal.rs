//! Signals a room's sockets exchange through the store.

use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use axum::extract::ws::Utf8Bytes;
use private_chat_protocol::Message;
use serde::{Deserialize, Serialize};

/// What one instance tells every socket of a room. On Redis this is the JSON
/// payload of the room's pub/sub channel, so its shape is part of the
/// contract between server instances (see docs/protocol.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RoomSignal {
    /// A message was stored.
    Message {
        /// Shared with the store's copy (memory store).
        message: Arc<Message>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nonce: Option<String>,
    },
    /// A member is typing.
    Typing { member_id: String },
    /// Seats or online counts changed: listeners re-read the room, so the
    /// latest state wins however signals interleave.
    PresenceChanged,
    /// A member destroyed the room.
    Destroyed { by: String },
    /// Local to one instance, never on the wire: it may have missed signals
    /// of the room (its pub/sub connection dropped), so its sockets close
    /// with "try again later" and their clients catch up with `?after=`.
    #[serde(skip)]
    Missed,
}

/// Signals are shared by every local listener of a room.
pub type SignalRef = Arc<Shared>;

/// One signal as a room's local sockets share it: the frame it becomes is
/// made once, by the first socket that forwards it, not once per socket.
#[derive(Debug)]
pub struct Shared {
    signal: RoomSignal,
    frame: OnceLock<Utf8Bytes>,
}

impl Shared {
    pub fn new(signal: RoomSignal) -> SignalRef {
        Arc::new(Self {
            signal,
            frame: OnceLock::new(),
        })
    }

    /// A signal whose frame is known already (a Redis payload that is the
    /// frame itself).
    pub fn with_frame(signal: RoomSignal, frame: Utf8Bytes) -> SignalRef {
        Arc::new(Self {
            signal,
            frame: OnceLock::from(frame),
        })
    }

    /// The socket frame of this signal, made by `make` the first time.
    pub fn frame(&self, make: impl FnOnce() -> Utf8Bytes) -> Utf8Bytes {
        self.frame.get_or_init(make).clone()
    }
}

impl Deref for Shared {
    type Target = RoomSignal;

    fn deref(&self) -> &RoomSignal {
        &self.signal
    }
}

impl RoomSignal {
    /// The wire form published on Redis.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a RoomSignal always serializes")
    }
}
