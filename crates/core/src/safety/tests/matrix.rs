//! The generated half of the table: one plain command per rule, put through every generic
//! bypass (substitution, backticks, `sh -c`, wrappers, compound commands, Claude's Bash, codex's
//! `/bin/bash -lc` in string and array form). Each generated case must deny with the same rule.

use serde_json::json;

use super::{Case, Class, Exp, Input};
use crate::safety::RuleId::{self, *};

/// One plain denied command per rule (no quotes, so they nest in any quoting).
pub(super) const BASES: &[(RuleId, &str)] = &[
    (GitResetHard, "git reset --hard HEAD~1"),
    (GitCheckoutPaths, "git checkout -- src/main.rs"),
    (GitRestoreWorktree, "git restore src/main.rs"),
    (GitCleanForce, "git clean -fdx"),
    (GitPushForce, "git push --force origin main"),
    (GitBranchForceDelete, "git branch -D feature"),
    (GitStashDrop, "git stash drop"),
    (RmRecursiveForce, "rm -rf ./build"),
    (RmRecursiveForceRoot, "rm -rf ~/"),
    (WriteDataDir, "touch ~/.isomux/agents-summary.json"),
    (ReadSecret, "cat ~/.ssh/id_rsa"),
];

type Shell = fn(&str) -> String;

/// Shell-text bypasses of a base command.
const SHELL_FORMS: &[(Class, Shell)] = &[
    (Class::Plain, |b| b.to_owned()),
    (Class::Subst, |b| format!("echo \"$({b})\"")),
    (Class::Subst, |b| format!("x=$({b}) && echo ok")),
    (Class::Subst, |b| format!("diff <({b}) /dev/null")),
    (Class::Backtick, |b| format!("echo `{b}`")),
    (Class::Backtick, |b| format!("echo \"`{b}`\"")),
    (Class::ShellC, |b| format!("sh -c '{b}'")),
    (Class::ShellC, |b| format!("bash -lc \"{b}\"")),
    (Class::ShellC, |b| format!("zsh -c '{b}; echo done'")),
    (Class::ShellC, |b| format!("bash -c \"sh -c '{b}'\"")),
    (Class::ShellC, |b| format!("eval '{b}'")),
    (Class::ShellC, |b| format!("echo '{b}' | bash")),
    (Class::ShellC, |b| format!("bash <<'EOF'\n{b}\nEOF")),
    (Class::ShellC, |b| format!("sh -s <<< '{b}'")),
    (Class::Env, |b| format!("env FOO=1 {b}")),
    (Class::Env, |b| format!("env -i PATH=/usr/bin {b}")),
    (Class::Env, |b| format!("FOO=1 BAR=2 {b}")),
    (Class::Command, |b| format!("command {b}")),
    (Class::Command, |b| format!("command -p {b}")),
    (Class::Sudo, |b| format!("sudo {b}")),
    (Class::Sudo, |b| format!("sudo -u root -E -- {b}")),
    (Class::Timeout, |b| format!("timeout 30 {b}")),
    (Class::Timeout, |b| {
        format!("timeout -s KILL --kill-after=5 10s {b}")
    }),
    (Class::Xargs, |b| format!("echo x | xargs {b}")),
    (Class::Xargs, |b| {
        format!("printf 'a\\0' | xargs -0 -r -n1 {b}")
    }),
    (Class::OtherWrapper, |b| format!("nice -n 10 {b}")),
    (Class::OtherWrapper, |b| format!("nohup {b} &")),
    (Class::OtherWrapper, |b| format!("time {b}")),
    (Class::OtherWrapper, |b| format!("exec {b}")),
    (Class::OtherWrapper, |b| format!("watch -n 5 '{b}'")),
    (Class::OtherWrapper, |b| format!("doas {b}")),
    (Class::Compound, |b| format!("cargo test && {b}")),
    (Class::Compound, |b| format!("git status; {b}")),
    (Class::Compound, |b| format!("false || {b}")),
    (Class::Compound, |b| format!("echo start\n{b}\necho end")),
    (Class::Compound, |b| format!("ls | {b}")),
    (Class::Compound, |b| format!("sleep 1 & {b}")),
    (Class::Compound, |b| format!("(cd . && {b})")),
    (Class::Compound, |b| format!("{{ echo a; {b}; }}")),
    (Class::Compound, |b| format!("if true; then {b}; fi")),
];

pub(super) fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for &(rule, base) in BASES {
        let exp = Exp::D(rule);
        for (class, form) in SHELL_FORMS {
            out.push(Case {
                class: *class,
                input: Input::Shell(form(base)),
                exp,
            });
        }
        out.push(Case {
            class: Class::Claude,
            input: Input::Claude("Bash", json!({ "command": base, "description": "x" })),
            exp,
        });
        out.push(Case {
            class: Class::Codex,
            input: Input::CodexExec(json!(format!("/bin/bash -lc '{base}'"))),
            exp,
        });
        out.push(Case {
            class: Class::Codex,
            input: Input::CodexExec(json!(["/bin/bash", "-lc", base])),
            exp,
        });
        out.push(Case {
            class: Class::Codex,
            input: Input::CodexExec(json!(["/usr/bin/env", "bash", "-c", base])),
            exp,
        });
        let argv: Vec<&str> = base.split(' ').collect();
        if !base.contains('~') {
            out.push(Case {
                class: Class::Codex,
                input: Input::CodexExec(json!(argv)),
                exp,
            });
        }
    }
    out
}
