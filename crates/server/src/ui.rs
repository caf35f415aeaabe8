//! The static UI: embedded in the binary (`embed-ui` feature), served from a directory, or a
//! placeholder page that says how to build it. Deep links fall back to `index.html` (200), and
//! HTML gets the security headers (CSP allowing wasm, no framing).

use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use std::path::PathBuf;

/// Where the UI's files come from.
#[derive(Debug, Clone)]
pub enum UiSource {
    /// Files compiled into the binary (`embed-ui`).
    Embedded,
    /// A directory such as `ui/dist`.
    Dir(PathBuf),
    /// No UI: a page explaining how to build it.
    Placeholder,
}

impl UiSource {
    /// The best source available: embedded if compiled in, else `ISOMUX_UI_DIR`, else none.
    pub fn detect() -> Self {
        if cfg!(feature = "embed-ui") {
            return Self::Embedded;
        }
        match std::env::var_os("ISOMUX_UI_DIR") {
            Some(d) if PathBuf::from(&d).join("index.html").is_file() => Self::Dir(d.into()),
            _ => Self::Placeholder,
        }
    }
}

#[cfg(feature = "embed-ui")]
#[derive(rust_embed::Embed)]
#[folder = "../../ui/dist"]
struct Assets;

/// Content-Security-Policy for the app shell (design §12).
pub const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; \
manifest-src 'self'; worker-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
form-action 'self'";

const PLACEHOLDER: &str = "<!doctype html><html><head><meta charset=utf-8><title>Isomux</title>\
</head><body><h1>Isomux is running</h1><p>This binary was built without the web UI. Build it \
with <code>cargo xtask build</code> (or start with <code>cargo xtask run</code>). The REST API \
and WebSocket are available.</p></body></html>";

fn load(source: &crate::UiSource, path: &str) -> Option<Vec<u8>> {
    if path
        .split('/')
        .any(|seg| seg == ".." || seg.starts_with('.'))
    {
        return None;
    }
    match source {
        #[cfg(feature = "embed-ui")]
        UiSource::Embedded => Assets::get(path).map(|f| f.data.into_owned()),
        #[cfg(not(feature = "embed-ui"))]
        UiSource::Embedded => None,
        UiSource::Dir(dir) => std::fs::read(dir.join(path)).ok(),
        UiSource::Placeholder => None,
    }
}

fn respond(path: &str, bytes: Vec<u8>) -> Response {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let mut res = Response::new(Body::from(bytes));
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(mime.as_ref()).unwrap_or(HeaderValue::from_static("text/plain")),
    );
    if mime.subtype() == "html" {
        h.insert("content-security-policy", HeaderValue::from_static(CSP));
        h.insert("x-frame-options", HeaderValue::from_static("DENY"));
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    } else if matches!(path, "sw.js" | "manifest.webmanifest" | "loader.js") {
        // Unhashed names: always revalidate so a new build's service worker is picked up.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    res
}

/// Serves a UI file, falling back to `index.html` for client-side routes.
pub(crate) async fn serve(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    method: Method,
    uri: Uri,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let path = uri.path().trim_start_matches('/');
    let source = &state.config.ui;
    if !path.is_empty()
        && let Some(bytes) = load(source, path)
    {
        return respond(path, bytes);
    }
    // Files with an extension that do not exist are real 404s; routes get the app shell.
    if path.rsplit('/').next().is_some_and(|f| f.contains('.')) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match load(source, "index.html") {
        Some(bytes) => respond("index.html", bytes),
        None => respond("index.html", PLACEHOLDER.as_bytes().to_vec()),
    }
}
