//! The skeleton every CLI driver shares (`claude`, `codex`). A [`Driver`] spawns the CLI through
//! [`spawn_child`], owns its stdin in a writer task (nobody ever waits on a full pipe), reads its
//! stdout during the backend's handshake and turns a failed start into `StartFailed` with the
//! stderr tail. Then it runs the session loop: stdout lines and the office's commands go to the
//! backend's [`Protocol`]; closing shuts stdin and kills the process group [`CLOSE_GRACE`] later;
//! the exit of the spawned process kills what is left of its group; the end is reported as
//! `Exited` with the exit code and the stderr tail. A backend keeps only its protocol: the
//! command line, the handshake and what a line or a command means.
//!
//! [`CliBackend`] is the `Backend` around any [`Cli`]: finding the executable (an explicit path,
//! `$ISOMUX_<NAME>_BIN`, `PATH`), reporting it (or how to install it) in `describe`, and
//! refusing to start without it.

use crate::spawn::{GroupGuard, SpawnedChild, StderrTail, spawn_child};
use isomux_core::backend::{
    Backend, BackendDescription, BackendError, NormalizedEvent, SessionCommand, SessionHandle,
    SessionSpec, StartFuture,
};
use isomux_core::safety::SafetyContext;
use std::ffi::OsString;
use std::future::Future;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// One agent CLI, for [`CliBackend`]: where to find it, what it offers, how a session starts.
pub trait Cli: 'static {
    /// The program looked up on `PATH` (`claude`).
    const PROGRAM: &'static str;
    /// The variable that names the executable (`ISOMUX_CLAUDE_BIN`).
    const ENV_VAR: &'static str;
    /// Its name in the backend's detail line (`Claude Code`).
    const NAME: &'static str;
    /// How to install the pinned CLI: the detail of a backend that is not usable.
    const INSTALL_HINT: &'static str;

    /// What the driver offers; `usable` and `detail` are filled in by [`CliBackend`].
    fn description() -> BackendDescription;

    /// Starts (or resumes, or forks) a session of the executable `bin`.
    fn start(
        bin: PathBuf,
        spec: SessionSpec,
    ) -> impl Future<Output = Result<SessionHandle, BackendError>> + Send + 'static;
}

/// The office's `Backend` for the CLI `C`. `bin` overrides the lookup (`$C::ENV_VAR`, then
/// `PATH`).
pub struct CliBackend<C> {
    pub bin: Option<PathBuf>,
    cli: PhantomData<fn() -> C>,
}

impl<C: Cli> CliBackend<C> {
    pub fn new() -> Self {
        Self::default()
    }

    /// A backend that runs exactly this executable.
    pub fn with_bin(bin: impl Into<PathBuf>) -> Self {
        Self {
            bin: Some(bin.into()),
            cli: PhantomData,
        }
    }

    /// The executable to run, if one is found.
    pub fn find_bin(&self) -> Option<PathBuf> {
        crate::spawn::find_program(self.bin.as_deref(), C::ENV_VAR, C::PROGRAM)
    }
}

impl<C> Default for CliBackend<C> {
    fn default() -> Self {
        Self {
            bin: None,
            cli: PhantomData,
        }
    }
}

impl<C> Clone for CliBackend<C> {
    fn clone(&self) -> Self {
        Self {
            bin: self.bin.clone(),
            cli: PhantomData,
        }
    }
}

impl<C> std::fmt::Debug for CliBackend<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CliBackend")
            .field("cli", &std::any::type_name::<C>())
            .field("bin", &self.bin)
            .finish()
    }
}

impl<C: Cli> Backend for CliBackend<C> {
    fn describe(&self) -> BackendDescription {
        let bin = self.find_bin();
        BackendDescription {
            usable: bin.is_some(),
            detail: Some(bin.map_or_else(
                || C::INSTALL_HINT.to_owned(),
                |b| format!("{} at {}", C::NAME, b.display()),
            )),
            ..C::description()
        }
    }

    fn start(&self, spec: SessionSpec) -> StartFuture {
        let bin = self.find_bin();
        Box::pin(async move {
            let bin = bin.ok_or_else(|| BackendError::NotInstalled(C::INSTALL_HINT.to_owned()))?;
            C::start(bin, spec).await
        })
    }
}

/// How long a closed session may take to exit before its group is killed.
pub const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// What a backend does with its CLI's output and the office's commands. Each method answers
/// whether the session goes on; `false` (the office stopped listening, or asked to close)
/// closes it.
pub trait Protocol: Send + 'static {
    /// Runs once before the loop, e.g. on outputs read during the handshake.
    fn begin(
        &mut self,
        events: &mpsc::Sender<NormalizedEvent>,
    ) -> impl Future<Output = bool> + Send;
    /// Handles one line of the CLI's stdout.
    fn line(
        &mut self,
        line: String,
        events: &mpsc::Sender<NormalizedEvent>,
    ) -> impl Future<Output = bool> + Send;
    /// Handles one command of the office (`Close` answers `false`).
    fn command(
        &mut self,
        cmd: SessionCommand,
        events: &mpsc::Sender<NormalizedEvent>,
    ) -> impl Future<Output = bool> + Send;
}

/// What the writer task does next.
#[derive(Debug)]
enum Write {
    Line(String),
    /// Close stdin: the CLI finishes what it is doing and exits.
    Close,
}

/// The CLI's stdin, shared by the protocol (its lines) and the driver (closing it).
#[derive(Debug, Clone)]
pub struct Stdin(mpsc::UnboundedSender<Write>);

impl Stdin {
    /// Queues one line (with its newline) for the CLI; dropped once stdin is closed.
    pub fn send(&self, line: String) {
        let _ = self.0.send(Write::Line(line));
    }

    fn close(&self) {
        let _ = self.0.send(Write::Close);
    }
}

/// Owns the child's stdin so that nobody else ever waits on a full pipe.
async fn writer(mut stdin: ChildStdin, mut lines: mpsc::UnboundedReceiver<Write>) {
    while let Some(Write::Line(line)) = lines.recv().await {
        if stdin.write_all(line.as_bytes()).await.is_err() || stdin.flush().await.is_err() {
            break;
        }
    }
}

/// A spawned CLI: its stdout, stdin writer, process, group guard and stderr tail.
#[derive(Debug)]
pub struct Driver {
    /// The CLI's name in error messages ("Claude Code", "codex").
    name: &'static str,
    stdout: Lines<BufReader<ChildStdout>>,
    stdin: Stdin,
    child: Child,
    guard: GroupGuard,
    stderr: StderrTail,
}

impl Driver {
    /// Spawns `cmd` (registered in the pid registry of `data_dir`) and starts its writer task.
    pub fn spawn(name: &'static str, cmd: Command, data_dir: &Path) -> Result<Self, BackendError> {
        let bin = PathBuf::from(cmd.as_std().get_program());
        let SpawnedChild {
            child,
            stdin,
            stdout,
            stderr,
            guard,
        } = spawn_child(cmd, Some(data_dir)).map_err(|e| {
            BackendError::StartFailed(format!("could not start {}: {e}", bin.display()))
        })?;
        let (write_tx, write_rx) = mpsc::unbounded_channel();
        tokio::spawn(writer(stdin, write_rx));
        Ok(Self {
            name,
            stdout: BufReader::new(stdout).lines(),
            stdin: Stdin(write_tx),
            child,
            guard,
            stderr,
        })
    }

    /// A handle on the CLI's stdin, for the protocol.
    pub fn stdin(&self) -> Stdin {
        self.stdin.clone()
    }

    /// The next stdout line during the handshake; the end of stdout is an error.
    pub async fn startup_line(&mut self) -> Result<String, String> {
        match self.stdout.next_line().await {
            Ok(Some(line)) => Ok(line),
            Ok(None) => Err(format!("{} exited during startup", self.name)),
            Err(e) => Err(format!("reading {}'s output: {e}", self.name)),
        }
    }

    /// Ends a failed start: kills the CLI and says `why`, with its stderr tail.
    pub async fn start_failed(mut self, why: &str) -> BackendError {
        self.stdin.close();
        self.guard.kill();
        let _ = tokio::time::timeout(Duration::from_secs(2), self.child.wait()).await;
        let tail = self.stderr.text_after_close(Duration::from_secs(1)).await;
        let tail = tail.trim();
        BackendError::StartFailed(if tail.is_empty() {
            why.to_owned()
        } else {
            format!("{why}; stderr:\n{tail}")
        })
    }

    /// Starts the session task with `protocol`; `first` (the session id, which the office
    /// persists before anything else happens, design §10) is the first event.
    pub fn run<P: Protocol>(self, protocol: P, first: NormalizedEvent) -> SessionHandle {
        let (cmd_tx, cmd_rx) = mpsc::channel(64);
        let (ev_tx, ev_rx) = mpsc::channel(256);
        let _ = ev_tx.try_send(first);
        tokio::spawn(self.session(protocol, cmd_rx, ev_tx));
        SessionHandle {
            commands: cmd_tx,
            events: ev_rx,
        }
    }

    async fn session<P: Protocol>(
        mut self,
        mut protocol: P,
        mut commands: mpsc::Receiver<SessionCommand>,
        events: mpsc::Sender<NormalizedEvent>,
    ) {
        // When stdin was closed; the group is killed CLOSE_GRACE later.
        let mut closing: Option<Instant> = None;
        let close = |stdin: &Stdin, closing: &mut Option<Instant>| {
            if closing.is_none() {
                stdin.close();
                *closing = Some(Instant::now());
            }
        };
        if !protocol.begin(&events).await {
            close(&self.stdin, &mut closing);
        }
        let mut commands_open = true;
        let mut child_exited = false;
        loop {
            let kill_at = closing.map(|t| t + CLOSE_GRACE);
            tokio::select! {
                line = self.stdout.next_line() => match line {
                    Ok(Some(line)) => {
                        if !protocol.line(line, &events).await {
                            close(&self.stdin, &mut closing);
                        }
                    }
                    Ok(None) | Err(_) => break,
                },
                cmd = commands.recv(), if commands_open && closing.is_none() => {
                    let go_on = match cmd {
                        Some(cmd) => protocol.command(cmd, &events).await && !events.is_closed(),
                        None => {
                            commands_open = false;
                            false
                        }
                    };
                    if !go_on {
                        close(&self.stdin, &mut closing);
                    }
                }
                () = sleep_until(kill_at) => {
                    self.guard.kill();
                    closing = None;
                    commands_open = false;
                }
                _ = self.child.wait(), if !child_exited => {
                    // The process we spawned is gone (an npm wrapper, say, whose real CLI lives
                    // on): kill what is left of its group so our stdout closes and the office
                    // learns about the exit instead of waiting forever.
                    child_exited = true;
                    self.guard.kill();
                }
            }
        }
        // stdout is closed: the process is exiting (or was killed).
        let code = match tokio::time::timeout(CLOSE_GRACE, self.child.wait()).await {
            Ok(Ok(status)) => status.code(),
            _ => {
                self.guard.kill();
                self.child.wait().await.ok().and_then(|s| s.code())
            }
        };
        self.guard.kill();
        let stderr_tail = self
            .stderr
            .text_after_close(Duration::from_millis(500))
            .await;
        let _ = events
            .send(NormalizedEvent::Exited { code, stderr_tail })
            .await;
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The environment the CLI sees for `key`: the spec's value, else the server's.
fn env_of(spec: &SessionSpec, key: &str) -> Option<OsString> {
    spec.env
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| OsString::from(v))
        .or_else(|| std::env::var_os(key))
        .filter(|v| !v.is_empty())
}

/// What the safety rules know about the agent: its cwd, home and temp dirs, and the office's
/// data dir.
pub fn safety_context(spec: &SessionSpec) -> SafetyContext {
    let home = env_of(spec, "HOME").map_or_else(|| PathBuf::from("/"), PathBuf::from);
    let mut temp_dirs = vec![PathBuf::from("/tmp"), PathBuf::from("/var/tmp")];
    if let Some(tmp) = env_of(spec, "TMPDIR") {
        temp_dirs.push(PathBuf::from(tmp));
    }
    SafetyContext {
        cwd: spec.cwd.clone(),
        home,
        data_dir: spec.data_dir.clone(),
        temp_dirs,
    }
}
