//! The app's live state: the server in use and the room it is in.

use std::sync::Arc;
use std::time::Duration;

use private_chat_protocol::app::{CommandError, Notice, RoomEvent, RoomView, ROOM_EVENT};
use private_chat_protocol::invite::Invite;
use tauri::{AppHandle, Emitter, Runtime};
use tokio::sync::Mutex;

use crate::client::api::{Api, ClientError};
use crate::client::socket::{RoomSocket, Seat};
use crate::embedded::ServerChoice;
use crate::settings::{self, SavedSeat};

/// The room the app is in.
pub struct Active {
    pub seat: SavedSeat,
    pub socket: RoomSocket,
    pub invite: String,
}

impl Active {
    pub fn api(&self) -> Api {
        Api::new(&self.seat.server_url)
    }
}

/// Managed state of the app.
pub struct Core {
    pub server: ServerChoice,
    pub room: Mutex<Option<Active>>,
    /// An invite link the app was started with, until the UI takes it.
    pub launch_invite: std::sync::Mutex<Option<String>>,
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
        ClientError::Protocol(message) => CommandError {
            notice: None,
            message,
        },
    }
}

impl Core {
    pub fn new(server: ServerChoice) -> Self {
        Self {
            server,
            room: Mutex::new(None),
            launch_invite: std::sync::Mutex::new(None),
        }
    }

    /// The API of the server this app uses for new rooms.
    pub fn home(&self) -> Api {
        Api::new(&self.server.url)
    }

    /// The invite for a room on `server_url`. The address is included when it
    /// is not what the receiving app would use by default: always for the
    /// embedded server (it is private to this app), and for a room on another
    /// server than the configured one.
    pub fn invite_for(&self, room_id: &str, server_url: &str) -> String {
        let server = (self.server.is_embedded() || server_url != self.server.url)
            .then(|| server_url.to_owned());
        Invite {
            room_id: room_id.to_owned(),
            server,
        }
        .to_link()
    }

    /// Reads the room, saves the seat, starts its socket and returns what the
    /// UI shows. Replaces any room the app was in.
    pub async fn enter<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        seat: SavedSeat,
    ) -> Result<RoomView, ClientError> {
        let api = Api::new(&seat.server_url);
        let info = api.room(&seat.room_id, &seat.token).await?;
        let messages = api.messages(&seat.room_id, &seat.token, None).await?;
        settings::save_seat(app, Some(&seat));
        let last_id = messages.last().map(|m| m.id).unwrap_or(0);
        let emit = emitter(app.clone(), seat.room_id.clone(), seat.member_id.clone());
        let socket = RoomSocket::spawn(
            Seat {
                api,
                room_id: seat.room_id.clone(),
                member_id: seat.member_id.clone(),
                token: seat.token.clone(),
            },
            last_id,
            Duration::from_millis(info.expires_in_ms),
            emit,
        );
        let invite = self.invite_for(&seat.room_id, &seat.server_url);
        let view = RoomView {
            room_id: seat.room_id.clone(),
            member_id: seat.member_id.clone(),
            invite: invite.clone(),
            expires_in_ms: info.expires_in_ms,
            members: info.members,
            messages,
        };
        *self.room.lock().await = Some(Active {
            seat,
            socket,
            invite,
        });
        Ok(view)
    }

    /// The current room, re-read, when its socket still runs (a UI reload).
    pub async fn current_view(&self) -> Option<RoomView> {
        let guard = self.room.lock().await;
        let active = guard.as_ref().filter(|a| a.socket.is_running())?;
        let api = active.api();
        let info = api
            .room(&active.seat.room_id, &active.seat.token)
            .await
            .ok()?;
        let messages = api
            .messages(&active.seat.room_id, &active.seat.token, None)
            .await
            .ok()?;
        Some(RoomView {
            room_id: active.seat.room_id.clone(),
            member_id: active.seat.member_id.clone(),
            invite: active.invite.clone(),
            expires_in_ms: info.expires_in_ms,
            members: info.members,
            messages,
        })
    }

    /// Leaves the room locally: stops its socket and forgets its seat.
    pub async fn forget<R: Runtime>(&self, app: &AppHandle<R>, room_id: &str) {
        let mut guard = self.room.lock().await;
        if guard.as_ref().is_some_and(|a| a.seat.room_id == room_id) {
            *guard = None;
        }
        if settings::seat(app).is_some_and(|s| s.room_id == room_id) {
            settings::save_seat(app, None);
        }
    }
}

/// Sends room events to the UI; when the room ends, forgets its seat.
fn emitter<R: Runtime>(
    app: AppHandle<R>,
    room_id: String,
    me: String,
) -> Arc<dyn Fn(RoomEvent) + Send + Sync> {
    Arc::new(move |event: RoomEvent| {
        if matches!(event, RoomEvent::Ended { .. }) {
            if settings::seat(&app).is_some_and(|s| s.room_id == room_id) {
                settings::save_seat(&app, None);
            }
            crate::notify::room_ended(&app, &event);
        } else if let RoomEvent::Message { .. } = &event {
            crate::notify::message(&app, &event, &me);
        }
        if let Err(e) = app.emit(ROOM_EVENT, &event) {
            tracing::warn!("cannot emit a room event: {e}");
        }
    })
}
