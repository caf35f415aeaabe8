//! The data-dir rule for shell commands: which arguments a command writes to (`tee`, `cp`/`mv`
//! destinations, `touch`, `mkdir`, `rm`, `chmod`, `sed -i`, `dd of=`, `sqlite3`, `curl -o`…)
//! and whether one lands in the data dir. Deleting or moving an ancestor of the data dir counts
//! too. Reads of the data dir are fine.

use super::RuleId;
use super::glob;
use super::outcome::{Outcome, clip};
use super::paths::{Ctx, Reach, Target, glob_reach, target, within};
use super::words::{Arg, Env};

/// Indices of operands: arguments that are not options nor option values. `with_value` lists
/// the options (exact spelling) whose value is the next argument.
pub(crate) fn operands(args: &[Arg], with_value: &[&str]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut after_dd = false;
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let s = a.lit();
        if after_dd || s == "-" || !s.starts_with('-') {
            out.push(i);
        } else if s == "--" {
            after_dd = true;
        } else if with_value.contains(&s.as_str()) {
            i += 1;
        }
        i += 1;
    }
    out
}

fn option_value(args: &[Arg], short: &str, long: &str, env: &Env) -> Option<Arg> {
    let mut found = None;
    for (i, a) in args.iter().enumerate() {
        let s = a.lit();
        if s == "--" {
            break;
        }
        if s == short || s == long {
            found = args.get(i + 1).cloned();
        } else if s.starts_with(&format!("{long}=")) {
            found = a.value_after_eq(env);
        }
    }
    found
}

/// The destination index of a copy-like command (`cp a b`, `mv a b c/`), when it has one.
pub(crate) fn destination(name: &str, args: &[Arg]) -> Option<usize> {
    let with_value: &[&str] = match name {
        "cp" | "mv" | "ln" | "install" => &[
            "-t",
            "--target-directory",
            "-S",
            "--suffix",
            "-m",
            "-o",
            "-g",
        ],
        "rsync" | "scp" => &["-e", "-i", "-P", "-F", "-o", "--rsh"],
        _ => return None,
    };
    if let Some(pos) = args
        .iter()
        .position(|a| a.is("-t") || a.is("--target-directory"))
    {
        return Some(pos + 1).filter(|&p| p < args.len());
    }
    if let Some(pos) = args
        .iter()
        .position(|a| a.lit().starts_with("--target-directory="))
    {
        return Some(pos);
    }
    let ops = operands(args, with_value);
    (ops.len() >= 2).then(|| ops[ops.len() - 1])
}

/// What a command writes: each argument with whether the write destroys it (deletion or move,
/// so an ancestor of the data dir counts too).
pub(crate) fn targets(name: &str, args: &[Arg], env: &Env) -> Vec<(Arg, bool)> {
    let pick = |idx: Vec<usize>, destructive: bool| -> Vec<(Arg, bool)> {
        idx.into_iter()
            .filter_map(|i| args.get(i).map(|a| (a.clone(), destructive)))
            .collect()
    };
    match name {
        "tee" => pick(operands(args, &[]), false),
        "touch" => pick(
            operands(args, &["-r", "-d", "-t", "--reference", "--date"]),
            false,
        ),
        "mkdir" => pick(operands(args, &["-m", "--mode"]), false),
        "truncate" => pick(
            operands(args, &["-s", "-r", "--size", "--reference"]),
            false,
        ),
        "rm" | "rmdir" | "unlink" => pick(operands(args, &[]), true),
        "shred" => pick(
            operands(args, &["-n", "-s", "--iterations", "--size"]),
            true,
        ),
        "chmod" | "chown" | "chgrp" => {
            let mut ops = operands(args, &[]);
            if !args.iter().any(|a| a.lit().starts_with("--reference")) && !ops.is_empty() {
                ops.remove(0);
            }
            pick(ops, true)
        }
        "cp" | "ln" | "install" | "rsync" => {
            if name == "install" && args.iter().any(|a| a.is("-d")) {
                return pick(operands(args, &["-m", "-o", "-g"]), false);
            }
            pick(destination(name, args).into_iter().collect(), false)
        }
        "mv" => {
            let dest = destination(name, args);
            let mut v = pick(dest.into_iter().collect(), false);
            let ops = operands(args, &["-t", "--target-directory", "-S", "--suffix"]);
            v.extend(pick(
                ops.into_iter().filter(|&i| Some(i) != dest).collect(),
                true,
            ));
            v
        }
        "sed" => {
            let in_place = args.iter().any(|a| {
                let s = a.lit();
                s.starts_with("--in-place")
                    || (s.starts_with('-') && !s.starts_with("--") && s.contains('i'))
            });
            if !in_place {
                return Vec::new();
            }
            let has_script_opt = args.iter().any(|a| {
                a.is("-e")
                    || a.is("-f")
                    || a.lit().starts_with("--expression")
                    || a.lit().starts_with("--file")
            });
            let mut ops = operands(args, &["-e", "-f", "-l", "--expression", "--file"]);
            if !has_script_opt && !ops.is_empty() {
                ops.remove(0);
            }
            pick(ops, false)
        }
        "perl" => {
            let in_place = args.iter().any(|a| {
                let s = a.lit();
                s.starts_with('-') && !s.starts_with("--") && s.contains('i')
            });
            if !in_place {
                return Vec::new();
            }
            pick(operands(args, &["-e", "-E", "-M", "-m", "-I"]), false)
        }
        "dd" => args
            .iter()
            .filter(|a| a.lit().starts_with("of="))
            .filter_map(|a| a.value_after_eq(env))
            .map(|a| (a, false))
            .collect(),
        "sqlite3" => {
            if args.iter().any(|a| a.is("-readonly")) {
                return Vec::new();
            }
            let ops = operands(
                args,
                &["-cmd", "-separator", "-newline", "-nullvalue", "-init"],
            );
            pick(ops.into_iter().take(1).collect(), false)
        }
        "curl" => option_value(args, "-o", "--output", env)
            .map(|a| vec![(a, false)])
            .unwrap_or_default(),
        "wget" => {
            let mut v = Vec::new();
            if let Some(a) = option_value(args, "-O", "--output-document", env) {
                v.push((a, false));
            }
            if let Some(a) = option_value(args, "-P", "--directory-prefix", env) {
                v.push((a, false));
            }
            v
        }
        _ => Vec::new(),
    }
}

/// Checks one write target against the data dir.
pub(crate) fn judge(
    arg: &Arg,
    destructive: bool,
    subject: &str,
    env: &Env,
    cx: &Ctx,
    out: &mut Outcome,
) {
    if arg.dynamic {
        out.unknown(format!(
            "{subject} writes to `{}`, which is computed at run time",
            arg.lit()
        ));
        return;
    }
    let Some(alternatives) = glob::expand_braces(&arg.text) else {
        out.unknown(format!(
            "{subject} writes to `{}`, too many paths",
            arg.lit()
        ));
        return;
    };
    for alt in alternatives {
        if glob::unescape(&alt).is_empty() {
            continue;
        }
        let hit = match target(&alt, env.cwd.as_deref()) {
            Target::Unknown(why) => {
                out.unknown(format!("{subject}: {why}"));
                false
            }
            Target::Path(p) => {
                within(&p, &cx.data_dir) || (destructive && within(&cx.data_dir, &p))
            }
            Target::Glob { dir, rest } => match glob_reach(&dir, &rest, &cx.data_dir) {
                Reach::Apart => false,
                Reach::Ancestor => destructive,
                Reach::Inside => true,
            },
        };
        if hit {
            out.deny(RuleId::WriteDataDir, subject);
            return;
        }
    }
}

/// Checks every write of a command (not its redirections, see the analyser).
pub(crate) fn check(name: &str, args: &[Arg], env: &Env, cx: &Ctx, out: &mut Outcome) {
    let targets = targets(name, args, env);
    if targets.is_empty() {
        return;
    }
    let subject = format!(
        "`{name} {}`",
        clip(&args.iter().map(Arg::lit).collect::<Vec<_>>().join(" "))
    );
    for (a, destructive) in &targets {
        judge(a, *destructive, &subject, env, cx, out);
    }
}
