//! Caps on open connections: in all, and per client address. A permit is
//! taken when a connection is accepted and travels with it, through a
//! WebSocket upgrade, until the socket closes.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::client_key;
use crate::error::Error;

/// How long a client refused for its address's connections is told to wait.
const PER_ADDRESS_RETRY: Duration = Duration::from_secs(5);

pub struct Connections {
    max_total: usize,
    max_per_address: usize,
    open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

/// One counted connection; dropping it gives the count back.
pub struct Permit {
    owner: Arc<Connections>,
    key: IpAddr,
}

impl Connections {
    pub fn new(max_total: usize, max_per_address: usize) -> Self {
        Self {
            max_total,
            max_per_address,
            open: Mutex::new(Open::default()),
        }
    }

    fn open(&self) -> std::sync::MutexGuard<'_, Open> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts a new connection from `ip`, or says why it may not stay:
    /// 503 `server_full` past the total, 429 `rate_limited` past the address's share.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Permit, Error> {
        let key = client_key(ip);
        let mut open = self.open();
        if open.total >= self.max_total {
            return Err(Error::server_full("connections"));
        }
        let mine = open.by_address.entry(key).or_insert(0);
        if *mine >= self.max_per_address {
            return Err(Error::rate_limited("connections", PER_ADDRESS_RETRY));
        }
        *mine += 1;
        open.total += 1;
        Ok(Permit {
            owner: self.clone(),
            key,
        })
    }

    /// Open connections in all.
    pub fn total(&self) -> usize {
        self.open().total
    }

    /// Open connections in all, and from the address of `ip`.
    pub fn counts(&self, ip: IpAddr) -> (usize, usize) {
        let open = self.open();
        let mine = open.by_address.get(&client_key(ip)).copied().unwrap_or(0);
        (open.total, mine)
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut open = self.owner.open();
        open.total -= 1;
        if let Some(mine) = open.by_address.get_mut(&self.key) {
            *mine -= 1;
            if *mine == 0 {
                open.by_address.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use private_chat_protocol::ErrorCode;

    #[test]
    fn per_address_then_total_and_permits_give_back() {
        let c = Arc::new(Connections::new(3, 2));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let p1 = c.admit(a).unwrap();
        let _p2 = c.admit(a).unwrap();
        assert_eq!(c.admit(a).err().unwrap().code, ErrorCode::RateLimited);
        let _p3 = c.admit(b).unwrap();
        assert_eq!(c.admit(b).err().unwrap().code, ErrorCode::ServerFull);
        drop(p1);
        assert_eq!(c.counts(a), (2, 1));
        let _p4 = c.admit(a).unwrap();
        assert_eq!(c.counts(b), (3, 1));
    }
}
