//! Which server the app starts on: `PRIVATE_CHAT_SERVER` at run time, then
//! the server chosen in the settings, then `PRIVATE_CHAT_DEFAULT_SERVER` at
//! build time (what phone builds use: a phone should not host rooms), else
//! this computer ([`crate::embedded`]).

use private_chat_protocol::app::ServerSettings;

/// Environment variable naming an external server (`http(s)://host:port`).
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

/// Where rooms live at start-up: [`configured`] with this process's
/// environment and build, over what the settings say.
pub fn initial_settings(saved: ServerSettings) -> ServerSettings {
    let env = std::env::var(SERVER_ENV).ok();
    let saved_url = match &saved {
        ServerSettings::Server { url } => Some(url.clone()),
        ServerSettings::ThisComputer { .. } => None,
    };
    match configured(env, saved_url, BUILT_IN_SERVER) {
        Some(url) => ServerSettings::Server { url },
        None => saved,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
