//! The room session against the real server library, with no window: the
//! view comes first, the seat is kept while the room lives and forgotten
//! when it ends, the end is told once, and a new sink takes over cleanly.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use private_chat_app::client::Api;
use private_chat_app::room::{self, Host, RoomHandle, Sink};
use private_chat_app::settings::SavedSeat;
use private_chat_protocol::app::{Connection, Notice, RoomEvent};
use private_chat_protocol::Session;
use private_chat_server::{Config, RunningServer};
use tokio::sync::mpsc;

/// Settings and notifications kept in memory.
#[derive(Default)]
struct TestHost {
    seat: Mutex<Option<SavedSeat>>,
    notified: Mutex<Vec<String>>,
    ended: Mutex<Vec<String>>,
}

impl Host for TestHost {
    fn saved_seat(&self) -> Option<SavedSeat> {
        self.seat.lock().unwrap().clone()
    }

    fn save_seat(&self, seat: Option<&SavedSeat>) {
        *self.seat.lock().unwrap() = seat.cloned();
    }

    fn notify(&self, text: &str) {
        self.notified.lock().unwrap().push(text.to_owned());
    }

    fn ended(&self, seat: &SavedSeat) {
        self.ended.lock().unwrap().push(seat.room_id.clone());
    }
}

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

async fn open(api: &Api, s: &Session, host: &Arc<TestHost>) -> (RoomHandle, Events) {
    let (sink, events) = sink();
    let handle = room::open(seat(api, s), "invite".into(), host.clone(), sink)
        .await
        .expect("the room opens");
    (handle, events)
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
    let a = api.create("alice", None).await.unwrap();
    let b = api.join(&a.room_id, "bob").await.unwrap();
    let host = Arc::new(TestHost::default());
    let (room, mut events) = open(&api, &a, &host).await;

    match events.recv().await.unwrap() {
        RoomEvent::Entered { view } => {
            assert_eq!(view.room_id, a.room_id);
            assert_eq!(view.invite, "invite");
            assert_eq!(view.members.len(), 2);
        }
        other => panic!("the first event is not the view: {other:?}"),
    }
    assert_eq!(host.saved_seat().unwrap().room_id, a.room_id);
    next(&mut events, "online", online).await;

    // A message of our own comes back with its nonce; no notification.
    room.send("hello".into(), "n1".into()).await.unwrap();
    next(
        &mut events,
        "the echo",
        |e| matches!(e, RoomEvent::Message { nonce: Some(n), .. } if n == "n1"),
    )
    .await;
    assert!(host.notified.lock().unwrap().is_empty());

    // The peer's message notifies, without its text.
    let (peer, mut peer_events) = open(&api, &b, &Arc::new(TestHost::default())).await;
    next(&mut peer_events, "peer online", online).await;
    peer.send("secret words".into(), "p1".into()).await.unwrap();
    next(
        &mut events,
        "the peer's message",
        |e| matches!(e, RoomEvent::Message { message, .. } if message.body == "secret words"),
    )
    .await;
    let notified = host.notified.lock().unwrap().clone();
    assert_eq!(notified.len(), 1);
    assert!(!notified[0].contains("secret"));

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
    assert_eq!(*host.ended.lock().unwrap(), [a.room_id.as_str()]);
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
    let a = api.create("alice", None).await.unwrap();
    let host = Arc::new(TestHost::default());
    let (room, mut first) = open(&api, &a, &host).await;
    next(&mut first, "online", online).await;
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
    // The old sink hears nothing more.
    assert!(first.try_recv().is_err());
}

#[tokio::test]
async fn leaving_locally_keeps_the_seat_and_an_ended_room_forgets_it() {
    let (_server, api) = server().await;
    let host = Arc::new(TestHost::default());

    // Dropping every handle stops the session quietly: the room lives on,
    // and the seat stays so the app can come back to it.
    let a = api.create("alice", None).await.unwrap();
    let (room, mut events) = open(&api, &a, &host).await;
    next(&mut events, "online", online).await;
    drop(room);
    silent(&mut events).await;
    assert_eq!(host.saved_seat().unwrap().room_id, a.room_id);
    assert!(
        host.ended.lock().unwrap().is_empty(),
        "leaving is not an end"
    );
    assert!(api.room(&a.room_id, &a.token).await.is_ok());

    // Expiry: told once, seat forgotten.
    let short = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        min_ttl_secs: 1,
        ..Config::default()
    };
    let server = private_chat_server::start(short).await.unwrap();
    let api = Api::new(&server.url());
    let d = api.create("dave", Some(1)).await.unwrap();
    let (_room, mut events) = open(&api, &d, &host).await;
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
    api.destroy(&e.room_id, &e.token).await.unwrap();
    let (sink, _) = sink();
    assert!(
        room::open(seat(&api, &e), "invite".into(), host.clone(), sink)
            .await
            .is_err()
    );
    assert!(host.saved_seat().is_none());
}
