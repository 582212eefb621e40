//! The sizes of what people download, bounded in this one place and
//! checked by the tests (`tests/sizes.rs` for the UI, `tests/package_deb.rs`
//! for the package). docs/benchmark.md gives the measured figures.

/// The release `.deb` built by scripts/package.sh (issue 12: at most 10 MiB).
pub const PACKAGE_MAX_BYTES: u64 = 10 * 1024 * 1024;

/// The UI's wasm as the app embeds it (ui/dist, after wasm-opt), before
/// compression (issue 12: at most 250 KiB).
pub const UI_WASM_MAX_BYTES: u64 = 250 * 1024;
