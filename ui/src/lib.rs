//! The private_chat UI: Yew, compiled to wasm32 and shown by the Tauri shell.
//!
//! # Layout
//! - [`state`]: the UI state as pure reducers (the app and lobby; the room),
//!   unit-tested on the host.
//! - [`components`]: what is drawn; one component per concept.
//! - [`hooks`]: the clock, read by the components that show time.
//! - [`bridge`]: the only module that talks to the shell: one typed function
//!   per command, and the room channels; [`decode`] reads what the shell
//!   sends, [`encode`] writes what it is sent.
//!
//! The UI never touches the network: the shell owns the room server
//! connection and pushes [`private_chat_protocol::app::RoomEvent`]s on the
//! channel of the room, its view first.

pub mod bridge;
pub mod components;
pub mod decode;
pub mod encode;
pub mod hooks;
pub mod state;

/// The wasm entry point: mounts the app on `<body>`.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    yew::Renderer::<components::app::App>::new().render();
}
