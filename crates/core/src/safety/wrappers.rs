//! Strips the commands that run another command (`env`, `command`, `builtin`, `exec`, `sudo`,
//! `doas`, `nice`, `nohup`, `time`, `timeout`, `xargs`, `stdbuf`, `setsid`, `ionice`,
//! `busybox`, `watch`) and the shell keywords that prefix one (`if`, `then`, `do`, `!`…), so the
//! rules see the real program. An option a wrapper does not know makes the command unknown:
//! guessing whether it takes a value could hide the real program.

use super::glob;
use super::shell::is_name;
use super::words::Arg;

/// What an argument vector really runs.
#[derive(Debug)]
pub(crate) enum Unwrapped {
    /// `argv[start..]` is the program and its arguments.
    Run {
        start: usize,
        /// Run through `xargs`: more arguments come from stdin.
        via_xargs: bool,
        /// A directory the wrapper changes to first (`env -C`, `sudo -D`).
        chdir: Option<Arg>,
    },
    /// The wrapper runs this shell text (`watch 'cmd'`, `env -S 'cmd'`).
    Script(String),
    /// Nothing runs (`command -v x`, a bare `xargs`, `fi`, the head of a `for` loop).
    Nothing,
    /// Cannot tell what runs (why).
    Unknown(String),
}

/// Options of one wrapper: short letters with and without a value, long names likewise.
struct Spec {
    short_value: &'static str,
    short_flags: &'static str,
    long_value: &'static [&'static str],
    long_flags: &'static [&'static str],
}

const SUDO: Spec = Spec {
    short_value: "ugCDhprtUTR",
    short_flags: "AbEeHiKklnPSsVv",
    long_value: &[
        "user",
        "group",
        "close-from",
        "chdir",
        "host",
        "prompt",
        "role",
        "type",
        "other-user",
        "command-timeout",
        "chroot",
    ],
    long_flags: &[
        "preserve-env",
        "login",
        "shell",
        "non-interactive",
        "stdin",
        "background",
        "set-home",
        "askpass",
        "bell",
        "preserve-groups",
        "reset-timestamp",
        "remove-timestamp",
        "list",
        "validate",
        "version",
    ],
};
const DOAS: Spec = Spec {
    short_value: "uC",
    short_flags: "nsL",
    long_value: &[],
    long_flags: &[],
};
const NICE: Spec = Spec {
    short_value: "n",
    short_flags: "0123456789",
    long_value: &["adjustment"],
    long_flags: &[],
};
const TIMEOUT: Spec = Spec {
    short_value: "sk",
    short_flags: "v",
    long_value: &["signal", "kill-after"],
    long_flags: &["preserve-status", "foreground", "verbose"],
};
const XARGS: Spec = Spec {
    short_value: "adEILnPs",
    short_flags: "0oprtxile",
    long_value: &[
        "arg-file",
        "delimiter",
        "max-args",
        "max-procs",
        "max-chars",
        "process-slot-var",
    ],
    long_flags: &[
        "null",
        "no-run-if-empty",
        "verbose",
        "interactive",
        "exit",
        "open-tty",
        "show-limits",
        "eof",
        "replace",
        "max-lines",
    ],
};
const TIME: Spec = Spec {
    short_value: "of",
    short_flags: "apqvV",
    long_value: &["output", "format"],
    long_flags: &["append", "portability", "quiet", "verbose"],
};
const STDBUF: Spec = Spec {
    short_value: "ioe",
    short_flags: "",
    long_value: &["input", "output", "error"],
    long_flags: &[],
};
const IONICE: Spec = Spec {
    short_value: "cn",
    short_flags: "t",
    long_value: &["class", "classdata"],
    long_flags: &["ignore"],
};
const SETSID: Spec = Spec {
    short_value: "",
    short_flags: "cfw",
    long_value: &[],
    long_flags: &["ctty", "fork", "wait"],
};
const EXEC: Spec = Spec {
    short_value: "a",
    short_flags: "cl",
    long_value: &[],
    long_flags: &[],
};
const COMMAND: Spec = Spec {
    short_value: "",
    short_flags: "pvV",
    long_value: &[],
    long_flags: &[],
};
const WATCH: Spec = Spec {
    short_value: "nq",
    short_flags: "bcdegtxprw",
    long_value: &["interval"],
    long_flags: &[
        "differences",
        "beep",
        "color",
        "no-color",
        "errexit",
        "chgexit",
        "no-title",
        "exec",
        "precise",
        "no-wrap",
    ],
};

/// Skips the options of wrapper `cmd` from `i`; returns the index after them and the short
/// flags seen.
fn skip_opts(
    argv: &[Arg],
    mut i: usize,
    spec: &Spec,
    cmd: &str,
) -> Result<(usize, String), String> {
    let mut seen = String::new();
    while let Some(a) = argv.get(i) {
        let s = a.lit();
        if a.dynamic {
            if s.starts_with('-') {
                return Err(format!("`{cmd}` option `{s}` is computed at run time"));
            }
            break;
        }
        if s == "--" {
            return Ok((i + 1, seen));
        }
        if !s.starts_with('-') || s == "-" {
            break;
        }
        if let Some(long) = s.strip_prefix("--") {
            let (name, has_value) = match long.split_once('=') {
                Some((n, _)) => (n, true),
                None => (long, false),
            };
            if spec.long_value.contains(&name) {
                i += if has_value { 1 } else { 2 };
            } else if spec.long_flags.contains(&name) {
                i += 1;
            } else {
                return Err(format!("`{cmd}` option `{s}` is not known"));
            }
            if name == "exec" {
                seen.push('x');
            }
            continue;
        }
        let mut takes_next = false;
        for (k, c) in s.chars().skip(1).enumerate() {
            if spec.short_value.contains(c) {
                seen.push(c);
                takes_next = k + 2 == s.chars().count();
                break;
            }
            if !spec.short_flags.contains(c) {
                return Err(format!("`{cmd}` option `{s}` is not known"));
            }
            seen.push(c);
            // xargs' -i, -l and -e take an optional value glued to them.
            if cmd == "xargs" && matches!(c, 'i' | 'l' | 'e') {
                break;
            }
        }
        i += if takes_next { 2 } else { 1 };
    }
    Ok((i, seen))
}

fn join_rest(argv: &[Arg], from: usize) -> Result<String, String> {
    let mut parts = Vec::new();
    for a in argv.get(from..).unwrap_or_default() {
        if a.dynamic {
            return Err(format!("`{}` is computed at run time", a.lit()));
        }
        parts.push(a.lit());
    }
    Ok(parts.join(" "))
}

/// Finds the program an argument vector runs.
pub(crate) fn unwrap(argv: &[Arg]) -> Unwrapped {
    match unwrap_inner(argv) {
        Ok(u) => u,
        Err(why) => Unwrapped::Unknown(why),
    }
}

fn unwrap_inner(argv: &[Arg]) -> Result<Unwrapped, String> {
    let mut i = 0;
    let mut via_xargs = false;
    let mut chdir = None;
    loop {
        let Some(a) = argv.get(i) else {
            return Ok(Unwrapped::Nothing);
        };
        if a.dynamic {
            // The analyser reports a computed program name itself.
            break;
        }
        let name = a.lit();
        let base = name.rsplit('/').next().unwrap_or(&name).to_owned();
        match base.as_str() {
            "!" | "if" | "then" | "else" | "elif" | "do" | "while" | "until" | "fi" | "done"
            | "esac" | "{" | "}" | "builtin" | "nohup" | "busybox" => i += 1,
            "for" | "select" => return Ok(Unwrapped::Nothing),
            "case" | "function" | "coproc" => {
                return Err(format!("`{base}` constructs are not analysed"));
            }
            "env" => {
                i += 1;
                while let Some(a) = argv.get(i) {
                    let s = a.lit();
                    if a.dynamic && s.starts_with('-') {
                        return Err(format!("`env` option `{s}` is computed at run time"));
                    }
                    match s.as_str() {
                        "-i"
                        | "-0"
                        | "-v"
                        | "-"
                        | "--ignore-environment"
                        | "--null"
                        | "--debug" => i += 1,
                        "-u" | "--unset" => i += 2,
                        "-C" | "--chdir" => {
                            chdir = argv.get(i + 1).cloned();
                            i += 2;
                        }
                        "-S" | "--split-string" => {
                            return join_rest(argv, i + 1).map(Unwrapped::Script);
                        }
                        "--" => {
                            i += 1;
                            break;
                        }
                        s if s.starts_with("--unset=") || (s.starts_with("-u") && s.len() > 2) => {
                            i += 1;
                        }
                        s if s.starts_with("--chdir=") || (s.starts_with("-C") && s.len() > 2) => {
                            let v = if s.starts_with("--") {
                                &s[8..]
                            } else {
                                &s[2..]
                            };
                            chdir = Some(Arg {
                                text: glob::escape(v),
                                dynamic: a.dynamic,
                            });
                            i += 1;
                        }
                        s if s.starts_with("--split-string=")
                            || (s.starts_with("-S") && s.len() > 2) =>
                        {
                            let v = if s.starts_with("--") {
                                &s[15..]
                            } else {
                                &s[2..]
                            };
                            let rest = join_rest(argv, i + 1)?;
                            return Ok(Unwrapped::Script(format!("{v} {rest}")));
                        }
                        s if s.starts_with('-') => {
                            return Err(format!("`env` option `{s}` is not known"));
                        }
                        s if s.split_once('=').is_some_and(|(n, _)| is_name(n)) => i += 1,
                        _ => break,
                    }
                }
            }
            "command" => {
                let (next, seen) = skip_opts(argv, i + 1, &COMMAND, "command")?;
                if seen.contains('v') || seen.contains('V') {
                    return Ok(Unwrapped::Nothing);
                }
                i = next;
            }
            "exec" => i = skip_opts(argv, i + 1, &EXEC, "exec")?.0,
            "sudo" => {
                let start = i + 1;
                let (next, seen) = skip_opts(argv, start, &SUDO, "sudo")?;
                if seen.contains('e') {
                    return Err("`sudo -e` edits files as root".into());
                }
                for (k, a) in argv.get(start..next).unwrap_or_default().iter().enumerate() {
                    let s = a.lit();
                    if s == "-D" || s == "--chdir" {
                        chdir = argv.get(start + k + 1).cloned();
                    }
                }
                i = next;
            }
            "doas" => i = skip_opts(argv, i + 1, &DOAS, "doas")?.0,
            "nice" => i = skip_opts(argv, i + 1, &NICE, "nice")?.0,
            "time" => i = skip_opts(argv, i + 1, &TIME, "time")?.0,
            "stdbuf" => i = skip_opts(argv, i + 1, &STDBUF, "stdbuf")?.0,
            "ionice" => i = skip_opts(argv, i + 1, &IONICE, "ionice")?.0,
            "setsid" => i = skip_opts(argv, i + 1, &SETSID, "setsid")?.0,
            "timeout" => {
                let (next, _) = skip_opts(argv, i + 1, &TIMEOUT, "timeout")?;
                // The duration comes next, then the command.
                i = next + 1;
            }
            "xargs" => {
                via_xargs = true;
                i = skip_opts(argv, i + 1, &XARGS, "xargs")?.0;
                if i >= argv.len() {
                    return Ok(Unwrapped::Nothing);
                }
            }
            "watch" => {
                let (next, seen) = skip_opts(argv, i + 1, &WATCH, "watch")?;
                if seen.contains('x') {
                    i = next;
                } else {
                    return join_rest(argv, next).map(Unwrapped::Script);
                }
            }
            _ => break,
        }
    }
    Ok(Unwrapped::Run {
        start: i,
        via_xargs,
        chdir,
    })
}
