# Shared helpers of the project scripts. Source it; do not run it.

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

APT_UPDATED=""
# Installs Debian packages that are missing (checked with dpkg, so an
# installed system is not touched and needs no network).
need_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> installing ${missing[*]}"
  if [ -z "$APT_UPDATED" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Makes sure cargo is there (rustup's, as on these machines).
need_cargo() {
  if ! command -v cargo >/dev/null 2>&1; then
    [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
  fi
  command -v cargo >/dev/null 2>&1 || { echo "cargo is missing: install Rust with rustup first" >&2; exit 1; }
}

# A free TCP port on loopback.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# The wasm-bindgen version Cargo.lock pins (the CLI must match it exactly).
locked_wasm_bindgen() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

# wasm-bindgen-cli at the locked version, installed once into ~/.cargo/bin.
need_wasm_bindgen() {
  local want; want=$(locked_wasm_bindgen)
  if ! wasm-bindgen --version 2>/dev/null | grep -q " $want\$"; then
    echo "==> installing wasm-bindgen-cli $want (once, a few minutes)"
    cargo install -q wasm-bindgen-cli --version "$want"
  fi
}

# Binaryen's wasm-opt at a pinned version (Debian's is too old to read the
# UI's wasm): the npm package, installed into target/binaryen of this clone.
# Sets WASM_OPT.
BINARYEN_VERSION=132.0.0
need_wasm_opt() {
  local dir=target/binaryen
  WASM_OPT=$dir/node_modules/.bin/wasm-opt
  if ! "$WASM_OPT" --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION%%.*} "; then
    # Debian's npm, unless an npm is there already (NodeSource's nodejs
    # ships its own and conflicts with Debian's npm package).
    command -v npm >/dev/null 2>&1 || need_packages nodejs npm
    echo "==> installing binaryen $BINARYEN_VERSION (wasm-opt) into $dir"
    mkdir -p "$dir"
    npm install --silent --no-audit --no-fund --prefix "$dir" "binaryen@$BINARYEN_VERSION" >/dev/null
  fi
}

# How to build for wasm32: rustup's target when present, else Debian's
# rustc-web with std built from source. Sets WASM_CARGO and WASM_ENV.
need_wasm_toolchain() {
  if rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
    WASM_CARGO=cargo
    WASM_ENV=()
  else
    need_packages rustc-web cargo-web rust-web-src rust-web-llvm lld-22
    WASM_CARGO=/usr/bin/cargo
    # std is built here anyway, so a panic can abort without the code that
    # formats its message (about 30 KB of the UI's wasm).
    WASM_ENV=(PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_UNSTABLE_BUILD_STD=std,panic_abort
      RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort")
  fi
}

# Debian packages the desktop app needs to build and run.
need_app_packages() {
  need_packages libwebkit2gtk-4.1-dev pkg-config build-essential libssl-dev xdg-utils
}

# tauri-cli at a pinned version: the npm package, which ships the CLI
# prebuilt for Linux, macOS and Windows (seconds, where `cargo install
# tauri-cli` compiles for about 15 minutes), installed into
# target/tauri-cli of this clone. Sets TAURI_CLI (an absolute path).
TAURI_CLI_VERSION=2.12.4
need_tauri_cli() {
  local dir=$PWD/target/tauri-cli
  TAURI_CLI=$dir/node_modules/.bin/tauri
  if ! "$TAURI_CLI" --version 2>/dev/null | grep -q "^tauri-cli $TAURI_CLI_VERSION\$"; then
    command -v npm >/dev/null 2>&1 || need_packages nodejs npm
    echo "==> installing tauri-cli $TAURI_CLI_VERSION into target/tauri-cli"
    mkdir -p "$dir"
    npm install --silent --no-audit --no-fund --prefix "$dir" "@tauri-apps/cli@$TAURI_CLI_VERSION" >/dev/null
  fi
}
