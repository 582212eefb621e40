//! The commands the UI invokes, named and typed by
//! [`private_chat_protocol::app`]. Each is thin: rooms are the room
//! session's business ([`crate::room`]), reached through [`Core`].

use std::sync::Arc;

use private_chat_protocol::app::{
    Bootstrap, CommandError, JoinRoomArgs, Notice, NotificationArgs, RoomEvent, SendMessageArgs,
    ServerInfo, ServerSettings, SetTitleArgs,
};
use private_chat_protocol::invite::{self, Invite};
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State, WebviewWindow};
use tauri_plugin_clipboard_manager::ClipboardExt;

use crate::client::api::{Api, ClientError};
use crate::client::reach;
use crate::core::{command_error, Core};
use crate::host::{self, AppHost};
use crate::room::{Host, RoomHandle};
use crate::secure;
use crate::settings::{self, SavedSeat};
use private_chat_crypto::{InviteSecret, Role};

type Result<T> = std::result::Result<T, CommandError>;

/// Lists every command once: the invoke handler and the names it answers to.
macro_rules! commands {
    ($($name:ident),* $(,)?) => {
        /// The command names the handler answers to.
        pub const NAMES: &[&str] = &[$(stringify!($name)),*];

        /// The invoke handler of every command.
        pub fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($name),*]
        }
    };
}

commands![
    bootstrap,
    regenerate_name,
    create_room,
    join_room,
    send_message,
    typing,
    copy_invite,
    destroy_room,
    set_title,
    save_settings,
    set_notifications,
];

fn plain(message: impl Into<String>) -> CommandError {
    CommandError {
        notice: None,
        message: message.into(),
    }
}

fn current_room(core: &Core) -> Result<RoomHandle> {
    core.room().ok_or_else(|| plain("You are not in a room."))
}

/// Opens the room of `seat`, its events going to the UI's channel.
async fn enter<R: Runtime>(
    app: &AppHandle<R>,
    core: &Core,
    seat: SavedSeat,
    events: Channel<RoomEvent>,
) -> Result<()> {
    let host: Arc<dyn Host> = Arc::new(AppHost(app.clone()));
    let name = settings::name(app);
    core.enter(seat, &name, host, host::sink(events))
        .await
        .map_err(command_error)
}

/// Everything the UI needs at start-up. Returns to the room the app is in
/// (a reloaded UI) or was in (a restart), whose view then comes on `events`.
#[tauri::command]
pub async fn bootstrap<R: Runtime>(
    app: AppHandle<R>,
    core: State<'_, Core>,
    events: Channel<RoomEvent>,
) -> Result<Bootstrap> {
    let mut boot = Bootstrap {
        name: settings::name(&app),
        server: core.info().await.map_err(command_error)?,
        resumed: false,
        notice: None,
        invite: core.take_launch_invite(),
        notification_text: settings::notification_text(&app),
    };
    if let Some(room) = core.room() {
        if room.attach(host::sink(events.clone())).await.is_ok() {
            boot.resumed = true;
            return Ok(boot);
        }
    }
    let seat = settings::seat(&app);
    core.forget_other_keys(seat.as_ref().map(|s| s.room_id.as_str()));
    if let Some(seat) = seat.filter(|s| {
        let over = s.outlived(settings::now_ms());
        if over {
            settings::save_seat(&app, None);
            core.forget_keys(&s.room_id);
            boot.notice = Some(Notice::Expired);
        }
        !over
    }) {
        let room_id = seat.room_id.clone();
        match enter(&app, &core, seat, events).await {
            Ok(()) => boot.resumed = true,
            Err(e) => {
                tracing::info!(%room_id, "saved room not resumed: {}", e.message);
                settings::save_seat(&app, None);
                core.forget_keys(&room_id);
                // The room is gone, or its server (an embedded one that quit with
                // the app) is, or its keys are: either way it cannot come back.
                boot.notice = Some(Notice::RoomNotFound);
            }
        }
    }
    Ok(boot)
}

/// A new random name, saved.
#[tauri::command]
pub fn regenerate_name<R: Runtime>(app: AppHandle<R>) -> String {
    settings::set_name(&app, crate::names::random_name())
}

/// Creates a room on the app's server and enters it.
#[tauri::command]
pub async fn create_room<R: Runtime>(
    app: AppHandle<R>,
    core: State<'_, Core>,
    events: Channel<RoomEvent>,
) -> Result<()> {
    let api = core.home().await.map_err(command_error)?;
    // The server gets a random stand-in for the name: the real one travels
    // sealed once the other app has the keys.
    let session = api
        .create(&secure::opaque_name(), None)
        .await
        .map_err(command_error)?;
    let seat = SavedSeat::new(&api, session);
    core.keep_secret(&seat.room_id, Role::Creator, InviteSecret::random())
        .map_err(command_error)?;
    enter(&app, &core, seat, events).await
}

/// Joins the room of an invite (link or code); `false` when the person
/// declined a confirmation. Opening an invite of the room the app is already
/// in returns to it without taking the second seat. Before any seat is
/// taken, the person confirms leaving the room they are in, and joining a
/// room on another server than their own (the dialog names it).
#[tauri::command]
pub async fn join_room<R: Runtime>(
    app: AppHandle<R>,
    window: WebviewWindow<R>,
    core: State<'_, Core>,
    args: JoinRoomArgs,
    events: Channel<RoomEvent>,
) -> Result<bool> {
    let invite = Invite::parse(&args.invite).map_err(|e| CommandError {
        notice: Some(Notice::InvalidInvite),
        message: e.to_string(),
    })?;
    let no_key = || CommandError {
        notice: Some(Notice::InviteWithoutKey),
        message: Notice::InviteWithoutKey.text().into(),
    };
    // Our own seat (room ids are unique): back to the room, no second seat.
    if let Some(seat) = settings::seat(&app).filter(|s| s.room_id == invite.room_id) {
        if let Some(room) = core.room().filter(|r| r.seat().room_id == seat.room_id) {
            room.attach(host::sink(events))
                .await
                .map_err(command_error)?;
        } else {
            enter(&app, &core, seat, events).await?;
        }
        return Ok(true);
    }
    // Without the key no seat is taken: the room could not be read anyway.
    let secret = invite.secret.as_deref().ok_or_else(no_key)?;
    let secret = InviteSecret::from_fragment(secret).map_err(|_| no_key())?;
    if core.room().is_some() && !crate::confirm::leave(&app, &window).await {
        return Ok(false);
    }
    let home = core.home_url().await.map_err(command_error)?;
    let candidates = if invite.servers.is_empty() {
        vec![home.clone()]
    } else {
        invite.servers.clone()
    };
    let api = reach::first_answering(&candidates, invite.pin.as_deref())
        .await
        .map_err(command_error)?;
    if api.base() != home && !crate::confirm::other_server(&app, &window, api.base()).await {
        return Ok(false);
    }
    let session = api
        .join(&invite.room_id, &secure::opaque_name())
        .await
        .map_err(command_error)?;
    let seat = SavedSeat::new(&api, session);
    core.keep_secret(&seat.room_id, Role::Joiner, secret)
        .map_err(command_error)?;
    let room_id = seat.room_id.clone();
    if let Err(e) = enter(&app, &core, seat, events).await {
        // A seat whose room cannot be read is of no use: not kept.
        core.forget_keys(&room_id);
        return Err(e);
    }
    Ok(true)
}

/// Checks and saves where new rooms live, and switches to it (the room the
/// app is in, if any, stays where it is). A server must answer as a
/// private_chat server first.
#[tauri::command]
pub async fn save_settings<R: Runtime>(
    app: AppHandle<R>,
    core: State<'_, Core>,
    args: ServerSettings,
) -> Result<ServerInfo> {
    let checked = match args {
        ServerSettings::Server { url } => {
            let url = invite::server_url(&url).map_err(|_| {
                plain("Enter the server's address, like https://chat.example.org:8787.")
            })?;
            if !invite::encrypted_or_local(&url) {
                return Err(plain(
                    "Use https:// for a server on another computer: plain http:// would send your room keys over the network unencrypted.",
                ));
            }
            check_server(&url).await?;
            ServerSettings::Server { url }
        }
        ServerSettings::ThisComputer { public_address } => {
            let public_address = public_address
                .map(|a| a.trim().to_owned())
                .filter(|a| !a.is_empty());
            if let Some(address) = &public_address {
                let has_port = address
                    .rsplit_once(':')
                    .is_some_and(|(_, p)| !p.contains(']'));
                if !has_port || invite::server_url(&format!("https://{address}")).is_err() {
                    return Err(plain(
                        "Enter the public address as host:port, like 203.0.113.7:48787.",
                    ));
                }
            }
            ServerSettings::ThisComputer { public_address }
        }
    };
    settings::save_server_settings(&app, &checked);
    core.set_settings(checked);
    core.info().await.map_err(command_error)
}

/// Whether notifications of the other person's messages show their text.
#[tauri::command]
pub fn set_notifications<R: Runtime>(app: AppHandle<R>, args: NotificationArgs) {
    settings::set_notification_text(&app, args.show_text);
}

/// Whether `url` answers as a private_chat server; the error says how not.
async fn check_server(url: &str) -> Result<()> {
    match Api::new(url).health().await {
        Ok(health) if health.status == "ok" => Ok(()),
        Ok(_) => Err(plain(format!(
            "{url} is a private_chat server, but its store is not answering. Try again later."
        ))),
        Err(ClientError::Unreachable(_)) => Err(plain(format!(
            "Nothing answers at {url}. Check the address and that the server runs."
        ))),
        Err(ClientError::Untrusted(_)) => Err(plain(format!(
            "{url} does not have a valid certificate for its name."
        ))),
        Err(ClientError::Server(_) | ClientError::Protocol(_) | ClientError::KeyMismatch) => {
            Err(plain(format!(
                "{url} answers, but it is not a private_chat server."
            )))
        }
    }
}

/// Sends a message over the room's socket; the echo carries `nonce`.
#[tauri::command]
pub async fn send_message(core: State<'_, Core>, args: SendMessageArgs) -> Result<()> {
    current_room(&core)?
        .send(args.body, args.nonce)
        .await
        .map_err(plain)
}

/// Tells the other person that this one is typing.
#[tauri::command]
pub fn typing(core: State<'_, Core>) {
    if let Some(room) = core.room() {
        room.typing();
    }
}

/// Puts the room's invite link on the clipboard.
#[tauri::command]
pub fn copy_invite<R: Runtime>(app: AppHandle<R>, core: State<'_, Core>) -> Result<()> {
    let invite = current_room(&core)?.invite().to_owned();
    app.clipboard()
        .write_text(invite)
        .map_err(|e| plain(format!("Cannot use the clipboard: {e}")))
}

/// Asks with a native dialog, then destroys the room for both people; the
/// room's `ended` event follows. `Ok(false)` when the person cancelled.
#[tauri::command]
pub async fn destroy_room<R: Runtime>(
    app: AppHandle<R>,
    window: WebviewWindow<R>,
    core: State<'_, Core>,
) -> Result<bool> {
    let room = current_room(&core)?;
    if !crate::confirm::destroy(&app, &window).await {
        return Ok(false);
    }
    room.destroy().await.map_err(command_error)?;
    Ok(true)
}

/// Sets the window title (the UI shows the room and its countdown there).
#[tauri::command]
pub fn set_title<R: Runtime>(window: WebviewWindow<R>, args: SetTitleArgs) -> Result<()> {
    let title: String = args.title.chars().take(120).collect();
    window.set_title(&title).map_err(|e| plain(e.to_string()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_handler_answers_every_command_of_the_contract() {
        let mut registered = super::NAMES.to_vec();
        let mut contract = private_chat_protocol::app::command::ALL.to_vec();
        registered.sort_unstable();
        contract.sort_unstable();
        assert_eq!(registered, contract);
    }
}
