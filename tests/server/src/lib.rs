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

pub use client::{Api, Socket};
pub use server::{Backend, TestServer};

/// A free TCP port on loopback (free when asked; tests bind it soon after),
/// never handed out twice by this process: the kernel may give a port it
/// just gave to another test running in parallel, which has not bound it
/// yet.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Option<std::collections::HashSet<u16>>> =
        std::sync::Mutex::new(None);
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    let given = given.get_or_insert_with(Default::default);
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free loopback port");
        if given.insert(port) {
            return port;
        }
    }
}
