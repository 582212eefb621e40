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

/// Sends `text` with `nonce` until it is acknowledged (201, or 200 for a
/// retry of a stored one); `None` if it never is within `within`.
async fn send_until_acknowledged(
    api: &private_chat_tests::Api,
    seat: &private_chat_tests::client::Seat,
    text: &str,
    within: Duration,
) -> Option<u64> {
    let path = format!("/api/rooms/{}/messages", seat.room_id);
    let body = serde_json::json!({"body": text, "nonce": text});
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        let (status, m) = api
            .call(
                reqwest::Method::POST,
                &path,
                Some(&seat.token),
                Some(body.clone()),
            )
            .await;
        if status == StatusCode::CREATED || status == StatusCode::OK {
            return m["id"].as_u64();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// The other member's view: live frames, and on a close, a new socket and a
/// catch-up with `?after=`, as the app does it. Returns the ids seen.
async fn follow(
    api: private_chat_tests::Api,
    seat: private_chat_tests::client::Seat,
    until: Instant,
) -> Vec<u64> {
    let mut seen: Vec<u64> = Vec::new();
    let mut socket = None;
    while Instant::now() < until {
        if socket.is_none() {
            if let Ok(s) = api.try_socket(&seat.room_id, Some(&seat.token)).await {
                socket = Some(s);
                let (status, missed) = api.messages(&seat, seen.last().copied()).await;
                if status == StatusCode::OK {
                    for m in missed["messages"].as_array().unwrap() {
                        let id = m["id"].as_u64().unwrap();
                        if !seen.contains(&id) {
                            seen.push(id);
                        }
                    }
                }
            } else {
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        }
        let frame = tokio::time::timeout(
            Duration::from_millis(300),
            socket.as_mut().unwrap().next_frame(),
        )
        .await;
        match frame {
            Ok(private_chat_tests::client::Frame::Event(v)) if v["type"] == "message" => {
                let id = v["message"]["id"].as_u64().unwrap();
                if !seen.contains(&id) {
                    seen.push(id);
                }
            }
            Ok(private_chat_tests::client::Frame::Closed(_)) => socket = None,
            _ => {}
        }
    }
    seen
}

/// Asks `/healthz` every 100 ms until `until`: when, the status (0: no
/// answer), and how long the answer took.
async fn probe_health(base: String, until: Instant) -> Vec<(Instant, u16, Duration)> {
    let http = reqwest::Client::new();
    let mut seen = Vec::new();
    while Instant::now() < until {
        let asked = Instant::now();
        let status = match http
            .get(format!("{base}/healthz"))
            .timeout(Duration::from_secs(10))
            .send()
            .await
        {
            Ok(answer) => answer.status().as_u16(),
            Err(_) => 0,
        };
        seen.push((asked, status, asked.elapsed()));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    seen
}

/// A master killed with `kill -9` while a member sends: once its replica is
/// promoted, every acknowledged message is in both instances' history
/// exactly once, ids strictly increase, and live delivery resumes; then a
/// `CLUSTER FAILOVER` (the server unsubscribes the moved channels) keeps
/// live delivery going too. Health checks answer throughout, and say ok
/// again soon after the promotion.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_master_killed_mid_chat_loses_no_acknowledged_message() {
    let mut cluster = RedisCluster::start();
    let config = || private_chat_server::Config {
        redis_url: Some(cluster.urls()),
        redis_cluster: true,
        redis_wait_replicas: 1,
        ..test_config()
    };
    let one = private_chat_server::start(config()).await.unwrap();
    let two = private_chat_server::start(config()).await.unwrap();
    let (api1, api2) = (
        private_chat_tests::Api::new(&one.url()),
        private_chat_tests::Api::new(&two.url()),
    );
    let a = api1.create("a", None).await;
    let b = api2.join(&a.room_id, "b").await;
    let master = cluster.master_of(&format!("privchat:{{{}}}", a.room_id));

    let until = Instant::now() + Duration::from_secs(25);
    let follower = tokio::spawn(follow(api2.clone(), b.clone(), until));
    let health = tokio::spawn(probe_health(one.url(), until));
    let sender = {
        let (api1, a) = (api1.clone(), a.clone());
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for i in 0..40 {
                if let Some(id) =
                    send_until_acknowledged(&api1, &a, &format!("m{i:02}"), Duration::from_secs(4))
                        .await
                {
                    acknowledged.push(id);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            acknowledged
        })
    };
    tokio::time::sleep(Duration::from_millis(800)).await;
    let replica = cluster.replica_of(master);
    cluster.kill(master);
    // Once the replica is promoted, the crashed node comes back (as its
    // replica): until then WAIT 1 cannot be met and sends are retried.
    let deadline = Instant::now() + Duration::from_secs(15);
    while !private_chat_tests::cluster::cli(replica, &["ROLE"]).starts_with("master") {
        assert!(Instant::now() < deadline, "the replica was not promoted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let promoted = Instant::now();
    cluster.restart(master);
    let acknowledged = sender.await.unwrap();
    assert!(
        acknowledged.len() >= 30,
        "only {} of 40 acknowledged",
        acknowledged.len()
    );
    cluster.wait_ready(Duration::from_secs(20));

    // Both instances' history: every acknowledged message once, ids growing.
    for (api, seat) in [(&api1, &a), (&api2, &b)] {
        let (_, list) = api.messages(seat, None).await;
        let ids: Vec<u64> = list["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_u64().unwrap())
            .collect();
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "ids do not grow: {ids:?}"
        );
        let bodies: Vec<&str> = list["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["body"].as_str().unwrap())
            .collect();
        let unique: HashSet<&&str> = bodies.iter().collect();
        assert_eq!(
            unique.len(),
            bodies.len(),
            "a message stored twice: {bodies:?}"
        );
        for id in &acknowledged {
            assert!(ids.contains(id), "acknowledged message {id} lost: {ids:?}");
        }
    }
    // Live delivery resumed in the failed shard's room.
    let after = send_until_acknowledged(&api1, &a, "after the failover", Duration::from_secs(10))
        .await
        .expect("sends work again");
    let seen = follower.await.unwrap();
    for id in acknowledged.iter().chain([&after]) {
        assert!(
            seen.contains(id),
            "the other member never saw {id}: {seen:?}"
        );
    }

    // Health through the failover: every probe answered within the store's
    // 2 s bound (no hang), and every probe from 5 s after the promotion on
    // said ok.
    let probes = health.await.unwrap();
    let slowest = probes.iter().map(|p| p.2).max().unwrap();
    assert!(
        slowest < Duration::from_secs(3),
        "a health check took {slowest:?}"
    );
    let after: Vec<u16> = probes
        .iter()
        .filter(|p| p.0 >= promoted + Duration::from_secs(5))
        .map(|p| p.1)
        .collect();
    assert!(after.len() >= 20, "too few probes after the promotion");
    assert!(
        after.iter().all(|s| *s == 200),
        "health after the promotion: {after:?}"
    );
    let failing = probes.iter().filter(|p| p.1 != 200).count();
    eprintln!(
        "healthz: {} probes, {failing} not ok (during the failover), slowest {slowest:?}",
        probes.len()
    );

    // A manual failover of the room's (new) master: its channel is dropped
    // by the server and taken up again; a socket kept open, or reopened
    // after a 1013, hears the next message.
    let new_master = cluster.master_of(&format!("privchat:{{{}}}", a.room_id));
    let replica = cluster.replica_of(new_master);
    let mut listening = api2.socket(&b).await;
    assert_eq!(
        private_chat_tests::cluster::cli(replica, &["CLUSTER", "FAILOVER"]),
        "OK"
    );
    cluster.wait_ready(Duration::from_secs(20));
    let id = send_until_acknowledged(
        &api1,
        &a,
        "after the manual failover",
        Duration::from_secs(10),
    )
    .await
    .expect("sends work after a manual failover");
    let heard = loop {
        match tokio::time::timeout(Duration::from_secs(5), listening.next_frame()).await {
            Ok(private_chat_tests::client::Frame::Event(v)) if v["type"] == "message" => {
                break v["message"]["id"].as_u64()
            }
            Ok(private_chat_tests::client::Frame::Event(_)) => continue,
            Ok(private_chat_tests::client::Frame::Closed(code)) => {
                // A catch-up close: the app reopens and reads what it missed.
                assert_eq!(code, Some(1013), "only a catch-up close is expected");
                let _reopened = api2.socket(&b).await;
                let (_, list) = api2.messages(&b, Some(id - 1)).await;
                break list["messages"][0]["id"].as_u64();
            }
            Err(_) => panic!("nothing heard after the manual failover"),
        }
    };
    assert_eq!(heard, Some(id));
    one.shutdown().await.unwrap();
    two.shutdown().await.unwrap();
}
