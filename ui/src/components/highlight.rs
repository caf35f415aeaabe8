//! Syntax highlighting for fenced code blocks: a small tokenizer (comments, strings, numbers,
//! keywords, literals, types and calls) with keyword tables for the languages agents write
//! most. Own code instead of a crate: the maintained pure-Rust highlighters ship regex engines
//! and grammar dumps that would multiply the wasm size for little gain in a chat.
//!
//! Output is escaped HTML with `<span class="hl-…">` around tokens; unknown languages come
//! back escaped and unhighlighted.

/// One language's lexical rules.
struct Lang {
    keywords: &'static [&'static str],
    literals: &'static [&'static str],
    line_comments: &'static [&'static str],
    block_comment: Option<(&'static str, &'static str)>,
    /// Quote characters that open a string.
    quotes: &'static [char],
    /// `$VAR` / `${VAR}` are variables (shells).
    dollar_vars: bool,
}

const RUST: Lang = Lang {
    keywords: &[
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
        "extern", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
        "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "type",
        "unsafe", "use", "where", "while", "yield",
    ],
    literals: &["true", "false", "None", "Some", "Ok", "Err"],
    line_comments: &["//"],
    block_comment: Some(("/*", "*/")),
    quotes: &['"'],
    dollar_vars: false,
};

const JS: Lang = Lang {
    keywords: &[
        "async",
        "await",
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "default",
        "delete",
        "do",
        "else",
        "export",
        "extends",
        "finally",
        "for",
        "from",
        "function",
        "if",
        "import",
        "in",
        "instanceof",
        "interface",
        "let",
        "new",
        "of",
        "return",
        "static",
        "switch",
        "this",
        "throw",
        "try",
        "type",
        "typeof",
        "var",
        "void",
        "while",
        "yield",
        "enum",
        "implements",
        "private",
        "public",
        "readonly",
    ],
    literals: &["true", "false", "null", "undefined", "NaN"],
    line_comments: &["//"],
    block_comment: Some(("/*", "*/")),
    quotes: &['"', '\'', '`'],
    dollar_vars: false,
};

const PYTHON: Lang = Lang {
    keywords: &[
        "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
        "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is",
        "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with",
        "yield", "self",
    ],
    literals: &["True", "False", "None"],
    line_comments: &["#"],
    block_comment: None,
    quotes: &['"', '\''],
    dollar_vars: false,
};

const SHELL: Lang = Lang {
    keywords: &[
        "if", "then", "else", "elif", "fi", "for", "in", "do", "done", "while", "until", "case",
        "esac", "function", "return", "local", "export", "set", "unset", "echo", "cd", "exit",
        "source", "sudo",
    ],
    literals: &["true", "false"],
    line_comments: &["#"],
    block_comment: None,
    quotes: &['"', '\''],
    dollar_vars: true,
};

const GO: Lang = Lang {
    keywords: &[
        "break",
        "case",
        "chan",
        "const",
        "continue",
        "default",
        "defer",
        "else",
        "fallthrough",
        "for",
        "func",
        "go",
        "goto",
        "if",
        "import",
        "interface",
        "map",
        "package",
        "range",
        "return",
        "select",
        "struct",
        "switch",
        "type",
        "var",
    ],
    literals: &["true", "false", "nil", "iota"],
    line_comments: &["//"],
    block_comment: Some(("/*", "*/")),
    quotes: &['"', '\'', '`'],
    dollar_vars: false,
};

const C_LIKE: Lang = Lang {
    keywords: &[
        "auto",
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "default",
        "delete",
        "do",
        "else",
        "enum",
        "extends",
        "extern",
        "final",
        "for",
        "goto",
        "if",
        "implements",
        "import",
        "include",
        "define",
        "inline",
        "interface",
        "namespace",
        "new",
        "package",
        "private",
        "protected",
        "public",
        "return",
        "sizeof",
        "static",
        "struct",
        "switch",
        "template",
        "this",
        "throw",
        "try",
        "typedef",
        "typename",
        "union",
        "using",
        "virtual",
        "void",
        "volatile",
        "while",
        "int",
        "char",
        "float",
        "double",
        "long",
        "short",
        "unsigned",
        "signed",
        "bool",
        "fun",
        "val",
        "var",
        "func",
        "let",
        "guard",
        "override",
    ],
    literals: &["true", "false", "null", "NULL", "nullptr", "nil"],
    line_comments: &["//"],
    block_comment: Some(("/*", "*/")),
    quotes: &['"', '\''],
    dollar_vars: false,
};

const DATA: Lang = Lang {
    keywords: &[],
    literals: &["true", "false", "null", "yes", "no", "on", "off"],
    line_comments: &["#"],
    block_comment: None,
    quotes: &['"', '\''],
    dollar_vars: false,
};

const SQL: Lang = Lang {
    keywords: &[
        "select",
        "from",
        "where",
        "insert",
        "into",
        "values",
        "update",
        "set",
        "delete",
        "create",
        "table",
        "index",
        "drop",
        "alter",
        "join",
        "left",
        "right",
        "inner",
        "outer",
        "on",
        "and",
        "or",
        "not",
        "null",
        "order",
        "by",
        "group",
        "having",
        "limit",
        "as",
        "primary",
        "key",
        "begin",
        "commit",
        "returning",
        "conflict",
        "do",
        "SELECT",
        "FROM",
        "WHERE",
        "INSERT",
        "INTO",
        "VALUES",
        "UPDATE",
        "SET",
        "DELETE",
        "CREATE",
        "TABLE",
        "INDEX",
        "DROP",
        "ALTER",
        "JOIN",
        "LEFT",
        "ON",
        "AND",
        "OR",
        "NOT",
        "NULL",
        "ORDER",
        "BY",
        "GROUP",
        "LIMIT",
        "AS",
        "PRIMARY",
        "KEY",
        "BEGIN",
        "COMMIT",
        "RETURNING",
    ],
    literals: &["true", "false", "TRUE", "FALSE"],
    line_comments: &["--"],
    block_comment: Some(("/*", "*/")),
    quotes: &['\'', '"'],
    dollar_vars: false,
};

fn lang(name: &str) -> Option<&'static Lang> {
    Some(match name.to_ascii_lowercase().as_str() {
        "rust" | "rs" => &RUST,
        "js" | "javascript" | "jsx" | "ts" | "typescript" | "tsx" | "mjs" | "cjs" => &JS,
        "py" | "python" | "python3" => &PYTHON,
        "sh" | "bash" | "shell" | "zsh" | "console" | "shellsession" => &SHELL,
        "go" | "golang" => &GO,
        "c" | "h" | "cpp" | "c++" | "cc" | "hpp" | "java" | "kotlin" | "kt" | "swift" | "cs"
        | "csharp" | "scala" | "dart" => &C_LIKE,
        "json" | "jsonc" | "toml" | "yaml" | "yml" | "ini" => &DATA,
        "sql" | "sqlite" | "postgres" => &SQL,
        _ => return None,
    })
}

/// The language named by a fence's info string (`rust,ignore` → `rust`).
pub fn fence_lang(info: &str) -> &str {
    info.split([',', ' ', '{'])
        .next()
        .unwrap_or_default()
        .trim()
}

/// Whether [`highlight`] knows the language.
pub fn known(name: &str) -> bool {
    name.eq_ignore_ascii_case("diff") || name.eq_ignore_ascii_case("patch") || lang(name).is_some()
}

/// Escaped HTML for `code` in language `name`, tokens wrapped in `hl-*` spans.
pub fn highlight(name: &str, code: &str) -> String {
    if name.eq_ignore_ascii_case("diff") || name.eq_ignore_ascii_case("patch") {
        return diff(code);
    }
    match lang(name) {
        Some(l) => tokens(l, code),
        None => escape(code),
    }
}

/// HTML-escape text (for element content).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    push_escaped(&mut out, s);
    out
}

fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

fn span(out: &mut String, class: &str, text: &str) {
    out.push_str("<span class=\"hl-");
    out.push_str(class);
    out.push_str("\">");
    push_escaped(out, text);
    out.push_str("</span>");
}

fn diff(code: &str) -> String {
    let mut out = String::with_capacity(code.len() * 2);
    for line in code.split_inclusive('\n') {
        let class = if line.starts_with("+++") || line.starts_with("---") {
            Some("meta")
        } else if line.starts_with('+') {
            Some("add")
        } else if line.starts_with('-') {
            Some("del")
        } else if line.starts_with("@@") {
            Some("meta")
        } else {
            None
        };
        match class {
            Some(c) => span(&mut out, c, line),
            None => push_escaped(&mut out, line),
        }
    }
    out
}

fn tokens(l: &Lang, code: &str) -> String {
    let mut out = String::with_capacity(code.len() * 2);
    let chars: Vec<(usize, char)> = code.char_indices().collect();
    let at = |i: usize| chars.get(i).map_or(code.len(), |c| c.0);
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        let rest = &code[pos..];
        // Comments.
        if let Some(lc) = l.line_comments.iter().find(|p| rest.starts_with(**p)) {
            // `#` starts a shell comment only at a word boundary (`a#b` is a word).
            let boundary = !lc.starts_with('#')
                || i == 0
                || chars[i - 1].1.is_whitespace()
                || matches!(chars[i - 1].1, ';' | '(' | '{');
            if boundary {
                let end = rest.find('\n').map_or(code.len(), |n| pos + n);
                span(&mut out, "com", &code[pos..end]);
                while i < chars.len() && chars[i].0 < end {
                    i += 1;
                }
                continue;
            }
        }
        if let Some((open, close)) = l.block_comment
            && rest.starts_with(open)
        {
            let end = rest[open.len()..]
                .find(close)
                .map_or(code.len(), |n| pos + open.len() + n + close.len());
            span(&mut out, "com", &code[pos..end]);
            while i < chars.len() && chars[i].0 < end {
                i += 1;
            }
            continue;
        }
        // Strings (with backslash escapes; a newline ends all but backtick and triple quotes).
        if l.quotes.contains(&c) {
            let triple = rest.starts_with(&format!("{c}{c}{c}"));
            let mut j = i + if triple { 3 } else { 1 };
            while let Some(&(_, d)) = chars.get(j) {
                if d == '\\' && !(l.dollar_vars && c == '\'') {
                    j += 2;
                    continue;
                }
                if d == '\n' && c != '`' && !triple {
                    break;
                }
                if d == c {
                    if !triple {
                        j += 1;
                        break;
                    }
                    if chars.get(j + 1).map(|x| x.1) == Some(c)
                        && chars.get(j + 2).map(|x| x.1) == Some(c)
                    {
                        j += 3;
                        break;
                    }
                }
                j += 1;
            }
            let j = j.min(chars.len());
            span(&mut out, "str", &code[pos..at(j)]);
            i = j;
            continue;
        }
        // Shell variables.
        if l.dollar_vars && c == '$' {
            let mut j = i + 1;
            if chars.get(j).map(|x| x.1) == Some('{') {
                while j < chars.len() && chars[j].1 != '}' && chars[j].1 != '\n' {
                    j += 1;
                }
                j = (j + 1).min(chars.len());
            } else {
                while j < chars.len() && (chars[j].1.is_alphanumeric() || chars[j].1 == '_') {
                    j += 1;
                }
            }
            if j > i + 1 {
                span(&mut out, "var", &code[pos..at(j)]);
                i = j;
                continue;
            }
        }
        // Numbers (not inside identifiers).
        if c.is_ascii_digit() {
            let mut j = i + 1;
            while j < chars.len()
                && (chars[j].1.is_ascii_alphanumeric() || chars[j].1 == '_' || chars[j].1 == '.')
            {
                // `1..2` is two numbers and a range.
                if chars[j].1 == '.' && chars.get(j + 1).map(|x| x.1) == Some('.') {
                    break;
                }
                j += 1;
            }
            span(&mut out, "num", &code[pos..at(j)]);
            i = j;
            continue;
        }
        // Words.
        if c.is_alphabetic() || c == '_' {
            let mut j = i + 1;
            while j < chars.len() && (chars[j].1.is_alphanumeric() || chars[j].1 == '_') {
                j += 1;
            }
            let word = &code[pos..at(j)];
            let next = chars[j..].iter().map(|x| x.1).find(|c| *c != ' ');
            let class = if l.keywords.contains(&word) {
                Some("kw")
            } else if l.literals.contains(&word) {
                Some("lit")
            } else if next == Some('(') || (next == Some('!') && std::ptr::eq(l, &RUST)) {
                Some("fn")
            } else if word.starts_with(|c: char| c.is_uppercase())
                && word.chars().any(char::is_lowercase)
            {
                Some("ty")
            } else {
                None
            };
            match class {
                Some(cl) => span(&mut out, cl, word),
                None => push_escaped(&mut out, word),
            }
            i = j;
            continue;
        }
        let end = at(i + 1);
        push_escaped(&mut out, &code[pos..end]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_tokens() {
        let h = highlight(
            "rust",
            "fn main() { let x = \"a<b\"; // hi\n println!(\"{x}\", 42); }",
        );
        assert!(h.contains("<span class=\"hl-kw\">fn</span>"), "{h}");
        assert!(h.contains("<span class=\"hl-kw\">let</span>"), "{h}");
        assert!(h.contains("<span class=\"hl-fn\">main</span>"), "{h}");
        assert!(
            h.contains("<span class=\"hl-str\">&quot;a&lt;b&quot;</span>"),
            "{h}"
        );
        assert!(h.contains("<span class=\"hl-com\">// hi</span>"), "{h}");
        assert!(h.contains("<span class=\"hl-num\">42</span>"), "{h}");
        assert!(h.contains("<span class=\"hl-fn\">println</span>"), "{h}");
    }

    #[test]
    fn python_and_shell() {
        let h = highlight(
            "py",
            "def f(x):\n    return None  # done\n'''doc\nstring'''",
        );
        assert!(h.contains("<span class=\"hl-kw\">def</span>"), "{h}");
        assert!(h.contains("<span class=\"hl-lit\">None</span>"), "{h}");
        assert!(h.contains("<span class=\"hl-com\"># done</span>"), "{h}");
        assert!(
            h.contains("<span class=\"hl-str\">'''doc\nstring'''</span>"),
            "{h}"
        );
        let h = highlight("bash", "echo \"$HOME\" a#b # c\nexport X=${Y}");
        assert!(h.contains("<span class=\"hl-kw\">echo</span>"), "{h}");
        assert!(h.contains("a#b "), "{h}");
        assert!(h.contains("<span class=\"hl-com\"># c</span>"), "{h}");
        assert!(h.contains("<span class=\"hl-var\">${Y}</span>"), "{h}");
    }

    #[test]
    fn everything_is_escaped_and_nothing_is_lost() {
        let src = "<script>alert('x')</script> /* <b> */ `t` & 1..2";
        for l in ["js", "rust", "c", "unknown", "diff", "sql", "py", "sh"] {
            let h = highlight(l, src);
            assert!(!h.contains("<script"), "{l}: {h}");
            assert!(!h.contains("<b>"), "{l}: {h}");
            // Stripping the spans and unescaping gives the source back.
            let plain = strip(&h);
            assert_eq!(plain, src, "{l}");
        }
    }

    #[test]
    fn unterminated_strings_and_comments_end_at_the_end() {
        for src in ["\"abc", "/* abc", "'''abc", "`abc\n", "x = \"a\\"] {
            for l in ["js", "py", "rust"] {
                assert_eq!(strip(&highlight(l, src)), src, "{l} {src:?}");
            }
        }
    }

    #[test]
    fn diffs_and_fences() {
        let h = highlight("diff", "@@ -1 +1 @@\n-a\n+b\n c\n");
        assert!(h.contains("<span class=\"hl-del\">-a\n</span>"), "{h}");
        assert!(h.contains("<span class=\"hl-add\">+b\n</span>"), "{h}");
        assert_eq!(fence_lang("rust,ignore"), "rust");
        assert_eq!(fence_lang("js {1,3}"), "js");
        assert!(known("TypeScript") && !known("brainfuck"));
    }

    fn strip(h: &str) -> String {
        let mut out = String::new();
        let mut in_tag = false;
        for c in h.chars() {
            match c {
                '<' => in_tag = true,
                '>' if in_tag => in_tag = false,
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
    }
}
