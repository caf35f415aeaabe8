//! The `rm -rf` rule: recursive and forced deletion in any spelling (`-rf`, `-fr`, `-r -f`,
//! `-Rf`, `--recursive --force`, abbreviations) is denied unless every target lies strictly
//! inside a temp dir. `/`, `~`, an ancestor of `~` and top-level directories get the stronger
//! rule; a target that is or holds the data dir gets the data-dir rule. `find -delete` and
//! `find -exec rm -rf` arrive here too.

use super::RuleId;
use super::glob;
use super::outcome::{Outcome, clip};
use super::paths::{Ctx, Reach, Target, glob_reach, is_rootish, target, within};
use super::words::{Arg, Env};

/// The flags and targets of one `rm`.
#[derive(Debug, Default)]
pub(crate) struct RmArgs {
    pub(crate) recursive: bool,
    pub(crate) force: bool,
    pub(crate) no_preserve_root: bool,
    pub(crate) targets: Vec<Arg>,
}

/// Parses `rm`'s arguments (GNU order: options may follow operands, until `--`).
pub(crate) fn parse(args: &[Arg]) -> RmArgs {
    let mut r = RmArgs::default();
    let mut after_dd = false;
    for a in args {
        let s = a.lit();
        if after_dd || a.dynamic || s == "-" || !s.starts_with('-') {
            r.targets.push(a.clone());
        } else if s == "--" {
            after_dd = true;
        } else if s.starts_with("--") {
            r.recursive |= s.len() >= 3 && "--recursive".starts_with(&s);
            r.force |= s.len() >= 3 && "--force".starts_with(&s);
            r.no_preserve_root |= s.len() >= 4 && "--no-preserve-root".starts_with(&s);
        } else {
            r.recursive |= s.contains(['r', 'R']);
            r.force |= s.contains('f');
        }
    }
    r
}

/// How bad deleting one target recursively would be.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Severity {
    Fine,
    Unknown(String),
    Outside,
    DataDir,
    Root,
}

/// Checks `rm` (the caller already stripped wrappers). `via_xargs`: more targets come from stdin.
pub(crate) fn check(args: &[Arg], via_xargs: bool, env: &Env, cx: &Ctx, out: &mut Outcome) {
    let r = parse(args);
    if !(r.recursive && r.force) {
        // Plain `rm` and `rm -r`: the data-dir rule still looks at the targets (writes.rs).
        return;
    }
    let subject = format!(
        "`rm {}`",
        clip(&args.iter().map(Arg::lit).collect::<Vec<_>>().join(" "))
    );
    if r.no_preserve_root {
        out.deny(RuleId::RmRecursiveForceRoot, &subject);
        return;
    }
    judge(&r.targets, via_xargs, &subject, env, cx, out);
}

/// Judges the targets of a recursive forced deletion.
pub(crate) fn judge(
    targets: &[Arg],
    unknown_more: bool,
    subject: &str,
    env: &Env,
    cx: &Ctx,
    out: &mut Outcome,
) {
    let mut worst = if unknown_more {
        Severity::Outside
    } else {
        Severity::Fine
    };
    for t in targets {
        let s = severity(t, env, cx);
        if s > worst {
            worst = s;
        }
    }
    match worst {
        Severity::Fine => {}
        Severity::Unknown(why) => out.unknown(format!("{subject}: {why}")),
        Severity::Outside => out.deny(RuleId::RmRecursiveForce, subject),
        Severity::DataDir => out.deny(RuleId::WriteDataDir, subject),
        Severity::Root => out.deny(RuleId::RmRecursiveForceRoot, subject),
    }
}

fn severity(t: &Arg, env: &Env, cx: &Ctx) -> Severity {
    if t.dynamic {
        return Severity::Unknown(format!("the target `{}` is computed at run time", t.lit()));
    }
    let Some(alternatives) = glob::expand_braces(&t.text) else {
        return Severity::Unknown(format!(
            "the target `{}` expands to too many paths",
            t.lit()
        ));
    };
    let mut worst = Severity::Fine;
    for alt in alternatives {
        if glob::unescape(&alt).is_empty() {
            continue;
        }
        let s = match target(&alt, env.cwd.as_deref()) {
            Target::Unknown(why) => Severity::Unknown(why.to_owned()),
            Target::Path(p) => {
                if is_rootish(&p, &cx.home) {
                    Severity::Root
                } else if within(&p, &cx.data_dir) || within(&cx.data_dir, &p) {
                    Severity::DataDir
                } else if cx.in_temp(&p) {
                    Severity::Fine
                } else {
                    Severity::Outside
                }
            }
            Target::Glob { dir, rest } => {
                if is_rootish(&dir, &cx.home) && !cx.temp_dirs.contains(&dir) {
                    Severity::Root
                } else if glob_reach(&dir, &rest, &cx.data_dir) != Reach::Apart {
                    Severity::DataDir
                } else if cx.temp_or_in_temp(&dir) {
                    Severity::Fine
                } else {
                    Severity::Outside
                }
            }
        };
        if s > worst {
            worst = s;
        }
    }
    worst
}
