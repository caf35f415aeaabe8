//! Shell lexer and parser for the safety rules: turns a command line into pipelines of simple
//! commands whose words keep quoting, variables and substitutions apart, so the rules see what
//! the shell would run. It understands quotes, backslash escapes and line continuations, `$(…)`,
//! backticks, `${…}`, `$'…'`, process substitution, redirections, heredocs, subshells, `{ …; }`
//! groups, `;`, `&&`, `||`, `|`, `&` and newlines. It refuses (returns an error) what it cannot
//! see through: unbalanced quotes or parentheses, unterminated heredocs, function definitions,
//! arrays, arithmetic commands. It never expands or runs anything.

use std::cell::OnceCell;
use std::rc::Rc;

/// Deepest nesting of subshells, groups and substitutions accepted.
const MAX_NESTING: usize = 64;

/// A list of pipelines, in the order the shell runs them (`&&`, `||`, `;` and `&` are all just
/// separators here: every pipeline is checked).
#[derive(Debug, Default)]
pub(crate) struct Script {
    pub(crate) items: Vec<Pipeline>,
}

/// Commands joined by `|`.
#[derive(Debug)]
pub(crate) struct Pipeline {
    pub(crate) cmds: Vec<Cmd>,
}

#[derive(Debug)]
pub(crate) enum Cmd {
    Simple(Simple),
    /// `( … )` (a subshell) or `{ …; }`, with redirections after it.
    Group {
        body: Script,
        subshell: bool,
        redirs: Vec<Redir>,
    },
}

/// Words (assignments included) and redirections of one command.
#[derive(Debug, Default)]
pub(crate) struct Simple {
    pub(crate) words: Vec<Word>,
    pub(crate) redirs: Vec<Redir>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RedirOp {
    /// `<`
    In,
    /// `>`, `>>`, `>|`, `&>`, `&>>`
    Out,
    /// `<>`
    ReadWrite,
    /// `<&`
    DupIn,
    /// `>&`
    DupOut,
    /// `<<<`
    HereString,
    /// `<<`, `<<-`
    Heredoc,
}

#[derive(Debug)]
pub(crate) struct Redir {
    pub(crate) op: RedirOp,
    /// The file (or fd, or heredoc delimiter, or here-string).
    pub(crate) target: Word,
    /// The heredoc body, filled in when the parser reaches it after the next newline.
    pub(crate) heredoc: Option<Rc<OnceCell<Heredoc>>>,
}

#[derive(Debug)]
pub(crate) struct Heredoc {
    pub(crate) text: String,
    /// The body parsed for expansions, when the delimiter was unquoted.
    pub(crate) expanded: Option<Word>,
}

/// One shell word as a sequence of parts.
#[derive(Debug, Default)]
pub(crate) struct Word {
    pub(crate) parts: Vec<Part>,
}

#[derive(Debug)]
pub(crate) enum Part {
    /// Literal text; `quoted` when it came from quotes or a backslash escape.
    Lit { text: String, quoted: bool },
    /// `$NAME` or `${NAME}`.
    Var { name: String, quoted: bool },
    /// An expansion whose value cannot be known statically (`$1`, `$@`, `${x:-y}`, `$((…))`,
    /// `$'\x41'`), as written.
    Dynamic(String),
    /// `$(…)`, backticks, `<(…)`, `>(…)`: the inner script runs; its output is unknown.
    Subst(Script),
}

/// Parses a whole command line.
pub(crate) fn parse(src: &str) -> Result<Script, String> {
    Parser::new(src, 0).list(End::Eof)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    Eof,
    Paren,
    Brace,
}

struct Pending {
    delim: String,
    strip_tabs: bool,
    expand: bool,
    cell: Rc<OnceCell<Heredoc>>,
}

struct Parser {
    s: Vec<char>,
    i: usize,
    pending: Vec<Pending>,
    nesting: usize,
}

fn is_meta(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\n' | ';' | '&' | '|' | '(' | ')' | '<' | '>'
    )
}

fn push_lit(parts: &mut Vec<Part>, c: char, quoted: bool) {
    if let Some(Part::Lit { text, quoted: q }) = parts.last_mut()
        && *q == quoted
    {
        text.push(c);
        return;
    }
    parts.push(Part::Lit {
        text: c.to_string(),
        quoted,
    });
}

fn push_str(parts: &mut Vec<Part>, s: &str, quoted: bool) {
    if let Some(Part::Lit { text, quoted: q }) = parts.last_mut()
        && *q == quoted
    {
        text.push_str(s);
        return;
    }
    parts.push(Part::Lit {
        text: s.to_owned(),
        quoted,
    });
}

impl Parser {
    fn new(src: &str, nesting: usize) -> Parser {
        Parser {
            s: src.chars().collect(),
            i: 0,
            pending: Vec::new(),
            nesting,
        }
    }

    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }

    fn peek_at(&self, k: usize) -> Option<char> {
        self.s.get(self.i + k).copied()
    }

    fn enter(&mut self) -> Result<(), String> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            Err("the command is nested too deeply".into())
        } else {
            Ok(())
        }
    }

    fn leave(&mut self) {
        self.nesting = self.nesting.saturating_sub(1);
    }

    fn skip_blanks(&mut self) {
        loop {
            match self.peek() {
                Some(' ' | '\t') => self.i += 1,
                Some('\\') if self.peek_at(1) == Some('\n') => self.i += 2,
                _ => break,
            }
        }
    }

    fn skip_comment(&mut self) {
        if self.peek() == Some('#') {
            while let Some(c) = self.peek() {
                if c == '\n' {
                    break;
                }
                self.i += 1;
            }
        }
    }

    /// Is the next word exactly the reserved one-character word `c` (`{` or `}`)?
    fn at_reserved(&self, c: char) -> bool {
        self.peek() == Some(c) && self.peek_at(1).is_none_or(is_meta)
    }

    fn list(&mut self, end: End) -> Result<Script, String> {
        self.enter()?;
        let mut items = Vec::new();
        loop {
            self.skip_blanks();
            self.skip_comment();
            match self.peek() {
                None => {
                    if end != End::Eof {
                        return Err("unbalanced parenthesis or brace".into());
                    }
                    if let Some(p) = self.pending.first() {
                        return Err(format!("heredoc `{}` is not terminated", p.delim));
                    }
                    self.leave();
                    return Ok(Script { items });
                }
                Some('\n') => {
                    self.i += 1;
                    self.heredocs()?;
                }
                Some(';') => self.i += 1,
                Some('&') if self.peek_at(1) != Some('>') => self.i += 1,
                Some('|') if self.peek_at(1) == Some('|') => self.i += 2,
                Some('|') => return Err("a pipe without a command before it".into()),
                Some(')') => {
                    if end != End::Paren {
                        return Err("unbalanced `)`".into());
                    }
                    self.i += 1;
                    self.leave();
                    return Ok(Script { items });
                }
                Some('}') if end == End::Brace && self.at_reserved('}') => {
                    self.i += 1;
                    self.leave();
                    return Ok(Script { items });
                }
                Some(_) => items.push(self.pipeline()?),
            }
        }
    }

    fn pipeline(&mut self) -> Result<Pipeline, String> {
        let mut cmds = vec![self.command()?];
        loop {
            self.skip_blanks();
            if self.peek() != Some('|') || self.peek_at(1) == Some('|') {
                break;
            }
            self.i += 1;
            if self.peek() == Some('&') {
                self.i += 1;
            }
            loop {
                self.skip_blanks();
                self.skip_comment();
                if self.peek() != Some('\n') {
                    break;
                }
                self.i += 1;
                self.heredocs()?;
            }
            cmds.push(self.command()?);
        }
        Ok(Pipeline { cmds })
    }

    fn command(&mut self) -> Result<Cmd, String> {
        self.enter()?;
        self.skip_blanks();
        let cmd = if self.peek() == Some('(') {
            if self.peek_at(1) == Some('(') {
                return Err("arithmetic commands `((…))` are not analysed".into());
            }
            self.i += 1;
            let body = self.list(End::Paren)?;
            Cmd::Group {
                body,
                subshell: true,
                redirs: self.trailing_redirs()?,
            }
        } else if self.at_reserved('{') {
            self.i += 1;
            let body = self.list(End::Brace)?;
            Cmd::Group {
                body,
                subshell: false,
                redirs: self.trailing_redirs()?,
            }
        } else {
            Cmd::Simple(self.simple()?)
        };
        self.leave();
        Ok(cmd)
    }

    fn trailing_redirs(&mut self) -> Result<Vec<Redir>, String> {
        let mut redirs = Vec::new();
        loop {
            self.skip_blanks();
            match self.redir()? {
                Some(r) => redirs.push(r),
                None => return Ok(redirs),
            }
        }
    }

    fn simple(&mut self) -> Result<Simple, String> {
        let mut cmd = Simple::default();
        loop {
            self.skip_blanks();
            match self.peek() {
                None | Some('\n' | ';' | '|' | ')') => break,
                Some('&') if self.peek_at(1) != Some('>') => break,
                Some('(') => {
                    return Err(
                        "`(` inside a command (function definitions and arrays are not analysed)"
                            .into(),
                    );
                }
                Some('#') => {
                    self.skip_comment();
                    continue;
                }
                Some(_) => {}
            }
            if let Some(r) = self.redir()? {
                cmd.redirs.push(r);
                continue;
            }
            let start = self.i;
            let w = self.word()?;
            if self.i == start {
                return Err(format!("unexpected `{}`", self.peek().unwrap_or(' ')));
            }
            if !w.parts.is_empty() {
                cmd.words.push(w);
            }
        }
        if cmd.words.is_empty() && cmd.redirs.is_empty() {
            return Err("an empty command".into());
        }
        Ok(cmd)
    }

    /// A redirection at the cursor (with its optional fd number), or `None` (cursor unmoved).
    fn redir(&mut self) -> Result<Option<Redir>, String> {
        let mut j = self.i;
        while self.s.get(j).is_some_and(char::is_ascii_digit) {
            j += 1;
        }
        let at = |k: usize| self.s.get(j + k).copied();
        let (op, len, strip_tabs) = if j == self.i && at(0) == Some('&') && at(1) == Some('>') {
            (RedirOp::Out, if at(2) == Some('>') { 3 } else { 2 }, false)
        } else {
            match (at(0), at(1), at(2)) {
                (Some('<' | '>'), Some('('), _) => return Ok(None),
                (Some('<'), Some('<'), Some('<')) => (RedirOp::HereString, 3, false),
                (Some('<'), Some('<'), Some('-')) => (RedirOp::Heredoc, 3, true),
                (Some('<'), Some('<'), _) => (RedirOp::Heredoc, 2, false),
                (Some('<'), Some('>'), _) => (RedirOp::ReadWrite, 2, false),
                (Some('<'), Some('&'), _) => (RedirOp::DupIn, 2, false),
                (Some('<'), _, _) => (RedirOp::In, 1, false),
                (Some('>'), Some('>' | '|'), _) => (RedirOp::Out, 2, false),
                (Some('>'), Some('&'), _) => (RedirOp::DupOut, 2, false),
                (Some('>'), _, _) => (RedirOp::Out, 1, false),
                _ => return Ok(None),
            }
        };
        self.i = j + len;
        self.skip_blanks();
        let start = self.i;
        let target = self.word()?;
        if self.i == start || target.parts.is_empty() {
            return Err("a redirection without a target".into());
        }
        let mut heredoc = None;
        if op == RedirOp::Heredoc {
            let mut delim = String::new();
            let mut quoted = false;
            for p in &target.parts {
                match p {
                    Part::Lit { text, quoted: q } => {
                        delim.push_str(text);
                        quoted |= *q;
                    }
                    _ => return Err("a heredoc delimiter with expansions".into()),
                }
            }
            let cell = Rc::new(OnceCell::new());
            self.pending.push(Pending {
                delim,
                strip_tabs,
                expand: !quoted,
                cell: Rc::clone(&cell),
            });
            heredoc = Some(cell);
        }
        Ok(Some(Redir {
            op,
            target,
            heredoc,
        }))
    }

    /// Reads the bodies of the heredocs started on the line just ended.
    fn heredocs(&mut self) -> Result<(), String> {
        let pending = std::mem::take(&mut self.pending);
        for p in pending {
            let mut text = String::new();
            loop {
                if self.i >= self.s.len() {
                    return Err(format!("heredoc `{}` is not terminated", p.delim));
                }
                let start = self.i;
                while self.i < self.s.len() && self.s[self.i] != '\n' {
                    self.i += 1;
                }
                let mut line: String = self.s[start..self.i].iter().collect();
                if self.i < self.s.len() {
                    self.i += 1;
                }
                if p.strip_tabs {
                    line = line.trim_start_matches('\t').to_owned();
                }
                if line == p.delim {
                    break;
                }
                text.push_str(&line);
                text.push('\n');
            }
            let expanded = if p.expand {
                let mut sub = Parser::new(&text, self.nesting + 1);
                Some(Word {
                    parts: sub.dq_body(false)?,
                })
            } else {
                None
            };
            // Set exactly once: each pending heredoc is taken out of the list before this.
            let _ = p.cell.set(Heredoc { text, expanded });
        }
        Ok(())
    }

    fn word(&mut self) -> Result<Word, String> {
        let mut parts = Vec::new();
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' | '\n' | ';' | '&' | '|' | '(' | ')' => break,
                '<' | '>' => {
                    if self.peek_at(1) != Some('(') {
                        break;
                    }
                    self.i += 2;
                    let s = self.list(End::Paren)?;
                    parts.push(Part::Subst(s));
                }
                '\\' => match self.peek_at(1) {
                    Some('\n') => self.i += 2,
                    Some(n) => {
                        push_lit(&mut parts, n, true);
                        self.i += 2;
                    }
                    None => {
                        push_lit(&mut parts, '\\', true);
                        self.i += 1;
                    }
                },
                '\'' => {
                    self.i += 1;
                    let mut t = String::new();
                    loop {
                        match self.peek() {
                            None => return Err("an unbalanced single quote".into()),
                            Some('\'') => {
                                self.i += 1;
                                break;
                            }
                            Some(c) => {
                                t.push(c);
                                self.i += 1;
                            }
                        }
                    }
                    push_str(&mut parts, &t, true);
                }
                '"' => {
                    self.i += 1;
                    let inner = self.dq_body(true)?;
                    if inner.is_empty() {
                        push_str(&mut parts, "", true);
                    }
                    for p in inner {
                        match p {
                            Part::Lit { text, quoted } => push_str(&mut parts, &text, quoted),
                            p => parts.push(p),
                        }
                    }
                }
                '$' => self.dollar(&mut parts, false)?,
                '`' => {
                    let p = self.backtick()?;
                    parts.push(p);
                }
                c => {
                    push_lit(&mut parts, c, false);
                    self.i += 1;
                }
            }
        }
        Ok(Word { parts })
    }

    /// The inside of double quotes (up to the closing quote), or a heredoc body (to the end).
    fn dq_body(&mut self, until_quote: bool) -> Result<Vec<Part>, String> {
        let mut parts = Vec::new();
        loop {
            match self.peek() {
                None if until_quote => return Err("an unbalanced double quote".into()),
                None => return Ok(parts),
                Some('"') if until_quote => {
                    self.i += 1;
                    return Ok(parts);
                }
                Some('\\') => match self.peek_at(1) {
                    Some('\n') => self.i += 2,
                    Some(c @ ('$' | '`' | '"' | '\\')) => {
                        push_lit(&mut parts, c, true);
                        self.i += 2;
                    }
                    _ => {
                        push_lit(&mut parts, '\\', true);
                        self.i += 1;
                    }
                },
                Some('$') => self.dollar(&mut parts, true)?,
                Some('`') => {
                    let p = self.backtick()?;
                    parts.push(p);
                }
                Some(c) => {
                    push_lit(&mut parts, c, true);
                    self.i += 1;
                }
            }
        }
    }

    /// An expansion starting with `$` at the cursor.
    fn dollar(&mut self, parts: &mut Vec<Part>, in_dq: bool) -> Result<(), String> {
        match self.peek_at(1) {
            Some('(') if self.peek_at(2) == Some('(') => {
                self.i += 3;
                let start = self.i;
                let mut depth = 0usize;
                loop {
                    match self.peek() {
                        None => return Err("an unterminated `$((`".into()),
                        Some('(') => depth += 1,
                        Some(')') if depth == 0 => {
                            if self.peek_at(1) != Some(')') {
                                return Err("an unbalanced `$((…))`".into());
                            }
                            break;
                        }
                        Some(')') => depth -= 1,
                        Some(_) => {}
                    }
                    self.i += 1;
                }
                let inner: String = self.s[start..self.i].iter().collect();
                self.i += 2;
                if inner.contains("$(") || inner.contains('`') {
                    return Err("a command substitution inside `$((…))`".into());
                }
                parts.push(Part::Dynamic(format!("$(({inner}))")));
            }
            Some('(') => {
                self.i += 2;
                let s = self.list(End::Paren)?;
                parts.push(Part::Subst(s));
            }
            Some('{') => {
                self.i += 2;
                let start = self.i;
                let mut depth = 0usize;
                loop {
                    match self.peek() {
                        None => return Err("an unterminated `${`".into()),
                        Some('{') => depth += 1,
                        Some('}') if depth == 0 => break,
                        Some('}') => depth -= 1,
                        Some(_) => {}
                    }
                    self.i += 1;
                }
                let inner: String = self.s[start..self.i].iter().collect();
                self.i += 1;
                if is_name(&inner) {
                    parts.push(Part::Var {
                        name: inner,
                        quoted: in_dq,
                    });
                } else if inner.contains("$(") || inner.contains('`') {
                    return Err("a command substitution inside `${…}`".into());
                } else {
                    parts.push(Part::Dynamic(format!("${{{inner}}}")));
                }
            }
            Some('\'') if !in_dq => {
                self.i += 2;
                let mut t = String::new();
                loop {
                    match self.peek() {
                        None => return Err("an unbalanced `$'`".into()),
                        Some('\'') => {
                            self.i += 1;
                            break;
                        }
                        Some('\\') => {
                            t.push('\\');
                            if let Some(n) = self.peek_at(1) {
                                t.push(n);
                            }
                            self.i += 2;
                        }
                        Some(c) => {
                            t.push(c);
                            self.i += 1;
                        }
                    }
                }
                if t.contains('\\') {
                    parts.push(Part::Dynamic(format!("$'{t}'")));
                } else {
                    push_str(parts, &t, true);
                }
            }
            Some('"') if !in_dq => {
                self.i += 2;
                let inner = self.dq_body(true)?;
                if inner.is_empty() {
                    push_str(parts, "", true);
                }
                parts.extend(inner);
            }
            Some(c) if c == '_' || c.is_ascii_alphabetic() => {
                self.i += 1;
                let start = self.i;
                while self
                    .peek()
                    .is_some_and(|c| c == '_' || c.is_ascii_alphanumeric())
                {
                    self.i += 1;
                }
                parts.push(Part::Var {
                    name: self.s[start..self.i].iter().collect(),
                    quoted: in_dq,
                });
            }
            Some(c) if c.is_ascii_digit() || "@*#?-$!".contains(c) => {
                self.i += 2;
                parts.push(Part::Dynamic(format!("${c}")));
            }
            _ => {
                push_lit(parts, '$', in_dq);
                self.i += 1;
            }
        }
        Ok(())
    }

    /// A backtick substitution at the cursor: its text is unescaped and parsed on its own.
    fn backtick(&mut self) -> Result<Part, String> {
        self.i += 1;
        let mut t = String::new();
        loop {
            match self.peek() {
                None => return Err("an unbalanced backtick".into()),
                Some('`') => {
                    self.i += 1;
                    break;
                }
                Some('\\') => match self.peek_at(1) {
                    Some(c @ ('`' | '\\' | '$')) => {
                        t.push(c);
                        self.i += 2;
                    }
                    _ => {
                        t.push('\\');
                        self.i += 1;
                    }
                },
                Some(c) => {
                    t.push(c);
                    self.i += 1;
                }
            }
        }
        let mut sub = Parser::new(&t, self.nesting + 1);
        Ok(Part::Subst(sub.list(End::Eof)?))
    }
}

/// A shell variable name.
pub(crate) fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}
