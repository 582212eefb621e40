#!/usr/bin/env bash
# Starts the room server standalone on the embedded default (in-memory store,
# 127.0.0.1:8787). Extra arguments go to the server: --redis-url, --listen, ...
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
need_cargo
exec cargo run --locked --release -q -p private-chat-server -- "$@"
