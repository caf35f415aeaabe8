//! File uploads from the composer: `POST /api/agents/:id/uploads` (multipart, one `file`
//! field) answers the stored name that a message's `attachments` then carry. In the desktop
//! window the bytes go over IPC instead (the `upload` command, same answer).

use crate::transport::{ApiError, in_tauri, upload_ipc};
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
        return upload_desktop(agent_id, file).await;
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

/// The desktop's upload: the file's bytes through the `upload` Tauri command.
async fn upload_desktop(agent_id: &str, file: &web_sys::File) -> Result<String, UploadError> {
    let buf = JsFuture::from(file.array_buffer()).await.map_err(|e| {
        UploadError::Failed(format!("{}: could not read the file: {e:?}", file.name()))
    })?;
    let bytes = js_sys::Uint8Array::new(&buf).to_vec();
    match upload_ipc(agent_id, &file.name(), &bytes).await {
        Ok(v) => v["file"]["name"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| UploadError::Failed("the office answered no file name".into())),
        Err(ApiError::Unauthorized) => Err(UploadError::Unauthorized),
        Err(e) => Err(UploadError::Failed(format!("{}: {e}", file.name()))),
    }
}
