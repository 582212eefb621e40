//! The room server on a free loopback port, on either backend.

use std::sync::Arc;

use private_chat_server::store::memory::MemoryStore;
use private_chat_server::store::redis::RedisStore;
use private_chat_server::store::redis_conn::Target;
use private_chat_server::store::Store;
use private_chat_server::{Config, RunningServer};
use uuid::Uuid;

use crate::client::Api;

/// Which store a test server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Memory,
    Redis,
}

enum Handle {
    Memory(MemoryStore),
    Redis(RedisStore),
}

/// A running server plus a handle on its store, to look behind the API.
pub struct TestServer {
    pub server: RunningServer,
    handle: Handle,
}

/// A standalone server (memory store, free loopback port) that outlives the
/// apps a test launches, as a real deployment would.
pub async fn standalone() -> RunningServer {
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Config::default()
    };
    private_chat_server::start(config)
        .await
        .expect("a standalone server starts")
}

/// Test defaults: a 1-second minimum TTL so expiry tests are quick.
pub fn test_config() -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        min_ttl_secs: 1,
        ..Config::default()
    }
}

impl TestServer {
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, test_config()).await
    }

    /// Starts on `backend`; for Redis, the shared test server unless
    /// `config.redis_url` names another.
    pub async fn start_with(backend: Backend, config: Config) -> Self {
        let (store, handle): (Arc<dyn Store>, Handle) = match backend {
            Backend::Memory => {
                let store = MemoryStore::new();
                (Arc::new(store.clone()), Handle::Memory(store))
            }
            Backend::Redis => {
                let url = config
                    .redis_url
                    .clone()
                    .unwrap_or_else(crate::redis::shared_url);
                let store = RedisStore::connect(&url)
                    .await
                    .expect("connect to the test redis");
                (Arc::new(store.clone()), Handle::Redis(store))
            }
        };
        let server = private_chat_server::start_with_store(config, store)
            .await
            .expect("server starts");
        Self { server, handle }
    }

    /// On Redis at `url`, with socket leases of `lease` (short, so a test
    /// can see a lost release lapse).
    pub async fn on_redis_with_lease(
        url: &str,
        config: Config,
        lease: std::time::Duration,
    ) -> Self {
        let store = RedisStore::connect(url)
            .await
            .expect("connect to the test redis")
            .with_socket_lease(lease);
        Self::on_redis_store(store, config).await
    }

    /// On a Redis Cluster, reached through `seeds` (comma-separated URLs).
    pub async fn on_cluster(seeds: &str, config: Config) -> Self {
        let target = Target::parse(seeds, true).expect("seed URLs");
        let store = RedisStore::open(&target)
            .await
            .expect("connect to the test cluster");
        Self::on_redis_store(store, config).await
    }

    async fn on_redis_store(store: RedisStore, config: Config) -> Self {
        let server = private_chat_server::start_with_store(config, Arc::new(store.clone()))
            .await
            .expect("server starts");
        Self {
            server,
            handle: Handle::Redis(store),
        }
    }

    pub fn api(&self) -> Api {
        Api::new(&self.server.url())
    }

    /// Everything the store still holds about the room: Redis keys found
    /// by SCAN, or the memory store's room if present.
    pub async fn traces_of(&self, room_id: &str) -> Vec<String> {
        let id: Uuid = room_id.parse().unwrap();
        match &self.handle {
            Handle::Redis(store) => store.keys_of(id).await.unwrap(),
            Handle::Memory(store) => {
                if store.holds(id) {
                    vec![format!("memory room {id}")]
                } else {
                    vec![]
                }
            }
        }
    }

    /// Rooms the memory store holds (0 for Redis).
    pub fn memory_rooms(&self) -> usize {
        match &self.handle {
            Handle::Memory(store) => store.room_count(),
            Handle::Redis(_) => 0,
        }
    }
}
