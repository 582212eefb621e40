//! Two people on two computers, with the app as installed and its defaults:
//! two network namespaces joined by a veth pair, a real app window on each.
//! The creator's window shows an invite; the joiner's window opens exactly
//! that text; they chat both ways; the joiner destroys; both are told. The
//! joiner cannot reach the creator's loopback-only server, and the
//! creator's network port closes when the room ends.
//!
//! Needs the built app, a display and root (network namespaces): run by
//! `./scripts/test.sh app` under xvfb-run.

use std::time::Duration;

use private_chat_app::client::{Api, ClientError};
use private_chat_app::confirm::{other_server_title, TITLE as DESTROY_DIALOG};
use private_chat_e2e::app::{answer_native_dialog, App, Launch};
use private_chat_e2e::netns::TwoComputers;
use private_chat_protocol::app::Notice;
use private_chat_protocol::invite::Invite;
use tokio::sync::mpsc;

/// What one side tells the other.
#[derive(Debug)]
enum Say {
    /// The invite, exactly as the creator's window shows it, and the
    /// creator's loopback-only server.
    Invite {
        link: String,
        loopback: String,
    },
    /// In the room, secured, with this safety code.
    Joined {
        code: String,
    },
    Sent,
    Destroyed,
}

type Ear = mpsc::UnboundedReceiver<Say>;
type Mouth = mpsc::UnboundedSender<Say>;

async fn hear(ear: &mut Ear, what: &str) -> Say {
    tokio::time::timeout(Duration::from_secs(60), ear.recv())
        .await
        .unwrap_or_else(|_| panic!("the other computer never said {what}"))
        .unwrap_or_else(|| panic!("the other computer stopped before {what}"))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn message_from_the_other(app: &App, text: &str) {
    app.ui
        .wait_text(
            "[data-testid=message-theirs] [data-testid=message-body]",
            text,
            |t| t == text,
        )
        .await;
}

/// The creator: default settings, creates a room, shares the invite.
async fn creator(mouth: Mouth, mut ear: Ear) {
    let app = App::launch(Launch::default()).await;
    let loopback = app.embedded_server().await;
    app.ui.click("[data-testid=create-room]").await;
    let link = app
        .ui
        .wait_text("[data-testid=invite-link]", "the invite", |t| {
            t.starts_with("privchat://room/")
        })
        .await;
    app.screenshot("30-computer-a-invite").await;
    mouth.send(Say::Invite { link, loopback }).unwrap();

    let Say::Joined { code } = hear(&mut ear, "joined").await else {
        panic!("not joined")
    };
    app.ui
        .wait_text("[data-testid=presence]", "the joiner", |t| {
            t.ends_with("is here")
        })
        .await;
    app.ui
        .wait_text("[data-testid=safety-code]", "the same safety code", |t| {
            t == code
        })
        .await;
    assert!(matches!(hear(&mut ear, "sent").await, Say::Sent));
    message_from_the_other(&app, "hello from computer b").await;
    app.ui
        .type_into(
            "[data-testid=composer-input]",
            "hello from computer a\u{E007}",
        )
        .await;
    app.screenshot("31-computer-a-chat").await;

    assert!(matches!(hear(&mut ear, "destroyed").await, Say::Destroyed));
    app.notice(Notice::DestroyedByPeer).await;
    app.screenshot("33-computer-a-told").await;
    app.quit().await;
}

/// The joiner: default settings, opens the invite text it was given.
async fn joiner(mouth: Mouth, mut ear: Ear, creator_address: String) {
    let Say::Invite { link, loopback } = hear(&mut ear, "the invite").await else {
        panic!("not an invite")
    };
    let invite = Invite::parse(&link).expect("a valid invite");
    let expected = format!("https://{creator_address}:");
    assert!(
        invite.servers.iter().any(|s| s.starts_with(&expected)),
        "the invite names the creator's address on the network: {link}"
    );
    assert!(invite.pin.is_some(), "and pins its certificate: {link}");

    // The creator's loopback-only server is not reachable from here.
    let port = loopback.rsplit(':').next().unwrap();
    let direct = Api::new(&format!("http://{creator_address}:{port}"))
        .health()
        .await;
    assert!(
        matches!(direct, Err(ClientError::Unreachable(_))),
        "the creator's loopback server answered another computer: {direct:?}"
    );

    let app = App::launch(Launch::default()).await;
    app.ui.type_into("[data-testid=invite-input]", &link).await;
    app.ui.click("[data-testid=join-room]").await;
    let server = invite
        .servers
        .iter()
        .find(|s| s.starts_with(&expected))
        .unwrap();
    answer_native_dialog(&other_server_title(server), "Return");
    app.ui.find("[data-testid=room]").await;
    app.ui
        .wait_text("[data-testid=connection]", "connected", |t| {
            t == "Connected"
        })
        .await;
    let code = app.safety_code().await;
    mouth.send(Say::Joined { code }).unwrap();

    app.ui
        .type_into(
            "[data-testid=composer-input]",
            "hello from computer b\u{E007}",
        )
        .await;
    mouth.send(Say::Sent).unwrap();
    message_from_the_other(&app, "hello from computer a").await;
    app.screenshot("32-computer-b-chat").await;

    app.ui.click("[data-testid=destroy-room]").await;
    answer_native_dialog(DESTROY_DIALOG, "Return");
    app.notice(Notice::DestroyedByYou).await;
    mouth.send(Say::Destroyed).unwrap();

    // The room is over: the creator's server left the network.
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let probe = Api::pinned(server, invite.pin.as_deref()).health().await;
            if matches!(probe, Err(ClientError::Unreachable(_))) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the creator's server still listens on the network"
    );
    app.quit().await;
}

#[test]
#[ignore = "needs the built app, a display and root: run by scripts/test.sh"]
fn two_people_on_two_computers_chat_with_default_settings() {
    let computers = TwoComputers::create();
    let (to_b, from_a) = mpsc::unbounded_channel();
    let (to_a, from_b) = mpsc::unbounded_channel();
    let creator_address = computers.a.address.to_string();
    let a = computers.run_on(&computers.a, move || {
        runtime().block_on(creator(to_b, from_b))
    });
    let b = computers.run_on(&computers.b, move || {
        runtime().block_on(joiner(to_a, from_a, creator_address))
    });
    let (a, b) = (a.join(), b.join());
    drop(computers);
    if let Err(panic) = b {
        std::panic::resume_unwind(panic);
    }
    if let Err(panic) = a {
        std::panic::resume_unwind(panic);
    }
}
