//! Tauri's build step: reads `tauri.conf.json` and `capabilities/`, generates the permission
//! manifests and, with the `custom-protocol` feature, checks that `../ui/dist` exists.

fn main() {
    tauri_build::build();
}
