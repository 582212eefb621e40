//! The app's live state: where rooms created here live (the settings), the
//! app's own server once it is needed, and the handle of the room the app is
//! in. The room itself is owned by its session ([`crate::room`]); this only
//! points at it, under locks never held across an await.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use private_chat_protocol::app::{CommandError, Notice, ServerInfo, ServerSettings};
use private_chat_protocol::invite::Invite;
use private_chat_server::Config;
use tokio::sync::OnceCell;

use crate::client::api::{Api, ClientError};
use crate::embedded::Embedded;
use crate::room::{self, Host, RoomHandle, Sink};
use crate::secure::{Engine, KeyFile};
use crate::settings::SavedSeat;
use private_chat_crypto::{InviteSecret, Role};

/// Keeps the network port between runs (the app: in its settings), so a
/// port forwarded on a router stays right.
pub type KeepPort = Box<dyn Fn(u16) + Send + Sync>;

/// Managed state of the app.
pub struct Core {
    settings: Mutex<ServerSettings>,
    /// The app's own server, started the first time it is needed.
    embedded: OnceCell<Embedded>,
    embedded_config: Config,
    data_dir: PathBuf,
    /// The port of the own server on the network (0: not chosen yet).
    network_port: AtomicU16,
    /// Keeps a newly chosen network port between runs.
    keep_port: KeepPort,
    room: Mutex<Option<RoomHandle>>,
    /// An invite link the app was started with, until the UI takes it.
    launch_invite: Mutex<Option<String>>,
}

/// A [`ClientError`] as the UI shows it.
pub fn command_error(e: ClientError) -> CommandError {
    match e {
        ClientError::Server(body) => CommandError {
            notice: Notice::from_error(body.error),
            message: body.message,
        },
        ClientError::Unreachable(message) => CommandError {
            notice: Some(Notice::ServerUnreachable),
            message,
        },
        ClientError::Untrusted(message) => CommandError {
            notice: Some(Notice::UntrustedServer),
            message,
        },
        ClientError::Protocol(message) => CommandError {
            notice: None,
            message,
        },
        ClientError::KeyMismatch => CommandError {
            notice: Some(Notice::KeyMismatch),
            message: Notice::KeyMismatch.text().into(),
        },
    }
}

impl Core {
    /// `network_port` is the port kept from an earlier run, if any;
    /// `keep_port` is told of every port chosen from now on.
    pub fn new(
        settings: ServerSettings,
        data_dir: PathBuf,
        network_port: Option<u16>,
        keep_port: KeepPort,
        launch_invite: Option<String>,
    ) -> Result<Self, String> {
        let mut embedded_config = Config::default();
        // End-to-end tests shorten room lifetimes; people never set this.
        if let Ok(min) = std::env::var("PRIVATE_CHAT_MIN_TTL_SECS") {
            embedded_config.min_ttl_secs = min
                .parse()
                .map_err(|_| "PRIVATE_CHAT_MIN_TTL_SECS is not a number".to_string())?;
        }
        Ok(Self {
            settings: Mutex::new(settings),
            embedded: OnceCell::new(),
            embedded_config,
            data_dir,
            network_port: AtomicU16::new(network_port.unwrap_or(0)),
            keep_port,
            room: Mutex::new(None),
            launch_invite: Mutex::new(launch_invite),
        })
    }

    pub fn settings(&self) -> ServerSettings {
        self.settings
            .lock()
            .map(|s| s.clone())
            .unwrap_or(ServerSettings::ThisComputer {
                public_address: None,
            })
    }

    /// Switches where new rooms live (the room the app is in stays).
    pub fn set_settings(&self, settings: ServerSettings) {
        if let Ok(mut current) = self.settings.lock() {
            *current = settings;
        }
    }

    /// The app's own server, started on first use.
    pub async fn embedded(&self) -> Result<&Embedded, ClientError> {
        self.embedded
            .get_or_try_init(|| Embedded::start(self.embedded_config.clone(), &self.data_dir))
            .await
            .map_err(ClientError::Unreachable)
    }

    /// Where this app reaches the server new rooms go to.
    pub async fn home_url(&self) -> Result<String, ClientError> {
        match self.settings() {
            ServerSettings::ThisComputer { .. } => Ok(self.embedded().await?.url()),
            ServerSettings::Server { url } => Ok(url),
        }
    }

    /// The API of the server this app uses for new rooms.
    pub async fn home(&self) -> Result<Api, ClientError> {
        Ok(Api::new(&self.home_url().await?))
    }

    /// The port of this computer's server on the network: the one kept, or
    /// a free one chosen (and kept) now.
    pub fn network_port(&self) -> u16 {
        let kept = self.network_port.load(Ordering::Relaxed);
        if kept != 0 {
            return kept;
        }
        let free = std::net::TcpListener::bind(("0.0.0.0", 0))
            .and_then(|l| l.local_addr())
            .map_or(0, |a| a.port());
        match self
            .network_port
            .compare_exchange(0, free, Ordering::Relaxed, Ordering::Relaxed)
        {
            Ok(_) => {
                (self.keep_port)(free);
                free
            }
            // Another caller chose first.
            Err(chosen) => chosen,
        }
    }

    /// The port the own server ended up on (another, if the kept one was taken).
    fn network_port_used(&self, port: u16) {
        if self.network_port.swap(port, Ordering::Relaxed) != port {
            (self.keep_port)(port);
        }
    }

    /// The server in use, for the lobby and the settings view.
    pub async fn info(&self) -> Result<ServerInfo, ClientError> {
        Ok(ServerInfo {
            url: self.home_url().await?,
            settings: self.settings(),
            network_port: Some(self.network_port()),
        })
    }

    /// The invite link the app was started with, once.
    pub fn take_launch_invite(&self) -> Option<String> {
        self.launch_invite.lock().ok()?.take()
    }

    /// The room the app is in, while its session runs.
    pub fn room(&self) -> Option<RoomHandle> {
        let guard = self.room.lock().ok()?;
        guard.as_ref().filter(|r| r.is_open()).cloned()
    }

    /// Whether `seat` is a room of this app's own server.
    fn hosted_here(&self, seat: &SavedSeat) -> Option<&Embedded> {
        self.embedded.get().filter(|e| e.url() == seat.server_url)
    }

    /// The invite for the room of `seat`: it always names where the room
    /// lives, so an app with any settings can join. A room of the app's own
    /// server opens it to the network and names its addresses (and the
    /// public address, if set) with its certificate's fingerprint.
    pub async fn invite_for(&self, seat: &SavedSeat, secret: &str) -> Result<String, ClientError> {
        let mut invite = Invite::local(seat.room_id.clone());
        invite.secret = Some(secret.to_owned());
        match self.hosted_here(seat) {
            Some(embedded) => {
                let port = self.network_port();
                let (urls, port) = embedded
                    .open_to_network(port)
                    .await
                    .map_err(ClientError::Unreachable)?;
                self.network_port_used(port);
                invite.servers = urls;
                if let ServerSettings::ThisComputer {
                    public_address: Some(address),
                } = self.settings()
                {
                    invite.servers.push(format!("https://{address}"));
                }
                invite.pin = Some(embedded.identity().fingerprint.clone());
            }
            None => {
                invite.servers = vec![seat.server_url.clone()];
                invite.pin = seat.pin.clone();
            }
        }
        Ok(invite.to_link())
    }

    /// A room ended: a room of the app's own server no longer needs it on
    /// the network.
    pub async fn room_ended(&self, seat: &SavedSeat) {
        if let Some(embedded) = self.hosted_here(seat) {
            embedded.close_to_network().await;
        }
    }

    /// The key file of a room.
    fn key_file(&self, room_id: &str) -> Result<KeyFile, ClientError> {
        KeyFile::new(&self.data_dir, room_id).map_err(ClientError::Protocol)
    }

    /// Keeps the secret of a room just created or joined, before its first
    /// open: the room's keys start from it.
    pub fn keep_secret(
        &self,
        room_id: &str,
        role: Role,
        secret: InviteSecret,
    ) -> Result<(), ClientError> {
        self.key_file(room_id)?
            .keep(role, secret)
            .map_err(ClientError::Protocol)
    }

    /// Deletes the key files of rooms other than `keep` (ended while the
    /// app was closed, or never entered).
    pub fn forget_other_keys(&self, keep: Option<&str>) {
        KeyFile::delete_others(&self.data_dir, keep);
    }

    /// Deletes the key file of a room this app will not go back to.
    pub fn forget_keys(&self, room_id: &str) {
        if let Ok(file) = self.key_file(room_id) {
            file.delete();
        }
    }

    /// Opens the room of `seat` with `sink` as its UI, replacing (and so
    /// stopping) the session of any room the app was in. `name` is sent,
    /// sealed, once the room's keys are agreed.
    pub async fn enter(
        &self,
        seat: SavedSeat,
        name: &str,
        host: Arc<dyn Host>,
        sink: Sink,
    ) -> Result<(), ClientError> {
        let engine = Engine::load(self.key_file(&seat.room_id)?, &seat.member_id, name)
            .map_err(ClientError::Protocol)?;
        let invite = self.invite_for(&seat, &engine.fragment()).await?;
        let handle = room::open(seat, invite, engine, host, sink).await?;
        let previous = self.room.lock().map(|mut r| r.replace(handle));
        drop(previous);
        Ok(())
    }
}
