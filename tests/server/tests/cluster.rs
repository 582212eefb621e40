//! Two server instances on one Redis Cluster (three masters, three
//! replicas): rooms land on every master, members on different instances
//! chat across them, and destroy and expiry leave nothing on any node.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use private_chat_tests::cluster::RedisCluster;
use private_chat_tests::server::test_config;
use private_chat_tests::TestServer;
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_a_cluster_chat_across_every_master_and_leave_nothing() {
    let cluster = RedisCluster::start();
    let masters: HashSet<u16> = cluster.masters().into_iter().collect();
    assert_eq!(masters.len(), 3);
    let one = TestServer::on_cluster(&cluster.urls(), test_config()).await;
    let two = TestServer::on_cluster(&cluster.urls(), test_config()).await;
    let (api1, api2) = (one.api(), two.api());

    // Rooms until every master holds at least one (slots are spread).
    let mut rooms = Vec::new();
    let mut used = HashSet::new();
    while used.len() < masters.len() {
        let a = api1.create("a", None).await;
        used.insert(cluster.master_of(&format!("privchat:{{{}}}", a.room_id)));
        rooms.push(a);
        assert!(rooms.len() < 60, "rooms did not spread over the masters");
    }

    // In each room: a on instance one, b joins on instance two, each with a
    // socket on its own instance; messages cross both ways.
    for a in &rooms {
        let b = api2.join(&a.room_id, "b").await;
        let mut sa = api1.socket(a).await;
        let mut sb = api2.socket(&b).await;
        for (api, seat, text) in [(&api1, a, "from one"), (&api2, &b, "from two")] {
            assert_eq!(api.post(seat, text).await.0, StatusCode::CREATED);
            for socket in [&mut sa, &mut sb] {
                assert_eq!(socket.next_of("message").await["message"]["body"], text);
            }
        }
        assert_eq!(api2.bodies(&b).await, ["from one", "from two"]);
        // Destroy through instance two: both sockets told, nothing left.
        assert_eq!(api2.destroy(&b).await.0, StatusCode::NO_CONTENT);
        assert_eq!(sa.next_of("destroyed").await["by"], b.member_id);
        assert_eq!(sa.close_code().await, Some(4000));
        assert_eq!(sb.close_code().await, Some(4000));
        assert_eq!(cluster.keys_containing(&a.room_id), Vec::<String>::new());
        assert_eq!(one.traces_of(&a.room_id).await, Vec::<String>::new());
    }

    // Expiry on the cluster: the sockets on both instances are told, and
    // no node keeps a key (replicas included).
    let a = api1.create("a", Some(1)).await;
    let b = api2.join(&a.room_id, "b").await;
    let (mut sa, mut sb) = (api1.socket(&a).await, api2.socket(&b).await);
    api1.post(&a, "short-lived").await;
    assert_eq!(sa.close_code().await, Some(4001));
    assert_eq!(sb.close_code().await, Some(4001));
    let deadline = Instant::now() + Duration::from_secs(5);
    while !cluster.keys_containing(&a.room_id).is_empty() {
        assert!(
            Instant::now() < deadline,
            "left after expiry: {:?}",
            cluster.keys_containing(&a.room_id)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// With `--redis-wait-replicas 1` a message is acknowledged only once the
/// replica of its master holds it: with that replica frozen, the send gets
/// 503 (nothing claimed), and the same send retried after the replica is
/// back gets the stored message, which history holds once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_means_replicated_when_asked() {
    let cluster = RedisCluster::start();
    // The server as the binary starts it: seeds, cluster, WAIT.
    let config = private_chat_server::Config {
        redis_url: Some(cluster.urls()),
        redis_cluster: true,
        redis_wait_replicas: 1,
        ..test_config()
    };
    let server = private_chat_server::start(config).await.unwrap();
    let api = private_chat_tests::Api::new(&server.url());
    let a = api.create("a", None).await;
    let path = format!("/api/rooms/{}/messages", a.room_id);
    let send = |nonce: &'static str| {
        let (api, path, token) = (api.clone(), path.clone(), a.token.clone());
        async move {
            let body = serde_json::json!({"body": nonce, "nonce": nonce});
            api.call(reqwest::Method::POST, &path, Some(&token), Some(body))
                .await
        }
    };
    assert_eq!(send("n1").await.0, StatusCode::CREATED);

    let master = cluster.master_of(&format!("privchat:{{{}}}", a.room_id));
    let replica = cluster.replica_of(master);
    cluster.freeze(replica);
    let started = Instant::now();
    let (status, body) = send("n2").await;
    cluster.thaw(replica);
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"], "store_unavailable");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    // The sender retries with the same nonce once the replica is back.
    let deadline = Instant::now() + Duration::from_secs(10);
    let retried = loop {
        let (status, body) = send("n2").await;
        if status == StatusCode::OK {
            break body;
        }
        assert!(
            Instant::now() < deadline,
            "the retry never went through: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(retried["id"], 2);
    assert_eq!(api.bodies(&a).await, ["n1", "n2"]);
    server.shutdown().await.unwrap();
}
