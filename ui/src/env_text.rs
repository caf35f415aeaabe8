//! Environment variables as editable text (`KEY=value`, one per line) for the settings
//! editors: format a map for a textarea and parse it back, with line-numbered errors.

use std::collections::BTreeMap;

/// One `KEY=value` line per variable, sorted by key.
pub fn format_env(env: &BTreeMap<String, String>) -> String {
    env.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Parse `KEY=value` lines; blank lines and `#` comments are skipped, the key is trimmed and
/// the value kept verbatim. Errors name the line.
pub fn parse_env(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut env = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("line {}: expected KEY=value", i + 1));
        };
        let key = key.trim();
        let valid = !key.is_empty()
            && !key.starts_with(|c: char| c.is_ascii_digit())
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(format!("line {}: {key:?} is not a variable name", i + 1));
        }
        env.insert(key.to_owned(), value.to_owned());
    }
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_round_trips_and_reports_bad_lines() {
        let env = parse_env("# comment\nB=2\n\n A = x=y \n").expect("parses");
        assert_eq!(env.get("A").map(String::as_str), Some(" x=y "));
        assert_eq!(env.get("B").map(String::as_str), Some("2"));
        assert_eq!(format_env(&env), "A= x=y \nB=2");
        assert_eq!(parse_env(&format_env(&env)), Ok(env));
        assert_eq!(
            parse_env("OK=1\nnope"),
            Err("line 2: expected KEY=value".into())
        );
        assert!(parse_env("1X=2").is_err());
        assert!(parse_env("A-B=2").is_err());
        assert_eq!(parse_env(""), Ok(BTreeMap::new()));
    }
}
