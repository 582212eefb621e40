//! The contract between the desktop shell (Rust) and its UI (wasm), over
//! Tauri's IPC: what commands return and what events the shell pushes.
//! Not a network protocol: it never leaves the app.

use serde::{Deserialize, Serialize};

use crate::error::ErrorCode;
use crate::http::{Member, Message};

/// Event name the shell emits [`RoomEvent`]s under.
pub const ROOM_EVENT: &str = "room-event";
/// Event carrying an invite link opened from outside (a string).
pub const OPEN_INVITE_EVENT: &str = "open-invite";

/// What the UI needs at start-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bootstrap {
    /// The anonymous display name, kept in app storage.
    pub name: String,
    /// The room server in use.
    pub server_url: String,
    /// Whether that server runs inside this app (rooms end when it quits).
    pub embedded: bool,
    /// The room this app was in, when it is still alive.
    pub room: Option<RoomView>,
    /// A notice to show, for instance why a saved room could not be resumed.
    pub notice: Option<Notice>,
    /// An invite link the app was started with, to join now.
    pub invite: Option<String>,
}

/// An open room, as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomView {
    pub room_id: String,
    pub member_id: String,
    /// The link to share (`privchat://room/...`).
    pub invite: String,
    pub expires_in_ms: u64,
    pub members: Vec<Member>,
    pub messages: Vec<Message>,
}

/// Why the app is back in the lobby, or what went wrong there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    RoomNotFound,
    RoomFull,
    DestroyedByYou,
    DestroyedByPeer,
    Expired,
    ServerUnreachable,
    InvalidInvite,
}

impl Notice {
    /// The sentence shown to people.
    pub fn text(self) -> &'static str {
        match self {
            Self::RoomNotFound => "Room not found. It may have expired or been destroyed.",
            Self::RoomFull => "That room is full: it already has two people.",
            Self::DestroyedByYou => "Room destroyed. Every message is gone.",
            Self::DestroyedByPeer => "The other person destroyed the room. Every message is gone.",
            Self::Expired => "Room expired. Every message is gone.",
            Self::ServerUnreachable => {
                "The room server cannot be reached. Check your connection and try again."
            }
            Self::InvalidInvite => {
                "That invite is not valid. Paste a privchat:// link or a room code."
            }
        }
    }

    /// The notice for a server error code, where one fits.
    pub fn from_error(code: ErrorCode) -> Option<Self> {
        match code {
            ErrorCode::RoomNotFound => Some(Self::RoomNotFound),
            ErrorCode::RoomFull => Some(Self::RoomFull),
            ErrorCode::InvalidRoomId => Some(Self::InvalidInvite),
            ErrorCode::StoreUnavailable => Some(Self::ServerUnreachable),
            _ => None,
        }
    }
}

/// The error every command returns: a notice for the lobby when one fits,
/// and a sentence either way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandError {
    pub notice: Option<Notice>,
    pub message: String,
}

/// State of the room's socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Connection {
    Connecting,
    Online,
    /// Lost; the shell is retrying with backoff.
    Reconnecting,
}

/// What the shell pushes to the UI. Each carries its room, so events of a
/// room the UI already left are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RoomEvent {
    Connection {
        room_id: String,
        state: Connection,
    },
    Presence {
        room_id: String,
        members: Vec<Member>,
    },
    Message {
        room_id: String,
        message: Message,
        nonce: Option<String>,
    },
    Typing {
        room_id: String,
        member_id: String,
    },
    /// The server refused a message this app sent.
    SendFailed {
        room_id: String,
        nonce: Option<String>,
        message: String,
    },
    /// The deadline as re-read after a reconnect.
    Deadline {
        room_id: String,
        expires_in_ms: u64,
    },
    /// The room is over; the UI returns to the lobby with the notice.
    Ended {
        room_id: String,
        notice: Notice,
    },
}

impl RoomEvent {
    pub fn room_id(&self) -> &str {
        match self {
            Self::Connection { room_id, .. }
            | Self::Presence { room_id, .. }
            | Self::Message { room_id, .. }
            | Self::Typing { room_id, .. }
            | Self::SendFailed { room_id, .. }
            | Self::Deadline { room_id, .. }
            | Self::Ended { room_id, .. } => room_id,
        }
    }
}
