//! The pid registry (design §12): every agent CLI spawned for an office is recorded as
//! `<data_dir>/pids/<pid>` so that a server that was killed (SIGKILL, OOM, power cut of the
//! terminal) leaves a trail the next start can clean up. `PR_SET_PDEATHSIG` already kills the
//! CLI itself; the registry catches what it leaves behind in its process group (tool
//! subprocesses, shells, dev servers), which the parent-death signal does not reach.
//!
//! An entry is a small text file, one `key=value` per line:
//!
//! ```text
//! pgid=12345
//! start=987654
//! program=claude
//! ```
//!
//! `start` is field 22 of `/proc/<pid>/stat` (start time in clock ticks since boot), so a
//! recycled pid is recognised and never killed. Entries are written to a dot-file and renamed
//! into place, so the reaper never sees half an entry.

use std::io;
use std::path::{Path, PathBuf};

/// The registry directory inside a data dir.
pub fn registry_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("pids")
}

/// One parsed registry entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub pgid: i32,
    pub start: u64,
    pub program: String,
}

impl Entry {
    fn render(&self) -> String {
        format!(
            "pgid={}\nstart={}\nprogram={}\n",
            self.pgid, self.start, self.program
        )
    }

    fn parse(text: &str) -> Option<Self> {
        let (mut pgid, mut start, mut program) = (None, None, String::new());
        for line in text.lines() {
            match line.split_once('=')? {
                ("pgid", v) => pgid = v.parse::<i32>().ok(),
                ("start", v) => start = v.parse::<u64>().ok(),
                ("program", v) => program = v.to_owned(),
                _ => {}
            }
        }
        let pgid = pgid.filter(|p| *p > 1)?;
        Some(Self {
            pgid,
            start: start?,
            program,
        })
    }
}

/// Start time (clock ticks since boot) of `pid`, from field 22 of `/proc/<pid>/stat`; `None`
/// when the process does not exist (or /proc is unavailable).
pub(crate) fn start_time(pid: i32) -> Option<u64> {
    stat_fields(pid).and_then(|f| f.start)
}

struct StatFields {
    pgrp: Option<i32>,
    start: Option<u64>,
}

fn stat_fields(pid: i32) -> Option<StatFields> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `comm` (field 2) is in parentheses and may contain spaces or ')': split after the last ')'.
    let rest = &text[text.rfind(')')? + 1..];
    // `rest` starts at field 3 (state): field N is at index N - 3.
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(StatFields {
        pgrp: fields.get(5 - 3).and_then(|v| v.parse().ok()),
        start: fields.get(22 - 3).and_then(|v| v.parse().ok()),
    })
}

/// Records a freshly spawned group leader; returns the entry's path for the guard to remove.
pub(crate) fn register(data_dir: &Path, pid: i32, program: &str) -> io::Result<PathBuf> {
    let start = start_time(pid)
        .ok_or_else(|| io::Error::other(format!("no /proc/{pid}/stat for the new child")))?;
    let dir = registry_dir(data_dir);
    std::fs::create_dir_all(&dir)?;
    let entry = Entry {
        pgid: pid,
        start,
        program: program.replace(['\n', '\r'], " "),
    };
    let path = dir.join(pid.to_string());
    let tmp = dir.join(format!(".{pid}.tmp"));
    std::fs::write(&tmp, entry.render())?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

/// Removes an entry (missing is fine).
pub(crate) fn unregister(path: &Path) {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!(
            "could not remove pid registry entry {}: {e}",
            path.display()
        ),
    }
}

/// Whether group `pgid` still belongs to the recorded child: its leader is alive with the
/// recorded start time, or the leader is gone but members remain that started no earlier
/// than it. (A pgid is not handed out again while any member of the group lives, so members
/// of a group whose leader died are the leader's descendants, unless the pid was recycled, a
/// new leader made its own group and died too; the start-time floor narrows that further.)
fn still_ours(entry: &Entry) -> bool {
    match start_time(entry.pgid) {
        Some(start) => start == entry.start,
        None => group_members_since(entry.pgid, entry.start),
    }
}

/// Whether any live process is in group `pgid` and started at or after `start`.
fn group_members_since(pgid: i32, start: u64) -> bool {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return false;
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(stat_fields)
        .any(|f| f.pgrp == Some(pgid) && f.start.is_some_and(|s| s >= start))
}

/// Kills what earlier servers left behind: for every entry in `<data_dir>/pids` whose group
/// is still the recorded one (see the module docs), SIGKILLs the whole group. Every entry is
/// deleted, malformed or stale ones included. Returns the pgids that were killed.
///
/// Call only while holding the data-dir lock and before any session starts: then no live
/// server owns these entries.
pub fn reap(data_dir: &Path) -> Vec<u32> {
    let dir = registry_dir(data_dir);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            tracing::warn!("could not read the pid registry {}: {e}", dir.display());
            return Vec::new();
        }
    };
    let mut killed = Vec::new();
    for file in entries.filter_map(Result::ok) {
        let path = file.path();
        let named_pid = file
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok());
        let entry = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| Entry::parse(&t))
            .filter(|e| Some(e.pgid) == named_pid);
        match entry {
            None => tracing::warn!("removing a malformed pid registry entry {}", path.display()),
            Some(entry) if still_ours(&entry) => {
                tracing::warn!(
                    pgid = entry.pgid,
                    program = %entry.program,
                    "killing the process group of an agent CLI left behind by an earlier server"
                );
                super::kill_group(entry.pgid);
                killed.extend(u32::try_from(entry.pgid).ok());
            }
            Some(entry) => tracing::debug!(
                pgid = entry.pgid,
                program = %entry.program,
                "pid registry entry is stale (process gone or pid recycled)"
            ),
        }
        if file.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = std::fs::remove_dir_all(&path);
        } else {
            unregister(&path);
        }
    }
    killed.sort_unstable();
    killed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_reject_garbage() {
        let e = Entry {
            pgid: 4242,
            start: 99,
            program: "claude".into(),
        };
        assert_eq!(Entry::parse(&e.render()), Some(e));
        assert_eq!(Entry::parse(""), None);
        assert_eq!(Entry::parse("pgid=1\nstart=5\n"), None);
        assert_eq!(Entry::parse("pgid=12\n"), None);
        assert_eq!(Entry::parse("garbage"), None);
    }

    #[test]
    fn our_own_start_time_is_readable() {
        let me = i32::try_from(std::process::id()).expect("pid");
        assert!(start_time(me).is_some());
        assert_eq!(start_time(i32::MAX), None);
    }
}
