//! Skills: prompts run as `/name args`. Found, highest priority first (design §10): the office's
//! own commands (`/isomux-*`, not prompts), user skills (`~/.claude/skills/<name>/SKILL.md`),
//! project skills (`<cwd>/.claude/skills/<name>/SKILL.md`), plugin skills
//! (`~/.claude/plugins/…/<plugin>/skills/<name>/SKILL.md`, named `<plugin>:<name>`) and the
//! collaboration skills bundled with Isomux. A name found twice keeps its highest source.
//! Running one sends its body as the user turn with the arguments appended (or put where the
//! body says `$ARGUMENTS`). Reads the file system: called off the actor (`affordances`).

use isomux_protocol::{Skill, SkillSource};
use std::path::{Path, PathBuf};

/// A skill with the prompt it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkillDef {
    pub skill: Skill,
    /// The prompt (empty for office commands).
    pub body: String,
}

/// The collaboration skills shipped with Isomux.
const BUNDLED: &[&str] = &[
    include_str!("skills/pair-programming.md"),
    include_str!("skills/second-opinion.md"),
    include_str!("skills/peer-review.md"),
    include_str!("skills/soft-handoff.md"),
];

/// Plugin directories are searched this deep for `skills/` folders.
const PLUGIN_DEPTH: usize = 6;
/// Largest SKILL.md read.
const MAX_SKILL_BYTES: u64 = 256 * 1024;

/// Every skill an agent with this HOME and cwd can run, by priority then name, names unique.
pub fn discover(home: &Path, cwd: &Path) -> Vec<SkillDef> {
    let mut all: Vec<SkillDef> = crate::affordances::OFFICE_COMMANDS
        .iter()
        .map(|(name, description)| SkillDef {
            skill: Skill {
                name: (*name).to_owned(),
                description: (*description).to_owned(),
                source: SkillSource::Office,
                arguments: String::new(),
            },
            body: String::new(),
        })
        .collect();
    all.extend(from_dir(
        &home.join(".claude/skills"),
        SkillSource::User,
        None,
    ));
    all.extend(from_dir(
        &cwd.join(".claude/skills"),
        SkillSource::Project,
        None,
    ));
    let mut plugin_dirs = Vec::new();
    find_skill_dirs(
        &home.join(".claude/plugins"),
        PLUGIN_DEPTH,
        &mut plugin_dirs,
    );
    plugin_dirs.sort();
    for dir in plugin_dirs {
        let plugin = dir
            .parent()
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned());
        all.extend(from_dir(&dir, SkillSource::Plugin, plugin.as_deref()));
    }
    all.extend(
        BUNDLED
            .iter()
            .filter_map(|text| parse(text, "", SkillSource::Bundled)),
    );
    // Stable sort by source keeps each tier's order; the first of a name wins.
    all.sort_by(|a, b| (a.skill.source, &a.skill.name).cmp(&(b.skill.source, &b.skill.name)));
    let mut seen = std::collections::HashSet::new();
    all.retain(|s| seen.insert(s.skill.name.clone()));
    all
}

/// The skill `/name` would run, if any (office commands are not skills).
pub fn find(home: &Path, cwd: &Path, name: &str) -> Option<SkillDef> {
    discover(home, cwd)
        .into_iter()
        .find(|s| s.skill.name == name && s.skill.source != SkillSource::Office)
}

/// `skills` followed by the CLI's own commands that no skill already names (lowest priority;
/// they are sent to the agent as typed).
pub fn with_backend_commands(mut skills: Vec<Skill>, commands: &[String]) -> Vec<Skill> {
    for name in commands {
        let name = name.trim_start_matches('/');
        if name.is_empty() || skills.iter().any(|s| s.name == name) {
            continue;
        }
        skills.push(Skill {
            name: name.to_owned(),
            description: String::new(),
            source: SkillSource::Backend,
            arguments: String::new(),
        });
    }
    skills
}

/// The user turn a skill sends: its body with the arguments in place of `$ARGUMENTS`, or
/// appended.
pub fn invocation(body: &str, args: &str) -> String {
    let body = body.trim();
    if body.contains("$ARGUMENTS") {
        return body.replace("$ARGUMENTS", args);
    }
    if args.is_empty() {
        body.to_owned()
    } else {
        format!("{body}\n\nARGUMENTS: {args}")
    }
}

/// `<dir>/<name>/SKILL.md` for every subdirectory.
fn from_dir(dir: &Path, source: SkillSource, namespace: Option<&str>) -> Vec<SkillDef> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<SkillDef> = entries
        .flatten()
        .filter_map(|e| {
            let file = e.path().join("SKILL.md");
            let meta = std::fs::metadata(&file).ok()?;
            if !meta.is_file() || meta.len() > MAX_SKILL_BYTES {
                return None;
            }
            let text = std::fs::read_to_string(&file).ok()?;
            let dir_name = e.file_name().to_string_lossy().into_owned();
            let mut def = parse(&text, &dir_name, source)?;
            if let Some(ns) = namespace {
                def.skill.name = format!("{ns}:{}", def.skill.name);
            }
            Some(def)
        })
        .collect();
    out.sort_by(|a, b| a.skill.name.cmp(&b.skill.name));
    out
}

/// Folders named `skills` under `dir`, at most `depth` levels down.
fn find_skill_dirs(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    if depth == 0 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        // Never follow symlinks: plugin caches can loop.
        if !e.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let p = e.path();
        if e.file_name() == "skills" {
            out.push(p);
        } else {
            find_skill_dirs(&p, depth - 1, out);
        }
    }
}

/// A SKILL.md: optional `---` front matter (`name`, `description`, `argument-hint`), then the
/// body. The name defaults to the folder's.
fn parse(text: &str, dir_name: &str, source: SkillSource) -> Option<SkillDef> {
    let (front, body) = match text.strip_prefix("---\n") {
        Some(rest) => match rest.find("\n---") {
            Some(end) => (
                &rest[..end],
                rest[end + 4..].trim_start_matches(['-', '\n', '\r']),
            ),
            None => ("", text),
        },
        None => ("", text),
    };
    let field = |key: &str| {
        front.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == key).then(|| v.trim().trim_matches('"').to_owned())
        })
    };
    let name = field("name")
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| dir_name.to_owned());
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'));
    if !valid {
        return None;
    }
    let description = field("description").unwrap_or_else(|| {
        body.lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default()
            .trim()
            .chars()
            .take(120)
            .collect()
    });
    Some(SkillDef {
        skill: Skill {
            name,
            description,
            source,
            arguments: field("argument-hint").unwrap_or_default(),
        },
        body: body.trim().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skill(dir: &Path, name: &str, description: &str) {
        let d = dir.join(name);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("SKILL.md"),
            format!("---\nname: {name}\ndescription: {description}\n---\nBody of {description}.\n"),
        )
        .unwrap();
    }

    fn source_of(all: &[SkillDef], name: &str) -> Option<(SkillSource, String)> {
        all.iter()
            .find(|s| s.skill.name == name)
            .map(|s| (s.skill.source, s.skill.description.clone()))
    }

    #[test]
    fn discovery_follows_the_priority_order() {
        let home = tempfile::tempdir().unwrap();
        let cwd = tempfile::tempdir().unwrap();
        let user = home.path().join(".claude/skills");
        let project = cwd.path().join(".claude/skills");
        let plugin = home
            .path()
            .join(".claude/plugins/marketplaces/acme/plugins/toolkit/skills");
        // The same names at several tiers: the higher tier wins.
        skill(&user, "peer-review", "user review");
        skill(&project, "peer-review", "project review");
        skill(&project, "deploy", "project deploy");
        skill(
            &project,
            "isomux-diff",
            "a project skill shadowed by the office command",
        );
        skill(&plugin, "lint", "plugin lint");
        let all = discover(home.path(), cwd.path());
        assert_eq!(
            source_of(&all, "peer-review"),
            Some((SkillSource::User, "user review".into()))
        );
        assert_eq!(
            source_of(&all, "deploy"),
            Some((SkillSource::Project, "project deploy".into()))
        );
        assert_eq!(
            source_of(&all, "isomux-diff").unwrap().0,
            SkillSource::Office
        );
        assert_eq!(
            source_of(&all, "toolkit:lint").unwrap().0,
            SkillSource::Plugin
        );
        assert_eq!(
            source_of(&all, "pair-programming").unwrap().0,
            SkillSource::Bundled
        );
        // Listed by tier: office, user, project, plugin, bundled.
        let tiers: Vec<SkillSource> = all.iter().map(|s| s.skill.source).collect();
        let mut sorted = tiers.clone();
        sorted.sort();
        assert_eq!(tiers, sorted);
        let names: Vec<&str> = all.iter().map(|s| s.skill.name.as_str()).collect();
        let mut unique = names.clone();
        unique.dedup();
        assert_eq!(names.len(), unique.len(), "{names:?}");
        // Office commands are not runnable skills.
        assert!(find(home.path(), cwd.path(), "isomux-diff").is_none());
        assert_eq!(
            find(home.path(), cwd.path(), "peer-review").unwrap().body,
            "Body of user review."
        );
    }

    #[test]
    fn the_bundled_skills_parse() {
        let none = Path::new("/nonexistent");
        let bundled: Vec<SkillDef> = discover(none, none)
            .into_iter()
            .filter(|s| s.skill.source == SkillSource::Bundled)
            .collect();
        let names: Vec<&str> = bundled.iter().map(|s| s.skill.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "pair-programming",
                "peer-review",
                "second-opinion",
                "soft-handoff"
            ]
        );
        for s in &bundled {
            assert!(!s.skill.description.is_empty());
            assert!(s.skill.arguments.starts_with("<peer>"));
            assert!(s.body.contains("manifest"), "{}", s.skill.name);
            assert!(!s.body.starts_with("---"));
        }
    }

    #[test]
    fn arguments_are_appended_or_substituted() {
        assert_eq!(
            invocation("Do it.", "Bob now"),
            "Do it.\n\nARGUMENTS: Bob now"
        );
        assert_eq!(invocation("Do it.", ""), "Do it.");
        assert_eq!(invocation("Ask $ARGUMENTS.", "Bob"), "Ask Bob.");
    }

    #[test]
    fn backend_commands_come_last_and_never_shadow_a_skill() {
        let skills = vec![Skill {
            name: "review".into(),
            description: "ours".into(),
            source: SkillSource::Bundled,
            arguments: String::new(),
        }];
        let cmds = ["compact".to_owned(), "/review".to_owned(), String::new()];
        let all = with_backend_commands(skills, &cmds);
        let names: Vec<(&str, SkillSource)> =
            all.iter().map(|s| (s.name.as_str(), s.source)).collect();
        assert_eq!(
            names,
            [
                ("review", SkillSource::Bundled),
                ("compact", SkillSource::Backend)
            ]
        );
    }
}
