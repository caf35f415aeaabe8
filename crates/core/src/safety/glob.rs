//! The "pattern form" of expanded words and a small glob matcher. In pattern form, characters
//! that were quoted or escaped and would otherwise be special (`* ? [ ] { } , ~ \`) carry a
//! backslash, so `'*.pem'` (a literal name) and `*.pem` (a wildcard) stay apart. The matcher
//! handles `*`, `?`, `[…]` and backslash escapes on one path component; braces are expanded
//! first. It decides whether a pattern names secret files, it never lists a directory.

const SPECIAL: &str = "\\*?[]{},~";
const MAX_ALTERNATIVES: usize = 64;
/// Longer words with braces are not expanded (unknown), to keep the work bounded.
const MAX_BRACE_INPUT: usize = 4096;

/// Escapes every special character (a literal text in pattern form).
pub(crate) fn escape(s: &str) -> String {
    escape_set(s, SPECIAL)
}

/// Escapes special characters except the wildcards `* ? [ ]` (an unquoted variable's value).
pub(crate) fn escape_keep_glob(s: &str) -> String {
    escape_set(s, "\\{},~")
}

fn escape_set(s: &str, set: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if set.contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Removes the escapes of the pattern form: the literal text.
pub(crate) fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n) => out.push(n),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// True when the pattern has an unescaped `*`, `?` or `[`.
pub(crate) fn has_glob(p: &str) -> bool {
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '*' | '?' | '[' => return true,
            _ => {}
        }
    }
    false
}

/// Position of the first unescaped `=` (for `--opt=value` and `NAME=value`).
pub(crate) fn find_unescaped(p: &str, wanted: char) -> Option<usize> {
    let mut it = p.char_indices();
    while let Some((i, c)) = it.next() {
        if c == '\\' {
            it.next();
        } else if c == wanted {
            return Some(i);
        }
    }
    None
}

/// Expands unescaped `{a,b}` alternatives (nested too). `None` when there would be too many to
/// look at, which callers treat as unknown.
pub(crate) fn expand_braces(p: &str) -> Option<Vec<String>> {
    if p.len() > MAX_BRACE_INPUT && p.contains('{') {
        return None;
    }
    let mut out = Vec::new();
    expand_into(p, &mut out, 0)?;
    Some(out)
}

fn expand_into(p: &str, out: &mut Vec<String>, depth: usize) -> Option<()> {
    if depth > 8 || out.len() >= MAX_ALTERNATIVES {
        return None;
    }
    let chars: Vec<char> = p.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '{' => {
                if let Some((close, commas)) = find_close(&chars, i)
                    && !commas.is_empty()
                {
                    let pre: String = chars[..i].iter().collect();
                    let post: String = chars[close + 1..].iter().collect();
                    let mut start = i + 1;
                    for &end in commas.iter().chain(std::iter::once(&close)) {
                        let alt: String = chars[start..end].iter().collect();
                        expand_into(&format!("{pre}{alt}{post}"), out, depth + 1)?;
                        start = end + 1;
                    }
                    return Some(());
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    out.push(p.to_owned());
    Some(())
}

fn find_close(chars: &[char], open: usize) -> Option<(usize, Vec<usize>)> {
    let mut depth = 0usize;
    let mut commas = Vec::new();
    let mut j = open + 1;
    while j < chars.len() {
        match chars[j] {
            '\\' => j += 1,
            '{' => depth += 1,
            '}' if depth == 0 => return Some((j, commas)),
            '}' => depth -= 1,
            ',' if depth == 0 => commas.push(j),
            _ => {}
        }
        j += 1;
    }
    None
}

enum Tok {
    Ch(char),
    Any,
    Star,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

impl Tok {
    fn accepts(&self, c: char) -> bool {
        match self {
            Tok::Ch(x) => *x == c,
            Tok::Any => true,
            Tok::Star => false,
            Tok::Class { negated, ranges } => {
                ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated
            }
        }
    }
}

fn tokens(p: &str) -> Vec<Tok> {
    let chars: Vec<char> = p.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                toks.push(Tok::Ch(chars.get(i + 1).copied().unwrap_or('\\')));
                i += 2;
            }
            '*' => {
                if !matches!(toks.last(), Some(Tok::Star)) {
                    toks.push(Tok::Star);
                }
                i += 1;
            }
            '?' => {
                toks.push(Tok::Any);
                i += 1;
            }
            '[' => match class(&chars, i) {
                Some((tok, next)) => {
                    toks.push(tok);
                    i = next;
                }
                None => {
                    toks.push(Tok::Ch('['));
                    i += 1;
                }
            },
            c => {
                toks.push(Tok::Ch(c));
                i += 1;
            }
        }
    }
    toks
}

fn class(chars: &[char], open: usize) -> Option<(Tok, usize)> {
    let mut j = open + 1;
    let negated = matches!(chars.get(j), Some('!' | '^'));
    if negated {
        j += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let c = *chars.get(j)?;
        if c == ']' && !first {
            return Some((Tok::Class { negated, ranges }, j + 1));
        }
        first = false;
        let c = if c == '\\' {
            j += 1;
            *chars.get(j)?
        } else {
            c
        };
        if chars.get(j + 1) == Some(&'-') && chars.get(j + 2).is_some_and(|&h| h != ']') {
            let hi = chars[j + 2];
            ranges.push((c, hi));
            j += 3;
        } else {
            ranges.push((c, c));
            j += 1;
        }
    }
}

/// Does the one-component pattern match `name`? (`*` also matches a leading dot: this errs on
/// the side of "the pattern may name it".)
pub(crate) fn matches(pattern: &str, name: &str) -> bool {
    let toks = tokens(pattern);
    let s: Vec<char> = name.chars().collect();
    let (mut ti, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if let Some(t) = toks.get(ti) {
            if matches!(t, Tok::Star) {
                star = Some((ti, si));
                ti += 1;
                continue;
            }
            if t.accepts(s[si]) {
                ti += 1;
                si += 1;
                continue;
            }
        }
        match star {
            Some((st, ss)) => {
                ti = st + 1;
                si = ss + 1;
                star = Some((st, ss + 1));
            }
            None => return false,
        }
    }
    while matches!(toks.get(ti), Some(Tok::Star)) {
        ti += 1;
    }
    ti == toks.len()
}
