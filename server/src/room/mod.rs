//! The room layer: everything a member can do to a room, whichever way the
//! request came in. HTTP routes and the WebSocket session are thin callers
//! of this module; only it authenticates, validates, stores and announces.

mod validate;

use std::time::Duration;

use private_chat_protocol::{ErrorCode, Message, RoomInfo, Session};
use uuid::Uuid;

use crate::error::Error;
use crate::state::AppState;
use crate::store::{Appended, Author, MemberRecord, RoomSignal, RoomSnapshot};
use crate::token;

/// A member of a room, proven by the bearer token of their seat.
#[derive(Debug, Clone)]
pub struct Member {
    pub room_id: Uuid,
    /// The seat, without its token's digest: nothing after this proof needs it.
    pub author: Author,
    /// The room as read when the member was authenticated.
    pub room: RoomSnapshot,
}

/// Reads the room and finds the member whose token digest matches.
///
/// A missing room is 404 even for a wrong token: room ids are unguessable,
/// and a client holding a token for an ended room learns that it ended.
pub async fn authenticate(state: &AppState, room_id: Uuid, token: &str) -> Result<Member, Error> {
    let room = state.store.room(room_id).await?;
    let author = room
        .members
        .iter()
        .find(|m| token::matches(token, &m.token_digest))
        .map(MemberRecord::author)
        .ok_or_else(Error::unauthorized)?;
    Ok(Member {
        room_id,
        author,
        room,
    })
}

/// A new room with its creator in seat 1.
pub async fn create(
    state: &AppState,
    name: String,
    ttl_secs: Option<u64>,
) -> Result<Session, Error> {
    validate::name(&name)?;
    let config = &state.config;
    let ttl = config.ttl_for(ttl_secs).ok_or_else(|| {
        Error::new(
            ErrorCode::InvalidTtl,
            format!(
                "ttl_secs must lie between {} and {}.",
                config.min_ttl_secs, config.max_ttl_secs
            ),
        )
    })?;
    let room_id = Uuid::new_v4();
    state.guard.rooms.reserve(room_id, ttl)?;
    let (record, token) = new_seat(name);
    let expires_in = match state.store.create_room(room_id, &record, ttl).await {
        Ok(expires_in) => expires_in,
        Err(e) => {
            state.guard.rooms.release(room_id);
            return Err(e.into());
        }
    };
    tracing::info!(%room_id, ttl_secs = ttl.as_secs(), "room created");
    metrics::counter!(crate::metrics::ROOMS_CREATED).increment(1);
    Ok(session(room_id, record, token, expires_in))
}

/// Takes the second seat of a room, if it is free.
pub async fn join(state: &AppState, room_id: Uuid, name: String) -> Result<Session, Error> {
    validate::name(&name)?;
    let (record, token) = new_seat(name);
    let expires_in = state.store.join_room(room_id, &record).await?;
    tracing::info!(%room_id, "room joined");
    Ok(session(room_id, record, token, expires_in))
}

fn new_seat(name: String) -> (MemberRecord, String) {
    let token = token::new_token();
    let record = MemberRecord {
        member_id: token::new_member_id(),
        name,
        token_digest: token::digest(&token),
    };
    (record, token)
}

fn session(room_id: Uuid, record: MemberRecord, token: String, expires_in: Duration) -> Session {
    Session {
        room_id: room_id.to_string(),
        member_id: record.member_id,
        token,
        expires_in_ms: millis(expires_in),
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Members with their online flags, in seat order: never the token digests.
pub fn members(room: &RoomSnapshot) -> Vec<private_chat_protocol::Member> {
    room.members
        .iter()
        .zip(&room.online)
        .map(|(m, &n)| private_chat_protocol::Member {
            member_id: m.member_id.clone(),
            name: m.name.clone(),
            online: n > 0,
        })
        .collect()
}

impl Member {
    /// The room as this member may see it.
    pub fn info(&self) -> RoomInfo {
        RoomInfo {
            room_id: self.room_id.to_string(),
            expires_in_ms: millis(self.room.expires_in),
            members: members(&self.room),
        }
    }

    /// At most `limit` messages with an id above `after` (from the first
    /// when `None`), oldest first.
    pub async fn messages(
        &self,
        state: &AppState,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Message>, Error> {
        Ok(state.store.messages(self.room_id, after, limit).await?)
    }

    /// What sending needs of this member (see [`Sender`]).
    pub fn into_sender(self) -> Sender {
        Sender {
            room_id: self.room_id,
            author: self.author,
        }
    }

    /// Deletes every trace of the room and tells every socket who did it.
    pub async fn destroy(&self, state: &AppState) -> Result<(), Error> {
        state
            .store
            .destroy(self.room_id, &self.author.member_id)
            .await?;
        state.guard.rooms.release(self.room_id);
        tracing::info!(room_id = %self.room_id, "room destroyed");
        metrics::counter!(crate::metrics::ROOMS_DESTROYED).increment(1);
        Ok(())
    }
}

/// A member as a socket keeps it for its whole life: who sends, in which
/// room. Not the room as read at authentication, which thousands of open
/// sockets would each hold for nothing, about half a KiB apiece.
#[derive(Debug, Clone)]
pub struct Sender {
    pub room_id: Uuid,
    pub author: Author,
}

impl Sender {
    /// Stores a message and announces it to every socket of the room, with
    /// the sender's `nonce` so it can match its draft; a nonce this member
    /// used before makes it a retry (see [`Appended`]).
    pub async fn send(
        &self,
        state: &AppState,
        body: &str,
        nonce: Option<&str>,
    ) -> Result<Appended, Error> {
        validate::nonce(nonce)?;
        validate::body(body)?;
        let max = state.config.max_messages_per_room;
        let appended = state
            .store
            .append_message(self.room_id, &self.author, body, nonce, max)
            .await?;
        if !appended.retry {
            crate::metrics::message_stored();
        }
        Ok(appended)
    }

    /// Tells the other member's sockets that this one is typing.
    pub async fn typing(&self, state: &AppState) -> Result<(), Error> {
        let signal = RoomSignal::Typing {
            member_id: self.author.member_id.clone(),
        };
        Ok(state.store.publish(self.room_id, &signal).await?)
    }
}
