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
    let _socket = RoomSocket::spawn(
        Seat {
            api: Api::new(&format!("http://{addr}")),
            room_id: "3f2b8c1e-4a5d-4e6f-8a9b-0c1d2e3f4a5b".into(),
            member_id: "0123456789abcdef".into(),
            token: "ab".repeat(32),
        },
        0,
        Duration::from_secs(600),
        Emit::new(move |item| {
            let _ = tx.send(item);
        }),
    );
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
