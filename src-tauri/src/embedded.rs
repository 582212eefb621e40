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

/// The external server to use, by precedence: the environment at run time,
/// then the settings, then the one built in; `None` to run our own.
pub fn configured(
    env: Option<String>,
    settings: Option<String>,
    built_in: Option<&str>,
) -> Option<String> {
    [env, settings, built_in.map(str::to_owned)]
        .into_iter()
        .flatten()
        .map(|url| url.trim().trim_end_matches('/').to_owned())
        .find(|url| !url.is_empty())
}

impl ServerChoice {
    /// The configured server (see [`configured`]), else a freshly started
    /// embedded one.
    pub async fn pick(settings: Option<String>) -> Result<Self, String> {
        let env = std::env::var(SERVER_ENV).ok();
        if let Some(url) = configured(env, settings, BUILT_IN_SERVER) {
            return Ok(Self {
                url,
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

#[cfg(test)]
mod tests {
    use super::configured;

    #[test]
    fn environment_then_settings_then_built_in_then_our_own() {
        let some = |s: &str| Some(s.to_owned());
        let built_in = Some("https://built.in/");
        assert_eq!(
            configured(some("http://env:1"), some("http://set:2"), built_in).as_deref(),
            Some("http://env:1")
        );
        assert_eq!(
            configured(None, some(" http://set:2/ "), built_in).as_deref(),
            Some("http://set:2")
        );
        assert_eq!(
            configured(some("  "), None, built_in).as_deref(),
            Some("https://built.in")
        );
        assert_eq!(configured(None, some(""), None), None);
    }
}
