//! The private_chat UI: Yew, compiled to wasm32 and shown by the Tauri shell.
//!
//! # Layout
//! - [`state`]: the whole UI state as a pure reducer, unit-tested on the host.
//! - [`components`]: what is drawn; one component per concept.
//! - [`bridge`]: the only module that talks to the shell (invoke and listen).
//!
//! The UI never touches the network: the shell owns the room server
//! connection and pushes [`private_chat_protocol::app::RoomEvent`]s.

pub mod bridge;
pub mod components;
pub mod state;

/// The wasm entry point: mounts the app on `<body>`.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    yew::Renderer::<components::app::App>::new().render();
}
