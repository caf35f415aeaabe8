//! Slash-command autocomplete for the composer: the office's own commands
//! (`/isomux-system-prompt`, `/isomux-diff`), the skills the office lists for the agent
//! (`GET /api/agents/:id/skills`: user, project, plugin and bundled, each shown with its
//! source) and the commands the agent's backend understands, matched by prefix while the
//! message is still a single command line. Pure, so it is unit-tested natively.

use isomux_protocol::{BackendKind, Skill, SkillSource};

/// One suggestion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// With the leading `/`.
    pub name: String,
    pub help: String,
    /// Where it comes from: `office`, a skill's source (`user`, `project`, `plugin`,
    /// `bundled`), or `cli` for the backend's own commands.
    pub source: &'static str,
    /// Argument hint, e.g. `<peer> <task>` (may be empty).
    pub arguments: String,
}

fn c(name: &str, help: &str, source: &'static str) -> Command {
    Command {
        name: name.to_owned(),
        help: help.to_owned(),
        source,
        arguments: String::new(),
    }
}

/// The office's own commands, offered for every agent even before the skills list arrives.
const OFFICE: &[(&str, &str)] = &[
    ("/isomux-system-prompt", "Show the assembled system prompt"),
    ("/isomux-diff", "Show the working tree's diff"),
];

const CLAUDE: &[(&str, &str)] = &[
    ("/compact", "Summarize the conversation to free context"),
    ("/context", "Show what fills the context window"),
    ("/cost", "Show this session's cost"),
    ("/init", "Write a CLAUDE.md for the project"),
    ("/review", "Review a pull request"),
    ("/pr-comments", "Show a pull request's comments"),
    ("/security-review", "Review pending changes for security"),
];

const CODEX: &[(&str, &str)] = &[
    ("/compact", "Summarize the conversation to free context"),
    ("/init", "Write an AGENTS.md for the project"),
    ("/review", "Review the current changes"),
];

const DEMO: &[(&str, &str)] = &[
    ("/demo approval", "Ask for an approval"),
    ("/demo slow", "Stream slowly (try Send now or Stop)"),
    ("/demo tool", "Call a tool twice"),
    ("/demo error", "Fail with an error and a hint"),
    ("/demo question", "Ask a question"),
];

/// The label of a skill's source.
pub fn source_label(s: SkillSource) -> &'static str {
    match s {
        SkillSource::Office => "office",
        SkillSource::User => "user",
        SkillSource::Project => "project",
        SkillSource::Plugin => "plugin",
        SkillSource::Bundled => "bundled",
        SkillSource::Backend => "cli",
    }
}

/// Every command offered for an agent of this backend with these skills: office commands,
/// then skills by priority (the order the office lists them), then the backend's own; a name
/// appears once, from its first (highest) place.
pub fn commands(backend: BackendKind, skills: &[Skill]) -> Vec<Command> {
    let own = match backend {
        BackendKind::Claude => CLAUDE,
        BackendKind::Codex => CODEX,
        BackendKind::Demo => DEMO,
    };
    let mut skills: Vec<&Skill> = skills.iter().collect();
    // The office sends them by priority already; a stable sort keeps that within a source.
    skills.sort_by_key(|s| s.source);
    let all = OFFICE
        .iter()
        .map(|(n, h)| c(n, h, "office"))
        .chain(skills.into_iter().map(|s| Command {
            name: format!("/{}", s.name.trim_start_matches('/')),
            help: s.description.clone(),
            source: source_label(s.source),
            arguments: s.arguments.clone(),
        }))
        .chain(own.iter().map(|(n, h)| c(n, h, "cli")));
    let mut out: Vec<Command> = Vec::new();
    for cmd in all {
        if !out.iter().any(|o| o.name == cmd.name) {
            out.push(cmd);
        }
    }
    out
}

/// Suggestions for what is typed: only while the text is one line starting with `/` and is
/// not already exactly a command.
pub fn suggest(backend: BackendKind, skills: &[Skill], text: &str) -> Vec<Command> {
    if !text.starts_with('/') || text.contains('\n') {
        return Vec::new();
    }
    let typed = text.trim_end().to_ascii_lowercase();
    let all = commands(backend, skills);
    if all.iter().any(|c| c.name == typed && text.ends_with(' ')) {
        return Vec::new();
    }
    all.into_iter()
        .filter(|c| c.name.to_ascii_lowercase().starts_with(&typed) && c.name != text)
        .collect()
}

/// The text after choosing a suggestion (a space follows, ready for arguments).
pub fn complete(cmd: &Command) -> String {
    format!("{} ", cmd.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skill(name: &str, source: SkillSource) -> Skill {
        Skill {
            name: name.into(),
            description: format!("{name} skill"),
            source,
            arguments: String::new(),
        }
    }

    fn names(cmds: &[Command]) -> Vec<&str> {
        cmds.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn prefixes_match_and_ours_come_first() {
        let all = suggest(BackendKind::Demo, &[], "/");
        assert_eq!(all[0].name, "/isomux-system-prompt");
        assert_eq!(all[0].source, "office");
        assert!(
            all.iter()
                .any(|c| c.name == "/demo slow" && c.source == "cli")
        );
        let d = suggest(BackendKind::Demo, &[], "/demo s");
        assert_eq!(names(&d), ["/demo slow"]);
        assert_eq!(
            suggest(BackendKind::Claude, &[], "/isomux-d")[0].name,
            "/isomux-diff"
        );
        assert!(suggest(BackendKind::Claude, &[], "/co").len() >= 3);
        assert!(suggest(BackendKind::Codex, &[], "/demo").is_empty());
    }

    #[test]
    fn skills_come_by_priority_with_their_source_and_names_are_unique() {
        let skills = vec![
            skill("pair-programming", SkillSource::Bundled),
            skill("isomux-diff", SkillSource::Office),
            skill("deploy", SkillSource::Project),
            skill("tidy", SkillSource::User),
            skill("acme:lint", SkillSource::Plugin),
            // Shadowed by the user's skill of the same name.
            skill("tidy", SkillSource::Bundled),
            // A backend command with a skill's name: the skill wins.
            skill("review", SkillSource::Project),
        ];
        let all = commands(BackendKind::Claude, &skills);
        let shown: Vec<(&str, &str)> = all
            .iter()
            .map(|c| (c.name.as_str(), c.source))
            .take(8)
            .collect();
        assert_eq!(
            shown,
            [
                ("/isomux-system-prompt", "office"),
                ("/isomux-diff", "office"),
                ("/tidy", "user"),
                ("/deploy", "project"),
                ("/review", "project"),
                ("/acme:lint", "plugin"),
                ("/pair-programming", "bundled"),
                ("/compact", "cli"),
            ]
        );
        assert_eq!(all.iter().filter(|c| c.name == "/tidy").count(), 1);
        assert_eq!(all.iter().filter(|c| c.name == "/review").count(), 1);
        assert_eq!(
            names(&suggest(BackendKind::Claude, &skills, "/pa")),
            ["/pair-programming"]
        );
    }

    #[test]
    fn nothing_outside_a_single_command_line() {
        assert!(suggest(BackendKind::Demo, &[], "hello /demo").is_empty());
        assert!(suggest(BackendKind::Demo, &[], "/demo slow\nmore").is_empty());
        assert!(suggest(BackendKind::Demo, &[], "/demo slow").is_empty());
        assert!(suggest(BackendKind::Demo, &[], "/demo slow ").is_empty());
        assert!(suggest(BackendKind::Demo, &[], "/zzz").is_empty());
        assert_eq!(complete(&c("/demo slow", "", "cli")), "/demo slow ");
    }
}
