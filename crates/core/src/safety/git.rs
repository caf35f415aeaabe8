//! The destructive-git rules: `reset --hard`, `checkout` that discards worktree changes,
//! `restore` of the worktree, `clean -f`, force pushes (`--force`, `-f`, `--mirror`,
//! `+refspec`; `--force-with-lease` alone is fine), `branch -D`, `stash drop|clear`. Global
//! options (`-C`, `-c`, `--git-dir`…) are skipped and `-c alias.x=…` aliases are followed.

use super::RuleId;
use super::words::Arg;

/// What a `git` invocation amounts to.
#[derive(Debug)]
pub(crate) enum GitCheck {
    /// Not destructive; `sub` is the subcommand (if any) and `args` its arguments.
    Clean {
        sub: Option<String>,
        args: Vec<Arg>,
    },
    Deny(RuleId),
    Unknown(String),
    /// A `-c alias.x='!…'` shell alias was invoked: this shell text runs.
    ShellAlias(String),
}

/// Subcommands whose arguments decide whether they destroy work.
const GUARDED: &[&str] = &[
    "reset", "checkout", "switch", "restore", "clean", "push", "branch", "stash",
];

/// Subcommands that never change files (where they run does not matter to the data-dir rule).
pub(crate) const READ_ONLY: &[&str] = &[
    "status",
    "log",
    "show",
    "diff",
    "ls-files",
    "ls-tree",
    "ls-remote",
    "rev-parse",
    "rev-list",
    "blame",
    "annotate",
    "grep",
    "describe",
    "cat-file",
    "shortlog",
    "whatchanged",
    "help",
    "version",
    "check-ignore",
    "check-attr",
    "for-each-ref",
    "name-rev",
    "show-ref",
    "var",
    "config",
];

/// Global options that take a separate value.
const GLOBAL_WITH_VALUE: &[&str] = &[
    "-C",
    "-c",
    "--git-dir",
    "--work-tree",
    "--namespace",
    "--super-prefix",
    "--config-env",
    "--exec-path",
    "--list-cmds",
];

/// Checks the arguments after `git`.
pub(crate) fn check(args: &[Arg]) -> GitCheck {
    let mut aliases: Vec<(String, String)> = Vec::new();
    let mut clean_unforced = false;
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let s = a.lit();
        if a.dynamic && !s.starts_with('-') {
            return GitCheck::Unknown(format!("git subcommand `{s}` is computed at run time"));
        }
        if !s.starts_with('-') {
            break;
        }
        if GLOBAL_WITH_VALUE.contains(&s.as_str()) {
            if s == "-c" {
                match args.get(i + 1) {
                    Some(v) if v.dynamic => {
                        return GitCheck::Unknown(format!(
                            "git config `{}` is computed at run time",
                            v.lit()
                        ));
                    }
                    Some(v) => config(&v.lit(), &mut aliases, &mut clean_unforced),
                    None => {}
                }
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    let Some(sub) = args.get(i).map(Arg::lit) else {
        return GitCheck::Clean {
            sub: None,
            args: Vec::new(),
        };
    };
    let rest = &args[i + 1..];
    let alias = aliases
        .iter()
        .rev()
        .find(|(n, _)| n.eq_ignore_ascii_case(&sub))
        .map(|(_, v)| v.clone());
    match alias {
        Some(v) if v.starts_with('!') => GitCheck::ShellAlias(v[1..].to_owned()),
        Some(v) => {
            let mut expanded: Vec<Arg> = v.split_whitespace().map(Arg::literal).collect();
            if expanded.is_empty() {
                return GitCheck::Clean {
                    sub: None,
                    args: Vec::new(),
                };
            }
            let sub = expanded.remove(0).lit();
            expanded.extend(rest.iter().cloned());
            check_sub(&sub, expanded, clean_unforced)
        }
        None => check_sub(&sub, rest.to_vec(), clean_unforced),
    }
}

/// The directories git is pointed at (`-C`, `--git-dir`, `--work-tree`), each on its own.
pub(crate) fn work_dirs(args: &[Arg]) -> Vec<Arg> {
    let mut dirs = Vec::new();
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let s = a.lit();
        if !s.starts_with('-') {
            break;
        }
        if matches!(s.as_str(), "-C" | "--git-dir" | "--work-tree") {
            dirs.extend(args.get(i + 1).cloned());
        } else if s.starts_with("--git-dir=") || s.starts_with("--work-tree=") {
            dirs.extend(a.value_after_eq_raw());
        }
        i += if GLOBAL_WITH_VALUE.contains(&s.as_str()) {
            2
        } else {
            1
        };
    }
    dirs
}

/// Config keys whose value git runs as a shell command.
const COMMAND_KEYS: &[&str] = &[
    "core.sshcommand",
    "core.pager",
    "core.editor",
    "core.fsmonitor",
    "core.askpass",
    "diff.external",
    "sequence.editor",
    "gpg.program",
    "credential.helper",
];

/// Shell commands given through `-c key=value` for keys git runs (`core.sshCommand`, pagers…).
pub(crate) fn config_commands(args: &[Arg]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let s = a.lit();
        if !s.starts_with('-') {
            break;
        }
        if s == "-c"
            && let Some(v) = args.get(i + 1).filter(|v| !v.dynamic)
        {
            let kv = v.lit();
            if let Some((key, value)) = kv.split_once('=') {
                let key = key.to_ascii_lowercase();
                if COMMAND_KEYS.contains(&key.as_str()) || key.starts_with("pager.") {
                    out.push(value.trim_start_matches('!').to_owned());
                }
            }
        }
        i += if GLOBAL_WITH_VALUE.contains(&s.as_str()) {
            2
        } else {
            1
        };
    }
    out
}

fn config(kv: &str, aliases: &mut Vec<(String, String)>, clean_unforced: &mut bool) {
    let (key, value) = kv.split_once('=').unwrap_or((kv, "true"));
    let key = key.to_ascii_lowercase();
    if let Some(name) = key.strip_prefix("alias.") {
        aliases.push((name.to_owned(), value.to_owned()));
    } else if key == "clean.requireforce" {
        *clean_unforced = matches!(
            value.to_ascii_lowercase().as_str(),
            "false" | "no" | "off" | "0"
        );
    }
}

fn check_sub(sub: &str, args: Vec<Arg>, clean_unforced: bool) -> GitCheck {
    // Judge the literal arguments first: a computed one can only add danger, so a definite
    // denial stands; otherwise a computed argument of a guarded subcommand is unknown.
    let lits: Vec<String> = args.iter().map(Arg::lit).collect();
    let rule = match sub {
        "reset" => reset(&lits),
        "checkout" => checkout(&lits),
        "switch" => switch(&lits),
        "restore" => restore(&lits),
        "clean" => clean(&lits, clean_unforced),
        "push" => push(&lits),
        "branch" => branch(&lits),
        "stash" => stash(&lits),
        _ => None,
    };
    if let Some(r) = rule {
        return GitCheck::Deny(r);
    }
    match args.iter().find(|a| a.dynamic) {
        Some(d) if GUARDED.contains(&sub) => GitCheck::Unknown(format!(
            "`git {sub}` argument `{}` is computed at run time",
            d.lit()
        )),
        _ => GitCheck::Clean {
            sub: Some(sub.to_owned()),
            args,
        },
    }
}

/// The letters of a short-option cluster (`-fd` → `fd`), `None` for anything else.
fn cluster(s: &str) -> Option<&str> {
    s.strip_prefix('-')
        .filter(|c| !c.is_empty() && !c.starts_with('-'))
}

/// A long option or an unambiguous abbreviation of it (`--ha` for `--hard`).
fn long_is(s: &str, full: &str, min_len: usize) -> bool {
    s.len() >= min_len && full.starts_with(s)
}

fn reset(args: &[String]) -> Option<RuleId> {
    args.iter()
        .take_while(|a| *a != "--")
        .any(|a| long_is(a, "--hard", 4))
        .then_some(RuleId::GitResetHard)
}

fn looks_like_path(a: &str) -> bool {
    a == "."
        || a == ".."
        || a.starts_with("./")
        || a.starts_with("../")
        || a.starts_with('/')
        || a.starts_with(':')
        || a.contains(['*', '?', '['])
}

fn checkout(args: &[String]) -> Option<RuleId> {
    let mut positionals = 0;
    let mut i = 0;
    while let Some(a) = args.get(i) {
        i += 1;
        match a.as_str() {
            "--" => {
                return (i < args.len()).then_some(RuleId::GitCheckoutPaths);
            }
            "-f" | "--force" => return Some(RuleId::GitCheckoutPaths),
            "-b" | "-B" | "--orphan" => i += 1,
            s if s.starts_with("--pathspec-from-file") => return Some(RuleId::GitCheckoutPaths),
            s if s.starts_with("--") => {}
            s => {
                if let Some(c) = cluster(s) {
                    for ch in c.chars() {
                        match ch {
                            'f' => return Some(RuleId::GitCheckoutPaths),
                            // -b/-B take the branch name (glued or next).
                            'b' | 'B' => {
                                if c.ends_with(ch) {
                                    i += 1;
                                }
                                break;
                            }
                            _ => {}
                        }
                    }
                } else {
                    if looks_like_path(s) {
                        return Some(RuleId::GitCheckoutPaths);
                    }
                    positionals += 1;
                }
            }
        }
    }
    // `git checkout <commit> <path>` without `--` still checks out paths.
    (positionals > 1).then_some(RuleId::GitCheckoutPaths)
}

fn switch(args: &[String]) -> Option<RuleId> {
    args.iter()
        .take_while(|a| *a != "--")
        .any(|a| {
            a == "--force"
                || long_is(a, "--discard-changes", 4)
                || cluster(a).is_some_and(|c| c.starts_with('f'))
        })
        .then_some(RuleId::GitCheckoutPaths)
}

fn restore(args: &[String]) -> Option<RuleId> {
    let (mut staged, mut worktree, mut paths) = (false, false, 0);
    let mut i = 0;
    let mut after_dd = false;
    while let Some(a) = args.get(i) {
        i += 1;
        if after_dd {
            paths += 1;
            continue;
        }
        match a.as_str() {
            "--" => after_dd = true,
            "--staged" => staged = true,
            "--worktree" => worktree = true,
            "--source" => i += 1,
            s if s.starts_with("--pathspec-from-file") => paths += 1,
            s if s.starts_with("--") => {}
            s => match cluster(s) {
                Some(c) => {
                    for ch in c.chars() {
                        match ch {
                            'S' => staged = true,
                            'W' => worktree = true,
                            's' => {
                                if c.ends_with('s') {
                                    i += 1;
                                }
                                break;
                            }
                            _ => {}
                        }
                    }
                }
                None => paths += 1,
            },
        }
    }
    (paths > 0 && (worktree || !staged)).then_some(RuleId::GitRestoreWorktree)
}

fn clean(args: &[String], unforced: bool) -> Option<RuleId> {
    let (mut force, mut dry) = (unforced, false);
    let mut i = 0;
    while let Some(a) = args.get(i) {
        i += 1;
        match a.as_str() {
            "--" => break,
            "--force" => force = true,
            "--dry-run" => dry = true,
            "--exclude" => i += 1,
            s => {
                if let Some(c) = cluster(s) {
                    for ch in c.chars() {
                        match ch {
                            'f' => force = true,
                            'n' => dry = true,
                            'e' => {
                                if c.ends_with('e') {
                                    i += 1;
                                }
                                break;
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
    }
    (force && !dry).then_some(RuleId::GitCleanForce)
}

fn push(args: &[String]) -> Option<RuleId> {
    let mut i = 0;
    while let Some(a) = args.get(i) {
        i += 1;
        match a.as_str() {
            "--force" | "--mirror" => return Some(RuleId::GitPushForce),
            "-o" | "--push-option" | "--repo" | "--receive-pack" | "--exec" => i += 1,
            s if s.starts_with("--") => {}
            s if s.starts_with('+') => return Some(RuleId::GitPushForce),
            s => {
                if let Some(c) = cluster(s) {
                    for ch in c.chars() {
                        match ch {
                            'f' => return Some(RuleId::GitPushForce),
                            'o' => {
                                if c.ends_with('o') {
                                    i += 1;
                                }
                                break;
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
    }
    None
}

fn branch(args: &[String]) -> Option<RuleId> {
    let (mut big_d, mut delete, mut force) = (false, false, false);
    for a in args.iter().take_while(|a| *a != "--") {
        match a.as_str() {
            "--delete" => delete = true,
            "--force" => force = true,
            s if s.starts_with("--") => {}
            s => {
                if let Some(c) = cluster(s) {
                    big_d |= c.contains('D');
                    delete |= c.contains('d');
                    force |= c.contains('f');
                }
            }
        }
    }
    (big_d || (delete && force)).then_some(RuleId::GitBranchForceDelete)
}

fn stash(args: &[String]) -> Option<RuleId> {
    let sub = args.iter().find(|a| !a.starts_with('-'))?;
    matches!(sub.as_str(), "drop" | "clear").then_some(RuleId::GitStashDrop)
}
