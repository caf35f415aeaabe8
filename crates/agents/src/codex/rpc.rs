//! Builders for every message the client writes to `codex app-server`: requests with ids from
//! one counter, the `initialized` notification and answers to server requests (approvals,
//! errors). Shapes are exactly the fixtures' `send` lines; nothing here does IO.

use super::types::RequestId;
use serde::Serialize;
use serde_json::{Map, Value, json};

/// Hands out our request ids: 0, 1, 2… (the server's own request ids are a separate sequence).
#[derive(Debug, Default)]
pub struct RequestIds {
    next: i64,
}

impl RequestIds {
    /// The next id.
    pub fn next_id(&mut self) -> RequestId {
        let id = self.next;
        self.next += 1;
        RequestId::Int(id)
    }
}

/// A request: `{"method","id","params"}` (no `"jsonrpc"` member; codex neither sends nor needs it).
pub fn request(id: &RequestId, method: &str, params: Value) -> Value {
    let mut m = Map::new();
    m.insert("method".into(), method.into());
    m.insert("id".into(), json!(id));
    m.insert("params".into(), params);
    Value::Object(m)
}

/// `clientInfo` of `initialize`; `name` becomes the `originator` of model requests.
#[derive(Debug, Clone, Serialize)]
pub struct ClientInfo {
    pub name: String,
    pub title: String,
    pub version: String,
}

/// `initialize` with `experimentalApi:false` (we only use the stable API).
pub fn initialize(id: &RequestId, client: &ClientInfo) -> Value {
    request(
        id,
        "initialize",
        json!({
            "clientInfo": client,
            "capabilities": { "experimentalApi": false, "requestAttestation": false },
        }),
    )
}

/// The notification that completes the handshake (no `params`).
pub fn initialized() -> Value {
    json!({ "method": "initialized" })
}

/// `approvalPolicy`. The office always uses `Untrusted` (design §10): every command that is not
/// known-safe is asked for, so approvals reach the office.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApprovalPolicy {
    Untrusted,
    OnRequest,
    Never,
}

/// `sandbox` mode of `thread/start|resume|fork`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxMode {
    ReadOnly,
    WorkspaceWrite,
    DangerFullAccess,
}

/// Params shared by `thread/start`, `thread/resume` and `thread/fork` (all optional).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadParams {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval_policy: Option<ApprovalPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<SandboxMode>,
    /// Config overrides, keyed like `-c` (dotted paths), e.g.
    /// `"sandbox_workspace_write.network_access": true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<Map<String, Value>>,
    /// Added to the built-in system prompt (`baseInstructions` would replace it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub developer_instructions: Option<String>,
}

impl ThreadParams {
    /// What the office sends: `approvalPolicy:"untrusted"`, `sandbox:"workspace-write"` and,
    /// when the agent must reach the office over HTTP (design §12), network access for the
    /// workspace-write sandbox (off by default in codex).
    pub fn office(cwd: impl Into<String>, network: bool) -> Self {
        let config = network.then(|| {
            let mut m = Map::new();
            m.insert(
                "sandbox_workspace_write.network_access".into(),
                Value::Bool(true),
            );
            m
        });
        ThreadParams {
            cwd: Some(cwd.into()),
            approval_policy: Some(ApprovalPolicy::Untrusted),
            sandbox: Some(SandboxMode::WorkspaceWrite),
            config,
            ..ThreadParams::default()
        }
    }
}

fn params_value(p: &ThreadParams) -> Map<String, Value> {
    match serde_json::to_value(p) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// `thread/start`; the result (and a later `thread/started`) carries the new thread id.
pub fn thread_start(id: &RequestId, p: &ThreadParams) -> Value {
    request(id, "thread/start", Value::Object(params_value(p)))
}

/// `thread/resume` of a thread persisted in `$CODEX_HOME` (works from a new process).
/// `exclude_turns: true` skips the deprecated full-history hydration.
pub fn thread_resume(
    id: &RequestId,
    thread_id: &str,
    exclude_turns: bool,
    p: &ThreadParams,
) -> Value {
    let mut m = params_value(p);
    m.insert("threadId".into(), thread_id.into());
    if exclude_turns {
        m.insert("excludeTurns".into(), true.into());
    }
    request(id, "thread/resume", Value::Object(m))
}

/// `thread/fork`: a new thread (new id) with the source's history.
pub fn thread_fork(
    id: &RequestId,
    thread_id: &str,
    exclude_turns: bool,
    p: &ThreadParams,
) -> Value {
    thread_fork_through(id, thread_id, None, exclude_turns, p)
}

/// `thread/fork` keeping the source's history through turn `last_turn_id` (inclusive; its
/// later turns are left out), or all of it.
pub fn thread_fork_through(
    id: &RequestId,
    thread_id: &str,
    last_turn_id: Option<&str>,
    exclude_turns: bool,
    p: &ThreadParams,
) -> Value {
    let mut m = params_value(p);
    m.insert("threadId".into(), thread_id.into());
    if let Some(turn) = last_turn_id {
        m.insert("lastTurnId".into(), turn.into());
    }
    if exclude_turns {
        m.insert("excludeTurns".into(), true.into());
    }
    request(id, "thread/fork", Value::Object(m))
}

/// One `UserInput` of `turn/start`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserInput {
    Text(String),
    /// An image by URL (`data:` URLs included).
    ImageUrl(String),
    /// An image file on the machine running codex.
    LocalImage(String),
}

impl UserInput {
    fn to_value(&self) -> Value {
        match self {
            // `text_elements` is required by the server even when empty.
            UserInput::Text(text) => json!({"type": "text", "text": text, "text_elements": []}),
            UserInput::ImageUrl(url) => json!({"type": "image", "url": url}),
            UserInput::LocalImage(path) => json!({"type": "localImage", "path": path}),
        }
    }
}

/// `turn/start`. The response only says the turn was accepted; progress arrives as
/// notifications.
pub fn turn_start(id: &RequestId, thread_id: &str, input: &[UserInput]) -> Value {
    let input: Vec<Value> = input.iter().map(UserInput::to_value).collect();
    request(
        id,
        "turn/start",
        json!({ "threadId": thread_id, "input": input }),
    )
}

/// `turn/start` with a `sandboxPolicy` override (sticks for later turns): workspace-write with
/// network access, the per-turn alternative to [`ThreadParams::office`]'s config override.
pub fn turn_start_with_network(id: &RequestId, thread_id: &str, input: &[UserInput]) -> Value {
    let mut msg = turn_start(id, thread_id, input);
    msg["params"]["sandboxPolicy"] = json!({"type": "workspaceWrite", "networkAccess": true});
    msg
}

/// `turn/steer`: adds `input` to the running turn `expected_turn_id` (codex refuses it when
/// another turn, or none, is running). The model sees it with its next request.
pub fn turn_steer(
    id: &RequestId,
    thread_id: &str,
    expected_turn_id: &str,
    input: &[UserInput],
) -> Value {
    let input: Vec<Value> = input.iter().map(UserInput::to_value).collect();
    request(
        id,
        "turn/steer",
        json!({ "threadId": thread_id, "input": input, "expectedTurnId": expected_turn_id }),
    )
}

/// `turn/interrupt`; the turn then ends with `turn/completed {status:"interrupted"}`.
pub fn turn_interrupt(id: &RequestId, thread_id: &str, turn_id: &str) -> Value {
    request(
        id,
        "turn/interrupt",
        json!({ "threadId": thread_id, "turnId": turn_id }),
    )
}

/// The answer to a v2 approval request (`item/commandExecution/requestApproval`,
/// `item/fileChange/requestApproval`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Decision {
    Accept,
    AcceptForSession,
    /// The model is told and the turn goes on.
    Decline,
    /// Decline and interrupt the turn.
    Cancel,
}

impl Decision {
    /// The legacy v1 vocabulary (`execCommandApproval` / `applyPatchApproval`).
    fn legacy(self) -> &'static str {
        match self {
            Decision::Accept => "approved",
            Decision::AcceptForSession => "approved_for_session",
            Decision::Decline => "denied",
            Decision::Cancel => "abort",
        }
    }
}

/// `{"id":<server's id>,"result":{...}}`.
pub fn response(id: &RequestId, result: Value) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.insert("result".into(), result);
    Value::Object(m)
}

/// The answer to a v2 approval request.
pub fn approval_answer(id: &RequestId, decision: Decision) -> Value {
    response(id, json!({ "decision": decision }))
}

/// The answer to a legacy v1 approval request.
pub fn legacy_approval_answer(id: &RequestId, decision: Decision) -> Value {
    response(id, json!({ "decision": decision.legacy() }))
}

/// An error answer to a server request we do not support (so codex does not wait forever).
pub fn error_response(id: &RequestId, code: i64, message: &str) -> Value {
    json!({ "id": id, "error": { "code": code, "message": message } })
}

#[cfg(test)]
mod tests;
