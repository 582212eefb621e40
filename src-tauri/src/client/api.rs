//! Typed calls for every route of the room server.

use std::sync::Arc;
use std::time::Duration;

use private_chat_protocol::limits;
use private_chat_protocol::{
    CreateRoomRequest, ErrorBody, ErrorCode, Health, JoinRoomRequest, Message, MessageList,
    RoomInfo, SendMessageRequest, Session,
};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an error body.
    #[error("{}", .0.message)]
    Server(ErrorBody),
    /// The server could not be reached (or timed out).
    #[error("the room server cannot be reached: {0}")]
    Unreachable(String),
    /// The server's certificate is not the one the invite pinned.
    #[error("the room server is not the one the invite names: {0}")]
    Untrusted(String),
    /// The server answered something this client does not understand.
    #[error("unexpected answer from the room server: {0}")]
    Protocol(String),
    /// The invite's key does not fit the room's key exchange.
    #[error("the invite's key does not match the room")]
    KeyMismatch,
}

impl ClientError {
    /// The server's error code, when it sent one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Server(body) => Some(body.error),
            _ => None,
        }
    }
}

/// The longest time left a server may claim: the longest room lifetime a
/// stock server allows. More is clamped, so a server cannot keep a room on
/// screen (or resumable) for ever.
pub const MAX_EXPIRES_IN_MS: u64 = private_chat_protocol::limits::MAX_TTL_SECS * 1000;

/// A seat as a server handed it out, checked before anything uses it: ids
/// and token of the documented form (they end up in paths, file names and
/// headers), the room the one asked for, the time left clamped.
pub fn checked(mut session: Session, asked: Option<&str>) -> Result<Session, ClientError> {
    let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    let canonical = private_chat_protocol::invite::Invite::parse(&session.room_id)
        .is_ok_and(|i| i.room_id == session.room_id);
    let ok = canonical
        && asked.is_none_or(|a| a == session.room_id)
        && hex(&session.member_id, 16)
        && hex(&session.token, 64);
    if !ok {
        return Err(ClientError::Protocol(
            "the server answered with a seat of the wrong form".into(),
        ));
    }
    session.expires_in_ms = session.expires_in_ms.min(MAX_EXPIRES_IN_MS);
    Ok(session)
}

/// A room server at one base URL. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Api {
    base: String,
    http: reqwest::Client,
    /// Set when the server's certificate is pinned (the invite's `pin`).
    pinned: Option<(String, Arc<rustls::ClientConfig>)>,
}

/// A failed request: refused certificate, or no answer.
fn transport_error(e: reqwest::Error) -> ClientError {
    if super::pin::is_untrusted(&e) {
        ClientError::Untrusted(e.to_string())
    } else {
        ClientError::Unreachable(e.to_string())
    }
}

impl Api {
    /// A server checked the usual way: a public certificate for `https://`.
    pub fn new(base: &str) -> Self {
        Self::pinned(base, None)
    }

    /// A server whose certificate must have the SHA-256 `pin`, when given.
    pub fn pinned(base: &str, pin: Option<&str>) -> Self {
        let pinned = pin.map(|pin| (pin.to_owned(), super::pin::client_config(pin)));
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .tcp_nodelay(true);
        if let Some((_, tls)) = &pinned {
            builder = builder.use_preconfigured_tls((**tls).clone());
        }
        let http = builder.build().expect("an HTTP client builds");
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http,
            pinned,
        }
    }

    /// The pinned certificate fingerprint, if any.
    pub fn pin(&self) -> Option<&str> {
        self.pinned.as_ref().map(|(pin, _)| pin.as_str())
    }

    /// How the room socket must connect: with the pinned certificate, or
    /// the default way.
    pub fn ws_connector(&self) -> Option<tokio_tungstenite::Connector> {
        self.pinned
            .as_ref()
            .map(|(_, tls)| tokio_tungstenite::Connector::Rustls(tls.clone()))
    }

    /// The base URL (`http://host:port`).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The WebSocket URL of a room.
    pub fn ws_url(&self, room_id: &str) -> String {
        let base = if let Some(rest) = self.base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else {
            format!("ws://{}", self.base.trim_start_matches("http://"))
        };
        format!("{base}/api/rooms/{room_id}/ws")
    }

    async fn call<B: Serialize, R: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&B>,
    ) -> Result<Option<R>, ClientError> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req.send().await.map_err(transport_error)?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(transport_error)?;
        if status == StatusCode::NO_CONTENT {
            return Ok(None);
        }
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| ClientError::Protocol(e.to_string()));
        }
        match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => Err(ClientError::Server(body)),
            Err(_) => Err(ClientError::Protocol(format!("HTTP {status}"))),
        }
    }

    async fn expect<B: Serialize, R: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&B>,
    ) -> Result<R, ClientError> {
        self.call(method, path, token, body)
            .await?
            .ok_or_else(|| ClientError::Protocol("empty answer".into()))
    }

    pub async fn health(&self) -> Result<Health, ClientError> {
        self.expect::<(), _>(Method::GET, "/healthz", None, None)
            .await
    }

    pub async fn create(&self, name: &str, ttl_secs: Option<u64>) -> Result<Session, ClientError> {
        let body = CreateRoomRequest {
            name: name.into(),
            ttl_secs,
        };
        let session = self
            .expect(Method::POST, "/api/rooms", None, Some(&body))
            .await?;
        checked(session, None)
    }

    pub async fn join(&self, room_id: &str, name: &str) -> Result<Session, ClientError> {
        let body = JoinRoomRequest { name: name.into() };
        let session = self
            .expect(
                Method::POST,
                &format!("/api/rooms/{room_id}/join"),
                None,
                Some(&body),
            )
            .await?;
        checked(session, Some(room_id))
    }

    pub async fn room(&self, room_id: &str, token: &str) -> Result<RoomInfo, ClientError> {
        let mut info: RoomInfo = self
            .expect::<(), _>(
                Method::GET,
                &format!("/api/rooms/{room_id}"),
                Some(token),
                None,
            )
            .await?;
        info.expires_in_ms = info.expires_in_ms.min(MAX_EXPIRES_IN_MS);
        Ok(info)
    }

    /// Every message with an id above `after` (all when `None`), oldest
    /// first, read page by page. A server whose ids do not grow, or that
    /// pages beyond a room's limit, is not followed further.
    pub async fn messages(
        &self,
        room_id: &str,
        token: &str,
        after: Option<u64>,
    ) -> Result<Vec<Message>, ClientError> {
        let page_size = limits::MAX_PAGE_MESSAGES;
        let most_pages = limits::MAX_MESSAGES_PER_ROOM / page_size + 2;
        let mut all: Vec<Message> = Vec::new();
        let mut cursor = after;
        for _ in 0..most_pages {
            let query = match cursor {
                Some(a) => format!("?after={a}&limit={page_size}"),
                None => format!("?limit={page_size}"),
            };
            let list: MessageList = self
                .expect::<(), _>(
                    Method::GET,
                    &format!("/api/rooms/{room_id}/messages{query}"),
                    Some(token),
                    None,
                )
                .await?;
            let full = list.messages.len() >= page_size;
            for m in list.messages {
                if cursor.is_some_and(|c| m.id <= c) {
                    return Err(ClientError::Protocol(
                        "the server's message ids do not grow".into(),
                    ));
                }
                cursor = Some(m.id);
                all.push(m);
            }
            if !full {
                break;
            }
        }
        Ok(all)
    }

    /// Stores a message (the room's key-exchange frames go this way; texts
    /// go over the socket).
    pub async fn post_message(
        &self,
        room_id: &str,
        token: &str,
        body: &str,
    ) -> Result<Message, ClientError> {
        let body = SendMessageRequest {
            body: body.into(),
            nonce: None,
        };
        self.expect(
            Method::POST,
            &format!("/api/rooms/{room_id}/messages"),
            Some(token),
            Some(&body),
        )
        .await
    }

    pub async fn destroy(&self, room_id: &str, token: &str) -> Result<(), ClientError> {
        self.call::<(), ()>(
            Method::DELETE,
            &format!("/api/rooms/{room_id}"),
            Some(token),
            None,
        )
        .await
        .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(room_id: &str) -> Session {
        Session {
            room_id: room_id.into(),
            member_id: "0123456789abcdef".into(),
            token: "ab".repeat(32),
            expires_in_ms: 600_000,
        }
    }

    #[test]
    fn seats_of_the_wrong_form_are_refused_and_times_clamped() {
        let id = "3f2b8c1e-4a5d-4e6f-8a9b-0c1d2e3f4a5b";
        assert!(checked(session(id), Some(id)).is_ok());
        for bad in [
            "../../etc",
            "3F2B8C1E-4A5D-4E6F-8A9B-0C1D2E3F4A5B",
            "",
            "{3f2b8c1e-4a5d-4e6f-8a9b-0c1d2e3f4a5b}",
        ] {
            assert!(checked(session(bad), None).is_err(), "{bad}");
        }
        let other = "00000000-0000-4000-8000-000000000000";
        assert!(
            checked(session(other), Some(id)).is_err(),
            "not the room asked for"
        );
        let mut s = session(id);
        s.member_id = "x/y".into();
        assert!(checked(s, None).is_err());
        let mut s = session(id);
        s.token = "t".repeat(64);
        assert!(checked(s, None).is_err());
        let mut s = session(id);
        s.expires_in_ms = u64::MAX;
        assert_eq!(checked(s, None).unwrap().expires_in_ms, MAX_EXPIRES_IN_MS);
    }
}
