//! The one module that talks to the Tauri shell: `invoke` for commands and
//! `listen` for pushed events, through `window.__TAURI__`
//! (`app.withGlobalTauri` in tauri.conf.json). Everything else in the UI is
//! plain Rust.

use private_chat_protocol::app::{CommandError, RoomEvent, OPEN_INVITE_EVENT, ROOM_EVENT};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use yew::Callback;

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

fn serializer() -> serde_wasm_bindgen::Serializer {
    // Plain objects, not Maps, so the shell's serde sees ordinary JSON.
    serde_wasm_bindgen::Serializer::json_compatible()
}

/// Calls a shell command; its error comes back as a [`CommandError`].
pub async fn call<A: Serialize, R: DeserializeOwned>(
    cmd: &str,
    args: &A,
) -> Result<R, CommandError> {
    let args = args
        .serialize(&serializer())
        .map_err(|e| local_error(&e.to_string()))?;
    match tauri_invoke(cmd, args).await {
        Ok(value) => serde_wasm_bindgen::from_value(value).map_err(|e| local_error(&e.to_string())),
        Err(err) => Err(
            serde_wasm_bindgen::from_value(err.clone()).unwrap_or_else(|_| {
                local_error(&err.as_string().unwrap_or_else(|| format!("{err:?}")))
            }),
        ),
    }
}

/// Calls a command that returns nothing, ignoring the answer (typing, title).
pub fn fire<A: Serialize + 'static>(cmd: &'static str, args: A) {
    wasm_bindgen_futures::spawn_local(async move {
        let _ = call::<A, ()>(cmd, &args).await;
    });
}

fn local_error(message: &str) -> CommandError {
    CommandError {
        notice: None,
        message: format!("The app could not complete that: {message}"),
    }
}

/// No arguments.
#[derive(Serialize)]
pub struct NoArgs {}

/// Delivers every payload of a shell event, for the life of the page.
pub fn listen<T: DeserializeOwned + 'static>(event: &'static str, callback: Callback<T>) {
    let handler = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
        let payload =
            js_sys::Reflect::get(&event, &JsValue::from_str("payload")).unwrap_or(JsValue::NULL);
        if let Ok(payload) = serde_wasm_bindgen::from_value::<T>(payload) {
            callback.emit(payload);
        }
    });
    wasm_bindgen_futures::spawn_local(async move {
        let _ = tauri_listen(event, &handler).await;
        // The listener lives as long as the page does.
        handler.forget();
    });
}

/// Delivers every [`RoomEvent`] the shell emits.
pub fn on_room_event(callback: Callback<RoomEvent>) {
    listen(ROOM_EVENT, callback);
}

/// Delivers every invite link opened from outside the app.
pub fn on_open_invite(callback: Callback<String>) {
    listen(OPEN_INVITE_EVENT, callback);
}
