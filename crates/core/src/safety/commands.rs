//! Walks a parsed command line the way the shell would run it and hands every simple command to
//! the rules. It tracks the working directory (`cd`) and variables assigned along the way,
//! strips wrappers (see [`super::wrappers`]), and looks into `sh -c`/`bash -lc`, `eval`,
//! `$(…)`, backticks, process substitutions, heredocs fed to a shell, `echo … | sh`,
//! `find -exec` and git's `-c alias.x=!…`. Every pipeline of a compound command is checked and
//! the first denial wins over anything unanalysable.

use super::RuleId;
use super::find;
use super::git::{self, GitCheck};
use super::glob;
use super::outcome::{Outcome, clip};
use super::paths::{Ctx, Target, target};
use super::programs::{
    GIT_READERS, GIT_VALUES, NON_READING, PATTERN_FIRST, READER_VALUES, READERS, SHELLS,
};
use super::rm;
use super::secrets;
use super::shell::{self, Cmd, Part, Pipeline, Redir, RedirOp, Script, Simple, Word};
use super::words::{self, Arg, Env};
use super::wrappers::{self, Unwrapped};
use super::writes;

/// How many shells deep (`sh -c "sh -c …"`, `eval`) the analysis follows.
const MAX_DEPTH: usize = 24;
/// Longer command lines are not analysed.
const MAX_LEN: usize = 256 * 1024;

pub(crate) fn check_shell(src: &str, cx: &Ctx, out: &mut Outcome) {
    let mut env = Env::new(cx);
    Analyser { cx, out, depth: 0 }.text(src, &mut env);
}

pub(crate) fn check_argv(argv: &[String], cx: &Ctx, out: &mut Outcome) {
    let args: Vec<Arg> = argv.iter().map(|s| Arg::literal(s)).collect();
    let mut env = Env::new(cx);
    Analyser { cx, out, depth: 0 }.argv(&args, &mut env, &Seg::default());
}

/// What a command's standard input is, as far as a shell reading commands from it matters.
#[derive(Debug, Clone, Default)]
enum Stdin {
    #[default]
    Unknown,
    Text(String),
}

/// Facts about one command's place in its pipeline.
#[derive(Debug, Clone, Default)]
struct Seg {
    stdin: Stdin,
    /// A later part of the pipeline is `xargs <reader>`: names printed here get read there.
    feeds_xargs_reader: bool,
    /// `NAME=value` prefixes, exported to what this command starts.
    exported: Vec<(String, Option<String>)>,
}

/// Whether an argument names secret files.
#[derive(Debug, PartialEq, Eq)]
enum Hit {
    No,
    Yes,
    Unknown,
}

struct Analyser<'a> {
    cx: &'a Ctx,
    out: &'a mut Outcome,
    depth: usize,
}

fn joined(args: &[Arg]) -> String {
    clip(&args.iter().map(Arg::lit).collect::<Vec<_>>().join(" "))
}

fn program_name(a: &Arg) -> String {
    let lit = a.lit();
    lit.rsplit('/').next().unwrap_or(&lit).to_owned()
}

/// The text `echo` prints, when it is plain (no `-e` escapes, nothing computed).
fn echo_text(args: &[Arg]) -> Option<String> {
    let mut words = Vec::new();
    let mut options = true;
    for a in args {
        if a.dynamic {
            return None;
        }
        let s = a.lit();
        if options && (s == "-n" || s == "-E") {
            continue;
        }
        if options && s == "-e" {
            return None;
        }
        options = false;
        words.push(s);
    }
    Some(words.join(" "))
}

impl Analyser<'_> {
    /// Parses and walks shell text (one level deeper).
    fn text(&mut self, src: &str, env: &mut Env) {
        if self.depth >= MAX_DEPTH {
            self.out.unknown("shell commands are nested too deeply");
            return;
        }
        if src.len() > MAX_LEN {
            self.out.unknown("the command is too long");
            return;
        }
        match shell::parse(src) {
            Ok(script) => {
                self.depth += 1;
                self.script(&script, env);
                self.depth -= 1;
            }
            Err(e) => self
                .out
                .unknown(format!("the shell text cannot be parsed ({e})")),
        }
    }

    fn script(&mut self, s: &Script, env: &mut Env) {
        for p in &s.items {
            self.pipeline(p, env);
        }
    }

    fn pipeline(&mut self, p: &Pipeline, env: &mut Env) {
        if let [only] = p.cmds.as_slice() {
            self.command(only, env, Seg::default());
            return;
        }
        let programs: Vec<Option<(String, Vec<Arg>, bool)>> =
            p.cmds.iter().map(|c| peek_program(c, env)).collect();
        let xargs_reader = programs.iter().rposition(
            |p| matches!(p, Some((name, _, true)) if !NON_READING.contains(&name.as_str())),
        );
        for (i, c) in p.cmds.iter().enumerate() {
            let stdin = match i.checked_sub(1).and_then(|k| programs[k].as_ref()) {
                Some((name, args, false)) if name == "echo" => {
                    echo_text(args).map_or(Stdin::Unknown, Stdin::Text)
                }
                _ => Stdin::Unknown,
            };
            let seg = Seg {
                stdin,
                feeds_xargs_reader: xargs_reader.is_some_and(|j| i < j),
                exported: Vec::new(),
            };
            // Each part of a pipeline runs in a subshell: `cd` there does not last.
            let mut e = env.clone();
            self.command(c, &mut e, seg);
        }
    }

    fn command(&mut self, c: &Cmd, env: &mut Env, seg: Seg) {
        match c {
            Cmd::Simple(s) => self.simple(s, env, seg),
            Cmd::Group {
                body,
                subshell,
                redirs,
            } => {
                for r in redirs {
                    self.substitutions(&r.target, env);
                }
                self.redirs(redirs, env);
                if *subshell {
                    let mut e = env.clone();
                    self.script(body, &mut e);
                } else {
                    self.script(body, env);
                }
            }
        }
    }

    /// Walks the command substitutions inside a word (each runs in a subshell).
    fn substitutions(&mut self, w: &Word, env: &Env) {
        for p in &w.parts {
            if let Part::Subst(s) = p {
                let mut e = env.clone();
                self.script(s, &mut e);
            }
        }
    }

    fn simple(&mut self, s: &Simple, env: &mut Env, mut seg: Seg) {
        for w in &s.words {
            self.substitutions(w, env);
        }
        for r in &s.redirs {
            self.substitutions(&r.target, env);
            if let Some(w) = r
                .heredoc
                .as_ref()
                .and_then(|c| c.get())
                .and_then(|h| h.expanded.as_ref())
            {
                self.substitutions(w, env);
            }
        }
        let args: Vec<Arg> = s.words.iter().map(|w| words::resolve(w, env)).collect();
        self.redirs(&s.redirs, env);
        let n_assign = s
            .words
            .iter()
            .take_while(|w| words::assignment(w).is_some())
            .count();
        let assigns: Vec<(String, Option<String>)> = s.words[..n_assign]
            .iter()
            .zip(&args)
            .filter_map(|(w, a)| {
                let name = words::assignment(w)?;
                let v = a.value_after_eq(env)?;
                Some((name, (!v.dynamic).then(|| v.lit())))
            })
            .collect();
        if n_assign == args.len() {
            for (name, value) in assigns {
                env.assign(&name, value);
            }
            return;
        }
        seg.exported = assigns;
        if let Some(stdin) = stdin_from_redirs(&s.redirs, env) {
            seg.stdin = stdin;
        }
        self.argv(&args[n_assign..], env, &seg);
    }

    fn redirs(&mut self, redirs: &[Redir], env: &Env) {
        for r in redirs {
            let a = words::resolve(&r.target, env);
            let subject = format!("the redirection to `{}`", clip(&a.lit()));
            match r.op {
                RedirOp::Out => writes::judge(&a, false, &subject, env, self.cx, self.out),
                RedirOp::ReadWrite => {
                    writes::judge(&a, false, &subject, env, self.cx, self.out);
                    self.read_arg(&a, "<>", env, true);
                }
                RedirOp::DupOut => {
                    let fd =
                        !a.dynamic && (a.is("-") || a.lit().chars().all(|c| c.is_ascii_digit()));
                    if !fd {
                        writes::judge(&a, false, &subject, env, self.cx, self.out);
                    }
                }
                RedirOp::In => self.read_arg(&a, "<", env, true),
                RedirOp::DupIn | RedirOp::HereString | RedirOp::Heredoc => {}
            }
        }
    }

    /// Does `text` (pattern form) name secret files?
    fn secret(&self, text: &str, env: &Env) -> Hit {
        if text.contains("://") {
            return Hit::No;
        }
        let Some(alternatives) = glob::expand_braces(text) else {
            return Hit::Unknown;
        };
        let home = &self.cx.home;
        let hit = alternatives
            .iter()
            .any(|alt| match target(alt, env.cwd.as_deref()) {
                Target::Path(p) => secrets::is_secret_path(&p, home),
                Target::Glob { dir, rest } => secrets::glob_targets_secret(&dir, &rest, home),
                Target::Unknown(_) => {
                    secrets::name_pattern_is_secret(alt.rsplit('/').next().unwrap_or(alt))
                }
            });
        if hit { Hit::Yes } else { Hit::No }
    }

    /// Checks one argument read by `who`; `strict`: a computed value is unknown.
    fn read_arg(&mut self, a: &Arg, who: &str, env: &Env, strict: bool) {
        if a.dynamic {
            if strict && !a.lit().starts_with('-') {
                self.out.unknown(format!(
                    "`{who}` reads `{}`, which is computed at run time",
                    a.lit()
                ));
            }
            return;
        }
        let candidates = std::iter::once(a.clone()).chain(a.value_after_eq(env));
        for c in candidates {
            if c.dynamic {
                continue;
            }
            match self.secret(&c.text, env) {
                Hit::No => {}
                Hit::Yes => {
                    self.out.deny(
                        RuleId::ReadSecret,
                        &format!("`{who}` reading `{}`", clip(&c.lit())),
                    );
                }
                Hit::Unknown => self
                    .out
                    .unknown(format!("`{}` expands to too many paths", clip(&c.lit()))),
            }
        }
    }

    fn argv(&mut self, argv: &[Arg], env: &mut Env, seg: &Seg) {
        if seg.feeds_xargs_reader {
            let who = format!("{} | xargs", clip(&joined(argv)));
            for a in argv {
                self.read_arg(a, &who, env, false);
            }
        }
        match wrappers::unwrap(argv) {
            Unwrapped::Nothing => {}
            Unwrapped::Unknown(why) => self.out.unknown(why),
            Unwrapped::Script(text) => {
                let mut e = env.child();
                self.text(&text, &mut e);
            }
            Unwrapped::Run {
                start,
                via_xargs,
                chdir,
            } => {
                let Some(prog) = argv.get(start) else {
                    return;
                };
                if prog.dynamic {
                    self.out.unknown(format!(
                        "the program `{}` is computed at run time",
                        prog.lit()
                    ));
                    return;
                }
                let name = program_name(prog);
                let args = &argv[start + 1..];
                match chdir {
                    Some(dir) => {
                        let mut e = env.clone();
                        e.cd(Some(&dir));
                        self.program(&name, args, &mut e, seg, via_xargs);
                    }
                    None => self.program(&name, args, env, seg, via_xargs),
                }
            }
        }
    }

    fn program(&mut self, name: &str, args: &[Arg], env: &mut Env, seg: &Seg, via_xargs: bool) {
        match name {
            n if SHELLS.contains(&n) => {
                self.shell(name, args, env, seg);
                return;
            }
            "git" => {
                self.git(args, env);
                return;
            }
            "find" => {
                self.find(args, env);
                return;
            }
            "eval" => {
                match args.iter().find(|a| a.dynamic) {
                    Some(d) => self
                        .out
                        .unknown(format!("`eval` of `{}`, computed at run time", d.lit())),
                    None => {
                        let text = args.iter().map(Arg::lit).collect::<Vec<_>>().join(" ");
                        self.text(&text, env);
                    }
                }
                return;
            }
            "trap" => {
                // `trap 'cmd' EXIT` runs its first argument later, in this shell.
                match args.iter().find(|a| !a.lit().starts_with('-')) {
                    Some(a) if a.dynamic => self
                        .out
                        .unknown(format!("`trap` runs `{}`, computed at run time", a.lit())),
                    Some(a) => self.text(&a.lit(), &mut env.clone()),
                    None => {}
                }
                return;
            }
            "source" | "." => {
                let stdin_file = args.first().is_some_and(|a| {
                    ["/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"]
                        .iter()
                        .any(|p| a.is(p))
                });
                if stdin_file {
                    match &seg.stdin {
                        Stdin::Text(t) => self.text(t, env),
                        Stdin::Unknown => self
                            .out
                            .unknown(format!("`{name}` runs commands from its input")),
                    }
                }
            }
            "rm" => rm::check(args, via_xargs, env, self.cx, self.out),
            "cd" | "pushd" => {
                let ops = writes::operands(args, &[]);
                env.cd(ops.first().and_then(|&i| args.get(i)));
            }
            "popd" => env.cwd = None,
            "export" | "declare" | "typeset" | "local" | "readonly" => {
                for a in args {
                    let lit = a.lit();
                    if lit.starts_with('-') {
                        continue;
                    }
                    let name = lit.split_once('=').map_or(lit.as_str(), |(n, _)| n);
                    if !shell::is_name(name) {
                        continue;
                    }
                    if lit.contains('=') {
                        let v = a
                            .value_after_eq(env)
                            .filter(|v| !v.dynamic)
                            .map(|v| v.lit());
                        env.assign(name, v);
                    }
                    env.export(name);
                }
            }
            "unset" => {
                for a in args.iter().filter(|a| !a.lit().starts_with('-')) {
                    env.assign(&a.lit(), None);
                }
            }
            _ => {}
        }
        writes::check(name, args, env, self.cx, self.out);
        self.reads(name, args, env);
    }

    /// `sh -c 'text'` and friends; a shell reading a heredoc or `echo … |` runs that text.
    fn shell(&mut self, name: &str, args: &[Arg], env: &Env, seg: &Seg) {
        let mut i = 0;
        let (mut command_mode, mut from_stdin) = (false, false);
        while let Some(a) = args.get(i) {
            let s = a.lit();
            if a.dynamic {
                self.out
                    .unknown(format!("`{name}` argument `{s}` is computed at run time"));
                return;
            }
            if s == "--" || s == "-" {
                i += 1;
                break;
            }
            if let Some(long) = s.strip_prefix("--") {
                i += if matches!(long, "rcfile" | "init-file") {
                    2
                } else {
                    1
                };
                command_mode |= long == "command";
                continue;
            }
            if (s.starts_with('-') || s.starts_with('+')) && s.len() > 1 {
                i += 1;
                for ch in s.chars().skip(1) {
                    match ch {
                        'c' => command_mode = true,
                        's' => from_stdin = true,
                        'o' | 'O' => i += 1,
                        _ => {}
                    }
                }
                continue;
            }
            break;
        }
        let mut child = env.child();
        for (n, v) in &seg.exported {
            child.assign(n, v.clone());
            child.export(n);
        }
        if command_mode {
            match args.get(i) {
                Some(script) if script.dynamic => self.out.unknown(format!(
                    "`{name} -c` runs `{}`, computed at run time",
                    script.lit()
                )),
                Some(script) => self.text(&script.lit(), &mut child),
                None => self.out.unknown(format!("`{name} -c` without a command")),
            }
        } else if let (Some(file), false) = (args.get(i), from_stdin) {
            // A script file: its content is not visible here; reading a secret as one is.
            self.read_arg(file, name, env, false);
        } else {
            match &seg.stdin {
                Stdin::Text(t) => self.text(t, &mut child),
                Stdin::Unknown => self
                    .out
                    .unknown(format!("`{name}` reads the commands to run from its input")),
            }
        }
    }

    fn git(&mut self, args: &[Arg], env: &mut Env) {
        let subject = format!("`git {}`", joined(args));
        for text in git::config_commands(args) {
            let mut e = env.child();
            self.text(&text, &mut e);
        }
        match git::check(args) {
            GitCheck::Deny(rule) => self.out.deny(rule, &subject),
            GitCheck::Unknown(why) => self.out.unknown(why),
            GitCheck::ShellAlias(text) => {
                let mut e = env.child();
                self.text(&text, &mut e);
            }
            GitCheck::Clean { sub: None, .. } => {}
            GitCheck::Clean {
                sub: Some(sub),
                args: sub_args,
            } => {
                if !git::READ_ONLY.contains(&sub.as_str()) {
                    self.git_writes(&sub, args, &sub_args, &subject, env);
                }
                if GIT_READERS.contains(&sub.as_str()) {
                    self.git_reads(&sub, &sub_args, env);
                }
            }
        }
    }

    /// A git that changes files in the data dir (`git -C ~/.isomux …`, `git init`/`clone` there).
    fn git_writes(&mut self, sub: &str, args: &[Arg], sub_args: &[Arg], subject: &str, env: &Env) {
        // A computed `-C "$REPO"` is common and not what this rule is about: only literal
        // directories are judged.
        for dir in git::work_dirs(args).iter().filter(|d| !d.dynamic) {
            writes::judge(dir, false, subject, env, self.cx, self.out);
        }
        let ops = writes::operands(sub_args, GIT_VALUES);
        let target = match sub {
            "init" => ops.first(),
            "clone" => ops.get(1),
            _ => None,
        };
        if let Some(a) = target.and_then(|&i| sub_args.get(i)) {
            writes::judge(a, false, subject, env, self.cx, self.out);
        }
    }

    fn git_reads(&mut self, sub: &str, sub_args: &[Arg], env: &Env) {
        let mut ops = writes::operands(sub_args, GIT_VALUES);
        let by_option = sub_args.iter().any(|a| a.is("-e") || a.is("-f"));
        if sub == "grep" && !by_option && !ops.is_empty() {
            ops.remove(0);
        }
        let who = format!("git {sub}");
        for i in ops {
            let Some(a) = sub_args.get(i) else { continue };
            self.read_arg(a, &who, env, false);
            // `rev:path` names a file too.
            if let Some(at) = glob::find_unescaped(&a.text, ':') {
                let path = Arg {
                    text: a.text[at + 1..].to_owned(),
                    dynamic: a.dynamic,
                };
                if !path.text.is_empty() {
                    self.read_arg(&path, &who, env, false);
                }
            }
        }
    }

    fn find(&mut self, args: &[Arg], env: &Env) {
        let spec = find::parse(args);
        let roots = if spec.roots.is_empty() {
            vec![Arg::literal(".")]
        } else {
            spec.roots.clone()
        };
        let subject = format!("`find {}`", joined(args));
        if spec.delete {
            rm::judge(&roots, false, &subject, env, self.cx, self.out);
        }
        let names_secret = spec.names.iter().any(|n| {
            !n.dynamic && secrets::name_pattern_is_secret(n.text.rsplit('/').next().unwrap_or(""))
        });
        for exec in &spec.execs {
            // `{}` stands for what find found, under its start points.
            let inner: Vec<Arg> = exec
                .iter()
                .flat_map(|a| {
                    let lit = a.lit();
                    if lit.contains("{}") {
                        roots
                            .iter()
                            .map(|r| Arg {
                                text: glob::escape(&lit.replace("{}", &r.lit())),
                                dynamic: a.dynamic || r.dynamic,
                            })
                            .collect()
                    } else {
                        vec![a.clone()]
                    }
                })
                .collect();
            if names_secret {
                let reads = match wrappers::unwrap(&inner) {
                    Unwrapped::Run { start, .. } => inner
                        .get(start)
                        .is_some_and(|p| !NON_READING.contains(&program_name(p).as_str())),
                    _ => true,
                };
                if reads {
                    self.out.deny(RuleId::ReadSecret, &subject);
                }
            }
            let mut e = env.clone();
            self.argv(&inner, &mut e, &Seg::default());
        }
        for o in &spec.outputs {
            writes::judge(o, false, &subject, env, self.cx, self.out);
        }
    }

    /// Arguments that name secret files are reads, unless the command never reads content.
    fn reads(&mut self, name: &str, args: &[Arg], env: &Env) {
        if NON_READING.contains(&name) {
            return;
        }
        let mut skip: Vec<usize> = writes::destination(name, args).into_iter().collect();
        let pattern_first = PATTERN_FIRST.iter().find(|(n, _, _)| *n == name);
        let values: &[&str] = match pattern_first {
            Some((_, _, values)) => values,
            None => READER_VALUES
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(&[], |(_, v)| v),
        };
        if let Some((_, by, _)) = pattern_first {
            let by_option = args.iter().any(|a| {
                let lit = a.lit();
                by.iter()
                    .any(|o| lit == *o || lit.starts_with(&format!("{o}=")))
            });
            if !by_option && let Some(&first) = writes::operands(args, values).first() {
                skip.push(first);
            }
        }
        // Option values (`tail -n "$N"`) are still checked when literal, but a computed one is
        // not a file name.
        let option_values: Vec<usize> = args
            .iter()
            .enumerate()
            .filter(|(_, a)| values.iter().any(|v| a.is(v)))
            .map(|(i, _)| i + 1)
            .collect();
        let strict = READERS.contains(&name);
        for (i, a) in args.iter().enumerate() {
            if !skip.contains(&i) {
                self.read_arg(a, name, env, strict && !option_values.contains(&i));
            }
        }
    }
}

/// What a heredoc or here-string gives a command as input (`<` a file: unknown).
fn stdin_from_redirs(redirs: &[Redir], env: &Env) -> Option<Stdin> {
    let mut stdin = None;
    for r in redirs {
        match r.op {
            RedirOp::Heredoc => {
                stdin = Some(
                    r.heredoc
                        .as_ref()
                        .and_then(|c| c.get())
                        .map_or(Stdin::Unknown, |h| Stdin::Text(h.text.clone())),
                );
            }
            RedirOp::HereString => {
                let a = words::resolve(&r.target, env);
                stdin = Some(if a.dynamic {
                    Stdin::Unknown
                } else {
                    Stdin::Text(a.lit())
                });
            }
            RedirOp::In => stdin = Some(Stdin::Unknown),
            _ => {}
        }
    }
    stdin
}

/// The program a pipeline part runs, its arguments, and whether it runs through `xargs`.
fn peek_program(c: &Cmd, env: &Env) -> Option<(String, Vec<Arg>, bool)> {
    let Cmd::Simple(s) = c else { return None };
    let n_assign = s
        .words
        .iter()
        .take_while(|w| words::assignment(w).is_some())
        .count();
    let args: Vec<Arg> = s.words[n_assign..]
        .iter()
        .map(|w| words::resolve(w, env))
        .collect();
    match wrappers::unwrap(&args) {
        Unwrapped::Run {
            start, via_xargs, ..
        } => {
            let prog = args.get(start).filter(|p| !p.dynamic)?;
            Some((program_name(prog), args[start + 1..].to_vec(), via_xargs))
        }
        _ => None,
    }
}
