//! The in-memory backend: what the desktop app embeds.
//!
//! Each room has one timer task that removes it at its deadline, so expiry
//! costs nothing per tick and nothing scans all rooms. Time comes from
//! `tokio::time`, so tests can pause and advance it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use private_chat_protocol::Message;
use tokio::task::AbortHandle;
use tokio::time::Instant;
use uuid::Uuid;

use super::queue::{self, Listener};
use super::{
    Appended, Author, MemberRecord, RoomMap, RoomSignal, RoomSnapshot, Shared, Store, StoreError,
    Subscription,
};

struct Room {
    members: Vec<MemberRecord>,
    online: Vec<usize>,
    /// Shared, so a page is copied after the store's lock is released.
    messages: Vec<Arc<Message>>,
    /// Per member, in seat order: the nonce of each message sent with one,
    /// to its id.
    nonces: Vec<HashMap<String, u64>>,
    deadline: Instant,
    /// The room's sockets; dropped with the room, which ends their feeds.
    listeners: Vec<Listener>,
    expiry: AbortHandle,
}

impl Room {
    fn expires_in(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// Queues `signal` for every socket of the room, forgetting the
    /// sockets that are gone.
    fn announce(&mut self, signal: RoomSignal) {
        let signal = Shared::new(signal);
        self.listeners.retain_mut(|l| l.deliver(&signal));
    }

    fn seat_of(&self, member_id: &str) -> Option<usize> {
        self.members.iter().position(|m| m.member_id == member_id)
    }
}

/// Rooms in a map behind one mutex; no lock is held across an `.await`.
#[derive(Clone, Default)]
pub struct MemoryStore {
    rooms: Arc<Mutex<RoomMap<Room>>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many rooms are held: lets tests prove nothing is left behind.
    pub fn room_count(&self) -> usize {
        self.lock().len()
    }

    /// Whether the map still holds the room, expired or not: lets tests
    /// prove that the timer removed it, not just that reads hide it.
    pub fn holds(&self, room_id: Uuid) -> bool {
        self.lock().contains_key(&room_id)
    }

    fn lock(&self) -> MutexGuard<'_, RoomMap<Room>> {
        // A panic while holding the lock cannot leave a room half-written
        // (every mutation is a single step), so a poisoned map is still sound.
        self.rooms
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn with_room<T>(
        &self,
        room_id: Uuid,
        f: impl FnOnce(&mut Room) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut rooms = self.lock();
        let room = rooms.get_mut(&room_id).ok_or(StoreError::NotFound)?;
        if room.deadline <= Instant::now() {
            // The timer has not run yet; the room is gone all the same.
            if let Some(expired) = rooms.remove(&room_id) {
                expired.expiry.abort();
            }
            return Err(StoreError::NotFound);
        }
        f(room)
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[async_trait]
impl Store for MemoryStore {
    fn backend(&self) -> &'static str {
        "memory"
    }

    async fn health(&self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn create_room(
        &self,
        room_id: Uuid,
        creator: &MemberRecord,
        ttl: Duration,
    ) -> Result<Duration, StoreError> {
        let deadline = Instant::now() + ttl;
        let rooms = Arc::downgrade(&self.rooms);
        let timer = tokio::spawn(async move {
            tokio::time::sleep_until(deadline).await;
            if let Some(rooms) = rooms.upgrade() {
                let mut rooms = rooms.lock().unwrap_or_else(|p| p.into_inner());
                if rooms.get(&room_id).is_some_and(|r| r.deadline == deadline) {
                    rooms.remove(&room_id);
                }
            }
        });
        let mut rooms = self.lock();
        if rooms.contains_key(&room_id) {
            timer.abort();
            return Err(StoreError::Unavailable("room id collision".into()));
        }
        rooms.insert(
            room_id,
            Room {
                members: vec![creator.clone()],
                online: vec![0],
                messages: Vec::new(),
                nonces: vec![HashMap::new()],
                deadline,
                listeners: Vec::new(),
                expiry: timer.abort_handle(),
            },
        );
        Ok(ttl)
    }

    async fn join_room(
        &self,
        room_id: Uuid,
        member: &MemberRecord,
    ) -> Result<Duration, StoreError> {
        self.with_room(room_id, |room| {
            if room.members.len() >= 2 {
                return Err(StoreError::Full);
            }
            room.members.push(member.clone());
            room.online.push(0);
            room.nonces.push(HashMap::new());
            room.announce(RoomSignal::PresenceChanged);
            Ok(room.expires_in())
        })
    }

    async fn room(&self, room_id: Uuid) -> Result<RoomSnapshot, StoreError> {
        self.with_room(room_id, |room| {
            Ok(RoomSnapshot {
                members: room.members.clone(),
                online: room.online.clone(),
                expires_in: room.expires_in(),
            })
        })
    }

    async fn append_message(
        &self,
        room_id: Uuid,
        author: &Author,
        body: &str,
        nonce: Option<&str>,
        max_messages: usize,
    ) -> Result<Appended, StoreError> {
        self.with_room(room_id, |room| {
            // A retried send (same member, same nonce) gets the stored message.
            // An empty nonce is echoed, but names no send to retry. Without
            // one, the author's seat is not even looked up.
            let retryable = match nonce.filter(|n| !n.is_empty()) {
                Some(nonce) => {
                    let seat = room
                        .seat_of(&author.member_id)
                        .ok_or(StoreError::NotFound)?;
                    if let Some(&id) = room.nonces[seat].get(nonce) {
                        return Ok(Appended {
                            message: room.messages[id as usize - 1].clone(),
                            retry: true,
                        });
                    }
                    Some((seat, nonce))
                }
                None => None,
            };
            if room.messages.len() >= max_messages {
                return Err(StoreError::MessageLimit);
            }
            // One copy, shared by the history, the signal and the answer.
            let message = Arc::new(Message {
                id: room.messages.len() as u64 + 1,
                member_id: author.member_id.clone(),
                name: author.name.clone(),
                body: body.to_owned(),
                sent_at_ms: now_ms(),
            });
            room.messages.push(message.clone());
            if let Some((seat, nonce)) = retryable {
                room.nonces[seat].insert(nonce.to_owned(), message.id);
            }
            room.announce(RoomSignal::Message {
                message: message.clone(),
                nonce: nonce.map(str::to_owned),
            });
            Ok(Appended {
                message,
                retry: false,
            })
        })
    }

    async fn messages(
        &self,
        room_id: Uuid,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Message>, StoreError> {
        // Ids are 1, 2, 3... in list order, so `after` is an index. Under the
        // lock only pointers are copied; the messages after it is released.
        let page: Vec<Arc<Message>> = self.with_room(room_id, |room| {
            let skip = after.unwrap_or(0).min(room.messages.len() as u64) as usize;
            let end = skip.saturating_add(limit).min(room.messages.len());
            Ok(room.messages[skip..end].to_vec())
        })?;
        Ok(page.iter().map(|m| Message::clone(m)).collect())
    }

    async fn destroy(&self, room_id: Uuid, by: &str) -> Result<(), StoreError> {
        let mut room = self.lock().remove(&room_id).ok_or(StoreError::NotFound)?;
        room.expiry.abort();
        if room.deadline <= Instant::now() {
            return Err(StoreError::NotFound);
        }
        room.announce(RoomSignal::Destroyed { by: by.to_owned() });
        Ok(())
    }

    /// Counts without leases: this process holds both the count and the
    /// sockets, so no release can be lost.
    async fn connect(
        &self,
        room_id: Uuid,
        member_id: &str,
        _socket_id: &str,
        max_sockets: usize,
    ) -> Result<(), StoreError> {
        self.with_room(room_id, |room| {
            let seat = room.seat_of(member_id).ok_or(StoreError::NotFound)?;
            if room.online[seat] >= max_sockets {
                return Err(StoreError::TooManySockets);
            }
            room.online[seat] += 1;
            room.announce(RoomSignal::PresenceChanged);
            Ok(())
        })
    }

    async fn renew(
        &self,
        room_id: Uuid,
        member_id: &str,
        _socket_id: &str,
    ) -> Result<(), StoreError> {
        self.with_room(room_id, |room| {
            room.seat_of(member_id)
                .map(|_| ())
                .ok_or(StoreError::NotFound)
        })
    }

    async fn disconnect(
        &self,
        room_id: Uuid,
        member_id: &str,
        _socket_id: &str,
    ) -> Result<(), StoreError> {
        self.with_room(room_id, |room| {
            let seat = room.seat_of(member_id).ok_or(StoreError::NotFound)?;
            room.online[seat] = room.online[seat].saturating_sub(1);
            room.announce(RoomSignal::PresenceChanged);
            Ok(())
        })
    }

    async fn publish(&self, room_id: Uuid, signal: &RoomSignal) -> Result<(), StoreError> {
        self.with_room(room_id, |room| {
            room.announce(signal.clone());
            Ok(())
        })
    }

    async fn subscribe(&self, room_id: Uuid) -> Result<Subscription, StoreError> {
        self.with_room(room_id, |room| {
            let (listener, subscription) = queue::open();
            room.listeners.push(listener);
            Ok(subscription)
        })
    }
}

#[cfg(test)]
mod tests {
    //! TTL behaviour under tokio's paused clock: no test sleeps for real.

    use super::*;
    use crate::store::Delivery;

    fn member(id: &str) -> MemberRecord {
        MemberRecord {
            member_id: id.into(),
            name: id.into(),
            token_digest: String::new(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_room_lives_exactly_its_ttl() {
        let store = MemoryStore::new();
        let room = Uuid::new_v4();
        store
            .create_room(room, &member("a"), Duration::from_secs(600))
            .await
            .unwrap();
        tokio::time::advance(Duration::from_secs(599)).await;
        let left = store.room(room).await.unwrap().expires_in;
        assert_eq!(left, Duration::from_secs(1));
        tokio::time::advance(Duration::from_secs(1)).await;
        tokio::task::yield_now().await;
        assert!(
            !store.holds(room),
            "the timer removed the room at its deadline"
        );
        assert_eq!(store.room(room).await.unwrap_err(), StoreError::NotFound);
    }

    #[tokio::test(start_paused = true)]
    async fn expiry_closes_the_signal_channel_and_frees_everything() {
        let store = MemoryStore::new();
        let room = Uuid::new_v4();
        store
            .create_room(room, &member("a"), Duration::from_secs(10))
            .await
            .unwrap();
        store.join_room(room, &member("b")).await.unwrap();
        store
            .append_message(room, &member("a").author(), "hi", None, 10)
            .await
            .unwrap();
        let mut sub = store.subscribe(room).await.unwrap();
        tokio::time::advance(Duration::from_secs(10)).await;
        assert!(matches!(sub.recv().await, Delivery::Ended));
        assert_eq!(store.room_count(), 0);
        assert_eq!(
            store.messages(room, None, 10).await.unwrap_err(),
            StoreError::NotFound
        );
    }

    #[tokio::test(start_paused = true)]
    async fn destroy_cancels_the_timer_and_announces_first() {
        let store = MemoryStore::new();
        let room = Uuid::new_v4();
        store
            .create_room(room, &member("a"), Duration::from_secs(10))
            .await
            .unwrap();
        let mut sub = store.subscribe(room).await.unwrap();
        store.destroy(room, "a").await.unwrap();
        assert!(matches!(
            sub.recv().await,
            Delivery::Signal(s) if **s == RoomSignal::Destroyed { by: "a".into() }
        ));
        assert!(matches!(sub.recv().await, Delivery::Ended));
        assert_eq!(
            store.destroy(room, "a").await.unwrap_err(),
            StoreError::NotFound
        );
        tokio::time::advance(Duration::from_secs(20)).await;
        assert_eq!(store.room_count(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn many_rooms_expire_on_their_own_deadlines() {
        let store = MemoryStore::new();
        let rooms: Vec<Uuid> = (1..=100).map(|_| Uuid::new_v4()).collect();
        for (i, room) in rooms.iter().enumerate() {
            store
                .create_room(*room, &member("a"), Duration::from_secs(i as u64 + 1))
                .await
                .unwrap();
        }
        for held in (0..100).rev() {
            tokio::time::advance(Duration::from_secs(1)).await;
            tokio::task::yield_now().await;
            assert_eq!(store.room_count(), held);
        }
    }
}
