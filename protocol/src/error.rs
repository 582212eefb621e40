//! Error codes. Every HTTP error is a status plus [`ErrorBody`]; WebSocket
//! errors reuse the same codes in an `error` frame.

use serde::{Deserialize, Serialize};

/// Machine-readable error code; its HTTP status is [`ErrorCode::status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: the request body or frame is malformed, has the wrong types, or an empty text.
    InvalidBody,
    /// 400: `ttl_secs` is outside the server's range.
    InvalidTtl,
    /// 400: the room id is not a UUID.
    InvalidRoomId,
    /// 400: the `after` query parameter is not a message id.
    InvalidQuery,
    /// 400: a WebSocket frame is binary or not a known event.
    InvalidFrame,
    /// 401: missing, malformed or wrong bearer token.
    Unauthorized,
    /// 404: the room never existed, expired or was destroyed.
    RoomNotFound,
    /// 404: no such route.
    NotFound,
    /// 405: the route exists with another method.
    MethodNotAllowed,
    /// 408: the request body did not arrive in time.
    RequestTimeout,
    /// 409: both seats are taken.
    RoomFull,
    /// 413: a body, name or frame is over its limit.
    MessageTooLarge,
    /// 415: the request body is not `application/json`.
    UnsupportedMediaType,
    /// 429: the room holds its maximum number of messages.
    RoomMessageLimit,
    /// 429: the member has its maximum number of open sockets.
    TooManySockets,
    /// 429: this client address is over one of its rates (rooms created,
    /// joins, messages, socket opens) or its open connections; the answer
    /// carries `Retry-After`.
    RateLimited,
    /// 500: a bug; reported, never expected.
    Internal,
    /// 503: the store (Redis) cannot be reached.
    StoreUnavailable,
    /// 503: the server holds as many rooms or connections as it may.
    ServerFull,
}

impl ErrorCode {
    /// The HTTP status that goes with the code.
    pub fn status(self) -> u16 {
        match self {
            Self::InvalidBody
            | Self::InvalidTtl
            | Self::InvalidRoomId
            | Self::InvalidQuery
            | Self::InvalidFrame => 400,
            Self::Unauthorized => 401,
            Self::RoomNotFound | Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::RequestTimeout => 408,
            Self::RoomFull => 409,
            Self::MessageTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::RoomMessageLimit | Self::TooManySockets | Self::RateLimited => 429,
            Self::Internal => 500,
            Self::StoreUnavailable | Self::ServerFull => 503,
        }
    }

    /// The snake_case name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidBody => "invalid_body",
            Self::InvalidTtl => "invalid_ttl",
            Self::InvalidRoomId => "invalid_room_id",
            Self::InvalidQuery => "invalid_query",
            Self::InvalidFrame => "invalid_frame",
            Self::Unauthorized => "unauthorized",
            Self::RoomNotFound => "room_not_found",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::RequestTimeout => "request_timeout",
            Self::RoomFull => "room_full",
            Self::MessageTooLarge => "message_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::RoomMessageLimit => "room_message_limit",
            Self::TooManySockets => "too_many_sockets",
            Self::RateLimited => "rate_limited",
            Self::Internal => "internal",
            Self::StoreUnavailable => "store_unavailable",
            Self::ServerFull => "server_full",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The body of every HTTP error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorCode,
    /// A sentence for people; wording may change, `error` does not.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_str_matches_serde() {
        for code in [
            ErrorCode::InvalidBody,
            ErrorCode::InvalidTtl,
            ErrorCode::InvalidRoomId,
            ErrorCode::InvalidQuery,
            ErrorCode::InvalidFrame,
            ErrorCode::Unauthorized,
            ErrorCode::RoomNotFound,
            ErrorCode::NotFound,
            ErrorCode::MethodNotAllowed,
            ErrorCode::RoomFull,
            ErrorCode::MessageTooLarge,
            ErrorCode::UnsupportedMediaType,
            ErrorCode::RoomMessageLimit,
            ErrorCode::TooManySockets,
            ErrorCode::RateLimited,
            ErrorCode::RequestTimeout,
            ErrorCode::Internal,
            ErrorCode::StoreUnavailable,
            ErrorCode::ServerFull,
        ] {
            assert_eq!(serde_json::to_string(&code).unwrap(), format!("\"{code}\""));
            assert!((400..600).contains(&code.status()));
        }
    }
}
