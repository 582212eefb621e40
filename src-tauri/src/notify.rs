//! Desktop notifications while the window is in the background. They never
//! carry message text: a notification can be read over a shoulder.

use private_chat_protocol::app::RoomEvent;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_notification::NotificationExt;

fn in_background<R: Runtime>(app: &AppHandle<R>) -> bool {
    app.get_webview_window("main")
        .and_then(|w| w.is_focused().ok())
        .is_some_and(|focused| !focused)
}

fn show<R: Runtime>(app: &AppHandle<R>, body: &str) {
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

/// A message arrived; notifies when it is the other person's.
pub fn message<R: Runtime>(app: &AppHandle<R>, event: &RoomEvent, me: &str) {
    let RoomEvent::Message { message, .. } = event else {
        return;
    };
    if message.member_id != me && in_background(app) {
        show(app, "New message in your private room.");
    }
}

/// The room ended.
pub fn room_ended<R: Runtime>(app: &AppHandle<R>, event: &RoomEvent) {
    if let RoomEvent::Ended { notice, .. } = event {
        if in_background(app) {
            show(app, notice.text());
        }
    }
}
