//! The app's live state: the server it uses for new rooms, and the handle of
//! the room it is in. The room itself is owned by its session
//! ([`crate::room`]); this only points at it, under a lock never held
//! across an await.

use std::sync::{Arc, Mutex};

use private_chat_protocol::app::{CommandError, Notice};
use private_chat_protocol::invite::Invite;

use crate::client::api::{Api, ClientError};
use crate::embedded::ServerChoice;
use crate::room::{self, Host, RoomHandle, Sink};
use crate::settings::SavedSeat;

/// Managed state of the app.
pub struct Core {
    pub server: ServerChoice,
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
    }
}

impl Core {
    pub fn new(server: ServerChoice, launch_invite: Option<String>) -> Self {
        Self {
            server,
            room: Mutex::new(None),
            launch_invite: Mutex::new(launch_invite),
        }
    }

    /// The API of the server this app uses for new rooms.
    pub fn home(&self) -> Api {
        Api::new(&self.server.url)
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

    /// The invite for the room of `seat`. A room of the embedded server
    /// opens it to the network and names its addresses with its certificate's
    /// fingerprint; a room elsewhere names its server unless it is the one
    /// every app of this configuration uses anyway.
    pub async fn invite_for(&self, seat: &SavedSeat) -> Result<String, ClientError> {
        let mut invite = Invite::local(seat.room_id.clone());
        match &self.server.embedded {
            Some(embedded) if seat.server_url == self.server.url => {
                invite.servers = embedded
                    .open_to_network()
                    .await
                    .map_err(ClientError::Unreachable)?;
                invite.pin = Some(embedded.identity().fingerprint.clone());
            }
            _ if seat.server_url != self.server.url || self.server.is_embedded() => {
                invite.servers = vec![seat.server_url.clone()];
                invite.pin = seat.pin.clone();
            }
            _ => {}
        }
        Ok(invite.to_link())
    }

    /// A room ended: a room of the embedded server no longer needs it on the network.
    pub async fn room_ended(&self, seat: &SavedSeat) {
        if let Some(embedded) = &self.server.embedded {
            if seat.server_url == self.server.url {
                embedded.close_to_network().await;
            }
        }
    }

    /// Opens the room of `seat` with `sink` as its UI, replacing (and so
    /// stopping) the session of any room the app was in.
    pub async fn enter(
        &self,
        seat: SavedSeat,
        host: Arc<dyn Host>,
        sink: Sink,
    ) -> Result<(), ClientError> {
        let invite = self.invite_for(&seat).await?;
        let handle = room::open(seat, invite, host, sink).await?;
        let previous = self.room.lock().map(|mut r| r.replace(handle));
        drop(previous);
        Ok(())
    }
}
