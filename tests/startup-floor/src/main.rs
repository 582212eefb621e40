//! The floor of the start-up benchmark (`startup` in tests/e2e): a Tauri
//! window of the app's Tauri version that shows one static page and does
//! nothing else, so the app's start-up time and memory have something to be
//! compared with in the same run.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("the floor window failed to start");
}
