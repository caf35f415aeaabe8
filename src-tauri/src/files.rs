//! Uploaded files in the desktop window, where `/api/agents/{id}/files/{name}` cannot resolve
//! (the page lives on `tauri://`, and it never talks to the HTTP listener):
//!
//! - the `isomux-file` URI scheme (`isomux-file://localhost/{agent_id}/{name}`; on Windows
//!   `http://isomux-file.localhost/...`) serves an agent's stored file with the same rules as
//!   the HTTP download route: content-addressed names only (no traversal), the agent must exist,
//!   type from the extension, images inline and the rest as a download, `nosniff`, a sandboxing
//!   CSP;
//! - the `upload {agent_id, name, bytes}` command stores a file through the same core function
//!   as the HTTP upload route (size cap, SHA-256 name, type sniffing) and answers the same JSON.

use crate::error;
use crate::office::Desktop;
use isomux_core::files::{StoreError, agent_dir, is_image, mime_for_name, store, valid_name};
use isomux_protocol::op::responses::OpOutput;
use isomux_protocol::{AgentId, ErrorBody, ErrorCode, Op};
use serde_json::{Value, json};
use tauri::http::{Request, Response, StatusCode, header};
use tauri::{Manager, Runtime, State, UriSchemeContext, UriSchemeResponder};

/// The URI scheme the webview loads stored files from.
pub const SCHEME: &str = "isomux-file";

/// Decodes `%XX` escapes; `None` for a malformed escape or a result that is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Whether an agent id can name a directory: `[A-Za-z0-9_-]{1,64}` (so never a path).
fn valid_agent_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The `(agent_id, name)` a scheme URL's path names, or `None` when it names anything else.
/// The path is `/{agent_id}/{name}`, possibly percent-encoded as one segment (Tauri's
/// `convertFileSrc` encodes the slash).
pub fn parse_path(path: &str) -> Option<(String, String)> {
    let decoded = percent_decode(path.strip_prefix('/').unwrap_or(path))?;
    let (agent, name) = decoded.split_once('/')?;
    (valid_agent_id(agent) && valid_name(name)).then(|| (agent.to_owned(), name.to_owned()))
}

/// Whether the agent exists (the desktop user is the owner, who sees every agent).
async fn agent_exists(desktop: &Desktop, agent_id: &str) -> bool {
    matches!(
        desktop.office.call(desktop.caller.clone(), Op::ListAgents).await,
        Ok(OpOutput::Agents(list)) if list.agents.iter().any(|a| a.id.as_str() == agent_id)
    )
}

fn error_response(code: ErrorCode, message: &str) -> Response<Vec<u8>> {
    let body = serde_json::to_vec(&ErrorBody::new(code, message)).unwrap_or_default();
    Response::builder()
        .status(StatusCode::from_u16(code.status()).unwrap_or(StatusCode::NOT_FOUND))
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-content-type-options", "nosniff")
        .body(body)
        .unwrap_or_default()
}

/// The response for one scheme request.
async fn serve(desktop: &Desktop, path: &str) -> Response<Vec<u8>> {
    let Some((agent_id, name)) = parse_path(path) else {
        return error_response(ErrorCode::NotFound, "no such file");
    };
    if !agent_exists(desktop, &agent_id).await {
        return error_response(ErrorCode::NotFound, &format!("no agent {agent_id}"));
    }
    let file = agent_dir(&desktop.data_dir, &AgentId(agent_id)).join(&name);
    let Ok(bytes) = tokio::fs::read(&file).await else {
        return error_response(ErrorCode::NotFound, &format!("no file {name}"));
    };
    let mime = mime_for_name(&name);
    let disposition = if is_image(mime) {
        format!("inline; filename=\"{name}\"")
    } else {
        format!("attachment; filename=\"{name}\"")
    };
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, mime)
        .header(header::CONTENT_DISPOSITION, disposition)
        .header("x-content-type-options", "nosniff")
        .header(
            header::CONTENT_SECURITY_POLICY,
            "sandbox; default-src 'none'",
        )
        .header(
            header::CACHE_CONTROL,
            "private, max-age=31536000, immutable",
        )
        .body(bytes)
        .unwrap_or_default()
}

/// The `isomux-file` scheme handler (for `register_asynchronous_uri_scheme_protocol`).
#[expect(
    clippy::needless_pass_by_value,
    reason = "the signature Tauri's protocol registration requires"
)]
pub fn handle<R: Runtime>(
    ctx: UriSchemeContext<'_, R>,
    request: Request<Vec<u8>>,
    responder: UriSchemeResponder,
) {
    let desktop = ctx.app_handle().state::<Desktop>().inner().clone();
    let path = request.uri().path().to_owned();
    tauri::async_runtime::spawn(async move {
        responder.respond(serve(&desktop, &path).await);
    });
}

/// Stores one upload for an agent; the HTTP upload route's body, or its error body.
pub async fn store_upload(
    desktop: &Desktop,
    agent_id: &str,
    name: &str,
    bytes: &[u8],
) -> Result<Value, Value> {
    let not_found = || {
        error::body(&ErrorBody::new(
            ErrorCode::NotFound,
            format!("no agent {agent_id}"),
        ))
    };
    if !valid_agent_id(agent_id) || !agent_exists(desktop, agent_id).await {
        return Err(not_found());
    }
    let dir = agent_dir(&desktop.data_dir, &AgentId(agent_id.to_owned()));
    let original = if name.is_empty() { "file" } else { name };
    match store(&dir, original, bytes).await {
        Ok(stored) => Ok(json!({ "file": stored })),
        Err(e @ StoreError::TooLarge) => Err(error::body(&ErrorBody::new(
            ErrorCode::PayloadTooLarge,
            e.to_string(),
        ))),
        Err(e @ StoreError::Io(_)) => {
            tracing::error!(dir = %dir.display(), error = %e, "could not store an upload");
            Err(error::internal(e.to_string()))
        }
    }
}

/// `invoke("upload", {agentId, name, bytes})` with `bytes` an array of numbers: resolves to
/// `{"file": {"name", "original_name", "mime", "size"}}` as `POST .../uploads` answers.
#[tauri::command]
pub async fn upload(
    desktop: State<'_, Desktop>,
    agent_id: String,
    name: String,
    bytes: Vec<u8>,
) -> Result<Value, Value> {
    store_upload(&desktop, &agent_id, &name, &bytes).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// Where the office keeps an agent's files.
    fn dir_of(desktop: &Desktop, agent: &str) -> PathBuf {
        agent_dir(&desktop.data_dir, &AgentId(agent.to_owned()))
    }

    fn hash() -> String {
        "0123456789abcdef".repeat(4)
    }

    #[test]
    fn paths_name_one_agent_and_one_stored_file() {
        let h = hash();
        assert_eq!(
            parse_path(&format!("/ag_1/{h}.png")),
            Some(("ag_1".into(), format!("{h}.png")))
        );
        // convertFileSrc encodes the slash.
        assert_eq!(
            parse_path(&format!("/ag_1%2F{h}.png")),
            Some(("ag_1".into(), format!("{h}.png")))
        );
        for bad in [
            format!("/../{h}.png"),
            format!("/ag_1/../{h}.png"),
            format!("/ag_1%2F..%2F{h}.png"),
            format!("/%2e%2e/{h}.png"),
            "/ag_1/..%2F..%2Fisomux.db".into(),
            "/ag_1/isomux.db".into(),
            format!("/ag_1/{h}.png/x"),
            format!("/ag_1/sub/{h}.png"),
            format!("/ag.1/{h}.png"),
            format!("//{h}.png"),
            format!("/{h}.png"),
            format!("/ag_1%2/{h}.png"),
            format!("/ag_1%ff/{h}.png"),
            "/".into(),
            String::new(),
        ] {
            assert_eq!(parse_path(&bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn serves_stored_files_with_the_http_routes_rules() {
        let dir = tempfile::tempdir().unwrap();
        let (desktop, running) =
            crate::office::start(Some(dir.path().join("home")), Default::default())
                .await
                .unwrap();
        let spawned = crate::commands::call(
            &desktop,
            json!({"op": "spawn_agent", "name": "Filer", "backend": "demo",
                   "cwd": dir.path().to_string_lossy()}),
        )
        .await
        .unwrap();
        let agent = spawned["agent"]["id"].as_str().unwrap().to_owned();
        let png = b"\x89PNG\r\n\x1a\nnot really";
        let up = store_upload(&desktop, &agent, "shot.txt", png)
            .await
            .unwrap();
        let name = up["file"]["name"].as_str().unwrap().to_owned();
        assert_eq!(up["file"]["mime"], "image/png", "{up}");
        assert_eq!(up["file"]["original_name"], "shot.txt", "{up}");
        assert!(dir_of(&desktop, &agent).join(&name).is_file());

        let res = serve(&desktop, &format!("/{agent}/{name}")).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.body(), png);
        let h = res.headers();
        assert_eq!(h[header::CONTENT_TYPE], "image/png");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(
            h[header::CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .starts_with("inline")
        );
        assert_eq!(
            h[header::CONTENT_SECURITY_POLICY],
            "sandbox; default-src 'none'"
        );

        let text = store_upload(&desktop, &agent, "a.md", b"# hi")
            .await
            .unwrap();
        let text = text["file"]["name"].as_str().unwrap().to_owned();
        let res = serve(&desktop, &format!("/{agent}%2F{text}")).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(
            res.headers()[header::CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .starts_with("attachment")
        );

        for missing in [
            format!("/ag_nobody/{name}"),
            format!("/{agent}/{}.png", "f".repeat(64)),
            format!("/{agent}/..%2F..%2Fisomux.db"),
        ] {
            let res = serve(&desktop, &missing).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{missing}");
        }
        let err = store_upload(&desktop, "ag_nobody", "x", b"x")
            .await
            .unwrap_err();
        assert_eq!(err["error"]["code"], "not_found", "{err}");
        let err = store_upload(&desktop, "../x", "x", b"x").await.unwrap_err();
        assert_eq!(err["error"]["code"], "not_found", "{err}");
        let big = vec![0u8; isomux_core::files::MAX_FILE_BYTES + 1];
        let err = store_upload(&desktop, &agent, "big", &big)
            .await
            .unwrap_err();
        assert_eq!(err["error"]["code"], "payload_too_large", "{err}");
        running.stop().await.unwrap();
    }
}
