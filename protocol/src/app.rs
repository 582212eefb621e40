//! The contract between the desktop shell (Rust) and its UI (wasm), over
//! Tauri's IPC: the commands with their arguments and answers, and the
//! events of a room. Not a network protocol: it never leaves the app.
//!
//! A command that enters a room (`bootstrap` when it resumes one,
//! `create_room`, `join_room`) takes a channel under [`EVENTS_ARG`]; the
//! room's first event on it is [`RoomEvent::Entered`] with the view, and
//! every event of that room follows in order.
//!
//! Enums with data are externally tagged (serde's default,
//! `{"variant": {..}}`): the UI reads them without buffering each value
//! first, as an internal tag makes serde do, which keeps the UI's wasm small.

use serde::{Deserialize, Serialize};

use crate::error::ErrorCode;
use crate::http::Member;

/// Event carrying an invite link opened from outside (a string).
pub const OPEN_INVITE_EVENT: &str = "open-invite";

/// The Web Performance mark the UI sets the first time the lobby is usable
/// (its name shown, its buttons enabled); the start-up benchmark
/// (`tests/e2e/src/bin/startup.rs`) times the launch to it.
pub const LOBBY_INTERACTIVE_MARK: &str = "lobby-interactive";

/// The names of the shell's commands, as the shell registers them (its
/// test checks the two lists match) and as the UI invokes them.
pub mod command {
    /// `() -> Bootstrap`, with a room channel.
    pub const BOOTSTRAP: &str = "bootstrap";
    /// `() -> String`: a new random name, saved.
    pub const REGENERATE_NAME: &str = "regenerate_name";
    /// `() -> ()`, with a room channel.
    pub const CREATE_ROOM: &str = "create_room";
    /// `JoinRoomArgs -> bool` (`false`: the person declined a confirmation),
    /// with a room channel.
    pub const JOIN_ROOM: &str = "join_room";
    /// `SendMessageArgs -> ()`.
    pub const SEND_MESSAGE: &str = "send_message";
    /// `() -> ()`.
    pub const TYPING: &str = "typing";
    /// `() -> ()`: the invite on the clipboard.
    pub const COPY_INVITE: &str = "copy_invite";
    /// `() -> bool`: `false` when the person cancelled the native dialog.
    pub const DESTROY_ROOM: &str = "destroy_room";
    /// `SetTitleArgs -> ()`.
    pub const SET_TITLE: &str = "set_title";
    /// `ServerSettings -> ServerInfo`: checks, saves and switches.
    pub const SAVE_SETTINGS: &str = "save_settings";
    /// `NotificationArgs -> ()`: whether notifications show message text.
    pub const SET_NOTIFICATIONS: &str = "set_notifications";

    /// Every command.
    pub const ALL: &[&str] = &[
        BOOTSTRAP,
        REGENERATE_NAME,
        CREATE_ROOM,
        JOIN_ROOM,
        SEND_MESSAGE,
        TYPING,
        COPY_INVITE,
        DESTROY_ROOM,
        SET_TITLE,
        SAVE_SETTINGS,
        SET_NOTIFICATIONS,
    ];
}

/// The key of a command's arguments object in an invoke.
pub const ARGS_ARG: &str = "args";
/// The key of the room channel in an invoke.
pub const EVENTS_ARG: &str = "events";

/// Arguments of `join_room`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRoomArgs {
    /// An invite link or a bare room code.
    pub invite: String,
}

/// Arguments of `send_message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendMessageArgs {
    pub body: String,
    /// Echoed with the stored message, so the UI can settle its draft.
    pub nonce: String,
}

/// Arguments of `set_notifications`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationArgs {
    /// Show the sender and text of the other person's messages in
    /// notifications (off by default: a notification can be read over a
    /// shoulder or on a locked screen).
    pub show_text: bool,
}

/// Arguments of `set_title`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetTitleArgs {
    pub title: String,
}

/// Where rooms created in this app live (the settings view's choice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerSettings {
    /// The app's own server, reachable on the local network while a room is
    /// open; `public_address` (`host:port`, for a forwarded port) is added
    /// to invites when set.
    ThisComputer { public_address: Option<String> },
    /// A standalone private_chat server (`http(s)://host[:port]`).
    Server { url: String },
}

/// The server in use, as the lobby and the settings view show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerInfo {
    pub settings: ServerSettings,
    /// Where this app reaches it (loopback for its own server).
    pub url: String,
    /// The port other computers use to reach this computer's server (also
    /// while a server is chosen, for the settings view to show).
    pub network_port: Option<u16>,
}

impl ServerInfo {
    /// How far rooms reach, in a few words.
    pub fn reach(&self) -> String {
        match &self.settings {
            ServerSettings::ThisComputer {
                public_address: Some(address),
            } => format!("Rooms live on this computer · on this network and via {address}"),
            ServerSettings::ThisComputer { .. } => {
                "Rooms live on this computer · on this network".into()
            }
            ServerSettings::Server { url } => format!("Rooms live on a server · via {url}"),
        }
    }
}

/// What the UI needs at start-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bootstrap {
    /// The anonymous display name, kept in app storage.
    pub name: String,
    /// The room server in use.
    pub server: ServerInfo,
    /// The app is back in a room (still alive): its view follows on the
    /// channel; the UI waits for it instead of showing the lobby.
    pub resumed: bool,
    /// A notice to show, for instance why a saved room could not be resumed.
    pub notice: Option<Notice>,
    /// An invite link the app was started with, to join now.
    pub invite: Option<String>,
    /// Whether notifications show message text (see [`NotificationArgs`]).
    #[serde(default)]
    pub notification_text: bool,
}

/// An open room, as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomView {
    pub room_id: String,
    pub member_id: String,
    /// The link to share (`privchat://room/...#<secret>`).
    pub invite: String,
    /// The invite as a QR code: SVG markup the shell drew from `invite`
    /// (empty when none could be drawn).
    pub invite_qr: String,
    pub expires_in_ms: u64,
    /// Names are the ones the members' apps sent, end-to-end encrypted;
    /// a member whose name has not come yet has an empty one.
    pub members: Vec<Member>,
    /// The conversation, decrypted by the shell (key-exchange frames and
    /// names are not messages and are left out).
    pub messages: Vec<ChatMessage>,
    pub security: Security,
}

/// A message as the shell read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub id: u64,
    pub member_id: String,
    /// The sender's name (empty while unknown).
    pub name: String,
    /// The text; `None` when the message could not be verified (changed,
    /// replayed, reordered or sealed with another key): it is never shown.
    pub text: Option<String>,
    pub sent_at_ms: u64,
}

/// How far the room's end-to-end encryption has come.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    /// The two apps have not finished their key exchange (the other person
    /// has not joined, or their app has not answered yet); nothing can be
    /// sent.
    Waiting,
    /// Keys agreed. Both windows show `safety_code`; the same code on both
    /// means no one else holds the keys.
    Secured { safety_code: String },
    /// The key exchange could not be verified; nothing can be sent.
    Failed { reason: String },
}

/// Why the app is back in the lobby, or what went wrong there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    RoomNotFound,
    RoomFull,
    DestroyedByYou,
    DestroyedByPeer,
    Expired,
    ServerUnreachable,
    /// The server did not present the certificate the invite pinned.
    UntrustedServer,
    InvalidInvite,
    /// The invite has no key (a bare room code or a cut link).
    InviteWithoutKey,
    /// The invite's key does not fit the room's key exchange.
    KeyMismatch,
    /// The server refused the room's connection for good (a 4xx that time
    /// does not change), so the app stopped asking.
    ServerRefused,
}

impl Notice {
    /// Every notice.
    pub const ALL: [Self; 11] = [
        Self::RoomNotFound,
        Self::RoomFull,
        Self::DestroyedByYou,
        Self::DestroyedByPeer,
        Self::Expired,
        Self::ServerUnreachable,
        Self::UntrustedServer,
        Self::InvalidInvite,
        Self::InviteWithoutKey,
        Self::KeyMismatch,
        Self::ServerRefused,
    ];

    /// The snake_case name serde gives it (for readers without serde).
    pub fn name(self) -> &'static str {
        match self {
            Self::RoomNotFound => "room_not_found",
            Self::RoomFull => "room_full",
            Self::DestroyedByYou => "destroyed_by_you",
            Self::DestroyedByPeer => "destroyed_by_peer",
            Self::Expired => "expired",
            Self::ServerUnreachable => "server_unreachable",
            Self::UntrustedServer => "untrusted_server",
            Self::InvalidInvite => "invalid_invite",
            Self::InviteWithoutKey => "invite_without_key",
            Self::KeyMismatch => "key_mismatch",
            Self::ServerRefused => "server_refused",
        }
    }

    /// The sentence shown to people.
    pub fn text(self) -> &'static str {
        match self {
            Self::RoomNotFound => "Room not found. It may have expired or been destroyed.",
            Self::RoomFull => "That room is full: it already has two people.",
            Self::DestroyedByYou => "Room destroyed. Every message is gone.",
            Self::DestroyedByPeer => "The other person destroyed the room. Every message is gone.",
            Self::Expired => "Room expired. Every message is gone.",
            Self::ServerUnreachable => {
                "The room server cannot be reached. Check your connection and try again."
            }
            Self::UntrustedServer => {
                "That room's server is not the one the invite names, so nothing was sent to it. Ask for a new invite."
            }
            Self::InvalidInvite => {
                "That invite is not valid. Paste the whole privchat:// link."
            }
            Self::InviteWithoutKey => {
                "That invite has no key (the part after #), so the room cannot be joined privately. Ask for the whole link."
            }
            Self::KeyMismatch => {
                "That invite's key does not match the room, so nothing was sent to it. Ask for a new invite."
            }
            Self::ServerRefused => {
                "The room server refused to connect this app to the room, so it stopped trying."
            }
        }
    }

    /// The notice for a server error code, where one fits.
    pub fn from_error(code: ErrorCode) -> Option<Self> {
        match code {
            ErrorCode::RoomNotFound => Some(Self::RoomNotFound),
            ErrorCode::RoomFull => Some(Self::RoomFull),
            ErrorCode::InvalidRoomId => Some(Self::InvalidInvite),
            ErrorCode::StoreUnavailable => Some(Self::ServerUnreachable),
            _ => None,
        }
    }
}

/// The error every command returns: a notice for the lobby when one fits,
/// and a sentence either way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandError {
    pub notice: Option<Notice>,
    pub message: String,
}

/// State of the room's socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Connection {
    Connecting,
    Online,
    /// Lost; the shell is retrying with backoff.
    Reconnecting,
}

/// What the shell pushes to the UI on a room's channel. Each carries its
/// room, so a late event of a room the UI already left is ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoomEvent {
    /// Always the first event: the room as it is now.
    Entered {
        view: RoomView,
    },
    Connection {
        room_id: String,
        state: Connection,
    },
    Presence {
        room_id: String,
        members: Vec<Member>,
    },
    Message {
        room_id: String,
        message: ChatMessage,
        nonce: Option<String>,
    },
    /// The key exchange moved on (or failed).
    Security {
        room_id: String,
        security: Security,
    },
    Typing {
        room_id: String,
        member_id: String,
    },
    /// The server refused a message this app sent.
    SendFailed {
        room_id: String,
        nonce: Option<String>,
        message: String,
    },
    /// The deadline as re-read after a reconnect.
    Deadline {
        room_id: String,
        expires_in_ms: u64,
    },
    /// The room is over; the UI returns to the lobby with the notice.
    Ended {
        room_id: String,
        notice: Notice,
    },
}

impl RoomEvent {
    pub fn room_id(&self) -> &str {
        match self {
            Self::Entered { view } => &view.room_id,
            Self::Connection { room_id, .. }
            | Self::Presence { room_id, .. }
            | Self::Message { room_id, .. }
            | Self::Security { room_id, .. }
            | Self::Typing { room_id, .. }
            | Self::SendFailed { room_id, .. }
            | Self::Deadline { room_id, .. }
            | Self::Ended { room_id, .. } => room_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notice_names_are_serdes_and_all_lists_every_notice() {
        for notice in Notice::ALL {
            // A new notice fails to compile here until it is in `ALL` too.
            match notice {
                Notice::RoomNotFound
                | Notice::RoomFull
                | Notice::DestroyedByYou
                | Notice::DestroyedByPeer
                | Notice::Expired
                | Notice::ServerUnreachable
                | Notice::UntrustedServer
                | Notice::InvalidInvite
                | Notice::InviteWithoutKey
                | Notice::KeyMismatch
                | Notice::ServerRefused => {}
            }
            assert_eq!(
                serde_json::to_value(notice).unwrap(),
                serde_json::json!(notice.name())
            );
        }
        let mut names: Vec<_> = Notice::ALL.iter().map(|n| n.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Notice::ALL.len());
    }
}
