//! The subscriber side of sharded pub/sub (`SSUBSCRIBE`, Redis 7+): its
//! own RESP3 connection, whose pushes (messages, server-side unsubscribes,
//! the library's disconnection notice) arrive on a channel. One command per
//! channel: in a cluster, channels of different slots live on different
//! masters, and redis-rs's own batched resubscription fails across slots,
//! so the store keeps the list of wanted channels and resubscribes them one
//! by one itself.

use redis::aio::MultiplexedConnection;
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::{AsyncConnectionConfig, PushInfo, RedisError};
use tokio::sync::mpsc;

use super::redis::REDIS_TIMEOUT;
use super::redis_conn::Target;

/// A subscriber connection; its pushes go to the receiver `open` returns.
pub enum ShardSubscriber {
    Single(MultiplexedConnection),
    Cluster(ClusterConnection),
}

/// Adds `protocol=resp3` to a URL (pushes need RESP3).
fn resp3(url: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}protocol=resp3")
}

impl ShardSubscriber {
    /// Connects to `target` (a single server: the one URL; a cluster: any
    /// of its seeds, `attempt` choosing which for a single server's list).
    pub async fn open(
        target: &Target,
    ) -> Result<(Self, mpsc::UnboundedReceiver<PushInfo>), RedisError> {
        let (tx, rx) = mpsc::unbounded_channel();
        let conn = match target {
            Target::Single(url) => {
                let client = redis::Client::open(resp3(url))?;
                let config = AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(REDIS_TIMEOUT))
                    .set_response_timeout(Some(REDIS_TIMEOUT))
                    .set_push_sender(tx);
                Self::Single(
                    client
                        .get_multiplexed_async_connection_with_config(&config)
                        .await?,
                )
            }
            Target::Cluster(urls) => {
                let client = ClusterClientBuilder::new(urls.iter().map(|u| resp3(u)))
                    .use_protocol(redis::ProtocolVersion::RESP3)
                    .push_sender(tx)
                    .connection_timeout(REDIS_TIMEOUT)
                    .response_timeout(REDIS_TIMEOUT)
                    .build()?;
                Self::Cluster(client.get_async_connection().await?)
            }
        };
        Ok((conn, rx))
    }

    pub async fn subscribe(&mut self, channel: &str) -> Result<(), RedisError> {
        match self {
            Self::Single(conn) => redis::cmd("SSUBSCRIBE").arg(channel).exec_async(conn).await,
            Self::Cluster(conn) => conn.ssubscribe(channel).await,
        }
    }

    pub async fn unsubscribe(&mut self, channel: &str) -> Result<(), RedisError> {
        match self {
            Self::Single(conn) => {
                redis::cmd("SUNSUBSCRIBE")
                    .arg(channel)
                    .exec_async(conn)
                    .await
            }
            Self::Cluster(conn) => conn.sunsubscribe(channel).await,
        }
    }
}
