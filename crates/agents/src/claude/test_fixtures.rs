//! Test-only access to the captured CLI transcripts in `shared/protocols/fixtures` (see its
//! README). Fails loudly when the fixtures cannot be found: a skipped fixture test proves nothing.

use serde_json::Value;
use std::path::{Path, PathBuf};

/// `$ISOMUX_SHARED_DIR/protocols/fixtures`, else the first `shared/protocols/fixtures` beside
/// an ancestor of this crate (CI clones the repo next to `shared/`).
pub fn fixtures_dir() -> PathBuf {
    if let Some(shared) = std::env::var_os("ISOMUX_SHARED_DIR") {
        let dir = Path::new(&shared).join("protocols/fixtures");
        assert!(
            dir.is_dir(),
            "ISOMUX_SHARED_DIR is set but {} is not a directory",
            dir.display()
        );
        return dir;
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .map(|a| a.join("shared/protocols/fixtures"))
        .find(|d| d.is_dir())
        .unwrap_or_else(|| {
            panic!(
                "protocol fixtures not found: set ISOMUX_SHARED_DIR to the `shared` folder, or put \
                 `shared/protocols/fixtures` beside an ancestor of {}",
                manifest.display()
            )
        })
}

/// Every `claude-*.jsonl` CLI transcript (not the on-disk session files), sorted.
pub fn claude_transcripts() -> Vec<String> {
    let dir = fixtures_dir();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("claude-") && n.ends_with(".jsonl") && !n.contains("on-disk"))
        .map(|n| n.trim_end_matches(".jsonl").to_owned())
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no claude-*.jsonl in {}", dir.display());
    names
}

/// One transcript: `(dir, raw msg bytes)` per line.
pub struct Transcript {
    pub lines: Vec<(String, String)>,
}

impl Transcript {
    pub fn load(name: &str) -> Self {
        let path = fixtures_dir().join(format!("{name}.jsonl"));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let lines = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .filter_map(|line| {
                let v: Value = serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("{name}: bad fixture line: {e}"));
                let dir = v["dir"].as_str()?.to_owned();
                v.get("msg")?;
                Some((dir, raw_msg(line, &v)))
            })
            .collect();
        Self { lines }
    }

    /// The `msg` of every `recv` line, as the CLI wrote it.
    pub fn recv(&self) -> Vec<&str> {
        self.lines
            .iter()
            .filter(|(d, _)| d == "recv")
            .map(|(_, m)| m.as_str())
            .collect()
    }
}

/// The `msg` of every `send` line, parsed.
pub fn send_lines(t: &Transcript) -> Vec<Value> {
    t.lines
        .iter()
        .filter(|(d, _)| d == "send")
        .map(|(_, m)| serde_json::from_str(m).unwrap_or_default())
        .collect()
}

/// The embedded `msg` bytes (the README promises byte-for-byte embedding); falls back to
/// re-serializing when the line is laid out differently.
fn raw_msg(line: &str, parsed: &Value) -> String {
    if let Some(start) = line.find("\"msg\":") {
        let candidate = line[start + 6..].trim_end().strip_suffix('}').unwrap_or("");
        if serde_json::from_str::<Value>(candidate).ok().as_ref() == Some(&parsed["msg"]) {
            return candidate.to_owned();
        }
    }
    parsed["msg"].to_string()
}
