//! End-to-end tests of the real app window: the built `private-chat` binary
//! under Xvfb, driven through WebKitWebDriver, chatting with a second member
//! that the test runs through the app's own client core.
//!
//! They need the built app and a display, so they are `#[ignore]`d in plain
//! `cargo test`; scripts/test.sh builds the app and runs them with
//! `--ignored` under xvfb-run. Screenshots land in artifacts/e2e.

use std::time::Duration;

use private_chat_app::client::{reach, Api, ClientError};
use private_chat_crypto::InviteSecret;
use private_chat_e2e::app::{answer_native_dialog, App, Launch};
use private_chat_e2e::peer::Peer;
use private_chat_protocol::app::{Notice, RoomEvent};
use private_chat_protocol::invite::Invite;
use private_chat_protocol::ErrorCode;
use private_chat_tests::{Backend, TestServer};

const WHY: &str = "needs the built app and a display: run by scripts/test.sh";
use private_chat_app::confirm::{other_server_title, LEAVE_TITLE, TITLE as DESTROY_DIALOG};
/// Keystrokes that empty a text field: Ctrl+A, then Delete.
const CLEAR: &str = "\u{E009}a\u{E009}\u{E017}";

/// The app's own data folder under a launch's XDG data folder.
fn app_data(launch: &Launch) -> std::path::PathBuf {
    let identifier = serde_json::from_str::<serde_json::Value>(include_str!(
        "../../../src-tauri/tauri.conf.json"
    ))
    .unwrap()["identifier"]
        .as_str()
        .unwrap()
        .to_owned();
    launch.data_dir.as_ref().unwrap().join(identifier)
}

/// `mm:ss` of the countdown, in seconds.
async fn countdown_secs(app: &App) -> u64 {
    let text = app
        .ui
        .wait_text("[data-testid=countdown] strong", "a mm:ss countdown", |t| {
            t.len() == 5
        })
        .await;
    let (m, s) = text.split_once(':').expect("mm:ss");
    m.parse::<u64>().unwrap() * 60 + s.parse::<u64>().unwrap()
}

/// How the test, on this computer, reaches the room of an app's invite: the
/// app's own server on the network, through loopback (tests send nothing to
/// this computer's real network addresses), with the invite's pin.
fn from_here(invite: &Invite) -> Api {
    let first = invite.servers.first().expect("the invite names its server");
    let port = first.rsplit(':').next().expect("an address with a port");
    Api::pinned(&format!("https://127.0.0.1:{port}"), invite.pin.as_deref())
}

/// An invite to a room on `server` (no pin), with a key of its own.
fn invite_on(room_id: &str, server: &str) -> Invite {
    Invite {
        room_id: room_id.to_owned(),
        servers: vec![server.to_owned()],
        pin: None,
        secret: Some(InviteSecret::random().to_fragment().to_string()),
    }
}

async fn invite_of(app: &App) -> Invite {
    let link = app
        .ui
        .wait_text("[data-testid=invite-link]", "an invite", |t| {
            t.starts_with("privchat://room/")
        })
        .await;
    Invite::parse(&link).expect("the app shows a valid invite")
}

async fn peer_here(app: &App, name: &str) {
    app.sees_here(name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the built app and a display: run by scripts/test.sh"]
async fn chat_both_ways_with_countdown_presence_typing_and_a_full_room() {
    let _ = WHY;
    let app = App::launch(Launch::default()).await;
    let name = app
        .ui
        .wait_text("[data-testid=my-name]", "an anonymous name", |t| {
            t.starts_with("anonymous-")
        })
        .await;
    assert_eq!(
        name.split('-').count(),
        3,
        "anonymous-<animal>-<5 chars>: {name}"
    );
    assert_eq!(name.rsplit('-').next().unwrap().len(), 5);
    app.screenshot("01-lobby").await;

    app.ui.click("[data-testid=create-room]").await;
    app.ui.find("[data-testid=room]").await;
    let invite = invite_of(&app).await;
    // The app's own server, open to the network over TLS, its certificate pinned.
    assert!(!invite.servers.is_empty());
    for server in &invite.servers {
        assert!(server.starts_with("https://"), "{server}");
        assert!(
            !server.contains("127.0.0.1"),
            "loopback is useless to a peer: {server}"
        );
    }
    assert_eq!(invite.pin.as_ref().map(String::len), Some(64));
    let api = from_here(&invite);
    app.ui
        .wait_text("[data-testid=presence]", "waiting", |t| {
            t.contains("Waiting")
        })
        .await;
    let before = countdown_secs(&app).await;
    assert!(
        (590..=600).contains(&before),
        "10 minutes by default: {before}"
    );

    // Nothing can be sent before someone joins and the keys are agreed.
    app.ui.find("[data-testid=composer-blocked]").await;
    let mut peer = Peer::join(api.clone(), &invite, "bee").await;
    peer_here(&app, "bee").await;
    app.ui
        .wait_text("[data-testid=connection]", "connected", |t| {
            t == "Connected"
        })
        .await;
    let code = peer.safety_code.clone().unwrap();
    app.ui
        .wait_text("[data-testid=safety-code]", "the same safety code", |t| {
            t == code
        })
        .await;

    // App to peer.
    app.ui
        .type_into("[data-testid=composer-input]", "hello from the app\u{E007}")
        .await;
    app.ui
        .wait_text(
            "[data-testid=message-mine] [data-testid=message-body]",
            "own message",
            |t| t == "hello from the app",
        )
        .await;
    peer.next(
        "the app's message",
        |e| matches!(e, RoomEvent::Message { message, .. } if message.text.as_deref() == Some("hello from the app")),
    )
    .await;
    let composer = app
        .ui
        .script(
            "return [document.querySelector('[data-testid=composer-input]').value, document.querySelector('[data-testid=send]').disabled]",
            serde_json::json!([]),
        )
        .await;
    assert_eq!(
        composer,
        serde_json::json!(["", true]),
        "the composer clears and Send disables"
    );

    // Peer to app: shown as text, never as HTML.
    peer.room.typing();
    app.ui.find("[data-testid=typing-indicator]").await;
    peer.room
        .send("<b>hi</b> from bee\nsecond line".into(), "p1".into())
        .await
        .unwrap();
    app.ui
        .wait_text(
            "[data-testid=message-theirs] [data-testid=message-body]",
            "peer's message",
            |t| t.contains("<b>hi</b> from bee"),
        )
        .await;
    assert!(
        app.ui
            .all("[data-testid=message-theirs] b")
            .await
            .is_empty(),
        "message text must not become HTML"
    );
    app.ui.wait_gone("[data-testid=typing-indicator]").await;
    app.screenshot("02-room").await;

    // A third person is refused.
    let refused = api.join(&invite.room_id, "carol").await.unwrap_err();
    assert_eq!(refused.code(), Some(ErrorCode::RoomFull));

    // The countdown runs.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let after = countdown_secs(&app).await;
    assert!(
        after < before && after + 5 > before,
        "countdown went from {before} to {after}"
    );

    // The webview may call the app's commands and listen to its event, and
    // nothing else of Tauri (no core:default), and inline styles are off.
    let refused = app
        .ui
        .script(
            "return window.__TAURI_INTERNALS__.invoke('plugin:app|version').then(() => 'allowed', e => 'refused: ' + e)",
            serde_json::json!([]),
        )
        .await;
    assert!(
        refused.as_str().is_some_and(|r| r.starts_with("refused")),
        "{refused}"
    );
    let inline = app
        .ui
        .script(
            "const d = document.createElement('div'); d.setAttribute('style', 'color: rgb(1, 2, 3)'); document.body.append(d); const c = getComputedStyle(d).color; d.remove(); return c",
            serde_json::json!([]),
        )
        .await;
    assert_ne!(inline, "rgb(1, 2, 3)", "an inline style applied");

    // The copy button gives feedback.
    app.ui.click("[data-testid=copy-invite]").await;
    app.ui
        .wait_text("[data-testid=copy-invite]", "Copied", |t| {
            t.starts_with("Copied")
        })
        .await;
    app.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the built app and a display: run by scripts/test.sh"]
async fn destroy_from_the_app_asks_natively_and_ends_the_room_for_both() {
    let app = App::launch(Launch::default()).await;
    app.ui.click("[data-testid=create-room]").await;
    let invite = invite_of(&app).await;
    let mut peer = Peer::join(from_here(&invite), &invite, "bee").await;
    peer_here(&app, "bee").await;

    // Cancel in the native dialog: nothing happens.
    app.ui.click("[data-testid=destroy-room]").await;
    answer_native_dialog(DESTROY_DIALOG, "Escape");
    app.ui
        .wait_text("[data-testid=destroy-room]", "the button back", |t| {
            t == "Destroy"
        })
        .await;
    assert!(
        peer.api
            .room(&peer.session.room_id, &peer.session.token)
            .await
            .is_ok(),
        "cancel keeps the room"
    );

    // Confirm: both end in the lobby.
    app.ui.click("[data-testid=destroy-room]").await;
    answer_native_dialog(DESTROY_DIALOG, "Return");
    app.notice(Notice::DestroyedByYou).await;
    app.screenshot("03-destroyed-by-you").await;
    peer.next("destroyed by the other person", |e| {
        matches!(
            e,
            RoomEvent::Ended {
                notice: Notice::DestroyedByPeer,
                ..
            }
        )
    })
    .await;
    // Gone from the app's server, which no longer listens on the network.
    let gone = Api::new(&app.embedded_server().await)
        .room(&peer.session.room_id, &peer.session.token)
        .await
        .unwrap_err();
    assert_eq!(gone.code(), Some(ErrorCode::RoomNotFound));
    let closed = peer.api.health().await;
    assert!(
        matches!(closed, Err(ClientError::Unreachable(_))),
        "still on the network: {closed:?}"
    );

    app.ui.click("[data-testid=notice-dismiss]").await;
    app.ui.wait_gone("[data-testid=notice]").await;
    app.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the built app and a display: run by scripts/test.sh"]
async fn destroy_by_the_other_person_sends_the_app_to_the_lobby() {
    let app = App::launch(Launch::default()).await;
    app.ui.click("[data-testid=create-room]").await;
    let invite = invite_of(&app).await;
    let peer = Peer::join(from_here(&invite), &invite, "bee").await;
    peer_here(&app, "bee").await;
    peer.api
        .destroy(&peer.session.room_id, &peer.session.token)
        .await
        .unwrap();
    app.notice(Notice::DestroyedByPeer).await;
    app.screenshot("04-destroyed-by-peer").await;
    app.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the built app and a display: run by scripts/test.sh"]
async fn expiry_and_every_lobby_error() {
    let app = App::launch(Launch::default()).await;
    let server = app.embedded_server().await;
    let api = Api::new(&server);

    // A bare room code has no key: refused before any seat is taken.
    let missing = "00000000-0000-4000-8000-000000000000";
    app.ui
        .type_into("[data-testid=invite-input]", missing)
        .await;
    app.ui.click("[data-testid=join-room]").await;
    app.notice(Notice::InviteWithoutKey).await;

    // Not found, invalid, full.
    app.ui
        .type_into(
            "[data-testid=invite-input]",
            &format!("{CLEAR}{}", invite_on(missing, &server).to_link()),
        )
        .await;
    app.ui.click("[data-testid=join-room]").await;
    app.notice(Notice::RoomNotFound).await;
    app.screenshot("05-not-found").await;

    app.ui
        .type_into(
            "[data-testid=invite-input]",
            &format!("{CLEAR}javascript://alert(1)"),
        )
        .await;
    app.ui.click("[data-testid=join-room]").await;
    app.ui
        .wait_text("[data-testid=invite-error]", "an invite error", |t| {
            t.contains("not a private_chat invite")
        })
        .await;

    let full = api.create("alice", None).await.unwrap();
    api.join(&full.room_id, "bob").await.unwrap();
    let link = invite_on(&full.room_id, &server).to_link();
    app.ui
        .type_into("[data-testid=invite-input]", &format!("{CLEAR}{link}"))
        .await;
    app.ui.click("[data-testid=join-room]").await;
    app.notice(Notice::RoomFull).await;
    app.screenshot("06-room-full").await;

    // Expiry: the app joins a room with a 4-second lifetime.
    let (_alice, short) = Peer::create(api.clone(), "alice", Some(4)).await;
    app.ui
        .type_into(
            "[data-testid=invite-input]",
            &format!("{CLEAR}{}", short.to_link()),
        )
        .await;
    app.ui.click("[data-testid=join-room]").await;
    app.ui.find("[data-testid=room]").await;
    let left = countdown_secs(&app).await;
    assert!(left <= 4, "{left}");
    let class = app
        .ui
        .attr(&app.ui.find("[data-testid=countdown]").await, "class")
        .await
        .unwrap_or_default();
    assert!(class.contains("warning"), "red in the last minute: {class}");
    app.screenshot("07-last-seconds").await;
    app.notice(Notice::Expired).await;
    app.screenshot("08-expired").await;
    app.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the built app and a display: run by scripts/test.sh"]
async fn name_and_room_survive_a_restart() {
    // A standalone server outlives the app, so its room can be resumed.
    let server = private_chat_tests::server::standalone().await;
    let launch = Launch {
        data_dir: Some(
            std::env::temp_dir().join(format!("private-chat-e2e-restart-{}", std::process::id())),
        ),
        env: vec![("PRIVATE_CHAT_SERVER".into(), server.url())],
        ..Launch::default()
    };
    let _ = std::fs::remove_dir_all(launch.data_dir.as_ref().unwrap());
    std::fs::create_dir_all(launch.data_dir.as_ref().unwrap()).unwrap();

    let app = App::launch(launch.clone()).await;
    let name = app
        .ui
        .wait_text("[data-testid=my-name]", "a name", |t| {
            t.starts_with("anonymous-")
        })
        .await;
    app.ui.click("[data-testid=create-room]").await;
    let invite = invite_of(&app).await;
    assert_eq!(
        invite.servers,
        [server.url()],
        "the invite names the server, so an app with any settings can join"
    );
    app.ui
        .wait_text("[data-testid=connection]", "connected", |t| {
            t == "Connected"
        })
        .await;
    let peer = Peer::join(Api::new(&server.url()), &invite, "bee").await;
    app.ui.find("[data-testid=safety-code]").await;
    app.ui
        .type_into("[data-testid=composer-input]", "remember me\u{E007}")
        .await;
    app.ui
        .wait_text(
            "[data-testid=message-mine] [data-testid=message-body]",
            "sent",
            |t| t == "remember me",
        )
        .await;
    app.quit().await;

    let app = App::launch(launch.clone()).await;
    app.ui.find("[data-testid=room]").await;
    let room_id = app.shown_room_id().await;
    assert_eq!(room_id, invite.room_id, "back in the same room");
    app.ui
        .wait_text(
            "[data-testid=message-mine] [data-testid=message-body]",
            "history",
            |t| t == "remember me",
        )
        .await;
    app.screenshot("09-resumed").await;

    // The history was read with the keys kept for the room's life (0600).
    let key_file = app_data(&launch).join(format!("rooms/{}.key", invite.room_id));
    // So is the settings file, which holds the seat's token.
    let settings_file = app_data(&launch).join("private_chat.json");
    assert!(std::fs::read_to_string(&settings_file)
        .unwrap()
        .contains(&invite.room_id));
    for file in [&key_file, &settings_file] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "{} is the user's alone",
            file.display()
        );
    }

    // Once the room ends, the next start is in the lobby with the same name.
    peer.api
        .destroy(&peer.session.room_id, &peer.session.token)
        .await
        .unwrap();
    app.notice(Notice::DestroyedByPeer).await;
    assert!(!key_file.exists(), "the keys go with the room");
    app.quit().await;
    let app = App::launch(launch).await;
    app.ui.find("[data-testid=lobby]").await;
    let again = app
        .ui
        .wait_text("[data-testid=my-name]", "a name", |t| {
            t.starts_with("anonymous-")
        })
        .await;
    assert_eq!(again, name, "the name survives restarts");
    app.ui.click("[data-testid=new-name]").await;
    app.ui
        .wait_text("[data-testid=my-name]", "a new name", |t| {
            t != name && t.starts_with("anonymous-")
        })
        .await;
    app.quit().await;
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the built app and a display: run by scripts/test.sh"]
async fn invite_links_from_outside_reach_the_running_app() {
    let app = App::launch(Launch::default()).await;
    let server = app.embedded_server().await;
    let api = Api::new(&server);

    // Missing and malformed links: a notice, nothing else.
    let missing = invite_on("00000000-0000-4000-8000-000000000001", &server);
    app.open_link(&missing.to_link());
    app.notice(Notice::RoomNotFound).await;
    app.open_link("privchat://room/not-a-room");
    app.notice(Notice::InvalidInvite).await;
    app.screenshot("10-invalid-link").await;

    // A valid link: the running app joins the room.
    let (_alice, invite) = Peer::create(api.clone(), "alice", None).await;
    app.open_link(&invite.to_link());
    app.ui.find("[data-testid=room]").await;
    let shown = app.shown_room_id().await;
    assert_eq!(shown, invite.room_id);
    app.ui
        .wait_text("[data-testid=presence]", "alice", |t| {
            t.starts_with("alice")
        })
        .await;

    // A link to a full room while in a room: the notice, and the room stays.
    let full = api.create("x", None).await.unwrap();
    api.join(&full.room_id, "y").await.unwrap();
    app.open_link(&invite_on(&full.room_id, &server).to_link());
    // It asks before leaving the room; the join then fails, so it stays.
    answer_native_dialog(LEAVE_TITLE, "Return");
    app.ui
        .wait_text("[data-testid=notice-text]", "room full", |t| {
            t == Notice::RoomFull.text()
        })
        .await;
    let still = app.shown_room_id().await;
    assert_eq!(still, invite.room_id, "a refused link changes nothing");
    app.quit().await;

    // Opening your own invite returns to your room without taking seat 2.
    let app = App::launch(Launch::default()).await;
    app.ui.click("[data-testid=create-room]").await;
    let own = invite_of(&app).await;
    app.open_link(&own.to_link());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let room_id = app.shown_room_id().await;
    assert_eq!(room_id, own.room_id);
    let _peer = Peer::join(from_here(&own), &own, "bee").await;
    app.ui
        .wait_text("[data-testid=presence]", "the peer", |t| {
            t.starts_with("bee")
        })
        .await;
    app.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the built app and a display: run by scripts/test.sh"]
async fn an_app_started_by_a_link_joins_its_room() {
    let server = private_chat_tests::server::standalone().await;
    let api = Api::new(&server.url());
    let (_alice, invite) = Peer::create(api, "alice", None).await;
    let app = App::launch(Launch {
        args: vec![invite.to_link()],
        ..Launch::default()
    })
    .await;
    // Its room lives on another server than the app's own: it asks first.
    answer_native_dialog(&other_server_title(&server.url()), "Return");
    app.ui.find("[data-testid=room]").await;
    let shown = app.shown_room_id().await;
    assert_eq!(shown, invite.room_id);
    app.ui
        .wait_text("[data-testid=presence]", "alice", |t| {
            t.starts_with("alice")
        })
        .await;
    app.quit().await;
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the built app and a display: run by scripts/test.sh"]
async fn phone_sized_window_has_no_overflow() {
    let app = App::launch(Launch::default()).await;
    app.ui.set_window_size(390, 844).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let fits =
        "return document.documentElement.scrollWidth <= document.documentElement.clientWidth";
    assert_eq!(
        app.ui.script(fits, serde_json::json!([])).await,
        true,
        "the lobby overflows at 390 px"
    );
    app.screenshot("11-phone-lobby").await;

    // The settings view fits too.
    app.ui.click("[data-testid=open-settings]").await;
    app.ui.find("[data-testid=settings]").await;
    assert_eq!(
        app.ui.script(fits, serde_json::json!([])).await,
        true,
        "the settings view overflows at 390 px"
    );
    app.screenshot("11-phone-settings").await;
    app.ui.click("[data-testid=settings-cancel]").await;
    app.ui.find("[data-testid=lobby]").await;

    app.ui.click("[data-testid=create-room]").await;
    let invite = invite_of(&app).await;
    app.ui.find("[data-testid=invite-qr] svg").await;
    app.screenshot("12-phone-room-qr").await;
    let mut peer = Peer::join(from_here(&invite), &invite, "bee").await;
    let long = "a-very-long-word-without-spaces-".repeat(8);
    peer.room.send(long.clone(), "p".into()).await.unwrap();
    app.ui
        .wait_text(
            "[data-testid=message-theirs] [data-testid=message-body]",
            "the long message",
            |t| t == long,
        )
        .await;
    app.ui
        .type_into("[data-testid=composer-input]", "hi from a phone\u{E007}")
        .await;
    peer.next(
        "the message",
        |e| matches!(e, RoomEvent::Message { message, .. } if message.text.as_deref() == Some("hi from a phone")),
    )
    .await;
    assert_eq!(
        app.ui.script(fits, serde_json::json!([])).await,
        true,
        "the room overflows at 390 px"
    );
    // Touch targets: every button at least 36 px tall, the main ones 44 px.
    let smallest = app
        .ui
        .script("return Math.min(...[...document.querySelectorAll('button')].map(b => b.getBoundingClientRect().height))", serde_json::json!([]))
        .await;
    assert!(
        smallest.as_f64().unwrap() >= 36.0,
        "a button is {smallest} px tall"
    );
    // The composer stays on screen, at the bottom.
    let composer_bottom = app
        .ui
        .script("const r = document.querySelector('[data-testid=composer]').getBoundingClientRect(); return window.innerHeight - r.bottom", serde_json::json!([]))
        .await;
    assert!(
        composer_bottom.as_f64().unwrap().abs() < 40.0,
        "composer is {composer_bottom} px off the bottom"
    );
    app.screenshot("13-phone-chat").await;
    app.quit().await;
}

/// An HTTP server on loopback that is not a private_chat server.
async fn not_a_chat_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut tcp, _)) = listener.accept().await {
            let mut buf = [0u8; 1024];
            let _ = tcp.read(&mut buf).await;
            let _ = tcp
                .write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello",
                )
                .await;
        }
    });
    format!("http://{addr}")
}

async fn footer(app: &App, what: &str, ok: impl Fn(&str) -> bool) -> String {
    app.ui
        .wait_text("[data-testid=server-info]", what, ok)
        .await
}

/// The settings view's port hint (opened and closed again).
async fn port_to_forward(app: &App) -> String {
    app.ui.click("[data-testid=open-settings]").await;
    let text = app
        .ui
        .wait_text("[data-testid=settings-port]", "the port", |t| {
            t.contains("port")
        })
        .await;
    app.ui.click("[data-testid=settings-cancel]").await;
    text
}

/// Types `text` into a settings field (replacing what is there), saves, and
/// waits for the refusal that `ok` recognises.
async fn refused(app: &App, field: &str, text: &str, what: &str, ok: impl Fn(&str) -> bool) {
    app.ui
        .type_into(&format!("[data-testid={field}]"), &format!("{CLEAR}{text}"))
        .await;
    app.ui.click("[data-testid=settings-save]").await;
    app.ui
        .wait_text("[data-testid=settings-error]", what, ok)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the built app and a display: run by scripts/test.sh"]
async fn settings_switch_to_a_standalone_server_whose_rooms_any_app_joins() {
    let standalone = TestServer::start(Backend::Redis).await;
    let url = standalone.server.url();
    let data_dir =
        std::env::temp_dir().join(format!("private-chat-e2e-settings-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let launch = Launch {
        data_dir: Some(data_dir.clone()),
        ..Launch::default()
    };
    // The port to forward is chosen once and kept, even with nothing saved.
    let app = App::launch(launch.clone()).await;
    let first = port_to_forward(&app).await;
    app.quit().await;
    let app = App::launch(launch.clone()).await;
    assert_eq!(
        port_to_forward(&app).await,
        first,
        "the port to forward changed"
    );
    footer(&app, "this computer", |t| t.contains("this computer")).await;
    app.ui.click("[data-testid=open-settings]").await;
    app.ui.find("[data-testid=settings]").await;
    // Message text in notifications: off by default, kept once chosen.
    let checked =
        "return document.querySelector('[data-testid=settings-notification-text]').checked";
    assert_eq!(app.ui.script(checked, serde_json::json!([])).await, false);
    app.ui
        .click("[data-testid=settings-notification-text]")
        .await;
    assert_eq!(app.ui.script(checked, serde_json::json!([])).await, true);
    app.ui.click("[data-testid=settings-server]").await;

    // Clear text to another computer is refused before anything is sent.
    refused(
        &app,
        "settings-url",
        "http://chat.example.org",
        "https only",
        |t| t.starts_with("Use https://"),
    )
    .await;

    // Nothing there, then something that is not a private_chat server.
    let dead = format!("http://127.0.0.1:{}", private_chat_tests::free_port());
    refused(&app, "settings-url", &dead, "nothing answers", |t| {
        t.starts_with("Nothing answers at")
    })
    .await;
    let other = not_a_chat_server().await;
    refused(&app, "settings-url", &other, "not a chat server", |t| {
        t.ends_with("it is not a private_chat server.")
    })
    .await;
    app.screenshot("14-settings-refused").await;

    // The standalone server (Redis behind it): checked, saved, in use.
    app.ui
        .type_into("[data-testid=settings-url]", &format!("{CLEAR}{url}"))
        .await;
    app.ui.click("[data-testid=settings-save]").await;
    footer(&app, "via the server", |t| {
        t.ends_with(&format!("via {url}"))
    })
    .await;
    app.ui.click("[data-testid=create-room]").await;
    let invite = invite_of(&app).await;
    assert_eq!(
        invite.servers,
        [url.as_str()],
        "the invite names the server"
    );
    assert_eq!(invite.pin, None, "a public server needs no pin");
    assert!(
        !standalone.traces_of(&invite.room_id).await.is_empty(),
        "the room is in Redis"
    );

    // Another app with default settings joins from the invite alone.
    let api = reach::first_answering(&invite.servers, None).await.unwrap();
    let mut peer = Peer::join(api, &invite, "bee").await;
    peer_here(&app, "bee").await;
    peer.room
        .send("hi from bee".into(), "p1".into())
        .await
        .unwrap();
    app.ui
        .wait_text(
            "[data-testid=message-theirs] [data-testid=message-body]",
            "bee's message",
            |t| t == "hi from bee",
        )
        .await;
    peer.api
        .destroy(&peer.session.room_id, &peer.session.token)
        .await
        .unwrap();
    app.notice(Notice::DestroyedByPeer).await;
    peer.next("the end", |e| matches!(e, RoomEvent::Ended { .. }))
        .await;

    // Back to this computer, with a public address for a forwarded port.
    app.ui.click("[data-testid=open-settings]").await;
    app.ui.click("[data-testid=settings-this-computer]").await;
    refused(
        &app,
        "settings-public",
        "not an address",
        "host:port",
        |t| t.contains("host:port"),
    )
    .await;
    app.ui
        .type_into(
            "[data-testid=settings-public]",
            &format!("{CLEAR}203.0.113.7:48787"),
        )
        .await;
    app.ui.find("[data-testid=settings-port]").await;
    app.screenshot("15-settings-this-computer").await;
    app.ui.click("[data-testid=settings-save]").await;
    footer(&app, "the public address", |t| {
        t.ends_with("via 203.0.113.7:48787")
    })
    .await;
    app.quit().await;

    // Kept across a restart; invites then name the public address too.
    let app = App::launch(launch).await;
    footer(&app, "the public address", |t| {
        t.ends_with("via 203.0.113.7:48787")
    })
    .await;
    app.ui.click("[data-testid=open-settings]").await;
    app.ui.find("[data-testid=settings]").await;
    assert_eq!(
        app.ui.script(checked, serde_json::json!([])).await,
        true,
        "the notification choice survives a restart"
    );
    app.ui.click("[data-testid=settings-cancel]").await;
    app.ui.find("[data-testid=lobby]").await;
    app.ui.click("[data-testid=create-room]").await;
    let invite = invite_of(&app).await;
    assert_eq!(
        invite.servers.last().map(String::as_str),
        Some("https://203.0.113.7:48787")
    );
    assert!(invite.pin.is_some());
    app.quit().await;
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the built app and a display: run by scripts/test.sh"]
async fn a_tampered_pin_is_refused_and_another_server_is_named_before_any_seat() {
    let creator = App::launch(Launch::default()).await;
    creator.ui.click("[data-testid=create-room]").await;
    let invite = invite_of(&creator).await;
    let joiner = App::launch(Launch::default()).await;
    // The creator's server, as this computer reaches it: loopback.
    let here = from_here(&invite).base().to_owned();
    let pin = invite.pin.clone().unwrap();
    let tampered = Invite {
        servers: vec![here.clone()],
        pin: Some(pin.chars().rev().collect()),
        ..invite.clone()
    };
    joiner
        .ui
        .type_into("[data-testid=invite-input]", &tampered.to_link())
        .await;
    joiner.ui.click("[data-testid=join-room]").await;
    joiner.notice(Notice::UntrustedServer).await;
    joiner.screenshot("16-tampered-pin").await;

    // The right pin: it names the server and asks; Cancel takes no seat.
    let right = Invite {
        pin: Some(pin),
        ..tampered
    };
    joiner
        .ui
        .type_into(
            "[data-testid=invite-input]",
            &format!("{CLEAR}{}", right.to_link()),
        )
        .await;
    joiner.ui.click("[data-testid=join-room]").await;
    answer_native_dialog(&other_server_title(&here), "Escape");
    joiner
        .ui
        .wait_text("[data-testid=join-room]", "the join button back", |t| {
            t == "Join"
        })
        .await;
    joiner.ui.find("[data-testid=lobby]").await;
    let waiting = "Waiting for someone to join…";
    creator
        .ui
        .wait_text("[data-testid=presence]", "still waiting", |t| t == waiting)
        .await;

    // Join: both are in the room.
    joiner.ui.click("[data-testid=join-room]").await;
    answer_native_dialog(&other_server_title(&here), "Return");
    joiner.ui.find("[data-testid=room]").await;
    // Its name comes sealed once the keys are agreed; both windows show
    // the same safety code.
    creator
        .ui
        .wait_text("[data-testid=presence]", "the joiner's name", |t| {
            t.starts_with("anonymous-") && t.ends_with("is here")
        })
        .await;
    creator.same_safety_code(&joiner).await;
    joiner.quit().await;
    creator.quit().await;
}
