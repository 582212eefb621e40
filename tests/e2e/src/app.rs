//! The real desktop app under test: a virtual display, a WebKitWebDriver per
//! launch, and the built `private-chat` binary with its own data directory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use private_chat_tests::{free_port, wait_child};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::webdriver::Session;

/// The app binary: `PRIVATE_CHAT_APP` or `target/debug/private-chat`.
pub fn app_binary() -> PathBuf {
    let path = std::env::var_os("PRIVATE_CHAT_APP")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/debug/private-chat")
        });
    assert!(
        path.exists(),
        "{} is missing: the test command builds the app first",
        path.display()
    );
    path
}

/// Where screenshots go: `PRIVATE_CHAT_ARTIFACTS` or `artifacts/e2e`.
pub fn artifacts() -> PathBuf {
    let dir = std::env::var_os("PRIVATE_CHAT_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../artifacts/e2e"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The X display: the test command runs the end-to-end tests under
/// `xvfb-run`, which owns the virtual display's lifetime.
pub fn display() -> String {
    std::env::var("DISPLAY")
        .ok()
        .filter(|d| !d.is_empty())
        .expect(
            "DISPLAY is not set: run the end-to-end tests under xvfb-run, as scripts/test.sh does",
        )
}

/// A running app window driven over WebDriver.
pub struct App {
    pub ui: Session,
    driver: Child,
    pub data_dir: PathBuf,
    env: Vec<(String, String)>,
    /// This app's own D-Bus session: the single-instance plugin lives there,
    /// so no launch can reach an instance of another test.
    bus: Child,
    bus_address: String,
}

/// Starts a private D-Bus session daemon; returns it and its address.
fn private_bus() -> (Child, String) {
    use std::io::BufRead;
    let mut bus = Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--print-address=1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-daemon must be installed (the test command installs dbus)");
    let mut line = String::new();
    std::io::BufReader::new(bus.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("dbus-daemon prints its address");
    (bus, line.trim().to_owned())
}

/// How to launch the app.
#[derive(Default, Clone)]
pub struct Launch {
    /// Keep settings here (name, saved room); a fresh directory when `None`.
    pub data_dir: Option<PathBuf>,
    /// Extra environment for the app (`PRIVATE_CHAT_SERVER`, ...).
    pub env: Vec<(String, String)>,
    /// Command-line arguments (an invite link, as a clicked link gives).
    pub args: Vec<String>,
    /// Another binary than [`app_binary`] (say, one installed from the package).
    pub binary: Option<PathBuf>,
    /// What shows that the window is up; the lobby or a room when `None`.
    pub ready: Option<String>,
}

impl App {
    pub async fn launch(launch: Launch) -> Self {
        let data_dir = launch.data_dir.clone().unwrap_or_else(|| {
            let dir = std::env::temp_dir().join(format!(
                "private-chat-e2e-{}-{}",
                std::process::id(),
                free_port()
            ));
            std::fs::create_dir_all(&dir).unwrap();
            dir
        });
        let port = free_port();
        let (bus, bus_address) = private_bus();
        let mut cmd = Command::new("WebKitWebDriver");
        cmd.arg(format!("--port={port}"))
            .env("DBUS_SESSION_BUS_ADDRESS", &bus_address)
            .env("DISPLAY", display())
            .env("TAURI_WEBVIEW_AUTOMATION", "true")
            .env("XDG_DATA_HOME", &data_dir)
            .env("XDG_CONFIG_HOME", &data_dir)
            .env("PRIVATE_CHAT_MIN_TTL_SECS", "1")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (k, v) in &launch.env {
            cmd.env(k, v);
        }
        let driver = cmd.spawn().expect(
            "WebKitWebDriver must be installed (the test command installs webkit2gtk-driver)",
        );
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(10);
        let http = reqwest::Client::new();
        while http.get(format!("{url}/status")).send().await.is_err() {
            assert!(Instant::now() < deadline, "WebKitWebDriver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let caps = json!({
            "alwaysMatch": {
                "webkitgtk:browserOptions": { "binary": launch.binary.clone().unwrap_or_else(app_binary).to_string_lossy(), "args": launch.args }
            }
        });
        let ui = Session::open(&url, caps)
            .await
            .expect("a WebDriver session on the app");
        let app = Self {
            ui,
            driver,
            data_dir,
            env: launch.env,
            bus,
            bus_address,
        };
        // The UI is up once it shows the lobby or a room (an empty page,
        // say a wasm that failed to start, shows neither).
        let ready = launch.ready.as_deref();
        app.ui
            .find(ready.unwrap_or("[data-testid=lobby], [data-testid=room]"))
            .await;
        app
    }

    /// Saves a screenshot under the artifacts folder and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let path = artifacts().join(format!("{name}.png"));
        std::fs::write(&path, self.ui.screenshot().await).unwrap();
        println!("screenshot: {}", path.display());
        path
    }

    /// Where the app reaches the server it uses (the lobby footer's
    /// `data-server`): for its own server, the loopback address.
    pub async fn embedded_server(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let footer = self.ui.find("[data-testid=server-info]").await;
            if let Some(url) = self.ui.attr(&footer, "data-server").await {
                if url.starts_with("http") {
                    return url;
                }
            }
            assert!(
                Instant::now() < deadline,
                "the lobby never named its server"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits for the lobby showing `expected` as its notice.
    pub async fn notice(&self, expected: private_chat_protocol::app::Notice) {
        self.ui
            .wait_text("[data-testid=notice-text]", expected.text(), |t| {
                t == expected.text()
            })
            .await;
        self.ui.find("[data-testid=lobby]").await;
    }

    /// The safety code the room shows once the keys are agreed.
    pub async fn safety_code(&self) -> String {
        self.ui
            .wait_text("[data-testid=safety-code]", "a safety code", |t| {
                t.len() == 7
            })
            .await
    }

    /// Waits until this window and `other` show one safety code.
    pub async fn same_safety_code(&self, other: &App) -> String {
        let code = self.safety_code().await;
        other
            .ui
            .wait_text("[data-testid=safety-code]", "the same code", |t| t == code)
            .await;
        code
    }

    /// Waits until the room says `name` is here.
    pub async fn sees_here(&self, name: &str) {
        let expected = format!("{name} is here");
        self.ui
            .wait_text("[data-testid=presence]", &expected, |t| t == expected)
            .await;
    }

    /// The full id of the room on screen.
    pub async fn shown_room_id(&self) -> String {
        let id = self.ui.find("[data-testid=room-id]").await;
        self.ui
            .attr(&id, "title")
            .await
            .expect("the room id element has the full id as title")
    }

    /// The app's processes: the app (the driver's child) and everything it
    /// started (WebKit's web and network processes), pids first to last.
    pub fn processes(&self) -> Vec<i32> {
        let mut all = children_of(self.driver.id());
        let mut i = 0;
        while i < all.len() {
            let more = children_of(all[i] as u32);
            all.extend(more);
            i += 1;
        }
        all
    }

    /// The private D-Bus session of this app (for launches that must reach it).
    pub fn bus_address(&self) -> &str {
        &self.bus_address
    }

    /// Opens a link the way a desktop does: a second launch of the app with
    /// the link as its argument, which hands it to this running instance
    /// (single instance) and exits.
    pub fn open_link(&self, link: &str) {
        let mut cmd = Command::new(app_binary());
        cmd.arg(link)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus_address)
            .env("DISPLAY", display())
            .env("XDG_DATA_HOME", &self.data_dir)
            .env("XDG_CONFIG_HOME", &self.data_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("the app binary starts");
        match wait_child(&mut child, Duration::from_secs(20)) {
            Some(status) => assert!(status.success(), "the second launch failed: {status}"),
            None => panic!("the second launch did not hand over its link and exit"),
        }
    }

    /// Closes the app (and its driver).
    pub async fn quit(mut self) {
        let ui = std::mem::replace(&mut self.ui, Session::placeholder());
        ui.close().await;
        self.stop();
    }

    /// Ends the app process and its driver. Deleting the WebDriver session
    /// does not end a Tauri app, so the app (the driver's child) is sent
    /// SIGTERM, then SIGKILL if it lingers; a lingering app would also
    /// capture the next launch through the single-instance plugin.
    fn stop(&mut self) {
        let children = children_of(self.driver.id());
        for pid in &children {
            signal(*pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while children.iter().any(|pid| alive(*pid)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        for pid in &children {
            signal(*pid, libc::SIGKILL);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}

impl Drop for App {
    fn drop(&mut self) {
        self.stop();
    }
}

fn children_of(pid: u32) -> Vec<i32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return vec![];
    };
    tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("children")).ok())
        .flat_map(|list| {
            list.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<i32>>()
        })
        .collect()
}

fn signal(pid: i32, sig: i32) {
    // SAFETY: kill(2) on a process id we started (through the driver).
    unsafe {
        libc::kill(pid, sig);
    }
}

fn alive(pid: i32) -> bool {
    // A zombie is gone for our purposes; /proc/<pid>/stat says which.
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit(')')
            .next()
            .is_some_and(|rest| !rest.trim_start().starts_with('Z'))
    })
}

/// Answers the native confirmation dialog with a key, through xdotool: the
/// dialog is a real GTK window that WebDriver cannot see.
pub fn answer_native_dialog(title: &str, key: &str) {
    let xdotool = |args: &[&str]| {
        Command::new("xdotool")
            .env("DISPLAY", display())
            .args(args)
            .output()
            .expect("xdotool must be installed (the test command installs it)")
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        // Only a mapped window can take the focus.
        let found = xdotool(&["search", "--onlyvisible", "--name", title]);
        let window = String::from_utf8_lossy(&found.stdout)
            .lines()
            .next()
            .map(str::to_owned);
        if let Some(window) = window {
            // No window manager runs under Xvfb, so give the dialog the input
            // focus directly and type real (XTEST) keys into it.
            if xdotool(&[
                "windowfocus",
                "--sync",
                &window,
                "key",
                "--clearmodifiers",
                key,
            ])
            .status
            .success()
            {
                return;
            }
        }
        assert!(
            Instant::now() < deadline,
            "could not answer a native dialog titled {title:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
