//! A real `redis-server` on a free loopback port, owned by the test process.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::free_port;

/// A `redis-server` child. It dies with the test process even on a panic or
/// `SIGKILL` of the parent (`PR_SET_PDEATHSIG`), so no test leaks one.
pub struct RedisServer {
    port: u16,
    child: Child,
}

/// Starts `redis-server` from one thread that lives as long as the process:
/// `PR_SET_PDEATHSIG` fires when the spawning *thread* ends, and test threads
/// end after each test.
fn spawn(port: u16) -> Child {
    spawn_with(port, Vec::new())
}

/// [`spawn`] with more `redis-server` arguments (cluster nodes use it).
pub(crate) fn spawn_with(port: u16, extra: Vec<String>) -> Child {
    type Request = (u16, Vec<String>, mpsc::Sender<std::io::Result<Child>>);
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<Request>>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Request>();
        std::thread::spawn(move || {
            for (port, extra, reply) in rx {
                let _ = reply.send(spawn_here(port, &extra));
            }
        });
        Mutex::new(tx)
    });
    let (reply, answer) = mpsc::channel();
    spawner
        .lock()
        .unwrap()
        .send((port, extra, reply))
        .expect("spawner thread alive");
    answer
        .recv()
        .expect("spawner answers")
        .expect("redis-server must be installed (the test command installs Debian's redis-server)")
}

fn spawn_here(port: u16, extra: &[String]) -> std::io::Result<Child> {
    let mut cmd = Command::new("redis-server");
    cmd.args([
        "--port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ])
    .args(extra)
    .stdout(Stdio::null())
    .stderr(Stdio::inherit());
    // SAFETY: prctl is async-signal-safe and touches only this child.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    cmd.spawn()
}

/// Starts `redis-server` on a port from `pick`, with `extra(port)` more
/// arguments, and returns once it answers as this child: a port taken by
/// another process since it was picked makes the child exit while that
/// process answers, so the answer must carry the child's process id.
pub(crate) fn spawn_own(
    pick: impl Fn() -> u16,
    extra: impl Fn(u16) -> Vec<String>,
) -> (u16, Child) {
    for _ in 0..5 {
        let port = pick();
        let mut child = spawn_with(port, extra(port));
        wait_ready(port);
        let pid = format!("process_id:{}", child.id());
        let ours = cli(port, &["INFO", "server"])
            .lines()
            .any(|l| l.trim() == pid);
        if ours && matches!(child.try_wait(), Ok(None)) {
            return (port, child);
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("no redis-server could start on a port of its own in 5 tries");
}

/// `redis-cli -p <port> <args>`, its output trimmed.
pub fn cli(port: u16, args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .output()
        .expect("redis-cli is installed with redis-server");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

pub(crate) fn wait_ready(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let client = ::redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
    while Instant::now() < deadline {
        if let Ok(mut conn) = client.get_connection() {
            if ::redis::cmd("PING").query::<String>(&mut conn).is_ok() {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("redis-server on port {port} did not answer within 10 s");
}

impl RedisServer {
    /// Starts a fresh server and waits until it answers PING.
    pub fn start() -> Self {
        let (port, child) = spawn_own(free_port, |_| Vec::new());
        Self { port, child }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills the server (as a crash would) without starting it again.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Freezes the process (SIGSTOP): it holds its data and its connections
    /// but answers nothing, as a hung or cut-off Redis would.
    pub fn freeze(&self) {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGSTOP) };
    }

    /// Lets a frozen server go on (SIGCONT).
    pub fn thaw(&self) {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGCONT) };
    }

    /// Starts it again on the same port, empty.
    pub fn restart(&mut self) {
        self.kill();
        self.child = spawn(self.port);
        wait_ready(self.port);
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The Redis that the tests of this binary share: `PRIVATE_CHAT_TEST_REDIS_URL`
/// when set (an external server), else one `redis-server` started on first use.
pub fn shared_url() -> String {
    static SHARED: OnceLock<String> = OnceLock::new();
    static SERVER: OnceLock<RedisServer> = OnceLock::new();
    SHARED
        .get_or_init(|| match std::env::var("PRIVATE_CHAT_TEST_REDIS_URL") {
            Ok(url) if !url.is_empty() => url,
            _ => SERVER.get_or_init(RedisServer::start).url(),
        })
        .clone()
}
