//! One conformance suite for the [`Store`] trait, run against both backends:
//! whatever the API tests do not see directly (signals, counts, limits).

use std::sync::Arc;
use std::time::Duration;

use private_chat_server::store::memory::MemoryStore;
use private_chat_server::store::redis::RedisStore;
use private_chat_server::store::{
    Delivery, MemberRecord, RoomSignal, Store, StoreError, Subscription,
};
use uuid::Uuid;

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(#[tokio::test]
            async fn $name() { super::$name(std::sync::Arc::new(private_chat_server::store::memory::MemoryStore::new())).await })*
        }
        mod redis {
            $(#[tokio::test]
            async fn $name() { super::$name(super::redis_store().await).await })*
        }
    };
}

conformance!(
    seats_fill_in_order,
    missing_rooms_are_not_found,
    messages_get_sequential_ids_and_respect_the_limit,
    socket_counts_respect_the_limit,
    every_operation_signals_listeners,
    destroy_removes_everything,
    a_retried_send_is_stored_once,
    expiry_removes_everything,
);

async fn redis_store() -> Arc<RedisStore> {
    Arc::new(
        RedisStore::connect(&private_chat_tests::redis::shared_url())
            .await
            .unwrap(),
    )
}

fn member(id: &str) -> MemberRecord {
    MemberRecord {
        member_id: id.into(),
        name: format!("name-{id}"),
        token_digest: format!("digest-{id}"),
    }
}

const TTL: Duration = Duration::from_secs(60);

async fn next(sub: &mut Subscription) -> RoomSignal {
    let delivery = tokio::time::timeout(Duration::from_secs(5), sub.recv())
        .await
        .expect("a signal in time");
    match delivery {
        Delivery::Signal(signal) => (*signal).clone(),
        other => panic!("expected a signal, got {other:?}"),
    }
}

async fn seats_fill_in_order<S: Store>(store: Arc<S>) {
    let room = Uuid::new_v4();
    let left = store.create_room(room, &member("a"), TTL).await.unwrap();
    assert!(left <= TTL && left > TTL - Duration::from_secs(1));
    store.join_room(room, &member("b")).await.unwrap();
    assert_eq!(
        store.join_room(room, &member("c")).await.unwrap_err(),
        StoreError::Full
    );
    let snapshot = store.room(room).await.unwrap();
    assert_eq!(snapshot.members, vec![member("a"), member("b")]);
    assert_eq!(snapshot.online, vec![0, 0]);
}

async fn missing_rooms_are_not_found<S: Store>(store: Arc<S>) {
    let room = Uuid::new_v4();
    assert_eq!(store.room(room).await.unwrap_err(), StoreError::NotFound);
    assert_eq!(
        store.join_room(room, &member("b")).await.unwrap_err(),
        StoreError::NotFound
    );
    assert_eq!(
        store
            .append_message(room, &member("a").author(), "x", None, 10)
            .await
            .unwrap_err(),
        StoreError::NotFound
    );
    assert_eq!(
        store.destroy(room, "a").await.unwrap_err(),
        StoreError::NotFound
    );
    assert_eq!(
        store.connect(room, "a", "s1", 4).await.unwrap_err(),
        StoreError::NotFound
    );
    assert_eq!(
        store.disconnect(room, "a", "s1").await.unwrap_err(),
        StoreError::NotFound
    );
    assert!(matches!(
        store.subscribe(room).await,
        Err(StoreError::NotFound)
    ));
}

async fn messages_get_sequential_ids_and_respect_the_limit<S: Store>(store: Arc<S>) {
    let room = Uuid::new_v4();
    store.create_room(room, &member("a"), TTL).await.unwrap();
    store.join_room(room, &member("b")).await.unwrap();
    for i in 1..=4u64 {
        let seat = if i % 2 == 0 { member("b") } else { member("a") };
        let body = format!("m{i} \"quoted\" \\ \u{1F642} {{}}");
        let m = store
            .append_message(room, &seat.author(), &body, Some(&format!("n{i}")), 4)
            .await
            .unwrap();
        assert_eq!(
            (m.id, m.body.as_str(), m.member_id.as_str()),
            (i, body.as_str(), seat.member_id.as_str())
        );
        assert_eq!(m.name, seat.name);
    }
    assert_eq!(
        store
            .append_message(room, &member("a").author(), "5", None, 4)
            .await
            .unwrap_err(),
        StoreError::MessageLimit
    );
    let all = store.messages(room, None, 100).await.unwrap();
    assert_eq!(all.iter().map(|m| m.id).collect::<Vec<_>>(), [1, 2, 3, 4]);
    assert!(all.windows(2).all(|w| w[0].sent_at_ms <= w[1].sent_at_ms));
    assert_eq!(
        store.messages(room, Some(2), 100).await.unwrap(),
        all[2..].to_vec()
    );
    assert!(store.messages(room, Some(4), 100).await.unwrap().is_empty());
    // Pages: `limit` from `after`, whatever the numbers.
    assert_eq!(
        store.messages(room, None, 2).await.unwrap(),
        all[..2].to_vec()
    );
    assert_eq!(
        store.messages(room, Some(1), 2).await.unwrap(),
        all[1..3].to_vec()
    );
    assert_eq!(
        store.messages(room, Some(3), 2).await.unwrap(),
        all[3..].to_vec()
    );
    assert!(store
        .messages(room, Some(u64::MAX), 2)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.messages(room, None, usize::MAX).await.unwrap(), all);
}

async fn socket_counts_respect_the_limit<S: Store>(store: Arc<S>) {
    let room = Uuid::new_v4();
    store.create_room(room, &member("a"), TTL).await.unwrap();
    store.join_room(room, &member("b")).await.unwrap();
    store.connect(room, "a", "a1", 2).await.unwrap();
    store.connect(room, "a", "a2", 2).await.unwrap();
    assert_eq!(
        store.connect(room, "a", "a3", 2).await.unwrap_err(),
        StoreError::TooManySockets
    );
    store.connect(room, "b", "b1", 2).await.unwrap();
    assert_eq!(store.room(room).await.unwrap().online, vec![2, 1]);
    store.renew(room, "a", "a1").await.unwrap();
    assert_eq!(store.room(room).await.unwrap().online, vec![2, 1]);
    store.disconnect(room, "a", "a1").await.unwrap();
    store.disconnect(room, "b", "b1").await.unwrap();
    assert_eq!(store.room(room).await.unwrap().online, vec![1, 0]);
    store.connect(room, "a", "a4", 2).await.unwrap();
    assert_eq!(store.room(room).await.unwrap().online, vec![2, 0]);
}

/// Redis: a socket whose release never reached Redis (a blip, a crashed
/// instance) stops counting when its lease lapses; renewed leases hold.
#[tokio::test]
async fn a_lost_release_lapses_with_its_lease() {
    let lease = Duration::from_millis(800);
    let store = RedisStore::connect(&private_chat_tests::redis::shared_url())
        .await
        .unwrap()
        .with_socket_lease(lease);
    let room = Uuid::new_v4();
    store.create_room(room, &member("a"), TTL).await.unwrap();
    // Two sockets whose releases are lost: the member is at its limit...
    store.connect(room, "a", "lost1", 2).await.unwrap();
    store.connect(room, "a", "lost2", 2).await.unwrap();
    assert_eq!(
        store.connect(room, "a", "a3", 2).await.unwrap_err(),
        StoreError::TooManySockets
    );
    // ...until the leases lapse, not for the rest of the room's life.
    tokio::time::sleep(lease + Duration::from_millis(300)).await;
    assert_eq!(store.room(room).await.unwrap().online, vec![0]);
    store.connect(room, "a", "live1", 2).await.unwrap();
    store.connect(room, "a", "live2", 2).await.unwrap();
    // Live sockets renew and keep counting past their first lease.
    for _ in 0..5 {
        tokio::time::sleep(lease / 3).await;
        store.renew(room, "a", "live1").await.unwrap();
        store.renew(room, "a", "live2").await.unwrap();
    }
    assert_eq!(
        store.connect(room, "a", "a5", 2).await.unwrap_err(),
        StoreError::TooManySockets
    );
    assert_eq!(store.room(room).await.unwrap().online, vec![2]);
    store.destroy(room, "a").await.unwrap();
    assert!(store.keys_of(room).await.unwrap().is_empty());
}

async fn every_operation_signals_listeners<S: Store>(store: Arc<S>) {
    let room = Uuid::new_v4();
    store.create_room(room, &member("a"), TTL).await.unwrap();
    let mut sub = store.subscribe(room).await.unwrap();
    store.join_room(room, &member("b")).await.unwrap();
    assert_eq!(next(&mut sub).await, RoomSignal::PresenceChanged);
    store.connect(room, "b", "s1", 4).await.unwrap();
    assert_eq!(next(&mut sub).await, RoomSignal::PresenceChanged);
    let m = store
        .append_message(room, &member("b").author(), "hi", Some("n-7"), 10)
        .await
        .unwrap();
    assert_eq!(
        next(&mut sub).await,
        RoomSignal::Message {
            message: m.message,
            nonce: Some("n-7".into())
        }
    );
    let typing = RoomSignal::Typing {
        member_id: "b".into(),
    };
    store.publish(room, &typing).await.unwrap();
    assert_eq!(next(&mut sub).await, typing);
    store.disconnect(room, "b", "s1").await.unwrap();
    assert_eq!(next(&mut sub).await, RoomSignal::PresenceChanged);
    store.destroy(room, "b").await.unwrap();
    assert_eq!(
        next(&mut sub).await,
        RoomSignal::Destroyed { by: "b".into() }
    );
}

/// A send retried with the same nonce (its answer was lost) gets the stored
/// message back: not stored, counted or announced twice.
async fn a_retried_send_is_stored_once<S: Store>(store: Arc<S>) {
    let room = Uuid::new_v4();
    store.create_room(room, &member("a"), TTL).await.unwrap();
    store.join_room(room, &member("b")).await.unwrap();
    let mut sub = store.subscribe(room).await.unwrap();
    let (a, b) = (member("a"), member("b"));
    let first = store
        .append_message(room, &a.author(), "hi", Some("n1"), 2)
        .await
        .unwrap();
    assert!(matches!(next(&mut sub).await, RoomSignal::Message { .. }));
    let again = store
        .append_message(room, &a.author(), "hi", Some("n1"), 2)
        .await
        .unwrap();
    assert_eq!(
        again.message, first.message,
        "the retry answers the stored message"
    );
    assert!(again.retry && !first.retry);
    // The same nonce from the other member, and sends without a nonce, are new.
    let theirs = store
        .append_message(room, &b.author(), "yo", Some("n1"), 2)
        .await
        .unwrap();
    assert_eq!(theirs.id, 2);
    assert_eq!(
        store
            .append_message(room, &a.author(), "x", None, 2)
            .await
            .unwrap_err(),
        StoreError::MessageLimit
    );
    // At the limit a retry still gets its message, not a refusal.
    assert_eq!(
        store
            .append_message(room, &a.author(), "hi", Some("n1"), 2)
            .await
            .unwrap()
            .message,
        first.message
    );
    assert_eq!(store.messages(room, None, 100).await.unwrap().len(), 2);
    assert!(matches!(next(&mut sub).await, RoomSignal::Message { message, .. } if message.id == 2));
    assert!(
        tokio::time::timeout(Duration::from_millis(300), sub.recv())
            .await
            .is_err(),
        "a retry was announced again"
    );
}

async fn destroy_removes_everything<S: Store>(store: Arc<S>) {
    let room = Uuid::new_v4();
    store.create_room(room, &member("a"), TTL).await.unwrap();
    store.join_room(room, &member("b")).await.unwrap();
    store.connect(room, "a", "s1", 4).await.unwrap();
    store
        .append_message(room, &member("a").author(), "x", Some("n1"), 10)
        .await
        .unwrap();
    store.destroy(room, "a").await.unwrap();
    assert_eq!(store.room(room).await.unwrap_err(), StoreError::NotFound);
    assert_eq!(
        store
            .messages(room, None, 100)
            .await
            .map(|m| m.len())
            .unwrap_or(0),
        0
    );
    // Late writers (a socket closing after the destroy) must not resurrect it.
    let _ = store.disconnect(room, "a", "s1").await;
    let _ = store.connect(room, "a", "s1", 4).await;
    let _ = store
        .append_message(room, &member("a").author(), "late", None, 10)
        .await;
    assert_eq!(store.room(room).await.unwrap_err(), StoreError::NotFound);
    assert_no_traces(&*store, room).await;
}

async fn expiry_removes_everything<S: Store>(store: Arc<S>) {
    let room = Uuid::new_v4();
    store
        .create_room(room, &member("a"), Duration::from_millis(300))
        .await
        .unwrap();
    store.join_room(room, &member("b")).await.unwrap();
    store.connect(room, "b", "s1", 4).await.unwrap();
    store
        .append_message(room, &member("b").author(), "x", None, 10)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(store.room(room).await.unwrap_err(), StoreError::NotFound);
    let _ = store.disconnect(room, "b", "s1").await;
    assert_no_traces(&*store, room).await;
}

async fn assert_no_traces<S: Store>(store: &S, room: Uuid) {
    let any: &dyn std::any::Any = store;
    if let Some(redis) = any.downcast_ref::<RedisStore>() {
        assert_eq!(redis.keys_of(room).await.unwrap(), Vec::<String>::new());
    } else if let Some(memory) = any.downcast_ref::<MemoryStore>() {
        assert!(!memory.holds(room));
    } else {
        panic!("unknown backend");
    }
}
