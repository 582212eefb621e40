// Boots the wasm UI. A file of its own, so the CSP needs no inline script.
import init from "./private_chat_ui.js";
init();
