//! A room's key file: what this app needs to read the room again after a
//! restart (the invite secret, the transport keys once agreed, the next
//! free counter), kept only while the room lives, readable by the user
//! alone (0600), under `<data dir>/rooms/<room id>.key`.

use std::path::{Path, PathBuf};

use private_chat_crypto::{InviteSecret, Role, RoomKeys};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// The file's content.
#[derive(Serialize, Deserialize)]
struct Stored {
    room_id: String,
    creator: bool,
    secret: Zeroizing<String>,
    /// [`RoomKeys::to_bytes`] in hex, once the exchange is done.
    keys: Option<Zeroizing<String>>,
    /// The message id the keys belong to (see [`super::Engine`]).
    exchange: u64,
    /// No frame of this app was sealed with a counter at or above this.
    counter: u64,
}

/// What a key file holds, read.
pub struct Saved {
    pub role: Role,
    pub secret: InviteSecret,
    pub keys: Option<RoomKeys>,
    pub exchange: u64,
    pub counter: u64,
}

/// The key file of one room.
#[derive(Debug, Clone)]
pub struct KeyFile {
    path: PathBuf,
    room_id: String,
}

fn rooms(dir: &Path) -> PathBuf {
    dir.join("rooms")
}

/// Room ids come from servers: only the UUID form may become a file name.
fn valid(room_id: &str) -> bool {
    room_id.len() == 36 && room_id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

impl KeyFile {
    pub fn new(dir: &Path, room_id: &str) -> Result<Self, String> {
        if !valid(room_id) {
            return Err("not a room id".into());
        }
        Ok(Self {
            path: rooms(dir).join(format!("{room_id}.key")),
            room_id: room_id.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn room_id(&self) -> &str {
        &self.room_id
    }

    /// Writes the file; the directory is made private too.
    /// Keeps a new room's secret before it is first opened: no keys yet,
    /// no exchange, no message sealed.
    pub fn keep(&self, role: Role, secret: InviteSecret) -> Result<(), String> {
        self.save(&Saved {
            role,
            secret,
            keys: None,
            exchange: 0,
            counter: 0,
        })
    }

    pub fn save(&self, saved: &Saved) -> Result<(), String> {
        let stored = Stored {
            room_id: self.room_id.clone(),
            creator: saved.role == Role::Creator,
            secret: saved.secret.to_fragment(),
            keys: saved
                .keys
                .as_ref()
                .map(|k| Zeroizing::new(hex::encode(k.to_bytes()))),
            exchange: saved.exchange,
            counter: saved.counter,
        };
        let json = Zeroizing::new(serde_json::to_vec(&stored).map_err(|e| e.to_string())?);
        let dir = self.path.parent().expect("a key file has a directory");
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
        crate::private_file::write(&self.path, &json)
    }

    pub fn load(&self) -> Result<Saved, String> {
        let bytes = Zeroizing::new(
            std::fs::read(&self.path).map_err(|_| "this room's keys are not on this computer")?,
        );
        let stored: Stored =
            serde_json::from_slice(&bytes).map_err(|_| "this room's key file is damaged")?;
        if stored.room_id != self.room_id {
            return Err("this room's key file is damaged".into());
        }
        let keys = match &stored.keys {
            None => None,
            Some(hex) => {
                let raw = Zeroizing::new(hex::decode(hex.as_str()).map_err(|e| e.to_string())?);
                Some(RoomKeys::from_bytes(&raw).map_err(|e| e.to_string())?)
            }
        };
        Ok(Saved {
            role: if stored.creator {
                Role::Creator
            } else {
                Role::Joiner
            },
            secret: InviteSecret::from_fragment(&stored.secret).map_err(|e| e.to_string())?,
            keys,
            exchange: stored.exchange,
            counter: stored.counter,
        })
    }

    /// Deletes the file (the room ended).
    pub fn delete(&self) {
        let _ = std::fs::remove_file(&self.path);
    }

    /// Deletes every key file but the one of `keep`: rooms that ended while
    /// the app was closed.
    pub fn delete_others(dir: &Path, keep: Option<&str>) {
        let Ok(entries) = std::fs::read_dir(rooms(dir)) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let kept = keep.is_some_and(|k| name.to_string_lossy() == format!("{k}.key"));
            if !kept {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}
