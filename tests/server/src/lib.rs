//! Helpers for black-box tests of the room server over real sockets: a real
//! `redis-server` per test binary, servers on free loopback ports, and a
//! deliberately raw client (status codes and JSON values, not typed calls),
//! so the tests see exactly what goes over the wire.
//!
//! # Layout
//! - [`redis`]: spawning and restarting `redis-server`.
//! - [`cluster`]: a six-node Redis Cluster of `redis-server`s.
//! - [`server`]: starting the room server on either backend.
//! - [`client`]: raw HTTP and WebSocket calls.
//! - [`relay`]: the load generator's floor, a bare WebSocket relay.
//! - [`memory`]: a process's resident memory, for the benchmarks.
//!
//! The end-to-end tests of the app window live in their own crate
//! (`tests/e2e`), so these build and run without the app.

pub mod client;
pub mod cluster;
pub mod memory;
pub mod redis;
pub mod relay;
pub mod server;

use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

pub use client::{Api, Socket};
pub use server::{Backend, TestServer};

/// Claims `port` for this process: true the first time, false after. Tests
/// run in parallel, and a port picked as free is not bound at once, so two
/// tests could pick the same one (the kernel may give a port it just gave to
/// another; two clusters once drew the same node port, and one hung).
pub(crate) fn claim_port(port: u16) -> bool {
    use std::collections::HashSet;
    use std::sync::Mutex;
    static CLAIMED: Mutex<Option<HashSet<u16>>> = Mutex::new(None);
    let mut claimed = CLAIMED.lock().unwrap_or_else(|e| e.into_inner());
    claimed.get_or_insert_with(HashSet::new).insert(port)
}

/// Waits up to `within` for `child` to exit; past that, kills and reaps it
/// and returns `None`, so a helper process that hangs fails its test instead
/// of holding it for ever.
pub fn wait_child(child: &mut Child, within: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("a child's status can be read") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A free TCP port on loopback (free when asked; tests bind it soon after),
/// never handed out twice by this process ([`claim_port`]).
pub fn free_port() -> u16 {
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free loopback port");
        if claim_port(port) {
            return port;
        }
    }
}
