//! The scripted model servers (`isomux_tests::model_server`): their wire format checked over
//! plain HTTP, then the real pinned `claude` and `codex` CLIs driven against them (no office
//! involved). The CLI tests fail, with an install hint, when the binaries are missing.

use anyhow::{Context, Result, bail, ensure};
use isomux_tests::model_server::{
    AnthropicServer, LastInput, OpenAiServer, Part, Reply, Script, THINKING_SIGNATURE, Usage,
};
use isomux_tests::process::{cli_bin, cli_bin_from, repo_root};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{ChildStdin, ChildStdout, Command};
use tokio::time::Instant;

/// The budget of one CLI test.
const TEST_BUDGET: Duration = Duration::from_secs(30);
const SHORT: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------------------------
// Wire format over plain HTTP
// ---------------------------------------------------------------------------------------------

/// Splits an SSE body into `(event, data)`, checking the exact `event: X\ndata: Y\n\n` framing.
fn parse_sse(body: &str) -> Vec<(String, Value)> {
    assert!(
        body.ends_with("\n\n"),
        "frames end with a blank line: {body:?}"
    );
    body.split_terminator("\n\n")
        .map(|frame| {
            let mut lines = frame.split('\n');
            let event = lines.next().and_then(|l| l.strip_prefix("event: "));
            let data = lines.next().and_then(|l| l.strip_prefix("data: "));
            assert!(lines.next().is_none(), "two lines per frame: {frame:?}");
            let (event, data) = event.zip(data).unwrap_or_else(|| panic!("frame {frame:?}"));
            (
                event.to_owned(),
                serde_json::from_str(data).expect("data is JSON"),
            )
        })
        .collect()
}

/// Checks the Anthropic event grammar and rebuilds the message from the events: its content
/// blocks, stop reason and final usage.
fn rebuild_anthropic(events: &[(String, Value)]) -> (Vec<Value>, String, Value) {
    for (event, data) in events {
        assert_eq!(
            data["type"],
            event.as_str(),
            "data.type matches the event name"
        );
    }
    let names: Vec<&str> = events.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(names.first(), Some(&"message_start"));
    assert_eq!(&names[names.len() - 2..], ["message_delta", "message_stop"]);
    let mut blocks: Vec<Value> = Vec::new();
    let mut open: Option<usize> = None;
    let mut json_buf = String::new();
    for (event, data) in &events[1..events.len() - 2] {
        let index = data["index"].as_u64().expect("index") as usize;
        match event.as_str() {
            "content_block_start" => {
                assert_eq!(open, None, "blocks do not overlap");
                assert_eq!(index, blocks.len(), "indexes count up from 0");
                blocks.push(data["content_block"].clone());
                open = Some(index);
                json_buf.clear();
            }
            "content_block_delta" => {
                assert_eq!(open, Some(index));
                let block = &mut blocks[index];
                let delta = &data["delta"];
                match delta["type"].as_str().unwrap() {
                    "text_delta" => {
                        let t = block["text"].as_str().unwrap().to_owned()
                            + delta["text"].as_str().unwrap();
                        block["text"] = t.into();
                    }
                    "thinking_delta" => {
                        let t = block["thinking"].as_str().unwrap().to_owned()
                            + delta["thinking"].as_str().unwrap();
                        block["thinking"] = t.into();
                    }
                    "signature_delta" => block["signature"] = delta["signature"].clone(),
                    "input_json_delta" => {
                        json_buf.push_str(delta["partial_json"].as_str().unwrap());
                    }
                    other => panic!("unexpected delta {other}"),
                }
            }
            "content_block_stop" => {
                assert_eq!(open, Some(index));
                if blocks[index]["type"] == "tool_use" {
                    blocks[index]["input"] = serde_json::from_str(&json_buf).expect("tool input");
                }
                open = None;
            }
            other => panic!("unexpected event {other}"),
        }
    }
    assert_eq!(open, None, "every block is stopped");
    let delta = &events[events.len() - 2].1;
    (
        blocks,
        delta["delta"]["stop_reason"].as_str().unwrap().to_owned(),
        delta["usage"].clone(),
    )
}

#[tokio::test]
async fn anthropic_wire_format_and_recording() -> Result<()> {
    let server = AnthropicServer::start(
        Script::new()
            .then(Reply::parts(vec![
                Part::Thinking("Let me think about this.".into()),
                Part::Text("I will run a command now.".into()),
                Part::Shell("echo hi".into()),
            ]))
            .then(Reply::text("The command printed hi, all done.")),
    );
    let http = reqwest::Client::new();
    let url = server.url();

    let head = http.head(&url).send().await?;
    assert_eq!(head.status(), 200);
    let count = http
        .post(format!("{url}/v1/messages/count_tokens?beta=true"))
        .json(&json!({"model": "claude-sonnet-4-5", "messages": []}))
        .send()
        .await?;
    assert_eq!(count.json::<Value>().await?, json!({"input_tokens": 10}));

    // A streamed turn with thinking, text and a tool call.
    let first = json!({
        "model": "claude-sonnet-4-5", "stream": true,
        "system": [{"type": "text", "text": "billing line"}, {"type": "text", "text": "You are a test agent."}],
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "<system-reminder>date</system-reminder>"},
                {"type": "text", "text": "RUN something please"}]},
            {"role": "system", "content": "mid-conversation system message"}]
    });
    let resp = http
        .post(format!("{url}/v1/messages?beta=true"))
        .header("X-Api-Key", "sk-test")
        .json(&first)
        .send()
        .await?;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    assert_eq!(resp.headers()["request-id"], "req_mock_3");
    let events = parse_sse(&resp.text().await?);
    let start = &events[0].1["message"];
    assert_eq!(start["id"], "msg_mock_003");
    assert_eq!(start["model"], "claude-sonnet-4-5");
    assert_eq!(start["usage"]["input_tokens"], 100);
    let text_deltas = events
        .iter()
        .filter(|(_, d)| d["delta"]["type"] == "text_delta")
        .count();
    assert!(text_deltas > 1, "text arrives as several deltas");
    let (blocks, stop, usage) = rebuild_anthropic(&events);
    assert_eq!(stop, "tool_use");
    assert_eq!(usage["output_tokens"], 10);
    assert_eq!(
        blocks,
        vec![
            json!({"type": "thinking", "thinking": "Let me think about this.", "signature": THINKING_SIGNATURE}),
            json!({"type": "text", "text": "I will run a command now."}),
            json!({"type": "tool_use", "id": "toolu_mock_003_2", "name": "Bash",
                   "input": {"command": "echo hi", "description": "Run a shell command"}}),
        ]
    );

    // The tool result comes back: the second queued reply.
    let second = json!({"model": "claude-sonnet-4-5", "stream": true, "messages": [
        {"role": "user", "content": [{"type": "text", "text": "RUN something please"}]},
        {"role": "assistant", "content": blocks},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_mock_003_2", "content": "hi\n"}]}]});
    let resp = http
        .post(format!("{url}/v1/messages?beta=true"))
        .json(&second)
        .send()
        .await?;
    let (blocks, stop, _) = rebuild_anthropic(&parse_sse(&resp.text().await?));
    assert_eq!(stop, "end_turn");
    assert_eq!(
        blocks,
        vec![json!({"type": "text", "text": "The command printed hi, all done."})]
    );

    // Queue empty: echo; the non-streaming form is one JSON message.
    let third = json!({"model": "claude-sonnet-4-5", "messages": [
        {"role": "user", "content": "plain string content\nsecond line"}]});
    let resp = http
        .post(format!("{url}/v1/messages?beta=true"))
        .json(&third)
        .send()
        .await?;
    assert_eq!(resp.headers()["content-type"], "application/json");
    let message: Value = resp.json().await?;
    assert_eq!(message["type"], "message");
    assert_eq!(message["stop_reason"], "end_turn");
    assert_eq!(
        message["content"],
        json!([{"type": "text", "text": "You said: second line"}])
    );
    assert_eq!(message["usage"]["input_tokens"], 100);

    let missing = http.get(format!("{url}/v1/other")).send().await?;
    assert_eq!(missing.status(), 404);

    // The log.
    let log = server.requests();
    let summary: Vec<(&str, &str, Option<u16>)> = log
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str(), r.status))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("HEAD", "/", Some(200)),
            ("POST", "/v1/messages/count_tokens?beta=true", Some(200)),
            ("POST", "/v1/messages?beta=true", Some(200)),
            ("POST", "/v1/messages?beta=true", Some(200)),
            ("POST", "/v1/messages?beta=true", Some(200)),
            ("GET", "/v1/other", Some(404)),
        ]
    );
    let model = server.model_requests();
    assert_eq!(model.len(), 3);
    assert_eq!(model[0].header("x-api-key"), Some("sk-test"));
    assert_eq!(
        model[0].headers["x-api-key"], "sk-test",
        "names are lower-cased"
    );
    assert_eq!(
        model[0].last_user_text().as_deref(),
        Some("RUN something please")
    );
    assert_eq!(
        model[0].system_text().as_deref(),
        Some("billing line\nYou are a test agent.")
    );
    assert!(model[0].stream_finished && !model[0].client_disconnected);
    assert_eq!(model[0].sse.len(), events.len());
    assert_eq!(model[0].streamed_text(), "I will run a command now.");
    assert_eq!(
        model[1].last_input(),
        LastInput::ToolResult {
            content: "hi\n".into(),
            is_error: false
        }
    );
    assert_eq!(
        model[1].last_user_text().as_deref(),
        Some("RUN something please")
    );
    assert_eq!(model[2].response_json.as_ref(), Some(&message));
    assert_eq!(server.count_requests_containing("RUN something"), 2);
    assert_eq!(model[1].occurrences("RUN something"), 1);
    assert!(model[1].at >= model[0].at);
    Ok(())
}

#[tokio::test]
async fn anthropic_errors_and_keyword_routing() -> Result<()> {
    let server = AnthropicServer::start(
        Script::new()
            .on("FAIL_500", Reply::error(500))
            .on("OVERLOADED", Reply::error(529))
            .on(
                "FAIL_400",
                Reply::error_with_body(400, json!({"type": "error", "error": {"type": "invalid_request_error", "message": "nope"}})),
            )
            .on("FAIL_STREAM", Reply::stream_error("overloaded mid-stream"))
            .on_tool_result(Reply::text("tool seen"))
            .otherwise(Reply::text("default answer")),
    );
    let http = reqwest::Client::new();
    let call = |text: &str, stream: bool| {
        let body = json!({"model": "m", "stream": stream, "messages": [{"role": "user", "content": [{"type": "text", "text": text}]}]});
        http.post(format!("{}/v1/messages?beta=true", server.url()))
            .json(&body)
            .send()
    };
    let r = call("please FAIL_500", true).await?;
    assert_eq!(r.status(), 500);
    let body: Value = r.json().await?;
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "api_error");
    let r = call("OVERLOADED", true).await?;
    assert_eq!(r.status(), 529);
    assert_eq!(
        r.json::<Value>().await?["error"]["type"],
        "overloaded_error"
    );
    let r = call("FAIL_400", true).await?;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await?["error"]["message"], "nope");

    let r = call("FAIL_STREAM", true).await?;
    assert_eq!(r.status(), 200);
    let events = parse_sse(&r.text().await?);
    let names: Vec<&str> = events.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(names, ["message_start", "error"]);
    assert_eq!(events[1].1["error"]["type"], "overloaded_error");
    // The CLI's non-streaming fallback cannot fail in mid-stream: it gets a 529.
    assert_eq!(call("FAIL_STREAM", false).await?.status(), 529);

    let r = call("something else", false).await?;
    assert_eq!(
        r.json::<Value>().await?["content"][0]["text"],
        "default answer"
    );
    let body = json!({"model": "m", "messages": [{"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": "FAIL_500"}], "is_error": true}]}]});
    let r = http
        .post(format!("{}/v1/messages", server.url()))
        .json(&body)
        .send()
        .await?;
    assert_eq!(r.json::<Value>().await?["content"][0]["text"], "tool seen");
    assert_eq!(
        server.model_requests().last().unwrap().last_input(),
        LastInput::ToolResult {
            content: "FAIL_500".into(),
            is_error: true
        }
    );

    // A new script replaces the old one; pushed replies come first.
    server.set_script(Script::new());
    server.push_reply(Reply::text("pushed"));
    let r = call("FAIL_500", false).await?;
    assert_eq!(r.json::<Value>().await?["content"][0]["text"], "pushed");
    let r = call("FAIL_500", false).await?;
    assert_eq!(
        r.json::<Value>().await?["content"][0]["text"],
        "You said: FAIL_500"
    );
    Ok(())
}

/// Checks the Responses event grammar; returns the `response.completed` response.
fn check_openai_stream(events: &[(String, Value)]) -> Value {
    for (i, (event, data)) in events.iter().enumerate() {
        assert_eq!(data["type"], event.as_str());
        assert_eq!(data["sequence_number"], i);
    }
    assert_eq!(events[0].0, "response.created");
    assert_eq!(events[1].0, "response.in_progress");
    let (last, done) = events.last().unwrap();
    assert_eq!(last, "response.completed");
    // Each item: added, then its own events, then done; deltas rebuild the final text.
    let done_items: Vec<&Value> = events
        .iter()
        .filter(|(e, _)| e == "response.output_item.done")
        .map(|(_, d)| &d["item"])
        .collect();
    assert_eq!(
        done["response"]["output"].as_array().unwrap().len(),
        done_items.len()
    );
    for (idx, item) in done_items.iter().enumerate() {
        assert_eq!(&done["response"]["output"][idx], *item);
        let added = events
            .iter()
            .find(|(e, d)| e == "response.output_item.added" && d["output_index"] == idx)
            .expect("item added");
        assert_eq!(added.1["item"]["id"], item["id"]);
        let deltas: String = events
            .iter()
            .filter(|(e, d)| e.ends_with(".delta") && d["output_index"] == idx)
            .map(|(_, d)| d["delta"].as_str().unwrap())
            .collect();
        let full = match item["type"].as_str().unwrap() {
            "message" => item["content"][0]["text"].as_str().unwrap().to_owned(),
            "reasoning" => item["summary"][0]["text"].as_str().unwrap().to_owned(),
            "function_call" => item["arguments"].as_str().unwrap().to_owned(),
            "custom_tool_call" => item["input"].as_str().unwrap().to_owned(),
            other => panic!("unexpected item {other}"),
        };
        assert_eq!(deltas, full);
    }
    done["response"].clone()
}

#[tokio::test]
async fn openai_wire_format_and_recording() -> Result<()> {
    let server = OpenAiServer::start(
        Script::replies([
            Reply::parts(vec![
                Part::Thinking("Considering the question.".into()),
                Part::Text("Here is the answer, in a few words.".into()),
            ]),
            Reply::shell("echo hi"),
            Reply::shell("echo hi"),
            Reply::parts(vec![Part::CustomToolCall {
                name: "apply_patch".into(),
                input: "*** Begin Patch\n*** Add File: a.txt\n+a\n*** End Patch\n".into(),
            }]),
            Reply::error(500),
            Reply::stream_error("Mock failure inside the stream"),
        ])
        .usage(Usage {
            input_tokens: 50,
            cached_input_tokens: 5,
            output_tokens: 7,
            reasoning_output_tokens: 2,
        }),
    );
    let http = reqwest::Client::new();
    let post = |body: Value| {
        http.post(format!("{}/responses", server.base_url()))
            .bearer_auth("sk-mock")
            .json(&body)
            .send()
    };
    let exec_tools = json!([{"type": "function", "name": "exec_command"}, {"type": "custom", "name": "apply_patch"}]);
    let input = json!([
        {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "base instructions"}]},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "<environment_context/>"}]},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hello codex"}]}
    ]);

    let resp =
        post(json!({"model": "gpt-5.5", "stream": true, "tools": exec_tools, "input": input}))
            .await?;
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let events = parse_sse(&resp.text().await?);
    let done = check_openai_stream(&events);
    assert_eq!(done["status"], "completed");
    assert_eq!(done["model"], "gpt-5.5");
    assert_eq!(
        done["usage"],
        json!({"input_tokens": 50, "input_tokens_details": {"cached_tokens": 5}, "output_tokens": 7,
               "output_tokens_details": {"reasoning_tokens": 2}, "total_tokens": 57})
    );
    assert_eq!(done["output"][0]["type"], "reasoning");
    assert_eq!(
        done["output"][1]["content"][0]["text"],
        "Here is the answer, in a few words."
    );

    // Shell: exec_command when offered, else shell_command.
    let resp =
        post(json!({"model": "gpt-5.5", "stream": true, "tools": exec_tools, "input": input}))
            .await?;
    let done = check_openai_stream(&parse_sse(&resp.text().await?));
    let call = &done["output"][0];
    assert_eq!(call["type"], "function_call");
    assert_eq!(call["name"], "exec_command");
    assert_eq!(call["call_id"], "call_mock_002_0");
    let args: Value = serde_json::from_str(call["arguments"].as_str().unwrap())?;
    assert_eq!(args["cmd"], "echo hi");
    let resp = post(json!({"model": "x", "stream": true, "tools": [{"type": "function", "name": "shell_command"}], "input": input})).await?;
    let done = check_openai_stream(&parse_sse(&resp.text().await?));
    assert_eq!(done["output"][0]["name"], "shell_command");

    // Freeform apply_patch after a tool output.
    let mut with_output = input.as_array().unwrap().clone();
    with_output.push(json!({"type": "function_call", "name": "exec_command", "arguments": "{}", "call_id": "c1"}));
    with_output
        .push(json!({"type": "function_call_output", "call_id": "c1", "output": "Output:\nhi\n"}));
    let resp = post(json!({"model": "gpt-5.5", "stream": true, "input": with_output})).await?;
    let done = check_openai_stream(&parse_sse(&resp.text().await?));
    assert_eq!(done["output"][0]["type"], "custom_tool_call");
    assert_eq!(done["output"][0]["name"], "apply_patch");

    // Errors.
    let resp = post(json!({"model": "gpt-5.5", "stream": true, "input": input})).await?;
    assert_eq!(resp.status(), 500);
    assert_eq!(resp.json::<Value>().await?["error"]["type"], "server_error");
    let resp = post(json!({"model": "gpt-5.5", "stream": true, "input": input})).await?;
    let events = parse_sse(&resp.text().await?);
    let names: Vec<&str> = events.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(names, ["response.created", "response.failed"]);
    assert_eq!(
        events[1].1["response"]["error"]["message"],
        "Mock failure inside the stream"
    );

    // Queue used up: echo.
    let resp = post(json!({"model": "gpt-5.5", "stream": true, "input": input})).await?;
    let done = check_openai_stream(&parse_sse(&resp.text().await?));
    assert_eq!(
        done["output"][0]["content"][0]["text"],
        "You said: hello codex"
    );

    // Other paths.
    let models = http
        .get(format!("{}/models", server.base_url()))
        .send()
        .await?;
    assert_eq!(models.status(), 200);
    let ws = http
        .get(format!("{}/responses", server.base_url()))
        .send()
        .await?;
    assert_eq!(ws.status(), 404);

    let model = server.model_requests();
    assert_eq!(model.len(), 7);
    assert_eq!(model[0].header("authorization"), Some("Bearer sk-mock"));
    assert_eq!(model[0].path, "/v1/responses");
    assert_eq!(model[0].last_user_text().as_deref(), Some("hello codex"));
    assert_eq!(model[0].system_text().as_deref(), Some("base instructions"));
    assert_eq!(
        model[0].streamed_text(),
        "Here is the answer, in a few words."
    );
    assert_eq!(
        model[3].last_input(),
        LastInput::ToolResult {
            content: "Output:\nhi\n".into(),
            is_error: false
        }
    );
    assert_eq!(server.count_requests_containing("hello codex"), 7);
    assert_eq!(server.requests().len(), 9);
    Ok(())
}

/// Reads a few chunks of a slow stream and hangs up, as a CLI does on interrupt.
async fn hang_up_after(resp: reqwest::Response, chunks: usize) -> Result<String> {
    let mut resp = resp;
    let mut got = String::new();
    for _ in 0..chunks {
        let chunk = resp.chunk().await?.context("stream ended early")?;
        got.push_str(std::str::from_utf8(&chunk)?);
    }
    drop(resp);
    Ok(got)
}

#[tokio::test]
async fn slow_streams_survive_a_client_hanging_up() -> Result<()> {
    let delay = Duration::from_millis(50);
    let anthropic = AnthropicServer::start(
        Script::new()
            .then(Reply::slow_chunks(60, delay))
            .then(Reply::slow("short and slow", Duration::from_millis(10))),
    );
    let openai = OpenAiServer::start(Script::new().then(Reply::slow_chunks(60, delay)));
    let http = reqwest::Client::new();
    let body =
        json!({"model": "m", "stream": true, "messages": [{"role": "user", "content": "SLOW"}]});
    let started = Instant::now();
    let resp = http
        .post(format!("{}/v1/messages", anthropic.url()))
        .json(&body)
        .send()
        .await?;
    let got = hang_up_after(resp, 4).await?;
    assert!(got.contains("chunk00 "), "{got}");
    let log = anthropic
        .wait_for("the hang-up", SHORT, |r| r[0].client_disconnected)
        .await?;
    assert!(!log[0].stream_finished);
    assert!(log[0].sse.len() < 60, "{} events written", log[0].sse.len());
    assert!(started.elapsed() < Duration::from_secs(2));

    // The server goes on answering; a slow stream read to its end is complete.
    let resp = http
        .post(format!("{}/v1/messages", anthropic.url()))
        .json(&body)
        .send()
        .await?;
    let events = parse_sse(&resp.text().await?);
    let deltas = events
        .iter()
        .filter(|(_, d)| d["delta"]["type"] == "text_delta")
        .count();
    assert_eq!(deltas, 3, "one delta per word");
    let log = anthropic.wait_for_model_requests(2, SHORT).await?;
    assert!(log[1].stream_finished && !log[1].client_disconnected);

    let resp = http
        .post(format!("{}/responses", openai.base_url()))
        .json(&json!({"model": "m", "stream": true, "input": [{"type": "message", "role": "user", "content": "SLOW"}]}))
        .send()
        .await?;
    hang_up_after(resp, 5).await?;
    openai
        .wait_for("the hang-up", SHORT, |r| r[0].client_disconnected)
        .await?;

    // Blocking waits work outside the runtime too.
    let server = anthropic;
    tokio::task::spawn_blocking(move || {
        server
            .wait_for_blocking("two requests", SHORT, |r| r.len() == 2)
            .map(|_| ())
    })
    .await??;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The real CLIs
// ---------------------------------------------------------------------------------------------

/// A CLI child speaking newline-delimited JSON on stdin/stdout. Killed on drop; prints its
/// stderr and last stdout lines when the test panics.
struct JsonChild {
    name: &'static str,
    child: tokio::process::Child,
    stdin: Option<ChildStdin>,
    stdout: Lines<BufReader<ChildStdout>>,
    stderr: Arc<Mutex<String>>,
    /// Lines read but not yet handed out (read while waiting for a JSON-RPC response).
    pending: VecDeque<Value>,
    recent: VecDeque<String>,
}

impl JsonChild {
    fn spawn(name: &'static str, mut cmd: Command) -> Result<Self> {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().with_context(|| format!("spawning {name}"))?;
        let stdout = BufReader::new(child.stdout.take().context("stdout")?).lines();
        let mut err = child.stderr.take().context("stderr")?;
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                let mut s = sink.lock().unwrap();
                s.push_str(&String::from_utf8_lossy(&buf[..n]));
                if s.len() > 64_000 {
                    let cut = s.len() - 48_000;
                    let cut = (cut..s.len()).find(|&i| s.is_char_boundary(i)).unwrap_or(0);
                    s.drain(..cut);
                }
            }
        });
        Ok(Self {
            name,
            stdin: child.stdin.take(),
            child,
            stdout,
            stderr,
            pending: VecDeque::new(),
            recent: VecDeque::new(),
        })
    }

    async fn send(&mut self, msg: &Value) -> Result<()> {
        let stdin = self.stdin.as_mut().context("stdin already closed")?;
        stdin.write_all(format!("{msg}\n").as_bytes()).await?;
        stdin.flush().await?;
        Ok(())
    }

    /// The next stdout line (as JSON; non-JSON lines are skipped).
    async fn read_line(&mut self, deadline: Instant) -> Result<Value> {
        loop {
            let line = match tokio::time::timeout_at(deadline, self.stdout.next_line()).await {
                Err(_) => bail!("{} said nothing more before the deadline", self.name),
                Ok(r) => r?.with_context(|| format!("{} closed its stdout", self.name))?,
            };
            self.recent.push_back(line.chars().take(600).collect());
            if self.recent.len() > 15 {
                self.recent.pop_front();
            }
            if let Ok(v) = serde_json::from_str(&line) {
                return Ok(v);
            }
        }
    }

    async fn next(&mut self, deadline: Instant) -> Result<Value> {
        match self.pending.pop_front() {
            Some(v) => Ok(v),
            None => self.read_line(deadline).await,
        }
    }

    /// Closes stdin and waits for the exit.
    async fn close_and_wait(&mut self, timeout: Duration) -> Result<ExitStatus> {
        self.stdin = None;
        tokio::time::timeout(timeout, self.child.wait())
            .await
            .with_context(|| format!("{} did not exit after stdin closed", self.name))?
            .map_err(Into::into)
    }

    fn diagnostics(&self) -> String {
        let recent: Vec<&str> = self.recent.iter().map(String::as_str).collect();
        format!(
            "--- {} stderr ---\n{}\n--- {} last stdout lines ---\n{}",
            self.name,
            self.stderr.lock().unwrap(),
            self.name,
            recent.join("\n")
        )
    }
}

impl Drop for JsonChild {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", self.diagnostics());
        }
    }
}

/// On error, appends the child's stderr and last output to the error.
fn with_diagnostics<T>(child: &JsonChild, result: Result<T>) -> Result<T> {
    result.map_err(|e| anyhow::anyhow!("{e:#}\n{}", child.diagnostics()))
}

/// Claude Code in stream-json mode against an [`AnthropicServer`], with a throwaway HOME and
/// working directory.
struct Claude {
    child: JsonChild,
    _dir: tempfile::TempDir,
    work: PathBuf,
}

impl Claude {
    fn spawn(server: &AnthropicServer) -> Result<Self> {
        let bin = cli_bin("claude")?;
        let dir = tempfile::tempdir()?;
        let (home, work) = (dir.path().join("home"), dir.path().join("work"));
        std::fs::create_dir_all(&home)?;
        std::fs::create_dir_all(&work)?;
        let mut cmd = Command::new(bin);
        // The driver's own flags, so the fixtures hold for what the office runs.
        cmd.args(isomux_agents::claude::backend::STREAM_JSON_ARGS)
            .args(["--model", "claude-sonnet-4-5"])
            .current_dir(&work);
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy();
            if k.starts_with("ANTHROPIC_") || k.starts_with("CLAUDE_") {
                cmd.env_remove(&*k);
            }
        }
        cmd.env("HOME", &home).env("DISABLE_AUTOUPDATER", "1");
        cmd.envs(server.claude_env());
        Ok(Self {
            child: JsonChild::spawn("claude", cmd)?,
            _dir: dir,
            work,
        })
    }

    async fn user(&mut self, text: &str) -> Result<()> {
        self.child
            .send(
                &json!({"type": "user", "session_id": "", "message": {"role": "user",
                "content": [{"type": "text", "text": text}]}, "parent_tool_use_id": null}),
            )
            .await
    }

    /// Reads until `stop(line)` holds, allowing every `can_use_tool` request on the way.
    /// Returns the lines read, the last one included.
    async fn read_until(
        &mut self,
        deadline: Instant,
        mut stop: impl FnMut(&Value) -> bool,
    ) -> Result<Vec<Value>> {
        let mut lines = Vec::new();
        loop {
            let line = self.child.next(deadline).await?;
            if line["type"] == "control_request" && line["request"]["subtype"] == "can_use_tool" {
                let answer = json!({"type": "control_response", "response": {"subtype": "success",
                    "request_id": line["request_id"], "response": {"behavior": "allow",
                    "updatedInput": line["request"]["input"],
                    "toolUseID": line["request"]["tool_use_id"]}}});
                self.child.send(&answer).await?;
            }
            let done = stop(&line);
            lines.push(line);
            if done {
                return Ok(lines);
            }
        }
    }

    /// Reads one turn, up to its `result` line.
    async fn turn(&mut self, deadline: Instant) -> Result<Vec<Value>> {
        self.read_until(deadline, |l| l["type"] == "result").await
    }
}

/// The streamed text of a Claude turn: every `text_delta` of its `stream_event`s.
fn claude_streamed_text(lines: &[Value]) -> String {
    lines
        .iter()
        .filter(|l| l["type"] == "stream_event" && l["event"]["delta"]["type"] == "text_delta")
        .filter_map(|l| l["event"]["delta"]["text"].as_str())
        .collect()
}

/// The blocks of the turn's `assistant` messages, in order.
fn claude_assistant_blocks(lines: &[Value]) -> Vec<Value> {
    lines
        .iter()
        .filter(|l| l["type"] == "assistant")
        .flat_map(|l| {
            l["message"]["content"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

fn claude_assistant_text(lines: &[Value]) -> String {
    claude_assistant_blocks(lines)
        .iter()
        .filter(|b| b["type"] == "text")
        .filter_map(|b| b["text"].as_str())
        .collect()
}

#[tokio::test]
async fn claude_streams_a_scripted_text_turn() -> Result<()> {
    const TEXT: &str = "Hello from the scripted Anthropic server, nice to meet you.";
    let deadline = Instant::now() + TEST_BUDGET;
    let server = AnthropicServer::start(Script::new().then(Reply::text(TEXT)));
    let mut claude = Claude::spawn(&server)?;
    let result = async {
        claude.user("hello").await?;
        let lines = claude.turn(deadline).await?;
        let result = lines.last().unwrap();
        ensure!(result["is_error"] == false, "turn failed: {result}");
        assert_eq!(result["result"], TEXT);
        let deltas = lines
            .iter()
            .filter(|l| l["type"] == "stream_event" && l["event"]["type"] == "content_block_delta")
            .count();
        assert!(deltas > 1, "several deltas: {deltas}");
        assert_eq!(claude_streamed_text(&lines), TEXT);
        assert_eq!(claude_assistant_text(&lines), TEXT);
        // The usage streamed in message_start / message_delta reaches the result.
        assert_eq!(result["usage"]["input_tokens"], 100);
        assert_eq!(result["usage"]["output_tokens"], 10);

        let requests = server.model_requests();
        assert_eq!(requests.len(), 1, "{}", server.summary());
        let req = &requests[0];
        assert!(req.last_user_text().unwrap().contains("hello"));
        assert_eq!(req.path, "/v1/messages?beta=true");
        assert_eq!(req.header("x-api-key"), Some("sk-test"));
        assert_eq!(req.body["model"], "claude-sonnet-4-5");
        assert!(req.is_streaming());
        assert!(req.stream_finished);
        assert!(req.system_text().unwrap_or_default().len() > 100);
        let status = claude.child.close_and_wait(SHORT).await?;
        assert!(status.success(), "exit status {status}");
        Ok(())
    }
    .await;
    with_diagnostics(&claude.child, result)
}

#[tokio::test]
async fn claude_thinks_runs_a_tool_and_answers() -> Result<()> {
    let deadline = Instant::now() + TEST_BUDGET;
    let server = AnthropicServer::start(
        Script::new()
            .then(Reply::parts(vec![
                Part::Thinking("The user wants a marker file.".into()),
                Part::Text("I will run a command.".into()),
                Part::Shell("touch marker.txt && echo hello-from-bash".into()),
            ]))
            .on_tool_result(Reply::Echo),
    );
    let mut claude = Claude::spawn(&server)?;
    let result = async {
        claude.user("make a marker file").await?;
        let lines = claude.turn(deadline).await?;
        let result = lines.last().unwrap();
        ensure!(result["is_error"] == false, "turn failed: {result}");
        assert_eq!(
            result["result"],
            "Tool result (is_error=false): hello-from-bash"
        );
        let blocks = claude_assistant_blocks(&lines);
        let kinds: Vec<&str> = blocks.iter().filter_map(|b| b["type"].as_str()).collect();
        assert_eq!(kinds, ["thinking", "text", "tool_use", "text"]);
        assert_eq!(blocks[0]["thinking"], "The user wants a marker file.");
        assert_eq!(blocks[2]["name"], "Bash");
        assert!(
            lines.iter().any(|l| l["type"] == "control_request"),
            "the permission prompt went through stdio"
        );
        assert!(claude.work.join("marker.txt").exists(), "the command ran");

        let requests = server.model_requests();
        assert_eq!(requests.len(), 2, "{}", server.summary());
        assert_eq!(
            requests[1].last_input(),
            LastInput::ToolResult {
                content: "hello-from-bash".into(),
                is_error: false
            }
        );
        // The history comes back as streamed: thinking with its signature, the tool call.
        assert_eq!(requests[1].occurrences(THINKING_SIGNATURE), 1);
        let tool_id = blocks[2]["id"].as_str().unwrap();
        assert!(tool_id.starts_with("toolu_mock_"), "{tool_id}");
        assert_eq!(
            requests[1].occurrences(tool_id),
            2,
            "the tool_use and its result"
        );
        assert_eq!(
            requests[1].last_user_text().as_deref(),
            Some("make a marker file")
        );
        Ok(())
    }
    .await;
    with_diagnostics(&claude.child, result)
}

#[tokio::test]
async fn claude_interrupt_drops_the_slow_stream() -> Result<()> {
    let deadline = Instant::now() + TEST_BUDGET;
    let server = AnthropicServer::start(
        Script::new()
            .then(Reply::slow_chunks(100, Duration::from_millis(100)))
            .then(Reply::text("Back after the interrupt.")),
    );
    let mut claude = Claude::spawn(&server)?;
    let result = async {
        claude.user("SLOW please").await?;
        let mut deltas = 0;
        claude
            .read_until(deadline, |l| {
                if l["event"]["delta"]["type"] == "text_delta" {
                    deltas += 1;
                }
                deltas >= 3
            })
            .await?;
        claude
            .child
            .send(
                &json!({"type": "control_request", "request_id": "req_interrupt_1",
                "request": {"subtype": "interrupt"}}),
            )
            .await?;
        let lines = claude.turn(deadline).await?;
        let result = lines.last().unwrap();
        assert_eq!(result["subtype"], "error_during_execution", "{result}");
        let log = server
            .wait_for("the CLI to hang up", SHORT, |r| {
                r.iter().any(|r| r.client_disconnected)
            })
            .await?;
        let slow = log.iter().find(|r| r.is_model_call()).unwrap();
        assert!(slow.client_disconnected && !slow.stream_finished);

        claude.user("continue").await?;
        let lines = claude.turn(deadline).await?;
        assert_eq!(lines.last().unwrap()["result"], "Back after the interrupt.");
        let requests = server.model_requests();
        assert_eq!(requests.len(), 2, "{}", server.summary());
        // The partial text is replayed once, the new message is the last user text.
        assert_eq!(requests[1].occurrences("chunk00 chunk01"), 1);
        assert!(requests[1].last_user_text().unwrap().contains("continue"));
        Ok(())
    }
    .await;
    with_diagnostics(&claude.child, result)
}

#[tokio::test]
async fn claude_reports_a_scripted_http_error() -> Result<()> {
    let deadline = Instant::now() + TEST_BUDGET;
    let server = AnthropicServer::start(
        Script::new()
            .then(Reply::error(500))
            .then(Reply::text("Recovered.")),
    );
    let mut claude = Claude::spawn(&server)?;
    let result = async {
        claude.user("first").await?;
        let lines = claude.turn(deadline).await?;
        let result = lines.last().unwrap();
        assert_eq!(result["is_error"], true, "{result}");
        assert_eq!(result["api_error_status"], 500);
        claude.user("second").await?;
        let lines = claude.turn(deadline).await?;
        assert_eq!(lines.last().unwrap()["result"], "Recovered.");
        assert_eq!(
            server.model_requests().len(),
            2,
            "no retries with CLAUDE_CODE_MAX_RETRIES=0"
        );
        Ok(())
    }
    .await;
    with_diagnostics(&claude.child, result)
}

/// `codex app-server` against an [`OpenAiServer`], initialized, with one thread started.
struct Codex {
    child: JsonChild,
    next_id: u64,
    thread_id: String,
    _home: tempfile::TempDir,
    work: tempfile::TempDir,
}

/// A throwaway CODEX_HOME outside /tmp: under a temporary directory codex refuses to create
/// its sandbox helpers, and sandboxed commands fail.
fn codex_home() -> Result<tempfile::TempDir> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| repo_root().join("target"), PathBuf::from);
    let parent = target.join("test-codex-homes");
    std::fs::create_dir_all(&parent)?;
    Ok(tempfile::Builder::new()
        .prefix("home-")
        .tempdir_in(parent)?)
}

impl Codex {
    async fn start(server: &OpenAiServer, deadline: Instant) -> Result<Self> {
        let bin = cli_bin("codex")?;
        let home = codex_home()?;
        std::fs::write(home.path().join("config.toml"), server.codex_config_toml())?;
        let work = tempfile::tempdir()?;
        let mut cmd = Command::new(bin);
        cmd.arg("app-server").current_dir(work.path());
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy();
            if k.starts_with("CODEX_") || k.starts_with("OPENAI_") {
                cmd.env_remove(&*k);
            }
        }
        cmd.env("CODEX_HOME", home.path())
            .env(OpenAiServer::API_KEY_ENV, "sk-mock");
        let mut codex = Self {
            child: JsonChild::spawn("codex", cmd)?,
            next_id: 0,
            thread_id: String::new(),
            _home: home,
            work,
        };
        let started = async {
            codex
                .call(
                    "initialize",
                    json!({"clientInfo": {"name": "isomux_tests", "title": "Isomux tests", "version": "0.0.0"},
                           "capabilities": {"experimentalApi": false, "requestAttestation": false}}),
                    deadline,
                )
                .await?;
            codex.child.send(&json!({"method": "initialized"})).await?;
            let cwd = codex.work.path().to_string_lossy().into_owned();
            let thread = codex
                .call(
                    "thread/start",
                    json!({"cwd": cwd, "approvalPolicy": "never", "sandbox": "danger-full-access"}),
                    deadline,
                )
                .await?;
            codex.thread_id = thread["thread"]["id"]
                .as_str()
                .context("thread id")?
                .to_owned();
            Ok(())
        }
        .await;
        with_diagnostics(&codex.child, started)?;
        Ok(codex)
    }

    /// Sends a request and waits for its response; notifications read meanwhile stay queued.
    async fn call(&mut self, method: &str, params: Value, deadline: Instant) -> Result<Value> {
        let id = self.next_id;
        self.next_id += 1;
        self.child
            .send(&json!({"method": method, "id": id, "params": params}))
            .await?;
        let mut stash = Vec::new();
        loop {
            let msg = self.child.read_line(deadline).await?;
            if msg["id"] == id && msg.get("method").is_none() {
                self.child.pending.extend(stash);
                if let Some(err) = msg.get("error") {
                    bail!("{method} failed: {err}");
                }
                return Ok(msg["result"].clone());
            }
            stash.push(msg);
        }
    }

    async fn start_turn(&mut self, text: &str, deadline: Instant) -> Result<String> {
        let params = json!({"threadId": self.thread_id,
            "input": [{"type": "text", "text": text, "text_elements": []}]});
        let turn = self.call("turn/start", params, deadline).await?;
        Ok(turn["turn"]["id"].as_str().context("turn id")?.to_owned())
    }

    /// Reads until `stop(msg)` holds, accepting any approval request on the way.
    async fn read_until(
        &mut self,
        deadline: Instant,
        mut stop: impl FnMut(&Value) -> bool,
    ) -> Result<Vec<Value>> {
        let mut msgs = Vec::new();
        loop {
            let msg = self.child.next(deadline).await?;
            if msg.get("id").is_some()
                && msg["method"]
                    .as_str()
                    .is_some_and(|m| m.ends_with("requestApproval"))
            {
                self.child
                    .send(&json!({"id": msg["id"], "result": {"decision": "accept"}}))
                    .await?;
            }
            let done = stop(&msg);
            msgs.push(msg);
            if done {
                return Ok(msgs);
            }
        }
    }

    /// Reads up to this turn's `turn/completed`.
    async fn finish_turn(&mut self, turn_id: &str, deadline: Instant) -> Result<Vec<Value>> {
        self.read_until(deadline, |m| {
            m["method"] == "turn/completed" && m["params"]["turn"]["id"] == turn_id
        })
        .await
    }
}

/// The agent message texts of a codex turn: (concatenated deltas, completed items' text).
fn codex_agent_text(msgs: &[Value]) -> (String, String) {
    let deltas = msgs
        .iter()
        .filter(|m| m["method"] == "item/agentMessage/delta")
        .filter_map(|m| m["params"]["delta"].as_str())
        .collect();
    let completed = msgs
        .iter()
        .filter(|m| {
            m["method"] == "item/completed" && m["params"]["item"]["type"] == "agentMessage"
        })
        .filter_map(|m| m["params"]["item"]["text"].as_str())
        .collect();
    (deltas, completed)
}

fn turn_status(msgs: &[Value]) -> &Value {
    &msgs.last().unwrap()["params"]["turn"]["status"]
}

#[tokio::test]
async fn codex_streams_a_scripted_text_turn() -> Result<()> {
    const TEXT: &str = "Hello from the scripted Responses server, nice to meet you.";
    let deadline = Instant::now() + TEST_BUDGET;
    let server = OpenAiServer::start(Script::new().then(Reply::text(TEXT)));
    let mut codex = Codex::start(&server, deadline).await?;
    let result = async {
        let turn = codex.start_turn("hello", deadline).await?;
        let msgs = codex.finish_turn(&turn, deadline).await?;
        ensure!(
            turn_status(&msgs) == "completed",
            "{}",
            msgs.last().unwrap()
        );
        let (deltas, completed) = codex_agent_text(&msgs);
        assert_eq!(completed, TEXT);
        assert_eq!(deltas, TEXT);
        let usage = msgs
            .iter()
            .find(|m| m["method"] == "thread/tokenUsage/updated")
            .context("token usage")?;
        assert_eq!(usage["params"]["tokenUsage"]["last"]["inputTokens"], 100);
        assert_eq!(
            usage["params"]["tokenUsage"]["last"]["cachedInputTokens"],
            20
        );

        let requests = server.model_requests();
        assert_eq!(requests.len(), 1, "{}", server.summary());
        let req = &requests[0];
        assert_eq!(req.last_user_text().as_deref(), Some("hello"));
        assert_eq!(req.header("authorization"), Some("Bearer sk-mock"));
        assert_eq!(req.header("originator"), Some("isomux_tests"));
        assert_eq!(req.body["model"], "gpt-5.5");
        assert!(req.system_text().unwrap_or_default().len() > 100);
        assert!(req.stream_finished);
        assert_eq!(server.requests().len(), 1, "nothing but the model call");
        let status = codex.child.close_and_wait(SHORT).await?;
        assert!(status.success(), "exit status {status}");
        Ok(())
    }
    .await;
    with_diagnostics(&codex.child, result)
}

#[tokio::test]
async fn codex_runs_a_shell_call_and_thinks() -> Result<()> {
    let deadline = Instant::now() + TEST_BUDGET;
    let server = OpenAiServer::start(
        Script::new()
            .then(Reply::shell("echo hello-from-codex-shell"))
            .then(Reply::thinking(
                "Reading the output.",
                "The command said hello.",
            )),
    );
    let mut codex = Codex::start(&server, deadline).await?;
    let result = async {
        let turn = codex.start_turn("run something", deadline).await?;
        let msgs = codex.finish_turn(&turn, deadline).await?;
        ensure!(
            turn_status(&msgs) == "completed",
            "{}",
            msgs.last().unwrap()
        );
        let command = msgs
            .iter()
            .find(|m| {
                m["method"] == "item/completed" && m["params"]["item"]["type"] == "commandExecution"
            })
            .context("a commandExecution item")?;
        assert_eq!(command["params"]["item"]["exitCode"], 0, "{command}");
        assert!(
            msgs.iter()
                .any(|m| m["method"] == "item/reasoning/summaryTextDelta")
        );
        assert_eq!(codex_agent_text(&msgs).1, "The command said hello.");

        let requests = server.model_requests();
        assert_eq!(requests.len(), 2, "{}", server.summary());
        match requests[1].last_input() {
            LastInput::ToolResult { content, .. } => {
                assert!(content.contains("hello-from-codex-shell"), "{content}");
            }
            other => panic!("expected the command output, got {other:?}"),
        }
        assert!(requests[1].contains("call_mock_001_0"));
        Ok(())
    }
    .await;
    with_diagnostics(&codex.child, result)
}

#[tokio::test]
async fn codex_interrupt_drops_the_slow_stream() -> Result<()> {
    let deadline = Instant::now() + TEST_BUDGET;
    let server = OpenAiServer::start(
        Script::new()
            .then(Reply::slow_chunks(100, Duration::from_millis(100)))
            .then(Reply::text("Back after the interrupt.")),
    );
    let mut codex = Codex::start(&server, deadline).await?;
    let result = async {
        let turn = codex.start_turn("SLOW please", deadline).await?;
        let mut deltas = 0;
        codex
            .read_until(deadline, |m| {
                if m["method"] == "item/agentMessage/delta" {
                    deltas += 1;
                }
                deltas >= 3
            })
            .await?;
        let params = json!({"threadId": codex.thread_id, "turnId": turn});
        codex.call("turn/interrupt", params, deadline).await?;
        let msgs = codex.finish_turn(&turn, deadline).await?;
        assert_eq!(turn_status(&msgs), "interrupted");
        server
            .wait_for("codex to hang up", SHORT, |r| {
                r.first().is_some_and(|r| r.client_disconnected)
            })
            .await?;

        let turn = codex.start_turn("continue", deadline).await?;
        let msgs = codex.finish_turn(&turn, deadline).await?;
        assert_eq!(codex_agent_text(&msgs).1, "Back after the interrupt.");
        let requests = server.model_requests();
        assert_eq!(requests.len(), 2, "{}", server.summary());
        assert_eq!(requests[1].last_user_text().as_deref(), Some("continue"));
        assert_eq!(
            requests[1].occurrences("chunk00"),
            0,
            "codex drops partial text"
        );
        Ok(())
    }
    .await;
    with_diagnostics(&codex.child, result)
}

#[tokio::test]
async fn codex_reports_scripted_errors() -> Result<()> {
    let deadline = Instant::now() + TEST_BUDGET;
    let server = OpenAiServer::start(
        Script::new()
            .then(Reply::error(500))
            .then(Reply::stream_error("Mock failure inside the stream"))
            .then(Reply::text("Recovered.")),
    );
    let mut codex = Codex::start(&server, deadline).await?;
    let result = async {
        let turn = codex.start_turn("first", deadline).await?;
        let msgs = codex.finish_turn(&turn, deadline).await?;
        assert_eq!(turn_status(&msgs), "failed");
        let turn = codex.start_turn("second", deadline).await?;
        let msgs = codex.finish_turn(&turn, deadline).await?;
        assert_eq!(turn_status(&msgs), "failed");
        let error = &msgs.last().unwrap()["params"]["turn"]["error"]["message"];
        assert!(
            error
                .as_str()
                .unwrap_or_default()
                .contains("Mock failure inside the stream"),
            "{error}"
        );
        let turn = codex.start_turn("third", deadline).await?;
        let msgs = codex.finish_turn(&turn, deadline).await?;
        assert_eq!(codex_agent_text(&msgs).1, "Recovered.");
        assert_eq!(server.model_requests().len(), 3, "{}", server.summary());
        Ok(())
    }
    .await;
    with_diagnostics(&codex.child, result)
}

#[test]
fn a_missing_cli_fails_with_the_setup_hint() {
    let err = cli_bin_from("claude", Some("/nonexistent/claude".into()))
        .expect_err("a missing binary is an error");
    let err = err.to_string();
    assert!(
        err.contains("cargo xtask setup") && err.contains("ISOMUX_CLAUDE_BIN"),
        "{err}"
    );
}
