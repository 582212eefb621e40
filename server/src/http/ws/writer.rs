//! The writing half of a socket, the only task that writes to it: the
//! room's signals go straight from the socket's queue to the client, each
//! made into a frame once for all the room's sockets on this instance; the
//! reader's frames come through the same queue.

use std::task::Poll;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message as WsMessage, Utf8Bytes, WebSocket};
use futures_util::future::BoxFuture;
use futures_util::stream::SplitSink;
use futures_util::SinkExt;
use private_chat_protocol::{Message, ServerEvent};
use serde::Serialize;
use tokio::time::{sleep_until, Instant};
use uuid::Uuid;

use super::close::Close;
use super::session::Halves;
use super::slot::SocketSlot;
use crate::state::AppState;
use crate::store::{Delivery, Own, RoomSignal, SignalRef, Subscription};

/// A write that takes longer than this means the client stopped reading.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the writer looks at a socket: renews its count's lease, and
/// pings it unless it was busy both ways since the last look.
const PERIOD: Duration = crate::store::LEASE_RENEW_EVERY;
/// Silence after which the client is taken for gone (half-open TCP); seen
/// at the end of a period, so up to one period later.
const IDLE_LIMIT: Duration = Duration::from_secs(60);
/// How long a socket whose room vanished waits for the reason to arrive.
const GONE_GRACE: Duration = Duration::from_secs(2);

/// When a socket's first period ends (its first renewal, and ping): at a
/// random point of the period's second half, so sockets opened together (a
/// reconnect storm after a restart, a load test) do not all renew at the
/// same moment and queue their renewals ahead of messages in the store.
fn first_tick() -> Instant {
    let half = PERIOD / 2;
    let spread = f64::from(getrandom::u32().unwrap_or(0)) / f64::from(u32::MAX);
    Instant::now() + half + half.mul_f64(spread)
}

/// The text frame of an event.
pub fn frame(event: &ServerEvent) -> Utf8Bytes {
    serde_json::to_string(event)
        .expect("a ServerEvent always serializes")
        .into()
}

/// The text frame of `ServerEvent::Message`, written from borrowed parts:
/// the event itself owns its message, so making one would copy the message
/// only to serialize it. The test below holds the two to the same bytes.
fn message_frame(message: &Message, nonce: Option<&str>) -> Utf8Bytes {
    #[derive(Serialize)]
    #[serde(tag = "type", rename = "message")]
    struct MessageEvent<'a> {
        message: &'a Message,
        #[serde(skip_serializing_if = "Option::is_none")]
        nonce: Option<&'a str>,
    }
    // Sized up front: grown from empty, the buffer would be copied about
    // six times on the way to a frame's length.
    let parts = message.member_id.len() + message.name.len() + message.body.len();
    let mut out = Vec::with_capacity(FRAME_OVERHEAD + parts + nonce.map_or(0, str::len));
    serde_json::to_writer(&mut out, &MessageEvent { message, nonce })
        .expect("a message always serializes");
    String::from_utf8(out).expect("JSON is UTF-8").into()
}

/// The bytes of a message frame besides its strings: keys, quotes, the
/// two numbers (and some room for escapes).
const FRAME_OVERHEAD: usize = 160;

/// How writing ended: a close frame to send, or `None` when the client is
/// already gone.
type End = Option<Close>;

/// The client stopped taking frames.
struct Gone;

fn gone(_: Gone) -> End {
    None
}

pub struct Writer<'a> {
    pub sink: SplitSink<WebSocket, WsMessage>,
    pub state: &'a AppState,
    pub room_id: Uuid,
    pub member_id: &'a str,
    /// This socket's count in the store, renewed every period.
    pub slot: &'a SocketSlot,
    pub halves: &'a Halves,
    /// Whether a text frame went out in the current period (not a ping:
    /// it would spare the next one).
    pub wrote: bool,
}

impl Writer<'_> {
    async fn send(&mut self, frame: WsMessage) -> Result<(), Gone> {
        let mut send = std::pin::pin!(self.sink.send(frame));
        // Nearly every write completes at once: the timer (a clock read and
        // a timer entry) is made only for one that has to wait.
        if let Poll::Ready(sent) = futures_util::poll!(&mut send) {
            return sent.map_err(|_| Gone);
        }
        // Boxed, like every rare step of the writer: its future lives as
        // long as its socket, so it keeps only the common path's state.
        match Box::pin(tokio::time::timeout(WRITE_TIMEOUT, send)).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(Gone),
        }
    }

    async fn text(&mut self, text: Utf8Bytes) -> Result<(), Gone> {
        // Set before the write: one that fails ends the socket anyway.
        self.wrote = true;
        self.send(WsMessage::Text(text)).await
    }

    async fn emit(&mut self, event: &ServerEvent) -> Result<(), Gone> {
        self.text(frame(event)).await
    }

    /// Sends the close (if any) and closes the socket.
    pub async fn finish(&mut self, end: End) {
        if let Some(Close { code, reason }) = end {
            let frame = WsMessage::Close(Some(CloseFrame {
                code,
                reason: reason.into(),
            }));
            if self.send(frame).await.is_err() {
                return;
            }
        }
        let _ = tokio::time::timeout(WRITE_TIMEOUT, self.sink.close()).await;
    }

    /// Writes the hello, then the room's signals, the reader's frames and
    /// pings, until something ends the socket; says how.
    pub async fn pump(
        &mut self,
        mut queue: Subscription,
        deadline: Instant,
        hello: Utf8Bytes,
    ) -> End {
        match self.serve(&mut queue, deadline, hello).await {
            Some(Close::GONE) => Box::pin(self.why_gone(&mut queue, deadline)).await,
            end => end,
        }
    }

    async fn serve(
        &mut self,
        queue: &mut Subscription,
        deadline: Instant,
        hello: Utf8Bytes,
    ) -> End {
        if Box::pin(self.text(hello)).await.is_err() {
            return None;
        }
        // The server's stop comes through the queue, after what is in it.
        let _watch = self.state.closing.watch(queue);
        // One timer for both the periods and the room's end: every wake of
        // this task polls each pending branch, and this is the busiest loop
        // of the server.
        let timer = sleep_until(first_tick().min(deadline));
        tokio::pin!(timer);
        // The lease's renewal runs beside the writes, not before them: a slow
        // store must not hold up the room's messages. A renewal still running
        // when the socket ends is dropped; one already sent reaches the store
        // before the release that follows it on the same connection. Between
        // renewals there is none, and its branch is not polled.
        let mut renewal: Option<BoxFuture<'static, ()>> = None;
        let (mut frames, mut quiet_since) = (self.halves.count(), Instant::now());
        loop {
            // Biased: the busy branch first, the timers polled only when
            // nothing else is ready (they cannot starve: the queue is
            // bounded by the message rates).
            tokio::select! {
                biased;
                delivery = queue.recv() => {
                    if let Err(end) = self.deliver(delivery, deadline).await {
                        return end;
                    }
                }
                () = async { renewal.as_mut().expect("polled only when set").await },
                    if renewal.is_some() => renewal = None,
                () = &mut timer => {
                    if timer.deadline() >= deadline {
                        return Box::pin(self.expired()).await;
                    }
                    let heard = self.halves.count();
                    let client_spoke = heard != frames;
                    if client_spoke {
                        (frames, quiet_since) = (heard, Instant::now());
                    } else if quiet_since.elapsed() >= IDLE_LIMIT {
                        return Some(Close::SILENT);
                    }
                    // A socket busy both ways needs no ping: its client's
                    // frames show it is there, and ours show the client that
                    // we are (it counts any frame as a sign of life). In a
                    // lively chat that spares a write, a read and two wakes
                    // per socket per period.
                    let wrote = std::mem::take(&mut self.wrote);
                    if !(client_spoke && wrote) {
                        let ping = WsMessage::Ping(Default::default());
                        if Box::pin(self.send(ping)).await.is_err() {
                            return None;
                        }
                    }
                    renewal = Some(Box::pin(self.slot.renewal()));
                    timer.as_mut().reset((Instant::now() + PERIOD).min(deadline));
                }
            }
        }
    }

    async fn expired(&mut self) -> End {
        let _ = self.emit(&ServerEvent::Expired).await;
        Some(Close::EXPIRED)
    }

    /// The room vanished under a read or write of this socket. The signal
    /// that says why (a destroy, normally) is right behind in the queue, or
    /// the deadline is: wait briefly for either, so the client learns the
    /// real reason instead of "gone".
    async fn why_gone(&mut self, queue: &mut Subscription, deadline: Instant) -> End {
        let grace = tokio::time::sleep(GONE_GRACE);
        tokio::pin!(grace);
        loop {
            tokio::select! {
                _ = &mut grace => return Some(Close::GONE),
                _ = sleep_until(deadline) => return self.expired().await,
                delivery = queue.recv() => {
                    let explains = match &delivery {
                        Delivery::Signal(s) => matches!(***s, RoomSignal::Destroyed { .. }),
                        Delivery::Own(_) | Delivery::Shutdown => false,
                        Delivery::Ended => true,
                    };
                    if explains {
                        if let Err(end) = self.deliver(delivery, deadline).await {
                            return end;
                        }
                    }
                }
            }
        }
    }

    /// Acts on one item of the socket's queue.
    async fn deliver(&mut self, delivery: Delivery, deadline: Instant) -> Result<(), End> {
        match delivery {
            Delivery::Signal(signal) => self.forward(signal).await,
            Delivery::Own(own) => match *own {
                Own::Text(text) => self.text(text).await.map_err(gone),
                Own::End { code, reason } => Err(Some(Close { code, reason })),
                // The reader saw the client leave.
                Own::Left => Err(None),
            },
            Delivery::Ended => {
                // The memory store ends a room's feeds when the room ends; a
                // destroy would have been announced first, so this is expiry.
                if deadline.saturating_duration_since(Instant::now()) <= Duration::from_secs(1) {
                    return Err(Box::pin(self.expired()).await);
                }
                Err(Some(Close::GONE))
            }
            Delivery::Shutdown => Err(Some(Close::SHUTDOWN)),
        }
    }

    /// Reads the room and sends who is in it and online.
    async fn presence(&mut self) -> Result<(), End> {
        match self.state.store.room(self.room_id).await {
            Ok(room) => self
                .emit(&ServerEvent::Presence {
                    members: crate::room::members(&room),
                })
                .await
                .map_err(gone),
            Err(e) => Err(Some(Close::for_start_error(&e.into()))),
        }
    }

    /// Passes one room signal on to the client.
    async fn forward(&mut self, signal: SignalRef) -> Result<(), End> {
        match &**signal {
            RoomSignal::Message { message, nonce } => {
                let text = signal.frame(|| message_frame(message, nonce.as_deref()));
                self.text(text).await.map_err(gone)
            }
            RoomSignal::Typing { member_id } if member_id != self.member_id => {
                let text = signal.frame(|| {
                    frame(&ServerEvent::Typing {
                        member_id: member_id.clone(),
                    })
                });
                self.text(text).await.map_err(gone)
            }
            RoomSignal::Typing { .. } => Ok(()),
            RoomSignal::PresenceChanged => Box::pin(self.presence()).await,
            RoomSignal::Destroyed { by } => {
                let event = ServerEvent::Destroyed { by: by.clone() };
                let _ = Box::pin(self.emit(&event)).await;
                Err(Some(Close::DESTROYED))
            }
            RoomSignal::Missed => Err(Some(Close::LAGGED)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_frames_are_the_events_bytes() {
        let message = Message {
            id: 7,
            member_id: "m1".into(),
            name: "Quiet \"Owl\"".into(),
            body: "héllo\n".into(),
            sent_at_ms: 1_700_000_000_000,
        };
        for nonce in [None, Some("n-1")] {
            let event = ServerEvent::Message {
                message: message.clone(),
                nonce: nonce.map(str::to_owned),
            };
            assert_eq!(message_frame(&message, nonce), frame(&event));
        }
    }

    /// With the largest numbers and nothing to escape, a frame fits the
    /// buffer it is written into.
    #[test]
    fn message_frames_fit_their_buffer() {
        let message = Message {
            id: u64::MAX,
            member_id: "m".repeat(32),
            name: "n".repeat(40),
            body: "b".repeat(1000),
            sent_at_ms: u64::MAX,
        };
        let nonce = "x".repeat(64);
        let parts = 32 + 40 + 1000 + 64;
        let text = message_frame(&message, Some(&nonce));
        assert!(text.len() <= FRAME_OVERHEAD + parts, "{}", text.len());
    }
}
