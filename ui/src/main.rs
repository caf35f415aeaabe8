//! Isomux web UI entry point: mounts the Leptos app on `<body>` (built to wasm by trunk).
//! On the host the crate only compiles, so the store and transport helpers can be unit-tested.

mod app;
mod board;
mod components;
mod env_text;
mod look;
mod pages;
mod qr;
mod storage;
mod store;
mod transport;

fn main() {
    if cfg!(target_arch = "wasm32") {
        // Panics go to the browser console instead of a bare "unreachable" trap.
        std::panic::set_hook(Box::new(|info| {
            web_sys::console::error_1(&info.to_string().into());
        }));
        leptos::mount::mount_to_body(app::App);
    } else {
        eprintln!(
            "isomux-ui is a wasm app: build it with `cargo xtask build` (trunk), not run it."
        );
    }
}
