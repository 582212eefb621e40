//! Where rooms live: one trait, two backends.
//!
//! A [`Store`] keeps rooms, seats, messages and presence counts, and carries
//! each room's realtime [`RoomSignal`]s between every server instance that
//! has a socket in the room. The in-memory backend does both in-process;
//! the Redis backend keeps data under TTLs and fans signals out over pub/sub,
//! so several instances can share one Redis.
//!
//! Every operation that must be atomic (take the second seat, append a
//! message under the room's limit, destroy a room and announce it) is one
//! call here, so neither backend can interleave half of it.

pub mod measured;
pub mod memory;
pub(crate) mod queue;
pub mod redis;
mod redis_args;
pub mod redis_conn;
pub mod redis_shard;
mod room_ids;

/// How often an open socket renews its count's lease (well inside
/// [`redis::SOCKET_LEASE`]).
pub const LEASE_RENEW_EVERY: std::time::Duration = std::time::Duration::from_secs(20);
mod signal;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use private_chat_protocol::Message;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use queue::{Delivery, Interrupt, Own, OwnFrames, Subscription, WriterGone, SIGNAL_BUFFER};
pub use room_ids::RoomMap;
pub use signal::{RoomSignal, Shared, SignalRef};

/// One seat of a room as stored: never the token itself, only its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRecord {
    pub member_id: String,
    pub name: String,
    pub token_digest: String,
}

impl MemberRecord {
    /// The seat as its messages name it.
    pub fn author(&self) -> Author {
        Author {
            member_id: self.member_id.clone(),
            name: self.name.clone(),
        }
    }
}

/// Who wrote a message: what a stored message names of its seat, and all
/// an append needs of it (never the token's digest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub member_id: String,
    pub name: String,
}

/// A room as read from the store.
#[derive(Debug, Clone)]
pub struct RoomSnapshot {
    /// Seat order: the creator first.
    pub members: Vec<MemberRecord>,
    /// Open sockets per member, in seat order.
    pub online: Vec<usize>,
    /// Time left, by the store's clock.
    pub expires_in: Duration,
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StoreError {
    #[error("the room does not exist (never created, expired or destroyed)")]
    NotFound,
    #[error("both seats of the room are taken")]
    Full,
    #[error("the room holds its maximum number of messages")]
    MessageLimit,
    #[error("the member holds its maximum number of open sockets")]
    TooManySockets,
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
}

/// What an append did: the message, and whether it was a retry of one
/// stored before (same member, same nonce).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// Shared with the store's copy and the room's signal (memory store).
    pub message: Arc<Message>,
    pub retry: bool,
}

impl std::ops::Deref for Appended {
    type Target = Message;

    fn deref(&self) -> &Message {
        &self.message
    }
}

/// Storage and fan-out of rooms. Both backends pass the same conformance
/// suite (`tests/server/tests/store_conformance.rs`).
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `"memory"` or `"redis"`.
    fn backend(&self) -> &'static str;

    /// Whether the store answers.
    async fn health(&self) -> Result<(), StoreError>;

    /// Creates a room with its creator in seat 1; returns the time left.
    async fn create_room(
        &self,
        room_id: Uuid,
        creator: &MemberRecord,
        ttl: Duration,
    ) -> Result<Duration, StoreError>;

    /// Takes seat 2 atomically; announces the new member; returns the time left.
    async fn join_room(&self, room_id: Uuid, member: &MemberRecord)
        -> Result<Duration, StoreError>;

    /// Reads a room.
    async fn room(&self, room_id: Uuid) -> Result<RoomSnapshot, StoreError>;

    /// Stores a message under the room's limit and announces it with `nonce`;
    /// a `nonce` this member used before makes it a retry, answered with the
    /// stored message and neither stored nor announced again.
    async fn append_message(
        &self,
        room_id: Uuid,
        author: &Author,
        body: &str,
        nonce: Option<&str>,
        max_messages: usize,
    ) -> Result<Appended, StoreError>;

    /// At most `limit` messages with an id above `after` (from the first
    /// when `None`), oldest first.
    async fn messages(
        &self,
        room_id: Uuid,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Message>, StoreError>;

    /// Deletes every trace of the room at once and announces who did it.
    async fn destroy(&self, room_id: Uuid, by: &str) -> Result<(), StoreError>;

    /// Counts one more open socket of `member_id` (named `socket_id`),
    /// refusing past `max_sockets`. On Redis the count is a lease that the
    /// socket renews ([`Store::renew`]), so a release lost in a blip lapses.
    async fn connect(
        &self,
        room_id: Uuid,
        member_id: &str,
        socket_id: &str,
        max_sockets: usize,
    ) -> Result<(), StoreError>;

    /// Keeps an open socket counted (every [`LEASE_RENEW_EVERY`]).
    async fn renew(
        &self,
        room_id: Uuid,
        member_id: &str,
        socket_id: &str,
    ) -> Result<(), StoreError>;

    /// Counts the socket `socket_id` of `member_id` no more.
    async fn disconnect(
        &self,
        room_id: Uuid,
        member_id: &str,
        socket_id: &str,
    ) -> Result<(), StoreError>;

    /// Sends a signal to every listener of the room, on every instance.
    async fn publish(&self, room_id: Uuid, signal: &RoomSignal) -> Result<(), StoreError>;

    /// Starts listening to the room's signals.
    async fn subscribe(&self, room_id: Uuid) -> Result<Subscription, StoreError>;
}
