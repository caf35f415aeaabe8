//! The diff card's data: `git diff` of a directory against `HEAD` (or the empty tree in a repo
//! without commits) plus its untracked files, parsed into files, hunks and numbered lines for a
//! side-by-side view. Size caps keep a card small; secret files are listed without content.

use isomux_protocol::{DiffFile, DiffHunk, DiffLine, DiffLineKind, DiffStatus};
use std::path::Path;
use std::process::Command;

/// At most this many files in one card.
pub const MAX_FILES: usize = 200;
/// At most this many lines over all hunks of one card.
pub const MAX_LINES: usize = 10_000;
/// An untracked file larger than this is shown as binary (no content).
pub const MAX_UNTRACKED_BYTES: u64 = 256 * 1024;
/// git's diff output beyond this is not read.
const MAX_DIFF_BYTES: usize = 4 * 1024 * 1024;
/// git's id of the empty tree (the base of a repository without commits).
const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/// Why a diff could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error("{0} is not inside a git repository (git init it, or pass another dir)")]
    NotARepo(String),
    #[error("git failed: {0}")]
    Git(String),
}

fn git(dir: &Path, args: &[&str]) -> Result<std::process::Output, DiffError> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "core.quotepath=off"])
        .args(args)
        .env("GIT_OPTIONAL_LOCKS", "0")
        .output()
        .map_err(|e| DiffError::Git(format!("could not run git: {e}")))
}

/// The changes of `dir` (a canonical directory): (files, truncated). `is_secret` gets the
/// absolute path of each file; a secret file keeps its row but never its content.
pub fn diff_dir(
    dir: &Path,
    is_secret: &dyn Fn(&Path) -> bool,
) -> Result<(Vec<DiffFile>, bool), DiffError> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    if !top.status.success() {
        return Err(DiffError::NotARepo(dir.display().to_string()));
    }
    let root = std::path::PathBuf::from(String::from_utf8_lossy(&top.stdout).trim());
    let has_head = git(dir, &["rev-parse", "--verify", "-q", "HEAD"])?
        .status
        .success();
    let base = if has_head { "HEAD" } else { EMPTY_TREE };
    let out = git(
        dir,
        &[
            "diff",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "-M",
            base,
            "--",
            ".",
        ],
    )?;
    if !out.status.success() {
        return Err(DiffError::Git(
            String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        ));
    }
    let mut truncated = out.stdout.len() > MAX_DIFF_BYTES;
    let text = String::from_utf8_lossy(&out.stdout[..out.stdout.len().min(MAX_DIFF_BYTES)]);
    let (mut files, cut) = parse(&text);
    truncated |= cut;

    let untracked = git(
        dir,
        &[
            "ls-files",
            "--others",
            "--exclude-standard",
            "-z",
            "--",
            ".",
        ],
    )?;
    let mut lines: usize = files
        .iter()
        .flat_map(|f| &f.hunks)
        .map(|h| h.lines.len())
        .sum();
    for rel in String::from_utf8_lossy(&untracked.stdout)
        .split('\0')
        .filter(|s| !s.is_empty())
    {
        if files.len() >= MAX_FILES {
            truncated = true;
            break;
        }
        // ls-files prints paths relative to `dir`; the card uses repository-relative ones.
        let abs = dir.join(rel);
        let path = abs
            .strip_prefix(&root)
            .unwrap_or(Path::new(rel))
            .to_string_lossy()
            .into_owned();
        let mut f = DiffFile {
            path,
            old_path: None,
            status: DiffStatus::Untracked,
            binary: true,
            additions: 0,
            deletions: 0,
            hunks: Vec::new(),
        };
        let small = std::fs::metadata(&abs).is_ok_and(|m| m.len() <= MAX_UNTRACKED_BYTES);
        if small
            && lines < MAX_LINES
            && let Ok(bytes) = std::fs::read(&abs)
            && let Ok(text) = String::from_utf8(bytes)
        {
            f.binary = false;
            let body: Vec<DiffLine> = text
                .lines()
                .take(MAX_LINES - lines)
                .enumerate()
                .map(|(i, l)| DiffLine {
                    kind: DiffLineKind::Add,
                    old: None,
                    new: Some(i as u32 + 1),
                    text: l.to_owned(),
                })
                .collect();
            truncated |= body.len() < text.lines().count();
            lines += body.len();
            f.additions = body.len() as u32;
            if !body.is_empty() {
                f.hunks.push(DiffHunk {
                    header: format!("@@ -0,0 +1,{} @@", body.len()),
                    lines: body,
                });
            }
        }
        files.push(f);
    }
    for f in &mut files {
        if is_secret(&root.join(&f.path)) {
            f.hunks.clear();
            f.binary = true;
        }
    }
    Ok((files, truncated))
}

/// Parses `git diff` output: (files, whether caps cut it).
pub fn parse(text: &str) -> (Vec<DiffFile>, bool) {
    let mut files: Vec<DiffFile> = Vec::new();
    let mut truncated = false;
    let mut total = 0usize;
    // Lines still expected on each side of the open hunk, and the next numbers.
    let (mut old_left, mut new_left, mut old_no, mut new_no) = (0u32, 0u32, 0u32, 0u32);
    for line in text.lines() {
        if old_left > 0 || new_left > 0 {
            let (kind, rest) = match line.as_bytes().first() {
                Some(b'+') => (DiffLineKind::Add, &line[1..]),
                Some(b'-') => (DiffLineKind::Del, &line[1..]),
                Some(b' ') => (DiffLineKind::Context, &line[1..]),
                Some(b'\\') => continue, // "\ No newline at end of file"
                None => (DiffLineKind::Context, ""),
                _ => {
                    old_left = 0;
                    new_left = 0;
                    continue;
                }
            };
            let (old, new) = match kind {
                DiffLineKind::Add => {
                    new_left = new_left.saturating_sub(1);
                    new_no += 1;
                    (None, Some(new_no - 1))
                }
                DiffLineKind::Del => {
                    old_left = old_left.saturating_sub(1);
                    old_no += 1;
                    (Some(old_no - 1), None)
                }
                DiffLineKind::Context => {
                    old_left = old_left.saturating_sub(1);
                    new_left = new_left.saturating_sub(1);
                    old_no += 1;
                    new_no += 1;
                    (Some(old_no - 1), Some(new_no - 1))
                }
            };
            let Some(f) = files.last_mut() else { continue };
            match kind {
                DiffLineKind::Add => f.additions += 1,
                DiffLineKind::Del => f.deletions += 1,
                DiffLineKind::Context => {}
            }
            if total >= MAX_LINES {
                truncated = true;
                continue;
            }
            total += 1;
            if let Some(h) = f.hunks.last_mut() {
                h.lines.push(DiffLine {
                    kind,
                    old,
                    new,
                    text: rest.to_owned(),
                });
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("diff --git ") {
            if files.len() >= MAX_FILES {
                truncated = true;
                break;
            }
            let (a, b) = match rest.rfind(" b/") {
                Some(i) => (&rest[..i], &rest[i + 3..]),
                None => (rest, rest),
            };
            let a = a.strip_prefix("a/").unwrap_or(a);
            files.push(DiffFile {
                path: b.to_owned(),
                old_path: (a != b).then(|| a.to_owned()),
                status: DiffStatus::Modified,
                binary: false,
                additions: 0,
                deletions: 0,
                hunks: Vec::new(),
            });
        } else if let Some(f) = files.last_mut() {
            if line.starts_with("new file mode") {
                f.status = DiffStatus::Added;
            } else if line.starts_with("deleted file mode") {
                f.status = DiffStatus::Deleted;
            } else if let Some(from) = line.strip_prefix("rename from ") {
                f.status = DiffStatus::Renamed;
                f.old_path = Some(from.to_owned());
            } else if line.starts_with("Binary files ") || line == "GIT binary patch" {
                f.binary = true;
            } else if line.starts_with("@@") {
                let (o, n) = hunk_starts(line);
                (old_no, old_left) = o;
                (new_no, new_left) = n;
                f.hunks.push(DiffHunk {
                    header: line.to_owned(),
                    lines: Vec::new(),
                });
            }
        }
    }
    (files, truncated)
}

/// `@@ -a,b +c,d @@` → ((a, b), (c, d)); a missing count is 1.
fn hunk_starts(line: &str) -> ((u32, u32), (u32, u32)) {
    let mut parts = line.split_whitespace().skip(1);
    let range = |s: Option<&str>| {
        let s = s.unwrap_or("0").trim_start_matches(['-', '+']);
        let (start, count) = s.split_once(',').unwrap_or((s, "1"));
        (start.parse().unwrap_or(0), count.parse().unwrap_or(0))
    };
    (range(parts.next()), range(parts.next()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
diff --git a/src/lib.rs b/src/lib.rs
index 1111111..2222222 100644
--- a/src/lib.rs
+++ b/src/lib.rs
@@ -1,3 +1,3 @@ fn main
 keep
--- a line that starts with dashes
+new
 tail
diff --git a/old.txt b/new.txt
similarity index 90%
rename from old.txt
rename to new.txt
diff --git a/logo.png b/logo.png
new file mode 100644
Binary files /dev/null and b/logo.png differ
";

    #[test]
    fn unified_diffs_parse_into_numbered_sides() {
        let (files, cut) = parse(SAMPLE);
        assert!(!cut);
        assert_eq!(files.len(), 3);
        let f = &files[0];
        assert_eq!(
            (f.path.as_str(), f.status),
            ("src/lib.rs", DiffStatus::Modified)
        );
        assert_eq!((f.additions, f.deletions), (1, 1));
        let l = &f.hunks[0].lines;
        assert_eq!(l.len(), 4);
        assert_eq!((l[0].old, l[0].new), (Some(1), Some(1)));
        assert_eq!(l[1].kind, DiffLineKind::Del);
        assert_eq!(l[1].text, "-- a line that starts with dashes");
        assert_eq!((l[2].kind, l[2].new), (DiffLineKind::Add, Some(2)));
        assert_eq!((l[3].old, l[3].new), (Some(3), Some(3)));
        assert_eq!(files[1].status, DiffStatus::Renamed);
        assert_eq!(files[1].old_path.as_deref(), Some("old.txt"));
        assert_eq!(
            (files[2].status, files[2].binary),
            (DiffStatus::Added, true)
        );
    }

    #[test]
    fn size_caps_cut_files_and_lines() {
        let many: String = (0..MAX_FILES + 5)
            .map(|i| format!("diff --git a/f{i} b/f{i}\n@@ -0,0 +1,1 @@\n+x\n"))
            .collect();
        let (files, cut) = parse(&many);
        assert!(cut);
        assert_eq!(files.len(), MAX_FILES);
        let long = format!(
            "diff --git a/big b/big\n@@ -0,0 +1,{n} @@\n{}",
            "+y\n".repeat(MAX_LINES + 10),
            n = MAX_LINES + 10
        );
        let (files, cut) = parse(&long);
        assert!(cut);
        assert_eq!(files[0].hunks[0].lines.len(), MAX_LINES);
        // The counts stay true even where lines were cut.
        assert_eq!(files[0].additions as usize, MAX_LINES + 10);
    }

    #[test]
    fn a_real_repository_shows_tracked_and_untracked_changes() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().canonicalize().unwrap();
        let run = |args: &[&str]| {
            assert!(
                Command::new("git")
                    .arg("-C")
                    .arg(&d)
                    .args(args)
                    .output()
                    .unwrap()
                    .status
                    .success()
            );
        };
        run(&["init", "-q"]);
        std::fs::write(d.join("a.txt"), "one\ntwo\n").unwrap();
        run(&["add", "a.txt"]);
        run(&[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qm",
            "init",
        ]);
        std::fs::write(d.join("a.txt"), "one\n2\n").unwrap();
        std::fs::write(d.join("b.txt"), "fresh\n").unwrap();
        std::fs::write(d.join(".env"), "TOKEN=x\n").unwrap();
        let (files, cut) = diff_dir(&d, &|p| p.ends_with(".env")).unwrap();
        assert!(!cut);
        let names: Vec<_> = files.iter().map(|f| (f.path.as_str(), f.status)).collect();
        assert!(
            names.contains(&("a.txt", DiffStatus::Modified)),
            "{names:?}"
        );
        assert!(
            names.contains(&("b.txt", DiffStatus::Untracked)),
            "{names:?}"
        );
        let env = files.iter().find(|f| f.path == ".env").unwrap();
        assert!(
            env.hunks.is_empty() && env.binary,
            "secret content is never shown"
        );
        let b = files.iter().find(|f| f.path == "b.txt").unwrap();
        assert_eq!(b.hunks[0].lines[0].text, "fresh");
        assert!(matches!(
            diff_dir(std::path::Path::new("/"), &|_| false),
            Err(DiffError::NotARepo(_))
        ));
    }
}
