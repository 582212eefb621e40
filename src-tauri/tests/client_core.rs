//! The client core against the real server library: typed calls, and a room
//! socket that reconnects and catches up without missing or repeating.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use private_chat_app::client::socket::{Emit, Feed, Seat};
use private_chat_app::client::{Api, RoomSocket};
use private_chat_protocol::app::{ChatMessage, Connection, Notice, RoomEvent};
use private_chat_protocol::{ErrorCode, Message, Session};
use private_chat_server::store::memory::MemoryStore;
use private_chat_server::store::Store;
use private_chat_server::{Config, RunningServer};
use tokio::sync::mpsc;

async fn serve(store: &MemoryStore, listen: SocketAddr) -> RunningServer {
    let config = Config {
        listen,
        min_ttl_secs: 1,
        ..Config::default()
    };
    private_chat_server::start_with_store(config, Arc::new(store.clone()))
        .await
        .unwrap()
}

fn socket(api: &Api, s: &Session) -> (RoomSocket, mpsc::UnboundedReceiver<RoomEvent>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let seat = Seat {
        api: api.clone(),
        room_id: s.room_id.clone(),
        member_id: s.member_id.clone(),
        token: s.token.clone(),
    };
    let socket = RoomSocket::spawn(
        seat,
        0,
        Duration::from_millis(s.expires_in_ms),
        Emit::new(move |item| {
            let _ = tx.send(as_event(item));
        }),
    );
    (socket, rx)
}

/// The socket's report as a room event (a stored message as it came, its
/// body taken for the text): these tests look at order and ids only.
fn as_event(item: Feed) -> RoomEvent {
    match item {
        Feed::Event(e) => e,
        Feed::Message { message, nonce } => RoomEvent::Message {
            room_id: String::new(),
            message: ChatMessage {
                id: message.id,
                member_id: message.member_id,
                name: message.name,
                text: Some(message.body),
                sent_at_ms: message.sent_at_ms,
            },
            nonce,
        },
    }
}

/// Stores a message of the member in `seat` (0: creator) straight in the store.
async fn store_message(store: &MemoryStore, room_id: &str, seat: usize, body: &str) -> Message {
    let room_id = room_id.parse().unwrap();
    let author = store.room(room_id).await.unwrap().members[seat].author();
    let appended = store
        .append_message(room_id, &author, body, None, 100)
        .await
        .unwrap();
    Message::clone(&appended)
}

async fn until(
    rx: &mut mpsc::UnboundedReceiver<RoomEvent>,
    what: &str,
    ok: impl Fn(&RoomEvent) -> bool,
) -> Vec<RoomEvent> {
    let mut seen = Vec::new();
    let found = tokio::time::timeout(Duration::from_secs(15), async {
        while let Some(e) = rx.recv().await {
            let done = ok(&e);
            seen.push(e);
            if done {
                return true;
            }
        }
        false
    })
    .await;
    assert!(matches!(found, Ok(true)), "never saw {what}; saw {seen:?}");
    seen
}

fn online(e: &RoomEvent) -> bool {
    matches!(
        e,
        RoomEvent::Connection {
            state: Connection::Online,
            ..
        }
    )
}

fn message_ids(events: &[RoomEvent]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| {
            if let RoomEvent::Message { message, .. } = e {
                Some(message.id)
            } else {
                None
            }
        })
        .collect()
}

#[tokio::test]
async fn typed_calls_cover_every_route() {
    let store = MemoryStore::new();
    let server = serve(&store, "127.0.0.1:0".parse().unwrap()).await;
    let api = Api::new(&server.url());
    assert_eq!(api.health().await.unwrap().backend, "memory");
    let a = api.create("alice", None).await.unwrap();
    let b = api.join(&a.room_id, "bob").await.unwrap();
    assert_eq!(
        api.join(&a.room_id, "carol").await.unwrap_err().code(),
        Some(ErrorCode::RoomFull)
    );
    let sent = store_message(&store, &a.room_id, 0, "hi").await;
    assert_eq!(
        api.messages(&b.room_id, &b.token, None).await.unwrap(),
        vec![sent.clone()]
    );
    assert!(api
        .messages(&b.room_id, &b.token, Some(sent.id))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        api.room(&a.room_id, &a.token).await.unwrap().members.len(),
        2
    );
    assert_eq!(
        api.room(&a.room_id, &"0".repeat(64))
            .await
            .unwrap_err()
            .code(),
        Some(ErrorCode::Unauthorized)
    );
    api.destroy(&b.room_id, &b.token).await.unwrap();
    assert_eq!(
        api.room(&a.room_id, &a.token).await.unwrap_err().code(),
        Some(ErrorCode::RoomNotFound)
    );
    let down = Api::new("http://127.0.0.1:9");
    assert!(matches!(
        down.health().await,
        Err(private_chat_app::client::ClientError::Unreachable(_))
    ));
}

#[tokio::test]
async fn reconnects_and_catches_up_without_gaps_or_repeats() {
    let store = MemoryStore::new();
    let server = serve(&store, "127.0.0.1:0".parse().unwrap()).await;
    let addr = server.addr();
    let api = Api::new(&server.url());
    let a = api.create("alice", None).await.unwrap();
    let b = api.join(&a.room_id, "bob").await.unwrap();
    store_message(&store, &b.room_id, 1, "before").await;
    let (sock, mut rx) = socket(&api, &a);
    let first = until(&mut rx, "online", online).await;
    assert_eq!(message_ids(&first), [1], "catch-up on first connect");

    // The server goes away; messages are stored while the socket is down.
    server.shutdown().await.unwrap();
    until(&mut rx, "reconnecting", |e| {
        matches!(
            e,
            RoomEvent::Connection {
                state: Connection::Reconnecting,
                ..
            }
        )
    })
    .await;
    for body in ["while away 1", "while away 2"] {
        store_message(&store, &a.room_id, 1, body).await;
    }
    let assert_send_refused = sock.send("now?".into(), "n".into()).await;
    assert!(
        assert_send_refused.is_err(),
        "sending while disconnected is refused, not lost"
    );

    // Back on the same address: caught up exactly once, then live.
    let server = serve(&store, addr).await;
    let back = until(&mut rx, "online again", online).await;
    assert_eq!(message_ids(&back), [2, 3]);
    sock.send("live".into(), "n-live".into()).await.unwrap();
    let live = until(
        &mut rx,
        "the echo",
        |e| matches!(e, RoomEvent::Message { nonce: Some(n), .. } if n == "n-live"),
    )
    .await;
    assert_eq!(message_ids(&live), [4]);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn every_ending_is_reported_once_with_its_reason() {
    let store = MemoryStore::new();
    let server = serve(&store, "127.0.0.1:0".parse().unwrap()).await;
    let api = Api::new(&server.url());

    // Destroyed by the other member.
    let a = api.create("alice", None).await.unwrap();
    let b = api.join(&a.room_id, "bob").await.unwrap();
    let (_sa, mut ra) = socket(&api, &a);
    let (_sb, mut rb) = socket(&api, &b);
    until(&mut ra, "online", online).await;
    until(&mut rb, "online", online).await;
    api.destroy(&b.room_id, &b.token).await.unwrap();
    until(&mut ra, "destroyed by peer", |e| {
        matches!(
            e,
            RoomEvent::Ended {
                notice: Notice::DestroyedByPeer,
                ..
            }
        )
    })
    .await;
    until(&mut rb, "destroyed by you", |e| {
        matches!(
            e,
            RoomEvent::Ended {
                notice: Notice::DestroyedByYou,
                ..
            }
        )
    })
    .await;

    // Expired.
    let c = api.create("carol", Some(1)).await.unwrap();
    let (_sc, mut rc) = socket(&api, &c);
    until(&mut rc, "expired", |e| {
        matches!(
            e,
            RoomEvent::Ended {
                notice: Notice::Expired,
                ..
            }
        )
    })
    .await;

    // Gone while the socket was away.
    let d = api.create("dave", None).await.unwrap();
    let addr = server.addr();
    let (_sd, mut rd) = socket(&api, &d);
    until(&mut rd, "online", online).await;
    server.shutdown().await.unwrap();
    store
        .destroy(d.room_id.parse().unwrap(), "someone")
        .await
        .unwrap();
    let server = serve(&store, addr).await;
    until(&mut rd, "room not found", |e| {
        matches!(
            e,
            RoomEvent::Ended {
                notice: Notice::RoomNotFound,
                ..
            }
        )
    })
    .await;
    // Nothing after the end.
    assert!(tokio::time::timeout(Duration::from_millis(500), rd.recv())
        .await
        .map(|e| e.is_none())
        .unwrap_or(true));
    server.shutdown().await.unwrap();
}
