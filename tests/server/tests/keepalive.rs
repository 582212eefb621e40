//! A socket's keepalive period: the lease renewal it makes beside its
//! writes, and the ping it sends only when the socket was quiet one way.
//!
//! With a store whose renewals hang, the room's messages still reach the
//! socket at once. Before, the writer awaited each renewal, so a store slow
//! to renew (a Redis handed 2,000 renewals at once by sockets opened
//! together) held up every message to those sockets meanwhile: the load
//! generator measured one stall of 120-165 ms per run on Redis.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures_util::{SinkExt, StreamExt};
use private_chat_protocol::Message;
use private_chat_server::store::memory::MemoryStore;
use private_chat_server::store::{
    Appended, Author, MemberRecord, RoomSignal, RoomSnapshot, Store, StoreError, Subscription,
};
use private_chat_tests::server::test_config;
use private_chat_tests::Api;
use reqwest::StatusCode;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use uuid::Uuid;

/// How long a renewal hangs, when it does: longer than the whole test.
const HANG: Duration = Duration::from_secs(120);
/// Sending for this long covers the first ping, due 10-20 s after the
/// socket opens.
const SENDING: Duration = Duration::from_secs(22);
/// Covers a socket's first two periods.
const TWO_PERIODS: Duration = Duration::from_secs(42);
/// A message slower than this to reach the socket was held up.
const PROMPT: Duration = Duration::from_secs(2);

/// The memory store, with its renewals counted as they start (per member)
/// and, if `hang`, never finishing.
struct Renewals {
    inner: MemoryStore,
    hang: bool,
    renewals: Mutex<HashMap<String, usize>>,
}

impl Renewals {
    fn new(hang: bool) -> Arc<Self> {
        Arc::new(Self {
            inner: MemoryStore::new(),
            hang,
            renewals: Mutex::default(),
        })
    }

    /// Renewals begun for `member_id`'s sockets.
    fn of(&self, member_id: &str) -> usize {
        self.renewals
            .lock()
            .unwrap()
            .get(member_id)
            .copied()
            .unwrap_or(0)
    }

    fn total(&self) -> usize {
        self.renewals.lock().unwrap().values().sum()
    }
}

#[async_trait]
impl Store for Renewals {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
    async fn health(&self) -> Result<(), StoreError> {
        self.inner.health().await
    }
    async fn create_room(
        &self,
        room_id: Uuid,
        creator: &MemberRecord,
        ttl: Duration,
    ) -> Result<Duration, StoreError> {
        self.inner.create_room(room_id, creator, ttl).await
    }
    async fn join_room(
        &self,
        room_id: Uuid,
        member: &MemberRecord,
    ) -> Result<Duration, StoreError> {
        self.inner.join_room(room_id, member).await
    }
    async fn room(&self, room_id: Uuid) -> Result<RoomSnapshot, StoreError> {
        self.inner.room(room_id).await
    }
    async fn append_message(
        &self,
        room_id: Uuid,
        author: &Author,
        body: &str,
        nonce: Option<&str>,
        max_messages: usize,
    ) -> Result<Appended, StoreError> {
        let call = self
            .inner
            .append_message(room_id, author, body, nonce, max_messages);
        call.await
    }
    async fn messages(
        &self,
        room_id: Uuid,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Message>, StoreError> {
        self.inner.messages(room_id, after, limit).await
    }
    async fn destroy(&self, room_id: Uuid, by: &str) -> Result<(), StoreError> {
        self.inner.destroy(room_id, by).await
    }
    async fn connect(
        &self,
        room_id: Uuid,
        member_id: &str,
        socket_id: &str,
        max_sockets: usize,
    ) -> Result<(), StoreError> {
        let call = self
            .inner
            .connect(room_id, member_id, socket_id, max_sockets);
        call.await
    }
    async fn renew(
        &self,
        room_id: Uuid,
        member_id: &str,
        socket_id: &str,
    ) -> Result<(), StoreError> {
        *self
            .renewals
            .lock()
            .unwrap()
            .entry(member_id.to_owned())
            .or_default() += 1;
        if self.hang {
            tokio::time::sleep(HANG).await;
        }
        self.inner.renew(room_id, member_id, socket_id).await
    }
    async fn disconnect(
        &self,
        room_id: Uuid,
        member_id: &str,
        socket_id: &str,
    ) -> Result<(), StoreError> {
        self.inner.disconnect(room_id, member_id, socket_id).await
    }
    async fn publish(&self, room_id: Uuid, signal: &RoomSignal) -> Result<(), StoreError> {
        self.inner.publish(room_id, signal).await
    }
    async fn subscribe(&self, room_id: Uuid) -> Result<Subscription, StoreError> {
        self.inner.subscribe(room_id).await
    }
}

#[tokio::test]
async fn a_hanging_renewal_holds_up_no_message() {
    let store = Renewals::new(true);
    let server = private_chat_server::start_with_store(test_config(), store.clone())
        .await
        .unwrap();
    let api = Api::new(&server.url());
    let a = api.create("a", None).await;
    let b = api.join(&a.room_id, "b").await;
    let mut socket = api.socket(&b).await;

    let started = Instant::now();
    let (mut sent, mut slowest) = (0, Duration::ZERO);
    let mut renewing_since = None;
    while started.elapsed() < SENDING {
        let posted = Instant::now();
        assert_eq!(
            api.post(&a, &format!("m{sent}")).await.0,
            StatusCode::CREATED
        );
        socket.next_of("message").await;
        slowest = slowest.max(posted.elapsed());
        sent += 1;
        if renewing_since.is_none() && store.total() > 0 {
            renewing_since = Some(sent);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The test proves something only if messages went on after a renewal
    // began and while it hung.
    let renewing_since = renewing_since.expect("no renewal began: the first ping never came");
    assert!(
        sent - renewing_since >= 5,
        "only {} messages after the renewal began",
        sent - renewing_since
    );
    assert!(
        slowest < PROMPT,
        "a message took {slowest:?} to reach the socket (renewal hanging since message {renewing_since} of {sent})"
    );
    server.shutdown().await.unwrap();
}

/// What one client socket saw: pings, and the texts' types.
#[derive(Default)]
struct Seen {
    pings: usize,
    texts: Vec<String>,
}

/// Reads `socket` until it ends, counting what comes (tungstenite answers
/// each ping with a pong as it reads, like any client).
fn watch(
    stream: futures_util::stream::SplitStream<
        tokio_tungstenite::WebSocketStream<
            tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
        >,
    >,
) -> tokio::task::JoinHandle<Seen> {
    tokio::spawn(async move {
        let mut stream = stream;
        let mut seen = Seen::default();
        while let Some(Ok(frame)) = stream.next().await {
            match frame {
                WsMessage::Ping(_) => seen.pings += 1,
                WsMessage::Text(t) => {
                    let v: serde_json::Value = serde_json::from_str(&t).unwrap();
                    seen.texts.push(v["type"].as_str().unwrap_or("").to_owned());
                }
                _ => {}
            }
        }
        seen
    })
}

/// Over two periods (the first ends 10-20 s after a socket opens, the next
/// 20 s later), only a socket quiet one way in a period is pinged: the
/// client's frames show it is there, and the server's show the client the
/// server is. Every socket's lease is renewed all the same.
#[tokio::test]
async fn only_a_socket_quiet_one_way_is_pinged() {
    let store = Renewals::new(false);
    let server = private_chat_server::start_with_store(test_config(), store.clone())
        .await
        .unwrap();
    let api = Api::new(&server.url());
    // Room 1: `a` chats (heard, and sent its echoes), `b` only reads (sent
    // `a`'s messages, never heard). Room 2: `c` only types (heard, sent
    // nothing but its presence at the start: typing is not echoed to the
    // typist), `d` only reads.
    let a = api.create("a", None).await;
    let b = api.join(&a.room_id, "b").await;
    let c = api.create("c", None).await;
    let d = api.join(&c.room_id, "d").await;
    let (mut a_tx, a_rx) = api.socket(&a).await.ws.split();
    let (_b_tx, b_rx) = api.socket(&b).await.ws.split();
    let (mut c_tx, c_rx) = api.socket(&c).await.ws.split();
    let (_d_tx, d_rx) = api.socket(&d).await.ws.split();
    let watched = [a_rx, b_rx, c_rx, d_rx].map(watch);

    let started = Instant::now();
    let mut i = 0;
    while started.elapsed() < TWO_PERIODS {
        let send = serde_json::json!({"type": "send", "body": format!("m{i}")});
        a_tx.send(WsMessage::Text(send.to_string().into()))
            .await
            .unwrap();
        let typing = serde_json::json!({"type": "typing"});
        c_tx.send(WsMessage::Text(typing.to_string().into()))
            .await
            .unwrap();
        i += 1;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    a_tx.close().await.unwrap();
    c_tx.close().await.unwrap();
    server.shutdown().await.unwrap();
    let [a_seen, b_seen, c_seen, d_seen] = futures_util::future::join_all(watched)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect::<Vec<_>>()
        .try_into()
        .ok()
        .unwrap();

    let echoes = a_seen.texts.iter().filter(|t| *t == "message").count();
    assert!(echoes >= i - 1, "a got {echoes} of its {i} echoes");
    assert!(d_seen.texts.iter().any(|t| t == "typing"), "d saw c typing");
    assert_eq!(a_seen.pings, 0, "busy both ways: no ping");
    assert!(b_seen.pings >= 1, "never heard: pinged");
    assert!(c_seen.pings >= 1, "sent nothing for a period: pinged");
    assert!(d_seen.pings >= 1, "never heard: pinged");
    for seat in [&a, &b, &c, &d] {
        assert!(store.of(&seat.member_id) >= 1, "{} renewed", seat.member_id);
    }
}
