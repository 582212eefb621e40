//! The lobby: your anonymous name, create a room, or join one by invite.

use private_chat_protocol::app::{ServerInfo, LOBBY_INTERACTIVE_MARK};
use private_chat_protocol::invite::Invite;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LobbyProps {
    pub name: AttrValue,
    pub busy: bool,
    pub server: Option<ServerInfo>,
    pub on_create: Callback<()>,
    pub on_join: Callback<String>,
    pub on_new_name: Callback<()>,
    pub on_settings: Callback<()>,
}

#[function_component]
pub fn Lobby(props: &LobbyProps) -> Html {
    let invite = use_state(String::new);
    let local_error = use_state(|| None::<String>);

    let on_input = {
        let invite = invite.clone();
        let local_error = local_error.clone();
        Callback::from(move |e: InputEvent| {
            invite.set(e.target_unchecked_into::<HtmlInputElement>().value());
            local_error.set(None);
        })
    };
    let submit = {
        let invite = invite.clone();
        let local_error = local_error.clone();
        let on_join = props.on_join.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            // Checked here for a quick answer; the shell parses it again.
            match Invite::parse(&invite) {
                Ok(_) => on_join.emit((*invite).clone()),
                Err(err) => local_error.set(Some(err.to_string())),
            }
        })
    };
    // The first time the lobby can be used (name shown, buttons enabled),
    // for the start-up benchmark (tests/e2e/src/bin/startup.rs).
    let interactive = !props.name.is_empty() && !props.busy;
    use_effect_with(interactive, |interactive| {
        if *interactive {
            mark_once(LOBBY_INTERACTIVE_MARK);
        }
    });
    let create = props.on_create.reform(|_: MouseEvent| ());
    let new_name = props.on_new_name.reform(|_: MouseEvent| ());
    let settings = props.on_settings.reform(|_: MouseEvent| ());
    let (reach, url) = props
        .server
        .as_ref()
        .map(|s| (s.reach(), s.url.clone()))
        .unwrap_or_default();

    html! {
        <main class="lobby" data-testid="lobby">
            <header class="brand">
                <div class="logo" aria-hidden="true">{ "◐" }</div>
                <div>
                    <h1>{ "private_chat" }</h1>
                    <p class="tagline">{ "Two people. One room. Gone without a trace." }</p>
                </div>
            </header>

            <section class="card identity">
                <span class="label">{ "You appear as" }</span>
                <div class="name-row">
                    <strong class="name" data-testid="my-name">{ props.name.clone() }</strong>
                    <button class="ghost small" data-testid="new-name" onclick={new_name} disabled={props.busy}
                        title="Pick a new random name">{ "New name" }</button>
                </div>
            </section>

            <section class="card">
                <h2>{ "Start a room" }</h2>
                <p class="hint">{ "It self-destructs after 10 minutes, or the moment either of you destroys it." }</p>
                <button class="primary wide" data-testid="create-room" onclick={create} disabled={props.busy}>
                    { if props.busy { "Working…" } else { "Create room" } }
                </button>
            </section>

            <section class="card">
                <h2>{ "Join a room" }</h2>
                <form class="join" onsubmit={submit}>
                    <label for="invite" class="sr-only">{ "Invite link or room code" }</label>
                    <input id="invite" type="text" autocomplete="off" spellcheck="false"
                        placeholder="privchat://room/… or room code" data-testid="invite-input"
                        value={(*invite).clone()} oninput={on_input} disabled={props.busy} />
                    <button class="primary" type="submit" data-testid="join-room"
                        disabled={props.busy || invite.trim().is_empty()}>{ "Join" }</button>
                </form>
                if let Some(err) = &*local_error {
                    <p class="field-error" data-testid="invite-error">{ err.clone() }</p>
                }
            </section>

            <footer class="server">
                <span data-testid="server-info" data-server={url}>{ reach }</span>
                <button class="ghost small" data-testid="open-settings" onclick={settings} disabled={props.busy}>
                    { "Settings" }
                </button>
            </footer>
        </main>
    }
}

/// Sets a Web Performance mark unless one of that name exists: start-up
/// milestones a benchmark reads over WebDriver.
fn mark_once(name: &str) {
    let Some(performance) = web_sys::window().and_then(|w| w.performance()) else {
        return;
    };
    if performance.get_entries_by_name(name).length() == 0 {
        let _ = performance.mark(name);
    }
}
