//! A raw client: every call returns the status and the JSON as sent.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// HTTP calls against one server.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
}

/// A seat in a room, as create and join return it.
#[derive(Debug, Clone)]
pub struct Seat {
    pub room_id: String,
    pub member_id: String,
    pub token: String,
    pub expires_in_ms: u64,
}

impl Seat {
    pub fn from_json(v: &Value) -> Self {
        Self {
            room_id: v["room_id"].as_str().expect("room_id").into(),
            member_id: v["member_id"].as_str().expect("member_id").into(),
            token: v["token"].as_str().expect("token").into(),
            expires_in_ms: v["expires_in_ms"].as_u64().expect("expires_in_ms"),
        }
    }
}

impl Api {
    pub fn new(base: &str) -> Self {
        Self::with_client(base, reqwest::Client::builder())
    }

    /// Calls sent from another loopback address (`127.0.0.2`, say), so a
    /// test can be a second client as far as per-address limits go.
    pub fn from_address(base: &str, source: std::net::IpAddr) -> Self {
        Self::with_client(base, reqwest::Client::builder().local_address(source))
    }

    fn with_client(base: &str, builder: reqwest::ClientBuilder) -> Self {
        let http = builder.timeout(Duration::from_secs(20)).build().unwrap();
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http,
        }
    }

    /// Any request; the body is parsed as JSON when there is one.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("request reaches the server");
        Self::read(resp).await
    }

    /// Any request with a raw body and headers, for hostile input.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        Self::read(req.send().await.expect("request reaches the server")).await
    }

    async fn read(resp: reqwest::Response) -> (StatusCode, Value) {
        let status = resp.status();
        let bytes = resp.bytes().await.expect("body");
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                panic!(
                    "{status}: body is not JSON: {}",
                    String::from_utf8_lossy(&bytes)
                )
            })
        };
        (status, value)
    }

    pub async fn create(&self, name: &str, ttl_secs: Option<u64>) -> Seat {
        let mut body = json!({ "name": name });
        if let Some(ttl) = ttl_secs {
            body["ttl_secs"] = json!(ttl);
        }
        let (status, v) = self
            .call(Method::POST, "/api/rooms", None, Some(body))
            .await;
        assert_eq!(status, StatusCode::CREATED, "create: {v}");
        Seat::from_json(&v)
    }

    pub async fn try_join(&self, room_id: &str, name: &str) -> (StatusCode, Value) {
        self.call(
            Method::POST,
            &format!("/api/rooms/{room_id}/join"),
            None,
            Some(json!({ "name": name })),
        )
        .await
    }

    pub async fn join(&self, room_id: &str, name: &str) -> Seat {
        let (status, v) = self.try_join(room_id, name).await;
        assert_eq!(status, StatusCode::OK, "join: {v}");
        Seat::from_json(&v)
    }

    pub async fn info(&self, seat: &Seat) -> (StatusCode, Value) {
        self.call(
            Method::GET,
            &format!("/api/rooms/{}", seat.room_id),
            Some(&seat.token),
            None,
        )
        .await
    }

    pub async fn post(&self, seat: &Seat, body: &str) -> (StatusCode, Value) {
        let path = format!("/api/rooms/{}/messages", seat.room_id);
        self.call(
            Method::POST,
            &path,
            Some(&seat.token),
            Some(json!({ "body": body })),
        )
        .await
    }

    pub async fn messages(&self, seat: &Seat, after: Option<u64>) -> (StatusCode, Value) {
        let query = after.map(|a| format!("?after={a}")).unwrap_or_default();
        let path = format!("/api/rooms/{}/messages{query}", seat.room_id);
        self.call(Method::GET, &path, Some(&seat.token), None).await
    }

    /// The bodies of the room's first page of history, oldest first.
    pub async fn bodies(&self, seat: &Seat) -> Vec<String> {
        let (_, listed) = self.messages(seat, None).await;
        listed["messages"]
            .as_array()
            .expect("a message list")
            .iter()
            .map(|m| m["body"].as_str().expect("a body").to_owned())
            .collect()
    }

    pub async fn destroy(&self, seat: &Seat) -> (StatusCode, Value) {
        self.call(
            Method::DELETE,
            &format!("/api/rooms/{}", seat.room_id),
            Some(&seat.token),
            None,
        )
        .await
    }

    /// The WebSocket URL of a room.
    pub fn ws_url(&self, room_id: &str) -> String {
        format!(
            "{}/api/rooms/{room_id}/ws",
            self.base.replacen("http", "ws", 1)
        )
    }

    /// Opens a socket; `Err` carries the HTTP status and body of a refusal.
    pub async fn try_socket(
        &self,
        room_id: &str,
        token: Option<&str>,
    ) -> Result<Socket, (u16, Value)> {
        let mut req = self.ws_url(room_id).into_client_request().unwrap();
        if let Some(token) = token {
            req.headers_mut()
                .insert("authorization", format!("Bearer {token}").parse().unwrap());
        }
        match tokio_tungstenite::connect_async_with_config(req, None, true).await {
            Ok((ws, _)) => Ok(Socket { ws }),
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                let status = resp.status().as_u16();
                let body = resp
                    .body()
                    .as_ref()
                    .map(|b| serde_json::from_slice(b).unwrap_or(Value::Null));
                Err((status, body.unwrap_or(Value::Null)))
            }
            Err(e) => panic!("websocket connect failed: {e}"),
        }
    }

    /// Opens a socket and reads the initial presence frame.
    pub async fn socket(&self, seat: &Seat) -> Socket {
        let mut socket = self
            .try_socket(&seat.room_id, Some(&seat.token))
            .await
            .expect("socket opens");
        let hello = socket.next_event().await;
        assert_eq!(hello["type"], "presence", "first frame: {hello}");
        socket
    }
}

/// What a socket read returned.
#[derive(Debug)]
pub enum Frame {
    Event(Value),
    Closed(Option<u16>),
}

/// A client WebSocket.
pub struct Socket {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// How long a test waits for a frame before it calls the socket hung.
pub const FRAME_WAIT: Duration = Duration::from_secs(5);

impl Socket {
    pub async fn send_json(&mut self, v: Value) {
        self.ws
            .send(WsMessage::Text(v.to_string().into()))
            .await
            .expect("send");
    }

    pub async fn send_raw(
        &mut self,
        m: WsMessage,
    ) -> Result<(), tokio_tungstenite::tungstenite::Error> {
        self.ws.send(m).await
    }

    /// The text of the next text frame as it came, or the close's code;
    /// panics if nothing comes in time.
    async fn text_or_close(&mut self) -> Result<String, Option<u16>> {
        loop {
            let next = tokio::time::timeout(FRAME_WAIT, self.ws.next())
                .await
                .expect("socket hung: no frame in time");
            match next {
                None | Some(Err(_)) => return Err(None),
                Some(Ok(WsMessage::Text(t))) => return Ok(t.as_str().to_owned()),
                Some(Ok(WsMessage::Close(frame))) => {
                    return Err(frame.map(|f| u16::from(f.code)));
                }
                Some(Ok(_)) => continue,
            }
        }
    }

    /// The next text event or the close; panics if nothing comes in time.
    pub async fn next_frame(&mut self) -> Frame {
        match self.text_or_close().await {
            Ok(t) => Frame::Event(serde_json::from_str(&t).expect("text frames are JSON")),
            Err(code) => Frame::Closed(code),
        }
    }

    /// The text of the next text frame, as it came; panics on a close.
    pub async fn next_text(&mut self) -> String {
        match self.text_or_close().await {
            Ok(t) => t,
            Err(code) => panic!("socket closed ({code:?}) while a text frame was expected"),
        }
    }

    /// The next event; panics on a close.
    pub async fn next_event(&mut self) -> Value {
        match self.next_frame().await {
            Frame::Event(v) => v,
            Frame::Closed(code) => panic!("socket closed ({code:?}) while an event was expected"),
        }
    }

    /// The next event of `kind`, skipping presence and typing noise.
    pub async fn next_of(&mut self, kind: &str) -> Value {
        loop {
            let v = self.next_event().await;
            if v["type"] == kind {
                return v;
            }
            assert!(
                v["type"] == "presence" || v["type"] == "typing",
                "expected {kind}, got {v}"
            );
        }
    }

    /// Reads until the close frame, skipping events, and returns its code.
    pub async fn close_code(&mut self) -> Option<u16> {
        loop {
            if let Frame::Closed(code) = self.next_frame().await {
                return code;
            }
        }
    }

    /// Asserts that no event of `kind` arrives within `wait`.
    pub async fn assert_no(&mut self, kind: &str, wait: Duration) {
        let deadline = tokio::time::Instant::now() + wait;
        while let Ok(Some(Ok(m))) = tokio::time::timeout_at(deadline, self.ws.next()).await {
            if let WsMessage::Text(t) = m {
                let v: Value = serde_json::from_str(&t).expect("text frames are JSON");
                assert_ne!(v["type"], kind, "unexpected {v}");
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self
            .ws
            .close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
                code: CloseCode::Normal,
                reason: "bye".into(),
            }))
            .await;
    }
}
