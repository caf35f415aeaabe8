//! Lexical paths for the safety rules: the normalized context, normalization of a path against a
//! known cwd (`.`, `..`, repeated slashes), containment, the "root-ish" paths whose deletion gets
//! the stronger message, and where a wildcard path can reach. Never touches the filesystem, so
//! symlinks are not followed: `/tmp/../etc` is `/etc`, whatever `/tmp` is.

use super::SafetyContext;
use super::glob;

/// The context with every path normalized, as the rules compare them.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub(crate) cwd: String,
    pub(crate) home: String,
    pub(crate) data_dir: String,
    pub(crate) temp_dirs: Vec<String>,
    /// What `$TMPDIR` expands to: the last temp dir.
    pub(crate) tmpdir: Option<String>,
}

impl Ctx {
    pub(crate) fn new(c: &SafetyContext) -> Ctx {
        let abs = |p: &std::path::Path| normalize(&p.to_string_lossy(), "/");
        let temp_dirs: Vec<String> = c.temp_dirs.iter().map(|p| abs(p)).collect();
        Ctx {
            cwd: abs(&c.cwd),
            home: abs(&c.home),
            data_dir: abs(&c.data_dir),
            tmpdir: temp_dirs.last().cloned(),
            temp_dirs,
        }
    }

    /// Is `path` strictly inside one of the temp dirs?
    pub(crate) fn in_temp(&self, path: &str) -> bool {
        self.temp_dirs.iter().any(|t| strictly_within(path, t))
    }

    /// Is `dir` (a directory a wildcard lives in) a temp dir or inside one?
    pub(crate) fn temp_or_in_temp(&self, dir: &str) -> bool {
        self.temp_dirs.iter().any(|t| within(dir, t))
    }
}

/// Joins a relative `path` to `base` (absolute) and resolves `.`, `..` and repeated slashes
/// lexically. Works on literal text and on pattern form alike (`/`, `.` are never escaped).
pub(crate) fn normalize(path: &str, base: &str) -> String {
    let mut comps: Vec<&str> = Vec::new();
    let prefix = if path.starts_with('/') { "" } else { base };
    for c in prefix.split('/').chain(path.split('/')) {
        match c {
            "" | "." => {}
            ".." => {
                comps.pop();
            }
            c => comps.push(c),
        }
    }
    if comps.is_empty() {
        "/".to_owned()
    } else {
        format!("/{}", comps.join("/"))
    }
}

/// `path` is `dir` or below it (both normalized).
pub(crate) fn within(path: &str, dir: &str) -> bool {
    dir == "/"
        || path == dir
        || (path.starts_with(dir) && path.as_bytes().get(dir.len()) == Some(&b'/'))
}

/// `path` is below `dir`, not `dir` itself.
pub(crate) fn strictly_within(path: &str, dir: &str) -> bool {
    path != dir && within(path, dir)
}

/// `/`, the home dir, an ancestor of it (`/home`), or any top-level directory (`/etc`, `/usr`).
pub(crate) fn is_rootish(path: &str, home: &str) -> bool {
    path == "/" || path == home || within(home, path) || path.matches('/').count() == 1
}

/// The last component of a normalized path.
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A path argument resolved as far as the rules need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// A literal absolute path, normalized.
    Path(String),
    /// A wildcard: the literal directory before the first wildcard component, and the pattern
    /// components after it (pattern form).
    Glob { dir: String, rest: Vec<String> },
    /// Cannot be resolved (why).
    Unknown(&'static str),
}

/// Resolves a pattern-form path (`~` already expanded) against `cwd` (`None` = unknown).
pub(crate) fn target(text: &str, cwd: Option<&str>) -> Target {
    let base = if text.starts_with('/') {
        "/"
    } else {
        match cwd {
            Some(c) => c,
            None => return Target::Unknown("a relative path after `cd` to an unknown directory"),
        }
    };
    if !glob::has_glob(text) {
        return Target::Path(normalize(&glob::unescape(text), base));
    }
    let mut dir: Vec<String> = base
        .split('/')
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect();
    let mut rest: Vec<String> = Vec::new();
    for comp in text.split('/') {
        let literal_part = rest.is_empty() && !glob::has_glob(comp);
        match comp {
            "" | "." => {}
            ".." if literal_part => {
                dir.pop();
            }
            ".." => return Target::Unknown("`..` after a wildcard"),
            c if literal_part => dir.push(glob::unescape(c)),
            c => rest.push(c.to_owned()),
        }
    }
    Target::Glob {
        dir: format!("/{}", dir.join("/")),
        rest,
    }
}

/// How far a wildcard under `dir` can reach towards `protected` (normalized, literal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reach {
    /// It cannot name `protected` or anything around it.
    Apart,
    /// It may name an ancestor of `protected` (a deletion there takes `protected` along).
    Ancestor,
    /// It may name `protected` itself or something inside it.
    Inside,
}

pub(crate) fn glob_reach(dir: &str, rest: &[String], protected: &str) -> Reach {
    if within(dir, protected) {
        return Reach::Inside;
    }
    if !within(protected, dir) {
        return Reach::Apart;
    }
    let rel: Vec<&str> = protected[dir.len()..]
        .split('/')
        .filter(|c| !c.is_empty())
        .collect();
    let n = rel.len().min(rest.len());
    let prefix_matches = rest
        .iter()
        .zip(rel.iter())
        .take(n)
        .all(|(pat, comp)| glob::matches(pat, comp));
    if !prefix_matches {
        Reach::Apart
    } else if rest.len() >= rel.len() {
        Reach::Inside
    } else {
        Reach::Ancestor
    }
}

/// Expands what a tool path may hold (`~`, `$HOME`, `${HOME}`, `$PWD`, `$TMPDIR`) and
/// normalizes it against the cwd. Any other `$VAR` is an error: tools may or may not expand it.
pub(crate) fn tool_path(raw: &str, cx: &Ctx) -> Result<String, String> {
    let mut s = String::new();
    let rest = if raw == "~" || raw.starts_with("~/") {
        s.push_str(&cx.home);
        &raw[1..]
    } else {
        raw
    };
    let chars: Vec<char> = rest.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '$' {
            s.push(chars[i]);
            i += 1;
            continue;
        }
        let braced = chars.get(i + 1) == Some(&'{');
        let start = if braced { i + 2 } else { i + 1 };
        let mut j = start;
        while chars
            .get(j)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
        {
            j += 1;
        }
        let name: String = chars[start..j].iter().collect();
        if braced && chars.get(j) != Some(&'}') {
            return Err(format!("`{raw}` holds a `${{…}}` expansion"));
        }
        if name.is_empty() {
            s.push('$');
            i += 1;
            continue;
        }
        let value = match name.as_str() {
            "HOME" => Some(cx.home.clone()),
            "PWD" => Some(cx.cwd.clone()),
            "TMPDIR" => cx.tmpdir.clone(),
            _ => None,
        };
        match value {
            Some(v) => s.push_str(&v),
            None => return Err(format!("`${name}` in `{raw}` cannot be resolved")),
        }
        i = if braced { j + 1 } else { j };
    }
    Ok(normalize(&s, &cx.cwd))
}
