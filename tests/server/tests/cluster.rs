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
