#!/usr/bin/env bash
# Runs every check and test of the project, installing what it needs.
# This is the command README.md gives and .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

need_cargo
need_packages redis-server python3 xvfb xauth webkit2gtk-driver xdotool dbus
need_app_packages

# The shell embeds ui/dist when it compiles, so the UI comes first.
./scripts/build-ui.sh

echo "==> format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

# One real redis-server for the whole run, on a free loopback port; the tests
# that need to kill or restart Redis start private ones of their own.
port=$(free_port)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no >/tmp/private-chat-test-redis.log 2>&1 &
redis_pid=$!
results=$(mktemp)
trap 'kill $redis_pid 2>/dev/null || true; rm -f "$results"' EXIT
for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$port" ping >/dev/null
export PRIVATE_CHAT_TEST_REDIS_URL="redis://127.0.0.1:$port/"
echo "==> redis-server on 127.0.0.1:$port"

echo "==> unit, reducer, conformance and black-box tests"
cargo test --workspace --locked 2>&1 | tee "$results"

echo "==> end-to-end tests of the app window (screenshots in artifacts/e2e)"
cargo build --locked -q -p private-chat-app
rm -rf artifacts/e2e
xvfb-run -a -s "-screen 0 1280x1024x24" dbus-run-session -- \
  cargo test --locked -p private-chat-tests --test e2e_app -- --ignored --test-threads=1 2>&1 | tee -a "$results"

echo "==> Linux package: build (debug profile, reusing the build above) and check it"
./scripts/package.sh --debug
xvfb-run -a -s "-screen 0 1280x1024x24" dbus-run-session -- \
  cargo test --locked -p private-chat-tests --test package_deb -- --ignored 2>&1 | tee -a "$results"

echo "==> load generator smoke run (numbers are not checked; see docs/benchmark.md)"
cargo build --locked -q -p private-chat-server -p private-chat-tests --bins
target/debug/loadgen --quick

# One plain closing line for the whole run.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$results"
