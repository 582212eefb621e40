//! Typed calls for every route of the room server.

use std::time::Duration;

use private_chat_protocol::{
    CreateRoomRequest, ErrorBody, ErrorCode, Health, JoinRoomRequest, Message, MessageList,
    RoomInfo, Session,
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
    /// The server answered something this client does not understand.
    #[error("unexpected answer from the room server: {0}")]
    Protocol(String),
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

/// A room server at one base URL. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .tcp_nodelay(true)
            .build()
            .expect("a plain HTTP client builds");
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http,
        }
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
        let resp = req
            .send()
            .await
            .map_err(|e| ClientError::Unreachable(e.to_string()))?;
        let status = resp.status();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| ClientError::Unreachable(e.to_string()))?;
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
        self.expect(Method::POST, "/api/rooms", None, Some(&body))
            .await
    }

    pub async fn join(&self, room_id: &str, name: &str) -> Result<Session, ClientError> {
        let body = JoinRoomRequest { name: name.into() };
        self.expect(
            Method::POST,
            &format!("/api/rooms/{room_id}/join"),
            None,
            Some(&body),
        )
        .await
    }

    pub async fn room(&self, room_id: &str, token: &str) -> Result<RoomInfo, ClientError> {
        self.expect::<(), _>(
            Method::GET,
            &format!("/api/rooms/{room_id}"),
            Some(token),
            None,
        )
        .await
    }

    pub async fn messages(
        &self,
        room_id: &str,
        token: &str,
        after: Option<u64>,
    ) -> Result<Vec<Message>, ClientError> {
        let query = after.map(|a| format!("?after={a}")).unwrap_or_default();
        let list: MessageList = self
            .expect::<(), _>(
                Method::GET,
                &format!("/api/rooms/{room_id}/messages{query}"),
                Some(token),
                None,
            )
            .await?;
        Ok(list.messages)
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
