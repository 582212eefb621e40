#!/usr/bin/env bash
# Builds the Linux package (.deb) with tauri-cli, installing what it needs.
#   scripts/package.sh            release package: target/release/bundle/deb/
#                                 (what people download and the tests check)
#   scripts/package.sh --debug    debug package (faster to build; large)
# Install it with: sudo apt install ./target/release/bundle/deb/private_chat_*.deb
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
need_cargo
need_app_packages
need_tauri_cli
./scripts/build-ui.sh

echo "==> bundling the .deb"
(cd src-tauri && "$TAURI_CLI" build --bundles deb "$@")
profile=release
for arg in "$@"; do [ "$arg" = "--debug" ] && profile=debug; done
ls -1 target/$profile/bundle/deb/*.deb
