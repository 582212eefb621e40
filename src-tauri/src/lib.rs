//! The private_chat desktop app: a Tauri 2 shell around the Yew UI.
//!
//! The UI never touches the network. It invokes the [`commands`], and the
//! shell reaches the room server through the [`client`] core (HTTP with
//! reqwest, WebSocket with tokio-tungstenite), pushing what arrives to the UI
//! as events. Unless a server is configured, the app runs the room server
//! in-process on loopback ([`embedded`]).
//!
//! # Layout
//! - [`client`]: typed calls and the reconnecting room socket; no window needed.
//! - [`core`]: the app's live state (server in use, room it is in).
//! - [`commands`]: what the UI may invoke.
//! - [`settings`]: what is kept between runs (store plugin).
//! - [`embedded`]: choosing or starting the room server.
//! - [`confirm`], [`notify`]: the native dialog and notifications.
//! - [`names`]: anonymous display names.

pub mod client;
pub mod commands;
pub mod confirm;
pub mod core;
pub mod embedded;
pub mod names;
pub mod notify;
pub mod settings;

use tauri::Manager;

/// Starts the app; the same entry point serves desktop and mobile.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tao=warn,wry=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();

    tauri::Builder::default()
        .plugin(tauri_plugin_store::Builder::new().build())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_notification::init())
        .setup(|app| {
            let configured = settings::server_url(app.handle());
            let choice = tauri::async_runtime::block_on(embedded::ServerChoice::pick(configured))?;
            app.manage(core::Core::new(choice));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::bootstrap,
            commands::regenerate_name,
            commands::create_room,
            commands::join_room,
            commands::send_message,
            commands::typing,
            commands::copy_invite,
            commands::destroy_room,
            commands::set_title,
        ])
        .run(tauri::generate_context!("../tauri.conf.json"))
        .expect("private_chat failed to start");
}
