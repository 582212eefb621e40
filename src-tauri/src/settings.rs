//! What the app keeps between runs, with the official store plugin, in the
//! app's data directory: the anonymous name, an optional server URL, and the
//! seat of the room the app is in (so reopening within the TTL returns there).

use private_chat_protocol::app::ServerSettings;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Runtime};
use tauri_plugin_store::StoreExt;

const FILE: &str = "private_chat.json";
const NAME: &str = "name";
const SERVER: &str = "server_url";
const PUBLIC_ADDRESS: &str = "public_address";
const NETWORK_PORT: &str = "network_port";
const SEAT: &str = "seat";
const NOTIFICATION_TEXT: &str = "notification_text";

/// A seat in a room, as saved: enough to come back to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedSeat {
    pub server_url: String,
    pub room_id: String,
    pub member_id: String,
    pub token: String,
    /// The server's pinned certificate fingerprint, from the invite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    /// Unix time (ms) by which the room must have ended, whatever a server
    /// says later: set when the seat is first kept, from the (clamped) time
    /// left, so no server can keep the app coming back to a room for ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<u64>,
}

/// Slack for clocks and the last second of a room.
const UNTIL_GRACE_MS: u64 = 5_000;

/// Now, in Unix milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl SavedSeat {
    /// The seat a create or join on `api` answered with.
    pub fn new(api: &crate::client::Api, session: private_chat_protocol::Session) -> Self {
        Self {
            server_url: api.base().to_owned(),
            room_id: session.room_id,
            member_id: session.member_id,
            token: session.token,
            pin: api.pin().map(str::to_owned),
            until_ms: None,
        }
    }

    /// Whether the room's lifetime is over by the time kept with the seat.
    pub fn outlived(&self, now_ms: u64) -> bool {
        self.until_ms
            .is_some_and(|until| now_ms > until.saturating_add(UNTIL_GRACE_MS))
    }

    /// The API of the seat's server, with its pinned certificate if any.
    pub fn api(&self) -> crate::client::Api {
        crate::client::Api::pinned(&self.server_url, self.pin.as_deref())
    }
}

/// Makes the settings file readable by the user alone before anything is
/// kept in it (it holds the seat's bearer token): created empty with mode
/// 0600, or set to 0600. The store plugin rewrites the file in place, which
/// keeps the mode.
pub fn protect(data_dir: &std::path::Path) -> Result<(), String> {
    let path = data_dir.join(FILE);
    if path.exists() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| format!("cannot protect {}: {e}", path.display()))?;
        }
        return Ok(());
    }
    std::fs::create_dir_all(data_dir)
        .map_err(|e| format!("cannot make {}: {e}", data_dir.display()))?;
    crate::private_file::write(&path, b"{}")
}

fn get<R: Runtime, T: for<'de> Deserialize<'de>>(app: &AppHandle<R>, key: &str) -> Option<T> {
    let store = app.store(FILE).ok()?;
    store.get(key).and_then(|v| serde_json::from_value(v).ok())
}

fn set<R: Runtime>(app: &AppHandle<R>, key: &str, value: Option<serde_json::Value>) {
    match app.store(FILE) {
        Ok(store) => {
            match value {
                Some(v) => store.set(key, v),
                None => {
                    store.delete(key);
                }
            }
            if let Err(e) = store.save() {
                tracing::warn!("cannot save settings: {e}");
            }
        }
        Err(e) => tracing::warn!("cannot open settings: {e}"),
    }
}

/// The saved name, or a new one (saved) when there is none or it is malformed.
pub fn name<R: Runtime>(app: &AppHandle<R>) -> String {
    match get::<R, String>(app, NAME) {
        Some(name) if crate::names::is_valid(&name) => name,
        _ => set_name(app, crate::names::random_name()),
    }
}

pub fn set_name<R: Runtime>(app: &AppHandle<R>, name: String) -> String {
    set(app, NAME, Some(serde_json::Value::String(name.clone())));
    name
}

/// A server URL set in the settings file, if any.
pub fn server_url<R: Runtime>(app: &AppHandle<R>) -> Option<String> {
    get::<R, String>(app, SERVER).filter(|s| !s.trim().is_empty())
}

/// Where rooms live, as saved: a server when one is set, else this
/// computer with its public address (if any).
pub fn server_settings<R: Runtime>(app: &AppHandle<R>) -> ServerSettings {
    match server_url(app) {
        Some(url) => ServerSettings::Server { url },
        None => ServerSettings::ThisComputer {
            public_address: get(app, PUBLIC_ADDRESS),
        },
    }
}

pub fn save_server_settings<R: Runtime>(app: &AppHandle<R>, settings: &ServerSettings) {
    let string = |s: &str| serde_json::Value::String(s.to_owned());
    match settings {
        ServerSettings::Server { url } => set(app, SERVER, Some(string(url))),
        ServerSettings::ThisComputer { public_address } => {
            set(app, SERVER, None);
            set(app, PUBLIC_ADDRESS, public_address.as_deref().map(string));
        }
    }
}

/// The port this computer's server listens on for the network, once chosen:
/// kept, so a port forwarded on a router stays right.
pub fn network_port<R: Runtime>(app: &AppHandle<R>) -> Option<u16> {
    get(app, NETWORK_PORT)
}

pub fn save_network_port<R: Runtime>(app: &AppHandle<R>, port: u16) {
    if network_port(app) != Some(port) {
        set(app, NETWORK_PORT, Some(serde_json::Value::from(port)));
    }
}

/// Whether notifications show message text (off unless the person chose it).
pub fn notification_text<R: Runtime>(app: &AppHandle<R>) -> bool {
    get(app, NOTIFICATION_TEXT).unwrap_or(false)
}

pub fn set_notification_text<R: Runtime>(app: &AppHandle<R>, show: bool) {
    set(app, NOTIFICATION_TEXT, Some(serde_json::Value::Bool(show)));
}

pub fn seat<R: Runtime>(app: &AppHandle<R>) -> Option<SavedSeat> {
    get(app, SEAT)
}

pub fn save_seat<R: Runtime>(app: &AppHandle<R>, seat: Option<&SavedSeat>) {
    set(
        app,
        SEAT,
        seat.map(|s| serde_json::to_value(s).expect("a seat serializes")),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seat_is_outlived_only_past_its_kept_deadline() {
        let mut seat: SavedSeat = serde_json::from_value(serde_json::json!({
            "server_url": "http://127.0.0.1:1",
            "room_id": "3f2b8c1e-4a5d-4e6f-8a9b-0c1d2e3f4a5b",
            "member_id": "0123456789abcdef",
            "token": "ab",
        }))
        .expect("a seat kept before until_ms still reads");
        assert!(
            !seat.outlived(u64::MAX),
            "no deadline kept: the server decides"
        );
        seat.until_ms = Some(1_000_000);
        assert!(!seat.outlived(1_000_000 + UNTIL_GRACE_MS));
        assert!(seat.outlived(1_000_001 + UNTIL_GRACE_MS));
    }
}
