//! Safety rules for agents' tool calls: one pure module for both backends. Claude asks through
//! PreToolUse hooks ([`check_claude_tool`]), Codex through its exec and patch approval requests
//! ([`check_codex_exec`], [`check_codex_patch`]).
//!
//! The rules ([`RuleId`]): destructive git, `rm -rf` outside temp dirs (with a stronger message
//! for `/`, `~` and top-level directories), any write into the office's data dir, and reads of
//! secret files. Shell commands are parsed, not pattern-matched: every segment of a compound
//! command is checked and any denied segment denies the whole command; quotes and escapes are
//! removed before matching; `sh -c`, `eval`, `$(…)` and backticks are looked into; wrappers such
//! as `env`, `sudo`, `timeout` and `xargs` are stripped. What cannot be seen through is
//! [`Verdict::Unanalysable`], and the caller fails closed (deny in `auto`, ask otherwise).
//!
//! Threat model: accidents and naive prompt injection, not a sandbox. There is no IO here: paths
//! are normalized lexically against the [`SafetyContext`], the filesystem is never touched.

mod commands;
mod find;
mod git;
mod glob;
mod outcome;
mod paths;
mod programs;
mod rm;
mod secrets;
mod shell;
mod tools;
mod words;
mod wrappers;
mod writes;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

use outcome::Outcome;
use paths::Ctx;

/// What the rules need to know about the agent's surroundings. All paths should be absolute;
/// they are normalized lexically (never canonicalized on disk).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafetyContext {
    /// The working directory of the tool call; relative paths are resolved against it.
    pub cwd: PathBuf,
    /// The agent's home directory (`~`, `$HOME`).
    pub home: PathBuf,
    /// The office's effective data dir (`--data-dir` > `$ISOMUX_HOME` > `~/.isomux`).
    pub data_dir: PathBuf,
    /// Directories where `rm -rf` is fine (e.g. `/tmp`, `/var/tmp`, the agent's `$TMPDIR`). The
    /// last entry is what `$TMPDIR` expands to, so put the agent's `$TMPDIR` last when it is set.
    pub temp_dirs: Vec<PathBuf>,
}

/// One tool call, in the shapes the backends receive.
#[derive(Debug, Clone, Copy)]
pub enum ToolCall<'a> {
    /// A shell command line (Claude's `Bash`, codex's string `command`).
    Shell {
        /// The command line, as the shell would receive it.
        command: &'a str,
    },
    /// An argument vector run without a shell (codex's array `command`, e.g.
    /// `["/bin/bash", "-lc", "git reset --hard"]`).
    Argv {
        /// The arguments, the program first.
        argv: &'a [String],
    },
    /// A file read (Claude's `Read`).
    Read {
        /// The path as given by the tool.
        path: &'a str,
    },
    /// A file write or edit (Claude's `Write`/`Edit`/`NotebookEdit`, codex's patch paths).
    Write {
        /// The path as given by the tool.
        path: &'a str,
    },
    /// A content or name search (Claude's `Grep`/`Glob`).
    Search {
        /// The directory or file searched, if given (else the cwd).
        path: Option<&'a str>,
        /// The file name pattern (Glob's `pattern`, Grep's `glob`), if any.
        pattern: Option<&'a str>,
    },
}

/// The answer of the rules for one tool call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No rule objects (the backend's usual permission flow still applies).
    Allow,
    /// A rule forbids the call.
    Deny(Denial),
    /// The call could not be analysed; fail closed (deny in `auto`, ask the human otherwise).
    Unanalysable {
        /// Why the call could not be analysed.
        reason: String,
    },
}

impl Verdict {
    /// True for [`Verdict::Allow`].
    pub fn is_allow(&self) -> bool {
        matches!(self, Verdict::Allow)
    }

    /// The rule that denied the call, if any.
    pub fn rule(&self) -> Option<RuleId> {
        match self {
            Verdict::Deny(d) => Some(d.rule),
            _ => None,
        }
    }
}

/// Why a call is denied and what to do instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// The rule that denied the call.
    pub rule: RuleId,
    /// What was blocked and why (names the rule).
    pub reason: String,
    /// What to do instead.
    pub hint: String,
}

impl Denial {
    /// Reason and hint in one sentence pair, for a hook's `permissionDecisionReason` or a
    /// declined approval shown to the model.
    pub fn message(&self) -> String {
        format!("{} {}", self.reason, self.hint)
    }
}

/// The safety rules, each with a stable snake_case id ([`RuleId::as_str`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum RuleId {
    /// `git reset --hard`.
    GitResetHard,
    /// `git checkout` that discards worktree changes (`-- paths`, `.`, `--force`; also
    /// `git switch --discard-changes`).
    GitCheckoutPaths,
    /// `git restore` of the worktree (without `--staged` only).
    GitRestoreWorktree,
    /// `git clean -f`.
    GitCleanForce,
    /// `git push --force`, `-f`, `--mirror` or a `+refspec` (`--force-with-lease` alone is fine).
    GitPushForce,
    /// `git branch -D` / `--delete --force`.
    GitBranchForceDelete,
    /// `git stash drop` / `git stash clear`.
    GitStashDrop,
    /// Recursive and forced `rm` (or `find -delete`) outside temp dirs.
    RmRecursiveForce,
    /// The same on `/`, `~`, an ancestor of `~` or a top-level directory.
    RmRecursiveForceRoot,
    /// Any write into the data dir.
    WriteDataDir,
    /// A read of a secret file.
    ReadSecret,
}

impl RuleId {
    /// Every rule, in declaration order.
    pub const ALL: [RuleId; 11] = [
        RuleId::GitResetHard,
        RuleId::GitCheckoutPaths,
        RuleId::GitRestoreWorktree,
        RuleId::GitCleanForce,
        RuleId::GitPushForce,
        RuleId::GitBranchForceDelete,
        RuleId::GitStashDrop,
        RuleId::RmRecursiveForce,
        RuleId::RmRecursiveForceRoot,
        RuleId::WriteDataDir,
        RuleId::ReadSecret,
    ];

    /// The stable snake_case id.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::GitResetHard => "git_reset_hard",
            RuleId::GitCheckoutPaths => "git_checkout_paths",
            RuleId::GitRestoreWorktree => "git_restore_worktree",
            RuleId::GitCleanForce => "git_clean_force",
            RuleId::GitPushForce => "git_push_force",
            RuleId::GitBranchForceDelete => "git_branch_force_delete",
            RuleId::GitStashDrop => "git_stash_drop",
            RuleId::RmRecursiveForce => "rm_recursive_force",
            RuleId::RmRecursiveForceRoot => "rm_recursive_force_root",
            RuleId::WriteDataDir => "write_data_dir",
            RuleId::ReadSecret => "read_secret",
        }
    }
}

/// Checks one tool call against every rule.
pub fn check(call: &ToolCall<'_>, ctx: &SafetyContext) -> Verdict {
    let cx = Ctx::new(ctx);
    let mut out = Outcome::default();
    match *call {
        ToolCall::Shell { command } => commands::check_shell(command, &cx, &mut out),
        ToolCall::Argv { argv } => commands::check_argv(argv, &cx, &mut out),
        ToolCall::Read { path } => tools::read(path, &cx, &mut out),
        ToolCall::Write { path } => tools::write(path, &cx, &mut out),
        ToolCall::Search { path, pattern } => tools::search(path, pattern, &cx, &mut out),
    }
    out.into_verdict()
}

/// Is this absolute path a secret file (keys, credentials, `.env`…) by the secret-file rule?
/// Used by the chat affordances (`read-file`, `diff`), which must not show one either.
pub fn is_secret_path(path: &str, home: &str) -> bool {
    secrets::is_secret_path(path, home)
}

/// Checks a Claude tool call as it arrives in a PreToolUse hook (`tool_name`, `tool_input`).
/// Maps `Bash`, `Read`, `Write`, `Edit`, `MultiEdit`, `NotebookEdit`, `Grep` and `Glob`; any
/// other tool (MCP tools, `WebFetch`, …) is allowed.
pub fn check_claude_tool(
    tool_name: &str,
    input: &serde_json::Value,
    ctx: &SafetyContext,
) -> Verdict {
    let cx = Ctx::new(ctx);
    let mut out = Outcome::default();
    tools::claude(tool_name, input, &cx, &mut out);
    out.into_verdict()
}

/// Checks a codex exec approval's `command`: a string (v2, e.g. `/bin/bash -lc '…'`) or an
/// argument array (legacy v1).
pub fn check_codex_exec(command: &serde_json::Value, ctx: &SafetyContext) -> Verdict {
    match command {
        serde_json::Value::String(s) => check(&ToolCall::Shell { command: s }, ctx),
        serde_json::Value::Array(items) => {
            let argv: Option<Vec<String>> = items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect();
            match argv {
                Some(argv) if !argv.is_empty() => check(&ToolCall::Argv { argv: &argv }, ctx),
                _ => Verdict::Unanalysable {
                    reason: "codex command array is empty or holds non-strings".into(),
                },
            }
        }
        _ => Verdict::Unanalysable {
            reason: "codex command is neither a string nor an array".into(),
        },
    }
}

/// Checks the paths a codex patch touches (each change's `path`, and `move_path` when present).
pub fn check_codex_patch(paths: &[String], ctx: &SafetyContext) -> Verdict {
    let cx = Ctx::new(ctx);
    let mut out = Outcome::default();
    for p in paths {
        tools::write(p, &cx, &mut out);
    }
    out.into_verdict()
}
