//! `isomux doctor`: which agent CLIs were found, their versions, whether they look logged in,
//! and whether the version is the one the office is verified against. Only this command runs
//! `<cli> --version`; the office itself never probes versions (no hot-path cost).

use isomux_agents::claude::ClaudeBackend;
use isomux_agents::codex::CodexBackend;
use isomux_protocol::BackendKind;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The CLI versions the office is verified against.
pub const CLAUDE_PINNED: &str = "2.1.197";
pub const CODEX_PINNED: &str = "0.169.0";
/// How long `<cli> --version` may take.
const VERSION_TIMEOUT: Duration = Duration::from_secs(5);

/// What doctor found out about one backend.
#[derive(Debug, Clone)]
pub struct Check {
    pub backend: String,
    /// The CLI was found (always true for the built-in demo).
    pub found: bool,
    pub path: Option<PathBuf>,
    /// The first line `--version` printed, e.g. `2.1.197 (Claude Code)`.
    pub version: Option<String>,
    /// Why there is no version, when the CLI was found but the probe failed.
    pub version_error: Option<String>,
    /// The version the office is verified against (none for the demo).
    pub pinned: Option<&'static str>,
    pub logged_in: bool,
    /// Why it looks logged in, or what to do about it.
    pub login: String,
    /// What the backend itself says (`describe()`).
    pub usable: bool,
    pub detail: String,
}

impl Check {
    /// `Some(false)` when a version was read and it is not the pinned one.
    pub fn version_matches(&self) -> Option<bool> {
        let (version, pinned) = (self.version.as_deref()?, self.pinned?);
        Some(
            version
                .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
                .any(|t| t.trim_start_matches('v') == pinned),
        )
    }

    /// The `--json` shape.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "backend": self.backend,
            "found": self.found,
            "path": self.path.as_ref().map(|p| p.display().to_string()),
            "version": self.version,
            "pinned_version": self.pinned,
            "version_matches": self.version_matches(),
            "logged_in": self.logged_in,
            "login": self.login,
            "usable": self.usable,
            "detail": self.detail,
        })
    }

    /// The human-readable lines.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let status = if !self.found {
            "missing"
        } else if self.usable {
            "ok"
        } else {
            "unusable"
        };
        out.push_str(&format!("{:8} {status:8} {}\n", self.backend, self.detail));
        if self.found && self.pinned.is_some() {
            match (&self.version, &self.version_error) {
                (Some(v), _) => out.push_str(&format!("{:8} version  {v}\n", "")),
                (None, e) => out.push_str(&format!(
                    "{:8} version  unknown ({})\n",
                    "",
                    e.as_deref().unwrap_or("no output")
                )),
            }
            if let (Some(false), Some(pinned)) = (self.version_matches(), self.pinned) {
                out.push_str(&format!(
                    "{:8} warning  the office is verified against {} {pinned}; other versions \
                     may behave differently\n",
                    "", self.backend
                ));
            }
            out.push_str(&format!("{:8} login    {}\n", "", self.login));
        }
        out
    }
}

/// Checks every backend this build offers.
pub fn report() -> Vec<Check> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let home = std::env::var_os("HOME").map(PathBuf::from);
    isomux_agents::all()
        .iter()
        .map(|b| {
            let d = b.describe();
            let detail = d.detail.unwrap_or_default();
            let (path, pinned, login) = match d.kind {
                BackendKind::Claude => (
                    ClaudeBackend::new().find_bin(),
                    Some(CLAUDE_PINNED),
                    claude_login(&env, home.as_deref()),
                ),
                BackendKind::Codex => (
                    CodexBackend::new().find_bin(),
                    Some(CODEX_PINNED),
                    codex_login(&env, home.as_deref()),
                ),
                BackendKind::Demo => (None, None, Ok("built in; no login needed".to_owned())),
            };
            let found = path.is_some() || d.kind == BackendKind::Demo;
            let (version, version_error) = match &path {
                Some(p) => match probe_version(p, VERSION_TIMEOUT) {
                    Ok(v) => (Some(v), None),
                    Err(e) => (None, Some(e)),
                },
                None => (None, None),
            };
            let (logged_in, login) = match login {
                Ok(why) => (true, why),
                Err(hint) => (false, hint),
            };
            Check {
                backend: d.kind.as_str().to_owned(),
                found,
                path,
                version,
                version_error,
                pinned,
                logged_in,
                login,
                usable: d.usable,
                detail,
            }
        })
        .collect()
}

/// Runs `<bin> --version` and returns the first non-empty line, killing it after `timeout`.
pub fn probe_version(bin: &Path, timeout: Duration) -> Result<String, String> {
    let mut child = Command::new(bin)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("could not run {} --version: {e}", bin.display()))?;
    let mut stdout = child.stdout.take().expect("piped stdout");
    // Read on a thread so a chatty CLI cannot block on a full pipe while we wait.
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("--version did not answer within {timeout:?}"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("waiting for --version: {e}")),
        }
    };
    let out = reader.join().unwrap_or_default();
    let text = String::from_utf8_lossy(&out);
    match text.lines().map(str::trim).find(|l| !l.is_empty()) {
        Some(line) if status.success() => Ok(line.to_owned()),
        Some(line) => Err(format!("--version exited with {status}: {line}")),
        None => Err(format!("--version printed nothing ({status})")),
    }
}

type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// `Ok(why it looks logged in)` or `Err(what to do)`.
pub fn claude_login(env: Env<'_>, home: Option<&Path>) -> Result<String, String> {
    for key in ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"] {
        if env(key).is_some() {
            return Ok(format!("looks logged in ({key} is set)"));
        }
    }
    let dir = env("CLAUDE_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| home.map(|h| h.join(".claude")));
    if let Some(creds) = dir.map(|d| d.join(".credentials.json"))
        && creds.is_file()
    {
        return Ok(format!("looks logged in ({})", creds.display()));
    }
    if let Some(url) = env("ANTHROPIC_BASE_URL") {
        return Ok(format!("looks logged in (custom endpoint {url})"));
    }
    Err("not logged in: run `claude` once and /login (or set ANTHROPIC_API_KEY)".to_owned())
}

/// `Ok(why it looks logged in)` or `Err(what to do)`.
pub fn codex_login(env: Env<'_>, home: Option<&Path>) -> Result<String, String> {
    if env("OPENAI_API_KEY").is_some() {
        return Ok("looks logged in (OPENAI_API_KEY is set)".to_owned());
    }
    let Some(dir) = env("CODEX_HOME")
        .map(PathBuf::from)
        .or_else(|| home.map(|h| h.join(".codex")))
    else {
        return Err(codex_hint());
    };
    let auth = dir.join("auth.json");
    if auth.is_file() {
        return Ok(format!("looks logged in ({})", auth.display()));
    }
    let config = dir.join("config.toml");
    if std::fs::read_to_string(&config).is_ok_and(|t| has_model_providers(&t)) {
        return Ok(format!(
            "looks logged in (model_providers in {})",
            config.display()
        ));
    }
    Err(codex_hint())
}

fn codex_hint() -> String {
    "not logged in: run `codex login` (or set OPENAI_API_KEY)".to_owned()
}

/// A `[model_providers.x]` table or a `model_providers = …` key in a codex config.toml.
fn has_model_providers(toml: &str) -> bool {
    toml.lines().map(str::trim).any(|l| {
        l.strip_prefix('[')
            .is_some_and(|t| t.trim_start().starts_with("model_providers"))
            || l.strip_prefix("model_providers")
                .is_some_and(|t| t.trim_start().starts_with(['=', '.']))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn claude_login_sources() {
        let home = tempfile_dir();
        assert!(claude_login(&env_of(&[]), Some(&home)).is_err());
        assert!(claude_login(&env_of(&[("ANTHROPIC_AUTH_TOKEN", "x")]), Some(&home)).is_ok());
        assert!(claude_login(&env_of(&[("ANTHROPIC_BASE_URL", "http://x")]), Some(&home)).is_ok());
        std::fs::create_dir_all(home.join(".claude")).unwrap();
        std::fs::write(home.join(".claude/.credentials.json"), "{}").unwrap();
        assert!(claude_login(&env_of(&[]), Some(&home)).is_ok());
        // CLAUDE_CONFIG_DIR replaces ~/.claude.
        let other = home.join("elsewhere");
        let env = env_of(&[("CLAUDE_CONFIG_DIR", other.to_str().unwrap())]);
        assert!(claude_login(&env, Some(&home)).is_err());
        let _ = std::fs::remove_dir_all(&home);
    }

    #[test]
    fn codex_login_sources() {
        let home = tempfile_dir();
        assert!(codex_login(&env_of(&[]), Some(&home)).is_err());
        assert!(codex_login(&env_of(&[("OPENAI_API_KEY", "x")]), Some(&home)).is_ok());
        let codex = home.join(".codex");
        std::fs::create_dir_all(&codex).unwrap();
        std::fs::write(codex.join("config.toml"), "model = \"gpt-5.5\"\n").unwrap();
        assert!(codex_login(&env_of(&[]), Some(&home)).is_err());
        std::fs::write(
            codex.join("config.toml"),
            "[model_providers.local]\nbase_url = \"http://x\"\n",
        )
        .unwrap();
        assert!(codex_login(&env_of(&[]), Some(&home)).is_ok());
        let env = env_of(&[("CODEX_HOME", home.to_str().unwrap())]);
        assert!(codex_login(&env, Some(&home)).is_err());
        std::fs::write(home.join("auth.json"), "{}").unwrap();
        assert!(codex_login(&env, Some(&home)).is_ok());
        let _ = std::fs::remove_dir_all(&home);
    }

    #[test]
    fn version_matching() {
        let mut c = Check {
            backend: "claude".into(),
            found: true,
            path: None,
            version: Some("2.1.197 (Claude Code)".into()),
            version_error: None,
            pinned: Some(CLAUDE_PINNED),
            logged_in: true,
            login: String::new(),
            usable: true,
            detail: String::new(),
        };
        assert_eq!(c.version_matches(), Some(true));
        c.version = Some("2.1.1970 (Claude Code)".into());
        assert_eq!(c.version_matches(), Some(false));
        assert!(
            c.to_text()
                .contains("the office is verified against claude 2.1.197")
        );
        c.backend = "codex".into();
        c.pinned = Some(CODEX_PINNED);
        c.version = Some("codex-cli 0.169.0".into());
        assert_eq!(c.version_matches(), Some(true));
    }

    fn tempfile_dir() -> PathBuf {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "isomux-doctor-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
