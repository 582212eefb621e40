//! The server's stop, told to each open socket through its own queue.
//!
//! A `watch` shared by every socket would do, but polling a shared notifier
//! takes its waiter list's lock, and a stop of each socket's own (a
//! `oneshot`) is one more future its writer polls at every wake. The writer
//! waits on its queue anyway, so the stop is one more item in it
//! ([`Delivery::Shutdown`](crate::store::Delivery::Shutdown)), after what
//! is queued already.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::store::{Interrupt, Subscription};

/// Every open socket's queue, told all at once by [`Closing::close_all`].
#[derive(Default)]
pub struct Closing(Mutex<Registry>);

#[derive(Default)]
struct Registry {
    closed: bool,
    next: u64,
    open: HashMap<u64, Interrupt>,
}

impl Closing {
    fn lock(&self) -> MutexGuard<'_, Registry> {
        // Every change is a single step: a poisoned registry is still sound.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Tells `queue` when the server stops, until the returned guard is
    /// dropped; at once if the server is stopping already.
    pub fn watch(self: &Arc<Self>, queue: &Subscription) -> Watch {
        let interrupt = queue.interrupt();
        let mut registry = self.lock();
        let key = registry.next;
        registry.next += 1;
        if registry.closed {
            interrupt.shutdown();
        } else {
            registry.open.insert(key, interrupt);
        }
        Watch {
            key,
            closing: self.clone(),
        }
    }

    /// Tells every watched queue, and every one watched from now on.
    pub fn close_all(&self) {
        let open = {
            let mut registry = self.lock();
            registry.closed = true;
            std::mem::take(&mut registry.open)
        };
        for interrupt in open.into_values() {
            interrupt.shutdown();
        }
    }

    /// Queues watched and not yet dropped or told.
    #[cfg(test)]
    fn open(&self) -> usize {
        self.lock().open.len()
    }
}

/// One socket's place in the registry, left when dropped.
pub struct Watch {
    key: u64,
    closing: Arc<Closing>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.closing.lock().open.remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::{queue, Delivery};

    /// A new queue; the store's end is kept, or the queue would end.
    fn queue() -> (queue::Listener, Subscription) {
        queue::open()
    }

    async fn told(queue: &mut Subscription) -> bool {
        let next = tokio::time::timeout(Duration::from_millis(50), queue.recv()).await;
        matches!(next, Ok(Delivery::Shutdown))
    }

    #[tokio::test]
    async fn close_all_tells_watched_queues_and_later_ones() {
        let closing = Arc::new(Closing::default());
        let ((_la, mut a), (_lb, mut b)) = (queue(), queue());
        let _watches = (closing.watch(&a), closing.watch(&b));
        assert!(!told(&mut a).await);
        assert_eq!(closing.open(), 2);
        closing.close_all();
        assert!(told(&mut a).await);
        assert!(told(&mut b).await);
        let (_late_listener, mut late) = queue();
        let _late = closing.watch(&late);
        assert!(told(&mut late).await);
        assert_eq!(closing.open(), 0);
    }

    #[tokio::test]
    async fn a_dropped_watch_leaves_the_registry() {
        let closing = Arc::new(Closing::default());
        let ((_la, mut a), (_lb, mut b)) = (queue(), queue());
        let watch_a = closing.watch(&a);
        let watch_b = closing.watch(&b);
        drop(watch_a);
        assert_eq!(closing.open(), 1);
        closing.close_all();
        assert!(!told(&mut a).await);
        assert!(told(&mut b).await);
        drop(watch_b);
        assert_eq!(closing.open(), 0);
    }
}
