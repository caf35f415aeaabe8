//! Uploads and downloads of files attached to messages (design §3, §6, §12):
//!
//! - `POST /api/agents/{agent_id}/uploads` (multipart, one `file` field, at most
//!   [`MAX_FILE_BYTES`]) stores `<data_dir>/files/<agent_id>/<sha256>.<ext>` and answers
//!   `{"file": {"name", "original_name", "mime", "size"}}`; the same bytes get the same name.
//! - `GET /api/agents/{agent_id}/files/{name}` serves one: images inline with their type,
//!   everything else as a download; always `nosniff` and a sandboxing CSP.
//!
//! Multipart cannot go through the generic JSON op handler, so these have their own handlers,
//! applying the same checks in the same order: auth (401) → Origin (403) → the agent is
//! visible to the caller (404) → size (413) → body (400).

use crate::AppState;
use crate::api::peer;
use crate::auth::{authenticate, check_origin};
use crate::error::ApiError;
use axum::Router;
use axum::extract::{
    DefaultBodyLimit, FromRequest, FromRequestParts, Multipart, Path, Request, State,
};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use isomux_core::Caller;
use isomux_core::files::{MAX_FILE_BYTES, StoreError, agent_dir, is_image, mime_for_name, store};
use isomux_protocol::{AgentId, ErrorCode, Op, op::responses::OpOutput};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::PathBuf;

pub use isomux_core::files::valid_name;

/// Room for the multipart framing around one maximal file.
const MULTIPART_SLACK: usize = 64 * 1024;

/// The file routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/agents/{agent_id}/uploads",
            post(upload).layer(DefaultBodyLimit::max(MAX_FILE_BYTES + MULTIPART_SLACK)),
        )
        .route("/api/agents/{agent_id}/files/{name}", get(download))
}

fn too_large() -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!(
            "the file is larger than the upload limit of {} MiB",
            MAX_FILE_BYTES / (1024 * 1024)
        ),
    )
}

fn no_agent(agent_id: &str) -> ApiError {
    ApiError::new(ErrorCode::NotFound, format!("no agent {agent_id}"))
}

/// The agent's files directory, when the agent exists and the caller may see it.
async fn visible_agent_dir(
    state: &AppState,
    caller: Caller,
    agent_id: &str,
) -> Result<PathBuf, ApiError> {
    let OpOutput::Agents(list) = state.office.call(caller, Op::ListAgents).await? else {
        return Err(ApiError::new(ErrorCode::Internal, "unexpected agent list"));
    };
    if !list.agents.iter().any(|a| a.id.as_str() == agent_id) {
        return Err(no_agent(agent_id));
    }
    let Some(data_dir) = &state.config.data_dir else {
        return Err(ApiError::new(
            ErrorCode::NotFound,
            "this office does not store files",
        ));
    };
    Ok(agent_dir(data_dir, &AgentId(agent_id.to_owned())))
}

/// The route's path parameters (percent-decoded); 404 when they are not UTF-8.
async fn params(req: Request) -> Result<(BTreeMap<String, String>, Request), ApiError> {
    let (mut parts, body) = req.into_parts();
    let params = <Path<BTreeMap<String, String>> as FromRequestParts<()>>::from_request_parts(
        &mut parts,
        &(),
    )
    .await
    .map_err(|e| ApiError::new(ErrorCode::NotFound, e.body_text()))?;
    Ok((params.0, Request::from_parts(parts, body)))
}

async fn upload(State(state): State<AppState>, req: Request) -> Response {
    match run_upload(&state, req).await {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn run_upload(state: &AppState, req: Request) -> Result<serde_json::Value, ApiError> {
    let authed = authenticate(state, req.headers(), peer(&req)).await?;
    check_origin(state, &authed, req.method(), req.headers())?;
    let (params, req) = params(req).await?;
    let agent_id = params.get("agent_id").cloned().unwrap_or_default();
    let dir = visible_agent_dir(state, authed.caller, &agent_id).await?;
    if req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n > MAX_FILE_BYTES + MULTIPART_SLACK)
    {
        return Err(too_large());
    }
    let invalid = |m: String| ApiError::new(ErrorCode::InvalidBody, m);
    let mut multipart = Multipart::from_request(req, &()).await.map_err(|e| {
        invalid(format!(
            "expected a multipart/form-data body with a `file` field: {}",
            e.body_text()
        ))
    })?;
    let multipart_error = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            invalid(format!("malformed multipart body: {}", e.body_text()))
        }
    };
    let mut found = None;
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("file") {
            continue;
        }
        let original = field.file_name().unwrap_or("file").to_owned();
        let bytes = field.bytes().await.map_err(multipart_error)?;
        found = Some((original, bytes));
        break;
    }
    let Some((original_name, bytes)) = found else {
        return Err(invalid(
            "the multipart body has no `file` field (send the file as form field `file`)".into(),
        ));
    };
    let stored = store(&dir, &original_name, &bytes)
        .await
        .map_err(|e| match e {
            StoreError::TooLarge => too_large(),
            StoreError::Io(e) => {
                tracing::error!(dir = %dir.display(), error = %e, "could not store an upload");
                ApiError::new(
                    ErrorCode::Internal,
                    format!("could not store the file: {e}"),
                )
            }
        })?;
    Ok(json!({ "file": stored }))
}

async fn download(State(state): State<AppState>, req: Request) -> Response {
    match run_download(&state, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn run_download(state: &AppState, req: Request) -> Result<Response, ApiError> {
    let authed = authenticate(state, req.headers(), peer(&req)).await?;
    check_origin(state, &authed, req.method(), req.headers())?;
    let (params, _req) = params(req).await?;
    let name = params.get("name").cloned().unwrap_or_default();
    if !valid_name(&name) {
        return Err(ApiError::new(ErrorCode::NotFound, "no such file"));
    }
    let agent_id = params.get("agent_id").cloned().unwrap_or_default();
    let dir = visible_agent_dir(state, authed.caller, &agent_id).await?;
    let bytes = tokio::fs::read(dir.join(&name))
        .await
        .map_err(|_| ApiError::new(ErrorCode::NotFound, format!("no file {name}")))?;
    let mime = mime_for_name(&name);
    let disposition = if is_image(mime) {
        format!("inline; filename=\"{name}\"")
    } else {
        format!("attachment; filename=\"{name}\"")
    };
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_content_addressed_names_are_valid() {
        let hash = "0123456789abcdef".repeat(4);
        assert!(valid_name(&format!("{hash}.png")));
        assert!(valid_name(&format!("{hash}.12345678")));
        for bad in [
            format!("{hash}.PNG"),
            format!("{hash}.123456789"),
            format!("{hash}."),
            format!("{hash}.p/g"),
            format!("{hash}.png.png"),
            format!("{}.png", &hash[1..]),
            format!("{}A.png", &hash[1..]),
            format!("{hash}0.png"),
            hash.clone(),
            "../../isomux.db".into(),
            "..".into(),
            "%2e%2e".into(),
            format!("../{hash}.png"),
            String::new(),
        ] {
            assert!(!valid_name(&bad), "{bad}");
        }
    }
}
