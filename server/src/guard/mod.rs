//! Limits that keep one client, or many, from exhausting the server:
//! per-address rates ([`rate`]), the cap on live rooms ([`rooms`]) and the
//! caps on open connections ([`connections`]). Every refusal is a typed
//! [`crate::Error`]: 429 `rate_limited` with `Retry-After` for one address
//! over its share, 503 `server_full` when the instance as a whole is.

pub mod connections;
pub mod rate;
pub mod rooms;

use std::net::IpAddr;
use std::sync::Arc;

use crate::config::Config;

/// History pages written at once.
const PAGE_WRITERS: usize = 2;

/// The limits of one server instance. Cheap to share.
pub struct Guard {
    pub rates: rate::Rates,
    pub rooms: rooms::RoomCap,
    pub connections: Arc<connections::Connections>,
    /// History pages written at once (each may be megabytes of JSON, written
    /// on a blocking thread): bounds that work to about the machine's cores.
    pub page_writers: tokio::sync::Semaphore,
}

impl Guard {
    pub fn new(config: &Config) -> Self {
        Self {
            rates: rate::Rates::new(config),
            rooms: rooms::RoomCap::new(config.max_rooms),
            connections: Arc::new(connections::Connections::new(
                config.max_connections,
                config.max_connections_per_address,
            )),
            page_writers: tokio::sync::Semaphore::new(PAGE_WRITERS),
        }
    }
}

/// What limits count by: an IPv4 address, or an IPv6 address's /64. One host
/// usually holds a whole /64, so counting single IPv6 addresses would let it
/// pose as billions of clients.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(bits.into())
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_counts_by_its_64_and_mapped_v4_as_v4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(client_key(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(client_key(v4), v4);
    }
}
