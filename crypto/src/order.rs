//! Replays and reorderings: each sender's counters must only grow.
//!
//! The server decides the order of messages; an honest one keeps each
//! sender's order. A counter at or below the last one accepted from the
//! same sender is a replay or a reordering, and that frame is refused
//! (gaps are allowed: an app reserves counters ahead across restarts).

use crate::CryptoError;

/// The last counter accepted from each side of a room.
#[derive(Debug, Default, Clone)]
pub struct Order {
    mine: Option<u64>,
    peer: Option<u64>,
}

impl Order {
    /// Accepts `counter` from this app's side (`mine`) or the other's, if
    /// it is above the last accepted one. Call only once the frame opened.
    pub fn accept(&mut self, mine: bool, counter: u64) -> Result<(), CryptoError> {
        let last = if mine { &mut self.mine } else { &mut self.peer };
        if last.is_some_and(|l| counter <= l) {
            return Err(CryptoError::Replayed);
        }
        *last = Some(counter);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_must_grow_per_sender() {
        let mut order = Order::default();
        assert!(order.accept(false, 0).is_ok());
        assert!(order.accept(true, 0).is_ok(), "each side counts on its own");
        assert_eq!(order.accept(false, 0), Err(CryptoError::Replayed));
        assert!(order.accept(false, 5).is_ok(), "gaps are allowed");
        assert_eq!(order.accept(false, 3), Err(CryptoError::Replayed));
        assert!(order.accept(false, 6).is_ok());
    }
}
