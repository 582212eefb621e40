//! The native confirmation before a room is destroyed.

use tauri::{AppHandle, Runtime, WebviewWindow};
use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};

/// Title of the dialog; end-to-end tests find the native window by it.
pub const TITLE: &str = "Destroy this room?";

/// Shows a native OK/Cancel dialog over the window; `true` to destroy.
pub async fn destroy<R: Runtime>(app: &AppHandle<R>, window: &WebviewWindow<R>) -> bool {
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .message("The room and every message in it are deleted at once, for both of you. This cannot be undone.")
        .title(TITLE)
        .kind(MessageDialogKind::Warning)
        .buttons(MessageDialogButtons::OkCancelCustom("Destroy".into(), "Cancel".into()))
        .parent(window)
        .show(move |confirmed| {
            let _ = tx.send(confirmed);
        });
    rx.await.unwrap_or(false)
}
