//! One socket's queue: the room's signals, the socket's own frames and the
//! server's stop, in the order they came.
//!
//! A room used to fan its signals out over a broadcast channel, and each
//! socket's reader queued its answers on a channel of its own. Every wake of
//! a writer then polled both, and a broadcast channel locks on every send
//! and every receive. Here each socket has one unbounded queue: the store
//! pushes a signal into each listener's queue (no lock, no buffer kept per
//! room), and the writer waits on that queue alone. Bounds are kept by
//! counting: a socket more than [`SIGNAL_BUFFER`] signals behind gets one
//! [`RoomSignal::Missed`] and nothing more, and its reader waits once it has
//! [`OWN_FRAMES`] frames queued.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use tokio::sync::{mpsc, Semaphore};

use super::{RoomSignal, Shared, SignalRef};

/// Signals a socket may have queued; one more means it fell behind, and it
/// is closed with "try again later" (its client catches up over HTTP).
pub const SIGNAL_BUFFER: usize = 64;
/// Frames a socket's reader may queue before it waits for the writer.
pub const OWN_FRAMES: usize = 32;

/// What a socket's writer takes from its queue.
#[derive(Debug)]
pub enum Delivery {
    /// One of the room's signals.
    Signal(SignalRef),
    /// A frame of the socket's own reader. Boxed: a queue's slots are
    /// allocated 32 at a time for every socket, and this one is rare.
    Own(Box<Own>),
    /// No signal will follow: the memory store dropped the room (a destroy
    /// was announced before, so this is expiry), or the store is gone.
    Ended,
    /// The server is stopping (see [`crate::closing`]).
    Shutdown,
}

/// What a socket's reader asks its writer to send.
#[derive(Debug, PartialEq, Eq)]
pub enum Own {
    /// A text frame for this socket alone (an answer or a refusal).
    Text(Utf8Bytes),
    /// The end of the socket, with this close code and reason.
    End { code: u16, reason: &'static str },
    /// The reader stopped (its client left): queued when its
    /// [`OwnFrames`] drops, so a reader that ends in any way is seen.
    Left,
}

/// What the three ends of a queue share.
struct Counts {
    /// Signals pushed and not yet taken.
    signals: AtomicUsize,
    /// Room left for the reader's frames.
    own: Semaphore,
}

/// A new queue: the store keeps the [`Listener`], the socket the
/// [`Subscription`].
pub fn open() -> (Listener, Subscription) {
    let (tx, rx) = mpsc::unbounded_channel();
    let counts = Arc::new(Counts {
        signals: AtomicUsize::new(0),
        own: Semaphore::new(OWN_FRAMES),
    });
    let listener = Listener {
        tx: tx.clone(),
        counts: counts.clone(),
        behind: false,
    };
    let subscription = Subscription {
        rx,
        tx,
        counts,
        ended: false,
        _guard: None,
    };
    (listener, subscription)
}

/// The store's end of one socket's queue. Dropping it tells the socket
/// that no signal will follow ([`Delivery::Ended`]).
pub struct Listener {
    tx: mpsc::UnboundedSender<Delivery>,
    counts: Arc<Counts>,
    /// Whether the socket fell behind and was told so: it gets nothing more.
    behind: bool,
}

impl Listener {
    /// Queues `signal` for the socket; `false` once the socket is gone, so
    /// the store can forget this listener.
    pub fn deliver(&mut self, signal: &SignalRef) -> bool {
        if self.behind {
            return !self.tx.is_closed();
        }
        let delivery = if self.counts.signals.fetch_add(1, Ordering::Relaxed) < SIGNAL_BUFFER {
            Delivery::Signal(signal.clone())
        } else {
            self.behind = true;
            Delivery::Signal(Shared::new(RoomSignal::Missed))
        };
        self.tx.send(delivery).is_ok()
    }

    /// Whether the socket is gone (its [`Subscription`] dropped).
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.tx.send(Delivery::Ended);
    }
}

/// A live feed of one room's signals on this instance, and of the frames
/// its socket's reader queues ([`Subscription::own_frames`]).
///
/// Dropping it releases whatever the backend holds for it (the Redis backend
/// unsubscribes from the room's channel when its last local listener leaves).
pub struct Subscription {
    // Field order matters: the receiver must drop before the guard looks at
    // which listeners are closed.
    rx: mpsc::UnboundedReceiver<Delivery>,
    /// For [`Subscription::own_frames`]; it keeps the channel open, so the
    /// end is remembered instead (see [`Subscription::recv`]).
    tx: mpsc::UnboundedSender<Delivery>,
    counts: Arc<Counts>,
    ended: bool,
    pub(crate) _guard: Option<Box<dyn Send + Sync>>,
}

impl Subscription {
    /// The next delivery; [`Delivery::Ended`] once nothing more can come.
    pub async fn recv(&mut self) -> Delivery {
        if self.ended {
            return Delivery::Ended;
        }
        // This holds a sender, so the channel itself never ends: the end is
        // the listener's `Ended` (sent when the store drops it), remembered
        // above because the reader's frames may still come after it.
        let delivery = self.rx.recv().await.unwrap_or(Delivery::Ended);
        match &delivery {
            Delivery::Signal(_) => {
                self.counts.signals.fetch_sub(1, Ordering::Relaxed);
            }
            Delivery::Own(_) => self.counts.own.add_permits(1),
            Delivery::Ended => self.ended = true,
            Delivery::Shutdown => {}
        }
        delivery
    }

    /// A way to tell this socket that the server is stopping.
    pub fn interrupt(&self) -> Interrupt {
        Interrupt(self.tx.clone())
    }

    /// A sender of the socket's own frames into this queue.
    pub fn own_frames(&self) -> OwnFrames {
        OwnFrames {
            tx: self.tx.clone(),
            counts: self.counts.clone(),
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        // A reader waiting for room gives up.
        self.counts.own.close();
    }
}

/// Queues [`Delivery::Shutdown`] for one socket. Through its queue, not a
/// stop of its own: the writer waits on the queue anyway, and a second
/// future would be polled at every wake of every socket.
pub struct Interrupt(mpsc::UnboundedSender<Delivery>);

impl Interrupt {
    pub fn shutdown(&self) {
        let _ = self.0.send(Delivery::Shutdown);
    }
}

/// The socket's writer is gone.
#[derive(Debug)]
pub struct WriterGone;

/// Where a socket's reader queues its frames (see [`Subscription::own_frames`]).
pub struct OwnFrames {
    tx: mpsc::UnboundedSender<Delivery>,
    counts: Arc<Counts>,
}

impl OwnFrames {
    /// Queues `own`, first waiting while [`OWN_FRAMES`] are queued.
    pub async fn send(&self, own: Own) -> Result<(), WriterGone> {
        let permit = self.counts.own.acquire().await.map_err(|_| WriterGone)?;
        permit.forget();
        self.tx
            .send(Delivery::Own(Box::new(own)))
            .map_err(|_| WriterGone)
    }
}

impl Drop for OwnFrames {
    fn drop(&mut self) {
        let _ = self.tx.send(Delivery::Own(Box::new(Own::Left)));
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn typing() -> SignalRef {
        Shared::new(RoomSignal::Typing {
            member_id: "a".into(),
        })
    }

    async fn signal(sub: &mut Subscription) -> RoomSignal {
        match sub.recv().await {
            Delivery::Signal(s) => (*s).clone(),
            other => panic!("expected a signal, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_socket_behind_gets_one_missed_then_nothing() {
        let (mut listener, mut sub) = open();
        for _ in 0..SIGNAL_BUFFER + 5 {
            assert!(listener.deliver(&typing()));
        }
        for _ in 0..SIGNAL_BUFFER {
            assert!(matches!(signal(&mut sub).await, RoomSignal::Typing { .. }));
        }
        assert_eq!(signal(&mut sub).await, RoomSignal::Missed);
        assert!(listener.deliver(&typing()), "still open, just behind");
        drop(listener);
        assert!(matches!(sub.recv().await, Delivery::Ended));
    }

    #[tokio::test]
    async fn a_socket_that_keeps_up_is_never_behind() {
        let (mut listener, mut sub) = open();
        for _ in 0..SIGNAL_BUFFER * 3 {
            assert!(listener.deliver(&typing()));
            assert!(matches!(signal(&mut sub).await, RoomSignal::Typing { .. }));
        }
    }

    #[tokio::test]
    async fn signals_and_own_frames_come_in_order_then_the_end() {
        let (mut listener, mut sub) = open();
        let own = sub.own_frames();
        assert!(listener.deliver(&typing()));
        own.send(Own::Text("answer".into())).await.unwrap();
        assert!(listener.deliver(&typing()));
        assert!(matches!(signal(&mut sub).await, RoomSignal::Typing { .. }));
        assert!(matches!(sub.recv().await, Delivery::Own(o) if *o == Own::Text("answer".into())));
        assert!(matches!(signal(&mut sub).await, RoomSignal::Typing { .. }));
        drop(own);
        assert!(matches!(sub.recv().await, Delivery::Own(o) if *o == Own::Left));
        drop(listener);
        assert!(matches!(sub.recv().await, Delivery::Ended));
        assert!(matches!(sub.recv().await, Delivery::Ended), "and after it");
    }

    #[tokio::test]
    async fn a_reader_waits_for_room_and_gives_up_when_the_writer_goes() {
        let (listener, mut sub) = open();
        let own = sub.own_frames();
        for _ in 0..OWN_FRAMES {
            own.send(Own::Text("x".into())).await.unwrap();
        }
        let waiting = tokio::spawn(async move {
            own.send(Own::Text("y".into())).await?;
            own.send(Own::Text("z".into())).await
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            !waiting.is_finished(),
            "the reader waits while the queue is full"
        );
        assert!(matches!(sub.recv().await, Delivery::Own(_)));
        // One taken: "y" fits, "z" waits again, until the writer goes.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished());
        assert!(!listener.is_closed());
        drop(sub);
        assert!(listener.is_closed());
        assert!(waiting.await.unwrap().is_err());
    }
}
