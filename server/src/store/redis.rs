//! The Redis backend: for standalone deployments and for scaling out.
//!
//! # Keys
//! Every key of a room carries the hash tag `{room_id}`, so a room lives in
//! one Redis Cluster slot and every script touches a single slot:
//! - `privchat:{<room_id>}`: hash with `m1`/`m2` (member records as JSON),
//!   `seq` (last message id) and `sock:<member_id>:<socket_id>` (an open
//!   socket's lease: its deadline in ms of the Redis clock, renewed while it
//!   lives; a lease whose release was lost lapses, see `scripts/connect.lua`).
//! - `privchat:{<room_id>}:messages`: list of message JSON, oldest first.
//! - `privchat:{<room_id>}:nonces`: hash `<member_id>:<nonce>` = message id,
//!   so a retried send gets its stored message back instead of a second copy.
//!
//! Every key expires at the room's deadline: the hash from creation, the
//! others from their first write on (each append copies the hash's PTTL).
//!
//! # Realtime
//! Signals go over the sharded channel `privchat:{<room_id>}:events`
//! (`SPUBLISH` from the scripts, in the room's slot). Each instance holds one
//! subscriber connection ([`super::redis_shard`]) and subscribes to a room's
//! channel while it has a socket in that room; a channel the server drops is
//! taken up again, and after a lost connection it reconnects with backoff and
//! subscribes again to every room it still serves, one channel at a time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use async_trait::async_trait;
use private_chat_protocol::Message;
use redis::{ErrorKind, PushInfo, PushKind, Script, ServerErrorKind, Value};
use tokio::sync::watch;
use uuid::Uuid;

use super::queue::{self, Listener};
use super::redis_args::{JsonStr, NonceField, NonceMember, RoomKey};
use super::redis_conn::{RedisConn, Target};
use super::redis_shard::ShardSubscriber;
use super::{
    Appended, Author, MemberRecord, RoomSignal, RoomSnapshot, Shared, SignalRef, Store, StoreError,
    Subscription,
};

fn room_key(room_id: Uuid) -> String {
    RoomKey::room(room_id).to_string()
}

fn messages_key(room_id: Uuid) -> String {
    RoomKey::messages(room_id).to_string()
}

/// Which nonce each member's sent messages carried: `<member_id>:<nonce>` =
/// message id, so a retried send is answered, not stored twice.
fn nonces_key(room_id: Uuid) -> String {
    RoomKey::nonces(room_id).to_string()
}

fn channel(room_id: Uuid) -> String {
    RoomKey::events(room_id).to_string()
}

fn unavailable(e: redis::RedisError) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("unexpected data in redis: {e}"))
}

/// A script's answer: -1 means the room is gone.
fn found(n: i64) -> Result<(), StoreError> {
    if n == -1 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

struct Scripts {
    create: Script,
    join: Script,
    append: Script,
    destroy: Script,
    connect: Script,
    renew: Script,
    disconnect: Script,
    room: Script,
}

impl Scripts {
    fn load() -> Self {
        Self {
            create: Script::new(include_str!("scripts/create.lua")),
            join: Script::new(include_str!("scripts/join.lua")),
            append: Script::new(include_str!("scripts/append.lua")),
            destroy: Script::new(include_str!("scripts/destroy.lua")),
            connect: Script::new(include_str!("scripts/connect.lua")),
            renew: Script::new(include_str!("scripts/renew.lua")),
            disconnect: Script::new(include_str!("scripts/disconnect.lua")),
            room: Script::new(include_str!("scripts/room.lua")),
        }
    }
}

/// Local listeners per channel, and the sink of the live pub/sub connection.
struct Fanout {
    listeners: Mutex<HashMap<String, Vec<Listener>>>,
    sink: tokio::sync::Mutex<Option<ShardSubscriber>>,
    /// Whether `sink` is connected, so subscribers can wait out a reconnect.
    connected: watch::Sender<bool>,
}

/// How long a new subscriber waits for a reconnecting pub/sub connection.
const RECONNECT_WAIT: Duration = Duration::from_secs(5);
/// Longest pause between two reconnect attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

impl Fanout {
    fn dispatch(&self, channel: &str, payload: Vec<u8>) {
        let Ok(signal) = serde_json::from_slice::<RoomSignal>(&payload) else {
            tracing::warn!(channel, "ignoring a malformed signal");
            return;
        };
        let signal = match signal {
            // The payload is the message's socket frame already, byte for
            // byte (scripts/append.lua writes it as the writer would): the
            // sockets get it as it came instead of a frame made again.
            RoomSignal::Message { .. } => match String::from_utf8(payload) {
                Ok(frame) => Shared::with_frame(signal, frame.into()),
                Err(_) => Shared::new(signal),
            },
            _ => Shared::new(signal),
        };
        self.announce(channel, signal);
    }

    /// Queues `signal` for the channel's local sockets, forgetting the
    /// sockets that are gone.
    fn announce(&self, channel: &str, signal: SignalRef) {
        let mut listeners = self.listeners.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(list) = listeners.get_mut(channel) {
            list.retain_mut(|l| l.deliver(&signal));
        }
    }

    /// Handles one push of the subscriber connection; `false` when the
    /// connection is gone.
    async fn take(&self, push: PushInfo) -> bool {
        let channel_of = |data: &[Value]| -> Option<String> {
            data.first()
                .and_then(|c| redis::from_redis_value_ref(c).ok())
        };
        match push.kind {
            PushKind::SMessage => {
                // Both parts are bulk strings: the channel is read in place,
                // the payload taken as it is (no copy of either).
                let mut data = push.data;
                if let [Value::BulkString(channel), Value::BulkString(payload)] =
                    data.as_mut_slice()
                {
                    if let Ok(channel) = std::str::from_utf8(channel) {
                        self.dispatch(channel, std::mem::take(payload));
                    }
                }
                true
            }
            // The server dropped a channel we still want (its slot moved to
            // another master, a failover): subscribe it again, and tell its
            // sockets that signals may have been missed meanwhile.
            PushKind::SUnsubscribe => {
                if let Some(channel) = channel_of(&push.data) {
                    if self.wanted(&channel) {
                        self.missed(&channel);
                        if let Some(sink) = self.sink.lock().await.as_mut() {
                            if let Err(e) = sink.subscribe(&channel).await {
                                tracing::warn!(error = %e, "redis resubscribe after a server unsubscribe failed");
                                return false;
                            }
                        }
                    }
                }
                true
            }
            PushKind::Disconnection => false,
            _ => true,
        }
    }

    fn wanted(&self, channel: &str) -> bool {
        let listeners = self.listeners.lock().unwrap_or_else(|p| p.into_inner());
        listeners.contains_key(channel)
    }

    /// Tells one room's local listeners that signals may have been lost.
    fn missed(&self, channel: &str) {
        self.announce(channel, Shared::new(RoomSignal::Missed));
    }

    /// Tells every local listener that signals may have been lost.
    fn missed_all(&self) {
        let mut listeners = self.listeners.lock().unwrap_or_else(|p| p.into_inner());
        let signal = Shared::new(RoomSignal::Missed);
        for list in listeners.values_mut() {
            list.retain_mut(|l| l.deliver(&signal));
        }
    }

    fn channels(&self) -> Vec<String> {
        let listeners = self.listeners.lock().unwrap_or_else(|p| p.into_inner());
        listeners.keys().cloned().collect()
    }
}

/// Unsubscribes from a room's channel when its last local listener leaves.
struct Unsubscriber {
    fanout: Weak<Fanout>,
    channel: String,
}

impl Drop for Unsubscriber {
    fn drop(&mut self) {
        let Some(fanout) = self.fanout.upgrade() else {
            return;
        };
        let last = {
            let mut listeners = fanout.listeners.lock().unwrap_or_else(|p| p.into_inner());
            let idle = listeners.get_mut(&self.channel).is_some_and(|list| {
                list.retain(|l| !l.is_closed());
                list.is_empty()
            });
            if idle {
                listeners.remove(&self.channel);
            }
            idle
        };
        if last {
            let channel = std::mem::take(&mut self.channel);
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move {
                    if let Some(sink) = fanout.sink.lock().await.as_mut() {
                        let _ = sink.unsubscribe(&channel).await;
                    }
                });
            }
        }
    }
}

/// Rooms in Redis. Cheap to clone.
#[derive(Clone)]
pub struct RedisStore {
    conn: RedisConn,
    scripts: Arc<Scripts>,
    fanout: Arc<Fanout>,
    socket_lease: Duration,
    /// Replicas that must hold a message before it is acknowledged.
    wait_replicas: usize,
}

/// How long `WAIT` waits for the replicas of a message.
const WAIT_REPLICAS_MS: u64 = 1000;

/// Longest wait for a Redis answer or connection before the request is
/// answered 503 `store_unavailable`.
pub const REDIS_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a socket's lease lasts without a renewal (sockets renew at
/// every keepalive look, pinged or not, [`super::LEASE_RENEW_EVERY`]).
pub const SOCKET_LEASE: Duration = Duration::from_secs(60);

impl RedisStore {
    /// Connects (failing fast when Redis is not there at start-up) and starts
    /// the pub/sub task; afterwards both survive Redis restarts.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::open(&Target::Single(url.to_owned())).await
    }

    /// [`Self::connect`] to one server or to a Redis Cluster. In a cluster
    /// the subscriber is a cluster connection of its own, which sends each
    /// channel's `SSUBSCRIBE` to the master of that channel's slot
    /// ([`super::redis_shard`]).
    pub async fn open(target: &Target) -> Result<Self, StoreError> {
        let conn = RedisConn::open(target).await.map_err(unavailable)?;
        let fanout = Arc::new(Fanout {
            listeners: Mutex::default(),
            sink: tokio::sync::Mutex::default(),
            connected: watch::channel(false).0,
        });
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        tokio::spawn(pubsub_task(
            target.clone(),
            Arc::downgrade(&fanout),
            ready_tx,
        ));
        ready_rx
            .await
            .map_err(|_| StoreError::Unavailable("pub/sub task ended".into()))?
            .map_err(unavailable)?;
        Ok(Self {
            conn,
            scripts: Arc::new(Scripts::load()),
            fanout,
            socket_lease: SOCKET_LEASE,
            wait_replicas: 0,
        })
    }

    /// The same store acknowledging a message only once `replicas` replicas
    /// of its master hold it (`WAIT`; see docs/protocol.md for what that does
    /// and does not promise).
    pub fn with_wait_replicas(self, replicas: usize) -> Self {
        Self {
            wait_replicas: replicas,
            ..self
        }
    }

    /// Waits until the room's master has copied this connection's writes to
    /// [`Self::wait_replicas`] replicas, or says it could not.
    async fn replicated(&self, room_id: Uuid) -> Result<(), StoreError> {
        if self.wait_replicas == 0 {
            return Ok(());
        }
        let mut wait = redis::cmd("WAIT");
        wait.arg(self.wait_replicas).arg(WAIT_REPLICAS_MS);
        let reply = self
            .conn
            .clone()
            .on_master_of(&room_key(room_id), wait)
            .await
            .map_err(unavailable)?;
        let copies: usize = redis::from_redis_value(reply).map_err(corrupt)?;
        if copies >= self.wait_replicas {
            Ok(())
        } else {
            Err(StoreError::Unavailable(format!(
                "the message reached {copies} of {} replicas in time",
                self.wait_replicas
            )))
        }
    }

    /// The same store with socket leases of `lease` (tests make them short).
    pub fn with_socket_lease(self, lease: Duration) -> Self {
        Self {
            socket_lease: lease,
            ..self
        }
    }

    /// Every key that mentions the room, by `SCAN`: lets tests prove that
    /// nothing is left behind.
    ///
    /// In a cluster the scan runs on the master of the room's slot, where
    /// every key of the room lives.
    pub async fn keys_of(&self, room_id: Uuid) -> Result<Vec<String>, StoreError> {
        let mut conn = self.conn.clone();
        let mut keys = Vec::new();
        let mut cursor = 0u64;
        loop {
            let mut scan = redis::cmd("SCAN");
            scan.arg(cursor)
                .arg("MATCH")
                .arg(format!("*{room_id}*"))
                .arg("COUNT")
                .arg(1000);
            let reply = conn
                .on_master_of(&room_key(room_id), scan)
                .await
                .map_err(unavailable)?;
            let (next, found): (u64, Vec<String>) =
                redis::from_redis_value(reply).map_err(corrupt)?;
            keys.extend(found);
            if next == 0 {
                return Ok(keys);
            }
            cursor = next;
        }
    }
}

/// Holds the instance's subscriber connection: reads its pushes into
/// [`Fanout`]; when a channel is unsubscribed by the server (its slot moved,
/// a failover) resubscribes that channel; when the connection is lost,
/// reconnects with backoff and resubscribes every wanted channel, one by one.
/// Either way the affected sockets are told signals may have been missed.
async fn pubsub_task(
    target: Target,
    fanout: Weak<Fanout>,
    ready: tokio::sync::oneshot::Sender<Result<(), redis::RedisError>>,
) {
    let mut ready = Some(ready);
    let mut backoff = Duration::from_millis(100);
    loop {
        let Some(strong) = fanout.upgrade() else {
            return;
        };
        match ShardSubscriber::open(&target).await {
            Ok((mut subscriber, mut pushes)) => {
                let channels = strong.channels();
                let mut resubscribed = Ok(());
                for channel in &channels {
                    resubscribed = subscriber.subscribe(channel).await;
                    if resubscribed.is_err() {
                        break;
                    }
                }
                if let Err(e) = resubscribed {
                    tracing::warn!(error = %e, "redis pub/sub resubscribe failed");
                } else {
                    *strong.sink.lock().await = Some(subscriber);
                    strong.connected.send_replace(true);
                    if let Some(ready) = ready.take() {
                        let _ = ready.send(Ok(()));
                    }
                    if !channels.is_empty() {
                        tracing::info!(rooms = channels.len(), "redis pub/sub reconnected");
                    }
                    backoff = Duration::from_millis(100);
                    drop(strong);
                    while let Some(push) = pushes.recv().await {
                        let Some(fanout) = fanout.upgrade() else {
                            return;
                        };
                        if !fanout.take(push).await {
                            break;
                        }
                    }
                    let Some(strong) = fanout.upgrade() else {
                        return;
                    };
                    strong.connected.send_replace(false);
                    *strong.sink.lock().await = None;
                    // Whatever was published until the resubscription is
                    // lost to this instance: its sockets must not go on as
                    // if nothing was.
                    strong.missed_all();
                    tracing::warn!(
                        "redis pub/sub connection lost; sockets told to catch up; reconnecting"
                    );
                }
            }
            Err(e) => {
                if let Some(ready) = ready.take() {
                    let _ = ready.send(Err(e));
                    return;
                }
                tracing::warn!(error = %e, "redis pub/sub reconnect failed");
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

fn int(value: &Value) -> Option<i64> {
    match value {
        Value::Int(n) => Some(*n),
        _ => None,
    }
}

fn ttl_of(ms: i64) -> Duration {
    Duration::from_millis(ms.max(0) as u64)
}

fn parse_member(raw: &Value) -> Result<MemberRecord, StoreError> {
    let bytes: Vec<u8> = redis::from_redis_value_ref(raw).map_err(corrupt)?;
    serde_json::from_slice(&bytes).map_err(corrupt)
}

fn parse_message(raw: &[u8]) -> Result<Message, StoreError> {
    serde_json::from_slice(raw).map_err(corrupt)
}

#[async_trait]
impl Store for RedisStore {
    fn backend(&self) -> &'static str {
        "redis"
    }

    async fn health(&self) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let pong: String = redis::cmd("PING")
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        if pong == "PONG" {
            Ok(())
        } else {
            Err(StoreError::Unavailable(format!("PING answered {pong}")))
        }
    }

    async fn create_room(
        &self,
        room_id: Uuid,
        creator: &MemberRecord,
        ttl: Duration,
    ) -> Result<Duration, StoreError> {
        let record = serde_json::to_string(creator).expect("a record always serializes");
        let created: i64 = self
            .scripts
            .create
            .key(room_key(room_id))
            .arg(record)
            .arg(ttl.as_millis() as u64)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        if created == 1 {
            Ok(ttl)
        } else {
            Err(StoreError::Unavailable("room id collision".into()))
        }
    }

    async fn join_room(
        &self,
        room_id: Uuid,
        member: &MemberRecord,
    ) -> Result<Duration, StoreError> {
        let record = serde_json::to_string(member).expect("a record always serializes");
        let ttl: i64 = self
            .scripts
            .join
            .key(room_key(room_id))
            .arg(record)
            .arg(channel(room_id))
            .arg(RoomSignal::PresenceChanged.to_json())
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        match ttl {
            -1 => Err(StoreError::NotFound),
            -2 => Err(StoreError::Full),
            ms => Ok(ttl_of(ms)),
        }
    }

    async fn room(&self, room_id: Uuid) -> Result<RoomSnapshot, StoreError> {
        let reply: Value = self
            .scripts
            .room
            .key(room_key(room_id))
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        let Value::Array(items) = reply else {
            return Err(StoreError::NotFound);
        };
        let ttl = items.first().and_then(int).unwrap_or(0);
        let now = items.get(1).and_then(int).unwrap_or(0);
        let mut seats: [Option<MemberRecord>; 2] = [None, None];
        let mut counts: HashMap<String, usize> = HashMap::new();
        for pair in items.get(2..).unwrap_or_default().chunks(2) {
            let [field, value] = pair else { continue };
            let field: String = redis::from_redis_value_ref(field).map_err(corrupt)?;
            match field.as_str() {
                "m1" => seats[0] = Some(parse_member(value)?),
                "m2" => seats[1] = Some(parse_member(value)?),
                other => {
                    // A live lease: `sock:<member_id>:<socket_id>` = deadline.
                    let member = other.strip_prefix("sock:").and_then(|r| r.split_once(':'));
                    if let Some((member_id, _)) = member {
                        let deadline: i64 = redis::from_redis_value_ref(value).map_err(corrupt)?;
                        if deadline > now {
                            *counts.entry(member_id.to_owned()).or_default() += 1;
                        }
                    }
                }
            }
        }
        let members: Vec<MemberRecord> = seats.into_iter().flatten().collect();
        let online = members
            .iter()
            .map(|m| counts.get(&m.member_id).copied().unwrap_or(0))
            .collect();
        Ok(RoomSnapshot {
            members,
            online,
            expires_in: ttl_of(ttl),
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
        // Built as one command, not through `Script::key`/`arg`: see
        // redis_args.rs. A Redis that lost the script (a restart, a
        // failover) answers NOSCRIPT: it is loaded, and the command sent again.
        let mut append = redis::cmd("EVALSHA");
        append
            .arg(self.scripts.append.get_hash())
            .arg(3)
            .arg(RoomKey::room(room_id))
            .arg(RoomKey::messages(room_id))
            .arg(RoomKey::nonces(room_id))
            .arg(JsonStr(&author.member_id))
            .arg(JsonStr(&author.name))
            .arg(JsonStr(body))
            .arg(max_messages)
            .arg(RoomKey::events(room_id))
            .arg(NonceMember(nonce))
            .arg(NonceField(&author.member_id, nonce));
        let mut conn = self.conn.clone();
        let reply: Value = match append.query_async(&mut conn).await {
            Err(e) if e.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                self.scripts
                    .append
                    .load_async(&mut conn)
                    .await
                    .map_err(unavailable)?;
                append.query_async(&mut conn).await
            }
            reply => reply,
        }
        .map_err(unavailable)?;
        let appended = match reply {
            Value::Int(-1) => return Err(StoreError::NotFound),
            Value::Int(-2) => return Err(StoreError::MessageLimit),
            // A new message: made of what was sent, as stored, without
            // reading the stored JSON back.
            Value::Array(items) => match items.as_slice() {
                [Value::Int(id), Value::Int(sent_at_ms)] => Appended {
                    message: Arc::new(Message {
                        id: *id as u64,
                        member_id: author.member_id.clone(),
                        name: author.name.clone(),
                        body: body.to_owned(),
                        sent_at_ms: *sent_at_ms as u64,
                    }),
                    retry: false,
                },
                // A retry: the stored message.
                [Value::BulkString(raw)] => Appended {
                    message: Arc::new(parse_message(raw)?),
                    retry: true,
                },
                _ => {
                    return Err(StoreError::Unavailable(format!(
                        "unexpected reply {items:?}"
                    )))
                }
            },
            other => {
                return Err(StoreError::Unavailable(format!(
                    "unexpected reply {other:?}"
                )))
            }
        };
        // A retry waits too: the first copy may not have reached the
        // replicas when its answer was lost.
        self.replicated(room_id).await?;
        Ok(appended)
    }

    async fn messages(
        &self,
        room_id: Uuid,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Message>, StoreError> {
        // Ids are 1, 2, 3... in list order, so `after` is the start index.
        let start = after.unwrap_or(0).min(i64::MAX as u64 / 2) as i64;
        let stop = start.saturating_add(limit.min(i64::MAX as usize / 2) as i64) - 1;
        let raw: Vec<Vec<u8>> = redis::cmd("LRANGE")
            .arg(messages_key(room_id))
            .arg(start)
            .arg(stop)
            .query_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        raw.iter().map(|m| parse_message(m)).collect()
    }

    async fn destroy(&self, room_id: Uuid, by: &str) -> Result<(), StoreError> {
        let signal = RoomSignal::Destroyed { by: by.to_owned() };
        let existed: i64 = self
            .scripts
            .destroy
            .key(room_key(room_id))
            .key(messages_key(room_id))
            .key(nonces_key(room_id))
            .arg(channel(room_id))
            .arg(signal.to_json())
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        if existed == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    async fn connect(
        &self,
        room_id: Uuid,
        member_id: &str,
        socket_id: &str,
        max_sockets: usize,
    ) -> Result<(), StoreError> {
        let n: i64 = self
            .scripts
            .connect
            .key(room_key(room_id))
            .arg(member_id)
            .arg(max_sockets)
            .arg(channel(room_id))
            .arg(RoomSignal::PresenceChanged.to_json())
            .arg(socket_id)
            .arg(millis(self.socket_lease))
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        match n {
            -1 => Err(StoreError::NotFound),
            -2 => Err(StoreError::TooManySockets),
            _ => Ok(()),
        }
    }

    async fn renew(
        &self,
        room_id: Uuid,
        member_id: &str,
        socket_id: &str,
    ) -> Result<(), StoreError> {
        let n: i64 = self
            .scripts
            .renew
            .key(room_key(room_id))
            .arg(member_id)
            .arg(socket_id)
            .arg(millis(self.socket_lease))
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        found(n)
    }

    async fn disconnect(
        &self,
        room_id: Uuid,
        member_id: &str,
        socket_id: &str,
    ) -> Result<(), StoreError> {
        let n: i64 = self
            .scripts
            .disconnect
            .key(room_key(room_id))
            .arg(member_id)
            .arg(channel(room_id))
            .arg(RoomSignal::PresenceChanged.to_json())
            .arg(socket_id)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        found(n)
    }

    async fn publish(&self, room_id: Uuid, signal: &RoomSignal) -> Result<(), StoreError> {
        let _: i64 = redis::cmd("SPUBLISH")
            .arg(channel(room_id))
            .arg(signal.to_json())
            .query_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn subscribe(&self, room_id: Uuid) -> Result<Subscription, StoreError> {
        let exists: bool = redis::cmd("EXISTS")
            .arg(room_key(room_id))
            .query_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        if !exists {
            return Err(StoreError::NotFound);
        }
        let channel = channel(room_id);
        let (listener, mut subscription) = queue::open();
        let first = {
            let mut listeners = self
                .fanout
                .listeners
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            match listeners.get_mut(&channel) {
                Some(list) => {
                    list.push(listener);
                    false
                }
                None => {
                    listeners.insert(channel.clone(), vec![listener]);
                    true
                }
            }
        };
        subscription._guard = Some(Box::new(Unsubscriber {
            fanout: Arc::downgrade(&self.fanout),
            channel: channel.clone(),
        }));
        if first {
            let mut connected = self.fanout.connected.subscribe();
            let _ = tokio::time::timeout(RECONNECT_WAIT, connected.wait_for(|c| *c)).await;
            let mut sink = self.fanout.sink.lock().await;
            let sink = sink
                .as_mut()
                .ok_or_else(|| StoreError::Unavailable("redis pub/sub is reconnecting".into()))?;
            sink.subscribe(&channel).await.map_err(unavailable)?;
        }
        Ok(subscription)
    }
}
