//! Message history and sending over HTTP.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use private_chat_protocol::{Message, MessageList, SendMessageRequest};

use super::auth::authenticate;
use super::error::ApiError;
use super::extract::{After, Bearer, JsonBody, RoomId};
use super::validate;
use crate::state::AppState;

/// `GET /api/rooms/{room_id}/messages?after=<id>`.
pub async fn list(
    State(state): State<AppState>,
    RoomId(room_id): RoomId,
    bearer: Bearer,
    After(after): After,
) -> Result<Json<MessageList>, ApiError> {
    authenticate(&state, room_id, &bearer).await?;
    let messages = state.store.messages(room_id, after).await?;
    Ok(Json(MessageList { messages }))
}

/// `POST /api/rooms/{room_id}/messages`: stored, then delivered to every socket.
pub async fn send(
    State(state): State<AppState>,
    RoomId(room_id): RoomId,
    bearer: Bearer,
    JsonBody(req): JsonBody<SendMessageRequest>,
) -> Result<(StatusCode, Json<Message>), ApiError> {
    let (member, _) = authenticate(&state, room_id, &bearer).await?;
    validate::body(&req.body)?;
    let message = state
        .store
        .append_message(
            room_id,
            &member,
            &req.body,
            None,
            state.config.max_messages_per_room,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(message)))
}
