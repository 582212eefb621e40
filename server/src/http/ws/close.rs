//! How a socket ends: the one place that picks a close code, from a typed
//! reason, never from an error's text.

use private_chat_protocol::{close, ErrorCode};
use tungstenite::error::{CapacityError, Error as WsError};

use crate::error::Error;

/// A close frame to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Close {
    pub code: u16,
    pub reason: &'static str,
}

impl Close {
    pub const DESTROYED: Self = Self::new(close::ROOM_DESTROYED, "room destroyed");
    pub const EXPIRED: Self = Self::new(close::ROOM_EXPIRED, "room expired");
    pub const GONE: Self = Self::new(close::ROOM_GONE, "room gone");
    pub const SHUTDOWN: Self = Self::new(close::SERVICE_RESTART, "server draining; reconnect");
    pub const SILENT: Self = Self::new(close::GOING_AWAY, "no answer to pings");
    pub const LAGGED: Self = Self::new(
        close::TRY_AGAIN_LATER,
        "fell behind; reconnect and catch up",
    );
    pub const STORE: Self = Self::new(close::INTERNAL_ERROR, "store unavailable");
    pub const TOO_BIG: Self = Self::new(close::MESSAGE_TOO_BIG, "frame too large");
    pub const PROTOCOL: Self = Self::new(close::PROTOCOL_ERROR, "protocol error");
    pub const NOT_UTF8: Self = Self::new(close::INVALID_DATA, "text frame not UTF-8");

    const fn new(code: u16, reason: &'static str) -> Self {
        Self { code, reason }
    }

    /// The close an error of a client frame ends the socket with, if any: a
    /// room that is gone ends it; any other refusal is an `error` frame and
    /// the socket stays open.
    pub fn for_frame_error(e: &Error) -> Option<Self> {
        (e.code == ErrorCode::RoomNotFound).then_some(Self::GONE)
    }

    /// The close when the session cannot start: the room is gone, or the
    /// store failed (the client retries later).
    pub fn for_start_error(e: &Error) -> Self {
        Self::for_frame_error(e).unwrap_or(Self::STORE)
    }

    /// The close for a failed read: too large a message or frame is 1009,
    /// a text frame that is not UTF-8 is 1007; anything else broke the
    /// protocol (1002).
    pub fn for_read_error(e: &axum::Error) -> Self {
        let inner = std::error::Error::source(e).and_then(|s| s.downcast_ref::<WsError>());
        match inner {
            Some(WsError::Capacity(CapacityError::MessageTooLong { .. })) => Self::TOO_BIG,
            Some(WsError::Utf8(_)) => Self::NOT_UTF8,
            _ => Self::PROTOCOL,
        }
    }
}
