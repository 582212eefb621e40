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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_keep_receiving_after_the_pubsub_connection_is_killed() {
    let redis = RedisServer::start();
    let server = server_on(&redis).await;
    let api = server.api();
    let a = api.create("alice", None).await;
    let b = api.join(&a.room_id, "bob").await;
    let mut sa = api.socket(&a).await;

    let client = redis::Client::open(redis.url()).unwrap();
    let mut admin = client.get_multiplexed_async_connection().await.unwrap();
    let killed: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("pubsub")
        .query_async(&mut admin)
        .await
        .unwrap();
    assert_eq!(killed, 1, "the server holds exactly one pub/sub connection");

    // Probes sent while the server resubscribes may miss the socket (clients
    // catch up with ?after=); once it is back, they must arrive.
    let deadline = Instant::now() + RECOVERY;
    loop {
        assert_eq!(api.post(&b, "probe").await.0, StatusCode::CREATED);
        if tokio::time::timeout(Duration::from_millis(200), sa.next_of("message"))
            .await
            .is_ok()
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the socket never received after the pub/sub reconnect"
        );
    }
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
