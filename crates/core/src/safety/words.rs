//! Expansion of parsed words against what is known statically. Quotes and escapes are removed;
//! `~`, `$HOME`, `$PWD`, `$TMPDIR` and variables assigned earlier in the same command line are
//! substituted; anything else (other variables, `$(…)`, `$1`, `${x:-y}`) makes the word
//! *dynamic*, which the rules treat as unknown wherever the value matters. The result is in the
//! pattern form of [`super::glob`].

use std::collections::HashMap;

use super::glob;
use super::paths::{Ctx, normalize};
use super::shell::{Part, Word};

/// An expanded word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Arg {
    /// Pattern form (see [`super::glob`]); unknown parts appear as written (`${NAME}`, `$(…)`).
    pub(crate) text: String,
    /// Holds a part whose value cannot be known.
    pub(crate) dynamic: bool,
}

impl Arg {
    /// A literal argument (from an argv, not from shell text).
    pub(crate) fn literal(s: &str) -> Arg {
        Arg {
            text: glob::escape(s),
            dynamic: false,
        }
    }

    /// The text with escapes removed.
    pub(crate) fn lit(&self) -> String {
        glob::unescape(&self.text)
    }

    /// Is this exactly the literal `s`?
    pub(crate) fn is(&self, s: &str) -> bool {
        !self.dynamic && self.lit() == s
    }

    /// The part after the first `=`, without tilde expansion.
    pub(crate) fn value_after_eq_raw(&self) -> Option<Arg> {
        let at = glob::find_unescaped(&self.text, '=')?;
        Some(Arg {
            text: self.text[at + 1..].to_owned(),
            dynamic: self.dynamic,
        })
    }

    /// The part after the first `=` (`--opt=value`, `if=value`), as its own argument.
    pub(crate) fn value_after_eq(&self, env: &Env) -> Option<Arg> {
        let at = glob::find_unescaped(&self.text, '=')?;
        let (text, dynamic) = expand_tilde(&self.text[at + 1..], env);
        Some(Arg {
            text,
            dynamic: self.dynamic || dynamic,
        })
    }
}

/// The shell state that matters for expansion, tracked along a command line.
#[derive(Debug, Clone)]
pub(crate) struct Env {
    /// The current directory, `None` once it cannot be known (`cd "$X"`).
    pub(crate) cwd: Option<String>,
    /// Variables assigned in the command line: `None` when the value is unknown.
    vars: HashMap<String, Option<String>>,
    /// Names exported to child processes (besides `HOME`, `PWD`, `TMPDIR`, always exported).
    exported: Vec<String>,
    home: String,
    tmpdir: Option<String>,
}

impl Env {
    pub(crate) fn new(cx: &Ctx) -> Env {
        Env {
            cwd: Some(cx.cwd.clone()),
            vars: HashMap::new(),
            exported: Vec::new(),
            home: cx.home.clone(),
            tmpdir: cx.tmpdir.clone(),
        }
    }

    pub(crate) fn lookup(&self, name: &str) -> Option<String> {
        if let Some(v) = self.vars.get(name) {
            return v.clone();
        }
        match name {
            "HOME" => Some(self.home.clone()),
            "PWD" => self.cwd.clone(),
            "TMPDIR" => self.tmpdir.clone(),
            _ => None,
        }
    }

    pub(crate) fn assign(&mut self, name: &str, value: Option<String>) {
        self.vars.insert(name.to_owned(), value);
    }

    pub(crate) fn export(&mut self, name: &str) {
        if !self.exported.iter().any(|n| n == name) {
            self.exported.push(name.to_owned());
        }
    }

    /// The environment a child process (`sh -c`) starts with: same directory, but variables
    /// that were not exported are unknown there (the child may see them unset).
    pub(crate) fn child(&self) -> Env {
        let mut e = self.clone();
        for (name, value) in &mut e.vars {
            let always = matches!(name.as_str(), "HOME" | "PWD" | "TMPDIR");
            if !always && !self.exported.contains(name) {
                *value = None;
            }
        }
        e
    }

    /// Applies `cd [dir]` (no argument: home; `-` or unknown: the cwd becomes unknown).
    pub(crate) fn cd(&mut self, target: Option<&Arg>) {
        self.cwd = match target {
            None => self.lookup("HOME"),
            Some(a) if a.dynamic || a.is("-") || glob::has_glob(&a.text) => None,
            Some(a) => {
                let lit = a.lit();
                if lit.starts_with('/') {
                    Some(normalize(&lit, "/"))
                } else {
                    self.cwd.as_deref().map(|c| normalize(&lit, c))
                }
            }
        };
    }
}

/// Expands a word.
pub(crate) fn resolve(w: &Word, env: &Env) -> Arg {
    let mut text = String::new();
    let mut dynamic = false;
    for p in &w.parts {
        match p {
            Part::Lit { text: t, quoted } => {
                if *quoted {
                    text.push_str(&glob::escape(t));
                } else {
                    text.push_str(t);
                }
            }
            Part::Var { name, quoted } => match env.lookup(name) {
                Some(v) if *quoted => text.push_str(&glob::escape(&v)),
                Some(v) => text.push_str(&glob::escape_keep_glob(&v)),
                None => {
                    dynamic = true;
                    text.push_str(&glob::escape(&format!("${{{name}}}")));
                }
            },
            Part::Dynamic(d) => {
                dynamic = true;
                text.push_str(&glob::escape(d));
            }
            Part::Subst(_) => {
                dynamic = true;
                text.push_str(&glob::escape("$(…)"));
            }
        }
    }
    let (text, tilde_unknown) = expand_tilde(&text, env);
    Arg {
        text,
        dynamic: dynamic || tilde_unknown,
    }
}

/// Expands an unquoted leading `~` (`~`, `~/…`, `~+`) in pattern form. `~user` and `~-` are
/// unknown (the flag).
pub(crate) fn expand_tilde(text: &str, env: &Env) -> (String, bool) {
    if !text.starts_with('~') {
        return (text.to_owned(), false);
    }
    let end = text.find('/').unwrap_or(text.len());
    let base = match &text[1..end] {
        "" => env.lookup("HOME"),
        "+" => env.cwd.clone(),
        _ => None,
    };
    match base {
        Some(b) => (format!("{}{}", glob::escape(&b), &text[end..]), false),
        None => (text.to_owned(), true),
    }
}

/// `NAME=value` at the start of a word (an assignment when it precedes the command).
pub(crate) fn assignment(w: &Word) -> Option<String> {
    let Some(Part::Lit {
        text,
        quoted: false,
    }) = w.parts.first()
    else {
        return None;
    };
    let (name, _) = text.split_once('=')?;
    super::shell::is_name(name).then(|| name.to_owned())
}
