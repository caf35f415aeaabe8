//! What a model server answers: a [`Script`] of [`Reply`]s.

use super::recorded::LastInput;
use serde_json::Value;
use std::collections::VecDeque;
use std::time::Duration;

/// One piece of an assistant turn, in the order the model "writes" it.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Anthropic: a `thinking` block (with a signature). OpenAI: a `reasoning` item with a
    /// summary.
    Thinking(String),
    /// Anthropic: a `text` block. OpenAI: an assistant `message` item with `output_text`.
    Text(String),
    /// Anthropic: a `tool_use` block. OpenAI: a `function_call` item whose `arguments` are
    /// `input` serialized.
    ToolUse { name: String, input: Value },
    /// Run a shell command with whatever tool the CLI offers: Anthropic `Bash`
    /// (`{"command", "description"}`); OpenAI `exec_command` (`{"cmd", "yield_time_ms"}`),
    /// else `shell_command`, else `shell`, whichever the request's `tools` list holds.
    Shell(String),
    /// OpenAI: a freeform `custom_tool_call` (codex's `apply_patch`). Anthropic: a `tool_use`
    /// block with input `{"input": <text>}`.
    CustomToolCall { name: String, input: String },
}

impl Part {
    pub(crate) fn is_tool_call(&self) -> bool {
        matches!(
            self,
            Part::ToolUse { .. } | Part::Shell(_) | Part::CustomToolCall { .. }
        )
    }
}

/// A streamed assistant turn. Text and thinking are split into several deltas: at most three
/// when `delta_delay` is zero, one per word otherwise (with `delta_delay` after each delta, so
/// a test can interrupt in mid-stream).
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub parts: Vec<Part>,
    pub delta_delay: Duration,
}

/// One raw SSE event: the wire frame is `event: <event>\ndata: <json of data>\n\n`.
#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    pub event: String,
    pub data: Value,
}

impl SseEvent {
    pub fn new(event: &str, data: Value) -> Self {
        Self {
            event: event.to_owned(),
            data,
        }
    }

    /// The exact bytes written to the socket.
    pub fn wire(&self) -> String {
        format!("event: {}\ndata: {}\n\n", self.event, self.data)
    }
}

/// The answer to one model request.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// A streamed turn (or, for a non-streaming Anthropic request, the same content as one
    /// JSON message).
    Turn(Turn),
    /// Text derived from the request: `"You said: <last line of the last user text>"`, or for a
    /// tool result `"Tool result (is_error=<bool>): <first 300 chars of its content>"`.
    Echo,
    /// An HTTP error. `body: None` picks the provider's error shape for the status (Anthropic
    /// `{"type":"error","error":{"type":"api_error"|"overloaded_error"|...}}`, OpenAI
    /// `{"error":{"message","type","code"}}`).
    Error { status: u16, body: Option<Value> },
    /// A stream that starts and then fails: Anthropic `message_start` then an `error` event
    /// (`overloaded_error`); OpenAI `response.created` then `response.failed`. A
    /// non-streaming Anthropic request gets HTTP 529 `overloaded_error` instead.
    StreamError(String),
    /// Exactly these events (e.g. to leave out `content_block_stop` or `response.completed`).
    Raw(Vec<SseEvent>),
}

impl Reply {
    /// A text answer, streamed as a few deltas.
    pub fn text(text: impl Into<String>) -> Self {
        Self::parts(vec![Part::Text(text.into())])
    }

    /// A thinking (reasoning summary) block followed by a text answer.
    pub fn thinking(thinking: impl Into<String>, text: impl Into<String>) -> Self {
        Self::parts(vec![
            Part::Thinking(thinking.into()),
            Part::Text(text.into()),
        ])
    }

    /// A tool call (stop reason `tool_use`); the CLI runs it and sends the result back.
    pub fn tool_use(name: impl Into<String>, input: Value) -> Self {
        Self::parts(vec![Part::ToolUse {
            name: name.into(),
            input,
        }])
    }

    /// A shell command through the CLI's own shell tool (see [`Part::Shell`]).
    pub fn shell(command: impl Into<String>) -> Self {
        Self::parts(vec![Part::Shell(command.into())])
    }

    /// Any sequence of parts, streamed without delay.
    pub fn parts(parts: Vec<Part>) -> Self {
        Self::Turn(Turn {
            parts,
            delta_delay: Duration::ZERO,
        })
    }

    /// A text answer streamed one word per delta with `delay_per_delta` after each delta: the
    /// stream to interrupt. The server records `client_disconnected` when the CLI hangs up.
    pub fn slow(text: impl Into<String>, delay_per_delta: Duration) -> Self {
        Self::Turn(Turn {
            parts: vec![Part::Text(text.into())],
            delta_delay: delay_per_delta,
        })
    }

    /// [`Reply::slow`] with `count` words `chunk00 chunk01 ...`.
    pub fn slow_chunks(count: usize, delay_per_delta: Duration) -> Self {
        let text: String = (0..count).map(|i| format!("chunk{i:02} ")).collect();
        Self::slow(text, delay_per_delta)
    }

    /// An HTTP error with the provider's usual body for `status` (500, 529, 400, 429, 401...).
    pub fn error(status: u16) -> Self {
        Self::Error { status, body: None }
    }

    /// An HTTP error with exactly this JSON body.
    pub fn error_with_body(status: u16, body: Value) -> Self {
        Self::Error {
            status,
            body: Some(body),
        }
    }

    /// A stream that fails after it started (see [`Reply::StreamError`]).
    pub fn stream_error(message: impl Into<String>) -> Self {
        Self::StreamError(message.into())
    }

    /// Replaces [`Reply::Echo`] by the text it stands for, given what the CLI sent last.
    pub(crate) fn resolve(self, last: &LastInput) -> Self {
        if self != Self::Echo {
            return self;
        }
        let text = match last {
            LastInput::ToolResult { content, is_error } => {
                let short: String = content.chars().take(300).collect();
                format!("Tool result (is_error={is_error}): {short}")
            }
            LastInput::UserText(text) => {
                let line = text.trim().lines().last().unwrap_or_default();
                format!("You said: {line}")
            }
            LastInput::Nothing => "You said nothing.".to_owned(),
        };
        Self::text(text)
    }
}

/// Token counts reported with every streamed reply (Anthropic `message_start` /
/// `message_delta`, OpenAI `response.completed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_output_tokens: u64,
}

impl Default for Usage {
    fn default() -> Self {
        Self {
            input_tokens: 100,
            cached_input_tokens: 20,
            output_tokens: 10,
            reasoning_output_tokens: 3,
        }
    }
}

/// How a server picks the reply to each model request (`POST /v1/messages`,
/// `POST /v1/responses`; not `HEAD /` or `count_tokens`), first match wins:
/// 1. the next queued reply ([`Script::then`]); every model request consumes one, including
///    the CLI's own retries and its non-streaming fallback;
/// 2. if the last thing the CLI sent is a tool result: the [`Script::on_tool_result`] reply
///    (default [`Reply::Echo`]);
/// 3. the first [`Script::on`] rule whose keyword occurs in the last user text;
/// 4. the [`Script::otherwise`] reply (default [`Reply::Echo`]).
#[derive(Debug, Clone)]
pub struct Script {
    queue: VecDeque<Reply>,
    rules: Vec<(String, Reply)>,
    on_tool_result: Reply,
    otherwise: Reply,
    pub(crate) usage: Usage,
    pub(crate) count_tokens: u64,
}

impl Default for Script {
    fn default() -> Self {
        Self::new()
    }
}

impl Script {
    /// Echoes every request (see [`Reply::Echo`]).
    pub fn new() -> Self {
        Self {
            queue: VecDeque::new(),
            rules: Vec::new(),
            on_tool_result: Reply::Echo,
            otherwise: Reply::Echo,
            usage: Usage::default(),
            count_tokens: 10,
        }
    }

    /// These replies in order, then echo.
    pub fn replies(replies: impl IntoIterator<Item = Reply>) -> Self {
        let mut script = Self::new();
        script.queue.extend(replies);
        script
    }

    /// Queues `reply` for the next model request not yet answered by the queue.
    pub fn then(mut self, reply: Reply) -> Self {
        self.queue.push_back(reply);
        self
    }

    /// Answers `reply` whenever the last user text contains `keyword` (and the queue is empty).
    pub fn on(mut self, keyword: impl Into<String>, reply: Reply) -> Self {
        self.rules.push((keyword.into(), reply));
        self
    }

    /// The answer when the last input is a tool result (and the queue is empty).
    pub fn on_tool_result(mut self, reply: Reply) -> Self {
        self.on_tool_result = reply;
        self
    }

    /// The answer when nothing else matched.
    pub fn otherwise(mut self, reply: Reply) -> Self {
        self.otherwise = reply;
        self
    }

    /// The token counts reported with each reply.
    pub fn usage(mut self, usage: Usage) -> Self {
        self.usage = usage;
        self
    }

    /// The answer to Anthropic's `count_tokens` (`{"input_tokens": n}`), 10 by default.
    pub fn count_tokens(mut self, n: u64) -> Self {
        self.count_tokens = n;
        self
    }

    pub(crate) fn push(&mut self, reply: Reply) {
        self.queue.push_back(reply);
    }

    /// Picks (and for the queue, consumes) the reply to a model request.
    pub(crate) fn next_reply(&mut self, last: &LastInput) -> Reply {
        let reply = if let Some(reply) = self.queue.pop_front() {
            reply
        } else {
            match last {
                LastInput::ToolResult { .. } => self.on_tool_result.clone(),
                LastInput::UserText(text) => self
                    .rules
                    .iter()
                    .find(|(keyword, _)| text.contains(keyword.as_str()))
                    .map_or_else(|| self.otherwise.clone(), |(_, reply)| reply.clone()),
                LastInput::Nothing => self.otherwise.clone(),
            }
        };
        reply.resolve(last)
    }
}

/// Splits `text` into deltas: one per word (a word keeps its trailing whitespace) when
/// `per_word`, else at most three pieces of whole words. Concatenated they give `text` back.
pub(crate) fn split_text(text: &str, per_word: bool) -> Vec<String> {
    let mut words = Vec::new();
    let mut start = 0;
    let mut prev_ws = false;
    for (i, c) in text.char_indices() {
        if prev_ws && !c.is_whitespace() {
            words.push(&text[start..i]);
            start = i;
        }
        prev_ws = c.is_whitespace();
    }
    if start < text.len() {
        words.push(&text[start..]);
    }
    if per_word {
        return words.into_iter().map(str::to_owned).collect();
    }
    let per_piece = words.len().div_ceil(3).max(1);
    words.chunks(per_piece).map(|c| c.concat()).collect()
}

/// Splits a string in two halves on a char boundary (for `input_json_delta` and the like).
pub(crate) fn halves(s: &str) -> Vec<String> {
    let mut cut = s.len() / 2;
    while !s.is_char_boundary(cut) {
        cut += 1;
    }
    [&s[..cut], &s[cut..]]
        .into_iter()
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitting_keeps_the_text() {
        let t = "Hello there, this is a longer answer with words";
        assert_eq!(split_text(t, false).len(), 3);
        assert_eq!(split_text(t, false).concat(), t);
        assert_eq!(split_text(t, true).concat(), t);
        assert_eq!(split_text("one", false), vec!["one"]);
        assert!(split_text("", false).is_empty());
        assert_eq!(halves("héllo").concat(), "héllo");
    }
}
