//! Raw wire types of `codex app-server` 0.169.0 (JSON-RPC "lite" over stdio): message
//! classification, the notification/request params we read and the thread items inside them.
//! Everything is tolerant: unknown fields are ignored, unknown methods and item types land in a
//! catch-all that keeps the raw `Value`. No normalization happens here (see `normalize.rs`).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// A JSON-RPC id. Codex accepts integers or strings; its own server→client requests use
/// integers starting at 0, a sequence separate from ours.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RequestId {
    /// The usual form (`"id":2`).
    Int(i64),
    /// Allowed by the schema.
    Str(String),
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestId::Int(n) => write!(f, "{n}"),
            RequestId::Str(s) => f.write_str(s),
        }
    }
}

impl From<i64> for RequestId {
    fn from(n: i64) -> Self {
        RequestId::Int(n)
    }
}

/// The `error` member of a JSON-RPC error response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RpcError {
    #[serde(default)]
    pub code: i64,
    #[serde(default)]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

/// One line from codex's stdout, routed by shape (doc §11): `id`+`method` is a server request,
/// `id` alone a response, `method` alone a notification.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// The answer to one of our requests.
    Response {
        id: RequestId,
        result: Result<Value, RpcError>,
    },
    /// The server asks us something (approvals); answer with the same id.
    Request {
        id: RequestId,
        method: String,
        params: Value,
    },
    /// A notification; `params` is `Null` when absent.
    Notification { method: String, params: Value },
    /// Not a JSON-RPC message we understand (kept for logging).
    Invalid(Value),
}

impl Incoming {
    /// Classify one parsed line. Never panics.
    pub fn classify(msg: &Value) -> Incoming {
        let Some(obj) = msg.as_object() else {
            return Incoming::Invalid(msg.clone());
        };
        let id = obj
            .get("id")
            .and_then(|v| serde_json::from_value::<RequestId>(v.clone()).ok());
        let method = obj.get("method").and_then(Value::as_str).map(str::to_owned);
        let params = obj.get("params").cloned().unwrap_or(Value::Null);
        match (id, method) {
            (Some(id), Some(method)) => Incoming::Request { id, method, params },
            (None, Some(method)) => Incoming::Notification { method, params },
            (Some(id), None) => {
                if let Some(err) = obj.get("error") {
                    let err =
                        serde_json::from_value::<RpcError>(err.clone()).unwrap_or_else(|_| {
                            RpcError {
                                code: 0,
                                message: err.to_string(),
                                data: None,
                            }
                        });
                    Incoming::Response {
                        id,
                        result: Err(err),
                    }
                } else if let Some(result) = obj.get("result") {
                    Incoming::Response {
                        id,
                        result: Ok(result.clone()),
                    }
                } else {
                    Incoming::Invalid(msg.clone())
                }
            }
            (None, None) => Incoming::Invalid(msg.clone()),
        }
    }
}

/// The `thread` object of `thread/start|resume|fork` results and `thread/started`.
/// Only the fields the client needs; the rest is ignored.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Thread {
    pub id: String,
    #[serde(default)]
    pub forked_from_id: Option<String>,
    #[serde(default)]
    pub parent_thread_id: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub cwd: Option<String>,
}

/// The result of `thread/start`, `thread/resume` and `thread/fork` (same shape).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadResult {
    pub thread: Thread,
    #[serde(default)]
    pub model: Option<String>,
}

/// `turn.error` / `error.error`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TurnError {
    #[serde(default)]
    pub message: String,
    /// A string (`"internalServerError"`) or an object (`{"httpConnectionFailed":{...}}`).
    #[serde(default)]
    pub codex_error_info: Option<Value>,
    #[serde(default)]
    pub additional_details: Option<Value>,
}

/// `turn.status`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TurnStatus {
    Completed,
    Interrupted,
    Failed,
    InProgress,
    /// A status this build does not know.
    #[serde(other)]
    Other,
}

/// A turn, as in `turn/started`, `turn/completed` and the `turn/start` result.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Turn {
    pub id: String,
    pub status: TurnStatus,
    #[serde(default)]
    pub error: Option<TurnError>,
    #[serde(default)]
    pub duration_ms: Option<u64>,
}

/// One `tokenUsage.total` / `tokenUsage.last` breakdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TokenBreakdown {
    pub total_tokens: u64,
    /// Includes `cached_input_tokens` (OpenAI semantics).
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    pub cache_write_input_tokens: u64,
    /// Includes `reasoning_output_tokens`.
    pub output_tokens: u64,
    pub reasoning_output_tokens: u64,
}

/// `thread/tokenUsage/updated.tokenUsage`: `last` is one model response, `total` the thread sum.
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TokenUsage {
    pub total: TokenBreakdown,
    pub last: TokenBreakdown,
    pub model_context_window: Option<u64>,
}

/// One entry of a `fileChange` item's `changes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileChange {
    pub path: String,
    /// `{"type":"add"|"delete"|"update","move_path"?}`, kept raw.
    #[serde(default)]
    pub kind: Value,
    #[serde(default)]
    pub diff: String,
}

/// A command as codex reports it: a shell string in v2, an argv in the legacy v1 requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Command {
    Shell(String),
    Argv(Vec<String>),
}

impl Command {
    /// One line for humans.
    pub fn display(&self) -> String {
        match self {
            Command::Shell(s) => s.clone(),
            Command::Argv(v) => v.join(" "),
        }
    }
}

/// Item status for tool-like items.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ItemStatus {
    #[default]
    InProgress,
    Completed,
    Failed,
    Declined,
    #[serde(other)]
    Other,
}

/// `agentMessage`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AgentMessageItem {
    pub id: String,
    #[serde(default)]
    pub text: String,
}

/// `reasoning`: summaries and (optional) raw reasoning content.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ReasoningItem {
    pub id: String,
    #[serde(default)]
    pub summary: Vec<String>,
    #[serde(default)]
    pub content: Vec<String>,
}

/// `commandExecution`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommandExecutionItem {
    pub id: String,
    pub command: Command,
    #[serde(default)]
    pub cwd: Option<String>,
    #[serde(default)]
    pub status: ItemStatus,
    #[serde(default)]
    pub aggregated_output: Option<String>,
    #[serde(default)]
    pub exit_code: Option<i64>,
}

/// `fileChange`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FileChangeItem {
    pub id: String,
    #[serde(default)]
    pub changes: Vec<FileChange>,
    #[serde(default)]
    pub status: ItemStatus,
}

/// `mcpToolCall` (from the schema; not in the fixtures).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct McpToolCallItem {
    pub id: String,
    #[serde(default)]
    pub server: String,
    #[serde(default)]
    pub tool: String,
    #[serde(default)]
    pub arguments: Value,
    #[serde(default)]
    pub status: ItemStatus,
    #[serde(default)]
    pub result: Option<Value>,
    #[serde(default)]
    pub error: Option<Value>,
}

/// `dynamicToolCall` (from the schema; not in the fixtures).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DynamicToolCallItem {
    pub id: String,
    #[serde(default)]
    pub tool: String,
    #[serde(default)]
    pub arguments: Value,
    #[serde(default)]
    pub status: ItemStatus,
    #[serde(default)]
    pub content_items: Option<Value>,
    #[serde(default)]
    pub success: Option<bool>,
}

/// `webSearch` (from the schema; not in the fixtures).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WebSearchItem {
    pub id: String,
    #[serde(default)]
    pub query: String,
}

/// `item.type` of `item/started` / `item/completed`.
#[derive(Debug, Clone, PartialEq)]
pub enum ThreadItem {
    UserMessage {
        id: String,
    },
    AgentMessage(AgentMessageItem),
    Reasoning(ReasoningItem),
    CommandExecution(CommandExecutionItem),
    FileChange(FileChangeItem),
    McpToolCall(McpToolCallItem),
    DynamicToolCall(DynamicToolCallItem),
    WebSearch(WebSearchItem),
    /// Any other (or malformed) item, kept raw.
    Other {
        kind: String,
        raw: Value,
    },
}

impl ThreadItem {
    /// Parse an item by its `type`; malformed known items fall back to `Other`.
    pub fn parse(item: &Value) -> ThreadItem {
        let kind = item
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        fn de<T: serde::de::DeserializeOwned>(v: &Value) -> Option<T> {
            serde_json::from_value(v.clone()).ok()
        }
        let parsed = match kind.as_str() {
            "userMessage" => item
                .get("id")
                .and_then(Value::as_str)
                .map(|id| ThreadItem::UserMessage { id: id.to_owned() }),
            "agentMessage" => de(item).map(ThreadItem::AgentMessage),
            "reasoning" => de(item).map(ThreadItem::Reasoning),
            "commandExecution" => de(item).map(ThreadItem::CommandExecution),
            "fileChange" => de(item).map(ThreadItem::FileChange),
            "mcpToolCall" => de(item).map(ThreadItem::McpToolCall),
            "dynamicToolCall" => de(item).map(ThreadItem::DynamicToolCall),
            "webSearch" => de(item).map(ThreadItem::WebSearch),
            _ => None,
        };
        parsed.unwrap_or_else(|| ThreadItem::Other {
            kind,
            raw: item.clone(),
        })
    }
}

/// `item/commandExecution/requestApproval` params.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommandApprovalParams {
    pub thread_id: String,
    #[serde(default)]
    pub turn_id: Option<String>,
    #[serde(default)]
    pub item_id: Option<String>,
    /// Absent for some `kind`s (e.g. `writeStdin`).
    #[serde(default)]
    pub command: Option<Command>,
    #[serde(default)]
    pub cwd: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub available_decisions: Option<Value>,
}

/// `item/fileChange/requestApproval` params: no paths; they come from the `fileChange` item.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileChangeApprovalParams {
    pub thread_id: String,
    #[serde(default)]
    pub turn_id: Option<String>,
    #[serde(default)]
    pub item_id: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub grant_root: Option<String>,
}

/// Legacy v1 `execCommandApproval` params (schema only; not seen with the v2 thread API).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LegacyExecApprovalParams {
    pub conversation_id: String,
    #[serde(default)]
    pub call_id: Option<String>,
    pub command: Command,
    #[serde(default)]
    pub cwd: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// Legacy v1 `applyPatchApproval` params (schema only).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LegacyPatchApprovalParams {
    pub conversation_id: String,
    #[serde(default)]
    pub call_id: Option<String>,
    /// `{path: change}`.
    #[serde(default)]
    pub file_changes: serde_json::Map<String, Value>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// Where a notification says it belongs: `params.threadId`, else `params.thread.id`, else
/// (legacy v1) `params.conversationId`. `None` for process-wide notifications.
pub fn thread_id_of(params: &Value) -> Option<&str> {
    params
        .get("threadId")
        .and_then(Value::as_str)
        .or_else(|| {
            params
                .get("thread")
                .and_then(|t| t.get("id"))
                .and_then(Value::as_str)
        })
        .or_else(|| params.get("conversationId").and_then(Value::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn classify_routes_by_shape() {
        assert!(matches!(
            Incoming::classify(
                &json!({"id":0,"method":"item/fileChange/requestApproval","params":{}})
            ),
            Incoming::Request {
                id: RequestId::Int(0),
                ..
            }
        ));
        assert!(matches!(
            Incoming::classify(&json!({"id":"a","result":{}})),
            Incoming::Response {
                id: RequestId::Str(_),
                result: Ok(_)
            }
        ));
        assert!(matches!(
            Incoming::classify(
                &json!({"id":5,"error":{"code":-32600,"message":"no active turn to interrupt"}})
            ),
            Incoming::Response {
                result: Err(RpcError { code: -32600, .. }),
                ..
            }
        ));
        assert!(matches!(
            Incoming::classify(&json!({"method":"turn/started","params":{},"emittedAtMs":1})),
            Incoming::Notification { .. }
        ));
        assert!(matches!(
            Incoming::classify(&json!([1])),
            Incoming::Invalid(_)
        ));
        assert!(matches!(
            Incoming::classify(&json!({"id":1})),
            Incoming::Invalid(_)
        ));
    }

    #[test]
    fn unknown_item_types_are_kept_raw() {
        let raw = json!({"type":"imageGeneration","id":"x","extra":1});
        assert_eq!(
            ThreadItem::parse(&raw),
            ThreadItem::Other {
                kind: "imageGeneration".into(),
                raw
            }
        );
    }
}
