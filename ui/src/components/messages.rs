//! The message list: own messages right, the other person's left; drafts
//! in flight below. Text is always rendered as text, never as HTML.

use std::rc::Rc;

use private_chat_protocol::app::ChatMessage;
use web_sys::{ScrollBehavior, ScrollIntoViewOptions, ScrollLogicalPosition};
use yew::prelude::*;

use crate::state::{display_name, Pending};

#[derive(Properties, PartialEq)]
pub struct MessagesProps {
    /// Shared with the state: comparing props compares the pointer first.
    pub messages: Rc<Vec<ChatMessage>>,
    pub pending: Vec<Pending>,
    pub me: AttrValue,
    pub peer_typing: bool,
    pub peer_name: Option<AttrValue>,
}

/// `HH:MM` in local time.
fn clock(ms: u64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
}

#[function_component]
pub fn MessageList(props: &MessagesProps) -> Html {
    let end = use_node_ref();
    {
        // Keep the newest line in view whenever something arrives.
        let end = end.clone();
        let count = props.messages.len() + props.pending.len() + usize::from(props.peer_typing);
        use_effect_with(count, move |_| {
            if let Some(el) = end.cast::<web_sys::Element>() {
                let opts = ScrollIntoViewOptions::new();
                opts.set_behavior(ScrollBehavior::Smooth);
                opts.set_block(ScrollLogicalPosition::End);
                el.scroll_into_view_with_scroll_into_view_options(&opts);
            }
        });
    }
    let empty = props.messages.is_empty() && props.pending.is_empty();
    html! {
        <section class="messages" data-testid="message-list" aria-live="polite">
            if empty {
                <p class="empty" data-testid="empty-room">{ "No messages yet. Nothing here is kept after the room ends." }</p>
            }
            { for props.messages.iter().map(|m| {
                let mine = m.member_id == props.me.as_str();
                html! {
                    <article class={classes!("bubble", if mine { "mine" } else { "theirs" }, m.text.is_none().then_some("unverified"))}
                        data-testid={if mine { "message-mine" } else { "message-theirs" }} data-id={m.id.to_string()}>
                        <header>
                            <span class="who">{ if mine { "You".to_string() } else { display_name(&m.name) } }</span>
                            <time>{ clock(m.sent_at_ms) }</time>
                        </header>
                        if let Some(text) = &m.text {
                            <p class="body" data-testid="message-body">{ text.clone() }</p>
                        } else {
                            <p class="body" data-testid="message-unverified"
                                title="It was changed on the way, replayed, or sealed with another key. Its text is not shown.">
                                { "⚠ This message could not be verified." }
                            </p>
                        }
                    </article>
                }
            }) }
            { for props.pending.iter().map(|p| html! {
                <article class={classes!("bubble", "mine", "pending", p.failed.as_ref().map(|_| "failed"))} data-testid="message-pending">
                    <header>
                        <span class="who">{ "You" }</span>
                        <time>{ if p.failed.is_some() { "not sent" } else { "sending…" } }</time>
                    </header>
                    <p class="body">{ p.body.clone() }</p>
                    if let Some(reason) = &p.failed {
                        <p class="failure" data-testid="message-failed">{ reason.clone() }</p>
                    }
                </article>
            }) }
            if props.peer_typing {
                <p class="typing" data-testid="typing-indicator">
                    { props.peer_name.clone().unwrap_or_else(|| "The other person".into()) }{ " is typing…" }
                </p>
            }
            <div ref={end} class="end" />
        </section>
    }
}
