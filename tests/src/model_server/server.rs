//! The part both servers share: an HTTP server on its own thread and runtime, the request log,
//! and the response writers (JSON, SSE with per-event delays and hang-up detection).

use super::recorded::{LastInput, RecordedRequest};
use super::script::{Reply, Script, SseEvent, Usage};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, watch};

/// State shared by the HTTP handlers and the test.
#[derive(Debug)]
pub(crate) struct Shared {
    log: Mutex<Vec<RecordedRequest>>,
    script: Mutex<Script>,
    /// Bumped on every new request and every response update, for `wait_for`.
    changed: watch::Sender<u64>,
    started: Instant,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.log).clone()
    }

    pub(crate) fn set_script(&self, script: Script) {
        *lock(&self.script) = script;
    }

    pub(crate) fn push_reply(&self, reply: Reply) {
        lock(&self.script).push(reply);
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    fn record(&self, mut req: RecordedRequest) -> usize {
        let idx = {
            let mut log = lock(&self.log);
            req.n = log.len() + 1;
            log.push(req);
            log.len() - 1
        };
        self.changed.send_modify(|v| *v += 1);
        idx
    }

    fn update(&self, idx: usize, f: impl FnOnce(&mut RecordedRequest)) {
        if let Some(r) = lock(&self.log).get_mut(idx) {
            f(r);
        }
        self.changed.send_modify(|v| *v += 1);
    }
}

/// A provider's routing: answers one recorded request.
pub(crate) type Route = fn(&Exchange) -> Response;

/// One request being answered.
pub(crate) struct Exchange {
    pub shared: Arc<Shared>,
    pub idx: usize,
    pub req: RecordedRequest,
}

impl Exchange {
    /// The reply to this model request (consumes a queued reply), with the usage to report.
    pub fn next_reply(&self) -> (Reply, Usage, LastInput) {
        let last = self.req.last_input();
        let mut script = lock(&self.shared.script);
        (script.next_reply(&last), script.usage, last)
    }

    pub fn count_tokens(&self) -> u64 {
        lock(&self.shared.script).count_tokens
    }

    pub fn empty(&self, status: u16) -> Response {
        self.shared.update(self.idx, |r| r.status = Some(status));
        let mut resp = Response::new(Body::empty());
        *resp.status_mut() = status_code(status);
        resp
    }

    pub fn json(&self, status: u16, value: Value, headers: &[(&str, String)]) -> Response {
        let body = value.to_string();
        self.shared.update(self.idx, |r| {
            r.status = Some(status);
            r.response_json = Some(value);
        });
        let mut resp = Response::new(Body::from(body));
        *resp.status_mut() = status_code(status);
        set_header(&mut resp, "content-type", "application/json");
        for (k, v) in headers {
            set_header(&mut resp, k, v);
        }
        resp
    }

    /// Streams `frames` as `text/event-stream` (`Connection: close`, one chunk per event),
    /// sleeping each frame's `delay_after` after writing it. Records each event as it is handed
    /// to the connection, `stream_finished` at the end, and `client_disconnected` if the
    /// connection drops the body first.
    pub fn sse(&self, frames: Vec<Frame>, headers: &[(&str, String)]) -> Response {
        self.shared.update(self.idx, |r| r.status = Some(200));
        let state = StreamState {
            frames: frames.into_iter(),
            pending_delay: Duration::ZERO,
            guard: StreamGuard {
                shared: self.shared.clone(),
                idx: self.idx,
                finished: false,
            },
        };
        let stream = futures_util::stream::unfold(state, |mut st| async move {
            if !st.pending_delay.is_zero() {
                tokio::time::sleep(st.pending_delay).await;
            }
            let Some(frame) = st.frames.next() else {
                st.guard.finished = true;
                st.guard
                    .shared
                    .update(st.guard.idx, |r| r.stream_finished = true);
                return None;
            };
            st.pending_delay = frame.delay_after;
            let bytes = Bytes::from(frame.event.wire());
            st.guard
                .shared
                .update(st.guard.idx, |r| r.sse.push(frame.event));
            Some((Ok::<_, Infallible>(bytes), st))
        });
        let mut resp = Response::new(Body::from_stream(stream));
        set_header(&mut resp, "content-type", "text/event-stream");
        set_header(&mut resp, "cache-control", "no-cache");
        set_header(&mut resp, "connection", "close");
        for (k, v) in headers {
            set_header(&mut resp, k, v);
        }
        resp
    }
}

/// An SSE event to write and how long to wait after it.
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    pub event: SseEvent,
    pub delay_after: Duration,
}

impl Frame {
    pub fn new(event: &str, data: Value) -> Self {
        Self {
            event: SseEvent::new(event, data),
            delay_after: Duration::ZERO,
        }
    }

    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay_after = delay;
        self
    }
}

struct StreamState {
    frames: std::vec::IntoIter<Frame>,
    pending_delay: Duration,
    guard: StreamGuard,
}

/// Marks the exchange `client_disconnected` when the body is dropped before its end (the
/// connection failed to write, or the server shut down).
struct StreamGuard {
    shared: Arc<Shared>,
    idx: usize,
    finished: bool,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        if !self.finished {
            self.shared
                .update(self.idx, |r| r.client_disconnected = true);
        }
    }
}

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn set_header(resp: &mut Response, name: &str, value: &str) {
    if let (Ok(name), Ok(value)) = (
        header::HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(value),
    ) {
        resp.headers_mut().insert(name, value);
    }
}

/// The HTTP server thread. Stops (cancelling open streams) on drop.
#[derive(Debug)]
pub(crate) struct Running {
    pub shared: Arc<Shared>,
    pub addr: std::net::SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    /// Binds 127.0.0.1:0 and serves on a dedicated thread with its own runtime, so that the
    /// server keeps answering whatever the test does with its own threads (blocking reads
    /// included).
    pub fn start(name: &str, script: Script, route: Route) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("{name} model server: binding 127.0.0.1:0: {e}"));
        let addr = listener.local_addr().expect("local_addr");
        listener.set_nonblocking(true).expect("set_nonblocking");
        let shared = Arc::new(Shared {
            log: Mutex::new(Vec::new()),
            script: Mutex::new(script),
            changed: watch::channel(0).0,
            started: Instant::now(),
        });
        let (tx, rx) = oneshot::channel::<()>();
        let app = axum::Router::new()
            .fallback(handle)
            .with_state((shared.clone(), route));
        let thread = std::thread::Builder::new()
            .name(format!("{name}-model-server"))
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("model server runtime");
                rt.block_on(async move {
                    let listener =
                        tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                    tokio::select! {
                        r = axum::serve(listener, app) => {
                            if let Err(e) = r {
                                eprintln!("model server stopped: {e}");
                            }
                        }
                        _ = rx => {}
                    }
                });
                // Dropping the runtime cancels the connection tasks (open streams included).
            })
            .expect("spawning the model server thread");
        Self {
            shared,
            addr,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Records every request, then lets the provider answer it.
async fn handle(State((shared, route)): State<(Arc<Shared>, Route)>, req: Request) -> Response {
    let at = Instant::now();
    let (parts, body) = req.into_parts();
    let mut headers = BTreeMap::<String, String>::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    let raw = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let encoded = headers
        .get("content-encoding")
        .is_some_and(|e| !e.eq_ignore_ascii_case("identity"));
    let body = if encoded {
        // codex can zstd-compress request bodies; this double does not decode them.
        json!({"_undecoded": headers["content-encoding"], "_len": raw.len()})
    } else if raw.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&raw)
            .unwrap_or_else(|_| json!({"_raw": String::from_utf8_lossy(&raw)}))
    };
    let req = RecordedRequest {
        n: 0,
        method: parts.method.as_str().to_owned(),
        path: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned()),
        headers,
        body,
        at,
        elapsed: at.duration_since(shared.started),
        status: None,
        response_json: None,
        sse: Vec::new(),
        stream_finished: false,
        client_disconnected: false,
    };
    let idx = shared.record(req.clone());
    let req = RecordedRequest { n: idx + 1, ..req };
    let ex = Exchange { shared, idx, req };
    if encoded {
        return ex.json(
            415,
            json!({"error": {"message": "the mock model server does not decode content-encoding"}}),
            &[],
        );
    }
    route(&ex)
}
