fn main() {
    // Phone builds bake their default room server in (choice::BUILT_IN_SERVER).
    println!("cargo:rerun-if-env-changed=PRIVATE_CHAT_DEFAULT_SERVER");
    tauri_build::build();
}
