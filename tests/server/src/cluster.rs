//! A real Redis Cluster: six `redis-server` nodes (three masters, three
//! replicas) on free loopback ports, each with its cluster bus on port +
//! 10000, created by `redis-cli --cluster create` and ready only when every
//! replica's link to its master is up (`cluster_state:ok` alone is not).

use std::hash::{BuildHasher, RandomState};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub use crate::redis::cli;
use crate::redis::{spawn_own, spawn_with, wait_ready};

const NODES: usize = 6;

pub struct RedisCluster {
    nodes: Vec<(u16, Child)>,
    dir: PathBuf,
}

/// The `redis-server` arguments of a cluster node on `port`.
fn node_args(dir: &std::path::Path, port: u16) -> Vec<String> {
    let conf = dir.join(format!("nodes-{port}.conf"));
    [
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        conf.to_str().unwrap(),
        "--cluster-node-timeout",
        "1000",
        "--dir",
        dir.to_str().unwrap(),
    ]
    .iter()
    .map(|a| a.to_string())
    .collect()
}

/// Where node ports are drawn from: below the kernel's ephemeral range
/// (32768 and up by default) together with their bus ports (+10000), so an
/// outgoing connection cannot take one between the check and the node's
/// bind.
const NODE_PORTS: std::ops::Range<u16> = 20_000..22_700;

/// How long `redis-cli --cluster create` may take (about 4 s here): it
/// waits for ever if a node it met goes away.
const CREATE_WITHIN: Duration = Duration::from_secs(60);

/// A free port whose cluster bus port (+10000) is free too, never handed
/// out twice by this process ([`crate::claim_port`]).
fn free_pair() -> u16 {
    let span = u64::from(NODE_PORTS.end - NODE_PORTS.start);
    let free = |p: u16| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok();
    loop {
        let port = NODE_PORTS.start + (RandomState::new().hash_one(Instant::now()) % span) as u16;
        if free(port) && free(port + 10_000) && crate::claim_port(port) {
            return port;
        }
    }
}

impl RedisCluster {
    pub fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("private-chat-cluster-{}", free_pair()));
        std::fs::create_dir_all(&dir).unwrap();
        let nodes = (0..NODES)
            .map(|_| spawn_own(free_pair, |port| node_args(&dir, port)))
            .collect();
        let cluster = Self { nodes, dir };
        cluster.create();
        cluster.wait_ready(Duration::from_secs(30));
        cluster
    }

    /// Joins the nodes into a cluster with `redis-cli --cluster create`,
    /// bounded by [`CREATE_WITHIN`].
    fn create(&self) {
        let addresses: Vec<String> = self
            .ports()
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        // Its output (a few KiB) goes to a file: a pipe nobody reads while
        // waiting could fill and stall it.
        let log = self.dir.join("create.log");
        let mut create = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addresses)
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-cli is installed with redis-server");
        let status = crate::wait_child(&mut create, CREATE_WITHIN);
        let output = std::fs::read_to_string(&log).unwrap_or_default();
        match status {
            Some(status) if status.success() => {}
            Some(_) => panic!("cluster create failed: {output}"),
            None => panic!("cluster create did not finish within {CREATE_WITHIN:?}: {output}"),
        }
    }

    pub fn ports(&self) -> Vec<u16> {
        self.nodes.iter().map(|(p, _)| *p).collect()
    }

    /// Every node as a seed URL, comma-separated (the server's `--redis-url`).
    pub fn urls(&self) -> String {
        self.ports()
            .iter()
            .map(|p| format!("redis://127.0.0.1:{p}/"))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The ports of the nodes that are masters now.
    pub fn masters(&self) -> Vec<u16> {
        self.live_ports()
            .into_iter()
            .filter(|p| cli(*p, &["ROLE"]).starts_with("master"))
            .collect()
    }

    fn live_ports(&self) -> Vec<u16> {
        self.ports()
            .into_iter()
            .filter(|p| cli(*p, &["PING"]) == "PONG")
            .collect()
    }

    /// Waits until every live node says `cluster_state:ok` and every replica
    /// says its link to its master is up.
    pub fn wait_ready(&self, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let ready = self.live_ports().iter().all(|p| {
                cli(*p, &["CLUSTER", "INFO"]).contains("cluster_state:ok") && {
                    let replication = cli(*p, &["INFO", "replication"]);
                    replication.contains("role:master")
                        || replication.contains("master_link_status:up")
                }
            });
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the cluster did not become ready"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Every key on every live node whose name contains `needle`.
    pub fn keys_containing(&self, needle: &str) -> Vec<String> {
        let pattern = format!("*{needle}*");
        self.live_ports()
            .iter()
            .flat_map(|p| {
                cli(*p, &["--scan", "--pattern", &pattern])
                    .lines()
                    .map(|k| format!("{p}: {k}"))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// The master that holds `key`'s slot now.
    pub fn master_of(&self, key: &str) -> u16 {
        let slot: u16 = cli(self.masters()[0], &["CLUSTER", "KEYSLOT", key])
            .parse()
            .unwrap();
        *self
            .masters()
            .iter()
            .find(|p| owns(**p, slot))
            .expect("a master owns every slot")
    }

    /// The replica that copies the master on `master`.
    pub fn replica_of(&self, master: u16) -> u16 {
        let info = cli(master, &["INFO", "replication"]);
        let line = info
            .lines()
            .find(|l| l.starts_with("slave0:"))
            .expect("the master has a replica");
        let port = line
            .split(',')
            .find_map(|kv| kv.strip_prefix("port="))
            .expect("the replica's port");
        port.parse().unwrap()
    }

    /// Freezes a node (SIGSTOP): it answers nothing, holds its data.
    pub fn freeze(&self, port: u16) {
        self.signal(port, libc::SIGSTOP);
    }

    /// Lets a frozen node go on (SIGCONT).
    pub fn thaw(&self, port: u16) {
        self.signal(port, libc::SIGCONT);
    }

    fn signal(&self, port: u16, signal: i32) {
        let (_, child) = self
            .nodes
            .iter()
            .find(|(p, _)| *p == port)
            .expect("a node of this cluster");
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as i32, signal) };
    }

    /// Starts a killed node again with its cluster file: it rejoins, as a
    /// replica of whoever took over its slots.
    pub fn restart(&mut self, port: u16) {
        let node = self
            .nodes
            .iter_mut()
            .find(|(p, _)| *p == port)
            .expect("a node of this cluster");
        node.1 = spawn_with(port, node_args(&self.dir, port));
        wait_ready(port);
    }

    /// Kills a node as a crash would (`kill -9`).
    pub fn kill(&mut self, port: u16) {
        if let Some((_, child)) = self.nodes.iter_mut().find(|(p, _)| *p == port) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Whether the master on `port` serves `slot`: `CLUSTER NODES` lists its
/// own slot ranges on the `myself` line.
fn owns(port: u16, slot: u16) -> bool {
    let nodes = cli(port, &["CLUSTER", "NODES"]);
    let Some(me) = nodes.lines().find(|l| l.contains("myself")) else {
        return false;
    };
    me.split_whitespace().skip(8).any(|range| {
        let mut ends = range.split('-').map(|n| n.parse::<u16>());
        match (ends.next(), ends.next()) {
            (Some(Ok(a)), Some(Ok(b))) => (a..=b).contains(&slot),
            (Some(Ok(a)), None) => a == slot,
            _ => false,
        }
    })
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for (_, child) in &mut self.nodes {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// Tests in parallel draw node ports at once: no two get the same, and
    /// none is in the range the kernel gives outgoing connections.
    #[test]
    fn node_ports_are_handed_out_once_below_the_ephemeral_range() {
        let drawn: Vec<u16> = std::thread::scope(|s| {
            let threads: Vec<_> = (0..4)
                .map(|_| s.spawn(|| (0..50).map(|_| free_pair()).collect::<Vec<_>>()))
                .collect();
            threads
                .into_iter()
                .flat_map(|t| t.join().unwrap())
                .collect()
        });
        let distinct: HashSet<u16> = drawn.iter().copied().collect();
        assert_eq!(distinct.len(), drawn.len(), "a port drawn twice");
        let ephemeral = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
            .ok()
            .and_then(|r| r.split_whitespace().next()?.parse::<u16>().ok())
            .unwrap_or(32_768);
        assert!(drawn
            .iter()
            .all(|p| NODE_PORTS.contains(p) && p + 10_000 < ephemeral));
    }
}
