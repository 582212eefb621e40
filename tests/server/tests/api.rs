//! The HTTP and WebSocket contract of docs/protocol.md, over real sockets,
//! run once per backend.

use std::time::{Duration, Instant};

use private_chat_protocol::limits::MAX_BODY_BYTES;
use private_chat_tests::client::Seat;
use private_chat_tests::server::test_config;
use private_chat_tests::{Api, Backend, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message as WsMessage;

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::Backend::Memory).await })*
        }
        mod redis {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::Backend::Redis).await })*
        }
    };
}

on_both_backends!(
    create_join_and_full,
    invalid_ttl_is_refused,
    unauthorized_on_every_route,
    messages_over_http_and_websocket,
    catch_up_with_after,
    typing_and_presence,
    destroy_reaches_both_and_leaves_nothing,
    expiry_reaches_both_and_leaves_nothing,
    seat_race_has_one_winner,
    hostile_http_requests,
    hostile_websocket_frames,
    oversized_frame_closes_with_1009,
    invalid_utf8_closes_with_1007,
    continuation_frames_past_the_limit_close_with_1009,
    rsv1_without_an_extension_closes_with_1002,
    a_ping_flood_from_a_client_that_never_reads_harms_no_one,
    history_is_paged,
    message_limit_refuses_without_losing_data,
    socket_limit_per_member,
    size_limits_are_inclusive,
    health_names_the_backend,
    destroy_right_after_a_join_is_still_a_destroy,
    a_retried_send_is_answered_not_stored_twice,
);

fn assert_error(got: &(StatusCode, Value), status: u16, code: &str) {
    assert_eq!(got.0.as_u16(), status, "status of {}", got.1);
    assert_eq!(got.1["error"], code, "error code of {}", got.1);
    assert!(
        got.1["message"].as_str().is_some_and(|m| !m.is_empty()),
        "message in {}",
        got.1
    );
}

async fn pair(api: &Api) -> (Seat, Seat) {
    let a = api.create("alice", None).await;
    let b = api.join(&a.room_id, "bob").await;
    (a, b)
}

async fn create_join_and_full(backend: Backend) {
    let server = TestServer::start(backend).await;
    let api = server.api();
    let a = api.create("alice", None).await;
    let id = uuid::Uuid::parse_str(&a.room_id).expect("room_id is a UUID");
    assert_eq!(id.get_version_num(), 4);
    assert_eq!(a.token.len(), 64, "256-bit hex token");
    assert!(
        (590_000..=600_000).contains(&a.expires_in_ms),
        "default TTL: {}",
        a.expires_in_ms
    );

    let b = api.join(&a.room_id, "bob").await;
    assert_ne!(a.member_id, b.member_id);
    assert_ne!(a.token, b.token);
    assert!(b.expires_in_ms <= a.expires_in_ms && b.expires_in_ms > 590_000);

    let (status, info) = api.info(&a).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(info["room_id"], a.room_id);
    assert_eq!(
        info["members"],
        json!([
            {"member_id": a.member_id, "name": "alice", "online": false},
            {"member_id": b.member_id, "name": "bob", "online": false},
        ])
    );
    assert!(
        info.to_string().find(&a.token).is_none(),
        "tokens never leak"
    );

    assert_error(&api.try_join(&a.room_id, "carol").await, 409, "room_full");
    let unknown = uuid::Uuid::new_v4().to_string();
    assert_error(&api.try_join(&unknown, "dave").await, 404, "room_not_found");
    // The refused joins took nothing: still the same two members.
    let (_, info) = api.info(&b).await;
    assert_eq!(info["members"].as_array().unwrap().len(), 2);
}

async fn invalid_ttl_is_refused(backend: Backend) {
    let server = TestServer::start(backend).await;
    let api = server.api();
    for ttl in [0, 86_401, u64::MAX] {
        let got = api
            .call(
                Method::POST,
                "/api/rooms",
                None,
                Some(json!({"name": "a", "ttl_secs": ttl})),
            )
            .await;
        assert_error(&got, 400, "invalid_ttl");
    }
    let room = api.create("a", Some(1)).await;
    assert!(room.expires_in_ms <= 1_000);
    let room = api.create("a", Some(86_400)).await;
    assert!(room.expires_in_ms > 86_399_000);
}

async fn unauthorized_on_every_route(backend: Backend) {
    let server = TestServer::start(backend).await;
    let api = server.api();
    let (a, _) = pair(&api).await;
    let other = api.create("eve", None).await;
    let wrong = "ab".repeat(32);
    let bad_tokens: [Option<&str>; 5] = [
        None,
        Some("garbage"),
        Some(&wrong),
        Some(&other.token),
        Some(""),
    ];
    let room = &a.room_id;
    for token in bad_tokens {
        let routes = [
            (Method::GET, format!("/api/rooms/{room}"), None),
            (Method::GET, format!("/api/rooms/{room}/messages"), None),
            (
                Method::POST,
                format!("/api/rooms/{room}/messages"),
                Some(json!({"body": "hi"})),
            ),
            (Method::DELETE, format!("/api/rooms/{room}"), None),
        ];
        for (method, path, body) in routes {
            let got = api.call(method.clone(), &path, token, body).await;
            assert_error(&got, 401, "unauthorized");
        }
        let refused = api
            .try_socket(room, token)
            .await
            .err()
            .expect("upgrade refused");
        assert_eq!(refused.0, 401);
        assert_eq!(refused.1["error"], "unauthorized");
    }
    // Wrong schemes are refused too.
    let path = format!("/api/rooms/{room}");
    let basic = format!("Basic {}", a.token);
    let got = api
        .raw(Method::GET, &path, &[("authorization", &basic)], vec![])
        .await;
    assert_error(&got, 401, "unauthorized");
    // Nothing was destroyed or written by the refused calls.
    let (status, msgs) = api.messages(&a, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(msgs["messages"], json!([]));
}

async fn messages_over_http_and_websocket(backend: Backend) {
    let server = TestServer::start(backend).await;
    let api = server.api();
    let (a, b) = pair(&api).await;
    let mut sa = api.socket(&a).await;
    let mut sb = api.socket(&b).await;

    let text = "<b>not html</b> \"quoted\" \\ é 🙂\nsecond line";
    let (status, posted) = api.post(&a, text).await;
    assert_eq!(status, StatusCode::CREATED, "{posted}");
    assert_eq!(posted["id"], 1);
    assert_eq!(posted["body"], text);
    assert_eq!(posted["member_id"], a.member_id);
    assert_eq!(posted["name"], "alice");
    assert!(posted["sent_at_ms"].as_u64().unwrap() > 1_600_000_000_000);
    for socket in [&mut sa, &mut sb] {
        let event = socket.next_of("message").await;
        assert_eq!(event["message"], posted);
        assert!(
            event.get("nonce").is_none(),
            "POST carries no nonce: {event}"
        );
    }

    sb.send_json(json!({"type": "send", "body": "hello from bob", "nonce": "n-1"}))
        .await;
    for socket in [&mut sb, &mut sa] {
        let event = socket.next_of("message").await;
        assert_eq!(event["message"]["id"], 2);
        assert_eq!(event["message"]["body"], "hello from bob");
        assert_eq!(event["message"]["member_id"], b.member_id);
        assert_eq!(event["nonce"], "n-1");
    }

    assert_eq!(api.bodies(&b).await, [text, "hello from bob"]);
}

/// The ids of a message list.
fn ids(list: &Value) -> Vec<u64> {
    list["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_u64().unwrap())
        .collect()
}

async fn catch_up_with_after(backend: Backend) {
    let server = TestServer::start(backend).await;
    let api = server.api();
    let (a, b) = pair(&api).await;
    for i in 1..=5 {
        api.post(if i % 2 == 0 { &a } else { &b }, &format!("m{i}"))
            .await;
    }
    assert_eq!(ids(&api.messages(&a, None).await.1), [1, 2, 3, 4, 5]);
    assert_eq!(ids(&api.messages(&a, Some(0)).await.1), [1, 2, 3, 4, 5]);
    assert_eq!(ids(&api.messages(&a, Some(3)).await.1), [4, 5]);
    assert_eq!(ids(&api.messages(&b, Some(5)).await.1), Vec::<u64>::new());
    assert_eq!(
        ids(&api.messages(&b, Some(u64::MAX)).await.1),
        Vec::<u64>::new()
    );
}

async fn typing_and_presence(backend: Backend) {
    let server = TestServer::start(backend).await;
    let api = server.api();
    let a = api.create("alice", None).await;
    let mut sa = api.try_socket(&a.room_id, Some(&a.token)).await.unwrap();
    let hello = sa.next_event().await;
    assert_eq!(
        hello,
        json!({"type": "presence", "members": [{"member_id": a.member_id, "name": "alice", "online": true}]})
    );

    let b = api.join(&a.room_id, "bob").await;
    let joined = sa.next_of("presence").await;
    assert_eq!(
        joined["members"][1],
        json!({"member_id": b.member_id, "name": "bob", "online": false})
    );

    let mut sb = api.try_socket(&b.room_id, Some(&b.token)).await.unwrap();
    let hello_b = sb.next_event().await;
    assert_eq!(hello_b["type"], "presence");
    assert_eq!(hello_b["members"][0]["online"], true);
    assert_eq!(hello_b["members"][1]["online"], true);
    let online = sa.next_of("presence").await;
    assert_eq!(online["members"][1]["online"], true);

    sb.send_json(json!({"type": "typing"})).await;
    assert_eq!(
        sa.next_event().await,
        json!({"type": "typing", "member_id": b.member_id})
    );
    sb.assert_no("typing", Duration::from_millis(300)).await; // never echoed to the typist

    sb.close().await;
    let offline = sa.next_of("presence").await;
    assert_eq!(offline["members"][1]["online"], false);
}

async fn destroy_reaches_both_and_leaves_nothing(backend: Backend) {
    let server = TestServer::start(backend).await;
    let api = server.api();
    let (a, b) = pair(&api).await;
    api.post(&a, "soon gone").await;
    let mut sa = api.socket(&a).await;
    let mut sb = api.socket(&b).await;
    assert!(
        !server.traces_of(&a.room_id).await.is_empty(),
        "the store holds the live room"
    );

    let (status, body) = api.destroy(&b).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    for socket in [&mut sa, &mut sb] {
        assert_eq!(
            socket.next_of("destroyed").await,
            json!({"type": "destroyed", "by": b.member_id})
        );
        assert_eq!(socket.close_code().await, Some(4000));
    }
    assert_eq!(server.traces_of(&a.room_id).await, Vec::<String>::new());
    assert_error(&api.info(&a).await, 404, "room_not_found");
    assert_error(&api.messages(&a, None).await, 404, "room_not_found");
    assert_error(&api.post(&a, "x").await, 404, "room_not_found");
    assert_error(&api.destroy(&a).await, 404, "room_not_found");
    assert_error(
        &api.try_join(&a.room_id, "carol").await,
        404,
        "room_not_found",
    );
    assert_eq!(
        api.try_socket(&a.room_id, Some(&a.token))
            .await
            .err()
            .unwrap()
            .0,
        404
    );
}

async fn expiry_reaches_both_and_leaves_nothing(backend: Backend) {
    let server = TestServer::start(backend).await;
    let api = server.api();
    let started = Instant::now();
    let a = api.create("alice", Some(1)).await;
    let b = api.join(&a.room_id, "bob").await;
    api.post(&b, "ephemeral").await;
    let mut sa = api.socket(&a).await;
    let mut sb = api.socket(&b).await;
    for socket in [&mut sa, &mut sb] {
        assert_eq!(socket.next_of("expired").await, json!({"type": "expired"}));
        assert_eq!(socket.close_code().await, Some(4001));
    }
    // Deadline 1 s after creation; "within one second" of it.
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "expired after {:?}",
        started.elapsed()
    );
    assert_eq!(server.traces_of(&a.room_id).await, Vec::<String>::new());
    assert_error(&api.info(&a).await, 404, "room_not_found");
    assert_error(
        &api.try_join(&a.room_id, "carol").await,
        404,
        "room_not_found",
    );
}

async fn seat_race_has_one_winner(backend: Backend) {
    // Many people's worth of requests from one address.
    let server = TestServer::start_with(backend, test_config().without_rate_limits()).await;
    let api = server.api();
    for _round in 0..3 {
        let a = api.create("alice", None).await;
        let joins = (0..50).map(|i| {
            let api = api.clone();
            let room = a.room_id.clone();
            tokio::spawn(async move { api.try_join(&room, &format!("racer{i}")).await })
        });
        let results = futures_util::future::join_all(joins).await;
        let mut ok = 0;
        for result in results {
            let (status, body) = result.unwrap();
            match status.as_u16() {
                200 => ok += 1,
                409 => assert_eq!(body["error"], "room_full"),
                other => panic!("unexpected {other}: {body}"),
            }
        }
        assert_eq!(ok, 1, "exactly one join wins");
        let (_, info) = api.info(&a).await;
        assert_eq!(info["members"].as_array().unwrap().len(), 2);
    }
}

/// (what, method, path, headers, body, expected status, expected code)
type HostileRequest = (
    &'static str,
    Method,
    String,
    Vec<(String, String)>,
    Vec<u8>,
    u16,
    &'static str,
);

async fn hostile_http_requests(backend: Backend) {
    let server = TestServer::start(backend).await;
    let api = server.api();
    let (a, _) = pair(&api).await;
    let room = a.room_id.clone();
    let auth = format!("Bearer {}", a.token);
    let json_ct = ("content-type", "application/json");
    let with_auth = |extra: &[(&'static str, &'static str)]| -> Vec<(String, String)> {
        let mut h = vec![("authorization".to_string(), auth.clone())];
        h.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        h
    };
    let plain = |extra: &[(&'static str, &'static str)]| -> Vec<(String, String)> {
        extra
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let msgs = format!("/api/rooms/{room}/messages");
    let unknown = format!("/api/rooms/{}/join", uuid::Uuid::new_v4());
    let big = format!("{{\"name\":\"{}\"}}", "x".repeat(100 * 1024));
    let too_long_body = format!("{{\"body\":\"{}\"}}", "y".repeat(MAX_BODY_BYTES + 1));
    let too_long_name = format!("{{\"name\":\"{}\"}}", "n".repeat(257));
    let deep = format!("{{\"name\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
    let escaped_body = format!("{{\"body\":\"{}\"}}", "\\u00e9".repeat(MAX_BODY_BYTES / 2)); // the limit after decoding, 3 times it on the wire
    #[rustfmt::skip]
    let table: Vec<HostileRequest> = vec![
        ("truncated JSON", Method::POST, "/api/rooms".into(), plain(&[json_ct]), b"{".to_vec(), 400, "invalid_body"),
        ("name of wrong type", Method::POST, "/api/rooms".into(), plain(&[json_ct]), br#"{"name":5}"#.to_vec(), 400, "invalid_body"),
        ("ttl as string", Method::POST, "/api/rooms".into(), plain(&[json_ct]), br#"{"name":"a","ttl_secs":"ten"}"#.to_vec(), 400, "invalid_body"),
        ("negative ttl", Method::POST, "/api/rooms".into(), plain(&[json_ct]), br#"{"name":"a","ttl_secs":-1}"#.to_vec(), 400, "invalid_body"),
        ("zero ttl", Method::POST, "/api/rooms".into(), plain(&[json_ct]), br#"{"name":"a","ttl_secs":0}"#.to_vec(), 400, "invalid_ttl"),
        ("array body", Method::POST, "/api/rooms".into(), plain(&[json_ct]), b"[]".to_vec(), 400, "invalid_body"),
        ("empty name", Method::POST, "/api/rooms".into(), plain(&[json_ct]), br#"{"name":""}"#.to_vec(), 400, "invalid_body"),
        ("unknown field", Method::POST, "/api/rooms".into(), plain(&[json_ct]), br#"{"name":"a","admin":true}"#.to_vec(), 400, "invalid_body"),
        ("no content type", Method::POST, "/api/rooms".into(), vec![], br#"{"name":"a"}"#.to_vec(), 415, "unsupported_media_type"),
        ("100 KiB body", Method::POST, "/api/rooms".into(), plain(&[json_ct]), big.into_bytes(), 413, "message_too_large"),
        ("257-byte name", Method::POST, "/api/rooms".into(), plain(&[json_ct]), too_long_name.into_bytes(), 413, "message_too_large"),
        ("room id not a UUID", Method::POST, "/api/rooms/not-a-uuid/join".into(), plain(&[json_ct]), br#"{"name":"a"}"#.to_vec(), 400, "invalid_room_id"),
        ("room id with SQL", Method::GET, "/api/rooms/1%27%20OR%201=1/messages".into(), with_auth(&[]), vec![], 400, "invalid_room_id"),
        ("unknown room", Method::POST, unknown, plain(&[json_ct]), br#"{"name":"a"}"#.to_vec(), 404, "room_not_found"),
        ("dot-dot path", Method::GET, "/api/rooms/%2e%2e/%2e%2e/etc/passwd".into(), vec![], vec![], 404, "not_found"),
        ("unknown route", Method::GET, "/nope".into(), vec![], vec![], 404, "not_found"),
        ("wrong method", Method::PUT, "/api/rooms".into(), vec![], vec![], 405, "method_not_allowed"),
        ("after not a number", Method::GET, format!("{msgs}?after=abc"), with_auth(&[]), vec![], 400, "invalid_query"),
        ("after negative", Method::GET, format!("{msgs}?after=-1"), with_auth(&[]), vec![], 400, "invalid_query"),
        ("after empty", Method::GET, format!("{msgs}?after="), with_auth(&[]), vec![], 400, "invalid_query"),
        ("after twice", Method::GET, format!("{msgs}?after=1&after=2"), with_auth(&[]), vec![], 400, "invalid_query"),
        ("after 2^64", Method::GET, format!("{msgs}?after=18446744073709551616"), with_auth(&[]), vec![], 400, "invalid_query"),
        ("limit 0", Method::GET, format!("{msgs}?limit=0"), with_auth(&[]), vec![], 400, "invalid_query"),
        ("limit over the page", Method::GET, format!("{msgs}?limit=101"), with_auth(&[]), vec![], 400, "invalid_query"),
        ("unknown query field", Method::GET, format!("{msgs}?offset=5"), with_auth(&[]), vec![], 400, "invalid_query"),
        ("empty message", Method::POST, msgs.clone(), with_auth(&[json_ct]), br#"{"body":""}"#.to_vec(), 400, "invalid_body"),
        ("message of wrong type", Method::POST, msgs.clone(), with_auth(&[json_ct]), br#"{"body":123}"#.to_vec(), 400, "invalid_body"),
        ("invalid UTF-8", Method::POST, msgs.clone(), with_auth(&[json_ct]), b"{\"body\":\"\xff\xfe\"}".to_vec(), 400, "invalid_body"),
        ("limit + 1 message", Method::POST, msgs.clone(), with_auth(&[json_ct]), too_long_body.into_bytes(), 413, "message_too_large"),
        ("non-hex token", Method::GET, msgs.clone(), plain(&[("authorization", "Bearer gggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg")]), vec![], 401, "unauthorized"),
        ("token with CRLF junk", Method::GET, msgs.clone(), plain(&[("authorization", "Bearer ;DROP")]), vec![], 401, "unauthorized"),
        ("plain GET on the socket route", Method::GET, format!("/api/rooms/{room}/ws"), with_auth(&[]), vec![], 400, "invalid_frame"),
        ("room id in braces", Method::GET, format!("/api/rooms/{{{room}}}/messages"), with_auth(&[]), vec![], 400, "invalid_room_id"),
        ("urn:uuid room id", Method::GET, format!("/api/rooms/urn:uuid:{room}/messages"), with_auth(&[]), vec![], 400, "invalid_room_id"),
        ("32-digit room id", Method::GET, format!("/api/rooms/{}/messages", room.replace('-', "")), with_auth(&[]), vec![], 400, "invalid_room_id"),
        ("upper-case room id", Method::GET, format!("/api/rooms/{}/messages", room.to_uppercase()), with_auth(&[]), vec![], 400, "invalid_room_id"),
        ("nil room id", Method::GET, "/api/rooms/00000000-0000-0000-0000-000000000000/messages".into(), with_auth(&[]), vec![], 404, "room_not_found"),
        ("tab after Bearer", Method::GET, msgs.clone(), vec![("authorization".into(), format!("Bearer\t{}", a.token))], vec![], 401, "unauthorized"),
        ("10,000-character Authorization", Method::GET, msgs.clone(), vec![("authorization".into(), format!("Bearer {}", "a".repeat(10_000)))], vec![], 401, "unauthorized"),
        ("two Authorization headers", Method::GET, msgs.clone(), vec![("authorization".into(), auth.clone()), ("authorization".into(), auth.clone())], vec![], 401, "unauthorized"),
        ("8 KiB of NUL bytes", Method::POST, "/api/rooms".into(), plain(&[json_ct]), vec![0u8; 8192], 400, "invalid_body"),
        ("JSON after a BOM", Method::POST, "/api/rooms".into(), plain(&[json_ct]), b"\xEF\xBB\xBF{\"name\":\"a\"}".to_vec(), 400, "invalid_body"),
        ("duplicate keys", Method::POST, "/api/rooms".into(), plain(&[json_ct]), br#"{"name":"a","name":"b"}"#.to_vec(), 400, "invalid_body"),
        ("10,000-deep nesting", Method::POST, "/api/rooms".into(), plain(&[json_ct]), deep.into_bytes(), 400, "invalid_body"),
        ("ttl as 1e2", Method::POST, "/api/rooms".into(), plain(&[json_ct]), br#"{"name":"a","ttl_secs":1e2}"#.to_vec(), 400, "invalid_body"),
        ("ttl 2^64", Method::POST, "/api/rooms".into(), plain(&[json_ct]), br#"{"name":"a","ttl_secs":18446744073709551616}"#.to_vec(), 400, "invalid_body"),
        ("text/plain body", Method::POST, "/api/rooms".into(), plain(&[("content-type", "text/plain")]), br#"{"name":"a"}"#.to_vec(), 415, "unsupported_media_type"),
        ("after=+5", Method::GET, format!("{msgs}?after=+5"), with_auth(&[]), vec![], 400, "invalid_query"),
        ("limit=+5", Method::GET, format!("{msgs}?limit=%2B5"), with_auth(&[]), vec![], 400, "invalid_query"),
        ("name with U+202E", Method::POST, "/api/rooms".into(), plain(&[json_ct]), json!({"name": "evil\u{202E}gnp.exe"}).to_string().into_bytes(), 400, "invalid_body"),
        ("name of zero-width characters", Method::POST, "/api/rooms".into(), plain(&[json_ct]), json!({"name": "\u{200B}\u{200C}\u{200D}"}).to_string().into_bytes(), 400, "invalid_body"),
        ("name with NUL", Method::POST, "/api/rooms".into(), plain(&[json_ct]), br#"{"name":"a\u0000b"}"#.to_vec(), 400, "invalid_body"),
        ("name of 10,000 combining marks", Method::POST, "/api/rooms".into(), plain(&[json_ct]), json!({"name": format!("a{}", "\u{0301}".repeat(9_999))}).to_string().into_bytes(), 413, "message_too_large"),
    ];
    assert!(table.len() >= 20);
    for (what, method, path, headers, body, status, code) in table {
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let got = api.raw(method, &path, &headers, body).await;
        assert_eq!(got.0.as_u16(), status, "{what}: {}", got.1);
        assert_eq!(got.1["error"], code, "{what}: {}", got.1);
    }
    // The scheme is case-insensitive (RFC 9110).
    for scheme in ["BEARER", "bearer", "bEaReR"] {
        let header = format!("{scheme} {}", a.token);
        let got = api
            .raw(Method::GET, &msgs, &[("authorization", &header)], vec![])
            .await;
        assert_eq!(got.0, StatusCode::OK, "{scheme}: {}", got.1);
    }
    // A maximal message written with JSON escapes is accepted.
    let headers = [("authorization", auth.as_str()), json_ct];
    let got = api
        .raw(Method::POST, &msgs, &headers, escaped_body.into_bytes())
        .await;
    assert_eq!(got.0, StatusCode::CREATED, "{}", got.1);
    // Message bodies are opaque (ciphertext): 8 KiB of NUL characters is a body.
    let nuls = json!({ "body": "\u{0}".repeat(8192) }).to_string();
    let got = api
        .raw(Method::POST, &msgs, &headers, nuls.into_bytes())
        .await;
    assert_eq!(got.0, StatusCode::CREATED, "{}", got.1);
    assert_eq!(got.1["body"].as_str().unwrap().len(), 8192);
    // The server is still healthy after all of it.
    assert_eq!(
        api.call(Method::GET, "/healthz", None, None).await.0,
        StatusCode::OK
    );
}

async fn hostile_websocket_frames(backend: Backend) {
    let server = TestServer::start(backend).await;
    let api = server.api();
    let (a, _) = pair(&api).await;
    let mut socket = api.socket(&a).await;
    let long_body = "z".repeat(MAX_BODY_BYTES + 1);
    let cases: Vec<(WsMessage, &str, Option<&str>)> = vec![
        (WsMessage::Text("not json".into()), "invalid_frame", None),
        (
            WsMessage::Text(r#"{"type":"dance"}"#.into()),
            "invalid_frame",
            None,
        ),
        (
            WsMessage::Text(r#"{"type":"send"}"#.into()),
            "invalid_frame",
            None,
        ),
        (
            WsMessage::Text(r#"{"type":"send","body":5}"#.into()),
            "invalid_frame",
            None,
        ),
        (
            WsMessage::Text(r#"{"type":"send","body":"","nonce":"e"}"#.into()),
            "invalid_body",
            Some("e"),
        ),
        (
            WsMessage::Text(
                json!({"type":"send","body": long_body,"nonce":"big"})
                    .to_string()
                    .into(),
            ),
            "message_too_large",
            Some("big"),
        ),
        (
            WsMessage::Text(
                json!({"type":"send","body":"x","nonce":"n".repeat(65)})
                    .to_string()
                    .into(),
            ),
            "invalid_body",
            None,
        ),
        (
            WsMessage::Text(r#"{"type":"typing","extra":1}"#.into()),
            "invalid_frame",
            None,
        ),
        (WsMessage::Text("[]".into()), "invalid_frame", None),
        (WsMessage::Text("null".into()), "invalid_frame", None),
        (
            WsMessage::Text(r#"{"type":"presence","members":[]}"#.into()),
            "invalid_frame",
            None,
        ),
        (
            WsMessage::Binary(vec![0, 159, 146, 150].into()),
            "invalid_frame",
            None,
        ),
    ];
    for (frame, code, nonce) in cases {
        let shown = format!("{frame:?}");
        socket.send_raw(frame).await.unwrap();
        let event = socket.next_event().await;
        assert_eq!(event["type"], "error", "{shown}: {event}");
        assert_eq!(event["error"], code, "{shown}: {event}");
        assert!(event["message"].as_str().is_some_and(|m| !m.is_empty()));
        match nonce {
            Some(n) => assert_eq!(event["nonce"], n, "{shown}"),
            None if code != "invalid_body" => assert!(event.get("nonce").is_none()),
            None => {}
        }
    }
    // Nonces are bytes, at most 64: an empty one and 64 bytes of two-byte
    // characters are taken and echoed; 66 such bytes are refused.
    for nonce in ["", &"é".repeat(32)] {
        socket
            .send_json(json!({"type": "send", "body": "n", "nonce": nonce}))
            .await;
        let event = socket.next_of("message").await;
        assert_eq!(event["nonce"], nonce);
    }
    socket
        .send_json(json!({"type": "send", "body": "n", "nonce": "é".repeat(33)}))
        .await;
    assert_eq!(socket.next_of("error").await["error"], "invalid_body");
    // Still open and working after every refusal.
    socket
        .send_json(json!({"type": "send", "body": "still here", "nonce": "ok"}))
        .await;
    let event = socket.next_of("message").await;
    assert_eq!(event["message"]["body"], "still here");
    let (_, listed) = api.messages(&a, None).await;
    assert_eq!(
        listed["messages"].as_array().unwrap().len(),
        3,
        "no refused frame stored anything"
    );
}

/// Sends `frame`, expects the socket closed with `code`, nothing stored,
/// and the member still served on a new socket.
async fn frame_closes_with(backend: Backend, frame: WsMessage, code: u16) {
    frames_close_with(backend, vec![frame], code).await;
}

/// Sends `frames` (stopping when the server has closed), then as above.
async fn frames_close_with(backend: Backend, frames: Vec<WsMessage>, code: u16) {
    use futures_util::SinkExt;
    let server = TestServer::start(backend).await;
    let api = server.api();
    let (a, _) = pair(&api).await;
    let mut socket = api.socket(&a).await;
    for (i, frame) in frames.into_iter().enumerate() {
        if socket.ws.feed(frame).await.is_err()
            || (i % 1024 == 0 && socket.ws.flush().await.is_err())
        {
            break;
        }
    }
    let _ = socket.ws.flush().await;
    assert_eq!(socket.close_code().await, Some(code));
    let (_, listed) = api.messages(&a, None).await;
    assert!(listed["messages"].as_array().unwrap().is_empty());
    let mut again = api.socket(&a).await;
    again
        .send_json(json!({"type": "send", "body": "fine"}))
        .await;
    assert_eq!(again.next_of("message").await["message"]["body"], "fine");
}

async fn oversized_frame_closes_with_1009(backend: Backend) {
    let huge = json!({"type": "send", "body": "w".repeat(70 * 1024)}).to_string();
    frame_closes_with(backend, WsMessage::Text(huge.into()), 1009).await;
}

async fn invalid_utf8_closes_with_1007(backend: Backend) {
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    use tokio_tungstenite::tungstenite::protocol::frame::Frame as RawFrame;
    let frame = RawFrame::message(vec![b'{', 0xff, 0xfe, b'}'], OpCode::Data(Data::Text), true);
    frame_closes_with(backend, WsMessage::Frame(frame), 1007).await;
}

/// A message cut into 65,537 one-byte fragments is one byte over the
/// message limit: 1009 when the limit is crossed, nothing buffered past it.
async fn continuation_frames_past_the_limit_close_with_1009(backend: Backend) {
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    use tokio_tungstenite::tungstenite::protocol::frame::Frame as RawFrame;
    let mut frames = vec![WsMessage::Frame(RawFrame::message(
        vec![b'"'],
        OpCode::Data(Data::Text),
        false,
    ))];
    frames.extend((0..65_536).map(|i| {
        WsMessage::Frame(RawFrame::message(
            vec![b'x'],
            OpCode::Data(Data::Continue),
            i == 65_535,
        ))
    }));
    frames_close_with(backend, frames, 1009).await;
}

async fn rsv1_without_an_extension_closes_with_1002(backend: Backend) {
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    use tokio_tungstenite::tungstenite::protocol::frame::Frame as RawFrame;
    let text = json!({"type": "send", "body": "compressed?"}).to_string();
    let mut frame = RawFrame::message(text.into_bytes(), OpCode::Data(Data::Text), true);
    frame.header_mut().rsv1 = true;
    frame_closes_with(backend, WsMessage::Frame(frame), 1002).await;
}

/// 100,000 pings from a client that never reads: the server owes it at most
/// one pong at a time, and the other member is served throughout.
async fn a_ping_flood_from_a_client_that_never_reads_harms_no_one(backend: Backend) {
    use futures_util::SinkExt;
    let server = TestServer::start(backend).await;
    let api = server.api();
    let (a, b) = pair(&api).await;
    let mut flooder = api.socket(&a).await;
    let mut other = api.socket(&b).await;
    let ping = WsMessage::Ping(vec![7u8; 125].into());
    let flood = tokio::spawn(async move {
        let mut sent = 0;
        for i in 0..100_000 {
            if flooder.ws.feed(ping.clone()).await.is_err()
                || (i % 1000 == 0 && flooder.ws.flush().await.is_err())
            {
                break;
            }
            sent += 1;
        }
        let _ = flooder.ws.flush().await;
        (flooder, sent)
    });
    for i in 0..20 {
        let started = std::time::Instant::now();
        assert_eq!(api.post(&b, &format!("m{i}")).await.0, StatusCode::CREATED);
        let heard = other.next_of("message").await;
        assert_eq!(heard["message"]["body"], format!("m{i}"));
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
    }
    let (_flooder, sent) = tokio::time::timeout(Duration::from_secs(60), flood)
        .await
        .expect("the flood was taken in")
        .unwrap();
    assert_eq!(sent, 100_000, "the server cut the flooder off");
    assert_eq!(
        api.call(Method::GET, "/healthz", None, None).await.0,
        StatusCode::OK
    );
}

async fn history_is_paged(backend: Backend) {
    // Many people's worth of requests from one address.
    let server = TestServer::start_with(backend, test_config().without_rate_limits()).await;
    let api = server.api();
    let (a, _) = pair(&api).await;
    let page = private_chat_protocol::limits::MAX_PAGE_MESSAGES;
    for i in 0..page + 20 {
        assert_eq!(api.post(&a, &format!("m{i}")).await.0, StatusCode::CREATED);
    }
    // No limit: one full page, from the first.
    let (_, first) = api.messages(&a, None).await;
    assert_eq!(ids(&first), (1..=page as u64).collect::<Vec<_>>());
    // The rest after it.
    let (_, rest) = api.messages(&a, Some(page as u64)).await;
    assert_eq!(
        ids(&rest),
        (page as u64 + 1..=page as u64 + 20).collect::<Vec<_>>()
    );
    // A smaller page.
    let path = format!("/api/rooms/{}/messages?after=3&limit=2", a.room_id);
    let (status, v) = api.call(Method::GET, &path, Some(&a.token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&v), [4, 5]);
}

async fn message_limit_refuses_without_losing_data(backend: Backend) {
    let config = private_chat_server::Config {
        max_messages_per_room: 3,
        ..test_config()
    };
    let server = TestServer::start_with(backend, config).await;
    let api = server.api();
    let (a, b) = pair(&api).await;
    for i in 0..3 {
        assert_eq!(api.post(&a, &format!("m{i}")).await.0, StatusCode::CREATED);
    }
    assert_error(
        &api.post(&b, "one too many").await,
        429,
        "room_message_limit",
    );
    let mut sb = api.socket(&b).await;
    sb.send_json(json!({"type": "send", "body": "over", "nonce": "n9"}))
        .await;
    let refused = sb.next_of("error").await;
    assert_eq!(refused["error"], "room_message_limit");
    assert_eq!(refused["nonce"], "n9");
    let (_, listed) = api.messages(&a, None).await;
    let bodies: Vec<&str> = listed["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["m0", "m1", "m2"]);
}

async fn socket_limit_per_member(backend: Backend) {
    let config = private_chat_server::Config {
        max_sockets_per_member: 2,
        ..test_config()
    };
    let server = TestServer::start_with(backend, config).await;
    let api = server.api();
    let (a, b) = pair(&api).await;
    let first = api.socket(&a).await;
    let _second = api.socket(&a).await;
    let refused = api
        .try_socket(&a.room_id, Some(&a.token))
        .await
        .err()
        .expect("third socket refused");
    assert_eq!(refused.0, 429);
    assert_eq!(refused.1["error"], "too_many_sockets");
    // The other member has slots of their own.
    let _b1 = api.socket(&b).await;
    // A closed socket gives its slot back.
    first.close().await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match api.try_socket(&a.room_id, Some(&a.token)).await {
            Ok(_) => break,
            Err((429, _)) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(other) => panic!("slot not released: {other:?}"),
        }
    }
}

async fn size_limits_are_inclusive(backend: Backend) {
    let server = TestServer::start(backend).await;
    let api = server.api();
    let name = "N".repeat(256);
    let a = api.create(&name, None).await;
    let body = "é".repeat(MAX_BODY_BYTES / 2); // exactly the limit, in UTF-8
    let (status, posted) = api.post(&a, &body).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(posted["body"].as_str().unwrap().len(), MAX_BODY_BYTES);
    assert_eq!(posted["name"].as_str().unwrap(), name);
    let mut socket = api.socket(&a).await;
    socket
        .send_json(json!({"type": "send", "body": body, "nonce": "n".repeat(64)}))
        .await;
    let event = socket.next_of("message").await;
    assert_eq!(event["message"]["id"], 2);
}

async fn health_names_the_backend(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (status, body) = server.api().call(Method::GET, "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let name = match backend {
        Backend::Memory => "memory",
        Backend::Redis => "redis",
    };
    assert_eq!(body, json!({"status": "ok", "backend": name}));
}

#[tokio::test]
async fn vanished_client_goes_offline() {
    // A client that vanishes without a close frame must not keep its seat online.
    let server = TestServer::start(Backend::Memory).await;
    let api = server.api();
    let (a, b) = pair(&api).await;
    let mut sa = api.socket(&a).await;
    let sb = api.socket(&b).await;
    let _ = sa.next_of("presence").await;
    drop(sb); // TCP reset, no close frame
    let presence = sa.next_of("presence").await;
    assert_eq!(presence["members"][1]["online"], false);
}

async fn destroy_right_after_a_join_is_still_a_destroy(backend: Backend) {
    // The join makes every socket re-read the room; a destroy right behind
    // it must still reach them as a destroy, not as a vanished room.
    let server = TestServer::start(backend).await;
    let api = server.api();
    for _ in 0..20 {
        let a = api.create("alice", None).await;
        let mut sa = api.socket(&a).await;
        let b = api.join(&a.room_id, "bob").await;
        assert_eq!(api.destroy(&b).await.0, StatusCode::NO_CONTENT);
        assert_eq!(sa.next_of("destroyed").await["by"], b.member_id);
        assert_eq!(sa.close_code().await, Some(4000));
    }
}

/// A send repeated with its nonce (its answer was lost) gets the stored
/// message: over HTTP 200 instead of 201, over the socket a `message` frame
/// to the sender alone; the other member sees it once, history holds it once.
async fn a_retried_send_is_answered_not_stored_twice(backend: Backend) {
    let server = TestServer::start(backend).await;
    let api = server.api();
    let (a, b) = pair(&api).await;
    let mut heard = api.socket(&b).await;
    let path = format!("/api/rooms/{}/messages", a.room_id);
    let body = json!({"body": "once", "nonce": "h-1"});
    let first = api
        .call(Method::POST, &path, Some(&a.token), Some(body.clone()))
        .await;
    assert_eq!(first.0, StatusCode::CREATED, "{}", first.1);
    let again = api
        .call(Method::POST, &path, Some(&a.token), Some(body))
        .await;
    assert_eq!(again.0, StatusCode::OK, "{}", again.1);
    assert_eq!(again.1, first.1);
    assert_eq!(
        heard.next_of("message").await["message"]["id"],
        first.1["id"]
    );

    let mut mine = api.socket(&a).await;
    for _ in 0..2 {
        mine.send_json(json!({"type": "send", "body": "twice?", "nonce": "w-1"}))
            .await;
        let echo = mine.next_of("message").await;
        assert_eq!(
            (echo["message"]["id"].as_u64(), echo["nonce"].as_str()),
            (Some(2), Some("w-1"))
        );
    }
    assert_eq!(heard.next_of("message").await["message"]["id"], 2);
    heard.assert_no("message", Duration::from_millis(300)).await;
    assert_eq!(api.bodies(&a).await, ["once", "twice?"]);
}
