//! A server that answers with what no private_chat server sends: the app's
//! client refuses it without buffering it or trusting it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::SinkExt;
use private_chat_app::client::socket::{Emit, Feed, Seat};
use private_chat_app::client::{Api, RoomSocket};
use private_chat_protocol::app::{Connection, RoomEvent};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn a_frame_over_the_limit_from_a_server_drops_the_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                if let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await {
                    // 1 MiB of one frame, where a room's largest is ~16 KiB.
                    let huge = "x".repeat(1 << 20);
                    if ws.send(Message::Text(huge.into())).await.is_ok() {
                        counter.fetch_add(1, Ordering::SeqCst);
                    }
                    tokio::time::sleep(Duration::from_secs(30)).await;
                }
            });
        }
    });
    let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let _socket = socket_to(&format!("http://{addr}"), tx);
    let dropped = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(item) = events.recv().await {
            match item {
                Feed::Event(RoomEvent::Connection {
                    state: Connection::Reconnecting,
                    ..
                }) => return true,
                Feed::Event(RoomEvent::Connection {
                    state: Connection::Online,
                    ..
                }) => return false,
                _ => {}
            }
        }
        false
    })
    .await;
    assert_eq!(dropped, Ok(true), "the huge frame was accepted");
    assert!(sent.load(Ordering::SeqCst) >= 1);
}

/// A server whose live feed skips a message (as a lost pub/sub signal
/// would): the client fills the gap from history before going on.
#[tokio::test]
async fn a_gap_in_message_ids_is_filled_from_history() {
    use axum::extract::ws::{Message as WsOut, WebSocketUpgrade};
    use axum::extract::Query;
    use axum::routing::get;
    use axum::{Json, Router};
    use serde_json::{json, Value};
    use std::collections::HashMap;

    const ROOM: &str = "3f2b8c1e-4a5d-4e6f-8a9b-0c1d2e3f4a5b";
    fn message(id: u64) -> Value {
        json!({"id": id, "member_id": "0123456789abcdef", "name": "x", "body": format!("m{id}"), "sent_at_ms": 1})
    }
    // How many messages the "store" holds so far.
    let stored = Arc::new(AtomicUsize::new(0));
    let (for_list, for_ws) = (stored.clone(), stored.clone());
    let app = Router::new()
        .route(
            "/api/rooms/{id}",
            get(|| async {
                Json(json!({"room_id": ROOM, "expires_in_ms": 600_000, "members": []}))
            }),
        )
        .route(
            "/api/rooms/{id}/messages",
            get(move |Query(q): Query<HashMap<String, String>>| {
                let stored = for_list.load(Ordering::SeqCst) as u64;
                async move {
                    let after = q.get("after").and_then(|a| a.parse().ok()).unwrap_or(0u64);
                    let list: Vec<Value> = (after + 1..=stored).map(message).collect();
                    Json(json!({ "messages": list }))
                }
            }),
        )
        .route(
            "/api/rooms/{id}/ws",
            get(move |ws: WebSocketUpgrade| {
                let stored = for_ws.clone();
                async move {
                    ws.on_upgrade(move |mut socket| async move {
                        let send = |v: Value| WsOut::Text(v.to_string().into());
                        let _ = socket
                            .send(send(json!({"type": "presence", "members": []})))
                            .await;
                        tokio::time::sleep(Duration::from_millis(300)).await;
                        stored.store(3, Ordering::SeqCst);
                        // Live: 1, then 3; 2 was lost on the way.
                        for id in [1, 3] {
                            let _ = socket
                                .send(send(json!({"type": "message", "message": message(id)})))
                                .await;
                        }
                        tokio::time::sleep(Duration::from_secs(30)).await;
                    })
                }
            }),
        );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let _socket = RoomSocket::spawn(
        Seat {
            api: Api::new(&format!("http://{addr}")),
            room_id: ROOM.into(),
            member_id: "fedcba9876543210".into(),
            token: "ab".repeat(32),
        },
        0,
        Duration::from_secs(600),
        Emit::new(move |item| {
            let _ = tx.send(item);
        }),
    );
    let mut ids = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(3), async {
        while let Some(item) = events.recv().await {
            if let Feed::Message { message, .. } = item {
                ids.push(message.id);
            }
        }
    })
    .await;
    assert_eq!(ids, [1, 2, 3], "each message once, in order");
}

/// A server that refuses every socket open with `status` (and `retry`
/// seconds of `Retry-After`); counts the attempts.
async fn refusing_server(status: u16, retry: Option<u64>) -> (String, Arc<AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let attempts = Arc::new(AtomicUsize::new(0));
    let counter = attempts.clone();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut head = [0u8; 4096];
            let _ = tcp.read(&mut head).await;
            let retry = retry
                .map(|s| format!("retry-after: {s}\r\n"))
                .unwrap_or_default();
            let body = r#"{"error":"x","message":"no"}"#;
            let answer = format!(
                "HTTP/1.1 {status} No\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{retry}connection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = tcp.write_all(answer.as_bytes()).await;
        }
    });
    (format!("http://{addr}"), attempts)
}

fn socket_to(base: &str, tx: tokio::sync::mpsc::UnboundedSender<Feed>) -> RoomSocket {
    RoomSocket::spawn(
        Seat {
            api: Api::new(base),
            room_id: "3f2b8c1e-4a5d-4e6f-8a9b-0c1d2e3f4a5b".into(),
            member_id: "0123456789abcdef".into(),
            token: "ab".repeat(32),
        },
        0,
        Duration::from_secs(600),
        Emit::new(move |item| {
            let _ = tx.send(item);
        }),
    )
}

/// A refusal that time does not change (400 here) ends the room's socket
/// with a notice after one attempt, instead of retrying for ever.
#[tokio::test]
async fn a_permanent_refusal_stops_the_retries() {
    use private_chat_protocol::app::Notice;
    let (base, attempts) = refusing_server(400, None).await;
    let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let socket = socket_to(&base, tx);
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(item) = events.recv().await {
            if let Feed::Event(RoomEvent::Ended { notice, .. }) = item {
                return Some(notice);
            }
        }
        None
    })
    .await;
    assert_eq!(ended, Ok(Some(Notice::ServerRefused)));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        1,
        "retried a permanent refusal"
    );
    assert!(!socket.is_running());
}

/// A passing refusal (429 / 503) is retried, but not before `Retry-After`.
#[tokio::test]
async fn a_passing_refusal_is_retried_after_retry_after() {
    let (base, attempts) = refusing_server(429, Some(3)).await;
    let (tx, _events) = tokio::sync::mpsc::unbounded_channel();
    let socket = socket_to(&base, tx);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    // Without Retry-After the backoff (0.3 s, 0.6 s, 1.2 s...) would have
    // made 3 or more attempts by now.
    assert_eq!(attempts.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        2,
        "retried after Retry-After"
    );
    assert!(socket.is_running());
}

/// An invite naming a Redis port on this computer (`server=http://[::1]:6379`
/// is a well-formed invite): the app asks `/healthz` first, finds no
/// private_chat server there, and sends nothing that Redis would run.
#[tokio::test]
async fn an_invite_naming_a_local_redis_reaches_nothing() {
    use private_chat_app::client::reach::first_answering;
    use private_chat_protocol::invite::Invite;
    let port = std::net::TcpListener::bind("[::1]:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut redis = std::process::Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "::1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("redis-server is installed (the test command installs it)");
    let cli = |args: &[&str]| -> String {
        let out = std::process::Command::new("redis-cli")
            .args(["-h", "::1", "-p", &port.to_string()])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    for _ in 0..100 {
        if cli(&["PING"]) == "PONG" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let link = format!(
        "privchat://room/3f2b8c1e-4a5d-4e6f-8a9b-0c1d2e3f4a5b?server=http://[::1]:{port}#{}",
        "A".repeat(43)
    );
    let invite = Invite::parse(&link).expect("a well-formed invite");
    let reached = first_answering(&invite.servers, invite.pin.as_deref()).await;
    let keys = cli(&["DBSIZE"]);
    let _ = redis.kill();
    let _ = redis.wait();
    assert!(reached.is_err(), "Redis was taken for a room server");
    assert_eq!(keys, "0", "something was written into Redis");
}
