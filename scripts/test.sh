#!/usr/bin/env bash
# Runs the project's checks and tests, installing what they need. This is
# the command README.md gives and .ci/run calls.
#
#   ./scripts/test.sh                every stage below, in order
#   ./scripts/test.sh server         formatting; Dockerfile and compose.yaml checks; lints, unit
#                                    and black-box tests of the protocol and the server (real
#                                    redis-server, TLS); loadgen smoke run
#   ./scripts/test.sh app            the UI build; lints and unit tests of the UI and the shell;
#                                    end-to-end tests of the real window under Xvfb, and of two
#                                    windows on two network namespaces (needs root)
#   ./scripts/test.sh package        the release Linux package built, its size bounded, installed
#                                    into a scratch root and started
#
# Stages combine (`./scripts/test.sh server app`); each ends with its own
# results, and the run ends with one line that counts every test.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(server app package)
for stage in "${stages[@]}"; do
  case "$stage" in server|app|package) ;; *) echo "unknown stage: $stage (server, app, package)" >&2; exit 2 ;; esac
done

results=$(mktemp)
redis_pid=""
cleanup() {
  [ -z "$redis_pid" ] || kill "$redis_pid" 2>/dev/null || true
  rm -f "$results"
}
trap cleanup EXIT

need_cargo
need_packages python3
echo "==> format"
cargo fmt --all -- --check

# One real redis-server for the server stage, on a free loopback port; the
# tests that kill or restart Redis start private ones of their own.
start_redis() {
  local port; port=$(free_port)
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no >/tmp/private-chat-test-redis.log 2>&1 &
  redis_pid=$!
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -p "$port" ping >/dev/null
  export PRIVATE_CHAT_TEST_REDIS_URL="redis://127.0.0.1:$port/"
  echo "==> redis-server on 127.0.0.1:$port"
}

# Runs a command under a virtual display with its own D-Bus session.
on_display() {
  xvfb-run -a -s "-screen 0 1280x1024x24" dbus-run-session -- "$@"
}

server_crates=(-p private-chat-protocol -p private-chat-crypto -p private-chat-server -p private-chat-tests)
app_crates=(-p private-chat-ui -p private-chat-app -p private-chat-e2e -p private-chat-floor)

# Docker does not run here: check the Dockerfile and compose.yaml as far as
# tools from the package registries can (compose's own schema check, and
# BuildKit's parser with scripts/check_dockerfile.py); a test runs compose's
# command lines.
check_docker_files() {
  need_packages docker-compose
  echo "==> server: Dockerfile and compose.yaml"
  docker-compose -f compose.yaml config -q
  local venv=target/docker-check
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -c 'import dockerfile' 2>/dev/null || "$venv/bin/pip" install -q dockerfile
  "$venv/bin/python" scripts/check_dockerfile.py Dockerfile
}

stage_server() {
  need_packages redis-server
  check_docker_files
  echo "==> server: lints"
  cargo clippy --locked "${server_crates[@]}" --all-targets -- -D warnings
  start_redis
  echo "==> server: unit, conformance and black-box tests"
  cargo test --locked "${server_crates[@]}" 2>&1 | tee -a "$results"
  echo "==> server: load generator smoke run (numbers are not checked; see docs/benchmark.md)"
  cargo build --locked -q -p private-chat-server -p private-chat-tests --bins
  target/debug/loadgen --quick
}

stage_app() {
  need_packages xvfb xauth webkit2gtk-driver xdotool dbus redis-server
  need_app_packages
  # The shell embeds ui/dist when it compiles, so the UI comes first.
  ./scripts/build-ui.sh
  echo "==> app: lints"
  cargo clippy --locked "${app_crates[@]}" --all-targets -- -D warnings
  echo "==> app: reducer, shell and room-session tests"
  cargo test --locked "${app_crates[@]}" 2>&1 | tee -a "$results"
  echo "==> app: end-to-end tests of the app window (screenshots in artifacts/e2e)"
  cargo build --locked -q --bins -p private-chat-app -p private-chat-floor -p private-chat-e2e
  rm -rf artifacts/e2e
  on_display cargo test --locked -p private-chat-e2e --test app_window -- --ignored --test-threads=1 2>&1 | tee -a "$results"
  echo "==> app: end-to-end encryption (two windows; Redis, MONITOR and log scanned)"
  on_display cargo test --locked -p private-chat-e2e --test encryption -- --ignored --test-threads=1 2>&1 | tee -a "$results"
  echo "==> app: start-up benchmark smoke run (debug builds; figures not checked, see docs/benchmark.md)"
  on_display target/debug/startup --debug --rounds 1
  echo "==> app: two computers (network namespaces, a window on each)"
  need_packages iproute2
  on_display cargo test --locked -p private-chat-e2e --test two_computers -- --ignored 2>&1 | tee -a "$results"
}

stage_package() {
  need_packages xvfb xauth webkit2gtk-driver xdotool dbus
  echo "==> package: the release package people download, built and checked (size bound included)"
  ./scripts/package.sh
  on_display cargo test --locked -p private-chat-e2e --test package_deb -- --ignored 2>&1 | tee -a "$results"
}

for stage in "${stages[@]}"; do
  "stage_$stage"
done

# One plain closing line for the whole run (pipefail already stopped a run
# whose cargo failed; a run that counted no test fails too).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f; exit (f > 0 || p == 0) }' "$results"
