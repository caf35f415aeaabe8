//! Slash-command autocomplete for the composer: the commands the agent's backend understands
//! plus the office's own (`/isomux-system-prompt`, `/isomux-diff`), matched by prefix while the
//! message is still a single command line. Pure, so it is unit-tested natively.

use isomux_protocol::BackendKind;

/// One suggestion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command {
    pub name: &'static str,
    pub help: &'static str,
}

const fn c(name: &'static str, help: &'static str) -> Command {
    Command { name, help }
}

/// The office's own commands, offered for every agent.
const OFFICE: &[Command] = &[
    c("/isomux-system-prompt", "Show the assembled system prompt"),
    c("/isomux-diff", "Show the working tree's diff"),
];

const CLAUDE: &[Command] = &[
    c("/compact", "Summarize the conversation to free context"),
    c("/context", "Show what fills the context window"),
    c("/cost", "Show this session's cost"),
    c("/init", "Write a CLAUDE.md for the project"),
    c("/review", "Review a pull request"),
    c("/pr-comments", "Show a pull request's comments"),
    c("/security-review", "Review pending changes for security"),
];

const CODEX: &[Command] = &[
    c("/compact", "Summarize the conversation to free context"),
    c("/init", "Write an AGENTS.md for the project"),
    c("/review", "Review the current changes"),
];

const DEMO: &[Command] = &[
    c("/demo approval", "Ask for an approval"),
    c("/demo slow", "Stream slowly (try Send now or Stop)"),
    c("/demo tool", "Call a tool twice"),
    c("/demo error", "Fail with an error and a hint"),
    c("/demo question", "Ask a question"),
];

/// Every command offered for an agent of this backend.
pub fn commands(backend: BackendKind) -> Vec<Command> {
    let own = match backend {
        BackendKind::Claude => CLAUDE,
        BackendKind::Codex => CODEX,
        BackendKind::Demo => DEMO,
    };
    OFFICE.iter().chain(own).copied().collect()
}

/// Suggestions for what is typed: only while the text is one line starting with `/` and is
/// not already exactly a command.
pub fn suggest(backend: BackendKind, text: &str) -> Vec<Command> {
    if !text.starts_with('/') || text.contains('\n') {
        return Vec::new();
    }
    let typed = text.trim_end().to_ascii_lowercase();
    let all = commands(backend);
    if all.iter().any(|c| c.name == typed && text.ends_with(' ')) {
        return Vec::new();
    }
    let hits: Vec<Command> = all
        .into_iter()
        .filter(|c| c.name.starts_with(&typed) && c.name != text)
        .collect();
    hits
}

/// The text after choosing a suggestion (a space follows, ready for arguments).
pub fn complete(cmd: &Command) -> String {
    format!("{} ", cmd.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_match_and_ours_come_first() {
        let all = suggest(BackendKind::Demo, "/");
        assert_eq!(all[0].name, "/isomux-system-prompt");
        assert!(all.iter().any(|c| c.name == "/demo slow"));
        let d = suggest(BackendKind::Demo, "/demo s");
        assert_eq!(d.iter().map(|c| c.name).collect::<Vec<_>>(), ["/demo slow"]);
        assert_eq!(
            suggest(BackendKind::Claude, "/isomux-d")[0].name,
            "/isomux-diff"
        );
        assert!(suggest(BackendKind::Claude, "/co").len() >= 3);
        assert!(suggest(BackendKind::Codex, "/demo").is_empty());
    }

    #[test]
    fn nothing_outside_a_single_command_line() {
        assert!(suggest(BackendKind::Demo, "hello /demo").is_empty());
        assert!(suggest(BackendKind::Demo, "/demo slow\nmore").is_empty());
        assert!(suggest(BackendKind::Demo, "/demo slow").is_empty());
        assert!(suggest(BackendKind::Demo, "/demo slow ").is_empty());
        assert!(suggest(BackendKind::Demo, "/zzz").is_empty());
        assert_eq!(complete(&DEMO[1]), "/demo slow ");
    }
}
