#!/usr/bin/env bash
# Builds the Yew UI to ui/dist (wasm32 + wasm-bindgen), installing the wasm
# toolchain if needed. The Tauri shell embeds ui/dist when it is compiled.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
need_cargo
need_wasm_toolchain
need_wasm_bindgen
need_wasm_opt

echo "==> building the UI (wasm32)"
(cd ui && env "${WASM_ENV[@]}" "$WASM_CARGO" build --locked --profile wasm --target wasm32-unknown-unknown -p private-chat-ui)
rm -rf ui/dist
mkdir -p ui/dist
wasm-bindgen --target web --remove-name-section --no-typescript --out-dir ui/dist \
  target/wasm32-unknown-unknown/wasm/private_chat_ui.wasm
# Size first (-Oz); the features are those rustc's wasm32 target emits.
"$WASM_OPT" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  ui/dist/private_chat_ui_bg.wasm -o ui/dist/private_chat_ui_bg.wasm
cp ui/index.html ui/main.js ui/style.css ui/dist/
cp src-tauri/icons/128x128.png ui/dist/icon.png
echo "==> ui/dist ready ($(du -sh ui/dist | cut -f1); wasm $(stat -c %s ui/dist/private_chat_ui_bg.wasm) bytes)"
