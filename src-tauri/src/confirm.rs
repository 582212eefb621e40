//! Native confirmations: before a room is destroyed, before a seat is taken
//! on another server than this app's own, and before an invite leaves the
//! room the person is in. End-to-end tests find the dialogs by title.

use tauri::{AppHandle, Runtime, WebviewWindow};
use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};

/// Title of the destroy confirmation.
pub const TITLE: &str = "Destroy this room?";
/// Title of the confirmation before joining a room on `server`, which it names.
pub fn other_server_title(server: &str) -> String {
    format!("Join a room on {server}?")
}
/// Title of the confirmation before an invite leaves the current room.
pub const LEAVE_TITLE: &str = "Leave this room?";

/// Shows a native OK/Cancel dialog over the window; `true` for OK.
async fn ask<R: Runtime>(
    app: &AppHandle<R>,
    window: &WebviewWindow<R>,
    title: &str,
    message: String,
    ok: &str,
    kind: MessageDialogKind,
) -> bool {
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .message(message)
        .title(title)
        .kind(kind)
        .buttons(MessageDialogButtons::OkCancelCustom(
            ok.into(),
            "Cancel".into(),
        ))
        .parent(window)
        .show(move |confirmed| {
            let _ = tx.send(confirmed);
        });
    rx.await.unwrap_or(false)
}

/// Before a destroy; `true` to destroy.
pub async fn destroy<R: Runtime>(app: &AppHandle<R>, window: &WebviewWindow<R>) -> bool {
    let message = "The room and every message in it are deleted at once, for both of you. This cannot be undone.";
    ask(
        app,
        window,
        TITLE,
        message.into(),
        "Destroy",
        MessageDialogKind::Warning,
    )
    .await
}

/// Before taking a seat on `server`, which is not this app's own; `true` to join.
pub async fn other_server<R: Runtime>(
    app: &AppHandle<R>,
    window: &WebviewWindow<R>,
    server: &str,
) -> bool {
    let message = format!(
        "This room lives on {server}, not on the server you use. Your name and messages will go through it."
    );
    let title = other_server_title(server);
    ask(
        app,
        window,
        &title,
        message,
        "Join",
        MessageDialogKind::Info,
    )
    .await
}

/// Before an invite takes the person out of the room they are in; `true` to go.
pub async fn leave<R: Runtime>(app: &AppHandle<R>, window: &WebviewWindow<R>) -> bool {
    let message = "You are in a room. Opening this invite takes you out of it (the room itself lives on until it ends).";
    ask(
        app,
        window,
        LEAVE_TITLE,
        message.into(),
        "Open invite",
        MessageDialogKind::Info,
    )
    .await
}
