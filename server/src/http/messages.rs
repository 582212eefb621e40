//! Message history and sending over HTTP.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use private_chat_protocol::{ErrorCode, Message, MessageList, SendMessageRequest};

use super::extract::{JsonBody, Page};
use crate::error::Error;
use crate::room::Member;
use crate::state::AppState;

/// `GET /api/rooms/{room_id}/messages?after=<id>&limit=<n>`: one page.
///
/// A page of worst-case messages is megabytes of JSON: it is written on a
/// blocking thread, so the runtime's few workers go on serving other rooms
/// meanwhile, and only a few pages at once (`Guard::page_writers`).
pub async fn list(
    State(state): State<AppState>,
    member: Member,
    Page { after, limit }: Page,
) -> Result<Response, Error> {
    let messages = member.messages(&state, after, limit).await?;
    let _writing = state.guard.page_writers.acquire().await;
    let json = tokio::task::spawn_blocking(move || serde_json::to_vec(&MessageList { messages }))
        .await
        .map_err(|_| Error::new(ErrorCode::Internal, "The page could not be written."))?
        .map_err(|_| Error::new(ErrorCode::Internal, "The page could not be written."))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

/// `POST /api/rooms/{room_id}/messages`: stored, then delivered to every
/// socket (201); a retry of a send with the same nonce answers the stored
/// message (200) and stores nothing.
pub async fn send(
    State(state): State<AppState>,
    member: Member,
    JsonBody(req): JsonBody<SendMessageRequest>,
) -> Result<(StatusCode, Json<Message>), Error> {
    let appended = member
        .into_sender()
        .send(&state, &req.body, req.nonce.as_deref())
        .await?;
    let status = if appended.retry {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(Arc::unwrap_or_clone(appended.message))))
}
