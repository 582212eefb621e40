//! Bodies of the REST routes under `/api`.

use serde::{Deserialize, Serialize};

/// `POST /api/rooms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRoomRequest {
    /// Display name of the creator; opaque to the server.
    pub name: String,
    /// Lifetime of the room; the server's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_secs: Option<u64>,
}

/// `POST /api/rooms/{room_id}/join`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinRoomRequest {
    /// Display name of the joiner; opaque to the server.
    pub name: String,
}

/// A seat in a room, returned by create and join.
///
/// `token` is the bearer secret of this seat: whoever holds it is this member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub room_id: String,
    pub member_id: String,
    pub token: String,
    /// Milliseconds until the room self-destructs, by the server's clock.
    pub expires_in_ms: u64,
}

/// One of the (at most two) members of a room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub member_id: String,
    pub name: String,
    /// Whether the member has at least one open WebSocket.
    pub online: bool,
}

/// `GET /api/rooms/{room_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomInfo {
    pub room_id: String,
    pub expires_in_ms: u64,
    /// Seat order: the creator first.
    pub members: Vec<Member>,
}

/// A chat message. `id`s are unique within a room and grow in send order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: u64,
    pub member_id: String,
    pub name: String,
    /// Opaque text: clients may put ciphertext here.
    pub body: String,
    /// Server time of storage, Unix epoch milliseconds (display only).
    pub sent_at_ms: u64,
}

/// `POST /api/rooms/{room_id}/messages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendMessageRequest {
    pub body: String,
    /// Optional, at most 64 bytes: names this send, so that sending it
    /// again (after a lost answer) returns the stored message instead of
    /// storing a second copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

/// `GET /api/rooms/{room_id}/messages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageList {
    /// Oldest first.
    pub messages: Vec<Message>,
}

/// `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// `"ok"` or `"unavailable"`.
    pub status: String,
    /// `"memory"` or `"redis"`.
    pub backend: String,
}
