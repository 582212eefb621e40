//! The commands the UI invokes. Each returns what the UI shows, or a
//! [`CommandError`] with a lobby notice when one fits.

use private_chat_protocol::app::{
    Bootstrap, CommandError, Notice, RoomEvent, RoomView, ROOM_EVENT,
};
use private_chat_protocol::invite::Invite;
use private_chat_protocol::ErrorCode;
use tauri::{AppHandle, Emitter, Runtime, State, WebviewWindow};
use tauri_plugin_clipboard_manager::ClipboardExt;

use crate::client::api::Api;
use crate::core::{command_error, Core};
use crate::settings::{self, SavedSeat};

type Result<T> = std::result::Result<T, CommandError>;

fn plain(message: impl Into<String>) -> CommandError {
    CommandError {
        notice: None,
        message: message.into(),
    }
}

fn not_in_room() -> CommandError {
    plain("You are not in a room.")
}

/// Reads something of the room the app is in.
async fn in_room<T>(core: &Core, read: impl FnOnce(&crate::core::Active) -> T) -> Result<T> {
    core.room
        .lock()
        .await
        .as_ref()
        .map(read)
        .ok_or_else(not_in_room)
}

/// Everything the UI needs at start-up; resumes the saved room when it lives.
#[tauri::command]
pub async fn bootstrap<R: Runtime>(app: AppHandle<R>, core: State<'_, Core>) -> Result<Bootstrap> {
    let name = settings::name(&app);
    let mut boot = Bootstrap {
        name,
        server_url: core.server.url.clone(),
        embedded: core.server.is_embedded(),
        room: None,
        notice: None,
        invite: core
            .launch_invite
            .lock()
            .map(|mut i| i.take())
            .unwrap_or_default(),
    };
    if let Some(view) = core.current_view().await {
        boot.room = Some(view);
    } else if let Some(seat) = settings::seat(&app) {
        match core.enter(&app, seat.clone()).await {
            Ok(view) => boot.room = Some(view),
            Err(e) => {
                tracing::info!(room_id = %seat.room_id, "saved room not resumed: {e}");
                core.forget(&app, &seat.room_id).await;
                // The room is gone, or its server (an embedded one that quit with
                // the app) is: either way it cannot come back.
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
pub async fn create_room<R: Runtime>(app: AppHandle<R>, core: State<'_, Core>) -> Result<RoomView> {
    let api = core.home();
    let session = api
        .create(&settings::name(&app), None)
        .await
        .map_err(command_error)?;
    let seat = SavedSeat {
        server_url: api.base().to_owned(),
        room_id: session.room_id,
        member_id: session.member_id,
        token: session.token,
    };
    core.enter(&app, seat).await.map_err(command_error)
}

/// Joins the room of an invite (link or code). Opening an invite of the room
/// the app is already in returns to it without taking the second seat.
#[tauri::command]
pub async fn join_room<R: Runtime>(
    app: AppHandle<R>,
    core: State<'_, Core>,
    invite: String,
) -> Result<RoomView> {
    let invite = Invite::parse(&invite).map_err(|e| CommandError {
        notice: Some(Notice::InvalidInvite),
        message: e.to_string(),
    })?;
    let server_url = invite
        .server
        .clone()
        .unwrap_or_else(|| core.server.url.clone());
    let own =
        settings::seat(&app).filter(|s| s.room_id == invite.room_id && s.server_url == server_url);
    if let Some(seat) = own {
        if let Some(view) = core
            .current_view()
            .await
            .filter(|v| v.room_id == seat.room_id)
        {
            return Ok(view);
        }
        return core.enter(&app, seat).await.map_err(command_error);
    }
    let api = Api::new(&server_url);
    let session = api
        .join(&invite.room_id, &settings::name(&app))
        .await
        .map_err(command_error)?;
    let seat = SavedSeat {
        server_url,
        room_id: session.room_id,
        member_id: session.member_id,
        token: session.token,
    };
    core.enter(&app, seat).await.map_err(command_error)
}

/// Sends a message over the room's socket; the echo carries `nonce`.
#[tauri::command]
pub async fn send_message(core: State<'_, Core>, body: String, nonce: String) -> Result<()> {
    let guard = core.room.lock().await;
    let active = guard.as_ref().ok_or_else(not_in_room)?;
    active.socket.send(body, nonce).await.map_err(plain)
}

/// Tells the other person that this one is typing.
#[tauri::command]
pub async fn typing(core: State<'_, Core>) -> Result<()> {
    if let Some(active) = core.room.lock().await.as_ref() {
        active.socket.typing();
    }
    Ok(())
}

/// Puts the room's invite link on the clipboard.
#[tauri::command]
pub async fn copy_invite<R: Runtime>(app: AppHandle<R>, core: State<'_, Core>) -> Result<()> {
    let invite = in_room(&core, |a| a.invite.clone()).await?;
    app.clipboard()
        .write_text(invite)
        .map_err(|e| plain(format!("Cannot use the clipboard: {e}")))
}

/// Asks with a native dialog, then destroys the room for both people.
/// `Ok(false)` when the person cancelled.
#[tauri::command]
pub async fn destroy_room<R: Runtime>(
    app: AppHandle<R>,
    window: WebviewWindow<R>,
    core: State<'_, Core>,
) -> Result<bool> {
    let seat = in_room(&core, |a| a.seat.clone()).await?;
    if !crate::confirm::destroy(&app, &window).await {
        return Ok(false);
    }
    let notice = match Api::new(&seat.server_url)
        .destroy(&seat.room_id, &seat.token)
        .await
    {
        Ok(()) => Notice::DestroyedByYou,
        // Gone already: it expired or the other person was quicker.
        Err(e) if e.code() == Some(ErrorCode::RoomNotFound) => Notice::RoomNotFound,
        Err(e) => return Err(command_error(e)),
    };
    core.forget(&app, &seat.room_id).await;
    let _ = app.emit(
        ROOM_EVENT,
        &RoomEvent::Ended {
            room_id: seat.room_id,
            notice,
        },
    );
    Ok(true)
}

/// Sets the window title (the UI shows the room and its countdown there).
#[tauri::command]
pub fn set_title<R: Runtime>(window: WebviewWindow<R>, title: String) -> Result<()> {
    let title: String = title.chars().take(120).collect();
    window.set_title(&title).map_err(|e| plain(e.to_string()))
}
