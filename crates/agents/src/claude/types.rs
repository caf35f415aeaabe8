//! Raw wire types of the lines Claude Code 2.1.197 writes to stdout in stream-json mode
//! (`shared/protocols/claude-code.md` §4–§6). Pure serde, no interpretation: the mapping to
//! the office's events lives in `normalize.rs`, the stdin side in `stdin.rs`.
//!
//! Unknown fields are ignored everywhere (the CLI adds fields freely), unknown `type`s end in
//! [`StdoutLine::Unknown`] with the raw value, unknown subtypes in each enum's `Other` arm.

use serde::Deserialize;
use serde_json::Value;

/// One parsed stdout line.
#[derive(Debug, Clone, PartialEq)]
pub enum StdoutLine {
    /// A line whose `type` this parser knows.
    Known(Box<Message>),
    /// A JSON object with a `type` we have no arm for (kept raw so the caller can log it).
    Unknown { kind: String, raw: Value },
}

/// Why a stdout line could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Blank line (the SDK skips these).
    Blank,
    /// Not a JSON object with a string `type` (the SDK logs and ignores these).
    NotJson(String),
    /// A known `type` whose shape did not match ours.
    Malformed { kind: String, error: String },
}

/// Parses one stdout line. Never panics, whatever the input.
pub fn parse_line(line: &str) -> Result<StdoutLine, ParseError> {
    let line = line.trim();
    if line.is_empty() {
        return Err(ParseError::Blank);
    }
    let value: Value =
        serde_json::from_str(line).map_err(|e| ParseError::NotJson(e.to_string()))?;
    let Some(kind) = value.get("type").and_then(Value::as_str).map(str::to_owned) else {
        return Err(ParseError::NotJson("no string `type` field".into()));
    };
    match Message::deserialize(&value) {
        Ok(Message::Other) => Ok(StdoutLine::Unknown { kind, raw: value }),
        Ok(message) => Ok(StdoutLine::Known(Box::new(message))),
        Err(e) => Err(ParseError::Malformed {
            kind,
            error: e.to_string(),
        }),
    }
}

/// The stdout message kinds (§4.2), tagged by `type`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Message {
    /// `system/*`: init, status, api_retry, compact_boundary, …
    System(SystemMessage),
    /// A raw Anthropic SSE event (only with `--include-partial-messages`).
    StreamEvent(StreamEventMessage),
    /// One completed content block of an assistant message.
    Assistant(AssistantMessage),
    /// Tool results, interruption markers, replays.
    User(UserMessage),
    /// End of every turn.
    Result(ResultMessage),
    /// The CLI asks the host something and waits for a `control_response`.
    ControlRequest(ControlRequestMessage),
    /// The CLI answers one of our `control_request`s.
    ControlResponse(ControlResponseMessage),
    /// The CLI withdraws one of its pending requests: do not answer it any more.
    ControlCancelRequest(ControlCancelRequest),
    /// Heartbeat; ignore.
    KeepAlive,
    /// Any other `type` (turned into [`StdoutLine::Unknown`] by [`parse_line`]).
    #[serde(other)]
    Other,
}

/// `type: "system"`, tagged by `subtype`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "subtype", rename_all = "snake_case")]
pub enum SystemMessage {
    /// Start of every turn; carries the session id.
    Init(SystemInit),
    /// `requesting`, `compacting`, compaction results, permission mode changes.
    Status(SystemStatus),
    /// Before each retry of a failed API call.
    ApiRetry(ApiRetry),
    /// After a compaction.
    CompactBoundary(CompactBoundary),
    /// While a thinking block streams.
    ThinkingTokens {},
    /// Any other subtype (hook events, tasks, notifications, …).
    #[serde(other)]
    Other,
}

/// `system/init`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct SystemInit {
    pub session_id: String,
    #[serde(default)]
    pub cwd: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default, rename = "permissionMode")]
    pub permission_mode: Option<String>,
    #[serde(default)]
    pub tools: Vec<String>,
    #[serde(default)]
    pub slash_commands: Vec<String>,
    #[serde(default)]
    pub claude_code_version: Option<String>,
}

/// `system/status`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct SystemStatus {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default, rename = "permissionMode")]
    pub permission_mode: Option<String>,
    #[serde(default)]
    pub compact_result: Option<String>,
    #[serde(default)]
    pub compact_error: Option<String>,
}

/// `system/api_retry`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct ApiRetry {
    #[serde(default)]
    pub attempt: Option<u64>,
    #[serde(default)]
    pub max_retries: Option<u64>,
    #[serde(default)]
    pub retry_delay_ms: Option<f64>,
    #[serde(default)]
    pub error_status: Option<i64>,
    #[serde(default)]
    pub error: Option<String>,
}

/// `system/compact_boundary`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct CompactBoundary {
    #[serde(default)]
    pub compact_metadata: Option<Value>,
}

/// `type: "stream_event"`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StreamEventMessage {
    pub event: StreamEvent,
    #[serde(default)]
    pub parent_tool_use_id: Option<String>,
    #[serde(default)]
    pub session_id: Option<String>,
}

/// A raw Anthropic Messages SSE event.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    MessageStart {
        #[serde(default)]
        message: Option<ApiMessage>,
    },
    ContentBlockStart {
        #[serde(default)]
        index: u64,
        content_block: ContentBlock,
    },
    ContentBlockDelta {
        #[serde(default)]
        index: u64,
        delta: Delta,
    },
    ContentBlockStop {
        #[serde(default)]
        index: u64,
    },
    MessageDelta {
        #[serde(default)]
        delta: Option<Value>,
        #[serde(default)]
        usage: Option<ApiUsage>,
    },
    MessageStop,
    /// `ping`, `error` and anything newer.
    #[serde(other)]
    Other,
}

/// The `delta` of a `content_block_delta`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Delta {
    TextDelta {
        text: String,
    },
    ThinkingDelta {
        thinking: String,
    },
    InputJsonDelta {
        partial_json: String,
    },
    SignatureDelta {
        signature: String,
    },
    #[serde(other)]
    Other,
}

/// `type: "assistant"`: one completed content block per line (§4.3).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AssistantMessage {
    pub message: ApiMessage,
    #[serde(default)]
    pub parent_tool_use_id: Option<String>,
    #[serde(default)]
    pub session_id: Option<String>,
    /// Set on the synthetic message the CLI emits for API failures (`server_error`, `unknown`…).
    #[serde(default)]
    pub error: Option<String>,
}

/// An Anthropic Messages API message object.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct ApiMessage {
    #[serde(default)]
    pub id: Option<String>,
    /// `"<synthetic>"` for CLI-made messages.
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub content: Vec<ContentBlock>,
    #[serde(default)]
    pub stop_reason: Option<String>,
    #[serde(default)]
    pub usage: Option<ApiUsage>,
}

/// Token counts as the Messages API reports them. `null` counts read as absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub struct ApiUsage {
    #[serde(default)]
    pub input_tokens: Option<u64>,
    #[serde(default)]
    pub output_tokens: Option<u64>,
    #[serde(default)]
    pub cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    pub cache_read_input_tokens: Option<u64>,
}

/// A Messages API content block (assistant or user side).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    Text {
        text: String,
    },
    Thinking {
        thinking: String,
        #[serde(default)]
        signature: Option<String>,
    },
    RedactedThinking {},
    ToolUse {
        id: String,
        name: String,
        #[serde(default)]
        input: Value,
    },
    ToolResult {
        tool_use_id: String,
        /// A string or an array of content blocks.
        #[serde(default)]
        content: Option<Value>,
        #[serde(default)]
        is_error: Option<bool>,
    },
    Image {},
    Document {},
    #[serde(other)]
    Other,
}

/// `type: "user"` on stdout.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct UserMessage {
    pub message: UserBody,
    #[serde(default)]
    pub parent_tool_use_id: Option<String>,
    #[serde(default)]
    pub session_id: Option<String>,
    /// Echo of a local command's output (`set_model`, `/compact`) or of our own message.
    #[serde(default, rename = "isReplay")]
    pub is_replay: bool,
    /// The compaction summary.
    #[serde(default, rename = "isSynthetic")]
    pub is_synthetic: bool,
    /// The tool's structured result (object for Bash, `"Error: …"` string for denials).
    #[serde(default)]
    pub tool_use_result: Option<Value>,
}

/// `message` of a user line.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct UserBody {
    pub content: UserContent,
}

/// A user message's content: a plain string or content blocks.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum UserContent {
    Text(String),
    Blocks(Vec<ContentBlock>),
}

/// `type: "result"`: the end of a turn.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct ResultMessage {
    /// `success`, `error_during_execution`, `error_max_turns`, `error_max_budget_usd`, …
    pub subtype: String,
    #[serde(default)]
    pub is_error: bool,
    /// HTTP status of an API error (the subtype stays `success` then).
    #[serde(default)]
    pub api_error_status: Option<i64>,
    /// Final assistant text, or the API error text.
    #[serde(default)]
    pub result: Option<String>,
    /// Carried by the error subtypes instead of `result`.
    #[serde(default)]
    pub errors: Vec<String>,
    #[serde(default)]
    pub num_turns: Option<u64>,
    #[serde(default)]
    pub session_id: Option<String>,
    /// Cumulative over the whole process, not per turn.
    #[serde(default)]
    pub total_cost_usd: Option<f64>,
    /// Per turn (summed over its API calls).
    #[serde(default)]
    pub usage: Option<ApiUsage>,
    #[serde(default)]
    pub stop_reason: Option<String>,
    /// `completed`, `aborted_streaming`, `aborted_tools`, `max_turns`, …
    #[serde(default)]
    pub terminal_reason: Option<String>,
    #[serde(default)]
    pub permission_denials: Vec<PermissionDenial>,
}

/// One entry of `result.permission_denials`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PermissionDenial {
    pub tool_name: String,
    pub tool_use_id: String,
    #[serde(default)]
    pub tool_input: Value,
}

/// `type: "control_request"` from the CLI. `request` stays raw so an unknown subtype keeps its
/// name and body; [`ControlRequestMessage::body`] types it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ControlRequestMessage {
    pub request_id: String,
    pub request: Value,
}

impl ControlRequestMessage {
    /// The request's `subtype`, or `""`.
    pub fn subtype(&self) -> &str {
        self.request
            .get("subtype")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// The typed request; unknown or malformed subtypes read as [`ControlRequestBody::Other`].
    pub fn body(&self) -> ControlRequestBody {
        ControlRequestBody::deserialize(&self.request).unwrap_or(ControlRequestBody::Other)
    }
}

/// CLI → host request bodies (§6), tagged by `subtype`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "subtype", rename_all = "snake_case")]
pub enum ControlRequestBody {
    /// Permission prompt (only with `--permission-prompt-tool stdio`).
    CanUseTool(CanUseTool),
    /// One of the hooks registered in `initialize.hooks` fired.
    HookCallback(HookCallback),
    /// MCP JSON-RPC tunnelled to an in-process ("sdk") MCP server.
    McpMessage { server_name: String, message: Value },
    #[serde(other)]
    Other,
}

/// `can_use_tool` (§6.1).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CanUseTool {
    pub tool_name: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub input: Value,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub tool_use_id: Option<String>,
    #[serde(default)]
    pub blocked_path: Option<String>,
    #[serde(default)]
    pub decision_reason: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub agent_id: Option<String>,
    #[serde(default)]
    pub permission_suggestions: Vec<Value>,
}

/// `hook_callback` (§6.2).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct HookCallback {
    pub callback_id: String,
    /// The hook input (`hook_event_name`, `tool_name`, `tool_input`, …).
    #[serde(default)]
    pub input: Value,
    #[serde(default)]
    pub tool_use_id: Option<String>,
}

/// `type: "control_response"` from the CLI.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ControlResponseMessage {
    pub response: ControlResponseBody,
}

/// Success or error answer to one of our requests.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "subtype", rename_all = "snake_case")]
pub enum ControlResponseBody {
    Success {
        request_id: String,
        /// Absent for `interrupt` and `set_model`.
        #[serde(default)]
        response: Option<Value>,
    },
    Error {
        request_id: String,
        #[serde(default)]
        error: String,
    },
}

/// `type: "control_cancel_request"`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ControlCancelRequest {
    pub request_id: String,
}
