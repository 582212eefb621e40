//! The composer: Enter sends, Shift+Enter starts a new line; a byte counter
//! near the limit; disabled, with the reason, while disconnected.

use private_chat_protocol::limits::MAX_TEXT_BYTES;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

use crate::state::COUNTER_FROM;

#[derive(Properties, PartialEq)]
pub struct ComposerProps {
    /// Why sending is impossible right now, if it is.
    pub blocked: Option<AttrValue>,
    pub on_send: Callback<String>,
    pub on_typing: Callback<()>,
}

#[function_component]
pub fn Composer(props: &ComposerProps) -> Html {
    let text = use_state(String::new);
    let field = use_node_ref();
    let bytes = text.len();
    let too_long = bytes > MAX_TEXT_BYTES;
    let sendable = props.blocked.is_none() && !text.trim().is_empty() && !too_long;

    let send = {
        let text = text.clone();
        let on_send = props.on_send.clone();
        let field = field.clone();
        move || {
            if sendable {
                on_send.emit((*text).clone());
                text.set(String::new());
                if let Some(el) = field.cast::<HtmlTextAreaElement>() {
                    let _ = el.focus();
                }
            }
        }
    };
    let on_input = {
        let text = text.clone();
        let on_typing = props.on_typing.clone();
        Callback::from(move |e: InputEvent| {
            text.set(e.target_unchecked_into::<HtmlTextAreaElement>().value());
            on_typing.emit(());
        })
    };
    let on_keydown = {
        let send = send.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" && !e.shift_key() && !e.is_composing() {
                e.prevent_default();
                send();
            }
        })
    };
    let on_submit = Callback::from(move |e: SubmitEvent| {
        e.prevent_default();
        send();
    });

    html! {
        <form class="composer" onsubmit={on_submit} data-testid="composer">
            if let Some(reason) = &props.blocked {
                <p class="blocked" data-testid="composer-blocked">{ reason.clone() }</p>
            }
            <div class="compose-row">
                <label for="compose" class="sr-only">{ "Message" }</label>
                <textarea id="compose" ref={field} rows="1" placeholder="Write a message…"
                    data-testid="composer-input" value={(*text).clone()}
                    oninput={on_input} onkeydown={on_keydown} disabled={props.blocked.is_some()} />
                <button class="primary send" type="submit" data-testid="send" disabled={!sendable}
                    aria-label="Send">{ "Send" }</button>
            </div>
            if bytes >= COUNTER_FROM {
                <p class={classes!("counter", too_long.then_some("over"))} data-testid="composer-counter">
                    { format!("{bytes} / {MAX_TEXT_BYTES} bytes") }
                </p>
            }
        </form>
    }
}
