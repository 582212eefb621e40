#!/usr/bin/env bash
# Android and iOS builds, on a machine that has their SDKs (see docs/mobile.md).
#   PRIVATE_CHAT_DEFAULT_SERVER=https://chat.example.org scripts/mobile.sh android init
#   PRIVATE_CHAT_DEFAULT_SERVER=https://chat.example.org scripts/mobile.sh android build
#   scripts/mobile.sh ios init | ios build | android dev | ios dev
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
[ $# -ge 2 ] || { sed -n '2,5p' "$0"; exit 2; }
platform=$1; shift
case "$platform" in android|ios) ;; *) echo "platform must be android or ios" >&2; exit 2 ;; esac
if [ -z "${PRIVATE_CHAT_DEFAULT_SERVER:-}" ] && [ "$1" != init ]; then
  echo "warning: PRIVATE_CHAT_DEFAULT_SERVER is not set: the phone app would use its own" >&2
  echo "loopback server, which nobody else can reach." >&2
fi
need_cargo
need_tauri_cli
./scripts/build-ui.sh
(cd src-tauri && "$TAURI_CLI" "$platform" "$@")
