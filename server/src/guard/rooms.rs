//! The cap on live rooms created through this instance. With Redis, rooms
//! created elsewhere count on their own instance; a room destroyed through
//! another instance is counted here until its deadline.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::error::Error;

pub struct RoomCap {
    max: usize,
    /// Each live room's deadline.
    live: Mutex<HashMap<Uuid, Instant>>,
}

impl RoomCap {
    pub fn new(max: usize) -> Self {
        Self {
            max,
            live: Mutex::new(HashMap::new()),
        }
    }

    /// Holds a place for a room about to be created, or refuses with 503
    /// `server_full`. Expired rooms are forgotten only when the cap is
    /// reached, so the common path is one insert.
    pub fn reserve(&self, room_id: Uuid, ttl: Duration) -> Result<(), Error> {
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if live.len() >= self.max {
            live.retain(|_, deadline| *deadline > now);
        }
        if live.len() >= self.max {
            return Err(Error::server_full("rooms"));
        }
        live.insert(room_id, now + ttl);
        Ok(())
    }

    /// The room ended (destroyed, or its creation failed).
    pub fn release(&self, room_id: Uuid) {
        self.live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&room_id);
    }

    /// Rooms counted now (expired ones included until the next prune).
    pub fn counted(&self) -> usize {
        self.live.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use private_chat_protocol::ErrorCode;

    #[test]
    fn full_until_a_room_ends_or_expires() {
        let cap = RoomCap::new(2);
        let (a, b, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        cap.reserve(a, Duration::from_secs(60)).unwrap();
        cap.reserve(b, Duration::ZERO).unwrap();
        // b's deadline has passed: it makes room.
        cap.reserve(c, Duration::from_secs(60)).unwrap();
        let e = cap
            .reserve(Uuid::new_v4(), Duration::from_secs(60))
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::ServerFull);
        assert!(e.retry_after.is_some());
        cap.release(a);
        cap.reserve(Uuid::new_v4(), Duration::from_secs(60))
            .unwrap();
        assert_eq!(cap.counted(), 2);
    }
}
