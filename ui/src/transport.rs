//! The one door to the office: ops go over REST (browser) or the `api_call` Tauri command
//! (desktop webview); events come over the WebSocket or as Tauri events. Views never know which.

mod rest;
mod tauri;
mod ws;

use crate::store::{Conn, Store};
use isomux_protocol::{ClientMessage, FullState, Op, ServerMessage};
use leptos::prelude::Set;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::cell::Cell;
use std::fmt;

/// Why an op failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 401: this browser has no valid session.
    Unauthorized,
    /// The office refused, with its `{error: {code, message}}`.
    Server { code: String, message: String },
    /// The office could not be reached or answered nonsense.
    Network(String),
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unauthorized => f.write_str("You are not signed in."),
            Self::Server { message, .. } => f.write_str(message),
            Self::Network(m) => write!(f, "Cannot reach the office: {m}"),
        }
    }
}

impl ApiError {
    /// Build from an error body (`{"error": {"code", "message"}}`) or anything else.
    fn from_body(status: Option<u16>, body: &str) -> Self {
        let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        let code = v["error"]["code"].as_str().unwrap_or_default().to_owned();
        if status == Some(401) || code == "unauthorized" {
            return Self::Unauthorized;
        }
        match v["error"]["message"].as_str() {
            Some(message) => Self::Server {
                code,
                message: message.to_owned(),
            },
            // A Tauri command rejecting with plain text.
            None if status.is_none() && !body.is_empty() => Self::Server {
                code: "internal".into(),
                message: body.to_owned(),
            },
            // Not ours (a proxy's HTML page, a static server): the status says enough.
            None => Self::Network(format!("HTTP {}", status.unwrap_or(0))),
        }
    }
}

thread_local! {
    static IN_TAURI: Cell<Option<bool>> = const { Cell::new(None) };
}

/// True inside the desktop app's webview (`withGlobalTauri` exposes `window.__TAURI__`).
pub fn in_tauri() -> bool {
    IN_TAURI.with(|c| {
        *c.get().get_or_insert_with(|| {
            let window = leptos::prelude::window();
            js_sys::Reflect::has(&window, &"__TAURI__".into()).unwrap_or(false)
        })
    })
}

/// Run one op; the JSON body the office answered.
pub async fn call(op: &Op) -> Result<Value, ApiError> {
    if in_tauri() {
        tauri::call(op).await
    } else {
        rest::call(op).await
    }
}

/// The URL of an agent's stored file: `/api/agents/{id}/files/{name}` in a browser, the
/// desktop's `isomux-file` scheme in the Tauri window (which never uses the HTTP listener).
pub fn file_url(agent_id: &str, name: &str) -> String {
    if in_tauri() {
        tauri::file_url(agent_id, name)
    } else {
        format!("/api/agents/{agent_id}/files/{name}")
    }
}

/// Desktop only: stores one upload over IPC; `{"file": {"name", ...}}` as the upload route.
pub async fn upload_ipc(agent_id: &str, name: &str, bytes: &[u8]) -> Result<Value, ApiError> {
    tauri::upload(agent_id, name, bytes).await
}

/// Run one op and decode its answer.
pub async fn call_as<T: DeserializeOwned>(op: &Op) -> Result<T, ApiError> {
    let v = call(op).await?;
    serde_json::from_value(v).map_err(|e| ApiError::Network(format!("unexpected answer: {e}")))
}

/// Connect the store to the office: snapshot first, then the event stream.
pub fn start(store: Store) {
    if in_tauri() {
        tauri::start(store);
    } else {
        ws::start(store);
    }
}

/// Tell the office where this connection is looking (browser only; the desktop has no ghost).
pub fn send(msg: &ClientMessage) {
    if !in_tauri() {
        ws::send(msg);
    }
}

/// Fetch the snapshot over the op door and apply it (used at start and before reconnecting).
async fn load_snapshot(store: Store) -> Result<(), ApiError> {
    match call_as::<FullState>(&Op::GetState).await {
        Ok(full) => {
            store.dispatch(ServerMessage::FullState(Box::new(full)));
            Ok(())
        }
        Err(ApiError::Unauthorized) => {
            store.signed_out();
            Err(ApiError::Unauthorized)
        }
        Err(e) => {
            store.conn.set(Conn::Offline(e.to_string()));
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ApiError;

    #[test]
    fn error_bodies_become_messages() {
        let e = ApiError::from_body(
            Some(409),
            r#"{"error":{"code":"conflict","message":"name taken"}}"#,
        );
        assert_eq!(e.to_string(), "name taken");
        assert_eq!(ApiError::from_body(Some(401), ""), ApiError::Unauthorized);
        assert_eq!(
            ApiError::from_body(None, r#"{"error":{"code":"unauthorized","message":"x"}}"#),
            ApiError::Unauthorized
        );
        assert_eq!(
            ApiError::from_body(Some(502), "<html>bad gateway</html>").to_string(),
            "Cannot reach the office: HTTP 502"
        );
        assert_eq!(
            ApiError::from_body(None, "backend gone").to_string(),
            "backend gone"
        );
    }
}
