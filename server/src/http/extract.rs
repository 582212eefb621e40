//! Extractors that turn every malformed input into a documented [`Error`]
//! instead of axum's plain-text rejections, and [`Member`]: the caller,
//! authenticated by the room layer before any body is read.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use private_chat_protocol::{limits, ErrorCode};
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
            Err(JsonRejection::BytesRejection(e)) if timed_out(&e) => Err(Error::new(
                ErrorCode::RequestTimeout,
                "The request body did not arrive in time.",
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

/// Whether reading the body failed because it took too long (the serve
/// loop wraps every body in a read timeout).
fn timed_out(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if c.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = c.source();
    }
    false
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
        // Only the documented form: `Uuid::try_parse` alone would also take
        // `{...}`, `urn:uuid:...`, 32 hex digits and upper case, so one room
        // would have several names.
        if !canonical(&raw) {
            return Err(invalid());
        }
        Uuid::try_parse(&raw).map(RoomId).map_err(|_| invalid())
    }
}

/// A UUID in its lower-case hyphenated form (8-4-4-4-12).
fn canonical(raw: &str) -> bool {
    raw.len() == 36
        && raw.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

/// The bearer token of `Authorization: Bearer <token>`, shape-checked only:
/// whether it opens the room is [`room::authenticate`]'s business. The
/// scheme is case-insensitive (RFC 9110); more than one `Authorization`
/// header is refused, as it is ambiguous.
pub struct Bearer(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Error> {
        let mut values = parts.headers.get_all(header::AUTHORIZATION).iter();
        let value = match (values.next(), values.next()) {
            (Some(v), None) => v.to_str().ok(),
            _ => None,
        };
        let token = value
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim_matches(' '))
            .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()));
        token
            .map(|t| Bearer(t.to_owned()))
            .ok_or_else(Error::unauthorized)
    }
}

/// `?after=<message_id>&limit=<n>`, each at most once.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PageParams {
    after: Option<String>,
    limit: Option<String>,
}

/// A decimal number written as digits only: `u64::from_str` would also take
/// `+5`, which the contract does not allow.
fn digits<T: std::str::FromStr>(raw: Option<String>, name: &str) -> Result<Option<T>, String> {
    let Some(raw) = raw else { return Ok(None) };
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{name} must be written with digits only"));
    }
    raw.parse()
        .map(Some)
        .map_err(|_| format!("{name} is out of range"))
}

/// One page of the message list: a bad `after` or `limit` is 400
/// `invalid_query`; `limit` defaults to, and may not exceed,
/// [`limits::MAX_PAGE_MESSAGES`].
pub struct Page {
    pub after: Option<u64>,
    pub limit: usize,
}

impl<S: Send + Sync> FromRequestParts<S> for Page {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let invalid =
            |why: String| Error::new(ErrorCode::InvalidQuery, format!("Invalid query: {why}"));
        let Query(p) = Query::<PageParams>::from_request_parts(parts, state)
            .await
            .map_err(|e: QueryRejection| invalid(e.body_text()))?;
        let after = digits::<u64>(p.after, "after").map_err(invalid)?;
        let limit = match digits::<usize>(p.limit, "limit").map_err(invalid)? {
            None => limits::MAX_PAGE_MESSAGES,
            Some(n) if (1..=limits::MAX_PAGE_MESSAGES).contains(&n) => n,
            Some(_) => {
                return Err(invalid(format!(
                    "limit must lie between 1 and {}",
                    limits::MAX_PAGE_MESSAGES
                )))
            }
        };
        Ok(Page { after, limit })
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

/// The client's IP address, when the request came through the server's own
/// accept loop (which records it); rates count by it.
pub struct ClientIp(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        Ok(Self(peer.map(|c| c.0.ip())))
    }
}
