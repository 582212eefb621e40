//! The real desktop app under test: a virtual display, a WebKitWebDriver per
//! launch, and the built `private-chat` binary with its own data directory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::webdriver::Session;

/// The app binary: `PRIVATE_CHAT_APP` or `target/debug/private-chat`.
pub fn app_binary() -> PathBuf {
    let path = std::env::var_os("PRIVATE_CHAT_APP")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/debug/private-chat")
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
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../artifacts/e2e"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
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
}

/// How to launch the app.
#[derive(Default, Clone)]
pub struct Launch {
    /// Keep settings here (name, saved room); a fresh directory when `None`.
    pub data_dir: Option<PathBuf>,
    /// Extra environment for the app (`PRIVATE_CHAT_SERVER`, ...).
    pub env: Vec<(String, String)>,
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
        let mut cmd = Command::new("WebKitWebDriver");
        cmd.arg(format!("--port={port}"))
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
                "webkitgtk:browserOptions": { "binary": crate::app::app_binary().to_string_lossy(), "args": [] }
            }
        });
        let ui = Session::open(&url, caps)
            .await
            .expect("a WebDriver session on the app");
        let app = Self {
            ui,
            driver,
            data_dir,
        };
        // The UI is up once it shows the lobby or a room (an empty page,
        // say a wasm that failed to start, shows neither).
        app.ui.find("[data-testid=lobby], [data-testid=room]").await;
        app
    }

    /// Saves a screenshot under the artifacts folder and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let path = artifacts().join(format!("{name}.png"));
        std::fs::write(&path, self.ui.screenshot().await).unwrap();
        println!("screenshot: {}", path.display());
        path
    }

    /// Closes the app (and its driver).
    pub async fn quit(mut self) {
        let ui = std::mem::replace(&mut self.ui, Session::placeholder());
        ui.close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
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
