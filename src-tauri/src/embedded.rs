//! Which room server the app uses: a configured one, or its own.
//!
//! The server is, in order: `PRIVATE_CHAT_SERVER` at run time, `server_url`
//! in the settings, `PRIVATE_CHAT_DEFAULT_SERVER` at build time (what phone
//! builds use: a phone's loopback server could only serve one person).
//! Without any of them, the app runs
//! the server library in-process on a free loopback port with the in-memory
//! store, so it works on a fresh machine with nothing else installed. Rooms
//! of the embedded server live as long as this app runs.

use private_chat_server::{Config, RunningServer};

/// The server in use.
pub struct ServerChoice {
    pub url: String,
    /// Present when the server runs inside the app.
    pub embedded: Option<RunningServer>,
}

/// Environment variable naming an external server (`http://host:port`).
pub const SERVER_ENV: &str = "PRIVATE_CHAT_SERVER";
/// The server baked in at build time, if any.
pub const BUILT_IN_SERVER: Option<&str> = option_env!("PRIVATE_CHAT_DEFAULT_SERVER");

impl ServerChoice {
    /// The configured server, else a freshly started embedded one.
    pub async fn pick(configured: Option<String>) -> Result<Self, String> {
        let configured = std::env::var(SERVER_ENV)
            .ok()
            .filter(|s| !s.trim().is_empty())
            .or(configured);
        if let Some(url) = configured {
            return Ok(Self {
                url: url.trim().trim_end_matches('/').to_owned(),
                embedded: None,
            });
        }
        let mut config = Config {
            listen: "127.0.0.1:0".parse().expect("a literal address"),
            ..Config::default()
        };
        // End-to-end tests shorten room lifetimes; people never set this.
        if let Ok(min) = std::env::var("PRIVATE_CHAT_MIN_TTL_SECS") {
            config.min_ttl_secs = min
                .parse()
                .map_err(|_| "PRIVATE_CHAT_MIN_TTL_SECS is not a number".to_string())?;
        }
        let server = private_chat_server::start(config)
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!("embedded room server on {}", server.url());
        Ok(Self {
            url: server.url(),
            embedded: Some(server),
        })
    }

    pub fn is_embedded(&self) -> bool {
        self.embedded.is_some()
    }
}
