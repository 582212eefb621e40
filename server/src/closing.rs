//! The server's stop, told to each open socket through a channel of its own.
//!
//! A `watch` shared by every socket would do, but a socket's writer polls
//! its stop at every wake, and polling a shared notifier takes its waiter
//! list's lock: a lock that every socket on both workers would take for
//! every message delivered. A socket's own `oneshot` is polled without one.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use tokio::sync::oneshot;

/// Every open socket's stop, fired all at once by [`Closing::close_all`].
#[derive(Default)]
pub struct Closing(Mutex<Registry>);

#[derive(Default)]
struct Registry {
    closed: bool,
    next: u64,
    open: HashMap<u64, oneshot::Sender<()>>,
}

impl Closing {
    fn lock(&self) -> MutexGuard<'_, Registry> {
        // Every change is a single step: a poisoned registry is still sound.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new socket's stop; already fired if the server is stopping.
    pub fn stop(self: &Arc<Self>) -> Stop {
        let (tx, rx) = oneshot::channel();
        let mut registry = self.lock();
        let key = registry.next;
        registry.next += 1;
        if registry.closed {
            let _ = tx.send(());
        } else {
            registry.open.insert(key, tx);
        }
        Stop {
            rx,
            key,
            closing: self.clone(),
        }
    }

    /// Fires every stop, and every one made from now on.
    pub fn close_all(&self) {
        let open = {
            let mut registry = self.lock();
            registry.closed = true;
            std::mem::take(&mut registry.open)
        };
        for tx in open.into_values() {
            let _ = tx.send(());
        }
    }

    /// Stops registered and not yet dropped or fired.
    #[cfg(test)]
    fn open(&self) -> usize {
        self.lock().open.len()
    }
}

/// One socket's stop: resolves when the server stops.
pub struct Stop {
    rx: oneshot::Receiver<()>,
    key: u64,
    closing: Arc<Closing>,
}

impl Future for Stop {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // An error means the registry dropped the sender: stopped as well.
        Pin::new(&mut self.rx).poll(cx).map(|_| ())
    }
}

impl Drop for Stop {
    fn drop(&mut self) {
        self.closing.lock().open.remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    async fn fired(stop: &mut Stop) -> bool {
        tokio::time::timeout(Duration::from_millis(50), stop)
            .await
            .is_ok()
    }

    #[tokio::test]
    async fn close_all_fires_open_stops_and_later_ones() {
        let closing = Arc::new(Closing::default());
        let (mut a, mut b) = (closing.stop(), closing.stop());
        assert!(!fired(&mut a).await);
        assert_eq!(closing.open(), 2);
        closing.close_all();
        assert!(fired(&mut a).await);
        assert!(fired(&mut b).await);
        let mut late = closing.stop();
        assert!(fired(&mut late).await);
        assert_eq!(closing.open(), 0);
    }

    #[tokio::test]
    async fn a_dropped_stop_leaves_the_registry() {
        let closing = Arc::new(Closing::default());
        let a = closing.stop();
        let mut b = closing.stop();
        drop(a);
        assert_eq!(closing.open(), 1);
        assert!(!fired(&mut b).await);
        drop(b);
        assert_eq!(closing.open(), 0);
    }
}
