//! The app around a room session: its seat in the settings file, its
//! notifications on the desktop, its events on the UI's channel.

use private_chat_protocol::app::RoomEvent;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime};

use crate::core::Core;

use crate::room::{Host, Sink};
use crate::settings::{self, SavedSeat};

/// [`Host`] for the real app.
pub struct AppHost<R: Runtime>(pub AppHandle<R>);

impl<R: Runtime> Host for AppHost<R> {
    fn saved_seat(&self) -> Option<SavedSeat> {
        settings::seat(&self.0)
    }

    fn save_seat(&self, seat: Option<&SavedSeat>) {
        settings::save_seat(&self.0, seat);
    }

    fn notify(&self, text: &str) {
        crate::notify::show(&self.0, text);
    }

    fn notification_text(&self) -> bool {
        settings::notification_text(&self.0)
    }

    fn ended(&self, seat: &SavedSeat) {
        let (app, seat) = (self.0.clone(), seat.clone());
        tauri::async_runtime::spawn(async move {
            app.state::<Core>().room_ended(&seat).await;
        });
    }
}

/// A room's events into the channel the UI handed over.
pub fn sink(channel: Channel<RoomEvent>) -> Sink {
    Box::new(move |event| {
        if let Err(e) = channel.send(event) {
            tracing::warn!("cannot deliver a room event to the UI: {e}");
        }
    })
}
