// Isomux wasm loader: a file, not an inline script, because the CSP allows only 'self'.
// Trunk's `pattern_script` (Trunk.toml) puts the hashed file names on this script's tag.
// The service worker (sw.js) caches the app shell for the installed PWA; not in the desktop
// webview, which loads the UI from the app itself.
if ("serviceWorker" in navigator && !("__TAURI__" in window)) {
  navigator.serviceWorker.register("/sw.js").catch((e) => console.warn("service worker:", e));
}
const tag = document.querySelector("script[data-wasm]");
const { default: init } = await import(tag.dataset.js);
await init({ module_or_path: tag.dataset.wasm });
