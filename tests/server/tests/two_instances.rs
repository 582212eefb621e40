//! Scale-out: two server instances sharing one Redis serve the two members
//! of one room, one member on each.

use std::time::Duration;

use private_chat_protocol::ServerEvent;
use private_chat_tests::{Backend, TestServer};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_on_different_instances_chat_and_both_see_destroy() {
    let one = TestServer::start(Backend::Redis).await;
    let two = TestServer::start(Backend::Redis).await;
    let (api1, api2) = (one.api(), two.api());
    assert_ne!(api1.base, api2.base);

    let a = api1.create("alice", None).await;
    let b = api2.join(&a.room_id, "bob").await; // the room was made on the other instance
    let mut sa = api1.socket(&a).await;
    let mut sb = api2.socket(&b).await;

    // Presence crosses instances: A sees B come online.
    loop {
        let p = sa.next_of("presence").await;
        if p["members"][1]["online"] == true {
            break;
        }
    }

    // A posts on instance 1; B, on instance 2, receives it.
    let (status, posted) = api1.post(&a, "over the bridge").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(sb.next_of("message").await["message"], posted);
    assert_eq!(sa.next_of("message").await["message"], posted);

    // B sends over its socket on instance 2; A receives it on instance 1.
    sb.send_json(json!({"type": "send", "body": "and back", "nonce": "b1"}))
        .await;
    let got = sa.next_of("message").await;
    assert_eq!(got["message"]["body"], "and back");
    assert_eq!(got["message"]["id"], 2);
    assert_eq!(sb.next_of("message").await["nonce"], "b1");

    // Typing crosses too.
    sb.send_json(json!({"type": "typing"})).await;
    assert_eq!(sa.next_of("typing").await["member_id"], b.member_id);

    // Either instance reads the same history.
    let (_, h1) = api1.messages(&a, None).await;
    let (_, h2) = api2.messages(&b, None).await;
    assert_eq!(h1, h2);

    // B destroys through instance 2; both sockets hear it.
    assert_eq!(api2.destroy(&b).await.0, StatusCode::NO_CONTENT);
    for socket in [&mut sa, &mut sb] {
        assert_eq!(socket.next_of("destroyed").await["by"], b.member_id);
        assert_eq!(socket.close_code().await, Some(4000));
    }
    assert_eq!(one.traces_of(&a.room_id).await, Vec::<String>::new());
    assert_eq!(api1.info(&a).await.0, StatusCode::NOT_FOUND);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        two.traces_of(&a.room_id).await,
        Vec::<String>::new(),
        "late disconnects left nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_reaches_sockets_on_both_instances() {
    let one = TestServer::start(Backend::Redis).await;
    let two = TestServer::start(Backend::Redis).await;
    let a = one.api().create("alice", Some(1)).await;
    let b = two.api().join(&a.room_id, "bob").await;
    let mut sa = one.api().socket(&a).await;
    let mut sb = two.api().socket(&b).await;
    for socket in [&mut sa, &mut sb] {
        socket.next_of("expired").await;
        assert_eq!(socket.close_code().await, Some(4001));
    }
    assert_eq!(one.traces_of(&a.room_id).await, Vec::<String>::new());
}

/// A message reaches the sockets of every instance as the payload its
/// store script published, untouched: those bytes must be the very frame the
/// server would make of the event itself, escapes and all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_published_message_is_the_servers_own_frame() {
    let one = TestServer::start(Backend::Redis).await;
    let two = TestServer::start(Backend::Redis).await;
    let a = one.api().create("Älice", None).await;
    let b = two.api().join(&a.room_id, "bob").await;
    let mut sa = one.api().socket(&a).await;
    let mut sb = two.api().socket(&b).await;
    let body = "quote \" backslash \\ lines \n\t é 😀 </script> \u{1}";
    let nonce = "n \"1\"";
    sa.send_json(json!({"type": "send", "body": body, "nonce": nonce}))
        .await;
    for socket in [&mut sa, &mut sb] {
        let text = loop {
            let text = socket.next_text().await;
            if text.contains("\"type\":\"message\"") {
                break text;
            }
        };
        let event: ServerEvent = serde_json::from_str(&text).expect("a message event");
        let ServerEvent::Message {
            message,
            nonce: echoed,
        } = &event
        else {
            panic!("not a message: {text}");
        };
        assert_eq!(
            (message.body.as_str(), message.name.as_str()),
            (body, "Älice")
        );
        assert_eq!(echoed.as_deref(), Some(nonce));
        assert_eq!(text, serde_json::to_string(&event).unwrap());
    }
}
