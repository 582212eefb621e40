//! Create, join, read and destroy rooms.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use private_chat_protocol::{
    CreateRoomRequest, ErrorCode, JoinRoomRequest, Member, RoomInfo, Session,
};
use uuid::Uuid;

use super::auth::authenticate;
use super::error::ApiError;
use super::extract::{Bearer, JsonBody, RoomId};
use super::validate;
use crate::state::AppState;
use crate::store::{MemberRecord, RoomSnapshot};
use crate::token;

fn new_seat(name: String) -> (MemberRecord, String) {
    let token = token::new_token();
    let record = MemberRecord {
        member_id: token::new_member_id(),
        name,
        token_digest: token::digest(&token),
    };
    (record, token)
}

fn session(
    room_id: Uuid,
    member: MemberRecord,
    token: String,
    expires_in: std::time::Duration,
) -> Session {
    Session {
        room_id: room_id.to_string(),
        member_id: member.member_id,
        token,
        expires_in_ms: expires_in.as_millis() as u64,
    }
}

/// `POST /api/rooms`: a new room with the caller in seat 1.
pub async fn create(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<CreateRoomRequest>,
) -> Result<(StatusCode, Json<Session>), ApiError> {
    validate::name(&req.name)?;
    let ttl = state.config.ttl_for(req.ttl_secs).ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidTtl,
            format!(
                "ttl_secs must lie between {} and {}.",
                state.config.min_ttl_secs, state.config.max_ttl_secs
            ),
        )
    })?;
    let room_id = Uuid::new_v4();
    let (member, token) = new_seat(req.name);
    let expires_in = state.store.create_room(room_id, &member, ttl).await?;
    tracing::info!(%room_id, ttl_secs = ttl.as_secs(), "room created");
    Ok((
        StatusCode::CREATED,
        Json(session(room_id, member, token, expires_in)),
    ))
}

/// `POST /api/rooms/{room_id}/join`: takes the second seat, if free.
pub async fn join(
    State(state): State<AppState>,
    RoomId(room_id): RoomId,
    JsonBody(req): JsonBody<JoinRoomRequest>,
) -> Result<Json<Session>, ApiError> {
    validate::name(&req.name)?;
    let (member, token) = new_seat(req.name);
    let expires_in = state.store.join_room(room_id, &member).await?;
    tracing::info!(%room_id, "room joined");
    Ok(Json(session(room_id, member, token, expires_in)))
}

/// The public view of a snapshot: never the token digests.
pub fn room_info(room_id: Uuid, room: &RoomSnapshot) -> RoomInfo {
    RoomInfo {
        room_id: room_id.to_string(),
        expires_in_ms: room.expires_in.as_millis() as u64,
        members: members(room),
    }
}

/// Members with their online flags, in seat order.
pub fn members(room: &RoomSnapshot) -> Vec<Member> {
    room.members
        .iter()
        .zip(&room.online)
        .map(|(m, &n)| Member {
            member_id: m.member_id.clone(),
            name: m.name.clone(),
            online: n > 0,
        })
        .collect()
}

/// `GET /api/rooms/{room_id}`.
pub async fn info(
    State(state): State<AppState>,
    RoomId(room_id): RoomId,
    bearer: Bearer,
) -> Result<Json<RoomInfo>, ApiError> {
    let (_, room) = authenticate(&state, room_id, &bearer).await?;
    Ok(Json(room_info(room_id, &room)))
}

/// `DELETE /api/rooms/{room_id}`: every trace gone, every socket told.
pub async fn destroy(
    State(state): State<AppState>,
    RoomId(room_id): RoomId,
    bearer: Bearer,
) -> Result<StatusCode, ApiError> {
    let (member, _) = authenticate(&state, room_id, &bearer).await?;
    state.store.destroy(room_id, &member.member_id).await?;
    tracing::info!(%room_id, "room destroyed");
    Ok(StatusCode::NO_CONTENT)
}
