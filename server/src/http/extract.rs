//! Extractors that turn every malformed input into a documented [`Error`]
//! instead of axum's plain-text rejections, and [`Member`]: the caller,
//! authenticated by the room layer before any body is read.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use private_chat_protocol::ErrorCode;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use uuid::Uuid;

use crate::error::Error;
use crate::room::{self, Member};
use crate::state::AppState;

/// A JSON body; syntax, type and size errors become 400/413/415.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(Error::new(
                ErrorCode::UnsupportedMediaType,
                "Send the body as JSON with Content-Type: application/json.",
            )),
            Err(JsonRejection::BytesRejection(e))
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Err(Error::new(
                    ErrorCode::MessageTooLarge,
                    "The request body is too large.",
                ))
            }
            Err(e) => Err(Error::new(
                ErrorCode::InvalidBody,
                format!("Invalid JSON body: {}", e.body_text()),
            )),
        }
    }
}

/// The `{room_id}` path segment, parsed as a UUID.
pub struct RoomId(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for RoomId {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let invalid = || {
            Error::new(
                ErrorCode::InvalidRoomId,
                "The room id is not a valid room id (a UUID).",
            )
        };
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| invalid())?;
        Uuid::try_parse(&raw).map(RoomId).map_err(|_| invalid())
    }
}

/// The bearer token of `Authorization: Bearer <token>`, shape-checked only:
/// whether it opens the room is [`room::authenticate`]'s business.
pub struct Bearer(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Error> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let token = value
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()));
        token
            .map(|t| Bearer(t.to_owned()))
            .ok_or_else(Error::unauthorized)
    }
}

/// `?after=<message_id>`.
#[derive(Deserialize)]
pub struct AfterParams {
    pub after: Option<u64>,
}

/// The query of the message list; a bad `after` is 400 `invalid_query`.
pub struct After(pub Option<u64>);

impl<S: Send + Sync> FromRequestParts<S> for After {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        Query::<AfterParams>::from_request_parts(parts, state)
            .await
            .map(|Query(p)| After(p.after))
            .map_err(|e: QueryRejection| {
                Error::new(
                    ErrorCode::InvalidQuery,
                    format!("Invalid query: {}", e.body_text()),
                )
            })
    }
}

/// The calling member of the `{room_id}` room, proven by their bearer token.
impl FromRequestParts<AppState> for Member {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let RoomId(room_id) = RoomId::from_request_parts(parts, state).await?;
        let Bearer(token) = Bearer::from_request_parts(parts, state).await?;
        room::authenticate(state, room_id, &token).await
    }
}
