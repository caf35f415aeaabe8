//! Table tests of the safety rules: a hand-written table (`tests/cases.rs`) plus a generated
//! matrix that crosses every rule with every generic bypass class (`tests/matrix.rs`), a check
//! that each (rule, class) pair is covered, and no-panic tests on random and truncated input.
//! Failures name every failing case; nothing is printed.

mod cases;
mod matrix;

use std::collections::HashSet;
use std::path::PathBuf;

use serde_json::Value;

use super::{
    RuleId, SafetyContext, ToolCall, Verdict, check, check_claude_tool, check_codex_exec,
    check_codex_patch,
};

/// The bypass class (or purpose) of a case, for the coverage check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Class {
    /// The rule in its plain spelling (and spelling variants of its flags).
    Plain,
    /// Quotes and backslash escapes.
    Quoting,
    /// `$VAR`, `${VAR}`, `~` and tracked assignments.
    Var,
    /// `$(…)` and process substitution.
    Subst,
    Backtick,
    /// `sh -c`, `bash -lc`, `eval`, heredocs and `echo … |` fed to a shell.
    ShellC,
    Env,
    Command,
    Sudo,
    Timeout,
    Xargs,
    /// Other wrappers: `nice`, `nohup`, `time`, `exec`, `doas`, `watch`, `builtin`.
    OtherWrapper,
    /// `\git`, `/usr/bin/git`, `"git"`.
    GitPath,
    /// `git -C`, `git -c`, `--git-dir`, aliases.
    GitC,
    Refspec,
    LeaseForce,
    FindDelete,
    /// `;`, `&&`, `||`, `|`, `&`, newlines, subshells, groups: one bad segment is enough.
    Compound,
    /// Claude tool inputs through `check_claude_tool`.
    Claude,
    /// Codex payloads through `check_codex_exec` / `check_codex_patch`.
    Codex,
    /// Things the analysis must refuse to guess about.
    Unparsable,
    /// Ordinary work that must stay allowed.
    Normal,
}

/// What a case feeds to the rules.
#[derive(Clone, Debug)]
pub(super) enum Input {
    Shell(String),
    /// A shell command with the data dir under /tmp.
    ShellTmpData(String),
    Claude(&'static str, Value),
    CodexExec(Value),
    CodexPatch(Vec<String>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Exp {
    /// Allowed.
    A,
    /// Denied by this rule.
    D(RuleId),
    /// Unanalysable.
    U,
}

#[derive(Clone, Debug)]
pub(super) struct Case {
    pub(super) class: Class,
    pub(super) input: Input,
    pub(super) exp: Exp,
}

pub(super) fn ctx() -> SafetyContext {
    SafetyContext {
        cwd: PathBuf::from("/home/dev/proj"),
        home: PathBuf::from("/home/dev"),
        data_dir: PathBuf::from("/home/dev/.isomux"),
        temp_dirs: vec![
            PathBuf::from("/tmp"),
            PathBuf::from("/var/tmp"),
            PathBuf::from("/run/user/1000/tmp"),
        ],
    }
}

fn ctx_tmp_data() -> SafetyContext {
    SafetyContext {
        data_dir: PathBuf::from("/tmp/isomux-test/data/"),
        ..ctx()
    }
}

fn run(input: &Input) -> Verdict {
    match input {
        Input::Shell(s) => check(&ToolCall::Shell { command: s }, &ctx()),
        Input::ShellTmpData(s) => check(&ToolCall::Shell { command: s }, &ctx_tmp_data()),
        Input::Claude(tool, v) => check_claude_tool(tool, v, &ctx()),
        Input::CodexExec(v) => check_codex_exec(v, &ctx()),
        Input::CodexPatch(p) => check_codex_patch(p, &ctx()),
    }
}

fn matches(v: &Verdict, exp: Exp) -> bool {
    match (v, exp) {
        (Verdict::Allow, Exp::A) => true,
        (Verdict::Deny(d), Exp::D(r)) => d.rule == r,
        (Verdict::Unanalysable { .. }, Exp::U) => true,
        _ => false,
    }
}

fn describe(v: &Verdict) -> String {
    match v {
        Verdict::Allow => "allow".into(),
        Verdict::Deny(d) => format!("deny({})", d.rule.as_str()),
        Verdict::Unanalysable { reason } => format!("unanalysable ({reason})"),
    }
}

fn all_cases() -> Vec<Case> {
    let mut all = cases::cases();
    all.extend(matrix::cases());
    all
}

fn assert_table(table: &[Case]) {
    let failures: Vec<String> = table
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let got = run(&c.input);
            (!matches(&got, c.exp)).then(|| {
                format!(
                    "#{i} [{:?}] {:?}: expected {:?}, got {}",
                    c.class,
                    c.input,
                    c.exp,
                    describe(&got)
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} safety cases failed:\n{}",
        failures.len(),
        table.len(),
        failures.join("\n")
    );
}

#[test]
fn safety_hand_written_table() {
    let table = cases::cases();
    assert!(
        table.len() >= 200,
        "only {} hand-written cases",
        table.len()
    );
    assert_table(&table);
}

#[test]
fn safety_bypass_matrix() {
    assert_table(&matrix::cases());
}

/// Every rule is crossed with every generic bypass class, git rules with the git-specific
/// classes, and so on (design §11).
#[test]
fn safety_every_rule_crossed_with_every_bypass_class() {
    let covered: HashSet<(RuleId, Class)> = all_cases()
        .iter()
        .filter_map(|c| match c.exp {
            Exp::D(r) => Some((r, c.class)),
            _ => None,
        })
        .collect();
    let generic = [
        Class::Plain,
        Class::Quoting,
        Class::Var,
        Class::Subst,
        Class::Backtick,
        Class::ShellC,
        Class::Env,
        Class::Command,
        Class::Sudo,
        Class::Timeout,
        Class::Xargs,
        Class::OtherWrapper,
        Class::Compound,
        Class::Claude,
        Class::Codex,
    ];
    let git_rules = &RuleId::ALL[..7];
    let mut missing = Vec::new();
    for rule in RuleId::ALL {
        let mut classes = generic.to_vec();
        if git_rules.contains(&rule) {
            classes.extend([Class::GitPath, Class::GitC]);
        }
        if rule == RuleId::GitPushForce {
            classes.extend([Class::Refspec, Class::LeaseForce]);
        }
        if matches!(
            rule,
            RuleId::RmRecursiveForce | RuleId::RmRecursiveForceRoot
        ) {
            classes.push(Class::FindDelete);
        }
        for class in classes {
            if !covered.contains(&(rule, class)) {
                missing.push(format!("{} x {class:?}", rule.as_str()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "uncovered pairs: {}",
        missing.join(", ")
    );
}

#[test]
fn safety_denials_carry_rule_reason_and_hint() {
    for c in all_cases() {
        if let Verdict::Deny(d) = run(&c.input) {
            assert!(
                d.reason.contains(d.rule.as_str()) && !d.hint.is_empty(),
                "{:?}: {d:?}",
                c.input
            );
        }
    }
}

#[test]
fn safety_rule_ids_are_stable_and_distinct() {
    let ids: HashSet<&str> = RuleId::ALL.iter().map(|r| r.as_str()).collect();
    assert_eq!(ids.len(), RuleId::ALL.len());
    assert_eq!(RuleId::GitPushForce.as_str(), "git_push_force");
    assert_eq!(
        RuleId::RmRecursiveForceRoot.as_str(),
        "rm_recursive_force_root"
    );
}

/// A small deterministic generator (xorshift), so the test needs no extra crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn safety_never_panics_on_random_input() {
    let atoms = [
        "'",
        "\"",
        "\\",
        "$",
        "(",
        ")",
        "`",
        "{",
        "}",
        "[",
        "]",
        ";",
        "&",
        "|",
        "<",
        ">",
        "\n",
        " ",
        "\t",
        "#",
        "~",
        "*",
        "?",
        "=",
        "-",
        "/",
        ".",
        ",",
        "!",
        "$(",
        "${",
        "$((",
        "<<",
        "<<-",
        "<<<",
        "EOF",
        "rm",
        "-rf",
        "git",
        "reset",
        "--hard",
        "sh",
        "-c",
        "eval",
        "env",
        "sudo",
        "xargs",
        "find",
        "-delete",
        "-exec",
        "{}",
        "\\;",
        "cat",
        ".env",
        "~/.ssh/id_rsa",
        "$HOME",
        "/",
        "é",
        "\u{0}",
        "\r",
        "é\u{301}",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..4000 {
        let n = rng.below(40);
        let s: String = (0..n).map(|_| atoms[rng.below(atoms.len())]).collect();
        let _ = check(&ToolCall::Shell { command: &s }, &ctx());
        let argv: Vec<String> = s.split(' ').map(str::to_owned).collect();
        let _ = check(&ToolCall::Argv { argv: &argv }, &ctx());
        let _ = check(&ToolCall::Read { path: &s }, &ctx());
        let _ = check(&ToolCall::Write { path: &s }, &ctx());
        let _ = check(
            &ToolCall::Search {
                path: Some(&s),
                pattern: Some(&s),
            },
            &ctx(),
        );
    }
    for _ in 0..2000 {
        let n = rng.below(64);
        let bytes: Vec<u8> = (0..n).map(|_| (rng.next() & 0xff) as u8).collect();
        let s = String::from_utf8_lossy(&bytes);
        let _ = check(&ToolCall::Shell { command: &s }, &ctx());
        let _ = check_claude_tool("Glob", &serde_json::json!({ "pattern": s }), &ctx());
    }
}

#[test]
fn safety_never_panics_on_truncated_commands() {
    for c in all_cases() {
        let Input::Shell(s) = &c.input else { continue };
        for (i, _) in s.char_indices() {
            let _ = check(&ToolCall::Shell { command: &s[..i] }, &ctx());
            let _ = check(&ToolCall::Shell { command: &s[i..] }, &ctx());
        }
    }
}

#[test]
fn safety_deep_nesting_is_refused_not_overflowed() {
    let deep = [
        "$(".repeat(5000),
        "(".repeat(5000),
        "{ ".repeat(5000),
        "${".repeat(5000),
        "`".repeat(5001),
        format!("echo {}x{}", "$(echo ".repeat(60), ")".repeat(60)),
        "{a,".repeat(200) + &"}".repeat(200),
        format!("rm -rf {}", "{a,b}".repeat(40)),
    ];
    for s in &deep {
        let _ = check(&ToolCall::Shell { command: s }, &ctx());
    }
    // Shells in heredocs inside substitutions, as deep as the analysis allows and then some.
    let mut s = String::from("git reset --hard");
    for k in 0..40 {
        s = format!(
            "echo {}bash <<'E{k}'\n{s}\nE{k}\n{}",
            "$(".repeat(30),
            ")".repeat(30)
        );
    }
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || check(&ToolCall::Shell { command: &s }, &ctx()))
        .map(|h| h.join());
    let verdict = handle.ok().and_then(Result::ok);
    assert!(
        matches!(
            verdict,
            Some(Verdict::Unanalysable { .. } | Verdict::Deny(_))
        ),
        "{verdict:?}"
    );
}
