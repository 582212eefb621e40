//! One upgraded socket, from its first frame to its slot given back.
//!
//! As in axum's chat example, a socket is two tasks: the [`Reader`] reads
//! the client's frames and acts on them; the [`Writer`] forwards the room's
//! signals straight to the client and writes whatever the reader queues. A
//! delivered message therefore wakes one task per socket, the one that
//! writes it, as in a bare relay. The writer decides the endings that come
//! from the room or the server (destroy, expiry, drain, lag, silence); the
//! reader those that come from the client (a close, a protocol error, a
//! room found gone).

use std::future::poll_fn;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::Poll;

use axum::extract::ws::{Message as WsMessage, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::task::AtomicWaker;
use private_chat_protocol::ServerEvent;
use tokio::time::Instant;
use uuid::Uuid;

use super::close::Close;
use super::reader::Reader;
use super::slot::SocketSlot;
use super::writer::{frame, Writer, WRITE_TIMEOUT};
use crate::room::{self, Sender};
use crate::state::AppState;
use crate::store::{RoomSnapshot, Subscription};

/// Runs one upgraded socket to its end, then gives its slot back.
pub async fn run(
    sink: SplitSink<WebSocket, WsMessage>,
    stream: SplitStream<WebSocket>,
    state: AppState,
    sender: Sender,
    slot: SocketSlot,
    peer: Option<IpAddr>,
) {
    let halves = Arc::new(Halves::default());
    let member_id = sender.author.member_id.clone();
    let mut writer = Writer {
        sink,
        state: &state,
        room_id: sender.room_id,
        member_id: &member_id,
        slot: &slot,
        halves: &halves,
        wrote: false,
    };
    // The rare steps are boxed: a future is as large as its largest step,
    // and this one lives as long as its socket (thousands of them), so only
    // the step running now takes memory.
    match Box::pin(start(&state, sender.room_id)).await {
        Err(close) => Box::pin(writer.finish(Some(close))).await,
        Ok((signals, room)) => {
            let deadline = Instant::now() + room.expires_in;
            // As a frame, not an event: the futures that carry it to the
            // writer keep room for it as long as the socket lives.
            let hello = frame(&ServerEvent::Presence {
                members: room::members(&room),
            });
            // Not held for the socket's life: the room's members are read
            // again at every presence change.
            drop(room);
            // Stops the reader however this ends, even if this future is
            // dropped (the runtime shutting down).
            let stop = StopReader(halves.clone());
            let out = signals.own_frames();
            let reader = Reader::new(state.clone(), sender, out, peer, halves.clone());
            let reader = tokio::spawn(reader.run(stream));
            // Not boxed, unlike the rare steps: every wake of this task goes
            // through it, and a box would be one more pointer to follow.
            let end = writer.pump(signals, deadline, hello).await;
            // The reader stops at its next wait for a frame: a message it is
            // storing now is stored and acknowledged.
            drop(stop);
            Box::pin(writer.finish(end)).await;
            let _ = Box::pin(tokio::time::timeout(WRITE_TIMEOUT, reader)).await;
        }
    }
    Box::pin(slot.release()).await;
}

/// Subscribes, then reads the room, so no signal falls in between; one read
/// gives both the deadline and the first presence.
async fn start(state: &AppState, room_id: Uuid) -> Result<(Subscription, RoomSnapshot), Close> {
    let signals = state
        .store
        .subscribe(room_id)
        .await
        .map_err(|e| Close::for_start_error(&e.into()))?;
    let room = state
        .store
        .room(room_id)
        .await
        .map_err(|e| Close::for_start_error(&e.into()))?;
    Ok((signals, room))
}

/// What a socket's two tasks share: how often the client was heard from,
/// and whether the reader must stop. The reader touches it at every frame
/// anyway, so waiting on the stop here costs no cache miss of its own (a
/// oneshot channel's state, looked at on every wake, cost one).
#[derive(Default)]
pub struct Halves {
    /// The client's frames: the writer looks at the count at every period
    /// (a client silent for too long is a half-open TCP). A count, not a
    /// clock: no clock read per frame.
    frames: AtomicU64,
    stopped: AtomicBool,
    reader: AtomicWaker,
}

impl Halves {
    pub fn touch(&self) {
        self.frames.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.frames.load(Ordering::Relaxed)
    }

    /// Resolves once the socket's reader is told to stop.
    pub async fn stopped(&self) {
        poll_fn(|cx| {
            if self.stopped.load(Ordering::Acquire) {
                return Poll::Ready(());
            }
            self.reader.register(cx.waker());
            // Looked at again: a stop between the load and the registration
            // woke no one.
            if self.stopped.load(Ordering::Acquire) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }
}

/// Tells the reader to stop when dropped.
struct StopReader(Arc<Halves>);

impl Drop for StopReader {
    fn drop(&mut self) {
        self.0.stopped.store(true, Ordering::Release);
        self.0.reader.wake();
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::net::IpAddr;
    use std::sync::Arc;
    use std::time::Duration;

    use axum::extract::ws::{Message as WsMessage, Utf8Bytes, WebSocket};
    use futures_util::stream::{SplitSink, SplitStream};
    use tokio::time::Instant;

    use super::super::reader::Reader;
    use super::super::slot::SocketSlot;
    use super::super::writer::Writer;
    use super::{Halves, StopReader};
    use crate::room::Sender;
    use crate::state::AppState;
    use crate::store::Subscription;

    /// The size of the future that `make` returns, without making one.
    fn future_size<A, F: Future>(_make: impl FnOnce(A) -> F) -> usize {
        std::mem::size_of::<F>()
    }

    type Sink = SplitSink<WebSocket, WsMessage>;
    type Stream = SplitStream<WebSocket>;

    /// The reader waits on its stop like on a frame: woken when the
    /// session's guard drops, and not before.
    #[tokio::test]
    async fn the_reader_is_woken_when_its_stop_drops() {
        let halves = Arc::new(Halves::default());
        let stop = StopReader(halves.clone());
        let waiting = tokio::spawn({
            let halves = halves.clone();
            async move { halves.stopped().await }
        });
        // The waiter runs until it waits, and keeps waiting.
        tokio::task::yield_now().await;
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        drop(stop);
        tokio::time::timeout(Duration::from_secs(1), waiting)
            .await
            .expect("the dropped stop woke the reader")
            .unwrap();
        // Once stopped, always stopped.
        halves.stopped().await;
    }

    /// A socket's three futures live as long as it does, thousands at once
    /// (see [`super::run`]): they keep only the common path's state.
    #[test]
    fn a_sockets_futures_stay_small() {
        let session = future_size(
            |(sink, stream, state, sender, slot, peer): (
                Sink,
                Stream,
                AppState,
                Sender,
                SocketSlot,
                Option<IpAddr>,
            )| super::run(sink, stream, state, sender, slot, peer),
        );
        let reader = future_size(|(reader, stream): (Reader, Stream)| reader.run(stream));
        let pump = future_size(
            |(writer, queue, deadline, hello): (
                &'static mut Writer<'static>,
                Subscription,
                Instant,
                Utf8Bytes,
            )| writer.pump(queue, deadline, hello),
        );
        // Sizes with rustc 1.95: 1696 bytes (the writer's 784 among them:
        // its pump is the one step not boxed), 856 and 784. A rare step left
        // unboxed adds its state to every socket (a write's timeout alone,
        // 112 bytes): the bounds leave about 60.
        for (what, size, bound) in [
            ("session", session, 1760),
            ("reader", reader, 910),
            ("writer", pump, 850),
        ] {
            assert!(
                size <= bound,
                "the {what}'s future is {size} bytes (at most {bound})"
            );
        }
    }
}
