//! The Redis the server talks to: one endpoint, or a Redis Cluster found
//! from several seed URLs. Both sit behind one [`ConnectionLike`] type, so
//! the scripts and commands of the store do not care which; each script
//! touches the keys of one room only, which share a hash slot.

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr};
use redis::{Cmd, RedisError, RedisFuture, Value};

use super::redis::REDIS_TIMEOUT;

/// Where the rooms are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One Redis server (`redis://host:port/db`).
    Single(String),
    /// A Redis Cluster, reached through any of these seed nodes.
    Cluster(Vec<String>),
}

impl Target {
    /// Reads `--redis-url`: one URL, or several separated by commas (a
    /// cluster's seed nodes); `cluster` (`--redis-cluster`) makes a single
    /// URL a cluster seed too.
    pub fn parse(urls: &str, cluster: bool) -> Result<Self, String> {
        let list: Vec<String> = urls
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_owned)
            .collect();
        match list.as_slice() {
            [] => Err("--redis-url is empty".into()),
            [one] if !cluster => Ok(Self::Single(one.clone())),
            _ => Ok(Self::Cluster(list)),
        }
    }

    /// The seed URLs (one for a single server).
    pub fn urls(&self) -> &[String] {
        match self {
            Self::Single(url) => std::slice::from_ref(url),
            Self::Cluster(urls) => urls,
        }
    }
}

/// A connection to either kind of target. Cheap to clone.
#[derive(Clone)]
pub enum RedisConn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl RedisConn {
    /// Connects with bounded waits: a Redis that stops answering gives
    /// errors (503s), never requests that hang.
    pub async fn open(target: &Target) -> Result<Self, RedisError> {
        match target {
            Target::Single(url) => {
                let client = redis::Client::open(url.as_str())?;
                let config = ConnectionManagerConfig::new()
                    .set_response_timeout(Some(REDIS_TIMEOUT))
                    .set_connection_timeout(Some(REDIS_TIMEOUT));
                Ok(Self::Single(
                    ConnectionManager::new_with_config(client, config).await?,
                ))
            }
            Target::Cluster(urls) => {
                let client = ClusterClientBuilder::new(urls.iter().map(String::as_str))
                    .response_timeout(REDIS_TIMEOUT)
                    .connection_timeout(REDIS_TIMEOUT)
                    .build()?;
                Ok(Self::Cluster(client.get_async_connection().await?))
            }
        }
    }

    /// Runs `cmd` on the master that holds `key`'s slot (a cluster spreads
    /// keys over masters; a `SCAN` must go to the right one).
    pub async fn on_master_of(&mut self, key: &str, cmd: Cmd) -> Result<Value, RedisError> {
        match self {
            Self::Single(conn) => cmd.query_async(conn).await,
            Self::Cluster(conn) => {
                let route = Route::with_key(key, SlotAddr::Master);
                let routing = RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(route));
                conn.route_command(cmd, routing).await
            }
        }
    }
}

impl ConnectionLike for RedisConn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(conn) => conn.req_packed_command(cmd),
            Self::Cluster(conn) => conn.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Single(conn) => conn.req_packed_commands(pipeline, offset, count),
            Self::Cluster(conn) => conn.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(conn) => conn.get_db(),
            Self::Cluster(conn) => conn.get_db(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_url_is_a_server_several_are_a_cluster() {
        let one = "redis://a:6379/";
        assert_eq!(Target::parse(one, false), Ok(Target::Single(one.into())));
        assert_eq!(
            Target::parse(one, true),
            Ok(Target::Cluster(vec![one.into()]))
        );
        assert_eq!(
            Target::parse("redis://a:1, redis://b:2,", false),
            Ok(Target::Cluster(vec![
                "redis://a:1".into(),
                "redis://b:2".into()
            ]))
        );
        assert!(Target::parse(" , ", false).is_err());
    }
}
