//! Scripted model servers on 127.0.0.1 for driving the real `claude` and `codex` CLIs
//! without the internet: [`AnthropicServer`] (Messages API, SSE) and [`OpenAiServer`]
//! (Responses API, SSE). Each answers model requests from a [`Script`] (text, thinking, tool
//! calls, HTTP and mid-stream errors, slow streams to interrupt) and records every request it
//! receives ([`RecordedRequest`]) for assertions.
//!
//! ```no_run
//! # use isomux_tests::model_server::*;
//! let server = AnthropicServer::start(
//!     Script::new()
//!         .then(Reply::shell("echo hi"))
//!         .on("SLOW", Reply::slow_chunks(60, std::time::Duration::from_millis(250))),
//! );
//! // spawn claude with `server.claude_env()`, talk to it, then:
//! let first = &server.model_requests()[0];
//! assert_eq!(first.last_user_text().as_deref(), Some("hello"));
//! ```
//!
//! The wire format follows `mock-model-servers.md` (the protocol notes captured with Claude
//! Code 2.1.197 and codex 0.169.0). Each server runs on its own thread and runtime, so it keeps
//! answering whatever the test does with its own threads; dropping it stops it.

mod anthropic;
mod openai;
mod recorded;
mod script;
mod server;

pub use anthropic::THINKING_SIGNATURE;
pub use recorded::{LastInput, RecordedRequest, last_user_text, system_text};
pub use script::{Part, Reply, Script, SseEvent, Turn, Usage};

use anyhow::{Result, bail};
use server::Running;
use std::ops::Deref;
use std::time::{Duration, Instant};

/// What both servers offer: the URL, the request log, the script.
#[derive(Debug)]
pub struct ModelServer {
    running: Running,
}

impl ModelServer {
    /// `http://127.0.0.1:PORT` (no trailing slash, no `/v1`).
    pub fn url(&self) -> String {
        format!("http://{}", self.running.addr)
    }

    pub fn port(&self) -> u16 {
        self.running.addr.port()
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.running.shared.requests()
    }

    /// The model calls only (`POST /v1/messages`, `POST /v1/responses`).
    pub fn model_requests(&self) -> Vec<RecordedRequest> {
        let mut all = self.requests();
        all.retain(RecordedRequest::is_model_call);
        all
    }

    /// How many model calls have some string value containing `needle`.
    pub fn count_requests_containing(&self, needle: &str) -> usize {
        self.model_requests()
            .iter()
            .filter(|r| r.contains(needle))
            .count()
    }

    /// Replaces the script (queued replies not yet used are dropped).
    pub fn set_script(&self, script: Script) {
        self.running.shared.set_script(script);
    }

    /// Queues one more reply (see [`Script::then`]).
    pub fn push_reply(&self, reply: Reply) {
        self.running.shared.push_reply(reply);
    }

    /// Waits until `done(requests)` holds (re-checked whenever a request arrives or a response
    /// progresses), and returns the requests. Fails after `timeout` with a summary of the log.
    pub async fn wait_for(
        &self,
        what: &str,
        timeout: Duration,
        done: impl Fn(&[RecordedRequest]) -> bool,
    ) -> Result<Vec<RecordedRequest>> {
        let mut changed = self.running.shared.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            changed.borrow_and_update();
            let requests = self.requests();
            if done(&requests) {
                return Ok(requests);
            }
            if tokio::time::timeout_at(deadline, changed.changed())
                .await
                .is_err()
            {
                bail!("{}", self.timeout_message(what, timeout));
            }
        }
    }

    /// [`ModelServer::wait_for`] for code outside a Tokio runtime (polls every 10 ms).
    pub fn wait_for_blocking(
        &self,
        what: &str,
        timeout: Duration,
        done: impl Fn(&[RecordedRequest]) -> bool,
    ) -> Result<Vec<RecordedRequest>> {
        let deadline = Instant::now() + timeout;
        loop {
            let requests = self.requests();
            if done(&requests) {
                return Ok(requests);
            }
            if Instant::now() >= deadline {
                bail!("{}", self.timeout_message(what, timeout));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for at least `count` model calls.
    pub async fn wait_for_model_requests(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<RecordedRequest>> {
        let what = format!("{count} model request(s)");
        let all = self
            .wait_for(&what, timeout, |r| {
                r.iter().filter(|r| r.is_model_call()).count() >= count
            })
            .await?;
        Ok(all
            .into_iter()
            .filter(RecordedRequest::is_model_call)
            .collect())
    }

    /// One line per request so far, for failure messages.
    pub fn summary(&self) -> String {
        self.requests()
            .iter()
            .map(|r| {
                format!(
                    "#{} {} {} -> {:?}, {} events{}{}; last input {:?}",
                    r.n,
                    r.method,
                    r.path,
                    r.status,
                    r.sse.len(),
                    if r.stream_finished { ", finished" } else { "" },
                    if r.client_disconnected {
                        ", client disconnected"
                    } else {
                        ""
                    },
                    r.last_input(),
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn timeout_message(&self, what: &str, timeout: Duration) -> String {
        format!(
            "timed out after {timeout:?} waiting for {what}; requests so far:\n{}",
            self.summary()
        )
    }
}

/// The Anthropic Messages API double for Claude Code: `HEAD /` (200), `POST /v1/messages`
/// (SSE when `stream` is true, else a JSON message), `POST /v1/messages/count_tokens`
/// (`{"input_tokens": N}`); 404 for everything else.
#[derive(Debug)]
pub struct AnthropicServer {
    inner: ModelServer,
}

impl AnthropicServer {
    /// Binds 127.0.0.1 on a free port and serves `script`.
    pub fn start(script: Script) -> Self {
        Self {
            inner: ModelServer {
                running: Running::start("anthropic", script, anthropic::route),
            },
        }
    }

    /// The environment that points Claude Code here: `ANTHROPIC_BASE_URL`,
    /// `ANTHROPIC_API_KEY=sk-test`, `CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1` and
    /// `CLAUDE_CODE_MAX_RETRIES=0` (errors reach the test at once). Add a throwaway `HOME`.
    pub fn claude_env(&self) -> Vec<(String, String)> {
        [
            ("ANTHROPIC_BASE_URL", self.url()),
            ("ANTHROPIC_API_KEY", "sk-test".to_owned()),
            ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1".to_owned()),
            ("CLAUDE_CODE_MAX_RETRIES", "0".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }
}

impl Deref for AnthropicServer {
    type Target = ModelServer;
    fn deref(&self) -> &ModelServer {
        &self.inner
    }
}

/// The OpenAI Responses API double for codex: `POST /v1/responses` (SSE), `GET /v1/models`
/// (an empty list); 404 for everything else (including the WebSocket upgrade attempt).
#[derive(Debug)]
pub struct OpenAiServer {
    inner: ModelServer,
}

impl OpenAiServer {
    /// The variable [`OpenAiServer::codex_config_toml`] names as `env_key`; codex sends its
    /// value as `Authorization: Bearer ...` and refuses to start a turn without it.
    pub const API_KEY_ENV: &'static str = "MOCK_OPENAI_API_KEY";

    /// Binds 127.0.0.1 on a free port and serves `script`.
    pub fn start(script: Script) -> Self {
        Self {
            inner: ModelServer {
                running: Running::start("openai", script, openai::route),
            },
        }
    }

    /// `http://127.0.0.1:PORT/v1`: a codex provider's `base_url` (codex appends `/responses`).
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.url())
    }

    /// A complete `$CODEX_HOME/config.toml` selecting this server as provider `mock` with model
    /// `gpt-5.5` (classic function tools), no retries and no WebSockets. Set
    /// [`OpenAiServer::API_KEY_ENV`] in codex's environment.
    pub fn codex_config_toml(&self) -> String {
        format!(
            r#"model = "gpt-5.5"
model_provider = "mock"
approval_policy = "on-request"
sandbox_mode = "workspace-write"

[model_providers.mock]
name = "Mock Responses API"
base_url = "{}"
wire_api = "responses"
env_key = "{}"
requires_openai_auth = false
supports_websockets = false
request_max_retries = 0
stream_max_retries = 0
stream_idle_timeout_ms = 60000
"#,
            self.base_url(),
            Self::API_KEY_ENV
        )
    }
}

impl Deref for OpenAiServer {
    type Target = ModelServer;
    fn deref(&self) -> &ModelServer {
        &self.inner
    }
}
