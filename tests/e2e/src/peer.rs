//! The other person of a room, run by the test with the app's own client
//! core: the same room session, key exchange and sealing as the app, with
//! settings and notifications kept in memory and keys in a folder of its own.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use private_chat_app::client::{Api, ClientError};
use private_chat_app::memory_host::MemoryHost;
use private_chat_app::room::{self, RoomHandle};
use private_chat_app::secure::{opaque_name, Engine, KeyFile};
use private_chat_app::settings::SavedSeat;
use private_chat_crypto::{InviteSecret, Role};
use private_chat_protocol::app::{Connection, RoomEvent, Security};
use private_chat_protocol::invite::Invite;
use private_chat_protocol::Session;
use tokio::sync::mpsc;

/// A member of a room, driven by the test.
pub struct Peer {
    pub api: Api,
    pub session: Session,
    pub room: RoomHandle,
    events: mpsc::UnboundedReceiver<RoomEvent>,
    /// Events seen while waiting for others, still to be matched.
    seen: Vec<RoomEvent>,
    /// The room's safety code, once seen secured.
    pub safety_code: Option<String>,
}

fn key_dir() -> PathBuf {
    let mut n = [0u8; 8];
    getrandom::fill(&mut n).unwrap();
    let dir = std::env::temp_dir().join(format!("private-chat-peer-{}", u64::from_le_bytes(n)));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Peer {
    /// Opens the room of `session` with the secret kept for `role`.
    async fn open(
        api: Api,
        session: Session,
        role: Role,
        secret: InviteSecret,
        name: &str,
    ) -> Result<Self, ClientError> {
        let dir = key_dir();
        let file = KeyFile::new(&dir, &session.room_id).unwrap();
        file.keep(role, secret).unwrap();
        let engine = Engine::load(file, &session.member_id, name).unwrap();
        let (tx, events) = mpsc::unbounded_channel();
        let room = room::open(
            SavedSeat::new(&api, session.clone()),
            "invite".into(),
            engine,
            Arc::new(MemoryHost::default()),
            Box::new(move |e| {
                let _ = tx.send(e);
            }),
        )
        .await?;
        Ok(Self {
            api,
            session,
            room,
            events,
            seen: Vec::new(),
            safety_code: None,
        })
    }

    /// Joins the room of `invite` (its key included) as `name`, and waits
    /// until the room is secured and the socket online.
    pub async fn join(api: Api, invite: &Invite, name: &str) -> Self {
        let mut peer = Self::try_join(api, invite, name)
            .await
            .expect("the peer joins");
        peer.ready().await;
        peer
    }

    /// Joins without waiting (the room may not be secured).
    pub async fn try_join(api: Api, invite: &Invite, name: &str) -> Result<Self, ClientError> {
        let secret = InviteSecret::from_fragment(invite.secret.as_deref().expect("a key"))
            .expect("a valid key");
        let session = api.join(&invite.room_id, &opaque_name()).await?;
        Self::open(api, session, Role::Joiner, secret, name).await
    }

    /// Creates a room on `api` as `name`; returns the peer and the invite
    /// (naming `api`'s server, with the key).
    pub async fn create(api: Api, name: &str, ttl_secs: Option<u64>) -> (Self, Invite) {
        let session = api.create(&opaque_name(), ttl_secs).await.unwrap();
        let secret = InviteSecret::random();
        let invite = Invite {
            room_id: session.room_id.clone(),
            servers: vec![api.base().to_owned()],
            pin: api.pin().map(str::to_owned),
            secret: Some(secret.to_fragment().to_string()),
        };
        let peer = Self::open(api, session, Role::Creator, secret, name)
            .await
            .expect("the room opens");
        (peer, invite)
    }

    /// The next event that `ok` accepts (earlier ones it skips are kept
    /// for later waits).
    pub async fn next(&mut self, what: &str, ok: impl Fn(&RoomEvent) -> bool) -> RoomEvent {
        if let Some(at) = self.seen.iter().position(&ok) {
            return self.seen.remove(at);
        }
        let wait = tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                let e = self
                    .events
                    .recv()
                    .await
                    .expect("the peer's session is alive");
                if ok(&e) {
                    return e;
                }
                self.seen.push(e);
            }
        });
        wait.await
            .unwrap_or_else(|_| panic!("the peer never saw {what}"))
    }

    /// Waits until the room is secured and online; returns the safety code.
    pub async fn ready(&mut self) -> String {
        self.next("online", |e| {
            matches!(
                e,
                RoomEvent::Connection {
                    state: Connection::Online,
                    ..
                }
            )
        })
        .await;
        self.security().await
    }

    /// Waits until the room is secured; returns the safety code.
    pub async fn security(&mut self) -> String {
        if let Some(code) = &self.safety_code {
            return code.clone();
        }
        let e = self
            .next("the room secured", |e| {
                matches!(
                    e,
                    RoomEvent::Security {
                        security: Security::Secured { .. },
                        ..
                    } | RoomEvent::Entered { .. }
                ) && secured(e).is_some()
            })
            .await;
        let code = secured(&e).unwrap();
        self.safety_code = Some(code.clone());
        code
    }

    /// Sends a text (sealed by the session).
    pub async fn send(&self, text: &str) {
        self.room
            .send(text.into(), format!("p{}", text.len()))
            .await
            .expect("the peer sends");
    }
}

/// The safety code an event announces, if it does.
fn secured(e: &RoomEvent) -> Option<String> {
    let security = match e {
        RoomEvent::Security { security, .. } => security,
        RoomEvent::Entered { view } => &view.security,
        _ => return None,
    };
    match security {
        Security::Secured { safety_code } => Some(safety_code.clone()),
        _ => None,
    }
}
