//! The root: owns the reducer, wires the shell's events and commands to it.

use private_chat_protocol::app::{Bootstrap, CommandError, RoomView};
use serde::Serialize;
use yew::prelude::*;

use super::lobby::Lobby;
use super::notice::NoticeBanner;
use super::room::RoomView as RoomScreen;
use crate::bridge::{self, NoArgs};
use crate::state::{Action, Screen, State};

/// How often the clock ticks (countdown, typing and "Copied" timeouts).
const TICK_MS: u32 = 250;
/// Typing signals are sent at most this often.
const TYPING_EVERY_MS: f64 = 2_000.0;

#[derive(Serialize)]
struct JoinArgs {
    invite: String,
}

#[derive(Serialize)]
struct SendArgs {
    body: String,
    nonce: String,
}

#[derive(Serialize)]
struct TitleArgs {
    title: String,
}

fn now() -> f64 {
    js_sys::Date::now()
}

fn enter(state: UseReducerHandle<State>, cmd: &'static str, args: impl Serialize + 'static) {
    state.dispatch(Action::Busy);
    wasm_bindgen_futures::spawn_local(async move {
        match bridge::call::<_, RoomView>(cmd, &args).await {
            Ok(view) => state.dispatch(Action::Entered(view)),
            Err(err) => state.dispatch(Action::EnterFailed(err)),
        }
    });
}

#[function_component]
pub fn App() -> Html {
    let state = use_reducer(|| State {
        now_ms: now(),
        ..State::default()
    });

    // Start-up: events first, so nothing pushed during bootstrap is missed.
    {
        let state = state.clone();
        use_effect_with((), move |_| {
            let events = state.clone();
            bridge::on_room_event(Callback::from(move |e| events.dispatch(Action::Event(e))));
            let links = state.clone();
            bridge::on_open_invite(Callback::from(move |invite| {
                enter(links.clone(), "join_room", JoinArgs { invite })
            }));
            wasm_bindgen_futures::spawn_local(async move {
                match bridge::call::<_, Bootstrap>("bootstrap", &NoArgs {}).await {
                    Ok(boot) => {
                        let invite = boot.invite.clone();
                        state.dispatch(Action::Booted(boot));
                        // Started from an invite link: join it now.
                        if let Some(invite) = invite {
                            enter(state, "join_room", JoinArgs { invite });
                        }
                    }
                    Err(err) => state.dispatch(Action::BootFailed(err.message)),
                }
            });
        });
    }
    // The clock.
    {
        let state = state.clone();
        use_effect_with((), move |_| {
            let tick = gloo_timers::callback::Interval::new(TICK_MS, move || {
                state.dispatch(Action::Tick(now()))
            });
            move || drop(tick)
        });
    }
    // The window title follows the room and its countdown.
    {
        let title = state.title();
        use_effect_with(title, |title| {
            bridge::fire(
                "set_title",
                TitleArgs {
                    title: title.clone(),
                },
            )
        });
    }

    let last_typing = use_mut_ref(|| 0.0_f64);
    let on_create = {
        let state = state.clone();
        Callback::from(move |()| enter(state.clone(), "create_room", NoArgs {}))
    };
    let on_join = {
        let state = state.clone();
        Callback::from(move |invite: String| enter(state.clone(), "join_room", JoinArgs { invite }))
    };
    let on_new_name = {
        let state = state.clone();
        Callback::from(move |()| {
            let state = state.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(name) = bridge::call::<_, String>("regenerate_name", &NoArgs {}).await {
                    state.dispatch(Action::NameChanged(name));
                }
            });
        })
    };
    let on_dismiss = {
        let state = state.clone();
        Callback::from(move |()| state.dispatch(Action::DismissNotice))
    };
    let on_copy = {
        let state = state.clone();
        Callback::from(move |()| {
            let state = state.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if bridge::call::<_, ()>("copy_invite", &NoArgs {})
                    .await
                    .is_ok()
                {
                    state.dispatch(Action::Copied);
                }
            });
        })
    };
    let on_destroy = {
        let state = state.clone();
        Callback::from(move |()| {
            state.dispatch(Action::DestroyAsked);
            let state = state.clone();
            wasm_bindgen_futures::spawn_local(async move {
                // The shell asks with a native dialog; `false` means cancelled.
                // On success the room's `ended` event takes us to the lobby.
                match bridge::call::<_, bool>("destroy_room", &NoArgs {}).await {
                    Ok(true) => {}
                    Ok(false) => state.dispatch(Action::DestroyCancelled),
                    Err(CommandError { message, .. }) => {
                        state.dispatch(Action::DestroyFailed(message))
                    }
                }
            });
        })
    };
    let on_send = {
        let state = state.clone();
        Callback::from(move |body: String| {
            let nonce = format!("{:x}", (js_sys::Math::random() * 2f64.powi(52)) as u64);
            state.dispatch(Action::Sending {
                nonce: nonce.clone(),
                body: body.clone(),
            });
            let state = state.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(err) = bridge::call::<_, ()>(
                    "send_message",
                    &SendArgs {
                        body,
                        nonce: nonce.clone(),
                    },
                )
                .await
                {
                    state.dispatch(Action::SendRejected {
                        nonce,
                        message: err.message,
                    });
                }
            });
        })
    };
    let on_typing = Callback::from(move |()| {
        let t = now();
        let mut last = last_typing.borrow_mut();
        if t - *last >= TYPING_EVERY_MS {
            *last = t;
            bridge::fire("typing", NoArgs {});
        }
    });

    let banner = match (&state.notice, &state.error) {
        (Some(notice), _) => Some(html! {
            <NoticeBanner text={notice.text()} kind={"info"} on_dismiss={on_dismiss.clone()} />
        }),
        (None, Some(err)) if !matches!(state.screen, Screen::Room(_)) => Some(html! {
            <NoticeBanner text={err.clone()} kind={"error"} on_dismiss={on_dismiss.clone()} />
        }),
        _ => None,
    };

    html! {
        <div class="app">
            { for banner }
            { match &state.screen {
                Screen::Loading => html! { <main class="loading" data-testid="loading">{ "Starting…" }</main> },
                Screen::Lobby => html! {
                    <Lobby name={state.name.clone()} busy={state.busy} embedded={state.embedded}
                        server_url={state.server_url.clone()} on_create={on_create} on_join={on_join}
                        on_new_name={on_new_name} />
                },
                Screen::Room(room) => html! {
                    <RoomScreen room={room.clone()} now_ms={state.now_ms}
                        error={state.error.clone().map(AttrValue::from)}
                        on_copy={on_copy} on_destroy={on_destroy} on_send={on_send}
                        on_typing={on_typing} on_dismiss={on_dismiss} />
                },
            } }
        </div>
    }
}
