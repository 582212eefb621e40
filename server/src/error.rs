//! [`Error`]: why the server refused something, as a wire [`ErrorCode`] and a
//! sentence. Routes answer it as a status plus body (`http::error`), sockets
//! as an `error` frame or a close code (`http::ws::close`); store failures
//! become one here, in [`From<StoreError>`].

use std::borrow::Cow;
use std::time::Duration;

use private_chat_protocol::ErrorCode;

use crate::store::StoreError;

/// A refusal, typed by its code; the message is for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub code: ErrorCode,
    pub message: Cow<'static, str>,
    /// When to ask again, for refusals that pass with time (`Retry-After`).
    pub retry_after: Option<Duration>,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// This client address is over a rate; it may ask again after `wait`.
    pub fn rate_limited(what: &'static str, wait: Duration) -> Self {
        Self {
            retry_after: Some(wait),
            ..Self::new(
                ErrorCode::RateLimited,
                format!("Too many {what} from this address; try again shortly."),
            )
        }
    }

    /// The server holds as many `what` as it may.
    pub fn server_full(what: &'static str) -> Self {
        Self {
            retry_after: Some(Duration::from_secs(30)),
            ..Self::new(
                ErrorCode::ServerFull,
                format!(
                    "This server holds as many {what} as it can; try again later or elsewhere."
                ),
            )
        }
    }

    pub fn unauthorized() -> Self {
        Self::new(
            ErrorCode::Unauthorized,
            "A valid bearer token of a member of this room is required.",
        )
    }

    pub fn room_not_found() -> Self {
        Self::new(
            ErrorCode::RoomNotFound,
            "This room does not exist: it never did, it expired, or it was destroyed.",
        )
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::room_not_found(),
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
