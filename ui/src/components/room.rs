//! The room: invite, countdown, presence, messages, composer, destroy.

use private_chat_protocol::app::{Connection, Security};
use yew::prelude::*;

use super::composer::Composer;
use super::messages::MessageList;
use super::qr::InviteQr;
use crate::bridge;
use crate::hooks::use_now;
use crate::state::{display_name, Room};

/// How often the room's clock ticks (countdown, typing and "Copied").
const TICK_MS: u32 = 250;

#[derive(Properties, PartialEq)]
pub struct RoomProps {
    pub room: Room,
    pub error: Option<AttrValue>,
    pub on_copy: Callback<()>,
    pub on_destroy: Callback<()>,
    pub on_send: Callback<String>,
    pub on_typing: Callback<()>,
    pub on_dismiss: Callback<()>,
}

#[function_component]
pub fn RoomView(props: &RoomProps) -> Html {
    let room = &props.room;
    let now = use_now(TICK_MS);
    // The window title follows the countdown.
    use_effect_with(room.title(now), |title| bridge::set_title(title.clone()));
    let peer = room.peer();
    let (presence_class, presence_text) = match peer {
        None => ("waiting", "Waiting for someone to join…".to_string()),
        Some(p) if p.online => ("online", format!("{} is here", display_name(&p.name))),
        Some(p) => ("away", format!("{} is away", display_name(&p.name))),
    };
    let (conn_class, conn_text) = match room.connection {
        Connection::Online => ("online", "Connected"),
        Connection::Connecting => ("connecting", "Connecting…"),
        Connection::Reconnecting => ("reconnecting", "Reconnecting…"),
    };
    let copy = props.on_copy.reform(|_: MouseEvent| ());
    let destroy = props.on_destroy.reform(|_: MouseEvent| ());
    let dismiss = props.on_dismiss.reform(|_: MouseEvent| ());

    html! {
        <main class="room" data-testid="room">
            <header class="room-bar">
                <div class="room-id">
                    <span class="label">{ "Room" }</span>
                    <code data-testid="room-id" title={room.room_id.clone()}>{ room.short_id() }</code>
                </div>
                <div class={classes!("countdown", room.warning(now).then_some("warning"))}
                    data-testid="countdown" role="timer" aria-label="Time until the room self-destructs">
                    <span class="label">{ "Self-destructs in" }</span>
                    <strong>{ room.countdown(now) }</strong>
                </div>
                <div class="actions">
                    <button class="ghost" data-testid="copy-invite" onclick={copy} title={room.invite.clone()}>
                        { if room.copied(now) { "Copied ✓" } else { "Copy invite" } }
                    </button>
                    <button class="danger" data-testid="destroy-room" onclick={destroy} disabled={room.destroying}>
                        { if room.destroying { "Destroying…" } else { "Destroy" } }
                    </button>
                </div>
            </header>

            <div class="status-row">
                <span class={classes!("presence", presence_class)} data-testid="presence">
                    <i class="dot" aria-hidden="true" />{ presence_text }
                </span>
                <span class={classes!("connection", conn_class)} data-testid="connection" data-state={conn_class}>
                    <i class="dot" aria-hidden="true" />{ conn_text }
                </span>
            </div>

            if let Some(code) = room.safety_code() {
                <section class="safety" data-testid="safety">
                    <span class="label">{ "Safety code" }</span>
                    <strong data-testid="safety-code">{ code.to_string() }</strong>
                    <span class="hint">{ "End-to-end encrypted. Compare this code with the other person (in person or on a call): the same code on both screens means no one else can read this room. A different one means someone else took the seat." }</span>
                </section>
            }
            if let Security::Failed { reason } = &room.security {
                <div class="notice error" role="alert" data-testid="security-failed">
                    <span>{ reason.clone() }</span>
                </div>
            }

            if peer.is_none() {
                <section class="share" data-testid="share-hint">
                    <div class="share-text">
                        <p>{ "Share the invite with one person. Only they can join." }</p>
                        <code class="invite" data-testid="invite-link">{ room.invite.clone() }</code>
                    </div>
                    <InviteQr svg={AttrValue::from(room.invite_qr.clone())} />
                </section>
            }

            if let Some(err) = &props.error {
                <div class="notice error" role="alert" data-testid="room-error">
                    <span>{ err.clone() }</span>
                    <button class="icon" aria-label="Dismiss" onclick={dismiss}>{ "×" }</button>
                </div>
            }

            <MessageList messages={room.messages.clone()} pending={room.pending.clone()}
                me={room.member_id.clone()} peer_typing={room.peer_typing(now)}
                peer_name={room.peer_name().map(AttrValue::from)} />

            <Composer blocked={room.composer_blocked().map(AttrValue::from)}
                on_send={props.on_send.clone()} on_typing={props.on_typing.clone()} />
        </main>
    }
}
