fn main() {
    // tauri.conf.json sits at the workspace root, beside the other crates.
    tauri_build::try_build(tauri_build::Attributes::new().config_path("../tauri.conf.json"))
        .expect("tauri-build failed");
}
