//! The load generator's floor: a bare tokio-tungstenite relay.
//!
//! It does what the room server must do at the least for a chat between two
//! sockets and nothing more: every text frame a socket sends goes to every
//! socket of its room, the sender included (the server echoes each message
//! to its sender too, as the acknowledgement). No parsing, no storage, no
//! authentication. Each socket is a reading task and a writing task joined
//! by a queue, as in axum's chat example and in the server, with the
//! server's socket buffer sizes, so the difference between the two is what
//! the server adds.
//!
//! A socket names its room in the path: `ws://<addr>/<room>`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

/// The server's socket buffers (`server/src/http/ws/mod.rs`).
const READ_BUFFER: usize = 2 * 1024;
/// The server's outbound queue per socket.
const QUEUE: usize = 32;

type Rooms = Arc<Mutex<HashMap<String, Vec<mpsc::Sender<Message>>>>>;

/// Relays until the process ends.
pub async fn serve(listener: TcpListener) {
    let rooms = Rooms::default();
    while let Ok((stream, _)) = listener.accept().await {
        let _ = stream.set_nodelay(true);
        tokio::spawn(socket(stream, rooms.clone()));
    }
}

async fn socket(stream: TcpStream, rooms: Rooms) {
    let mut room = String::new();
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0);
    // The signature is tungstenite's (its error type is large by design).
    #[allow(clippy::result_large_err)]
    let callback = |req: &Request, res: Response| {
        room = req.uri().path().trim_start_matches('/').to_owned();
        Ok(res)
    };
    let Ok(ws) =
        tokio_tungstenite::accept_hdr_async_with_config(stream, callback, Some(config)).await
    else {
        return;
    };
    let (mut sink, mut stream) = ws.split();
    let (tx, mut queue) = mpsc::channel::<Message>(QUEUE);
    rooms
        .lock()
        .unwrap()
        .entry(room.clone())
        .or_default()
        .push(tx.clone());
    let writer = tokio::spawn(async move {
        while let Some(frame) = queue.recv().await {
            if sink.send(frame).await.is_err() {
                break;
            }
        }
    });
    while let Some(Ok(frame)) = stream.next().await {
        if !frame.is_text() {
            continue;
        }
        let members = rooms
            .lock()
            .unwrap()
            .get(&room)
            .cloned()
            .unwrap_or_default();
        for member in members {
            let _ = member.send(frame.clone()).await;
        }
    }
    if let Some(members) = rooms.lock().unwrap().get_mut(&room) {
        members.retain(|m| !m.same_channel(&tx));
    }
    drop(tx);
    let _ = writer.await;
}
