//! File uploads from the composer: `POST /api/agents/:id/uploads` (multipart, one `file`
//! field) answers the stored name that a message's `attachments` then carry.

use crate::transport::in_tauri;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Why an upload failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadError {
    Unauthorized,
    Failed(String),
}

/// Upload one file for an agent; the stored name (`<sha256>.<ext>`).
pub async fn upload(agent_id: &str, file: &web_sys::File) -> Result<String, UploadError> {
    if in_tauri() {
        return Err(UploadError::Failed(
            "Attaching files works from a browser for now (open the office's URL).".into(),
        ));
    }
    let js = |e: JsValue| {
        UploadError::Failed(
            e.as_string()
                .or_else(|| {
                    js_sys::Reflect::get(&e, &"message".into())
                        .ok()
                        .and_then(|m| m.as_string())
                })
                .unwrap_or_else(|| "the upload failed".into()),
        )
    };
    let form = web_sys::FormData::new().map_err(js)?;
    form.append_with_blob_and_filename("file", file, &file.name())
        .map_err(js)?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    init.set_body(&form);
    let url = format!("/api/agents/{agent_id}/uploads");
    let request = web_sys::Request::new_with_str_and_init(&url, &init).map_err(js)?;
    request
        .headers()
        .set("Accept", "application/json")
        .map_err(js)?;
    let resp: web_sys::Response =
        JsFuture::from(leptos::prelude::window().fetch_with_request(&request))
            .await
            .map_err(js)?
            .dyn_into()
            .map_err(js)?;
    let text = JsFuture::from(resp.text().map_err(js)?)
        .await
        .map_err(js)?
        .as_string()
        .unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    if resp.status() == 401 {
        return Err(UploadError::Unauthorized);
    }
    if !resp.ok() {
        let msg = v["error"]["message"]
            .as_str()
            .map_or_else(|| format!("HTTP {}", resp.status()), str::to_owned);
        return Err(UploadError::Failed(format!("{}: {msg}", file.name())));
    }
    v["file"]["name"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| UploadError::Failed("the office answered no file name".into()))
}
