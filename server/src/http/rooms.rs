//! Create, join, read and destroy rooms.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use private_chat_protocol::{CreateRoomRequest, JoinRoomRequest, RoomInfo, Session};

use super::extract::{JsonBody, RoomId};
use crate::error::Error;
use crate::room::{self, Member};
use crate::state::AppState;

/// `POST /api/rooms`: a new room with the caller in seat 1.
pub async fn create(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<CreateRoomRequest>,
) -> Result<(StatusCode, Json<Session>), Error> {
    let session = room::create(&state, req.name, req.ttl_secs).await?;
    Ok((StatusCode::CREATED, Json(session)))
}

/// `POST /api/rooms/{room_id}/join`: takes the second seat, if free.
pub async fn join(
    State(state): State<AppState>,
    RoomId(room_id): RoomId,
    JsonBody(req): JsonBody<JoinRoomRequest>,
) -> Result<Json<Session>, Error> {
    room::join(&state, room_id, req.name).await.map(Json)
}

/// `GET /api/rooms/{room_id}`.
pub async fn info(member: Member) -> Json<RoomInfo> {
    Json(member.info())
}

/// `DELETE /api/rooms/{room_id}`: every trace gone, every socket told.
pub async fn destroy(State(state): State<AppState>, member: Member) -> Result<StatusCode, Error> {
    member.destroy(&state).await?;
    Ok(StatusCode::NO_CONTENT)
}
