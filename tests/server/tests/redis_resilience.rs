//! The Redis backend survives losing its connections and Redis itself.

use std::time::{Duration, Instant};

use private_chat_tests::redis::RedisServer;
use private_chat_tests::server::test_config;
use private_chat_tests::{Backend, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::json;

const RECOVERY: Duration = Duration::from_secs(15);

async fn server_on(redis: &RedisServer) -> TestServer {
    let config = private_chat_server::Config {
        redis_url: Some(redis.url()),
        ..test_config()
    };
    TestServer::start_with(Backend::Redis, config).await
}

/// Kills the server's pub/sub connection on `redis`; returns how many died.
async fn kill_pubsub(redis: &RedisServer) -> i64 {
    let client = redis::Client::open(redis.url()).unwrap();
    let mut admin = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("pubsub")
        .query_async(&mut admin)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_message_reaches_the_peer_once_across_a_pubsub_kill() {
    let redis = RedisServer::start();
    let server = server_on(&redis).await;
    let api = server.api();
    let a = api.create("alice", None).await;
    let b = api.join(&a.room_id, "bob").await;
    let mut sb = api.socket(&b).await;

    // Alice sends while the connection dies; what got 201 is acknowledged.
    let sender = {
        let api = api.clone();
        let a = a.clone();
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for i in 0..60 {
                let (status, m) = api.post(&a, &format!("m{i}")).await;
                if status == StatusCode::CREATED {
                    acknowledged.push(m["id"].as_u64().unwrap());
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            acknowledged
        })
    };
    let killer = {
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(400)).await;
            let killed = kill_pubsub(&redis).await;
            (redis, killed)
        })
    };

    // Bob's side, as the app does it: live messages, and on a close,
    // reconnect and catch up with ?after=.
    // A live frame may repeat what the catch-up of a new socket already
    // read (the app drops it by id); the same id twice live is a bug.
    let mut seen: Vec<u64> = Vec::new();
    let mut live: Vec<u64> = Vec::new();
    let mut closes = Vec::new();
    let until = Instant::now() + RECOVERY;
    while Instant::now() < until && seen.len() < 60 {
        match tokio::time::timeout(Duration::from_millis(500), sb.next_frame()).await {
            Ok(private_chat_tests::client::Frame::Event(v)) if v["type"] == "message" => {
                let id = v["message"]["id"].as_u64().unwrap();
                assert!(!live.contains(&id), "message {id} delivered live twice");
                live.push(id);
                if !seen.contains(&id) {
                    seen.push(id);
                }
            }
            Ok(private_chat_tests::client::Frame::Event(_)) => {}
            Ok(private_chat_tests::client::Frame::Closed(code)) => {
                closes.push(code);
                sb = api.socket(&b).await;
                let after = seen.iter().max().copied();
                let (_, missed) = api.messages(&b, after).await;
                for m in missed["messages"].as_array().unwrap() {
                    let id = m["id"].as_u64().unwrap();
                    if !seen.contains(&id) {
                        seen.push(id);
                    }
                }
            }
            Err(_) => {}
        }
    }
    let acknowledged = sender.await.unwrap();
    let (_redis, killed) = killer.await.unwrap();
    assert_eq!(killed, 1, "the server holds exactly one pub/sub connection");
    // The socket was told (1013), not left silently missing messages.
    assert_eq!(closes, [Some(1013)], "closes seen: {closes:?}");
    // Stragglers sent after the last frame read come by catch-up.
    let after = seen.iter().max().copied();
    let (_, rest) = api.messages(&b, after).await;
    seen.extend(
        rest["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_u64().unwrap()),
    );
    let mut got = seen.clone();
    got.sort_unstable();
    got.dedup();
    assert_eq!(got.len(), seen.len(), "a message came twice: {seen:?}");
    assert_eq!(got, acknowledged, "every acknowledged message, once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_is_503_and_a_restart_recovers() {
    let mut redis = RedisServer::start();
    let server = server_on(&redis).await;
    let api = server.api();
    api.create("before", None).await;

    redis.kill();
    let (status, body) = api.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"], "store_unavailable");
    let (status, body) = api
        .call(
            Method::POST,
            "/api/rooms",
            None,
            Some(json!({"name": "during"})),
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"], "store_unavailable");

    redis.restart();
    let deadline = Instant::now() + RECOVERY;
    while api.call(Method::GET, "/healthz", None, None).await.0 != StatusCode::OK {
        assert!(Instant::now() < deadline, "health did not recover");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Rooms and realtime work again on the same server instance.
    let a = api.create("after", None).await;
    let b = api.join(&a.room_id, "bob").await;
    let mut sa = loop {
        match api.try_socket(&a.room_id, Some(&a.token)).await {
            Ok(socket) => break socket,
            Err(refused) => assert!(
                Instant::now() < deadline,
                "sockets did not recover: {refused:?}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let _ = sa.next_of("presence").await;
    api.post(&b, "hello again").await;
    assert_eq!(
        sa.next_of("message").await["message"]["body"],
        "hello again"
    );
}

/// A Redis that stops answering (frozen, as a hung or cut-off one would be):
/// every request gets 503 `store_unavailable` in bounded time instead of
/// hanging; sockets closed meanwhile could not give their counts back, and
/// those counts lapse with their leases instead of locking the member out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_loops_during_an_outage_neither_hang_nor_lock_the_member_out() {
    let redis = RedisServer::start();
    let lease = Duration::from_secs(3);
    let server = TestServer::on_redis_with_lease(&redis.url(), test_config(), lease).await;
    let api = server.api();
    let a = api.create("alice", None).await;
    api.join(&a.room_id, "bob").await;
    let mut open = Vec::new();
    for _ in 0..4 {
        open.push(api.socket(&a).await);
    }
    match api.try_socket(&a.room_id, Some(&a.token)).await {
        Err((status, body)) => assert_eq!(
            (status, body["error"].as_str()),
            (429, Some("too_many_sockets"))
        ),
        Ok(_) => panic!("a fifth socket was taken"),
    }

    redis.freeze();
    // The member's four sockets close: their releases cannot reach Redis.
    for socket in open.drain(..) {
        socket.close().await;
    }
    // Connect/disconnect loops meanwhile: each answered, none hangs.
    for _ in 0..3 {
        let started = Instant::now();
        let refused = api.try_socket(&a.room_id, Some(&a.token)).await;
        let (status, body) = refused.err().expect("no socket without Redis");
        assert_eq!(
            (status, body["error"].as_str()),
            (503, Some("store_unavailable"))
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }
    redis.thaw();

    // The lost releases lapse with their leases: the member gets a socket
    // back within a lease, not at the end of the room's life.
    let deadline = Instant::now() + lease + Duration::from_secs(5);
    let mut socket = loop {
        match api.try_socket(&a.room_id, Some(&a.token)).await {
            Ok(socket) => break socket,
            Err((status, body)) => {
                assert!(status == 429 || status == 503, "{status}: {body}");
                assert!(
                    Instant::now() < deadline,
                    "still locked out: {status} {body}"
                );
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(socket.next_event().await["type"], "presence");
}
