//! What a model server saw: every request, with what it answered.

use super::script::SseEvent;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// One HTTP request received by a model server, and what was answered.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// 1-based arrival order on this server.
    pub n: usize,
    pub method: String,
    /// The path with its query string, e.g. `/v1/messages?beta=true`.
    pub path: String,
    /// Lower-cased names; repeated headers joined with `, `.
    pub headers: BTreeMap<String, String>,
    /// The parsed JSON body; `Null` without a body, `{"_raw": text}` when it is not JSON.
    pub body: Value,
    /// When the request arrived.
    pub at: Instant,
    /// Time since the server started.
    pub elapsed: Duration,
    /// The HTTP status answered (set once the handler ran).
    pub status: Option<u16>,
    /// A JSON answer (errors, non-streaming messages, `count_tokens`).
    pub response_json: Option<Value>,
    /// The SSE events handed to the connection so far.
    pub sse: Vec<SseEvent>,
    /// The whole stream was written.
    pub stream_finished: bool,
    /// The client hung up before the stream ended (an interrupt).
    pub client_disconnected: bool,
}

/// The last thing the CLI sent, which decides the reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LastInput {
    /// The text of the last text block of the last user message (Anthropic), or of the last
    /// user message item (OpenAI).
    UserText(String),
    /// Anthropic `tool_result` block, OpenAI `function_call_output` / `custom_tool_call_output`.
    ToolResult {
        content: String,
        is_error: bool,
    },
    Nothing,
}

impl RecordedRequest {
    /// The path without its query string.
    pub fn route(&self) -> &str {
        self.path.split('?').next().unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// A model call: `POST /v1/messages` or `POST /v1/responses`.
    pub fn is_model_call(&self) -> bool {
        self.method == "POST" && matches!(self.route(), "/v1/messages" | "/v1/responses")
    }

    /// `stream: true` in the body.
    pub fn is_streaming(&self) -> bool {
        self.body["stream"].as_bool() == Some(true)
    }

    /// What the routing keys on (see [`LastInput`]). Skips Anthropic `system` role messages
    /// and, within the last user message, blocks that are neither text nor tool results.
    pub fn last_input(&self) -> LastInput {
        if let Some(messages) = self.body["messages"].as_array() {
            anthropic_last_input(messages)
        } else if let Some(items) = self.body["input"].as_array() {
            openai_last_input(items)
        } else {
            LastInput::Nothing
        }
    }

    /// The last text the user wrote: the last text block of the last user message holding
    /// text (Anthropic), or the text of the last user message item (OpenAI).
    pub fn last_user_text(&self) -> Option<String> {
        if let Some(messages) = self.body["messages"].as_array() {
            messages
                .iter()
                .rev()
                .filter(|m| m["role"] == "user")
                .find_map(|m| match &m["content"] {
                    Value::String(s) => Some(s.clone()),
                    Value::Array(blocks) => blocks
                        .iter()
                        .rev()
                        .find(|b| b["type"] == "text")
                        .and_then(|b| b["text"].as_str())
                        .map(str::to_owned),
                    _ => None,
                })
        } else {
            self.body["input"]
                .as_array()?
                .iter()
                .rev()
                .find(|i| is_openai_user_message(i))
                .map(openai_text)
        }
    }

    /// The content of the last tool result anywhere in the request, even when more input
    /// follows it (e.g. a note steered into the turn after a declined call): Anthropic
    /// `tool_result` blocks, OpenAI `function_call_output` / `custom_tool_call_output` items.
    pub fn last_tool_result(&self) -> Option<String> {
        if let Some(messages) = self.body["messages"].as_array() {
            return messages.iter().rev().find_map(|m| {
                let blocks = m["content"].as_array()?;
                let block = blocks.iter().rev().find(|b| b["type"] == "tool_result")?;
                match anthropic_tool_result(block) {
                    LastInput::ToolResult { content, .. } => Some(content),
                    _ => None,
                }
            });
        }
        let items = self.body["input"].as_array()?;
        let at = items.iter().rposition(|i| {
            matches!(
                i["type"].as_str(),
                Some("function_call_output" | "custom_tool_call_output")
            )
        })?;
        match openai_last_input(&items[..=at]) {
            LastInput::ToolResult { content, .. } => Some(content),
            _ => None,
        }
    }

    /// The system prompt: Anthropic `system` (a string or text blocks, joined with `\n`);
    /// OpenAI `instructions` if present, else the `developer` messages joined with `\n`.
    pub fn system_text(&self) -> Option<String> {
        match &self.body["system"] {
            Value::String(s) => return Some(s.clone()),
            Value::Array(blocks) => {
                return Some(
                    blocks
                        .iter()
                        .filter_map(|b| b["text"].as_str())
                        .collect::<Vec<_>>()
                        .join("\n"),
                );
            }
            _ => {}
        }
        if let Some(s) = self.body["instructions"].as_str() {
            return Some(s.to_owned());
        }
        let developer: Vec<String> = self.body["input"]
            .as_array()?
            .iter()
            .filter(|i| i["type"] == "message" && i["role"] == "developer")
            .map(openai_text)
            .collect();
        (!developer.is_empty()).then(|| developer.join("\n"))
    }

    /// How many string values anywhere in the body contain `needle`.
    pub fn occurrences(&self, needle: &str) -> usize {
        fn walk(v: &Value, needle: &str) -> usize {
            match v {
                Value::String(s) => usize::from(s.contains(needle)),
                Value::Array(a) => a.iter().map(|v| walk(v, needle)).sum(),
                Value::Object(o) => o.values().map(|v| walk(v, needle)).sum(),
                _ => 0,
            }
        }
        walk(&self.body, needle)
    }

    /// Some string value in the body contains `needle`.
    pub fn contains(&self, needle: &str) -> bool {
        self.occurrences(needle) > 0
    }

    /// The text the SSE stream carried: all text deltas concatenated.
    pub fn streamed_text(&self) -> String {
        self.sse
            .iter()
            .filter_map(|e| match e.data["type"].as_str()? {
                "content_block_delta" => e.data["delta"]["text"].as_str(),
                "response.output_text.delta" => e.data["delta"].as_str(),
                _ => None,
            })
            .collect()
    }
}

/// The last user text of a request (free-function form of [`RecordedRequest::last_user_text`]).
pub fn last_user_text(req: &RecordedRequest) -> Option<String> {
    req.last_user_text()
}

/// The system prompt of a request (see [`RecordedRequest::system_text`]).
pub fn system_text(req: &RecordedRequest) -> Option<String> {
    req.system_text()
}

fn anthropic_last_input(messages: &[Value]) -> LastInput {
    let Some(last_user) = messages.iter().rev().find(|m| m["role"] == "user") else {
        return LastInput::Nothing;
    };
    let blocks = match &last_user["content"] {
        Value::String(s) => return LastInput::UserText(s.clone()),
        Value::Array(blocks) => blocks,
        _ => return LastInput::Nothing,
    };
    for block in blocks.iter().rev() {
        match block["type"].as_str() {
            Some("text") => {
                return LastInput::UserText(block["text"].as_str().unwrap_or_default().to_owned());
            }
            Some("tool_result") => return anthropic_tool_result(block),
            _ => {}
        }
    }
    LastInput::Nothing
}

/// An Anthropic `tool_result` block as [`LastInput::ToolResult`].
fn anthropic_tool_result(block: &Value) -> LastInput {
    let content = match &block["content"] {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join(" "),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let is_error = block["is_error"].as_bool().unwrap_or(false);
    LastInput::ToolResult { content, is_error }
}

fn openai_last_input(items: &[Value]) -> LastInput {
    if let Some(last) = items.last()
        && matches!(
            last["type"].as_str(),
            Some("function_call_output" | "custom_tool_call_output")
        )
    {
        let content = match &last["output"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        return LastInput::ToolResult {
            content,
            is_error: false,
        };
    }
    items
        .iter()
        .rev()
        .find(|i| is_openai_user_message(i))
        .map_or(LastInput::Nothing, |i| LastInput::UserText(openai_text(i)))
}

fn is_openai_user_message(item: &Value) -> bool {
    item["role"] == "user" && matches!(item["type"].as_str(), None | Some("message"))
}

/// The text of an OpenAI message item: its content string, or its text parts joined with ` `.
fn openai_text(item: &Value) -> String {
    match &item["content"] {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}
