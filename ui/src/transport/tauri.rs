//! The desktop webview's door: ops through the `api_call` Tauri command, events through the
//! `isomux://event` Tauri event (each payload one `ServerMessage`). No socket, no cookie.

use super::rest::js_message;
use super::{ApiError, load_snapshot};
use crate::store::{Conn, Store};
use isomux_protocol::{Op, ServerMessage};
use leptos::prelude::Set;
use serde_json::Value;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], catch)]
    async fn invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], js_name = convertFileSrc)]
    fn convert_file_src(path: &str, protocol: &str) -> String;

    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "event"], catch)]
    async fn listen(event: &str, handler: &Closure<dyn FnMut(JsValue)>)
    -> Result<JsValue, JsValue>;
}

/// The Tauri event that carries server messages.
const EVENT: &str = "isomux://event";

/// JSON text of a JS value (strings are taken as JSON text already).
fn to_json(v: &JsValue) -> String {
    if let Some(s) = v.as_string() {
        return s;
    }
    js_sys::JSON::stringify(v)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

pub(super) async fn call(op: &Op) -> Result<Value, ApiError> {
    let args = serde_json::json!({ "op": op }).to_string();
    let args = js_sys::JSON::parse(&args).map_err(|e| ApiError::Network(js_message(&e)))?;
    match invoke("api_call", args).await {
        Ok(v) => {
            let text = to_json(&v);
            if text.is_empty() || text == "undefined" {
                return Ok(Value::Null);
            }
            serde_json::from_str(&text).map_err(|e| ApiError::Network(e.to_string()))
        }
        Err(e) => Err(ApiError::from_body(None, &to_json(&e))),
    }
}

/// The `isomux-file` scheme URL of an agent's stored file (the desktop serves it from the data
/// dir; `convertFileSrc` picks the platform's form of a custom scheme URL).
pub(super) fn file_url(agent_id: &str, name: &str) -> String {
    convert_file_src(&format!("{agent_id}/{name}"), "isomux-file")
}

/// Stores one upload through the `upload` command; the same JSON as `POST .../uploads`.
pub(super) async fn upload(agent_id: &str, name: &str, bytes: &[u8]) -> Result<Value, ApiError> {
    // A plain array of numbers: the command takes `bytes: Vec<u8>` from JSON.
    let array = js_sys::Array::new_with_length(bytes.len() as u32);
    for (i, b) in bytes.iter().enumerate() {
        array.set(i as u32, JsValue::from(*b));
    }
    let args = js_sys::Object::new();
    let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&args, &k.into(), v);
    set("agentId", &agent_id.into()).map_err(|e| ApiError::Network(js_message(&e)))?;
    set("name", &name.into()).map_err(|e| ApiError::Network(js_message(&e)))?;
    set("bytes", &array).map_err(|e| ApiError::Network(js_message(&e)))?;
    match invoke("upload", args.into()).await {
        Ok(v) => serde_json::from_str(&to_json(&v)).map_err(|e| ApiError::Network(e.to_string())),
        Err(e) => Err(ApiError::from_body(None, &to_json(&e))),
    }
}

pub(super) fn start(store: Store) {
    leptos::task::spawn_local(async move {
        let handler = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let payload = js_sys::Reflect::get(&event, &"payload".into()).unwrap_or(event);
            match serde_json::from_str::<ServerMessage>(&to_json(&payload)) {
                Ok(msg) => store.dispatch(msg),
                Err(e) => leptos::logging::warn!("ignoring a malformed event: {e}"),
            }
        });
        // Listen before loading the snapshot so no event falls between the two.
        if let Err(e) = listen(EVENT, &handler).await {
            store.conn.set(Conn::Offline(js_message(&e)));
            return;
        }
        // The listener lives as long as the app.
        handler.forget();
        if load_snapshot(store).await.is_ok() {
            store.conn.set(Conn::Online);
        }
    });
}
