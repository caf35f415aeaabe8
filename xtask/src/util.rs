//! Shared plumbing: the repository context, timed steps, child processes and small file probes.

use std::cell::{Cell, RefCell};
use std::env;
use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// What a step did when it succeeded.
pub enum Outcome {
    /// The step did its work.
    Done,
    /// Nothing to do; the message says why (e.g. "already installed: trunk 0.21.14").
    Skipped(String),
}

/// How a step ended, for the summary table.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Ok,
    Skipped,
    Failed,
}

struct Record {
    name: String,
    status: Status,
    elapsed: Duration,
}

/// The repository, the tool PATH and the record of every step run so far.
pub struct Ctx {
    /// The workspace root (the directory holding the root Cargo.toml).
    pub root: PathBuf,
    /// The cargo target directory (`<root>/target` unless `CARGO_TARGET_DIR` says otherwise).
    pub target: PathBuf,
    /// PATH for every child: `~/.cargo/bin` and `<root>/node_modules/.bin` before the inherited one.
    path: OsString,
    records: RefCell<Vec<Record>>,
    apt_updated: Cell<bool>,
    started: Instant,
}

impl Ctx {
    /// Builds the context from the xtask's own location and the environment.
    pub fn new() -> Result<Self> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .context("xtask must live one level below the workspace root")?
            .to_path_buf();
        let target = match env::var_os("CARGO_TARGET_DIR") {
            Some(dir) if !dir.is_empty() => root.join(dir),
            _ => root.join("target"),
        };
        let mut dirs = vec![cargo_home().join("bin"), root.join("node_modules/.bin")];
        dirs.extend(env::split_paths(&env::var_os("PATH").unwrap_or_default()));
        let path = env::join_paths(dirs).context("a PATH entry contains ':'")?;
        Ok(Self {
            root,
            target,
            path,
            records: RefCell::new(Vec::new()),
            apt_updated: Cell::new(false),
            started: Instant::now(),
        })
    }

    /// The extended PATH, for callers that build their own PATH on top of it.
    pub fn path(&self) -> &OsStr {
        &self.path
    }

    /// Runs one named step: prints `==> name`, its outcome and elapsed time, and records it.
    pub fn step(&self, name: &str, f: impl FnOnce(&Ctx) -> Result<Outcome>) -> Result<()> {
        println!("==> {name}");
        let t = Instant::now();
        let result = f(self);
        let elapsed = t.elapsed();
        let status = match &result {
            Ok(Outcome::Done) => {
                println!("    done in {}", fmt_duration(elapsed));
                Status::Ok
            }
            Ok(Outcome::Skipped(why)) => {
                println!("    {why} ({})", fmt_duration(elapsed));
                Status::Skipped
            }
            Err(e) => {
                println!("    FAILED after {}: {e:#}", fmt_duration(elapsed));
                Status::Failed
            }
        };
        self.records.borrow_mut().push(Record {
            name: name.to_owned(),
            status,
            elapsed,
        });
        result
            .map(|_| ())
            .with_context(|| format!("step `{name}` failed"))
    }

    /// Names of the steps that failed so far.
    pub fn failed_steps(&self) -> Vec<String> {
        let records = self.records.borrow();
        records
            .iter()
            .filter(|r| r.status == Status::Failed)
            .map(|r| r.name.clone())
            .collect()
    }

    /// Prints the timing table of every step run so far.
    pub fn summary(&self) {
        let records = self.records.borrow();
        if records.is_empty() {
            return;
        }
        let width = records
            .iter()
            .map(|r| r.name.len())
            .max()
            .unwrap_or(0)
            .max(5);
        let mut out = String::from("==> Summary\n");
        for r in records.iter() {
            let status = match r.status {
                Status::Ok => "ok",
                Status::Skipped => "skipped",
                Status::Failed => "FAILED",
            };
            let time = fmt_duration(r.elapsed);
            let _ = writeln!(out, "    {:<width$}  {status:<7}  {time:>7}", r.name);
        }
        let total = fmt_duration(self.started.elapsed());
        let _ = writeln!(out, "    {:<width$}  {:<7}  {total:>7}", "total", "");
        print!("{out}");
    }

    /// A command for `program` (looked up on the extended PATH), run in the workspace root.
    pub fn cmd(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(
            self.which(program.as_ref())
                .unwrap_or_else(|| program.as_ref().into()),
        );
        cmd.env("PATH", &self.path).current_dir(&self.root);
        cmd
    }

    /// Finds `program` on the extended PATH (or returns it when it is a path already).
    pub fn which(&self, program: &OsStr) -> Option<PathBuf> {
        if Path::new(program).components().count() > 1 {
            return Some(program.into());
        }
        env::split_paths(&self.path)
            .map(|dir| dir.join(program))
            .find(|p| is_executable(p))
    }

    /// Runs a command with inherited stdio, echoing it first; fails unless it exits 0.
    pub fn run(&self, cmd: &mut Command) -> Result<()> {
        println!("    $ {}", show(cmd));
        let status = cmd
            .status()
            .with_context(|| format!("could not start `{}`", show(cmd)))?;
        if !status.success() {
            bail!("`{}` exited with {status}", show(cmd));
        }
        Ok(())
    }

    /// Runs a command quietly and returns its stdout and stderr when it exits 0.
    pub fn capture(&self, cmd: &mut Command) -> Option<String> {
        let out = cmd.output().ok()?;
        if !out.status.success() {
            return None;
        }
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        Some(text)
    }

    /// Whether `apt-get update` already ran in this process, marking it as run.
    pub fn take_apt_update(&self) -> bool {
        self.apt_updated.replace(true)
    }
}

/// `$CARGO_HOME`, else `~/.cargo`.
pub fn cargo_home() -> PathBuf {
    if let Some(home) = env::var_os("CARGO_HOME").filter(|h| !h.is_empty()) {
        return home.into();
    }
    PathBuf::from(env::var_os("HOME").unwrap_or_else(|| "/root".into())).join(".cargo")
}

/// The command line as a shell-like string, for logs.
pub fn show(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        let arg = arg.to_string_lossy();
        if arg.is_empty() || arg.contains(char::is_whitespace) {
            let _ = write!(s, " '{arg}'");
        } else {
            let _ = write!(s, " {arg}");
        }
    }
    s
}

/// `12.3s` under a minute, `6m14s` above.
pub fn fmt_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else {
        let whole = d.as_secs();
        format!("{}m{:02}s", whole / 60, whole % 60)
    }
}

/// Whether `path` is a regular file with an execute bit.
pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Whether `text` contains `word` as a whitespace-separated token (e.g. a version number).
pub fn has_token(text: &str, word: &str) -> bool {
    text.split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',')
        .any(|t| t == word || t.strip_prefix('v') == Some(word))
}

/// Whether the manifest at `path` declares `feature` in its `[features]` table.
pub fn manifest_has_feature(path: &Path, feature: &str) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    let mut in_features = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_features = line == "[features]";
        } else if in_features {
            let key = line
                .split('=')
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches('"');
            if key == feature {
                return true;
            }
        }
    }
    false
}

/// The version of package `name` recorded in the Cargo.lock at `path` (the highest if several).
pub fn locked_version(path: &Path, name: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut best: Option<String> = None;
    for block in text.split("[[package]]").skip(1) {
        let field = |key: &str| {
            block.lines().find_map(|l| {
                let (k, v) = l.split_once('=')?;
                (k.trim() == key).then(|| v.trim().trim_matches('"').to_owned())
            })
        };
        if field("name").as_deref() != Some(name) {
            continue;
        }
        if let Some(v) = field("version") {
            let newer = best
                .as_ref()
                .is_none_or(|b| version_key(&v) > version_key(b));
            if newer {
                best = Some(v);
            }
        }
    }
    best
}

fn version_key(v: &str) -> Vec<u64> {
    v.split(['.', '-', '+'])
        .map(|p| p.parse().unwrap_or(0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_tokens() {
        assert!(has_token("wasm-bindgen 0.2.130\n", "0.2.130"));
        assert!(has_token("trunk 0.21.14", "0.21.14"));
        assert!(has_token("2.1.197 (Claude Code)", "2.1.197"));
        assert!(has_token("wasm-opt version 132 (version_132)", "132"));
        assert!(!has_token("wasm-bindgen 0.2.1300", "0.2.130"));
    }

    #[test]
    fn lockfile_and_features() {
        let dir = std::env::temp_dir().join(format!("xtask-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let lock = dir.join("Cargo.lock");
        let text = "[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.99\"\n\n\
                    [[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n\n\
                    [[package]]\nname = \"wasm-bindgen-futures\"\nversion = \"0.4.80\"\n";
        std::fs::write(&lock, text).unwrap();
        assert_eq!(
            locked_version(&lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(locked_version(&lock, "leptos"), None);
        let manifest = dir.join("Cargo.toml");
        std::fs::write(
            &manifest,
            "[features]\ndefault = []\nembed-ui = [\"dep:x\"]\n",
        )
        .unwrap();
        assert!(manifest_has_feature(&manifest, "embed-ui"));
        assert!(!manifest_has_feature(&manifest, "custom-protocol"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
