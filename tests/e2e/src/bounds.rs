//! The sizes of what people download, bounded in this one place and
//! checked by the tests (`tests/sizes.rs` for the UI, `tests/package_deb.rs`
//! for the package). docs/benchmark.md gives the measured figures.

/// The release `.deb` built by scripts/package.sh (issue 12: at most 10 MiB).
pub const PACKAGE_MAX_BYTES: u64 = 10 * 1024 * 1024;

/// The UI's wasm as the app embeds it (ui/dist, after wasm-opt), before
/// compression: the ceiling the build holds today (404 KiB measured), so the
/// size cannot grow back. Issue 12 asks for [`UI_WASM_TARGET_BYTES`]; that
/// is not met yet (docs/benchmark.md says where the rest of the weight is).
pub const UI_WASM_MAX_BYTES: u64 = 410 * 1024;

/// Issue 12's target for the UI's wasm.
pub const UI_WASM_TARGET_BYTES: u64 = 250 * 1024;
