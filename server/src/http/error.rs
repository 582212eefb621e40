//! [`ApiError`]: every failure of a route, as a status plus `{"error", "message"}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use private_chat_protocol::{ErrorBody, ErrorCode};

use crate::store::StoreError;

/// An error a route answers with.
#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn unauthorized() -> Self {
        Self::new(
            ErrorCode::Unauthorized,
            "A valid bearer token of a member of this room is required.",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::new(
                ErrorCode::RoomNotFound,
                "This room does not exist: it never did, it expired, or it was destroyed.",
            ),
            StoreError::Full => Self::new(
                ErrorCode::RoomFull,
                "This room already has two people in it.",
            ),
            StoreError::MessageLimit => Self::new(
                ErrorCode::RoomMessageLimit,
                "This room holds as many messages as it can.",
            ),
            StoreError::TooManySockets => Self::new(
                ErrorCode::TooManySockets,
                "This member has too many open connections to the room.",
            ),
            StoreError::Unavailable(detail) => {
                tracing::error!(%detail, "store unavailable");
                Self::new(
                    ErrorCode::StoreUnavailable,
                    "The room store is unavailable; try again shortly.",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (
            status,
            Json(ErrorBody {
                error: self.code,
                message: self.message,
            }),
        )
            .into_response()
    }
}
