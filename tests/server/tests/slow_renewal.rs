//! A socket's lease renewal (at every keepalive ping) runs beside its
//! writes: with a store whose renewals hang, the room's messages still reach
//! the socket at once. Before, the writer awaited each renewal, so a store
//! slow to renew (a Redis handed 2,000 renewals at once by sockets opened
//! together) held up every message to those sockets meanwhile: the load
//! generator measured one stall of 120-165 ms per run on Redis.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use private_chat_protocol::Message;
use private_chat_server::store::memory::MemoryStore;
use private_chat_server::store::{
    Appended, Author, MemberRecord, RoomSignal, RoomSnapshot, Store, StoreError, Subscription,
};
use private_chat_tests::server::test_config;
use private_chat_tests::Api;
use reqwest::StatusCode;
use uuid::Uuid;

/// How long a renewal hangs: longer than the whole test.
const HANG: Duration = Duration::from_secs(120);
/// Sending for this long covers the first ping, due 10-20 s after the
/// socket opens.
const SENDING: Duration = Duration::from_secs(22);
/// A message slower than this to reach the socket was held up.
const PROMPT: Duration = Duration::from_secs(2);

/// The memory store, except that renewals hang (counted as they start).
struct SlowRenewals {
    inner: MemoryStore,
    renewals: AtomicUsize,
}

#[async_trait]
impl Store for SlowRenewals {
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
        self.renewals.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(HANG).await;
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
    let store = Arc::new(SlowRenewals {
        inner: MemoryStore::new(),
        renewals: AtomicUsize::new(0),
    });
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
        if renewing_since.is_none() && store.renewals.load(Ordering::SeqCst) > 0 {
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
