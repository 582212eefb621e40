//! Where rooms live: this computer (the app's own server, on the local
//! network, optionally at a forwarded public address) or a standalone
//! server. Saving checks the choice in the shell first.

use private_chat_protocol::app::{ServerInfo, ServerSettings};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::bridge;

#[derive(Properties, PartialEq)]
pub struct SettingsProps {
    pub server: Option<ServerInfo>,
    pub on_saved: Callback<ServerInfo>,
    pub on_close: Callback<()>,
    /// Notifications show message text.
    pub notification_text: bool,
    pub on_notification_text: Callback<bool>,
}

/// Keeps a field's text, and clears the last refusal (it was about the old text).
fn text_input(
    state: &UseStateHandle<String>,
    error: &UseStateHandle<Option<String>>,
) -> Callback<InputEvent> {
    let (state, error) = (state.clone(), error.clone());
    Callback::from(move |e: InputEvent| {
        state.set(e.target_unchecked_into::<HtmlInputElement>().value());
        error.set(None);
    })
}

#[function_component]
pub fn Settings(props: &SettingsProps) -> Html {
    let current = props.server.as_ref().map(|s| s.settings.clone());
    let on_server = use_state(|| matches!(current, Some(ServerSettings::Server { .. })));
    let url = use_state(|| match &current {
        Some(ServerSettings::Server { url }) => url.clone(),
        _ => String::new(),
    });
    let public = use_state(|| match &current {
        Some(ServerSettings::ThisComputer {
            public_address: Some(a),
        }) => a.clone(),
        _ => String::new(),
    });
    let busy = use_state(|| false);
    let error = use_state(|| None::<String>);

    let choose = |server: bool| {
        let on_server = on_server.clone();
        let error = error.clone();
        Callback::from(move |_: Event| {
            on_server.set(server);
            error.set(None);
        })
    };
    let save = {
        let (on_server, url, public) = (on_server.clone(), url.clone(), public.clone());
        let (busy, error, on_saved) = (busy.clone(), error.clone(), props.on_saved.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let settings = if *on_server {
                ServerSettings::Server {
                    url: url.trim().to_owned(),
                }
            } else {
                ServerSettings::ThisComputer {
                    public_address: Some(public.trim().to_owned()).filter(|a| !a.is_empty()),
                }
            };
            busy.set(true);
            error.set(None);
            let (busy, error, on_saved) = (busy.clone(), error.clone(), on_saved.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let saved = bridge::save_settings(settings).await;
                busy.set(false);
                match saved {
                    Ok(info) => on_saved.emit(info),
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };
    let close = props.on_close.reform(|_: MouseEvent| ());
    let toggle_text = props
        .on_notification_text
        .reform(|e: Event| e.target_unchecked_into::<HtmlInputElement>().checked());
    let port = props.server.as_ref().and_then(|s| s.network_port);

    html! {
        <main class="settings" data-testid="settings">
            <header class="brand">
                <div>
                    <h1>{ "Where rooms live" }</h1>
                    <p class="tagline">{ "Rooms you create go there. Invites say where, so the other person needs no setup." }</p>
                </div>
            </header>
            <form class="card settings-form" onsubmit={save}>
                <label class={classes!("choice", (!*on_server).then_some("chosen"))}>
                    <input type="radio" name="where" data-testid="settings-this-computer"
                        checked={!*on_server} onchange={choose(false)} disabled={*busy} />
                    <span>
                        <strong>{ "This computer" }</strong>
                        <span class="hint">{ "The app hosts the room while it is open. People on your network can join; the connection is encrypted and pinned through the invite." }</span>
                    </span>
                </label>
                if !*on_server {
                    <div class="choice-detail">
                        <label for="public" class="label">{ "Public address (optional, for a forwarded port)" }</label>
                        <input id="public" type="text" autocomplete="off" spellcheck="false"
                            placeholder="203.0.113.7:48787" data-testid="settings-public"
                            value={(*public).clone()} oninput={text_input(&public, &error)} disabled={*busy} />
                        if let Some(port) = port {
                            <p class="hint" data-testid="settings-port">
                                { format!("To be reached from the internet, forward TCP port {port} on your router to this computer.") }
                            </p>
                        }
                    </div>
                }
                <label class={classes!("choice", on_server.then_some("chosen"))}>
                    <input type="radio" name="where" data-testid="settings-server"
                        checked={*on_server} onchange={choose(true)} disabled={*busy} />
                    <span>
                        <strong>{ "A server" }</strong>
                        <span class="hint">{ "A private_chat server you or a friend run (see the README: Docker). Rooms there survive restarts of the app." }</span>
                    </span>
                </label>
                if *on_server {
                    <div class="choice-detail">
                        <label for="server-url" class="label">{ "Server address" }</label>
                        <input id="server-url" type="url" autocomplete="off" spellcheck="false"
                            placeholder="https://chat.example.org:8787" data-testid="settings-url"
                            value={(*url).clone()} oninput={text_input(&url, &error)} disabled={*busy} />
                    </div>
                }
                if let Some(message) = &*error {
                    <p class="field-error" role="alert" data-testid="settings-error">{ message.clone() }</p>
                }
                <div class="settings-actions">
                    <button type="button" class="ghost" data-testid="settings-cancel" onclick={close} disabled={*busy}>{ "Cancel" }</button>
                    <button type="submit" class="primary" data-testid="settings-save"
                        disabled={*busy || (*on_server && url.trim().is_empty())}>
                        { if *busy { "Checking…" } else { "Save" } }
                    </button>
                </div>
            </form>
            <section class="card settings-form">
                <label class="choice">
                    <input type="checkbox" data-testid="settings-notification-text"
                        checked={props.notification_text} onchange={toggle_text} />
                    <span>
                        <strong>{ "Show message text in notifications" }</strong>
                        <span class="hint">{ "Off: a notification only says that a message came, so nothing can be read over your shoulder or on a locked screen. Saved at once." }</span>
                    </span>
                </label>
            </section>
        </main>
    }
}
