//! Message history and sending over HTTP.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use private_chat_protocol::{Message, MessageList, SendMessageRequest};

use super::extract::{JsonBody, Page};
use crate::error::Error;
use crate::room::Member;
use crate::state::AppState;

/// `GET /api/rooms/{room_id}/messages?after=<id>&limit=<n>`: one page.
pub async fn list(
    State(state): State<AppState>,
    member: Member,
    Page { after, limit }: Page,
) -> Result<Json<MessageList>, Error> {
    let messages = member.messages(&state, after, limit).await?;
    Ok(Json(MessageList { messages }))
}

/// `POST /api/rooms/{room_id}/messages`: stored, then delivered to every socket.
pub async fn send(
    State(state): State<AppState>,
    member: Member,
    JsonBody(req): JsonBody<SendMessageRequest>,
) -> Result<(StatusCode, Json<Message>), Error> {
    let message = member.send(&state, &req.body, None).await?;
    Ok((StatusCode::CREATED, Json(message)))
}
