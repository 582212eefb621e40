//! The private_chat desktop app: a Tauri 2 shell around the Yew UI.
//!
//! The UI never touches the network. It invokes the [`commands`] (named and
//! typed in `private_chat_protocol::app`), and the shell reaches the room
//! server through the [`client`] core (HTTP with reqwest, WebSocket with
//! tokio-tungstenite). Each open room is owned by one session task
//! ([`room`]) that pushes the room's events to the UI on the channel the
//! entering command handed over. Unless a server is configured, the app runs
//! the room server in-process on loopback ([`embedded`]).
//!
//! # Layout
//! - [`client`]: typed calls and the reconnecting room socket; no window needed.
//! - [`room`]: the session that owns an open room (seat, socket, its end).
//! - [`secure`]: end-to-end encryption of a room (key exchange, sealing,
//!   the key file); [`private_file`]: files only the user can read.
//! - [`core`]: the app's live state (server in use, handle of the room it is in).
//! - [`commands`]: what the UI may invoke; [`host`]: the app seen by a room
//!   session (settings, notifications, the UI's channel).
//! - [`settings`]: what is kept between runs (store plugin).
//! - [`choice`]: which server the app starts on; [`embedded`]: the app's own
//!   server (loopback, and the network over TLS while a room is open).
//! - [`links`]: invites opened from outside (deep links, second launches).
//! - [`confirm`], [`notify`]: the native dialog and notifications.
//! - [`names`]: anonymous display names; [`qr`]: the invite's QR code.

pub mod choice;
pub mod client;
pub mod commands;
pub mod confirm;
pub mod core;
pub mod embedded;
pub mod host;
pub mod links;
pub mod memory_host;
pub mod names;
pub mod notify;
pub mod private_file;
pub mod qr;
pub mod room;
pub mod secure;
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

    let builder = tauri::Builder::default();
    // First, so a second launch exits before it starts anything: it hands
    // its invite link to the running window instead.
    #[cfg(desktop)]
    let builder =
        builder.plugin(tauri_plugin_single_instance::init(
            |app, argv, _cwd| match links::invite_arg(argv.iter().skip(1)) {
                Some(link) => links::open(app, link),
                None => links::focus_main(app),
            },
        ));
    builder
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_store::Builder::new().build())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_notification::init())
        .setup(|app| {
            let handle = app.handle();
            let data_dir = app.path().app_data_dir()?;
            settings::protect(&data_dir)?;
            let server = choice::initial_settings(settings::server_settings(handle));
            let port = settings::network_port(handle);
            let keeper = handle.clone();
            let keep_port = Box::new(move |port| settings::save_network_port(&keeper, port));
            let invite = links::invite_arg(std::env::args().skip(1));
            app.manage(core::Core::new(server, data_dir, port, keep_port, invite)?);
            // Nothing here may hold up the window's first paint: the app's
            // own server starts beside it (the UI's first command finds it
            // up), and links register on a thread of their own.
            let warm = handle.clone();
            tauri::async_runtime::spawn(async move {
                let _ = warm.state::<core::Core>().home_url().await;
            });
            register_links(app);
            Ok(())
        })
        .invoke_handler(commands::handler())
        .run(tauri::generate_context!())
        .expect("private_chat failed to start");
}

/// Makes `privchat://` links open this app where that is done at run time.
fn register_links<R: tauri::Runtime>(app: &tauri::App<R>) {
    use tauri_plugin_deep_link::DeepLinkExt;
    // Linux and Windows pass links as arguments (read in `setup` and by the
    // single-instance callback). An installed package declares the scheme
    // itself; a binary run from a checkout registers it for this user.
    #[cfg(any(target_os = "linux", windows))]
    {
        let installed = std::env::current_exe().is_ok_and(|exe| exe.starts_with("/usr"));
        if !installed {
            // It runs desktop tools (xdg-mime): a few hundred ms.
            let handle = app.handle().clone();
            std::thread::spawn(move || {
                if let Err(e) = handle.deep_link().register_all() {
                    tracing::info!("privchat:// links not registered: {e}");
                }
            });
        }
    }
    // macOS and mobile deliver links as events.
    #[cfg(not(any(target_os = "linux", windows)))]
    {
        let handle = app.handle().clone();
        app.deep_link().on_open_url(move |event| {
            for url in event.urls() {
                links::open(&handle, url.to_string());
            }
        });
    }
}
