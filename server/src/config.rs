//! Server configuration: command-line flags with environment fallbacks.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use private_chat_protocol::limits;

/// How the server runs. Every field has a sensible default, so
/// `Config::default()` is what the desktop app embeds.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "private-chat-server",
    version,
    about = "Self-destructing two-person chat rooms"
)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "PRIVATE_CHAT_LISTEN", default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,
    /// Redis URL (redis://host:port/db), or several separated by commas: the
    /// seed nodes of a Redis Cluster. Absent: the in-memory store.
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,
    /// Treat a single --redis-url as a Redis Cluster seed.
    #[arg(long, env = "PRIVATE_CHAT_REDIS_CLUSTER")]
    pub redis_cluster: bool,
    /// Acknowledge a message only once this many replicas of its Redis
    /// master hold it (`WAIT`); 0: on the master's word alone.
    #[arg(long, env = "PRIVATE_CHAT_REDIS_WAIT_REPLICAS", default_value_t = 0)]
    pub redis_wait_replicas: usize,
    /// Room lifetime when the creator asks for none.
    #[arg(long, env = "PRIVATE_CHAT_DEFAULT_TTL_SECS", default_value_t = limits::DEFAULT_TTL_SECS)]
    pub default_ttl_secs: u64,
    /// Shortest lifetime a creator may ask for.
    #[arg(long, env = "PRIVATE_CHAT_MIN_TTL_SECS", default_value_t = limits::MIN_TTL_SECS)]
    pub min_ttl_secs: u64,
    /// Longest lifetime a creator may ask for.
    #[arg(long, env = "PRIVATE_CHAT_MAX_TTL_SECS", default_value_t = limits::MAX_TTL_SECS)]
    pub max_ttl_secs: u64,
    /// Most messages a room keeps.
    #[arg(long = "max-messages", env = "PRIVATE_CHAT_MAX_MESSAGES", default_value_t = limits::MAX_MESSAGES_PER_ROOM)]
    pub max_messages_per_room: usize,
    /// Most open sockets per member.
    #[arg(long = "max-sockets", env = "PRIVATE_CHAT_MAX_SOCKETS", default_value_t = limits::MAX_SOCKETS_PER_MEMBER)]
    pub max_sockets_per_member: usize,
    /// Rooms one client address may create per minute (0: no limit).
    #[arg(long, env = "PRIVATE_CHAT_RATE_CREATE", default_value_t = limits::RATE_CREATE_PER_MINUTE)]
    pub rate_create_per_minute: u32,
    /// Rooms one client address may join per minute (0: no limit).
    #[arg(long, env = "PRIVATE_CHAT_RATE_JOIN", default_value_t = limits::RATE_JOIN_PER_MINUTE)]
    pub rate_join_per_minute: u32,
    /// Messages one client address may send per second, HTTP and socket
    /// together, with twice that as a burst (0: no limit).
    #[arg(long, env = "PRIVATE_CHAT_RATE_MESSAGES", default_value_t = limits::RATE_MESSAGES_PER_SECOND)]
    pub rate_messages_per_second: u32,
    /// Sockets one client address may open per minute (0: no limit).
    #[arg(long, env = "PRIVATE_CHAT_RATE_UPGRADES", default_value_t = limits::RATE_UPGRADES_PER_MINUTE)]
    pub rate_upgrades_per_minute: u32,
    /// Most live rooms created through this instance.
    #[arg(long, env = "PRIVATE_CHAT_MAX_ROOMS", default_value_t = limits::MAX_ROOMS)]
    pub max_rooms: usize,
    /// Most open connections (HTTP and sockets) of this instance.
    #[arg(long, env = "PRIVATE_CHAT_MAX_CONNECTIONS", default_value_t = limits::MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Most open connections from one client address.
    #[arg(long, env = "PRIVATE_CHAT_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = limits::MAX_CONNECTIONS_PER_ADDRESS)]
    pub max_connections_per_address: usize,
    /// Seconds a connection may take to send a request's headers, and may
    /// stay open with no request (idle keep-alive).
    #[arg(long, env = "PRIVATE_CHAT_HEADER_TIMEOUT_SECS", default_value_t = limits::HEADER_TIMEOUT_SECS)]
    pub header_timeout_secs: u64,
    /// Seconds a request's body may take to arrive.
    #[arg(long, env = "PRIVATE_CHAT_BODY_TIMEOUT_SECS", default_value_t = limits::BODY_TIMEOUT_SECS)]
    pub body_timeout_secs: u64,
    /// On SIGTERM, seconds `/readyz` answers 503 before the server stops
    /// accepting and tells its sockets to reconnect elsewhere.
    #[arg(long, env = "PRIVATE_CHAT_DRAIN_GRACE_SECS", default_value_t = 5)]
    pub drain_grace_secs: u64,
    /// Serve HTTPS and WSS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, env = "PRIVATE_CHAT_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, env = "PRIVATE_CHAT_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Log as JSON lines instead of human-readable text.
    #[arg(long, env = "PRIVATE_CHAT_LOG_JSON")]
    pub log_json: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8787)),
            redis_url: None,
            redis_cluster: false,
            redis_wait_replicas: 0,
            default_ttl_secs: limits::DEFAULT_TTL_SECS,
            min_ttl_secs: limits::MIN_TTL_SECS,
            max_ttl_secs: limits::MAX_TTL_SECS,
            max_messages_per_room: limits::MAX_MESSAGES_PER_ROOM,
            max_sockets_per_member: limits::MAX_SOCKETS_PER_MEMBER,
            rate_create_per_minute: limits::RATE_CREATE_PER_MINUTE,
            rate_join_per_minute: limits::RATE_JOIN_PER_MINUTE,
            rate_messages_per_second: limits::RATE_MESSAGES_PER_SECOND,
            rate_upgrades_per_minute: limits::RATE_UPGRADES_PER_MINUTE,
            max_rooms: limits::MAX_ROOMS,
            max_connections: limits::MAX_CONNECTIONS,
            max_connections_per_address: limits::MAX_CONNECTIONS_PER_ADDRESS,
            header_timeout_secs: limits::HEADER_TIMEOUT_SECS,
            body_timeout_secs: limits::BODY_TIMEOUT_SECS,
            drain_grace_secs: 5,
            tls_cert: None,
            tls_key: None,
            log_json: false,
        }
    }
}

impl Config {
    /// Checks the values against each other, so a bad flag fails at start-up
    /// rather than on the first request.
    pub fn validate(&self) -> Result<(), String> {
        if self.min_ttl_secs == 0 {
            return Err("--min-ttl-secs must be at least 1".into());
        }
        if self.min_ttl_secs > self.max_ttl_secs {
            return Err("--min-ttl-secs is above --max-ttl-secs".into());
        }
        if !(self.min_ttl_secs..=self.max_ttl_secs).contains(&self.default_ttl_secs) {
            return Err("--default-ttl-secs lies outside --min-ttl-secs..=--max-ttl-secs".into());
        }
        if self.max_messages_per_room == 0 || self.max_sockets_per_member == 0 {
            return Err("message and socket limits must be at least 1".into());
        }
        if self.max_rooms == 0 || self.max_connections == 0 || self.max_connections_per_address == 0
        {
            return Err("room and connection limits must be at least 1".into());
        }
        if self.header_timeout_secs == 0 || self.body_timeout_secs == 0 {
            return Err("header and body timeouts must be at least 1 second".into());
        }
        if self.redis_wait_replicas > 0 && self.redis_url.is_none() {
            return Err("--redis-wait-replicas needs --redis-url".into());
        }
        if let Some(urls) = &self.redis_url {
            crate::store::redis_conn::Target::parse(urls, self.redis_cluster)?;
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return Err("--tls-cert and --tls-key go together".into());
        }
        Ok(())
    }

    /// A configuration without per-address rates, for load generators and
    /// tests that speak for many people from one address.
    pub fn without_rate_limits(self) -> Self {
        Self {
            rate_create_per_minute: 0,
            rate_join_per_minute: 0,
            rate_messages_per_second: 0,
            rate_upgrades_per_minute: 0,
            max_connections_per_address: self.max_connections,
            ..self
        }
    }

    /// The lifetime for a create request, or `None` when it is out of range.
    pub fn ttl_for(&self, requested: Option<u64>) -> Option<Duration> {
        let secs = requested.unwrap_or(self.default_ttl_secs);
        (self.min_ttl_secs..=self.max_ttl_secs)
            .contains(&secs)
            .then(|| Duration::from_secs(secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_ttl_bounds_hold() {
        let c = Config::default();
        c.validate().unwrap();
        assert_eq!(c.ttl_for(None), Some(Duration::from_secs(600)));
        assert_eq!(c.ttl_for(Some(59)), None);
        assert_eq!(c.ttl_for(Some(86_401)), None);
        assert_eq!(c.ttl_for(Some(60)), Some(Duration::from_secs(60)));
    }

    #[test]
    fn inconsistent_flags_are_refused() {
        let c = Config {
            min_ttl_secs: 10,
            max_ttl_secs: 5,
            ..Config::default()
        };
        assert!(c.validate().is_err());
        let c = Config {
            default_ttl_secs: 1,
            ..Config::default()
        };
        assert!(c.validate().is_err());
    }
}
