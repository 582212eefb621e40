//! Invites that reach the app from outside: a `privchat://` link the app was
//! started with, or one a second launch hands over (single instance).
//!
//! Arguments are read here rather than by the deep-link plugin, which drops
//! anything that does not parse as a URL: a malformed link must still reach
//! the UI, to be refused there with a notice.

use private_chat_protocol::app::OPEN_INVITE_EVENT;
use private_chat_protocol::invite::{MAX_INVITE_LEN, SCHEME};
use tauri::{AppHandle, Emitter, Manager, Runtime};

/// The first argument that looks like an invite link (`privchat:...`), cut
/// to a bound so a hostile argument cannot grow without limit.
pub fn invite_arg<S: AsRef<str>>(args: impl IntoIterator<Item = S>) -> Option<String> {
    args.into_iter().find_map(|arg| {
        let arg = arg.as_ref().trim();
        let scheme = arg.get(..SCHEME.len() + 1)?;
        scheme
            .eq_ignore_ascii_case(&format!("{SCHEME}:"))
            .then(|| arg.chars().take(MAX_INVITE_LEN + 1).collect())
    })
}

/// Brings the main window to the front.
pub fn focus_main<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Hands an invite to the UI, which joins it (or says why not).
pub fn open<R: Runtime>(app: &AppHandle<R>, link: String) {
    tracing::info!("invite link received");
    focus_main(app);
    if let Err(e) = app.emit(OPEN_INVITE_EVENT, link) {
        tracing::warn!("cannot hand the invite to the UI: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_link_among_arguments() {
        let link = "privchat://room/3f2b8c1e-4a5d-4e6f-8a9b-0c1d2e3f4a5b";
        assert_eq!(invite_arg([link]).as_deref(), Some(link));
        assert_eq!(invite_arg(["--flag", link]).as_deref(), Some(link));
        assert_eq!(
            invite_arg(["PRIVCHAT://room/x"]).as_deref(),
            Some("PRIVCHAT://room/x")
        );
        // Malformed links still come through, to be refused with a notice.
        assert_eq!(
            invite_arg(["privchat:garbage"]).as_deref(),
            Some("privchat:garbage")
        );
        assert_eq!(invite_arg(["https://example.org", "priv", ""]), None);
        assert_eq!(invite_arg(Vec::<String>::new()), None);
        let huge = format!("privchat://{}", "x".repeat(10_000));
        assert_eq!(invite_arg([huge]).unwrap().len(), MAX_INVITE_LEN + 1);
        assert_eq!(invite_arg(["privchat\u{e9}://"]), None);
    }
}
