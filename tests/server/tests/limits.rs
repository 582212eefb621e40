//! The server cannot be exhausted from one address, nor from many: rates
//! per address (429 `rate_limited` + `Retry-After`), caps on live rooms and
//! open connections (503 `server_full`), header, idle and body timeouts.
//! A second client is another loopback address (127.0.0.2), which Linux
//! routes to the same host.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use private_chat_server::Config;
use private_chat_tests::client::Seat;
use private_chat_tests::server::test_config;
use private_chat_tests::{Api, Backend, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

fn other_client() -> IpAddr {
    "127.0.0.2".parse().unwrap()
}

async fn start(config: Config) -> TestServer {
    TestServer::start_with(Backend::Memory, config).await
}

/// A POST of `body` as JSON; status, `Retry-After` and the JSON answer.
async fn post(
    api: &Api,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> (u16, Option<u64>, Value) {
    let mut req = api.http.post(format!("{}{path}", api.base)).json(&body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let resp = req.send().await.expect("the server answers");
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (status, retry, resp.json().await.unwrap_or(Value::Null))
}

fn assert_limited(got: &(u16, Option<u64>, Value), what: &str) {
    assert_eq!(got.0, 429, "{what}: {}", got.2);
    assert_eq!(got.2["error"], "rate_limited", "{what}");
    let wait = got.1.expect("Retry-After on a 429");
    assert!((1..=60).contains(&wait), "{what}: Retry-After {wait}");
}

#[tokio::test]
async fn each_costly_action_has_a_rate_per_address() {
    let server = start(Config {
        rate_create_per_minute: 3,
        rate_join_per_minute: 3,
        rate_messages_per_second: 1,
        rate_upgrades_per_minute: 3,
        ..test_config()
    })
    .await;
    let url = server.server.url();
    let (me, other) = (Api::new(&url), Api::from_address(&url, other_client()));

    // Creations: three, then 429 with Retry-After; another address is served.
    let mut mine = Vec::new();
    for _ in 0..3 {
        let got = post(&me, "/api/rooms", None, json!({"name": "a"})).await;
        assert_eq!(got.0, 201, "{}", got.2);
        mine.push(got.2);
    }
    assert_limited(
        &post(&me, "/api/rooms", None, json!({"name": "a"})).await,
        "4th create",
    );
    let mut theirs = Vec::new();
    for _ in 0..3 {
        theirs.push(other.create("b", None).await);
    }

    // Joins: three rooms joined, the fourth refused before the seat is taken.
    let mut joined = Vec::new();
    for seat in &theirs {
        let path = format!("/api/rooms/{}/join", seat.room_id);
        let got = post(&me, &path, None, json!({"name": "j"})).await;
        assert_eq!(got.0, 200, "{}", got.2);
        joined.push(Seat::from_json(&got.2));
    }
    let fourth = mine[0]["room_id"].as_str().unwrap();
    let refused = post(
        &me,
        &format!("/api/rooms/{fourth}/join"),
        None,
        json!({"name": "j"}),
    )
    .await;
    assert_limited(&refused, "4th join");
    assert_eq!(
        other.join(fourth, "seat two is still free").await.room_id,
        fourth
    );

    // Messages: a burst of two per second over HTTP, then 429; the socket's
    // send frames count against the same rate and get an error frame.
    let seat = &joined[0];
    let path = format!("/api/rooms/{}/messages", seat.room_id);
    let token = Some(seat.token.as_str());
    assert_eq!(post(&me, &path, token, json!({"body": "1"})).await.0, 201);
    assert_eq!(post(&me, &path, token, json!({"body": "2"})).await.0, 201);
    assert_limited(
        &post(&me, &path, token, json!({"body": "3"})).await,
        "3rd message",
    );
    let mut socket = me.socket(seat).await;
    socket
        .send_json(json!({"type": "send", "body": "4", "nonce": "n4"}))
        .await;
    let refused = socket.next_of("error").await;
    assert_eq!(refused["error"], "rate_limited", "{refused}");
    assert_eq!(refused["nonce"], "n4");
    // Another address's messages are not held up.
    assert_eq!(
        other.post(&theirs[0], "theirs").await.0,
        StatusCode::CREATED
    );
    assert_eq!(socket.next_of("message").await["message"]["body"], "theirs");
    // After the bucket refills, the same socket sends again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    socket
        .send_json(json!({"type": "send", "body": "5", "nonce": "n5"}))
        .await;
    assert_eq!(socket.next_of("message").await["message"]["body"], "5");
    assert_eq!(
        me.bodies(seat).await,
        ["1", "2", "theirs", "5"],
        "refused messages are not stored"
    );

    // Socket opens: one above, two more, then 429 within the minute.
    for _ in 0..2 {
        me.socket(seat).await;
    }
    match me.try_socket(&seat.room_id, token).await {
        Err((status, body)) => {
            assert_eq!(status, 429, "{body}");
            assert_eq!(body["error"], "rate_limited");
        }
        Ok(_) => panic!("a fourth socket open within the minute was accepted"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_10000_creations_is_refused_and_others_are_served() {
    let server = start(test_config()).await;
    let url = server.server.url();
    let flood = Api::new(&url);
    let started = Instant::now();
    let counts = futures_util::stream::iter(0..10_000)
        .map(|_| {
            let flood = flood.clone();
            async move {
                post(&flood, "/api/rooms", None, json!({"name": "f"}))
                    .await
                    .0
            }
        })
        .buffer_unordered(32);
    let other = Api::from_address(&url, other_client());
    let bystander = tokio::spawn(async move {
        // Someone else uses the server while the flood runs.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let a = other.create("a", None).await;
        let b = other.join(&a.room_id, "b").await;
        assert_eq!(other.post(&b, "hello").await.0, StatusCode::CREATED);
        Instant::now()
    });
    let statuses: Vec<u16> = counts.collect().await;
    let took = started.elapsed();
    let created = statuses.iter().filter(|s| **s == 201).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(created + limited, 10_000, "only 201 or 429");
    // 30 at once, then one per 2 s while the flood lasts.
    let allowed = 30 + took.as_secs() as usize / 2 + 1;
    assert!(created <= allowed, "{created} rooms created in {took:?}");
    assert!(
        bystander.await.unwrap() > started,
        "the other client was served"
    );
    // Memory holds the rooms it allowed, not 10,000.
    assert_eq!(server.memory_rooms(), created + 1);
    println!("flood: {created} created, {limited} refused in {took:?}");
}

#[tokio::test]
async fn the_live_room_cap_answers_503_until_a_room_ends() {
    let server = start(Config {
        max_rooms: 2,
        ..test_config()
    })
    .await;
    let api = server.api();
    let a = api.create("a", None).await;
    api.create("b", None).await;
    let refused = post(&api, "/api/rooms", None, json!({"name": "c"})).await;
    assert_eq!(refused.0, 503, "{}", refused.2);
    assert_eq!(refused.2["error"], "server_full");
    assert!(refused.1.is_some(), "Retry-After on server_full");
    assert_eq!(api.destroy(&a).await.0, StatusCode::NO_CONTENT);
    api.create("c", None).await;
    assert_eq!(server.memory_rooms(), 2);
}

/// Opens a TCP connection from `source` to `to`.
async fn connect_from(source: IpAddr, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(source, 0)).unwrap();
    socket.connect(to).await.expect("TCP connect")
}

/// Reads until the server closes or `within` passes; `None` on a timeout.
async fn read_to_close(tcp: &mut TcpStream, within: Duration) -> Option<String> {
    let mut got = Vec::new();
    let read = tokio::time::timeout(within, async {
        let mut buf = [0u8; 4096];
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok()
        .map(|()| String::from_utf8_lossy(&got).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_idle_connections_do_not_keep_a_new_client_out() {
    let server = start(Config {
        header_timeout_secs: 3,
        ..test_config()
    })
    .await;
    let addr = server.server.addr();
    let me: IpAddr = "127.0.0.1".parse().unwrap();
    let mut idle = Vec::with_capacity(2_000);
    for _ in 0..2_000 {
        idle.push(connect_from(me, addr).await);
    }
    // Past the per-address share (256), each got a 429 and was closed. The
    // refusals' speed is not what this measures: on two cores shared with
    // the other tests, one once took over 2 s to come (CI of e4571cc).
    let mut refused = 0;
    for tcp in idle.iter_mut().skip(300) {
        let answer = read_to_close(tcp, Duration::from_secs(10))
            .await
            .unwrap_or_default();
        assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
        assert!(
            answer.contains("retry-after: 5") && answer.contains("\"rate_limited\""),
            "{answer}"
        );
        refused += 1;
    }
    assert_eq!(refused, 1_700);
    // A new client from another address creates a room at once.
    let other = Api::from_address(&server.server.url(), other_client());
    let started = Instant::now();
    other.create("newcomer", None).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // The idle ones the server kept are closed after the header timeout,
    // which gives the address its share back.
    for tcp in idle.iter_mut().take(256) {
        assert!(
            read_to_close(tcp, Duration::from_secs(6)).await.is_some(),
            "an idle connection stayed open"
        );
    }
    Api::new(&server.server.url())
        .create("me again", None)
        .await;
}

#[tokio::test]
async fn past_the_total_connection_cap_the_answer_is_503() {
    let server = start(Config {
        max_connections: 5,
        ..test_config()
    })
    .await;
    let addr = server.server.addr();
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(connect_from("127.0.0.1".parse().unwrap(), addr).await);
    }
    let mut sixth = connect_from(other_client(), addr).await;
    let answer = read_to_close(&mut sixth, Duration::from_secs(3))
        .await
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("\"server_full\""), "{answer}");
    drop(held);
    tokio::time::sleep(Duration::from_millis(200)).await;
    Api::new(&server.server.url())
        .create("served again", None)
        .await;
}

#[tokio::test]
async fn slow_headers_and_idle_keepalive_are_cut_off() {
    let server = start(Config {
        header_timeout_secs: 1,
        ..test_config()
    })
    .await;
    let addr = server.server.addr();
    // Headers a byte at a time, never finished.
    let mut slow = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    let dribble = async {
        for b in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaa" {
            if slow.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(4), dribble).await;
    let closed = read_to_close(&mut slow, Duration::from_secs(3)).await;
    assert!(closed.is_some(), "slow headers kept the connection");
    assert!(started.elapsed() < Duration::from_secs(5));
    // A served connection left idle is closed after the same time.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let answer = read_to_close(&mut idle, Duration::from_secs(4)).await;
    assert!(
        answer.is_some_and(|a| a.starts_with("HTTP/1.1 200")),
        "idle keep-alive stayed open"
    );
}

#[tokio::test]
async fn a_body_that_does_not_arrive_is_408_and_a_huge_chunked_one_413() {
    let server = start(Config {
        body_timeout_secs: 1,
        ..test_config()
    })
    .await;
    let addr = server.server.addr();
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(
        b"POST /api/rooms HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"name\":",
    )
    .await
    .unwrap();
    let answer = read_to_close(&mut tcp, Duration::from_secs(4))
        .await
        .expect("an answer");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"request_timeout\""), "{answer}");

    // 70 KiB in 1 KiB chunks: refused at 64 KiB with 413.
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"POST /api/rooms HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        .await
        .unwrap();
    let chunk = format!("400\r\n{}\r\n", "x".repeat(1024));
    for _ in 0..70 {
        if tcp.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = tcp.write_all(b"0\r\n\r\n").await;
    let answer = read_to_close(&mut tcp, Duration::from_secs(4))
        .await
        .expect("an answer");
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"message_too_large\""), "{answer}");
    assert_eq!(server.memory_rooms(), 0);
}
