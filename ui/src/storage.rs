//! Tiny `localStorage` helpers for preferences (dark mode, last cwd). Failures (private mode,
//! storage disabled) are ignored: preferences are a convenience, never required.

/// Preference keys, namespaced so other apps on the origin do not collide.
pub const DARK: &str = "isomux.dark";
pub const LAST_CWD: &str = "isomux.last_cwd";

/// The key of an agent's unsent composer text.
pub fn draft_key(agent: &isomux_protocol::AgentId) -> String {
    format!("isomux.draft.{agent}")
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

pub fn get(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

pub fn set(key: &str, value: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(key, value);
    }
}

pub fn remove(key: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(key);
    }
}
