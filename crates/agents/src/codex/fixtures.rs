//! Test-only access to the recorded `codex app-server` transcripts in
//! `shared/protocols/fixtures/codex-*.jsonl`. A missing fixtures directory FAILS the tests:
//! silently skipping would let the driver drift from the real wire.

use serde_json::Value;
use std::path::{Path, PathBuf};

/// Which way a transcript line went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Send,
    Recv,
}

/// `$ISOMUX_SHARED_DIR/protocols/fixtures`, else the first ancestor of this crate (or a sibling
/// `shared/` of an ancestor, as in this checkout) holding `shared/protocols/fixtures`.
pub fn dir() -> PathBuf {
    if let Ok(shared) = std::env::var("ISOMUX_SHARED_DIR") {
        let p = Path::new(&shared).join("protocols/fixtures");
        assert!(
            p.is_dir(),
            "ISOMUX_SHARED_DIR is set but {} is not a directory",
            p.display()
        );
        return p;
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    for ancestor in manifest.ancestors() {
        let p = ancestor.join("shared/protocols/fixtures");
        if p.is_dir() {
            return p;
        }
    }
    panic!(
        "codex fixtures not found: set ISOMUX_SHARED_DIR to the `shared/` directory, or put \
         `shared/protocols/fixtures` in an ancestor of {}",
        manifest.display()
    );
}

/// The `send`/`recv` messages of one transcript, in order (the `exit` line is dropped).
pub fn load(name: &str) -> Vec<(Dir, Value)> {
    let path = dir().join(format!("{name}.jsonl"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|line| {
            let rec: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("bad line in {}: {e}: {line}", path.display()));
            let dir = match rec.get("dir").and_then(Value::as_str) {
                Some("send") => Dir::Send,
                Some("recv") => Dir::Recv,
                _ => return None,
            };
            let msg = match rec.get("msg") {
                // `msg` is embedded as JSON; tolerate a string-encoded line too.
                Some(Value::String(s)) => {
                    serde_json::from_str(s).unwrap_or(Value::String(s.clone()))
                }
                Some(v) => v.clone(),
                None => return None,
            };
            Some((dir, msg))
        })
        .collect()
}

/// The `send` messages with the given method.
pub fn sent(name: &str, method: &str) -> Vec<Value> {
    load(name)
        .into_iter()
        .filter(|(d, m)| *d == Dir::Send && m.get("method").and_then(Value::as_str) == Some(method))
        .map(|(_, m)| m)
        .collect()
}

/// Every `codex-*.jsonl` transcript (not the rollout-on-disk files).
pub fn transcripts() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .expect("read fixtures dir")
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with("codex-") && n.ends_with(".jsonl") && !n.contains("rollout"))
        .map(|n| n.trim_end_matches(".jsonl").to_owned())
        .collect();
    names.sort();
    names
}
