//! The pure state machine that turns Claude Code stdout lines into the office's
//! [`NormalizedEvent`]s and the CLI's control requests the backend must answer. No IO, no
//! async: one line in, [`Output`]s out (style §10). Process handling lives elsewhere.
//!
//! Invariants kept here so the backend need not: one `TurnStarted` per turn, before any other
//! turn event and before its `TurnCompleted`/`TurnFailed`; `Usage.cost_usd` is the turn's share
//! of the CLI's cumulative `total_cost_usd`, so summing turns gives the session cost.

use super::types::{
    AssistantMessage, ContentBlock, ControlRequestBody, ControlRequestMessage, ControlResponseBody,
    Delta, Message, ParseError, ResultMessage, StdoutLine, StreamEvent, StreamEventMessage,
    SystemMessage, UserContent, UserMessage, parse_line,
};
use isomux_core::backend::NormalizedEvent;
use isomux_protocol::Usage;
use serde_json::Value;
use std::collections::HashSet;

/// What one stdout line means for the backend.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Forward to the office.
    Event(NormalizedEvent),
    /// The CLI asks the host; answer with a `control_response` (see `stdin.rs`).
    Control(ControlRequestIn),
    /// The CLI answered our `control_request` `request_id`.
    ControlResponse {
        request_id: String,
        result: Result<Option<Value>, String>,
    },
    /// The CLI withdrew its request `request_id`: drop the pending prompt, do not answer.
    ControlCancelled { request_id: String },
    /// Nothing to do (blank, non-JSON, status lines, replays, …).
    Ignored,
    /// A `type` this parser does not know, reported once per type per normalizer (log it).
    Unknown(String),
    /// A known `type` whose shape did not match ours (log it; the CLI version may have moved).
    Malformed { kind: String, error: String },
}

/// A `control_request` from the CLI.
#[derive(Debug, Clone, PartialEq)]
pub struct ControlRequestIn {
    pub request_id: String,
    pub kind: ControlKind,
}

/// The requests the backend handles, plus a raw fallback.
#[derive(Debug, Clone, PartialEq)]
pub enum ControlKind {
    /// Permission prompt: answer with `allow_tool` or `deny_tool`.
    CanUseTool {
        tool_name: String,
        input: Value,
        tool_use_id: Option<String>,
        description: Option<String>,
        blocked_path: Option<String>,
    },
    /// A registered hook fired: answer with `hook_deny` or `hook_continue`.
    HookCallback {
        callback_id: String,
        /// `input.hook_event_name` (`PreToolUse`, …).
        hook_event: Option<String>,
        /// `input.tool_name` / `input.tool_input` for tool hooks.
        tool_name: Option<String>,
        tool_input: Value,
        tool_use_id: Option<String>,
        /// The full hook input.
        input: Value,
    },
    /// MCP JSON-RPC for an in-process MCP server.
    McpMessage { server_name: String, message: Value },
    /// Any other subtype: answer with `control_error` so the CLI does not wait.
    Other { subtype: String, request: Value },
}

/// Per-process normalization state. Create one per spawned CLI.
#[derive(Debug, Default)]
pub struct Normalizer {
    session_id: Option<String>,
    in_turn: bool,
    /// An interruption marker (`[Request interrupted by user…]`) was seen in this turn.
    saw_interrupt_marker: bool,
    last_total_cost_usd: f64,
    /// The part of the cumulative cost already attributed to completed turns.
    billed_cost_usd: f64,
    unknown_seen: HashSet<String>,
    /// The slash commands last reported (reported again only when they change).
    commands: Vec<String>,
}

/// Prefix of the user text the CLI emits when a turn is interrupted (§8.1, §6.1).
const INTERRUPT_MARKER: &str = "[Request interrupted by user";

impl Normalizer {
    pub fn new() -> Self {
        Self::default()
    }

    /// The session id from the last `system/init` (or `result`), if any.
    pub fn session_id(&self) -> Option<&str> {
        self.session_id.as_deref()
    }

    /// The CLI's cumulative `total_cost_usd` from the last `result` (per process).
    pub fn last_total_cost_usd(&self) -> f64 {
        self.last_total_cost_usd
    }

    /// Whether a turn is open (started and not yet ended by a `result`).
    pub fn in_turn(&self) -> bool {
        self.in_turn
    }

    /// Normalizes one stdout line. Never panics; blank and non-JSON lines are ignored.
    pub fn push(&mut self, line: &str) -> Vec<Output> {
        let message = match parse_line(line) {
            Ok(StdoutLine::Known(message)) => *message,
            Ok(StdoutLine::Unknown { kind, .. }) => {
                return vec![if self.unknown_seen.insert(kind.clone()) {
                    Output::Unknown(kind)
                } else {
                    Output::Ignored
                }];
            }
            Err(ParseError::Blank | ParseError::NotJson(_)) => return vec![Output::Ignored],
            Err(ParseError::Malformed { kind, error }) => {
                return vec![Output::Malformed { kind, error }];
            }
        };
        let mut out = Vec::new();
        match message {
            Message::System(SystemMessage::Init(init)) => {
                self.note_session_id(&init.session_id, &mut out);
                self.start_turn(&mut out);
                if !init.slash_commands.is_empty() && init.slash_commands != self.commands {
                    self.commands.clone_from(&init.slash_commands);
                    out.push(Output::Event(NormalizedEvent::Commands(
                        init.slash_commands.clone(),
                    )));
                }
            }
            Message::System(_) | Message::KeepAlive | Message::Other => {}
            Message::StreamEvent(ev) => self.stream_event(ev, &mut out),
            Message::Assistant(msg) => self.assistant(msg, &mut out),
            Message::User(msg) => self.user(msg, &mut out),
            Message::Result(result) => self.result(&result, &mut out),
            Message::ControlRequest(req) => out.push(Output::Control(control_request(req))),
            Message::ControlResponse(resp) => out.push(match resp.response {
                ControlResponseBody::Success {
                    request_id,
                    response,
                } => Output::ControlResponse {
                    request_id,
                    result: Ok(response),
                },
                ControlResponseBody::Error { request_id, error } => Output::ControlResponse {
                    request_id,
                    result: Err(error),
                },
            }),
            Message::ControlCancelRequest(c) => out.push(Output::ControlCancelled {
                request_id: c.request_id,
            }),
        }
        if out.is_empty() {
            out.push(Output::Ignored);
        }
        out
    }

    fn note_session_id(&mut self, id: &str, out: &mut Vec<Output>) {
        if !id.is_empty() && self.session_id.as_deref() != Some(id) {
            self.session_id = Some(id.to_owned());
            out.push(Output::Event(NormalizedEvent::SessionId(id.to_owned())));
        }
    }

    fn start_turn(&mut self, out: &mut Vec<Output>) {
        if !self.in_turn {
            self.in_turn = true;
            self.saw_interrupt_marker = false;
            out.push(Output::Event(NormalizedEvent::TurnStarted));
        }
    }

    fn stream_event(&mut self, msg: StreamEventMessage, out: &mut Vec<Output>) {
        // Subagent streams would interleave with the main thread's text; their finished tool
        // calls still come through `assistant`/`user` lines.
        if msg.parent_tool_use_id.is_some() {
            return;
        }
        match msg.event {
            StreamEvent::MessageStart { .. } => self.start_turn(out),
            StreamEvent::ContentBlockDelta { delta, .. } => match delta {
                Delta::TextDelta { text } if !text.is_empty() => {
                    self.start_turn(out);
                    out.push(Output::Event(NormalizedEvent::TextDelta(text)));
                }
                Delta::ThinkingDelta { thinking } if !thinking.is_empty() => {
                    self.start_turn(out);
                    out.push(Output::Event(NormalizedEvent::ThinkingDelta(thinking)));
                }
                _ => {}
            },
            _ => {}
        }
    }

    fn assistant(&mut self, msg: AssistantMessage, out: &mut Vec<Output>) {
        self.start_turn(out);
        // The synthetic API-error message repeats the text the `result` carries; the office
        // shows it once, as the `TurnFailed` message.
        if msg.error.is_some() {
            return;
        }
        let main_thread = msg.parent_tool_use_id.is_none();
        for block in msg.message.content {
            match block {
                ContentBlock::Text { text } if main_thread && !text.is_empty() => {
                    out.push(Output::Event(NormalizedEvent::AssistantText(text)));
                }
                ContentBlock::Thinking { thinking, .. } if main_thread && !thinking.is_empty() => {
                    out.push(Output::Event(NormalizedEvent::Thinking(thinking)));
                }
                ContentBlock::ToolUse { id, name, input } => {
                    out.push(Output::Event(NormalizedEvent::ToolStarted {
                        call_id: id,
                        tool: name,
                        input,
                    }));
                }
                _ => {}
            }
        }
    }

    fn user(&mut self, msg: UserMessage, out: &mut Vec<Output>) {
        if msg.is_replay || msg.is_synthetic {
            return;
        }
        let blocks = match msg.message.content {
            UserContent::Text(text) => {
                self.saw_interrupt_marker |= text.starts_with(INTERRUPT_MARKER);
                return;
            }
            UserContent::Blocks(blocks) => blocks,
        };
        for block in blocks {
            match block {
                ContentBlock::Text { text } => {
                    self.saw_interrupt_marker |= text.starts_with(INTERRUPT_MARKER);
                }
                ContentBlock::ToolResult {
                    tool_use_id,
                    content,
                    is_error,
                } => out.push(Output::Event(NormalizedEvent::ToolFinished {
                    call_id: tool_use_id,
                    output: tool_output_text(content.as_ref()),
                    ok: !is_error.unwrap_or(false),
                })),
                _ => {}
            }
        }
    }

    fn result(&mut self, result: &ResultMessage, out: &mut Vec<Output>) {
        if let Some(id) = &result.session_id {
            self.note_session_id(id, out);
        }
        self.start_turn(out);
        self.in_turn = false;
        if let Some(total) = result.total_cost_usd {
            self.last_total_cost_usd = total;
        }
        let interrupted = result
            .terminal_reason
            .as_deref()
            .is_some_and(|r| r.starts_with("aborted"))
            || (result.subtype == "error_during_execution" && self.saw_interrupt_marker);
        let failed = result.is_error || result.subtype != "success";
        if failed && !interrupted {
            // The cost of a failed turn is not billed here; it stays in the cumulative total
            // and lands in the next completed turn's difference.
            out.push(Output::Event(NormalizedEvent::TurnFailed {
                message: failure_message(result),
                hint: Some(failure_hint(result)),
            }));
            return;
        }
        let total = self.last_total_cost_usd;
        // A smaller cumulative total means the CLI's counter restarted: bill all of it.
        let cost_usd = if total >= self.billed_cost_usd {
            total - self.billed_cost_usd
        } else {
            total
        };
        self.billed_cost_usd = total;
        let u = result.usage.unwrap_or_default();
        let usage = Usage {
            input_tokens: u.input_tokens.unwrap_or(0),
            output_tokens: u.output_tokens.unwrap_or(0),
            cache_read_tokens: u.cache_read_input_tokens.unwrap_or(0),
            cache_write_tokens: u.cache_creation_input_tokens.unwrap_or(0),
            cost_usd,
            // The office counts turns itself.
            turns: 0,
        };
        out.push(Output::Event(NormalizedEvent::TurnCompleted {
            usage,
            interrupted,
        }));
    }
}

fn control_request(req: ControlRequestMessage) -> ControlRequestIn {
    let kind = match req.body() {
        ControlRequestBody::CanUseTool(c) => ControlKind::CanUseTool {
            tool_name: c.tool_name,
            input: c.input,
            tool_use_id: c.tool_use_id,
            description: c.description,
            blocked_path: c.blocked_path,
        },
        ControlRequestBody::HookCallback(h) => {
            let text = |key: &str| h.input.get(key).and_then(Value::as_str).map(str::to_owned);
            ControlKind::HookCallback {
                callback_id: h.callback_id.clone(),
                hook_event: text("hook_event_name"),
                tool_name: text("tool_name"),
                tool_input: h.input.get("tool_input").cloned().unwrap_or(Value::Null),
                tool_use_id: h.tool_use_id.clone().or_else(|| text("tool_use_id")),
                input: h.input,
            }
        }
        ControlRequestBody::McpMessage {
            server_name,
            message,
        } => ControlKind::McpMessage {
            server_name,
            message,
        },
        ControlRequestBody::Other => ControlKind::Other {
            subtype: req.subtype().to_owned(),
            request: req.request.clone(),
        },
    };
    ControlRequestIn {
        request_id: req.request_id,
        kind,
    }
}

/// A tool_result's `content`: a string, or blocks whose text parts are joined by newlines.
fn tool_output_text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(blocks)) => blocks
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

fn failure_message(result: &ResultMessage) -> String {
    if let Some(text) = result.result.as_deref().filter(|t| !t.trim().is_empty()) {
        return text.to_owned();
    }
    if !result.errors.is_empty() {
        return result.errors.join("; ");
    }
    format!("Claude Code ended the turn with `{}`", result.subtype)
}

/// What the user can do about a failed turn.
fn failure_hint(result: &ResultMessage) -> String {
    let hint = match (result.subtype.as_str(), result.api_error_status) {
        ("error_max_turns", _) => {
            "The turn hit the agent's max-turns limit: send \"continue\" to go on, or raise the limit."
        }
        ("error_max_budget_usd", _) => {
            "The session reached its spending cap: raise the budget to continue."
        }
        ("error_max_structured_output_retries", _) => {
            "The model could not produce the required structured output: rephrase the request."
        }
        (_, Some(401 | 403)) => {
            "The API rejected the credentials: check ANTHROPIC_API_KEY or log in again with `claude /login`."
        }
        (_, Some(413)) => {
            "The request was too large: remove attachments or run /compact, then send again."
        }
        (_, Some(429)) => "Rate limited by the API: wait a minute, then send the message again.",
        (_, Some(400)) => {
            "The API rejected the request (often an oversized or unsupported attachment, or a too \
             long conversation): remove attachments or run /compact, then send again."
        }
        (_, Some(s)) if s >= 500 => {
            "The model API had a server-side error, usually temporary: send the message again in \
             a moment; if it persists, check the API endpoint or status page."
        }
        (_, Some(_)) => {
            "The model API returned an error: check the message above, then send again."
        }
        ("error_during_execution", None) => {
            "Claude Code stopped the turn on an internal error: send the message again; restart \
             the agent if it keeps happening."
        }
        _ => "Send the message again; restart the agent if it keeps failing.",
    };
    hint.to_owned()
}

#[cfg(test)]
mod tests;
