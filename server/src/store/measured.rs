//! A [`Store`] that times every call into the store-latency histogram
//! (`private_chat_store_seconds{op}`), around whichever backend it wraps.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use private_chat_protocol::Message;
use uuid::Uuid;

use super::{
    Appended, Author, MemberRecord, RoomSignal, RoomSnapshot, Store, StoreError, Subscription,
};
use crate::metrics::{self, StoreOp};

pub struct Measured(pub Arc<dyn Store>);

/// Runs `call`, recording its time under `op`.
async fn timed<T>(op: StoreOp, call: impl std::future::Future<Output = T>) -> T {
    let started = Instant::now();
    let out = call.await;
    metrics::store_call(op, started.elapsed());
    out
}

#[async_trait]
impl Store for Measured {
    fn backend(&self) -> &'static str {
        self.0.backend()
    }

    async fn health(&self) -> Result<(), StoreError> {
        timed(StoreOp::Health, self.0.health()).await
    }

    async fn create_room(
        &self,
        room_id: Uuid,
        creator: &MemberRecord,
        ttl: Duration,
    ) -> Result<Duration, StoreError> {
        timed(
            StoreOp::CreateRoom,
            self.0.create_room(room_id, creator, ttl),
        )
        .await
    }

    async fn join_room(
        &self,
        room_id: Uuid,
        member: &MemberRecord,
    ) -> Result<Duration, StoreError> {
        timed(StoreOp::JoinRoom, self.0.join_room(room_id, member)).await
    }

    async fn room(&self, room_id: Uuid) -> Result<RoomSnapshot, StoreError> {
        timed(StoreOp::Room, self.0.room(room_id)).await
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
            .0
            .append_message(room_id, author, body, nonce, max_messages);
        timed(StoreOp::AppendMessage, call).await
    }

    async fn messages(
        &self,
        room_id: Uuid,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Message>, StoreError> {
        timed(StoreOp::Messages, self.0.messages(room_id, after, limit)).await
    }

    async fn destroy(&self, room_id: Uuid, by: &str) -> Result<(), StoreError> {
        timed(StoreOp::Destroy, self.0.destroy(room_id, by)).await
    }

    async fn connect(
        &self,
        room_id: Uuid,
        member_id: &str,
        socket_id: &str,
        max_sockets: usize,
    ) -> Result<(), StoreError> {
        let call = self.0.connect(room_id, member_id, socket_id, max_sockets);
        timed(StoreOp::Connect, call).await
    }

    async fn renew(
        &self,
        room_id: Uuid,
        member_id: &str,
        socket_id: &str,
    ) -> Result<(), StoreError> {
        timed(StoreOp::Renew, self.0.renew(room_id, member_id, socket_id)).await
    }

    async fn disconnect(
        &self,
        room_id: Uuid,
        member_id: &str,
        socket_id: &str,
    ) -> Result<(), StoreError> {
        timed(
            StoreOp::Disconnect,
            self.0.disconnect(room_id, member_id, socket_id),
        )
        .await
    }

    async fn publish(&self, room_id: Uuid, signal: &RoomSignal) -> Result<(), StoreError> {
        timed(StoreOp::Publish, self.0.publish(room_id, signal)).await
    }

    async fn subscribe(&self, room_id: Uuid) -> Result<Subscription, StoreError> {
        timed(StoreOp::Subscribe, self.0.subscribe(room_id)).await
    }
}
