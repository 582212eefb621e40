//! A room full of worst-case messages (8 KiB of characters that JSON
//! writes six bytes each) read by 20 clients at once: history is paged, so
//! the server's peak memory grows by at most a few pages per reader, and
//! another room's messages keep flowing meanwhile.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

mod support;

const BIN: &str = env!("CARGO_BIN_EXE_private-chat-server");
const READERS: usize = 20;
const MESSAGES: usize = 500;
/// U+0001 is written `\u0001` in JSON: six bytes for one.
const WORST_BODY_CHARS: usize = 8 * 1024;
/// The documented bound (docs/protocol.md): the server's peak memory grows
/// by at most this many pages per parallel reader.
const PAGES_PER_READER: f64 = 1.0;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// (`VmRSS`, `VmHWM`) of the server, in bytes.
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| -> u64 {
        let line = status.lines().find(|l| l.starts_with(name)).unwrap();
        line.split_whitespace()
            .nth(1)
            .unwrap()
            .parse::<u64>()
            .unwrap()
            * 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Resets the peak (`VmHWM`) to the current resident size.
fn reset_peak(pid: u32) {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").unwrap();
}

async fn post(http: &reqwest::Client, url: &str, token: Option<&str>, body: Value) -> Value {
    let mut req = http.post(url).json(&body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let resp = req.send().await.unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    resp.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_parallel_readers_of_a_full_room_stay_within_the_bound() {
    let port = support::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let child = Command::new(BIN)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--max-messages", &MESSAGES.to_string()])
        .args(["--rate-messages-per-second", "0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server(child);
    let pid = server.0.id();
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while http.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The full room.
    let rooms = format!("{base}/api/rooms");
    let full = post(&http, &rooms, None, json!({"name": "a"})).await;
    let room = full["room_id"].as_str().unwrap().to_owned();
    let token = full["token"].as_str().unwrap().to_owned();
    let worst = "\u{1}".repeat(WORST_BODY_CHARS);
    let messages = format!("{base}/api/rooms/{room}/messages");
    for _ in 0..MESSAGES {
        post(&http, &messages, Some(&token), json!({ "body": worst })).await;
    }

    // Another room, whose round trips are timed while the readers run.
    let other = post(&http, &rooms, None, json!({"name": "x"})).await;
    let other_room = other["room_id"].as_str().unwrap().to_owned();
    let joined = post(
        &http,
        &format!("{rooms}/{other_room}/join"),
        None,
        json!({"name": "y"}),
    )
    .await;
    let mut req = format!("ws://127.0.0.1:{port}/api/rooms/{other_room}/ws")
        .into_client_request()
        .unwrap();
    let bearer = format!("Bearer {}", joined["token"].as_str().unwrap());
    req.headers_mut()
        .insert("authorization", bearer.parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let other_messages = format!("{rooms}/{other_room}/messages");
    let other_token = other["token"].as_str().unwrap().to_owned();
    let mut round_trip = async |http: &reqwest::Client, i: usize| -> Duration {
        let started = Instant::now();
        post(
            http,
            &other_messages,
            Some(&other_token),
            json!({ "body": format!("m{i}") }),
        )
        .await;
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) if t.contains("\"type\":\"message\"") => {
                    return started.elapsed()
                }
                Some(Ok(_)) => {}
                other => panic!("the other room's socket ended: {other:?}"),
            }
        }
    };
    let mut idle = Vec::new();
    for i in 0..10 {
        idle.push(round_trip(&http, i).await);
    }

    // 20 readers, each paging through the whole room at once.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (before, _) = memory(pid);
    reset_peak(pid);
    let page_bytes = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    // The readers run on a runtime of their own: parsing megabytes of JSON
    // must not delay this runtime, which times the other room.
    let readers_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let (http, messages, token) = (reqwest::Client::new(), messages.clone(), token.clone());
            let page_bytes = page_bytes.clone();
            readers_rt.spawn(async move {
                let mut after = 0u64;
                let mut read = 0;
                loop {
                    let resp = http
                        .get(format!("{messages}?after={after}"))
                        .bearer_auth(&token)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(resp.status(), 200);
                    let bytes = resp.bytes().await.unwrap();
                    page_bytes.fetch_max(bytes.len(), std::sync::atomic::Ordering::Relaxed);
                    let page: Value = serde_json::from_slice(&bytes).unwrap();
                    let list = page["messages"].as_array().unwrap();
                    if list.is_empty() {
                        break;
                    }
                    read += list.len();
                    after = list.last().unwrap()["id"].as_u64().unwrap();
                }
                read
            })
        })
        .collect();
    let mut busy = Vec::new();
    let mut i = 100;
    while readers.iter().any(|r| !r.is_finished()) {
        busy.push(round_trip(&http, i).await);
        i += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for reader in readers {
        assert_eq!(
            reader.await.unwrap(),
            MESSAGES,
            "every reader read every message"
        );
    }
    // A runtime may not be dropped inside another one's task.
    std::thread::spawn(move || drop(readers_rt)).join().unwrap();
    let (_, peak) = memory(pid);
    let page = page_bytes.load(std::sync::atomic::Ordering::Relaxed) as f64;
    let grown = peak.saturating_sub(before) as f64;
    let bound = READERS as f64 * PAGES_PER_READER * page;
    let worst_idle = idle.iter().max().unwrap();
    let worst_busy = busy.iter().max().unwrap();
    println!(
        "page {:.1} MiB; peak grew {:.1} MiB (bound {:.1} MiB); other room: idle max {worst_idle:?}, during reads max {worst_busy:?} over {} round trips",
        page / 1048576.0,
        grown / 1048576.0,
        bound / 1048576.0,
        busy.len()
    );
    assert!(
        page > 4.0e6,
        "a page of worst-case messages is about 4.9 MB: {page}"
    );
    assert!(
        grown <= bound,
        "peak grew {grown} bytes, over the bound {bound}"
    );
    // The other room was served throughout, never stalled behind the reads.
    assert!(!busy.is_empty());
    assert!(
        *worst_busy < Duration::from_secs(2),
        "the other room stalled: {worst_busy:?}"
    );
}
