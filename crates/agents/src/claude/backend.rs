//! The `claude` backend: spawns Claude Code 2.1.197 in stream-json mode through
//! [`spawn_child`](crate::spawn::spawn_child), initializes the control protocol (a PreToolUse
//! hook on every tool, the system prompt appended), then runs one session task that feeds stdout
//! to the [`Normalizer`] and answers the CLI's control requests: the safety rules first, then
//! the office's approvals. The wire shapes live in `types`/`stdin`/`normalize`, not here.

use super::normalize::{ControlKind, ControlRequestIn, Normalizer, Output};
use super::stdin;
use crate::driver::{Cli, CliBackend, Driver, Protocol, Stdin, safety_context};
use isomux_core::backend::{
    BackendDescription, BackendError, NormalizedEvent, SessionCommand, SessionHandle, SessionSpec,
    UserTurn,
};
use isomux_core::safety::{SafetyContext, Verdict, check_claude_tool};
use isomux_protocol::{BackendKind, Capabilities, Effort};
use serde_json::Value;
use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::process::Command;
use tokio::sync::mpsc;

/// How to install the pinned CLI.
pub const INSTALL_HINT: &str = "install Claude Code: npm install -g @anthropic-ai/claude-code@2.1.197 (or set ISOMUX_CLAUDE_BIN)";
/// The SDK version paired with CLI 2.1.197 (claude-code.md §1.2).
const SDK_VERSION: &str = "0.3.197";
const INIT_TIMEOUT: Duration = Duration::from_secs(30);
const HOOK_ID: &str = "isomux_pre_tool_use";

/// The Claude Code backend.
pub type ClaudeBackend = CliBackend<Claude>;

/// Claude Code 2.1.197 in stream-json mode, for [`CliBackend`].
#[derive(Debug)]
pub enum Claude {}

impl Cli for Claude {
    const PROGRAM: &'static str = "claude";
    const ENV_VAR: &'static str = "ISOMUX_CLAUDE_BIN";
    const NAME: &'static str = "Claude Code";
    const INSTALL_HINT: &'static str = INSTALL_HINT;

    fn description() -> BackendDescription {
        BackendDescription {
            kind: BackendKind::Claude,
            usable: false,
            detail: None,
            // Only what this driver does today: no skills/MCP wiring yet. Forks at a message
            // (`--fork-session --resume-session-at`) are verified against 2.1.197 by
            // tests/tests/fork.rs.
            capabilities: Capabilities {
                fork: true,
                fork_at_message: true,
                hooks: true,
                approvals: true,
                images: true,
                interrupt: true,
                resume: true,
                ..Capabilities::default()
            },
            models: vec![
                "claude-opus-4-8".into(),
                "claude-sonnet-5".into(),
                "claude-haiku-4-5".into(),
            ],
            default_model: "claude-sonnet-5".into(),
            accepts_session_id: true,
        }
    }

    fn start(
        bin: PathBuf,
        spec: SessionSpec,
    ) -> impl Future<Output = Result<SessionHandle, BackendError>> + Send + 'static {
        start(bin, spec)
    }
}

/// The CLI's `--effort` value for the office's effort.
fn effort_flag(effort: Effort) -> &'static str {
    match effort {
        Effort::Low => "low",
        Effort::Medium => "medium",
        Effort::High => "high",
        Effort::Max => "max",
    }
}

/// The flags of every session: stream-json both ways with partial messages, and every
/// permission prompt sent to the driver (the office answers them itself, design §10, whatever
/// the agent's mode). Public for the tests that speak the protocol to the CLI directly.
pub const STREAM_JSON_ARGS: [&str; 10] = [
    "--output-format",
    "stream-json",
    "--verbose",
    "--input-format",
    "stream-json",
    "--include-partial-messages",
    "--permission-mode",
    "default",
    "--permission-prompt-tool",
    "stdio",
];

fn command(bin: &Path, spec: &SessionSpec, session_id: &str) -> Command {
    let mut cmd = Command::new(bin);
    cmd.args(STREAM_JSON_ARGS)
        .args(["--effort", effort_flag(spec.effort)]);
    if !spec.model.is_empty() {
        cmd.arg("--model").arg(&spec.model);
    }
    match (&spec.resume, &spec.fork) {
        (Some(id), _) => {
            cmd.arg("--resume").arg(id);
        }
        // A fork gets the office's id for the new session (`--session-id` is accepted with
        // `--resume` only together with `--fork-session`) and keeps the source's history up
        // to the assistant message `at` (its uuid in the source's session file).
        (None, Some(fork)) => {
            cmd.arg("--resume").arg(&fork.source_session);
            cmd.arg("--fork-session")
                .arg("--session-id")
                .arg(session_id);
            if let Some(at) = &fork.at {
                cmd.arg("--resume-session-at").arg(at);
            }
        }
        (None, None) => {
            cmd.arg("--session-id").arg(session_id);
        }
    }
    cmd.current_dir(&spec.cwd);
    // As the SDK does (§1.2).
    cmd.env_remove("NODE_OPTIONS").env_remove("DEBUG");
    cmd.envs(spec.env.iter().map(|(k, v)| (k, v)));
    let is_set =
        |key: &str| spec.env.iter().any(|(k, _)| k == key) || std::env::var_os(key).is_some();
    for (key, value) in [
        ("CLAUDE_CODE_ENTRYPOINT", "sdk-ts"),
        ("CLAUDE_AGENT_SDK_VERSION", SDK_VERSION),
        ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"),
    ] {
        if !is_set(key) {
            cmd.env(key, value);
        }
    }
    cmd
}

/// Starts (or resumes) a session. A session the CLI never saved — it died during its first turn,
/// before writing the transcript — cannot be resumed: it starts fresh (a fork: is forked again,
/// `spec.fork` being kept) under the same id.
async fn start(bin: PathBuf, spec: SessionSpec) -> Result<SessionHandle, BackendError> {
    match start_once(bin.clone(), spec.clone()).await {
        Err(BackendError::StartFailed(why))
            if spec.resume.is_some() && why.contains("No conversation found") =>
        {
            tracing::warn!("claude session was never saved; starting it fresh under the same id");
            let mut fresh = spec;
            fresh.session_id = fresh.resume.take();
            start_once(bin, fresh).await
        }
        other => other,
    }
}

async fn start_once(bin: PathBuf, spec: SessionSpec) -> Result<SessionHandle, BackendError> {
    let session_id = spec
        .resume
        .clone()
        .or_else(|| spec.session_id.clone())
        .unwrap_or_else(isomux_core::ids::new_uuid_v4);
    let mut driver = Driver::spawn(
        "Claude Code",
        command(&bin, &spec, &session_id),
        &spec.data_dir,
    )?;
    let mut session = Session {
        normalizer: Normalizer::new(),
        stdin: driver.stdin(),
        safety: safety_context(&spec),
        approvals: HashMap::new(),
        next_request: 0,
        last_session_id: None,
        early: Vec::new(),
    };
    let init = stdin::Initialize {
        hooks: Some(stdin::Hooks {
            pre_tool_use: vec![stdin::HookMatcher {
                matcher: None,
                hook_callback_ids: vec![HOOK_ID.to_owned()],
                timeout: Some(60),
            }],
        }),
        append_system_prompt: Some(spec.system_prompt.clone()).filter(|s| !s.trim().is_empty()),
        ..stdin::Initialize::default()
    };
    let init_id = session.request_id();
    session.write(&stdin::initialize(&init_id, &init));
    let answered =
        tokio::time::timeout(INIT_TIMEOUT, session.await_response(&mut driver, &init_id))
            .await
            .unwrap_or_else(|_| Err("Claude Code did not answer `initialize` within 30 s".into()));
    if let Err(why) = answered {
        return Err(driver.start_failed(&why).await);
    }
    session.last_session_id = Some(session_id.clone());
    Ok(driver.run(session, NormalizedEvent::SessionId(session_id)))
}

/// The uuid of a top-level assistant message: the stream-json `uuid`s are the ones Claude Code
/// writes to its session file, so a later fork can `--resume-session-at` it. Sub-agents'
/// messages (`parent_tool_use_id`) live in other files and are skipped.
fn assistant_uuid(line: &str) -> Option<String> {
    if !line.contains("\"assistant\"") {
        return None;
    }
    let v: Value = serde_json::from_str(line).ok()?;
    if v.get("type")?.as_str()? != "assistant"
        || v.get("parent_tool_use_id").is_some_and(|p| !p.is_null())
    {
        return None;
    }
    v.get("uuid")?.as_str().map(str::to_owned)
}

/// A `can_use_tool` request waiting for the office's answer.
struct PendingApproval {
    input: Value,
    tool_use_id: Option<String>,
}

/// The claude protocol of one session; the [`Driver`] runs the process around it.
struct Session {
    normalizer: Normalizer,
    stdin: Stdin,
    safety: SafetyContext,
    approvals: HashMap<String, PendingApproval>,
    next_request: u64,
    last_session_id: Option<String>,
    /// Outputs read while waiting for `initialize`, handled first by the session task.
    early: Vec<Output>,
}

impl Session {
    fn request_id(&mut self) -> String {
        self.next_request += 1;
        format!("isomux_{}", self.next_request)
    }

    fn write(&self, message: &Value) {
        self.stdin.send(stdin::to_line(message));
    }

    /// Reads stdout until the CLI answers our request `id`; other outputs are kept for later.
    async fn await_response(&mut self, driver: &mut Driver, id: &str) -> Result<(), String> {
        loop {
            let line = driver.startup_line().await?;
            for out in self.normalizer.push(&line) {
                match out {
                    Output::ControlResponse { request_id, result } if request_id == id => {
                        return result
                            .map(|_| ())
                            .map_err(|e| format!("Claude Code refused `initialize`: {e}"));
                    }
                    other => self.early.push(other),
                }
            }
        }
    }

    /// Handles one office command; false on `Close`.
    fn handle_command(&mut self, cmd: SessionCommand) -> bool {
        match cmd {
            SessionCommand::Send(turn) => {
                self.write(&turn_message(&turn));
            }
            SessionCommand::Interrupt => {
                let id = self.request_id();
                self.write(&stdin::interrupt(&id));
            }
            SessionCommand::AnswerApproval {
                request_id,
                allow,
                reason,
            } => match self.approvals.remove(&request_id) {
                Some(pending) => {
                    let answer = if allow {
                        stdin::allow_tool(
                            &request_id,
                            pending.input,
                            pending.tool_use_id.as_deref(),
                        )
                    } else {
                        let message = reason
                            .filter(|r| !r.trim().is_empty())
                            .unwrap_or_else(|| "The user declined this tool call.".to_owned());
                        stdin::deny_tool(&request_id, &message, pending.tool_use_id.as_deref())
                    };
                    self.write(&answer);
                }
                None => tracing::debug!(%request_id, "approval answered after it was withdrawn"),
            },
            SessionCommand::Close => return false,
        }
        true
    }

    /// Handles one normalizer output; false when the office stopped listening.
    async fn handle_output(&mut self, out: Output, events: &mpsc::Sender<NormalizedEvent>) -> bool {
        match out {
            Output::Event(NormalizedEvent::SessionId(id)) => {
                if self.last_session_id.as_deref() == Some(id.as_str()) {
                    return true;
                }
                self.last_session_id = Some(id.clone());
                events.send(NormalizedEvent::SessionId(id)).await.is_ok()
            }
            Output::Event(ev) => events.send(ev).await.is_ok(),
            Output::Control(req) => self.control(req, events).await,
            Output::ControlResponse { request_id, result } => {
                if let Err(error) = result {
                    tracing::warn!(%request_id, %error, "Claude Code refused a control request");
                }
                true
            }
            Output::ControlCancelled { request_id } => {
                self.approvals.remove(&request_id);
                true
            }
            Output::Ignored => true,
            Output::Unknown(kind) => {
                tracing::info!(%kind, "unknown Claude Code output type (ignored)");
                true
            }
            Output::Malformed { kind, error } => {
                tracing::warn!(%kind, %error, "malformed Claude Code output (ignored)");
                true
            }
        }
    }

    async fn control(
        &mut self,
        req: ControlRequestIn,
        events: &mpsc::Sender<NormalizedEvent>,
    ) -> bool {
        let id = req.request_id;
        match req.kind {
            ControlKind::HookCallback {
                hook_event,
                tool_name,
                tool_input,
                ..
            } => {
                let verdict = match (hook_event.as_deref(), tool_name.as_deref()) {
                    (Some("PreToolUse"), Some(tool)) => {
                        check_claude_tool(tool, &tool_input, &self.safety)
                    }
                    _ => Verdict::Allow,
                };
                let answer = match verdict {
                    Verdict::Deny(denial) => stdin::hook_deny(&id, &denial.message()),
                    Verdict::Allow | Verdict::Unanalysable { .. } => stdin::hook_continue(&id),
                };
                self.write(&answer);
                true
            }
            ControlKind::CanUseTool {
                tool_name,
                input,
                tool_use_id,
                description,
                ..
            } => {
                let verdict = check_claude_tool(&tool_name, &input, &self.safety);
                let caveat = match verdict {
                    Verdict::Deny(denial) => {
                        let answer =
                            stdin::deny_tool(&id, &denial.message(), tool_use_id.as_deref());
                        self.write(&answer);
                        return true;
                    }
                    Verdict::Unanalysable { reason } => Some(reason),
                    Verdict::Allow => None,
                };
                let summary = format!(
                    "{}{}",
                    summarize(&tool_name, &input, description.as_deref()),
                    caveat
                        .as_ref()
                        .map(|r| format!(" (the safety rules could not analyse it: {r})"))
                        .unwrap_or_default()
                );
                self.approvals.insert(
                    id.clone(),
                    PendingApproval {
                        input: input.clone(),
                        tool_use_id,
                    },
                );
                events
                    .send(NormalizedEvent::ApprovalRequest {
                        request_id: id,
                        tool: tool_name,
                        input,
                        summary,
                        unanalysable: caveat,
                    })
                    .await
                    .is_ok()
            }
            ControlKind::McpMessage { server_name, .. } => {
                let error = format!("no in-process MCP server named {server_name}");
                self.write(&stdin::control_error(&id, &error));
                true
            }
            ControlKind::Other { subtype, .. } => {
                // The SDK's defaults when it has no handler (§6.4).
                let answer = match subtype.as_str() {
                    "elicitation" => {
                        stdin::control_success(&id, serde_json::json!({"action": "decline"}))
                    }
                    "request_user_dialog" => {
                        stdin::control_success(&id, serde_json::json!({"behavior": "cancelled"}))
                    }
                    _ => stdin::control_error(
                        &id,
                        &format!("Unsupported control request subtype: {subtype}"),
                    ),
                };
                self.write(&answer);
                true
            }
        }
    }
}

impl Protocol for Session {
    async fn begin(&mut self, events: &mpsc::Sender<NormalizedEvent>) -> bool {
        let mut go_on = true;
        for out in std::mem::take(&mut self.early) {
            go_on &= self.handle_output(out, events).await;
        }
        go_on
    }

    async fn line(&mut self, line: String, events: &mpsc::Sender<NormalizedEvent>) -> bool {
        let mut go_on = true;
        for out in self.normalizer.push(&line) {
            go_on &= self.handle_output(out, events).await;
        }
        if let Some(uuid) = assistant_uuid(&line) {
            go_on &= events.send(NormalizedEvent::Position(uuid)).await.is_ok();
        }
        go_on
    }

    async fn command(&mut self, cmd: SessionCommand, _: &mpsc::Sender<NormalizedEvent>) -> bool {
        self.handle_command(cmd)
    }
}

/// One line for the approval card: the command, path or description of the call.
fn summarize(tool: &str, input: &Value, description: Option<&str>) -> String {
    let field = |key: &str| input.get(key).and_then(Value::as_str);
    let what = field("command")
        .or_else(|| field("file_path"))
        .or_else(|| field("notebook_path"))
        .or_else(|| field("url"))
        .or_else(|| field("pattern"))
        .or(description);
    match what {
        Some(what) => {
            let what: String = what.chars().take(300).collect();
            format!("{tool}: {what}")
        }
        None => tool.to_owned(),
    }
}

/// The stdin user message of a turn: its text plus image/document blocks for attached images
/// and PDFs (base64). Other attachments (and unreadable ones) are named in the text with their
/// path, so the model can read them with its tools.
fn turn_message(turn: &UserTurn) -> Value {
    use base64::Engine as _;
    let mut text = turn.text.clone();
    let mut blocks = Vec::new();
    for a in &turn.attachments {
        let inline = isomux_core::files::is_image(&a.mime) || a.mime == "application/pdf";
        let data = if inline {
            match std::fs::read(&a.path) {
                Ok(bytes) => Some(base64::engine::general_purpose::STANDARD.encode(bytes)),
                Err(e) => {
                    tracing::warn!(path = %a.path.display(), error = %e, "unreadable attachment");
                    None
                }
            }
        } else {
            None
        };
        match data {
            Some(data) if a.mime == "application/pdf" => blocks.push(stdin::Attachment::Document {
                media_type: a.mime.clone(),
                data,
                title: Some(a.name.clone()),
            }),
            Some(data) => blocks.push(stdin::Attachment::Image {
                media_type: a.mime.clone(),
                data,
            }),
            None => text.push_str(&format!(
                "\n[Attached file {} ({}) is at {}; read it with your tools.]",
                a.name,
                a.mime,
                a.path.display()
            )),
        }
    }
    stdin::user_message(&text, &blocks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use isomux_core::backend::Backend;

    #[test]
    fn summaries_name_the_call() {
        let input = serde_json::json!({"command": "touch x", "description": "make x"});
        assert_eq!(summarize("Bash", &input, Some("make x")), "Bash: touch x");
        let input = serde_json::json!({"file_path": "/w/a.rs"});
        assert_eq!(summarize("Write", &input, None), "Write: /w/a.rs");
        assert_eq!(summarize("Task", &serde_json::json!({}), None), "Task");
    }

    fn spec() -> SessionSpec {
        crate::test_support::spec("Ada", "claude-sonnet-4-5")
    }

    #[tokio::test]
    async fn a_cli_that_dies_at_startup_fails_with_its_stderr() {
        let (_dir, bin) = crate::test_support::dying_cli("claude", "option");
        let message =
            crate::test_support::start_failure(&ClaudeBackend::with_bin(&bin), spec()).await;
        assert!(message.contains("exited during startup"), "{message}");
        assert!(
            message.contains("error: unknown option --output-format"),
            "{message}"
        );
    }

    #[tokio::test]
    async fn a_missing_binary_does_not_start() {
        let err = ClaudeBackend::with_bin("/nonexistent/claude")
            .start(spec())
            .await
            .unwrap_err();
        assert!(matches!(err, BackendError::NotInstalled(m) if m == INSTALL_HINT));
    }

    #[test]
    fn the_command_line_follows_the_sdk() {
        let mut s = spec();
        s.resume = Some("abc".into());
        s.env = vec![("CLAUDE_CODE_ENTRYPOINT".into(), "office".into())];
        let cmd = command(Path::new("/bin/claude"), &s, "unused");
        let cmd = cmd.as_std();
        let args: Vec<_> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let joined = args.join(" ");
        assert!(
            joined.starts_with("--output-format stream-json --verbose --input-format stream-json")
        );
        assert!(joined.contains("--permission-mode default --permission-prompt-tool stdio"));
        assert!(joined.contains("--effort high --model claude-sonnet-4-5 --resume abc"));
        assert!(!joined.contains("--session-id"));
        let env: HashMap<_, _> = cmd
            .get_envs()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.map(|v| v.to_string_lossy().into_owned()),
                )
            })
            .collect();
        assert_eq!(env["CLAUDE_CODE_ENTRYPOINT"].as_deref(), Some("office"));
        assert_eq!(
            env["CLAUDE_AGENT_SDK_VERSION"].as_deref(),
            Some(SDK_VERSION)
        );
        assert_eq!(env["NODE_OPTIONS"], None);
    }

    #[test]
    fn a_fork_resumes_the_source_under_the_offices_new_id_at_a_message() {
        let mut s = spec();
        s.fork = Some(isomux_core::backend::ForkSpec {
            source_session: "src".into(),
            at: Some("uuid-7".into()),
        });
        let cmd = command(Path::new("/bin/claude"), &s, "new-id");
        let joined = cmd
            .as_std()
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            joined.ends_with(
                "--resume src --fork-session --session-id new-id --resume-session-at uuid-7"
            ),
            "{joined}"
        );
        // Once the fork has its own session, it is resumed like any other.
        s.resume = Some("new-id".into());
        let cmd = command(Path::new("/bin/claude"), &s, "new-id");
        let args: Vec<_> = cmd.as_std().get_args().collect();
        assert!(!args.iter().any(|a| *a == "--fork-session"));
    }

    /// The stream's assistant uuids are the session file's (both fixtures are the same run).
    #[test]
    fn positions_are_the_assistant_uuids_written_to_the_session_file() {
        use super::super::test_fixtures::{Transcript, fixtures_dir};
        let streamed: Vec<String> = Transcript::load("claude-basic-turn")
            .recv()
            .into_iter()
            .filter_map(assistant_uuid)
            .collect();
        assert_eq!(streamed.len(), 3, "{streamed:?}");
        let on_disk =
            std::fs::read_to_string(fixtures_dir().join("claude-session-on-disk-basic.jsonl"))
                .unwrap();
        let disk: Vec<String> = on_disk
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v["type"] == "assistant")
            .filter_map(|v| v["uuid"].as_str().map(str::to_owned))
            .collect();
        assert_eq!(disk[..3], streamed[..]);
        assert_eq!(assistant_uuid(r#"{"type":"result","uuid":"x"}"#), None);
        assert_eq!(
            assistant_uuid(r#"{"type":"assistant","uuid":"x","parent_tool_use_id":"t"}"#),
            None
        );
    }

    #[test]
    fn a_missing_binary_is_not_usable() {
        let backend = ClaudeBackend::with_bin("/nonexistent/claude");
        let d = backend.describe();
        assert!(!d.usable);
        assert_eq!(d.detail.as_deref(), Some(INSTALL_HINT));
        assert!(d.models.contains(&d.default_model));
    }
}
