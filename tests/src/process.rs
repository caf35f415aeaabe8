//! Running the real `isomux` binary as a child process (for the crash test and the browser
//! test): find or build it, start `serve` on port 0, read the printed URL and owner link.

use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The repository root.
pub fn repo_root() -> PathBuf {
    std::env::var_os("ISOMUX_REPO_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
}

/// The `isomux` binary: `$ISOMUX_BIN` (set by `cargo xtask test`), else `target/debug/isomux`,
/// built on first use.
pub fn isomux_bin() -> Result<PathBuf> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    if let Some(p) = std::env::var_os("ISOMUX_BIN") {
        let p = PathBuf::from(p);
        if !p.is_file() {
            bail!(
                "ISOMUX_BIN={} does not exist; run `cargo xtask build`",
                p.display()
            );
        }
        return Ok(p);
    }
    BUILT
        .get_or_init(|| {
            let root = repo_root();
            eprintln!("building the isomux binary (cargo build -p isomux)...");
            let status = Command::new(env!("CARGO"))
                .args(["build", "-p", "isomux", "--bin", "isomux"])
                .current_dir(&root)
                .status()
                .map_err(|e| e.to_string())?;
            if !status.success() {
                return Err("cargo build -p isomux failed".into());
            }
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| root.join("target"));
            Ok(target.join("debug").join("isomux"))
        })
        .clone()
        .map_err(anyhow::Error::msg)
}

/// A running `isomux serve` child. Killed (SIGKILL) on drop.
pub struct ServerProcess {
    pub child: Child,
    pub url: String,
    pub owner_link: Option<String>,
}

impl ServerProcess {
    /// Starts `isomux serve --listen 127.0.0.1:0 --data-dir DIR` and waits for its URL.
    pub fn start(data_dir: &Path, extra_env: &[(&str, &str)]) -> Result<Self> {
        Self::start_with(&["--listen", "127.0.0.1:0"], data_dir, extra_env)
    }

    /// Starts `isomux serve ARGS… --data-dir DIR` and waits for its URL.
    pub fn start_with(args: &[&str], data_dir: &Path, extra_env: &[(&str, &str)]) -> Result<Self> {
        let bin = isomux_bin()?;
        let mut cmd = Command::new(&bin);
        cmd.arg("serve")
            .args(args)
            .arg("--data-dir")
            .arg(data_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let stdout = child.stdout.take().context("stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                println!("[isomux] {line}");
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut url = None;
        let mut owner_link = None;
        while Instant::now() < deadline {
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(line) => {
                    if let Some(u) = line.strip_prefix("Listening on ") {
                        url = Some(u.trim().to_owned());
                    } else if let Some(l) = line.strip_prefix("Owner link: ") {
                        owner_link = Some(l.trim().to_owned());
                    } else if line.starts_with("Data dir:") {
                        break;
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    if let Some(status) = child.try_wait()? {
                        bail!("isomux serve exited early: {status}");
                    }
                }
                Err(_) => break,
            }
        }
        let url = url.context("isomux serve printed no `Listening on` line")?;
        Ok(Self {
            child,
            url,
            owner_link,
        })
    }

    /// SIGKILL, no cleanup: what a crash or power loss looks like to the office.
    pub fn kill9(&mut self) -> Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A pinned agent CLI: `$ISOMUX_<NAME>_BIN`, else `<repo>/.tools/npm/node_modules/.bin/<name>`.
/// Fails (never skips) with the install command when it is missing.
pub fn cli_bin(name: &str) -> Result<PathBuf> {
    let var = format!("ISOMUX_{}_BIN", name.to_ascii_uppercase());
    cli_bin_from(name, std::env::var_os(&var).map(PathBuf::from))
}

/// [`cli_bin`] with the variable's value given: `from_env`, else the pinned install.
pub fn cli_bin_from(name: &str, from_env: Option<PathBuf>) -> Result<PathBuf> {
    let var = format!("ISOMUX_{}_BIN", name.to_ascii_uppercase());
    let path =
        from_env.unwrap_or_else(|| repo_root().join(".tools/npm/node_modules/.bin").join(name));
    if !path.exists() {
        bail!(
            "the pinned `{name}` CLI is not installed (looked for {}; set ${var} or run \
             `cargo xtask setup`)",
            path.display()
        );
    }
    Ok(path)
}

/// The pids of this process's children running in `cwd` whose command line contains `needle`
/// (tests of one binary run their own CLIs in parallel, so the cwd tells them apart). The
/// pinned `codex` is an npm wrapper (`node …/codex.js app-server`) that may run the native
/// binary as its own child.
pub fn children_matching(cwd: &Path, needle: &str) -> Vec<u32> {
    let me = std::process::id();
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Fields after the command name (which may contain spaces) start after the last ')'.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let in_cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|d| d == cwd);
        if ppid == Some(me) && in_cwd && String::from_utf8_lossy(&cmdline).contains(needle) {
            out.push(pid);
        }
    }
    out
}
