//! A [`Host`] that keeps everything in memory: the room session without the
//! app around it, for tests and for a peer that a test drives without a
//! window.

use std::sync::Mutex;

use crate::room::Host;
use crate::settings::SavedSeat;

/// The seat, the notifications shown and the rooms ended, in memory.
#[derive(Default)]
pub struct MemoryHost {
    seat: Mutex<Option<SavedSeat>>,
    notified: Mutex<Vec<String>>,
    ended: Mutex<Vec<String>>,
    /// Whether notifications may show their sender and text.
    show_text: bool,
}

impl MemoryHost {
    /// A host whose person chose to see message text in notifications.
    pub fn showing_text() -> Self {
        Self {
            show_text: true,
            ..Self::default()
        }
    }

    /// The texts of the notifications shown so far.
    pub fn notified(&self) -> Vec<String> {
        lock(&self.notified).clone()
    }

    /// The ids of the rooms told ended so far.
    pub fn ended_rooms(&self) -> Vec<String> {
        lock(&self.ended).clone()
    }
}

/// A poisoned lock still holds good data here (plain pushes and stores).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Host for MemoryHost {
    fn saved_seat(&self) -> Option<SavedSeat> {
        lock(&self.seat).clone()
    }

    fn save_seat(&self, seat: Option<&SavedSeat>) {
        *lock(&self.seat) = seat.cloned();
    }

    fn notify(&self, text: &str) {
        lock(&self.notified).push(text.to_owned());
    }

    fn notification_text(&self) -> bool {
        self.show_text
    }

    fn ended(&self, seat: &SavedSeat) {
        lock(&self.ended).push(seat.room_id.clone());
    }
}
