// Isomux wasm loader: a file, not an inline script, because the CSP allows only 'self'.
// Trunk's `pattern_script` (Trunk.toml) puts the hashed file names on this script's tag.
const tag = document.querySelector("script[data-wasm]");
const { default: init } = await import(tag.dataset.js);
await init({ module_or_path: tag.dataset.wasm });
