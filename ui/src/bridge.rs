//! The one module that talks to the Tauri shell, through `window.__TAURI__`
//! (`app.withGlobalTauri` in src-tauri/tauri.conf.json): one typed function
//! per command of [`private_chat_protocol::app::command`], room channels,
//! and the one global event (invites opened from outside). Everything else
//! in the UI is plain Rust.

use private_chat_protocol::app::{
    command, Bootstrap, CommandError, JoinRoomArgs, NotificationArgs, RoomEvent, SendMessageArgs,
    ServerInfo, ServerSettings, SetTitleArgs, ARGS_ARG, EVENTS_ARG, OPEN_INVITE_EVENT,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::Callback;

use crate::decode::Decode;
use crate::encode::Encode;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], js_name = invoke, catch)]
    async fn tauri_invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "event"], js_name = listen, catch)]
    async fn tauri_listen(
        event: &str,
        handler: &Closure<dyn FnMut(JsValue)>,
    ) -> Result<JsValue, JsValue>;
}

fn local_error(message: &str) -> CommandError {
    CommandError {
        notice: None,
        message: format!("The app could not complete that: {message}"),
    }
}

/// A new `Channel` of Tauri's IPC whose messages go to `events`.
fn room_channel(events: Callback<RoomEvent>) -> Result<JsValue, CommandError> {
    let missing = |_| local_error("Tauri's IPC channel is unavailable");
    let tauri = js_sys::Reflect::get(&js_sys::global(), &"__TAURI__".into()).map_err(missing)?;
    let core = js_sys::Reflect::get(&tauri, &"core".into()).map_err(missing)?;
    let class: js_sys::Function = js_sys::Reflect::get(&core, &"Channel".into())
        .map_err(missing)?
        .dyn_into()
        .map_err(|_| local_error("Tauri's Channel is not a class"))?;
    let channel = js_sys::Reflect::construct(&class, &js_sys::Array::new()).map_err(missing)?;
    let handler = Closure::<dyn FnMut(JsValue)>::new(move |message: JsValue| {
        if let Some(event) = RoomEvent::decode(&message) {
            events.emit(event);
        }
    });
    // The channel owns its handler from now on (the JS garbage collector frees both).
    js_sys::Reflect::set(&channel, &"onmessage".into(), &handler.into_js_value())
        .map_err(missing)?;
    Ok(channel)
}

/// One invoke: a command with its arguments and, when it enters a room,
/// the room's channel.
struct Invoke {
    command: &'static str,
    payload: js_sys::Object,
    failed: Option<CommandError>,
}

impl Invoke {
    fn new(command: &'static str) -> Self {
        Self {
            command,
            payload: js_sys::Object::new(),
            failed: None,
        }
    }

    fn set(mut self, key: &str, value: Result<JsValue, CommandError>) -> Self {
        match value {
            Ok(value) => {
                let _ = js_sys::Reflect::set(&self.payload, &key.into(), &value);
            }
            Err(e) => self.failed = Some(e),
        }
        self
    }

    fn args<A: Encode>(self, args: &A) -> Self {
        self.set(ARGS_ARG, Ok(args.encode()))
    }

    fn events(self, events: Callback<RoomEvent>) -> Self {
        self.set(EVENTS_ARG, room_channel(events))
    }

    async fn call<R: Decode>(self) -> Result<R, CommandError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        match tauri_invoke(self.command, self.payload.into()).await {
            Ok(value) => R::decode(&value)
                .ok_or_else(|| local_error("the shell's answer was not understood")),
            Err(err) => Err(CommandError::decode(&err).unwrap_or_else(|| {
                local_error(&err.as_string().unwrap_or_else(|| format!("{err:?}")))
            })),
        }
    }

    /// Calls without waiting for the answer (typing, title).
    fn fire(self) {
        wasm_bindgen_futures::spawn_local(async move {
            let _ = self.call::<()>().await;
        });
    }
}

/// Start-up; a resumed room's events come to `events`, its view first.
pub async fn bootstrap(events: Callback<RoomEvent>) -> Result<Bootstrap, CommandError> {
    Invoke::new(command::BOOTSTRAP).events(events).call().await
}

/// A new random name, saved by the shell.
pub async fn regenerate_name() -> Result<String, CommandError> {
    Invoke::new(command::REGENERATE_NAME).call().await
}

/// Creates a room; its events come to `events`, its view first.
pub async fn create_room(events: Callback<RoomEvent>) -> Result<(), CommandError> {
    Invoke::new(command::CREATE_ROOM)
        .events(events)
        .call()
        .await
}

/// Joins the room of an invite; its events come to `events`, its view first.
/// `false` when the person declined a confirmation.
pub async fn join_room(invite: String, events: Callback<RoomEvent>) -> Result<bool, CommandError> {
    Invoke::new(command::JOIN_ROOM)
        .args(&JoinRoomArgs { invite })
        .events(events)
        .call()
        .await
}

/// Sends a message; its echo comes on the room's channel with `nonce`.
pub async fn send_message(body: String, nonce: String) -> Result<(), CommandError> {
    Invoke::new(command::SEND_MESSAGE)
        .args(&SendMessageArgs { body, nonce })
        .call()
        .await
}

/// Tells the other person this one is typing.
pub fn typing() {
    Invoke::new(command::TYPING).fire();
}

/// Puts the invite on the clipboard.
pub async fn copy_invite() -> Result<(), CommandError> {
    Invoke::new(command::COPY_INVITE).call().await
}

/// Asks natively, then destroys; `false` when the person cancelled.
pub async fn destroy_room() -> Result<bool, CommandError> {
    Invoke::new(command::DESTROY_ROOM).call().await
}

/// Checks, saves and switches where new rooms live.
pub async fn save_settings(settings: ServerSettings) -> Result<ServerInfo, CommandError> {
    Invoke::new(command::SAVE_SETTINGS)
        .args(&settings)
        .call()
        .await
}

/// Whether notifications show message text.
pub async fn set_notifications(show_text: bool) -> Result<(), CommandError> {
    Invoke::new(command::SET_NOTIFICATIONS)
        .args(&NotificationArgs { show_text })
        .call()
        .await
}

/// Sets the window title.
pub fn set_title(title: String) {
    Invoke::new(command::SET_TITLE)
        .args(&SetTitleArgs { title })
        .fire();
}

/// Delivers every invite link opened from outside the app, for the life of
/// the page.
pub fn on_open_invite(callback: Callback<String>) {
    let handler = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
        let payload =
            js_sys::Reflect::get(&event, &JsValue::from_str("payload")).unwrap_or(JsValue::NULL);
        if let Some(link) = payload.as_string() {
            callback.emit(link);
        }
    });
    wasm_bindgen_futures::spawn_local(async move {
        let _ = tauri_listen(OPEN_INVITE_EVENT, &handler).await;
        // The listener lives as long as the page does.
        handler.forget();
    });
}
