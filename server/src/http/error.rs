//! The one place an [`Error`] becomes an HTTP answer: its code's status and
//! the `{"error", "message"}` body.

use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use private_chat_protocol::ErrorBody;

use crate::error::Error;

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        crate::metrics::error(self.code);
        let retry_after = self.retry_after.map(retry_after_secs);
        let body = ErrorBody {
            error: self.code,
            message: self.message.into_owned(),
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// `Retry-After` in whole seconds, rounded up so a client that obeys it
/// finds the refusal gone.
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}
