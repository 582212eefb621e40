//! The root: owns the reducer, wires the shell's commands and room channels
//! to it.

use private_chat_protocol::app::{CommandError, RoomEvent};
use yew::prelude::*;

use super::lobby::Lobby;
use super::notice::NoticeBanner;
use super::room::RoomView as RoomScreen;
use super::settings::Settings;
use crate::bridge;
use crate::state::{Action, RoomAction, Screen, State};

/// Typing signals are sent at most this often.
const TYPING_EVERY_MS: f64 = 2_000.0;

/// Where a room's channel delivers: the reducer, stamped with the time.
fn room_events(state: &UseReducerHandle<State>) -> Callback<RoomEvent> {
    let state = state.clone();
    Callback::from(move |event| {
        state.dispatch(Action::Event {
            event,
            now_ms: js_sys::Date::now(),
        })
    })
}

/// Creates (no invite) or joins a room; the view arrives on its channel.
fn enter(state: UseReducerHandle<State>, invite: Option<String>) {
    state.dispatch(Action::Busy);
    wasm_bindgen_futures::spawn_local(async move {
        let events = room_events(&state);
        let entered = match invite {
            Some(invite) => bridge::join_room(invite, events).await,
            None => bridge::create_room(events).await.map(|()| true),
        };
        match entered {
            Ok(true) => {}
            Ok(false) => state.dispatch(Action::EnterCancelled),
            Err(err) => state.dispatch(Action::EnterFailed(err)),
        }
    });
}

#[function_component]
pub fn App() -> Html {
    let state = use_reducer(State::default);

    // Start-up, and invites opened from outside from then on.
    {
        let state = state.clone();
        use_effect_with((), move |_| {
            let links = state.clone();
            bridge::on_open_invite(Callback::from(move |invite| {
                enter(links.clone(), Some(invite))
            }));
            wasm_bindgen_futures::spawn_local(async move {
                match bridge::bootstrap(room_events(&state)).await {
                    Ok(boot) => {
                        let invite = boot.invite.clone();
                        state.dispatch(Action::Booted(boot));
                        // Started from an invite link: join it now.
                        if invite.is_some() {
                            enter(state, invite);
                        }
                    }
                    Err(err) => state.dispatch(Action::BootFailed(err.message)),
                }
            });
        });
    }
    // Outside a room the window has the app's name (the room sets its own).
    {
        let in_room = state.room().is_some();
        use_effect_with(in_room, |in_room| {
            if !in_room {
                bridge::set_title("private_chat".into());
            }
        });
    }

    let last_typing = use_mut_ref(|| 0.0_f64);
    let on_create = {
        let state = state.clone();
        Callback::from(move |()| enter(state.clone(), None))
    };
    let on_join = {
        let state = state.clone();
        Callback::from(move |invite: String| enter(state.clone(), Some(invite)))
    };
    let on_new_name = {
        let state = state.clone();
        Callback::from(move |()| {
            let state = state.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(name) = bridge::regenerate_name().await {
                    state.dispatch(Action::NameChanged(name));
                }
            });
        })
    };
    let on_settings = {
        let state = state.clone();
        Callback::from(move |()| state.dispatch(Action::OpenSettings))
    };
    let on_settings_closed = {
        let state = state.clone();
        Callback::from(move |()| state.dispatch(Action::CloseSettings))
    };
    let on_settings_saved = {
        let state = state.clone();
        Callback::from(move |info| state.dispatch(Action::SettingsSaved(info)))
    };
    let on_notification_text = {
        let state = state.clone();
        Callback::from(move |show: bool| {
            let state = state.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if bridge::set_notifications(show).await.is_ok() {
                    state.dispatch(Action::NotificationTextSet(show));
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
                if bridge::copy_invite().await.is_ok() {
                    let now_ms = js_sys::Date::now();
                    state.dispatch(Action::Room(RoomAction::Copied { now_ms }));
                }
            });
        })
    };
    let on_destroy = {
        let state = state.clone();
        Callback::from(move |()| {
            state.dispatch(Action::Room(RoomAction::DestroyAsked));
            let state = state.clone();
            wasm_bindgen_futures::spawn_local(async move {
                // The shell asks with a native dialog; `false` means cancelled.
                // On success the room's `ended` event takes us to the lobby.
                match bridge::destroy_room().await {
                    Ok(true) => {}
                    Ok(false) => state.dispatch(Action::Room(RoomAction::DestroyCancelled)),
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
            state.dispatch(Action::Room(RoomAction::Sending {
                nonce: nonce.clone(),
                body: body.clone(),
            }));
            let state = state.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(err) = bridge::send_message(body, nonce.clone()).await {
                    state.dispatch(Action::Room(RoomAction::SendRejected {
                        nonce,
                        message: err.message,
                    }));
                }
            });
        })
    };
    let on_typing = Callback::from(move |()| {
        let t = js_sys::Date::now();
        let mut last = last_typing.borrow_mut();
        if t - *last >= TYPING_EVERY_MS {
            *last = t;
            bridge::typing();
        }
    });

    let banner = match (&state.notice, &state.error) {
        (Some(notice), _) => Some(html! {
            <NoticeBanner text={notice.text()} kind={"info"} on_dismiss={on_dismiss.clone()} />
        }),
        (None, Some(err)) if state.room().is_none() => Some(html! {
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
                    <Lobby name={state.name.clone()} busy={state.busy} server={state.server.clone()}
                        on_create={on_create} on_join={on_join} on_new_name={on_new_name}
                        on_settings={on_settings} />
                },
                Screen::Settings => html! {
                    <Settings server={state.server.clone()} on_saved={on_settings_saved}
                        on_close={on_settings_closed} notification_text={state.notification_text}
                        on_notification_text={on_notification_text} />
                },
                Screen::Room(room) => html! {
                    <RoomScreen room={(**room).clone()}
                        error={state.error.clone().map(AttrValue::from)}
                        on_copy={on_copy} on_destroy={on_destroy} on_send={on_send}
                        on_typing={on_typing} on_dismiss={on_dismiss} />
                },
            } }
        </div>
    }
}
