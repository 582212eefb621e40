//! The one place an [`Error`] becomes an HTTP answer: its code's status and
//! the `{"error", "message"}` body.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use private_chat_protocol::ErrorBody;

use crate::error::Error;

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = ErrorBody {
            error: self.code,
            message: self.message.into_owned(),
        };
        (status, Json(body)).into_response()
    }
}
