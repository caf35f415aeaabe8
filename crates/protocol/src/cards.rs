//! Shapes of the chat cards the office's affordances drop into a conversation (`read-file`,
//! `diff`, `edit-file`, `terminal-command`; humans reach the diff with `/isomux-diff`), and the
//! skills the slash autocomplete lists. The cards themselves are [`EntryBody`](crate::EntryBody)
//! variants; the types here are their parts.

use serde::{Deserialize, Serialize};

/// How a file changed in a diff card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffStatus {
    Added,
    Modified,
    Deleted,
    Renamed,
    /// Not tracked by git yet (shown as all additions).
    Untracked,
}

/// One line of a hunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffLineKind {
    /// Unchanged: on both sides.
    Context,
    /// Only on the new (right) side.
    Add,
    /// Only on the old (left) side.
    Del,
}

/// A line with its numbers on each side (absent on the side it is not on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    pub kind: DiffLineKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<u32>,
    pub text: String,
}

/// One `@@` hunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffHunk {
    /// The `@@ -a,b +c,d @@ context` line.
    pub header: String,
    pub lines: Vec<DiffLine>,
}

/// One changed file of a diff card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffFile {
    /// Path relative to the repository root (the new path of a rename).
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_path: Option<String>,
    pub status: DiffStatus,
    /// Binary (or too large to show): no hunks.
    #[serde(default)]
    pub binary: bool,
    pub additions: u32,
    pub deletions: u32,
    pub hunks: Vec<DiffHunk>,
}

/// Where a skill comes from (priority: office commands > user > project > plugin > bundled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkillSource {
    /// The office's own commands (`/isomux-*`): not prompts.
    Office,
    /// `~/.claude/skills/<name>/SKILL.md`.
    User,
    /// `<cwd>/.claude/skills/<name>/SKILL.md`.
    Project,
    /// `~/.claude/plugins/…/skills/<name>/SKILL.md`.
    Plugin,
    /// Shipped with Isomux (the collaboration skills).
    Bundled,
    /// The agent CLI's own commands (e.g. claude's `/compact`), as its last session reported
    /// them; sent to the agent as typed.
    Backend,
}

/// One entry of the slash autocomplete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skill {
    /// Typed as `/name`.
    pub name: String,
    pub description: String,
    pub source: SkillSource,
    /// Argument hint for the composer, e.g. `<peer> <task>`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub arguments: String,
}
