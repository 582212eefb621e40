//! Helpers for end-to-end tests of the real desktop app: the built
//! `private-chat` binary in a window under Xvfb, driven over WebDriver, with
//! its own data folder and D-Bus session per launch.
//!
//! # Layout
//! - [`app`]: launching, screenshotting and stopping the app; native dialogs.
//! - [`webdriver`]: a minimal W3C WebDriver client for WebKitWebDriver.
//! - [`netns`]: two computers on one machine (network namespaces), for
//!   tests of what crosses a network.
//! - [`bounds`]: the sizes of what people download, in one place.
//! - `src/bin/startup.rs`: the start-up benchmark (the app beside a minimal
//!   Tauri window, tests/startup-floor).
//! - [`peer`]: the other person, run by the test on the app's own room
//!   session (key exchange and encryption included).
//!
//! The tests (`tests/app_window.rs`, `tests/two_computers.rs`,
//! `tests/package_deb.rs`; not `tests/sizes.rs`) need the built
//! app and a display, so they are `#[ignore]`d in plain `cargo test`;
//! `./scripts/test.sh app` and `... package` build what they need and run
//! them with `--ignored` under `xvfb-run`.

pub mod app;
pub mod bounds;
pub mod netns;
pub mod peer;
pub mod webdriver;
