//! The Linux package: what it installs, and that the installed app starts.
//!
//! `#[ignore]`d in plain `cargo test`: scripts/test.sh builds the release
//! package (scripts/package.sh) and runs this with `--ignored` under Xvfb.

use std::path::{Path, PathBuf};
use std::process::Command;

use private_chat_e2e::app::{App, Launch};
use private_chat_e2e::bounds::PACKAGE_MAX_BYTES;

/// The package: `PRIVATE_CHAT_DEB`, else the newest release package.
fn package() -> PathBuf {
    if let Some(p) = std::env::var_os("PRIVATE_CHAT_DEB") {
        return p.into();
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/release/bundle/deb");
    let mut debs: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("no release package: run scripts/package.sh first")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "deb"))
        .collect();
    debs.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    debs.pop()
        .expect("no release package: run scripts/package.sh first")
}

fn dpkg_deb(args: &[&str]) -> String {
    let out = Command::new("dpkg-deb")
        .args(args)
        .output()
        .expect("dpkg-deb runs");
    assert!(
        out.status.success(),
        "dpkg-deb {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the built package and a display: run by scripts/test.sh"]
async fn the_package_installs_a_linked_desktop_app_that_starts() {
    let deb = package();
    let deb_str = deb.to_str().unwrap();
    let bytes = std::fs::metadata(&deb).unwrap().len();
    println!(
        "package: {} ({bytes} bytes, {:.2} MiB; bound {PACKAGE_MAX_BYTES})",
        deb.display(),
        bytes as f64 / 1024.0 / 1024.0
    );
    assert!(
        bytes <= PACKAGE_MAX_BYTES,
        "the package is {bytes} bytes, over its bound of {PACKAGE_MAX_BYTES}"
    );

    // Metadata.
    let info = dpkg_deb(&["--info", deb_str]);
    assert!(info.contains("Package: private-chat"), "{info}");
    assert!(
        info.contains("libwebkit2gtk-4.1-0"),
        "declares its WebKitGTK dependency: {info}"
    );

    // Contents, installed into a scratch root.
    let root = std::env::temp_dir().join(format!("private-chat-deb-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    dpkg_deb(&["-x", deb_str, root.to_str().unwrap()]);
    let binary = root.join("usr/bin/private-chat");
    assert!(binary.exists(), "the binary is installed");

    let desktop_dir = root.join("usr/share/applications");
    let entry = std::fs::read_dir(&desktop_dir)
        .expect("a desktop entry is installed")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "desktop"))
        .expect("a .desktop file");
    let entry = std::fs::read_to_string(entry).unwrap();
    assert!(
        entry.lines().any(|l| l == "Exec=private-chat %u"),
        "the entry passes the link: {entry}"
    );
    assert!(
        entry
            .lines()
            .any(|l| l == "MimeType=x-scheme-handler/privchat"),
        "the entry handles privchat: {entry}"
    );
    assert!(entry.contains("Name=private_chat"));
    let icon_name = entry
        .lines()
        .find_map(|l| l.strip_prefix("Icon="))
        .expect("an Icon line");

    let icons: Vec<PathBuf> = walk(&root.join("usr/share/icons"))
        .into_iter()
        .filter(|p| {
            p.file_stem().is_some_and(|s| s == icon_name)
                && p.extension().is_some_and(|e| e == "png")
        })
        .collect();
    assert!(icons.len() >= 3, "icons in several sizes: {icons:?}");

    // The installed binary starts and shows the lobby under Xvfb.
    let app = App::launch(Launch {
        binary: Some(binary),
        ..Launch::default()
    })
    .await;
    app.ui.find("[data-testid=lobby]").await;
    app.screenshot("20-installed-package").await;

    // Clicking an invite: the desktop resolves privchat: to the package's
    // entry, runs its Exec line with the link, and the running app joins.
    let server = private_chat_tests::server::standalone().await;
    let api = private_chat_app::client::Api::new(&server.url());
    let (_alice, invite) = private_chat_e2e::peer::Peer::create(api, "alice", None).await;
    let link = invite.to_link();
    let home = root.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let entry_name = std::fs::read_dir(&desktop_dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .next()
        .unwrap();
    let desktop = |cmd: &str, args: &[&str]| {
        let path = format!(
            "{}:{}",
            root.join("usr/bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let status = Command::new(cmd)
            .args(args)
            .env("PATH", path)
            .env(
                "XDG_DATA_DIRS",
                format!("{}:/usr/share", root.join("usr/share").display()),
            )
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("DBUS_SESSION_BUS_ADDRESS", app.bus_address())
            .env("DISPLAY", private_chat_e2e::app::display())
            .env_remove("XDG_CURRENT_DESKTOP")
            .status()
            .unwrap_or_else(|e| panic!("{cmd} runs: {e}"));
        assert!(status.success(), "{cmd} {args:?}: {status}");
    };
    desktop(
        "xdg-mime",
        &[
            "default",
            entry_name.to_str().unwrap(),
            "x-scheme-handler/privchat",
        ],
    );
    desktop("xdg-open", &[&link]);
    // The room lives on another server than the app's own: it asks first.
    private_chat_e2e::app::answer_native_dialog(
        &private_chat_app::confirm::other_server_title(&server.url()),
        "Return",
    );
    app.ui.find("[data-testid=room]").await;
    let shown = app.shown_room_id().await;
    assert_eq!(
        shown, invite.room_id,
        "the clicked invite landed in its room"
    );
    app.ui
        .wait_text("[data-testid=presence]", "alice", |t| {
            t.starts_with("alice")
        })
        .await;
    app.screenshot("21-installed-package-joined-by-link").await;
    app.quit().await;
    server.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(&root);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
