//! Secrets never reach the log or the other people in the room: agent and API tokens (by their
//! `isx_agent_` / `isx_pat_` shape) and the values of secret-looking office and room
//! environment variables (provider keys) are replaced by `[redacted]` before an entry is stored
//! or broadcast (design §12). Pure. A token split across two streaming deltas can show in the
//! live stream; the stored entry is always redacted.

use isomux_protocol::EntryBody;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// What replaces a secret.
pub const MASK: &str = "[redacted]";

/// Token prefixes minted by the office, each followed by 43 base64url characters.
const TOKEN_PREFIXES: &[&str] = &["isx_agent_", "isx_pat_"];
const TOKEN_LEN: usize = 43;

/// Whether an environment variable's value is a secret, judged by its name.
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    ["KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL"]
        .iter()
        .any(|w| n.contains(w))
}

/// The secret values among environment layers (short values are left alone: too likely to
/// match ordinary text).
pub fn secret_values<'a>(
    envs: impl IntoIterator<Item = &'a BTreeMap<String, String>>,
) -> Vec<String> {
    let mut out: Vec<String> = envs
        .into_iter()
        .flat_map(|e| e.iter())
        .filter(|(k, v)| is_secret_name(k) && v.len() >= 8)
        .map(|(_, v)| v.clone())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// `text` with every office token and every `secrets` value masked.
pub fn text<'a>(text: &'a str, secrets: &[String]) -> Cow<'a, str> {
    let has_token = TOKEN_PREFIXES.iter().any(|p| text.contains(p));
    let has_secret = secrets.iter().any(|s| text.contains(s.as_str()));
    if !has_token && !has_secret {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_owned();
    for s in secrets {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), MASK);
        }
    }
    for prefix in TOKEN_PREFIXES {
        let mut from = 0;
        while let Some(i) = out[from..].find(prefix).map(|i| i + from) {
            let start = i + prefix.len();
            let len = out[start..]
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
                .count();
            if len >= TOKEN_LEN {
                out.replace_range(i..start + len, MASK);
                from = i + MASK.len();
            } else {
                from = start;
            }
        }
    }
    Cow::Owned(out)
}

fn string(s: &mut String, secrets: &[String]) {
    if let Cow::Owned(r) = text(s, secrets) {
        *s = r;
    }
}

fn json(v: &mut serde_json::Value, secrets: &[String]) {
    match v {
        serde_json::Value::String(s) => string(s, secrets),
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| json(x, secrets)),
        serde_json::Value::Object(o) => o.values_mut().for_each(|x| json(x, secrets)),
        _ => {}
    }
}

/// An entry body with every text field masked.
pub fn body(mut b: EntryBody, secrets: &[String]) -> EntryBody {
    match &mut b {
        EntryBody::User { messages } => messages
            .iter_mut()
            .for_each(|m| string(&mut m.text, secrets)),
        EntryBody::Assistant { text }
        | EntryBody::Thinking { text }
        | EntryBody::System { text } => {
            string(text, secrets);
        }
        EntryBody::ToolCall { input, output, .. } => {
            json(input, secrets);
            if let Some(o) = output {
                string(o, secrets);
            }
        }
        EntryBody::Error { message, hint } => {
            string(message, secrets);
            if let Some(h) = hint {
                string(h, secrets);
            }
        }
        EntryBody::TurnEnd { .. } => {}
        EntryBody::TerminalCommand { command, .. } => string(command, secrets),
        EntryBody::Diff { files, .. } => files
            .iter_mut()
            .flat_map(|f| &mut f.hunks)
            .flat_map(|h| &mut h.lines)
            .for_each(|l| string(&mut l.text, secrets)),
        EntryBody::File { .. } | EntryBody::EditFile { .. } => {}
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "isx_agent_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";

    #[test]
    fn office_tokens_are_masked_by_shape() {
        let t = format!("ISOMUX_AGENT_TOKEN={TOKEN}\nPATH=/bin");
        assert_eq!(text(&t, &[]), "ISOMUX_AGENT_TOKEN=[redacted]\nPATH=/bin");
        // A prefix without a full token is ordinary text.
        assert_eq!(text("the isx_agent_ prefix", &[]), "the isx_agent_ prefix");
        assert!(matches!(text("nothing here", &[]), Cow::Borrowed(_)));
    }

    #[test]
    fn secret_env_values_are_masked() {
        let mut env = BTreeMap::new();
        env.insert(
            "ANTHROPIC_API_KEY".to_owned(),
            "sk-ant-0123456789".to_owned(),
        );
        env.insert("RUST_LOG".to_owned(), "debug-level-x".to_owned());
        env.insert("SHORT_TOKEN".to_owned(), "abc".to_owned());
        let secrets = secret_values([&env]);
        assert_eq!(secrets, vec!["sk-ant-0123456789".to_owned()]);
        assert_eq!(
            text("key sk-ant-0123456789 and debug-level-x", &secrets),
            "key [redacted] and debug-level-x"
        );
    }

    #[test]
    fn every_text_field_of_an_entry_is_masked() {
        let b = EntryBody::ToolCall {
            call_id: "c".into(),
            tool: "Bash".into(),
            input: serde_json::json!({"command": format!("echo {TOKEN}"), "n": 1}),
            output: Some(format!("{TOKEN}\n")),
            status: isomux_protocol::ToolStatus::Ok,
        };
        let s = serde_json::to_string(&body(b, &[])).unwrap();
        assert!(!s.contains(TOKEN), "{s}");
        assert_eq!(s.matches(MASK).count(), 2);
    }
}
