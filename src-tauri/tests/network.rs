//! The app's own server on the network, without a window: it opens over TLS
//! with a certificate it keeps, clients that pin that certificate reach it
//! (HTTP and the room socket), any other certificate is refused as
//! untrusted, an invite's addresses are tried until one answers, and it
//! closes again. Traffic goes to loopback only.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use private_chat_app::client::socket::{Emit, Feed, Seat};
use private_chat_app::client::{reach, Api, ClientError, RoomSocket};
use private_chat_app::embedded::Embedded;
use private_chat_protocol::app::{Connection, RoomEvent};
use private_chat_server::Config;

fn data_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("private-chat-net-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The network port as this computer reaches it: loopback.
fn local(port: u16) -> String {
    format!("https://127.0.0.1:{port}")
}

fn dead_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn the_own_server_opens_to_the_network_with_a_pinned_certificate_and_closes() {
    let dir = data_dir("open");
    let embedded = Embedded::start(Config::default(), &dir).await.unwrap();
    let pin = embedded.identity().fingerprint.clone();
    assert_eq!(pin.len(), 64);
    let key_mode = std::fs::metadata(&embedded.identity().key)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(
        key_mode & 0o777,
        0o600,
        "the private key is the user's alone"
    );
    assert_eq!(
        embedded.network_port(),
        None,
        "closed until a room needs it"
    );

    let (urls, port) = embedded.open_to_network(0).await.unwrap();
    for url in &urls {
        assert!(url.starts_with("https://"), "{url}");
        assert!(url.ends_with(&format!(":{port}")), "{url}");
        assert!(
            !url.contains("127.0.0.1") && !url.contains("[::1]"),
            "{url}"
        );
    }
    assert_eq!(embedded.network_port(), Some(port));
    assert_eq!(
        embedded.open_to_network(0).await.unwrap(),
        (urls, port),
        "idempotent"
    );

    // Pinned: HTTP and the room socket work.
    let api = Api::pinned(&local(port), Some(&pin));
    assert_eq!(api.health().await.unwrap().backend, "memory");
    let alice = api.create("alice", None).await.unwrap();
    let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let _socket = RoomSocket::spawn(
        Seat {
            api: api.clone(),
            room_id: alice.room_id.clone(),
            member_id: alice.member_id.clone(),
            token: alice.token.clone(),
        },
        0,
        Duration::from_millis(alice.expires_in_ms),
        Emit::new(move |e| {
            let _ = tx.send(e);
        }),
    );
    tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(e) = events.recv().await {
            if matches!(
                e,
                Feed::Event(RoomEvent::Connection {
                    state: Connection::Online,
                    ..
                })
            ) {
                return;
            }
        }
    })
    .await
    .expect("the room socket comes online over pinned WSS");

    // Any other certificate is refused as untrusted, pinned or not.
    let wrong = "0".repeat(64);
    let refused = Api::pinned(&local(port), Some(&wrong)).health().await;
    assert!(
        matches!(refused, Err(ClientError::Untrusted(_))),
        "{refused:?}"
    );
    let unpinned = Api::new(&local(port)).health().await;
    assert!(
        matches!(unpinned, Err(ClientError::Untrusted(_))),
        "{unpinned:?}"
    );

    // Closed: nothing answers on that port any more; loopback for the app stays.
    embedded.close_to_network().await;
    assert_eq!(embedded.network_port(), None);
    assert!(matches!(
        Api::pinned(&local(port), Some(&pin)).health().await,
        Err(ClientError::Unreachable(_))
    ));

    // The kept port is used again (a forwarded port stays right); a port
    // taken by another program meanwhile gives way to a free one.
    let (_, again) = embedded.open_to_network(port).await.unwrap();
    assert_eq!(again, port);
    embedded.close_to_network().await;
    let taken = std::net::TcpListener::bind(("0.0.0.0", port)).unwrap();
    let (_, other) = embedded.open_to_network(port).await.unwrap();
    assert_ne!(other, port);
    drop(taken);
    embedded.close_to_network().await;

    // The certificate is kept: the same fingerprint after a restart.
    drop(embedded);
    let again = Embedded::start(Config::default(), &dir).await.unwrap();
    assert_eq!(again.identity().fingerprint, pin);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_invites_addresses_are_tried_until_one_answers() {
    let dir = data_dir("reach");
    let embedded = Embedded::start(Config::default(), &dir).await.unwrap();
    let pin = embedded.identity().fingerprint.clone();
    let (_, port) = embedded.open_to_network(0).await.unwrap();
    let dead = local(dead_port());

    let api = reach::first_answering(&[dead.clone(), local(port)], Some(&pin))
        .await
        .unwrap();
    assert_eq!(api.base(), local(port));
    assert_eq!(api.pin(), Some(pin.as_str()));

    // A tampered pin is named as such, even beside a silent address.
    let tampered =
        reach::first_answering(&[dead.clone(), local(port)], Some(&"f".repeat(64))).await;
    assert!(
        matches!(tampered, Err(ClientError::Untrusted(_))),
        "{tampered:?}"
    );
    let silent = reach::first_answering(&[dead], Some(&pin)).await;
    assert!(
        matches!(silent, Err(ClientError::Unreachable(_))),
        "{silent:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
