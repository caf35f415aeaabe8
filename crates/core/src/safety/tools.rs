//! Claude's tool inputs (`Bash`, `Read`, `Write`, `Edit`, `MultiEdit`, `NotebookEdit`, `Grep`,
//! `Glob`) and the direct path calls (read, write, search) mapped onto the rules. Field names
//! follow the tools' input schemas as captured in `shared/protocols/fixtures`.

use serde_json::Value;

use super::RuleId;
use super::commands;
use super::glob;
use super::outcome::{Outcome, clip};
use super::paths::{Ctx, Target, target, tool_path, within};
use super::secrets;

enum Field<'a> {
    Absent,
    Str(&'a str),
    Other,
}

fn field<'a>(input: &'a Value, key: &str) -> Field<'a> {
    match input.get(key) {
        None | Some(Value::Null) => Field::Absent,
        Some(Value::String(s)) => Field::Str(s),
        Some(_) => Field::Other,
    }
}

/// A required string field, or an unknown outcome.
fn required<'a>(tool: &str, input: &'a Value, key: &str, out: &mut Outcome) -> Option<&'a str> {
    match field(input, key) {
        Field::Str(s) => Some(s),
        _ => {
            out.unknown(format!("a {tool} call without a string `{key}`"));
            None
        }
    }
}

/// An optional string field (`Ok(None)` when absent).
fn optional<'a>(
    tool: &str,
    input: &'a Value,
    key: &str,
    out: &mut Outcome,
) -> Result<Option<&'a str>, ()> {
    match field(input, key) {
        Field::Absent => Ok(None),
        Field::Str(s) => Ok(Some(s)),
        Field::Other => {
            out.unknown(format!("a {tool} call whose `{key}` is not a string"));
            Err(())
        }
    }
}

pub(crate) fn claude(tool: &str, input: &Value, cx: &Ctx, out: &mut Outcome) {
    match tool {
        "Bash" => {
            if let Some(c) = required(tool, input, "command", out) {
                commands::check_shell(c, cx, out);
            }
        }
        "Read" => {
            if let Some(p) = required(tool, input, "file_path", out) {
                read(p, cx, out);
            }
        }
        "NotebookRead" => {
            if let Some(p) = required(tool, input, "notebook_path", out) {
                read(p, cx, out);
            }
        }
        "Write" => {
            if let Some(p) = required(tool, input, "file_path", out) {
                write(p, cx, out);
            }
        }
        // An edit shows the model the edited region: it reads as much as it writes.
        "Edit" | "MultiEdit" => {
            if let Some(p) = required(tool, input, "file_path", out) {
                write(p, cx, out);
                read(p, cx, out);
            }
        }
        "NotebookEdit" => {
            if let Some(p) = required(tool, input, "notebook_path", out) {
                write(p, cx, out);
            }
        }
        "Grep" => {
            if let (Ok(path), Ok(glob)) = (
                optional(tool, input, "path", out),
                optional(tool, input, "glob", out),
            ) {
                search(path, glob, cx, out);
            }
        }
        "Glob" => {
            if let (Ok(path), Ok(pattern)) = (
                optional(tool, input, "path", out),
                optional(tool, input, "pattern", out),
            ) {
                search(path, pattern, cx, out);
            }
        }
        _ => {}
    }
}

pub(crate) fn read(path: &str, cx: &Ctx, out: &mut Outcome) {
    match tool_path(path, cx) {
        Err(why) => out.unknown(why),
        Ok(p) => {
            if secrets::is_secret_path(&p, &cx.home) {
                out.deny(RuleId::ReadSecret, &format!("reading `{}`", clip(&p)));
            }
        }
    }
}

pub(crate) fn write(path: &str, cx: &Ctx, out: &mut Outcome) {
    match tool_path(path, cx) {
        Err(why) => out.unknown(why),
        Ok(p) => {
            if within(&p, &cx.data_dir) {
                out.deny(RuleId::WriteDataDir, &format!("writing `{}`", clip(&p)));
            }
        }
    }
}

pub(crate) fn search(path: Option<&str>, pattern: Option<&str>, cx: &Ctx, out: &mut Outcome) {
    let base = match path.map(|p| tool_path(p, cx)) {
        None => cx.cwd.clone(),
        Some(Ok(b)) => b,
        Some(Err(why)) => {
            out.unknown(why);
            return;
        }
    };
    if path.is_some() && secrets::is_secret_path(&base, &cx.home) {
        out.deny(RuleId::ReadSecret, &format!("searching `{}`", clip(&base)));
        return;
    }
    let Some(pat) = pattern else { return };
    let full = if pat.starts_with('/') {
        pat.to_owned()
    } else if pat == "~" || pat.starts_with("~/") {
        format!("{}{}", cx.home, &pat[1..])
    } else {
        format!("{base}/{pat}")
    };
    let Some(alternatives) = glob::expand_braces(&full) else {
        out.unknown(format!(
            "the pattern `{}` expands to too many names",
            clip(pat)
        ));
        return;
    };
    let hit = alternatives
        .iter()
        .any(|alt| match target(alt, Some(&cx.cwd)) {
            Target::Path(p) => secrets::is_secret_path(&p, &cx.home),
            Target::Glob { dir, rest } => secrets::glob_targets_secret(&dir, &rest, &cx.home),
            Target::Unknown(_) => {
                secrets::name_pattern_is_secret(alt.rsplit('/').next().unwrap_or(alt))
            }
        });
    if hit {
        out.deny(
            RuleId::ReadSecret,
            &format!("searching for `{}`", clip(pat)),
        );
    }
}
