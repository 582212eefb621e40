//! The room session against the real server library, with no window: the
//! view comes first, the seat is kept while the room lives and forgotten
//! when it ends, the end is told once, and a new sink takes over cleanly;
//! end to end, the two apps agree keys and the server holds only ciphertext.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use private_chat_app::client::{Api, ClientError};
use private_chat_app::memory_host::MemoryHost;
use private_chat_app::room::{self, Host, RoomHandle, Sink};
use private_chat_app::secure::{Engine, KeyFile};
use private_chat_app::settings::SavedSeat;
use private_chat_crypto::{InviteSecret, Role};
use private_chat_protocol::app::{Connection, Notice, RoomEvent, Security};
use private_chat_protocol::Session;
use private_chat_server::{Config, RunningServer};
use tokio::sync::mpsc;

type Events = mpsc::UnboundedReceiver<RoomEvent>;

fn sink() -> (Sink, Events) {
    let (tx, rx) = mpsc::unbounded_channel();
    (
        Box::new(move |e| {
            let _ = tx.send(e);
        }),
        rx,
    )
}

async fn server() -> (RunningServer, Api) {
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Config::default()
    };
    let server = private_chat_server::start(config).await.unwrap();
    let api = Api::new(&server.url());
    (server, api)
}

fn seat(api: &Api, s: &Session) -> SavedSeat {
    SavedSeat::new(api, s.clone())
}

/// A data folder of its own for each test.
fn data_dir() -> PathBuf {
    let mut n = [0u8; 8];
    getrandom::fill(&mut n).unwrap();
    let dir = std::env::temp_dir().join(format!("room-session-{}", u64::from_le_bytes(n)));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What create and join do before a room is first opened: keep its secret.
fn keep(dir: &std::path::Path, s: &Session, role: Role, secret: &InviteSecret) {
    KeyFile::new(dir, &s.room_id)
        .unwrap()
        .keep(role, secret.clone())
        .unwrap();
}

fn engine(dir: &std::path::Path, s: &Session, name: &str) -> Engine {
    Engine::load(KeyFile::new(dir, &s.room_id).unwrap(), &s.member_id, name).unwrap()
}

/// Opens the room of `s`, whose secret was kept in `dir`.
async fn open_in(
    dir: &std::path::Path,
    api: &Api,
    s: &Session,
    host: &Arc<MemoryHost>,
) -> Result<(RoomHandle, Events), ClientError> {
    let (sink, events) = sink();
    let handle = room::open(
        seat(api, s),
        "invite".into(),
        engine(dir, s, &s.member_id),
        host.clone(),
        sink,
    )
    .await?;
    Ok((handle, events))
}

/// A creator and a joiner sharing one fresh secret, each with its folder.
struct Pair {
    a: Session,
    b: Session,
    dir_a: PathBuf,
    dir_b: PathBuf,
}

async fn pair(api: &Api) -> Pair {
    let secret = InviteSecret::random();
    let a = api.create("stand-in-a", None).await.unwrap();
    let b = api.join(&a.room_id, "stand-in-b").await.unwrap();
    let (dir_a, dir_b) = (data_dir(), data_dir());
    keep(&dir_a, &a, Role::Creator, &secret);
    keep(&dir_b, &b, Role::Joiner, &secret);
    Pair { a, b, dir_a, dir_b }
}

async fn open(
    api: &Api,
    s: &Session,
    dir: &std::path::Path,
    host: &Arc<MemoryHost>,
) -> (RoomHandle, Events) {
    open_in(dir, api, s, host).await.expect("the room opens")
}

/// Waits until the room is secured (its socket is online already).
async fn secured_only(events: &mut Events) -> String {
    match next(events, "secured", |e| {
        matches!(
            e,
            RoomEvent::Security {
                security: Security::Secured { .. },
                ..
            }
        )
    })
    .await
    {
        RoomEvent::Security {
            security: Security::Secured { safety_code },
            ..
        } => safety_code,
        _ => unreachable!(),
    }
}

/// Waits until the room is secured and its socket online (in either
/// order: a catch-up may bring the keys first); returns the safety code.
async fn secured(events: &mut Events) -> String {
    let (mut code, mut is_online) = (None, false);
    while code.is_none() || !is_online {
        let e = next(events, "secured and online", |e| {
            online(e)
                || matches!(
                    e,
                    RoomEvent::Security {
                        security: Security::Secured { .. },
                        ..
                    }
                )
        })
        .await;
        match e {
            RoomEvent::Security {
                security: Security::Secured { safety_code },
                ..
            } => code = Some(safety_code),
            _ => is_online = true,
        }
    }
    code.unwrap()
}

async fn next(events: &mut Events, what: &str, ok: impl Fn(&RoomEvent) -> bool) -> RoomEvent {
    tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            let e = events.recv().await.expect("the session is alive");
            if ok(&e) {
                return e;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("never saw {what}"))
}

fn online(e: &RoomEvent) -> bool {
    matches!(
        e,
        RoomEvent::Connection {
            state: Connection::Online,
            ..
        }
    )
}

fn ended(e: &RoomEvent) -> bool {
    matches!(e, RoomEvent::Ended { .. })
}

/// Nothing more comes on `events` (the session has stopped).
async fn silent(events: &mut Events) {
    let more = tokio::time::timeout(Duration::from_millis(500), events.recv()).await;
    assert!(
        matches!(more, Ok(None) | Err(_)),
        "an event after the end: {more:?}"
    );
}

#[tokio::test]
async fn the_view_comes_first_then_the_room_lives_until_destroyed() {
    let (_server, api) = server().await;
    let Pair { a, b, dir_a, dir_b } = pair(&api).await;
    let host = Arc::new(MemoryHost::default());
    let (room, mut events) = open(&api, &a, &dir_a, &host).await;

    match events.recv().await.unwrap() {
        RoomEvent::Entered { view } => {
            assert_eq!(view.room_id, a.room_id);
            assert_eq!(view.invite, "invite");
            assert_eq!(view.members.len(), 2);
            assert_eq!(view.security, Security::Waiting);
            // What the webview gets never holds the seat's token.
            let json = serde_json::to_string(&view).unwrap();
            assert!(!json.contains(&a.token));
        }
        other => panic!("the first event is not the view: {other:?}"),
    }
    assert_eq!(host.saved_seat().unwrap().room_id, a.room_id);
    next(&mut events, "online", online).await;
    // Nothing goes out before the other app answered.
    assert!(room.send("too early".into(), "n0".into()).await.is_err());

    let (peer, mut peer_events) = open(&api, &b, &dir_b, &Arc::new(MemoryHost::default())).await;
    let code = secured_only(&mut events).await;
    assert_eq!(
        secured(&mut peer_events).await,
        code,
        "the same safety code"
    );

    // A message of our own comes back with its nonce; no notification.
    room.send("hello".into(), "n1".into()).await.unwrap();
    next(
        &mut events,
        "the echo",
        |e| matches!(e, RoomEvent::Message { nonce: Some(n), .. } if n == "n1"),
    )
    .await;
    assert!(host.notified().is_empty());

    // The peer's message notifies, without its text; names came sealed.
    peer.send("secret words".into(), "p1".into()).await.unwrap();
    let seen = next(
        &mut events,
        "the peer's message",
        |e| matches!(e, RoomEvent::Message { message, .. } if message.text.as_deref() == Some("secret words")),
    )
    .await;
    let RoomEvent::Message { message, .. } = seen else {
        unreachable!()
    };
    assert_eq!(message.name, b.member_id, "the name the peer's app sent");
    // More messages right after: no more notifications (rate limited).
    peer.send("and more".into(), "p2".into()).await.unwrap();
    next(
        &mut events,
        "the second message",
        |e| matches!(e, RoomEvent::Message { message, .. } if message.text.as_deref() == Some("and more")),
    )
    .await;
    let notified = host.notified();
    assert_eq!(notified.len(), 1, "{notified:?}");
    assert!(!notified[0].contains("secret"));

    // The server holds only ciphertext and stand-in names.
    let stored = api.messages(&a.room_id, &a.token, None).await.unwrap();
    assert!(stored.len() >= 6, "offer, answer, two names, two texts");
    for m in &stored {
        for word in ["hello", "secret words", &a.member_id, &b.member_id] {
            assert!(!m.body.contains(word), "{word} in {m:?}");
        }
    }
    let key_file = KeyFile::new(&dir_a, &a.room_id).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(key_file.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the key file is the user's alone");
    }

    // Destroy: told once, with our notice; seat forgotten; session stopped.
    room.destroy().await.unwrap();
    let end = next(&mut events, "the end", ended).await;
    assert!(matches!(
        end,
        RoomEvent::Ended {
            notice: Notice::DestroyedByYou,
            ..
        }
    ));
    silent(&mut events).await;
    assert!(host.saved_seat().is_none());
    assert!(!key_file.path().exists(), "the keys go with the room");
    assert_eq!(host.ended_rooms(), [a.room_id.as_str()]);
    assert!(!room.is_open());
    assert!(room.send("late".into(), "n2".into()).await.is_err());
    let peer_end = next(&mut peer_events, "the peer's end", ended).await;
    assert!(matches!(
        peer_end,
        RoomEvent::Ended {
            notice: Notice::DestroyedByPeer,
            ..
        }
    ));
    tokio::time::timeout(Duration::from_secs(2), async {
        while peer.is_open() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the peer's session stops at the end");
}

#[tokio::test]
async fn a_new_sink_takes_over_with_a_fresh_view() {
    let (_server, api) = server().await;
    let Pair { a, b, dir_a, dir_b } = pair(&api).await;
    let host = Arc::new(MemoryHost::default());
    let (room, mut first) = open(&api, &a, &dir_a, &host).await;
    next(&mut first, "online", online).await;
    let (_peer, _peer_events) = open(&api, &b, &dir_b, &Arc::new(MemoryHost::default())).await;
    secured_only(&mut first).await;
    room.send("before reload".into(), "n1".into())
        .await
        .unwrap();
    next(&mut first, "the echo", |e| {
        matches!(e, RoomEvent::Message { .. })
    })
    .await;

    // The UI reloads: a new channel gets the view with the history first.
    let (sink, mut second) = sink();
    room.attach(sink).await.unwrap();
    match second.recv().await.unwrap() {
        RoomEvent::Entered { view } => assert_eq!(view.messages.len(), 1),
        other => panic!("the first event is not the view: {other:?}"),
    }
    room.send("after reload".into(), "n2".into()).await.unwrap();
    next(
        &mut second,
        "the echo on the new sink",
        |e| matches!(e, RoomEvent::Message { nonce: Some(n), .. } if n == "n2"),
    )
    .await;
    // The old sink hears nothing of what came after.
    while let Ok(e) = first.try_recv() {
        assert!(
            !matches!(&e, RoomEvent::Message { nonce: Some(n), .. } if n == "n2"),
            "the old sink got {e:?}"
        );
    }
}

#[tokio::test]
async fn leaving_locally_keeps_the_seat_and_an_ended_room_forgets_it() {
    let (_server, api) = server().await;
    let host = Arc::new(MemoryHost::default());

    // Dropping every handle stops the session quietly: the room lives on,
    // and the seat stays so the app can come back to it.
    let Pair { a, b, dir_a, dir_b } = pair(&api).await;
    let (room, mut events) = open(&api, &a, &dir_a, &host).await;
    next(&mut events, "online", online).await;
    let (peer, mut peer_events) = open(&api, &b, &dir_b, &Arc::new(MemoryHost::default())).await;
    secured_only(&mut events).await;
    secured(&mut peer_events).await;
    peer.send("kept for later".into(), "p1".into())
        .await
        .unwrap();
    next(&mut events, "the message", |e| {
        matches!(e, RoomEvent::Message { .. })
    })
    .await;
    drop(room);
    silent(&mut events).await;
    assert_eq!(host.saved_seat().unwrap().room_id, a.room_id);
    assert!(host.ended_rooms().is_empty(), "leaving is not an end");
    assert!(api.room(&a.room_id, &a.token).await.is_ok());

    // Coming back (a restart): the history is readable from the key file.
    let (_again, mut events) = open(&api, &a, &dir_a, &host).await;
    match events.recv().await.unwrap() {
        RoomEvent::Entered { view } => {
            let texts: Vec<_> = view.messages.iter().map(|m| m.text.clone()).collect();
            assert_eq!(texts, [Some("kept for later".to_string())]);
            assert!(matches!(view.security, Security::Secured { .. }));
        }
        other => panic!("the first event is not the view: {other:?}"),
    }

    // Expiry: told once, seat forgotten.
    let short = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        min_ttl_secs: 1,
        ..Config::default()
    };
    let server = private_chat_server::start(short).await.unwrap();
    let api = Api::new(&server.url());
    let d = api.create("dave", Some(1)).await.unwrap();
    let dir = data_dir();
    keep(&dir, &d, Role::Creator, &InviteSecret::random());
    let (_room, mut events) = open(&api, &d, &dir, &host).await;
    let end = next(&mut events, "expiry", ended).await;
    assert!(matches!(
        end,
        RoomEvent::Ended {
            notice: Notice::Expired,
            ..
        }
    ));
    silent(&mut events).await;
    assert!(host.saved_seat().is_none());

    // A room that is gone cannot be opened, and no seat is kept for it.
    let e = api.create("erin", None).await.unwrap();
    keep(&dir, &e, Role::Creator, &InviteSecret::random());
    api.destroy(&e.room_id, &e.token).await.unwrap();
    assert!(open_in(&dir, &api, &e, &host).await.is_err());
    assert!(host.saved_seat().is_none());
}

#[tokio::test]
async fn a_joiner_with_another_key_is_refused_and_the_creator_told() {
    let (_server, api) = server().await;
    let a = api.create("stand-in", None).await.unwrap();
    let b = api.join(&a.room_id, "stand-in").await.unwrap();
    let (dir_a, dir_b) = (data_dir(), data_dir());
    keep(&dir_a, &a, Role::Creator, &InviteSecret::random());
    keep(&dir_b, &b, Role::Joiner, &InviteSecret::random());
    let host = Arc::new(MemoryHost::default());
    let (room, mut events) = open(&api, &a, &dir_a, &host).await;
    next(&mut events, "online", online).await;

    let joiner_host = Arc::new(MemoryHost::default());
    let refused = open_in(&dir_b, &api, &b, &joiner_host).await;
    assert!(
        matches!(refused, Err(ClientError::KeyMismatch)),
        "{:?}",
        refused.err()
    );
    assert!(joiner_host.saved_seat().is_none(), "no seat kept for it");

    let failed = next(&mut events, "the failure", |e| {
        matches!(
            e,
            RoomEvent::Security {
                security: Security::Failed { .. },
                ..
            }
        )
    })
    .await;
    let RoomEvent::Security {
        security: Security::Failed { reason },
        ..
    } = failed
    else {
        unreachable!()
    };
    assert!(reason.contains("could not verify"), "{reason}");
    assert!(room.send("anyone?".into(), "n1".into()).await.is_err());
}

#[tokio::test]
async fn changed_and_replayed_messages_show_as_not_verified_in_place() {
    let (_server, api) = server().await;
    let Pair { a, b, dir_a, dir_b } = pair(&api).await;
    let host = Arc::new(MemoryHost::default());
    let (room, mut events) = open(&api, &a, &dir_a, &host).await;
    next(&mut events, "online", online).await;
    let (peer, mut peer_events) = open(&api, &b, &dir_b, &Arc::new(MemoryHost::default())).await;
    secured_only(&mut events).await;
    secured(&mut peer_events).await;
    peer.send("genuine".into(), "p1".into()).await.unwrap();
    let text_of = |e: &RoomEvent| match e {
        RoomEvent::Message { message, .. } => Some(message.text.clone()),
        _ => None,
    };
    let first = next(&mut events, "the genuine message", |e| text_of(e).is_some()).await;
    assert_eq!(text_of(&first), Some(Some("genuine".into())));

    // What a hostile server could do with the peer's seat: replay the
    // stored frame, and store a changed copy of it.
    let stored = api.messages(&b.room_id, &b.token, None).await.unwrap();
    let genuine = stored.last().unwrap().body.clone();
    api.post_message(&b.room_id, &b.token, &genuine)
        .await
        .unwrap();
    let mut changed = genuine.into_bytes();
    let at = changed.len() - 5;
    changed[at] = if changed[at] == b'A' { b'B' } else { b'A' };
    let changed = String::from_utf8(changed).unwrap();
    api.post_message(&b.room_id, &b.token, &changed)
        .await
        .unwrap();
    api.post_message(&b.room_id, &b.token, "plain text from an old client")
        .await
        .unwrap();
    for what in ["the replay", "the changed copy", "the plain text"] {
        let e = next(&mut events, what, |e| text_of(e).is_some()).await;
        assert_eq!(text_of(&e), Some(None), "{what} is not shown as text");
    }
    // The room goes on: a later genuine message reads fine.
    peer.send("still fine".into(), "p2".into()).await.unwrap();
    let e = next(&mut events, "the next message", |e| text_of(e).is_some()).await;
    assert_eq!(text_of(&e), Some(Some("still fine".into())));

    // The creator's offer stored again does not make the joiner re-key.
    let offer = stored.first().unwrap().body.clone();
    api.post_message(&a.room_id, &a.token, &offer)
        .await
        .unwrap();
    room.send("after the replayed offer".into(), "n1".into())
        .await
        .unwrap();
    let e = next(
        &mut peer_events,
        "the creator's message",
        |e| matches!(e, RoomEvent::Message { message, .. } if message.member_id == a.member_id),
    )
    .await;
    assert_eq!(text_of(&e), Some(Some("after the replayed offer".into())));
}

#[tokio::test]
async fn a_creator_back_from_a_restart_before_the_answer_makes_a_new_offer() {
    let (_server, api) = server().await;
    let Pair { a, b, dir_a, dir_b } = pair(&api).await;
    let host = Arc::new(MemoryHost::default());
    // The creator's app posts its offer, then quits before any answer.
    let (room, mut events) = open(&api, &a, &dir_a, &host).await;
    next(&mut events, "online", online).await;
    drop(room);
    silent(&mut events).await;

    // The joiner answers that offer; nobody holds its ephemeral key now.
    let (peer, mut peer_events) = open(&api, &b, &dir_b, &Arc::new(MemoryHost::default())).await;
    next(&mut peer_events, "peer online", online).await;
    assert!(peer.send("too early".into(), "p0".into()).await.is_err());

    // The creator comes back: a new offer, answered by the running joiner.
    let (room, mut events) = open(&api, &a, &dir_a, &host).await;
    let code = secured(&mut events).await;
    assert_eq!(secured_only(&mut peer_events).await, code);
    peer.send("after all".into(), "p1".into()).await.unwrap();
    let seen = next(&mut events, "the message", |e| {
        matches!(e, RoomEvent::Message { .. })
    })
    .await;
    let RoomEvent::Message { message, .. } = seen else {
        unreachable!()
    };
    assert_eq!(message.text.as_deref(), Some("after all"));
    room.send("both ways".into(), "n1".into()).await.unwrap();
    let seen = next(
        &mut peer_events,
        "the reply",
        |e| matches!(e, RoomEvent::Message { message, .. } if message.member_id == a.member_id),
    )
    .await;
    let RoomEvent::Message { message, .. } = seen else {
        unreachable!()
    };
    assert_eq!(message.text.as_deref(), Some("both ways"));
}

#[tokio::test]
async fn notifications_show_text_only_when_chosen() {
    let (_server, api) = server().await;
    let Pair { a, b, dir_a, dir_b } = pair(&api).await;
    let host = Arc::new(MemoryHost::showing_text());
    let (_room, mut events) = open(&api, &a, &dir_a, &host).await;
    next(&mut events, "online", online).await;
    let (peer, mut peer_events) = open(&api, &b, &dir_b, &Arc::new(MemoryHost::default())).await;
    secured_only(&mut events).await;
    secured(&mut peer_events).await;
    peer.send("see you at six".into(), "p1".into())
        .await
        .unwrap();
    next(&mut events, "the message", |e| {
        matches!(e, RoomEvent::Message { .. })
    })
    .await;
    let notified = host.notified();
    assert_eq!(notified, [format!("{}: see you at six", b.member_id)]);
}
