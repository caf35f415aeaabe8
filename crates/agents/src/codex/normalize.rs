//! The pure normalizer for ONE codex thread: app-server messages in, [`NormalizedEvent`]s,
//! approval requests and responses out. No IO, no async; the backend's reader task feeds it
//! every stdout line and acts on the [`Output`]s.
//!
//! Architecture invariant: anything tagged with another thread id (sub-agents, review mode,
//! a fork's source) produces no event, and a `turn/completed` only ends the turn this
//! normalizer saw start — resolving the wrong turn would unblock the office queue prematurely.

use super::rpc::{Decision, approval_answer, legacy_approval_answer};
use super::types::{
    Command, CommandApprovalParams, FileChange, FileChangeApprovalParams, Incoming, ItemStatus,
    LegacyExecApprovalParams, LegacyPatchApprovalParams, RequestId, RpcError, ThreadItem,
    ThreadResult, TokenUsage, Turn, TurnError, TurnStatus, thread_id_of,
};
use isomux_core::backend::NormalizedEvent;
use isomux_protocol::Usage;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

/// What the client's request with a given id was for, so its response can be interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// `thread/start|resume|fork`: the result names the thread this normalizer follows.
    Thread,
    /// `turn/start`: an error response means the turn never starts.
    TurnStart,
    /// Anything else (`initialize`, `turn/interrupt`…).
    Other,
}

/// A tool call that needs the user's decision, answered with [`ApprovalRequestIn::answer`].
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalRequestIn {
    /// The server's request id (its own sequence, from 0).
    pub rpc_id: RequestId,
    /// The item (= model `call_id`) the approval is about.
    pub item_id: Option<String>,
    pub turn_id: Option<String>,
    pub kind: ApprovalKind,
    pub reason: Option<String>,
    /// A legacy v1 request (`execCommandApproval`/`applyPatchApproval`), answered in v1 words.
    pub legacy: bool,
}

/// What is to be approved.
#[derive(Debug, Clone, PartialEq)]
pub enum ApprovalKind {
    Exec {
        command: Command,
        cwd: Option<String>,
    },
    Patch {
        paths: Vec<String>,
        changes: Vec<FileChange>,
    },
}

impl ApprovalRequestIn {
    /// The office's view of this request.
    pub fn to_event(&self) -> NormalizedEvent {
        let (tool, input, mut summary) = match &self.kind {
            ApprovalKind::Exec { command, cwd } => (
                "shell",
                json!({ "command": command, "cwd": cwd }),
                format!("Run `{}`", command.display()),
            ),
            ApprovalKind::Patch { paths, changes } => (
                "apply_patch",
                json!({ "paths": paths, "changes": changes }),
                if paths.is_empty() {
                    "Edit files".to_owned()
                } else {
                    format!("Edit {}", paths.join(", "))
                },
            ),
        };
        if let Some(reason) = self.reason.as_deref().filter(|r| !r.is_empty()) {
            summary.push_str(" — ");
            summary.push_str(reason);
        }
        NormalizedEvent::ApprovalRequest {
            request_id: self.rpc_id.to_string(),
            tool: tool.to_owned(),
            input,
            summary,
            unanalysable: None,
        }
    }

    /// The line to write back to codex.
    pub fn answer(&self, decision: Decision) -> Value {
        if self.legacy {
            legacy_approval_answer(&self.rpc_id, decision)
        } else {
            approval_answer(&self.rpc_id, decision)
        }
    }
}

/// What one incoming message means for the backend.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Forward to the office.
    Event(NormalizedEvent),
    /// Ask the office, then answer codex.
    Approval(ApprovalRequestIn),
    /// The response to one of our requests.
    Response {
        id: RequestId,
        result: Result<Value, RpcError>,
    },
    /// A server request this normalizer does not turn into an approval (another thread's, an
    /// unsupported method or malformed params). Answer it (decline or an error) so codex does
    /// not wait forever.
    UnhandledRequest { id: RequestId, method: String },
    /// Worth a log line (`warning`, retried errors, errors outside a turn).
    Notice(String),
    /// Known and deliberately dropped (or another thread's).
    Ignored,
    /// A method this build does not know, reported once per method.
    Unknown(String),
}

/// The state of one thread's conversation as seen through the wire.
#[derive(Debug, Default)]
pub struct Normalizer {
    thread_id: Option<String>,
    pending: HashMap<RequestId, Expect>,
    active_turn: Option<String>,
    usage: Usage,
    /// A non-retried `error` notification, reported with the failed `turn/completed`.
    turn_error: Option<TurnError>,
    /// `fileChange` items by id: the approval request does not repeat the paths.
    file_changes: HashMap<String, Vec<FileChange>>,
    /// `commandExecution` items by id, for approvals that omit the command.
    commands: HashMap<String, (Command, Option<String>)>,
    /// Streamed tool output by item id, used when the completed item has none.
    tool_output: HashMap<String, String>,
    unknown_seen: HashSet<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TurnParams {
    turn: Turn,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeltaParams {
    #[serde(default)]
    item_id: String,
    #[serde(default)]
    delta: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UsageParams {
    #[serde(default)]
    turn_id: Option<String>,
    token_usage: TokenUsage,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorParams {
    #[serde(default)]
    error: TurnError,
    #[serde(default)]
    will_retry: bool,
}

/// Notifications we understand and deliberately drop.
const IGNORED: &[&str] = &[
    "thread/started",
    "thread/status/changed",
    "serverRequest/resolved",
    "thread/goal/cleared",
    "thread/name/updated",
    "thread/compacted",
    "turn/diff/updated",
    "turn/plan/updated",
    "item/fileChange/patchUpdated",
    "item/mcpToolCall/progress",
    "item/reasoning/textDelta",
    "hook/started",
    "hook/completed",
    "model/rerouted",
    "deprecationNotice",
    "configWarning",
    "account/rateLimits/updated",
    "account/updated",
    "remoteControl/status/changed",
    "mcpServer/startupStatus/updated",
];

impl Normalizer {
    /// A normalizer that learns its thread from the response to an [`Expect::Thread`] request.
    pub fn new() -> Self {
        Self::default()
    }

    /// A normalizer for a thread whose id is already known.
    pub fn for_thread(thread_id: impl Into<String>) -> Self {
        Self {
            thread_id: Some(thread_id.into()),
            ..Self::default()
        }
    }

    /// Register a request we sent, so its response is understood.
    pub fn expect(&mut self, id: RequestId, what: Expect) {
        self.pending.insert(id, what);
    }

    /// The thread this normalizer follows, once known.
    pub fn thread_id(&self) -> Option<&str> {
        self.thread_id.as_deref()
    }

    /// The running turn (for `turn/interrupt`).
    pub fn active_turn(&self) -> Option<&str> {
        self.active_turn.as_deref()
    }

    /// Interpret one message read from codex's stdout. Never panics, whatever the input.
    pub fn push(&mut self, msg: &Value) -> Vec<Output> {
        match Incoming::classify(msg) {
            Incoming::Response { id, result } => self.on_response(id, result),
            Incoming::Request { id, method, params } => vec![self.on_request(id, method, &params)],
            Incoming::Notification { method, params } => self.on_notification(&method, &params),
            Incoming::Invalid(_) => vec![Output::Notice(format!(
                "codex sent a line that is not JSON-RPC: {}",
                truncate(&msg.to_string(), 200)
            ))],
        }
    }

    fn on_response(&mut self, id: RequestId, result: Result<Value, RpcError>) -> Vec<Output> {
        let mut out = Vec::new();
        match (self.pending.remove(&id), &result) {
            (Some(Expect::Thread), Ok(value)) => {
                if let Ok(r) = serde_json::from_value::<ThreadResult>(value.clone()) {
                    self.thread_id = Some(r.thread.id.clone());
                    out.push(Output::Event(NormalizedEvent::SessionId(r.thread.id)));
                }
            }
            (Some(Expect::TurnStart), Err(err)) => {
                out.push(Output::Event(NormalizedEvent::TurnFailed {
                    message: format!("codex refused the turn: {}", err.message),
                    hint: Some(
                        "This is a bug in the office's codex driver or a codex version it does \
                         not know; restart the agent, and report it if it happens again."
                            .into(),
                    ),
                }));
            }
            _ => {}
        }
        out.push(Output::Response { id, result });
        out
    }

    fn on_request(&mut self, id: RequestId, method: String, params: &Value) -> Output {
        let unhandled = |id: RequestId, method: String| Output::UnhandledRequest { id, method };
        if !self.is_ours(thread_id_of(params)) {
            return unhandled(id, method);
        }
        let approval = match method.as_str() {
            "item/commandExecution/requestApproval" => {
                serde_json::from_value::<CommandApprovalParams>(params.clone())
                    .ok()
                    .and_then(|p| {
                        let known = p.item_id.as_ref().and_then(|i| self.commands.get(i));
                        let command = p.command.or_else(|| known.map(|k| k.0.clone()))?;
                        let cwd = p.cwd.or_else(|| known.and_then(|k| k.1.clone()));
                        Some(ApprovalRequestIn {
                            rpc_id: id.clone(),
                            item_id: p.item_id,
                            turn_id: p.turn_id,
                            kind: ApprovalKind::Exec { command, cwd },
                            reason: p.reason,
                            legacy: false,
                        })
                    })
            }
            "item/fileChange/requestApproval" => {
                serde_json::from_value::<FileChangeApprovalParams>(params.clone())
                    .ok()
                    .map(|p| {
                        let changes = p
                            .item_id
                            .as_ref()
                            .and_then(|i| self.file_changes.get(i))
                            .cloned()
                            .unwrap_or_default();
                        ApprovalRequestIn {
                            rpc_id: id.clone(),
                            item_id: p.item_id,
                            turn_id: p.turn_id,
                            kind: ApprovalKind::Patch {
                                paths: changes.iter().map(|c| c.path.clone()).collect(),
                                changes,
                            },
                            reason: p.reason,
                            legacy: false,
                        }
                    })
            }
            "execCommandApproval" => {
                serde_json::from_value::<LegacyExecApprovalParams>(params.clone())
                    .ok()
                    .map(|p| ApprovalRequestIn {
                        rpc_id: id.clone(),
                        item_id: p.call_id,
                        turn_id: None,
                        kind: ApprovalKind::Exec {
                            command: p.command,
                            cwd: p.cwd,
                        },
                        reason: p.reason,
                        legacy: true,
                    })
            }
            "applyPatchApproval" => {
                serde_json::from_value::<LegacyPatchApprovalParams>(params.clone())
                    .ok()
                    .map(|p| {
                        let changes: Vec<FileChange> = p
                            .file_changes
                            .iter()
                            .map(|(path, change)| FileChange {
                                path: path.clone(),
                                kind: change.clone(),
                                diff: String::new(),
                            })
                            .collect();
                        ApprovalRequestIn {
                            rpc_id: id.clone(),
                            item_id: p.call_id,
                            turn_id: None,
                            kind: ApprovalKind::Patch {
                                paths: changes.iter().map(|c| c.path.clone()).collect(),
                                changes,
                            },
                            reason: p.reason,
                            legacy: true,
                        }
                    })
            }
            _ => None,
        };
        match approval {
            Some(a) => Output::Approval(a),
            None => unhandled(id, method),
        }
    }

    /// Whether a message tagged `tid` belongs to this thread. Untagged ones are process-wide.
    fn is_ours(&self, tid: Option<&str>) -> bool {
        match (tid, self.thread_id.as_deref()) {
            (Some(t), Some(ours)) => t == ours,
            (Some(_), None) => false,
            (None, _) => true,
        }
    }

    fn unknown(&mut self, method: &str) -> Vec<Output> {
        if self.unknown_seen.insert(method.to_owned()) {
            vec![Output::Unknown(method.to_owned())]
        } else {
            vec![Output::Ignored]
        }
    }

    fn on_notification(&mut self, method: &str, params: &Value) -> Vec<Output> {
        let tid = thread_id_of(params);
        if !self.is_ours(tid) {
            return vec![Output::Ignored];
        }
        let ev = |e: NormalizedEvent| vec![Output::Event(e)];
        match method {
            "turn/started" => {
                let Ok(p) = serde_json::from_value::<TurnParams>(params.clone()) else {
                    return vec![Output::Ignored];
                };
                self.active_turn = Some(p.turn.id);
                self.usage = Usage::default();
                self.turn_error = None;
                ev(NormalizedEvent::TurnStarted)
            }
            "turn/completed" => self.on_turn_completed(params),
            "item/started" => self.on_item(params, true),
            "item/completed" => self.on_item(params, false),
            "item/agentMessage/delta" => {
                match serde_json::from_value::<DeltaParams>(params.clone()) {
                    Ok(d) if !d.delta.is_empty() => ev(NormalizedEvent::TextDelta(d.delta)),
                    _ => vec![Output::Ignored],
                }
            }
            "item/reasoning/summaryTextDelta" => {
                match serde_json::from_value::<DeltaParams>(params.clone()) {
                    Ok(d) if !d.delta.is_empty() => ev(NormalizedEvent::ThinkingDelta(d.delta)),
                    _ => vec![Output::Ignored],
                }
            }
            "item/reasoning/summaryPartAdded" => {
                // Separate summary parts the way the completed item's parts are joined.
                match params.get("summaryIndex").and_then(Value::as_u64) {
                    Some(i) if i > 0 => ev(NormalizedEvent::ThinkingDelta("\n\n".into())),
                    _ => vec![Output::Ignored],
                }
            }
            "item/commandExecution/outputDelta" | "item/fileChange/outputDelta" => {
                if let Ok(d) = serde_json::from_value::<DeltaParams>(params.clone()) {
                    self.tool_output
                        .entry(d.item_id)
                        .or_default()
                        .push_str(&d.delta);
                }
                vec![Output::Ignored]
            }
            "thread/tokenUsage/updated" => {
                if let Ok(p) = serde_json::from_value::<UsageParams>(params.clone()) {
                    // After a resume codex replays the thread's usage tagged with an old turn:
                    // only a running turn's own updates count.
                    let current = match (&self.active_turn, &p.turn_id) {
                        (Some(a), Some(t)) => a == t,
                        (Some(_), None) => true,
                        (None, _) => false,
                    };
                    if current {
                        let last = p.token_usage.last;
                        self.usage.input_tokens +=
                            last.input_tokens.saturating_sub(last.cached_input_tokens);
                        self.usage.cache_read_tokens += last.cached_input_tokens;
                        self.usage.cache_write_tokens += last.cache_write_input_tokens;
                        self.usage.output_tokens += last.output_tokens;
                    }
                }
                vec![Output::Ignored]
            }
            "error" => {
                let Ok(p) = serde_json::from_value::<ErrorParams>(params.clone()) else {
                    return vec![Output::Ignored];
                };
                if p.will_retry {
                    vec![Output::Notice(format!(
                        "codex will retry: {}",
                        p.error.message
                    ))]
                } else if self.active_turn.is_some() {
                    self.turn_error = Some(p.error);
                    vec![Output::Ignored]
                } else {
                    vec![Output::Notice(format!("codex error: {}", p.error.message))]
                }
            }
            "warning" => {
                let message = params.get("message").and_then(Value::as_str).unwrap_or("");
                vec![Output::Notice(format!("codex warning: {message}"))]
            }
            m if IGNORED.contains(&m) => vec![Output::Ignored],
            m => self.unknown(m),
        }
    }

    fn on_turn_completed(&mut self, params: &Value) -> Vec<Output> {
        let Ok(p) = serde_json::from_value::<TurnParams>(params.clone()) else {
            return vec![Output::Ignored];
        };
        if self.active_turn.as_deref().is_some_and(|a| a != p.turn.id) {
            return vec![Output::Ignored];
        }
        self.active_turn = None;
        self.tool_output.clear();
        let mut usage = std::mem::take(&mut self.usage);
        usage.turns = 1;
        let stashed = self.turn_error.take();
        let event = match p.turn.status {
            TurnStatus::Failed => {
                let err = p
                    .turn
                    .error
                    .filter(|e| !e.message.is_empty())
                    .or(stashed)
                    .unwrap_or_default();
                let message = if err.message.is_empty() {
                    "codex reported a failed turn without a message".to_owned()
                } else {
                    err.message.clone()
                };
                NormalizedEvent::TurnFailed {
                    message,
                    hint: Some(hint_for(&err)),
                }
            }
            TurnStatus::Interrupted => NormalizedEvent::TurnCompleted {
                usage,
                interrupted: true,
            },
            TurnStatus::Completed | TurnStatus::InProgress | TurnStatus::Other => {
                NormalizedEvent::TurnCompleted {
                    usage,
                    interrupted: false,
                }
            }
        };
        vec![Output::Event(event)]
    }

    fn on_item(&mut self, params: &Value, started: bool) -> Vec<Output> {
        let Some(item) = params.get("item") else {
            return vec![Output::Ignored];
        };
        let event = match (ThreadItem::parse(item), started) {
            (ThreadItem::AgentMessage(m), false) if !m.text.is_empty() => {
                Some(NormalizedEvent::AssistantText(m.text))
            }
            (ThreadItem::Reasoning(r), false) => {
                let parts = if r.summary.is_empty() {
                    r.content
                } else {
                    r.summary
                };
                let text = parts.join("\n\n");
                (!text.is_empty()).then_some(NormalizedEvent::Thinking(text))
            }
            (ThreadItem::CommandExecution(c), true) => {
                self.commands
                    .insert(c.id.clone(), (c.command.clone(), c.cwd.clone()));
                Some(NormalizedEvent::ToolStarted {
                    call_id: c.id,
                    tool: "shell".into(),
                    input: json!({ "command": c.command, "cwd": c.cwd }),
                })
            }
            (ThreadItem::CommandExecution(c), false) => {
                self.commands.remove(&c.id);
                let streamed = self.tool_output.remove(&c.id);
                let ok = c.status == ItemStatus::Completed && c.exit_code.unwrap_or(0) == 0;
                let output = match c.status {
                    ItemStatus::Declined => "declined by the user".to_owned(),
                    _ => c.aggregated_output.or(streamed).unwrap_or_default(),
                };
                Some(NormalizedEvent::ToolFinished {
                    call_id: c.id,
                    output,
                    ok,
                })
            }
            (ThreadItem::FileChange(f), true) => {
                self.file_changes.insert(f.id.clone(), f.changes.clone());
                Some(NormalizedEvent::ToolStarted {
                    call_id: f.id,
                    tool: "apply_patch".into(),
                    input: json!({ "changes": f.changes }),
                })
            }
            (ThreadItem::FileChange(f), false) => {
                self.file_changes.remove(&f.id);
                let streamed = self.tool_output.remove(&f.id);
                let paths: Vec<&str> = f.changes.iter().map(|c| c.path.as_str()).collect();
                let output = match f.status {
                    ItemStatus::Completed => format!("updated {}", paths.join(", ")),
                    ItemStatus::Declined => "declined by the user".to_owned(),
                    _ => streamed.unwrap_or_else(|| "the patch was not applied".to_owned()),
                };
                Some(NormalizedEvent::ToolFinished {
                    call_id: f.id,
                    output,
                    ok: f.status == ItemStatus::Completed,
                })
            }
            (ThreadItem::McpToolCall(m), true) => Some(NormalizedEvent::ToolStarted {
                call_id: m.id,
                tool: format!("mcp__{}__{}", m.server, m.tool),
                input: m.arguments,
            }),
            (ThreadItem::McpToolCall(m), false) => Some(NormalizedEvent::ToolFinished {
                call_id: m.id,
                output: m
                    .error
                    .or(m.result)
                    .map(|v| value_text(&v))
                    .unwrap_or_default(),
                ok: m.status == ItemStatus::Completed,
            }),
            (ThreadItem::DynamicToolCall(d), true) => Some(NormalizedEvent::ToolStarted {
                call_id: d.id,
                tool: d.tool,
                input: d.arguments,
            }),
            (ThreadItem::DynamicToolCall(d), false) => Some(NormalizedEvent::ToolFinished {
                call_id: d.id,
                output: d.content_items.map(|v| value_text(&v)).unwrap_or_default(),
                ok: d.success.unwrap_or(d.status == ItemStatus::Completed),
            }),
            (ThreadItem::WebSearch(w), true) => Some(NormalizedEvent::ToolStarted {
                call_id: w.id,
                tool: "web_search".into(),
                input: json!({ "query": w.query }),
            }),
            (ThreadItem::WebSearch(w), false) => Some(NormalizedEvent::ToolFinished {
                call_id: w.id,
                output: String::new(),
                ok: true,
            }),
            _ => None,
        };
        match event {
            Some(e) => vec![Output::Event(e)],
            None => vec![Output::Ignored],
        }
    }
}

/// What the user can do about a failed turn, by `codexErrorInfo`.
pub fn hint_for(err: &TurnError) -> String {
    let info = match &err.codex_error_info {
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Object(m)) => m.keys().next().map_or("other", String::as_str),
        _ => "other",
    };
    let hint = match info {
        "contextWindowExceeded" => {
            "The conversation no longer fits the model's context window; start a new conversation \
             for this agent."
        }
        "usageLimitExceeded" => {
            "The codex account reached its usage limit; wait for it to reset or switch the agent \
             to another model or account."
        }
        "rateLimitExceeded" | "serverOverloaded" | "internalServerError" => {
            "The model provider is overloaded or failing; send the message again in a moment."
        }
        "modelNotFound" => {
            "The model is not available to this provider or account; pick another model for this \
             agent."
        }
        "unauthorized" => {
            "Codex is not logged in or its API key is wrong; run `codex login` (or set the \
             provider's API key) and restart the agent."
        }
        "badRequest" => {
            "The provider rejected the request; check the model and provider settings in \
             $CODEX_HOME/config.toml."
        }
        "sandboxError" => {
            "The sandbox could not run the command; check that bwrap works and that CODEX_HOME is \
             not under /tmp."
        }
        "httpConnectionFailed"
        | "responseStreamConnectionFailed"
        | "responseStreamDisconnected"
        | "responseTooManyFailedAttempts" => {
            "Could not reach the model provider; check the network and the provider's base_url, \
             then send the message again."
        }
        _ if err.message.starts_with("stream disconnected") => {
            "The model's response stream broke off; send the message again."
        }
        _ => "Send the message again; if it keeps failing, restart the agent.",
    };
    hint.to_owned()
}

/// Tool results as text: strings verbatim, anything else as compact JSON.
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests;
