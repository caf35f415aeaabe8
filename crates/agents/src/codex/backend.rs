//! The `codex` backend: spawns `codex app-server` (0.169.0) through
//! [`spawn_child`](crate::spawn::spawn_child), performs the JSON-RPC handshake, starts or resumes
//! the thread (`approvalPolicy: "untrusted"`, workspace-write sandbox with network access, the
//! system prompt as developer instructions), reports the thread id at once (design §10: it is
//! persisted before the first `turn/start`), then runs one session task that feeds stdout to the
//! [`Normalizer`] and answers codex's approval requests: the safety rules first, then the
//! office. The wire shapes live in `types`/`rpc`/`normalize`, not here.
//!
//! Turn input: the text, then each image attachment as a `localImage` (codex sends it to the
//! model as an `input_image` data URL); other files (PDFs, text) have no codex input type and
//! are named in the text with their path, for the agent's tools to read.
//!
//! Declines: codex's v2 `decline` carries no message, so the model would only read "rejected
//! by user". When the office has a reason (a safety rule's message and hint, the permission
//! mode's, or the human's), the driver first sends `turn/steer` with an `[Isomux] …` note to
//! the running turn, then the `decline`; codex 0.169.0 puts the note as a user message right
//! after the declined call's output in the next model request (tests/tests/codex_decline.rs).
//! Without a reason nothing is added.

use super::normalize::{ApprovalKind, ApprovalRequestIn, Expect, Normalizer, Output};
use super::rpc::{self, ClientInfo, Decision, RequestIds, ThreadParams, UserInput};
use super::types::{RequestId, RpcError};
use crate::driver::{Cli, CliBackend, Driver, Protocol, Stdin, safety_context};
use isomux_core::backend::{
    BackendDescription, BackendError, NormalizedEvent, SessionCommand, SessionHandle, SessionSpec,
};
use isomux_core::safety::{SafetyContext, Verdict, check_codex_exec, check_codex_patch};
use isomux_protocol::{BackendKind, Capabilities};
use serde_json::Value;
use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::process::Command;
use tokio::sync::mpsc;

/// How to install the pinned CLI.
pub const INSTALL_HINT: &str =
    "install Codex: npm install -g @openai/codex@0.169.0 (or set ISOMUX_CODEX_BIN)";
/// The handshake and the thread start/resume together must finish within this.
const INIT_TIMEOUT: Duration = Duration::from_secs(30);
/// JSON-RPC "method not found", for server requests the office does not handle.
const METHOD_NOT_FOUND: i64 = -32601;
/// The models offered in the spawn dialog; `gpt-5.5` is the one the fixtures use (classic
/// function tools, see the protocol doc §8.3).
const MODELS: &[&str] = &["gpt-5.5", "gpt-5.5-codex", "gpt-5.4", "gpt-5.4-mini"];
const DEFAULT_MODEL: &str = "gpt-5.5";

/// The Codex backend.
pub type CodexBackend = CliBackend<Codex>;

/// `codex app-server` 0.169.0, for [`CliBackend`].
#[derive(Debug)]
pub enum Codex {}

impl Cli for Codex {
    const PROGRAM: &'static str = "codex";
    const ENV_VAR: &'static str = "ISOMUX_CODEX_BIN";
    const NAME: &'static str = "Codex";
    const INSTALL_HINT: &'static str = INSTALL_HINT;

    fn description() -> BackendDescription {
        BackendDescription {
            kind: BackendKind::Codex,
            usable: false,
            detail: None,
            // Only what this driver does today: no skills/MCP wiring yet. Forks at a message
            // (`thread/fork` with `lastTurnId`) are verified against 0.169.0 by
            // tests/tests/fork.rs.
            capabilities: Capabilities {
                fork: true,
                fork_at_message: true,
                approvals: true,
                interrupt: true,
                resume: true,
                // Measured by tests/tests/codex_safety_coverage.rs against codex 0.169.0: under
                // `untrusted` it asks about every command it runs (even `ls`, `cat .env`), so the
                // safety rules see them all. Set this (and say why in `detail`) if a codex
                // upgrade changes that table.
                safety_partial: false,
                // Image attachments are `localImage` inputs, which codex sends as `input_image`
                // data URLs (tests/tests/files.rs); other files are named with their path.
                images: true,
                ..Capabilities::default()
            },
            models: MODELS.iter().map(|m| (*m).to_owned()).collect(),
            default_model: DEFAULT_MODEL.into(),
            accepts_session_id: false,
        }
    }

    fn start(
        bin: PathBuf,
        spec: SessionSpec,
    ) -> impl Future<Output = Result<SessionHandle, BackendError>> + Send + 'static {
        start(bin, spec)
    }
}

fn command(bin: &Path, spec: &SessionSpec) -> Command {
    let mut cmd = Command::new(bin);
    cmd.arg("app-server");
    cmd.current_dir(&spec.cwd);
    cmd.envs(spec.env.iter().map(|(k, v)| (k, v)));
    cmd
}

/// `thread/start|resume` params: the office's policy, the model and the appended prompt.
fn thread_params(spec: &SessionSpec) -> ThreadParams {
    // Network on: agents call the office over HTTP (design §12).
    let mut params = ThreadParams::office(spec.cwd.to_string_lossy().into_owned(), true);
    params.model = Some(spec.model.clone()).filter(|m| !m.is_empty());
    // `developerInstructions` is added to codex's own prompt (`baseInstructions` would replace it).
    params.developer_instructions =
        Some(spec.system_prompt.clone()).filter(|s| !s.trim().is_empty());
    params
}

fn client_info() -> ClientInfo {
    ClientInfo {
        name: "isomux".into(),
        title: "Isomux".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }
}

async fn start(bin: PathBuf, spec: SessionSpec) -> Result<SessionHandle, BackendError> {
    let mut driver = Driver::spawn("codex", command(&bin, &spec), &spec.data_dir)?;
    let mut session = Session {
        normalizer: Normalizer::new(),
        ids: RequestIds::default(),
        stdin: driver.stdin(),
        safety: safety_context(&spec),
        approvals: HashMap::new(),
        awaiting_turn: false,
        interrupt_pending: false,
        last_session_id: None,
        early: Vec::new(),
    };
    let handshake = async {
        let id = session.ids.next_id();
        session.normalizer.expect(id.clone(), Expect::Other);
        session.write(&rpc::initialize(&id, &client_info()));
        session
            .await_response(&mut driver, &id)
            .await
            .map_err(|e| format!("codex refused `initialize`: {e}"))?;
        session.write(&rpc::initialized());
        let id = session.ids.next_id();
        session.normalizer.expect(id.clone(), Expect::Thread);
        let params = thread_params(&spec);
        match (&spec.resume, &spec.fork) {
            (Some(thread), _) => {
                session.write(&rpc::thread_resume(&id, thread, true, &params));
                session
                    .await_response(&mut driver, &id)
                    .await
                    .map_err(|e| format!("codex could not resume thread {thread}: {e}"))?;
            }
            // A fork: a new thread with the source's turns through `at` (a turn id).
            (None, Some(fork)) => {
                session.write(&rpc::thread_fork_through(
                    &id,
                    &fork.source_session,
                    fork.at.as_deref(),
                    true,
                    &params,
                ));
                session
                    .await_response(&mut driver, &id)
                    .await
                    .map_err(|e| {
                        format!("codex could not fork thread {}: {e}", fork.source_session)
                    })?;
            }
            (None, None) => {
                session.write(&rpc::thread_start(&id, &params));
                session
                    .await_response(&mut driver, &id)
                    .await
                    .map_err(|e| format!("codex could not start a thread: {e}"))?;
            }
        }
        session
            .normalizer
            .thread_id()
            .map(str::to_owned)
            .ok_or_else(|| "codex answered the thread request without a thread id".to_owned())
    };
    let thread_id = match tokio::time::timeout(INIT_TIMEOUT, handshake).await {
        Ok(Ok(id)) => id,
        Ok(Err(why)) => return Err(driver.start_failed(&why).await),
        Err(_) => {
            return Err(driver
                .start_failed("codex did not finish its handshake within 30 s")
                .await);
        }
    };
    // The office persists this before the first `turn/start` (design §10).
    session.last_session_id = Some(thread_id.clone());
    Ok(driver.run(session, NormalizedEvent::SessionId(thread_id)))
}

/// The codex protocol of one session; the [`Driver`] runs the process around it.
struct Session {
    normalizer: Normalizer,
    ids: RequestIds,
    stdin: Stdin,
    safety: SafetyContext,
    /// Approval requests shown to the office, by the request id it was given.
    approvals: HashMap<String, ApprovalRequestIn>,
    /// A `turn/start` was sent and its turn has not started yet.
    awaiting_turn: bool,
    /// An interrupt arrived after `turn/start` but before `turn/started`.
    interrupt_pending: bool,
    last_session_id: Option<String>,
    /// Outputs read during the handshake, handled first by the session task.
    early: Vec<Output>,
}

impl Session {
    fn write(&self, message: &Value) {
        let mut line = message.to_string();
        line.push('\n');
        self.stdin.send(line);
    }

    /// Sends a request the normalizer should know about; returns its id.
    fn request(&mut self, what: Expect, build: impl FnOnce(&RequestId) -> Value) -> RequestId {
        let id = self.ids.next_id();
        self.normalizer.expect(id.clone(), what);
        self.write(&build(&id));
        id
    }

    /// Reads stdout until codex answers our request `id`; other outputs are kept for later.
    async fn await_response(
        &mut self,
        driver: &mut Driver,
        id: &RequestId,
    ) -> Result<Value, String> {
        loop {
            let line = driver.startup_line().await?;
            let Some(msg) = parse_line(&line) else {
                continue;
            };
            let mut answer = None;
            for out in self.normalizer.push(&msg) {
                match out {
                    Output::Response { id: got, result } if &got == id && answer.is_none() => {
                        answer = Some(result.map_err(|e: RpcError| e.message));
                    }
                    other => self.early.push(other),
                }
            }
            if let Some(answer) = answer {
                return answer;
            }
        }
    }

    /// The id of a turn of our thread that just started (`turn/started`): a later fork keeps
    /// the history through it (`thread/fork` `lastTurnId`).
    fn started_turn(&self, msg: &Value) -> Option<String> {
        if msg.get("method")?.as_str()? != "turn/started" {
            return None;
        }
        let params = msg.get("params")?;
        let thread = params.get("threadId").and_then(Value::as_str);
        if thread.is_some() && thread != self.normalizer.thread_id() {
            return None;
        }
        params.get("turn")?.get("id")?.as_str().map(str::to_owned)
    }

    fn interrupt(&mut self) {
        match (
            self.normalizer.thread_id().map(str::to_owned),
            self.normalizer.active_turn().map(str::to_owned),
        ) {
            (Some(thread), Some(turn)) => {
                self.interrupt_pending = false;
                self.request(Expect::Other, |id| rpc::turn_interrupt(id, &thread, &turn));
            }
            // `turn/start` is on its way: interrupt as soon as the turn exists.
            _ if self.awaiting_turn => self.interrupt_pending = true,
            _ => tracing::debug!("interrupt without a running codex turn (ignored)"),
        }
    }

    /// Handles one office command; false on `Close`.
    fn handle_command(&mut self, cmd: SessionCommand) -> bool {
        match cmd {
            SessionCommand::Send(turn) => {
                if let Some(thread) = self.normalizer.thread_id().map(str::to_owned) {
                    self.interrupt_pending = false;
                    self.awaiting_turn = true;
                    let mut input = vec![UserInput::Text(turn.text)];
                    for a in turn.attachments {
                        if isomux_core::files::is_image(&a.mime) {
                            input
                                .push(UserInput::LocalImage(a.path.to_string_lossy().into_owned()));
                        } else if let Some(UserInput::Text(text)) = input.first_mut() {
                            text.push_str(&format!(
                                "\n[Attached file {} ({}) is at {}; read it with your tools.]",
                                a.name,
                                a.mime,
                                a.path.display()
                            ));
                        }
                    }
                    self.request(Expect::TurnStart, |id| rpc::turn_start(id, &thread, &input));
                }
            }
            SessionCommand::Interrupt => self.interrupt(),
            SessionCommand::AnswerApproval {
                request_id,
                allow,
                reason,
            } => match self.approvals.remove(&request_id) {
                Some(req) if allow => self.write(&req.answer(Decision::Accept)),
                Some(req) => {
                    let note = reason
                        .filter(|r| !r.trim().is_empty())
                        .map(|r| format!("[Isomux] The office declined that tool call: {r}"));
                    self.decline(&req, note);
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
            Output::Event(NormalizedEvent::TurnStarted) => {
                self.awaiting_turn = false;
                if self.interrupt_pending {
                    self.interrupt();
                }
                events.send(NormalizedEvent::TurnStarted).await.is_ok()
            }
            Output::Event(
                ev @ (NormalizedEvent::TurnCompleted { .. } | NormalizedEvent::TurnFailed { .. }),
            ) => {
                // Whatever was still waiting belonged to the finished turn.
                self.approvals.clear();
                self.awaiting_turn = false;
                self.interrupt_pending = false;
                events.send(ev).await.is_ok()
            }
            Output::Event(ev) => events.send(ev).await.is_ok(),
            Output::Approval(req) => self.approval(req, events).await,
            Output::Response { id, result } => {
                if let Err(error) = result {
                    tracing::warn!(%id, error = %error.message, "codex refused a request");
                }
                true
            }
            Output::UnhandledRequest { id, method } => {
                let message = format!("isomux does not handle `{method}`");
                self.write(&rpc::error_response(&id, METHOD_NOT_FOUND, &message));
                true
            }
            Output::Notice(notice) => {
                tracing::info!(%notice, "codex");
                true
            }
            Output::Ignored => true,
            Output::Unknown(method) => {
                tracing::info!(%method, "unknown codex notification (ignored)");
                true
            }
        }
    }

    /// Declines `req`. codex's v2 decline carries no message (the model only reads "rejected
    /// by user"), so a `note` saying why is first steered into the running turn: codex queues
    /// it and the model reads it right after the declined call's output.
    fn decline(&mut self, req: &ApprovalRequestIn, note: Option<String>) {
        let thread = self.normalizer.thread_id().map(str::to_owned);
        let turn = req
            .turn_id
            .clone()
            .or_else(|| self.normalizer.active_turn().map(str::to_owned));
        if let (Some(note), Some(thread), Some(turn)) = (note, thread, turn) {
            self.request(Expect::Other, |id| {
                rpc::turn_steer(id, &thread, &turn, &[UserInput::Text(note)])
            });
        }
        self.write(&req.answer(Decision::Decline));
    }

    /// The safety rules first: a denied call is declined without asking the office.
    async fn approval(
        &mut self,
        req: ApprovalRequestIn,
        events: &mpsc::Sender<NormalizedEvent>,
    ) -> bool {
        let verdict = match &req.kind {
            ApprovalKind::Exec { command, cwd } => {
                let mut ctx = self.safety.clone();
                if let Some(cwd) = cwd.as_deref().filter(|c| !c.is_empty()) {
                    ctx.cwd = self.safety.cwd.join(cwd);
                }
                let command = serde_json::to_value(command).unwrap_or(Value::Null);
                check_codex_exec(&command, &ctx)
            }
            ApprovalKind::Patch { paths, .. } => check_codex_patch(paths, &self.safety),
        };
        let caveat = match verdict {
            Verdict::Deny(denial) => {
                tracing::info!(reason = %denial.message(), "the safety rules declined a codex tool call");
                let note = format!(
                    "[Isomux] The office's safety rules declined that tool call: {}",
                    denial.message()
                );
                self.decline(&req, Some(note));
                return true;
            }
            Verdict::Unanalysable { reason } => Some(reason),
            Verdict::Allow => None,
        };
        let event = match req.to_event() {
            NormalizedEvent::ApprovalRequest {
                request_id,
                tool,
                input,
                summary,
                ..
            } => NormalizedEvent::ApprovalRequest {
                request_id,
                tool,
                input,
                summary: match &caveat {
                    Some(reason) => {
                        format!("{summary} (the safety rules could not analyse it: {reason})")
                    }
                    None => summary,
                },
                unanalysable: caveat,
            },
            other => other,
        };
        self.approvals.insert(req.rpc_id.to_string(), req);
        events.send(event).await.is_ok()
    }
}

/// One stdout line as JSON; blank or non-JSON lines are logged and skipped.
fn parse_line(line: &str) -> Option<Value> {
    if line.trim().is_empty() {
        return None;
    }
    match serde_json::from_str(line) {
        Ok(v) => Some(v),
        Err(e) => {
            let head: String = line.chars().take(200).collect();
            tracing::warn!(error = %e, line = %head, "codex printed a line that is not JSON");
            None
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
        let Some(msg) = parse_line(&line) else {
            return true;
        };
        let mut go_on = true;
        for out in self.normalizer.push(&msg) {
            go_on &= self.handle_output(out, events).await;
        }
        if let Some(turn) = self.started_turn(&msg) {
            go_on &= events.send(NormalizedEvent::Position(turn)).await.is_ok();
        }
        go_on
    }

    async fn command(&mut self, cmd: SessionCommand, _: &mpsc::Sender<NormalizedEvent>) -> bool {
        self.handle_command(cmd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use isomux_core::backend::Backend;

    fn spec() -> SessionSpec {
        let mut spec = crate::test_support::spec("Ada", "gpt-5.5");
        spec.system_prompt = "You are Ada.".into();
        spec
    }

    #[test]
    fn a_missing_binary_is_not_usable() {
        let d = CodexBackend::with_bin("/nonexistent/codex").describe();
        assert!(!d.usable);
        assert_eq!(d.detail.as_deref(), Some(INSTALL_HINT));
        assert!(d.models.contains(&d.default_model));
        assert!(!d.accepts_session_id);
        assert!(d.capabilities.approvals && d.capabilities.resume && d.capabilities.images);
    }

    #[tokio::test]
    async fn a_missing_binary_does_not_start() {
        let err = CodexBackend::with_bin("/nonexistent/codex")
            .start(spec())
            .await
            .unwrap_err();
        assert!(matches!(err, BackendError::NotInstalled(m) if m == INSTALL_HINT));
    }

    #[test]
    fn threads_are_untrusted_with_network_and_the_prompt() {
        let p = serde_json::to_value(thread_params(&spec())).unwrap();
        assert_eq!(p["approvalPolicy"], "untrusted");
        assert_eq!(p["sandbox"], "workspace-write");
        assert_eq!(p["config"]["sandbox_workspace_write.network_access"], true);
        assert_eq!(p["model"], "gpt-5.5");
        assert_eq!(p["developerInstructions"], "You are Ada.");
        let mut s = spec();
        s.system_prompt = "  ".into();
        s.model = String::new();
        let p = serde_json::to_value(thread_params(&s)).unwrap();
        assert!(p.get("developerInstructions").is_none() && p.get("model").is_none());
    }

    #[tokio::test]
    async fn a_cli_that_dies_at_startup_fails_with_its_stderr() {
        let (_dir, bin) = crate::test_support::dying_cli("codex", "command");
        let message =
            crate::test_support::start_failure(&CodexBackend::with_bin(&bin), spec()).await;
        assert!(message.contains("exited during startup"), "{message}");
        assert!(
            message.contains("error: unknown command app-server"),
            "{message}"
        );
    }
}
