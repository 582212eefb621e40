#!/usr/bin/env bash
# Builds and starts the private_chat desktop app on the embedded default
# (its own room server on loopback, in memory), installing what it needs.
# Set PRIVATE_CHAT_SERVER=http://host:port to use a standalone server instead.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
need_cargo
need_app_packages
./scripts/build-ui.sh
echo "==> building the app (release, LTO; the first build takes 10-15 minutes on 2 cores)"
cargo build --locked --release -q -p private-chat-app --bin private-chat
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "No display found: run this from a desktop session (or under xvfb-run)." >&2
  exit 1
fi
exec target/release/private-chat "$@"
