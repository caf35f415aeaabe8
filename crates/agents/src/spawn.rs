//! The one helper through which every agent CLI is spawned (design §2, style §9): the child
//! gets its own process group, dies with the server (`PR_SET_PDEATHSIG(SIGKILL)` on Linux),
//! has its three standard streams piped, and the whole group is SIGKILLed when the
//! [`GroupGuard`] drops. Given the office data dir, the child is also recorded in the pid
//! registry ([`registry`], `<data_dir>/pids/<pid>`) that [`reap`] cleans up at the next start
//! if the server dies without dropping its guards. The last [`STDERR_TAIL_BYTES`] of stderr
//! are kept for error messages. Reading stdout and writing stdin is the backend's business,
//! not this module's.

pub mod registry;

pub use registry::{reap, registry_dir};

use std::collections::VecDeque;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use tokio::io::AsyncReadExt;
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// How much of a child's stderr is kept.
pub const STDERR_TAIL_BYTES: usize = 16 * 1024;

/// A spawned child: its pipes, its stderr tail and the guard that kills its group.
#[derive(Debug)]
pub struct SpawnedChild {
    /// The process; wait on it for the exit status (stdin/stdout/stderr already taken).
    pub child: Child,
    pub stdin: ChildStdin,
    pub stdout: ChildStdout,
    pub stderr: StderrTail,
    pub guard: GroupGuard,
}

/// Spawns `cmd` in its own process group with piped stdio, `kill_on_drop`, and (on Linux) a
/// parent-death signal. Prefer this over `Command::spawn` everywhere.
///
/// With `data_dir` (the office data dir) the child is registered in `<data_dir>/pids` and the
/// guard removes the entry when it kills the group. A registration failure is logged, not
/// fatal: the parent-death signal still covers the CLI itself.
///
/// `PR_SET_PDEATHSIG` fires when the *thread* that forked exits; tokio's worker threads live
/// as long as the runtime, which lives as long as the server, so that is what we want.
pub fn spawn_child(mut cmd: Command, data_dir: Option<&Path>) -> io::Result<SpawnedChild> {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    set_parent_death_signal(&mut cmd);
    let mut child = cmd.spawn()?;
    let pid = child
        .id()
        .ok_or_else(|| io::Error::other("child exited at once"))?;
    let pgid = i32::try_from(pid).ok();
    let entry = match (data_dir, pgid) {
        (Some(dir), Some(pgid)) => {
            let program = Path::new(cmd.as_std().get_program())
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            registry::register(dir, pgid, &program)
                .inspect_err(|e| {
                    tracing::warn!("could not register child {pid} in the pid registry: {e}");
                })
                .ok()
        }
        _ => None,
    };
    let guard = GroupGuard { pgid, entry };
    let missing = |what: &str| io::Error::other(format!("child {what} was not piped"));
    let stdin = child.stdin.take().ok_or_else(|| missing("stdin"))?;
    let stdout = child.stdout.take().ok_or_else(|| missing("stdout"))?;
    let stderr_pipe = child.stderr.take().ok_or_else(|| missing("stderr"))?;
    let stderr = StderrTail::default();
    tokio::spawn(stderr.clone().collect(stderr_pipe));
    Ok(SpawnedChild {
        child,
        stdin,
        stdout,
        stderr,
        guard,
    })
}

#[cfg(target_os = "linux")]
#[allow(
    unsafe_code,
    reason = "pre_exec is unsafe by signature; the closure only calls async-signal-safe syscalls"
)]
fn set_parent_death_signal(cmd: &mut Command) {
    // SAFETY: the closure runs in the forked child before exec and only calls `prctl`,
    // `getppid` and `_exit`, which are async-signal-safe and touch no memory of the parent.
    let parent = std::process::id();
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died between fork and prctl: then nobody would signal us.
            if u32::try_from(libc::getppid()).ok() != Some(parent) {
                libc::_exit(1);
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn set_parent_death_signal(_cmd: &mut Command) {}

/// SIGKILLs the child's whole process group on drop (or on [`GroupGuard::kill`]).
#[derive(Debug)]
pub struct GroupGuard {
    pgid: Option<i32>,
    /// The pid registry entry, removed once the group is killed.
    entry: Option<PathBuf>,
}

impl GroupGuard {
    /// The process group id (the child's pid).
    pub fn pgid(&self) -> Option<i32> {
        self.pgid
    }

    /// Kills the group now; later calls and the drop do nothing.
    pub fn kill(&mut self) {
        if let Some(pgid) = self.pgid.take() {
            kill_group(pgid);
        }
        if let Some(entry) = self.entry.take() {
            registry::unregister(&entry);
        }
    }

    /// The pid registry entry, when the child was registered.
    pub fn registry_entry(&self) -> Option<&Path> {
        self.entry.as_deref()
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

#[allow(unsafe_code, reason = "libc::kill is an FFI call")]
fn kill_group(pgid: i32) {
    if pgid <= 1 {
        return;
    }
    // SAFETY: kill(2) takes plain integers and has no memory effects; a negative pid names the
    // process group, which `process_group(0)` made equal to the child's pid.
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
}

/// The last [`STDERR_TAIL_BYTES`] of a child's stderr, shared with the task reading it.
#[derive(Debug, Clone, Default)]
pub struct StderrTail {
    // A sync mutex: held only to copy bytes in or out, never across an `.await`.
    buf: Arc<Mutex<StderrBuf>>,
}

#[derive(Debug, Default)]
struct StderrBuf {
    bytes: VecDeque<u8>,
    closed: bool,
}

impl StderrTail {
    /// The kept tail as (lossy) UTF-8.
    pub fn text(&self) -> String {
        let guard = self
            .buf
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (a, b) = guard.bytes.as_slices();
        let mut all = Vec::with_capacity(a.len() + b.len());
        all.extend_from_slice(a);
        all.extend_from_slice(b);
        String::from_utf8_lossy(&all).into_owned()
    }

    /// True once the pipe reached end of file.
    pub fn is_closed(&self) -> bool {
        self.buf
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .closed
    }

    /// Waits (up to `timeout`) for the pipe to close, then returns the tail.
    pub async fn text_after_close(&self, timeout: std::time::Duration) -> String {
        let deadline = tokio::time::Instant::now() + timeout;
        while !self.is_closed() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        self.text()
    }

    fn push(&self, chunk: &[u8]) {
        let mut guard = self
            .buf
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard.bytes.extend(chunk);
        let excess = guard.bytes.len().saturating_sub(STDERR_TAIL_BYTES);
        guard.bytes.drain(..excess);
    }

    async fn collect(self, mut pipe: tokio::process::ChildStderr) {
        let mut chunk = [0u8; 4096];
        while let Ok(n) = pipe.read(&mut chunk).await {
            if n == 0 {
                break;
            }
            self.push(&chunk[..n]);
        }
        self.buf
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .closed = true;
    }
}

/// Finds a CLI: an explicit path, else `$<env_var>`, else `name` on `PATH`. Only existing files
/// count, so a stale setting reads as "not installed" rather than failing at spawn.
pub fn find_program(explicit: Option<&Path>, env_var: &str, name: &str) -> Option<PathBuf> {
    if let Some(bin) = explicit {
        return bin.is_file().then(|| bin.to_path_buf());
    }
    if let Some(bin) = std::env::var_os(env_var).filter(|v| !v.is_empty()) {
        let bin = PathBuf::from(bin);
        return bin.is_file().then_some(bin);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::AsyncBufReadExt;

    /// Whether any process is still in group `pgid` (signal 0 probes without killing).
    #[allow(unsafe_code, reason = "libc::kill probe")]
    fn group_alive(pgid: i32) -> bool {
        // SAFETY: signal 0 only checks that the group exists.
        unsafe { libc::kill(-pgid, 0) == 0 }
    }

    /// Waits up to `tries` × 10 ms for group `pgid` to be gone; true once it is.
    async fn group_gone(pgid: i32, tries: u32) -> bool {
        for _ in 0..tries {
            if !group_alive(pgid) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        !group_alive(pgid)
    }

    /// The exit status of `child`, which must exit within 5 s.
    async fn exit_of(child: &mut tokio::process::Child) -> std::process::ExitStatus {
        tokio::time::timeout(Duration::from_secs(5), child.wait())
            .await
            .expect("the child dies")
            .expect("wait")
    }

    #[tokio::test]
    async fn dropping_the_guard_kills_the_whole_group() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 100 & echo oops >&2; echo started; sleep 100"]);
        let mut spawned = spawn_child(cmd, None).expect("spawn sh");
        let pgid = spawned.guard.pgid().expect("pgid");
        let mut lines = tokio::io::BufReader::new(spawned.stdout).lines();
        let first = lines.next_line().await.expect("read").expect("a line");
        assert_eq!(first, "started");
        assert!(group_alive(pgid));
        drop(spawned.guard);
        assert!(!exit_of(&mut spawned.child).await.success());
        // The background sleep is reaped by init shortly after the kill.
        assert!(group_gone(pgid, 200).await, "the group is gone");
        let tail = spawned
            .stderr
            .text_after_close(Duration::from_secs(2))
            .await;
        assert_eq!(tail, "oops\n");
    }

    /// A `sleep 100` registered in `data_dir`, its group id and its registry entry.
    async fn spawn_registered_sleep(data_dir: &Path) -> (SpawnedChild, i32, PathBuf) {
        let mut cmd = Command::new("sleep");
        cmd.arg("100");
        let spawned = spawn_child(cmd, Some(data_dir)).expect("spawn sleep");
        let pgid = spawned.guard.pgid().expect("pgid");
        let entry = spawned
            .guard
            .registry_entry()
            .expect("registered")
            .to_owned();
        (spawned, pgid, entry)
    }

    #[tokio::test]
    async fn registering_writes_an_entry_the_guard_removes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (spawned, pgid, entry) = spawn_registered_sleep(dir.path()).await;
        assert_eq!(entry, registry_dir(dir.path()).join(pgid.to_string()));
        let text = std::fs::read_to_string(&entry).expect("entry");
        let start = registry::start_time(pgid).expect("start time");
        assert_eq!(text, format!("pgid={pgid}\nstart={start}\nprogram=sleep\n"));
        let mut child = spawned.child;
        drop(spawned.guard);
        assert!(!entry.exists(), "the guard removed the entry");
        assert!(!exit_of(&mut child).await.success());
        // Nothing is left to reap.
        assert_eq!(reap(dir.path()), Vec::<u32>::new());
    }

    #[tokio::test]
    async fn reaping_kills_a_group_whose_guard_was_lost() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (spawned, pgid, entry) = spawn_registered_sleep(dir.path()).await;
        // A crash: the guard never runs.
        std::mem::forget(spawned.guard);
        let mut child = spawned.child;
        assert!(group_alive(pgid));
        assert_eq!(reap(dir.path()), vec![u32::try_from(pgid).expect("pid")]);
        let status = exit_of(&mut child).await;
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(libc::SIGKILL)
        );
        assert!(!group_alive(pgid), "the group is gone");
        assert!(!entry.exists(), "the entry was deleted");
    }

    #[tokio::test]
    async fn reaping_kills_what_a_dead_leader_left_in_its_group() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 100 & echo started"]);
        let mut spawned = spawn_child(cmd, Some(dir.path())).expect("spawn sh");
        let pgid = spawned.guard.pgid().expect("pgid");
        let mut lines = tokio::io::BufReader::new(spawned.stdout).lines();
        assert_eq!(
            lines.next_line().await.expect("read").as_deref(),
            Some("started")
        );
        // The leader exits (like a CLI killed by the parent-death signal); its child stays.
        spawned.child.wait().await.expect("wait");
        std::mem::forget(spawned.guard);
        assert!(
            group_alive(pgid),
            "the background sleep outlived its leader"
        );
        assert_eq!(reap(dir.path()), vec![u32::try_from(pgid).expect("pid")]);
        assert!(group_gone(pgid, 500).await, "the group is gone");
    }

    #[tokio::test]
    async fn reaping_spares_a_recycled_pid_but_drops_its_entry() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (spawned, pgid, entry) = spawn_registered_sleep(dir.path()).await;
        let start = registry::start_time(pgid).expect("start time");
        // Pretend the entry was written for an earlier process that had the same pid.
        std::fs::write(
            &entry,
            format!("pgid={pgid}\nstart={}\nprogram=sleep\n", start + 1),
        )
        .expect("rewrite");
        // A malformed entry and a leftover temp file are dropped too.
        let garbage = registry_dir(dir.path()).join("77");
        std::fs::write(&garbage, "nonsense").expect("garbage");
        let tmp = registry_dir(dir.path()).join(".78.tmp");
        std::fs::write(&tmp, "pgid=78\n").expect("tmp");
        assert_eq!(reap(dir.path()), Vec::<u32>::new());
        assert!(group_alive(pgid), "a recycled pid is never killed");
        assert!(!entry.exists() && !garbage.exists() && !tmp.exists());
        drop(spawned.guard);
    }

    #[test]
    fn reaping_a_data_dir_without_a_registry_is_a_no_op() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(reap(dir.path()), Vec::<u32>::new());
    }

    #[test]
    fn the_stderr_tail_keeps_the_last_bytes() {
        let tail = StderrTail::default();
        tail.push(&vec![b'a'; STDERR_TAIL_BYTES]);
        tail.push(b"end");
        let text = tail.text();
        assert_eq!(text.len(), STDERR_TAIL_BYTES);
        assert!(text.ends_with("aend"));
    }
}
