//! Two computers on one machine: two network namespaces joined by a veth
//! pair, with TEST-NET-1 addresses (192.0.2.0/24, never routed anywhere) that
//! exist only inside them. A test runs each side on a thread of its own that
//! has entered its namespace, so every socket it opens and every process it
//! starts (the app, its WebDriver, D-Bus) live on that "computer". Removed
//! when dropped; nothing outside the two namespaces is touched.

use std::net::Ipv4Addr;
use std::process::Command;
use std::thread::JoinHandle;

/// One side: a namespace and its address on the shared link.
#[derive(Debug, Clone)]
pub struct Computer {
    pub netns: String,
    pub address: Ipv4Addr,
}

/// The two namespaces and the link between them.
pub struct TwoComputers {
    pub a: Computer,
    pub b: Computer,
}

fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .output()
        .expect("iproute2's ip is installed");
    assert!(
        out.status.success(),
        "ip {}: {} (network namespaces need root)",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    );
}

impl TwoComputers {
    /// Creates both namespaces, the veth pair, the addresses, and loopback
    /// in each (the app serves itself on it).
    pub fn create() -> Self {
        let tag = std::process::id() % 100_000;
        let a = Computer {
            netns: format!("privchat-a-{tag}"),
            address: Ipv4Addr::new(192, 0, 2, 1),
        };
        let b = Computer {
            netns: format!("privchat-b-{tag}"),
            address: Ipv4Addr::new(192, 0, 2, 2),
        };
        let computers = Self { a, b };
        for c in [&computers.a, &computers.b] {
            ip(&["netns", "add", &c.netns]);
            ip(&["-n", &c.netns, "link", "set", "lo", "up"]);
        }
        let (va, vb) = (format!("pcva{tag}"), format!("pcvb{tag}"));
        ip(&[
            "link",
            "add",
            &va,
            "netns",
            &computers.a.netns,
            "type",
            "veth",
            "peer",
            "name",
            &vb,
            "netns",
            &computers.b.netns,
        ]);
        for (c, dev) in [(&computers.a, &va), (&computers.b, &vb)] {
            ip(&[
                "-n",
                &c.netns,
                "addr",
                "add",
                &format!("{}/24", c.address),
                "dev",
                dev,
            ]);
            ip(&["-n", &c.netns, "link", "set", dev, "up"]);
        }
        computers
    }

    /// Runs `work` on a new thread inside `computer`'s namespace.
    pub fn run_on<T: Send + 'static>(
        &self,
        computer: &Computer,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> JoinHandle<T> {
        let path = format!("/var/run/netns/{}", computer.netns);
        std::thread::spawn(move || {
            enter(&path);
            work()
        })
    }
}

/// Moves the calling thread (and whatever it starts) into a namespace.
fn enter(path: &str) {
    use std::os::fd::AsRawFd;
    let ns = std::fs::File::open(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    // SAFETY: setns(2) on a namespace file we opened; it affects this thread only.
    let done = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
    assert_eq!(done, 0, "setns {path}: {}", std::io::Error::last_os_error());
}

impl Drop for TwoComputers {
    fn drop(&mut self) {
        // Deleting a namespace deletes its end of the veth pair, and so both.
        for c in [&self.a, &self.b] {
            let _ = Command::new("ip").args(["netns", "del", &c.netns]).status();
        }
    }
}
