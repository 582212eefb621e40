//! Desktop notifications, shown only while the window is in the background.

use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_notification::NotificationExt;

fn in_background<R: Runtime>(app: &AppHandle<R>) -> bool {
    app.get_webview_window("main")
        .and_then(|w| w.is_focused().ok())
        .is_some_and(|focused| !focused)
}

/// Shows `body` as a notification when the window is not in front.
pub fn show<R: Runtime>(app: &AppHandle<R>, body: &str) {
    if !in_background(app) {
        return;
    }
    if let Err(e) = app
        .notification()
        .builder()
        .title("private_chat")
        .body(body)
        .show()
    {
        tracing::debug!("no desktop notification: {e}");
    }
}
