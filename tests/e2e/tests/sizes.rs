//! The UI's wasm stays within its bound ([`private_chat_e2e::bounds`]).
//! The shell embeds ui/dist when it compiles, so it is there whenever this
//! crate builds (scripts/build-ui.sh makes it).

use std::path::Path;

use private_chat_e2e::bounds::UI_WASM_MAX_BYTES;

#[test]
fn the_ui_wasm_is_within_its_bound() {
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/dist");
    let wasm: Vec<_> = std::fs::read_dir(&dist)
        .expect("ui/dist exists: run scripts/build-ui.sh")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
        .collect();
    assert_eq!(wasm.len(), 1, "one wasm module in ui/dist: {wasm:?}");
    let bytes = std::fs::metadata(&wasm[0]).unwrap().len();
    println!(
        "ui wasm: {bytes} bytes ({:.1} KiB); bound {UI_WASM_MAX_BYTES}",
        bytes as f64 / 1024.0
    );
    assert!(
        bytes <= UI_WASM_MAX_BYTES,
        "the UI's wasm is {bytes} bytes, over its bound of {UI_WASM_MAX_BYTES}"
    );
}
