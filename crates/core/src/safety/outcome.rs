//! The running result of one check: the first denial wins over anything unanalysable, which wins
//! over allow. Also the reason and hint texts of every rule.

use super::{Denial, RuleId, Verdict};

/// Findings collected while walking one tool call.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    deny: Option<Denial>,
    unknown: Option<String>,
}

impl Outcome {
    /// Records a denial by `rule`; `subject` says what was blocked (e.g. "`rm -rf /`").
    pub(crate) fn deny(&mut self, rule: RuleId, subject: &str) {
        if self.deny.is_none() {
            let (why, hint) = texts(rule);
            self.deny = Some(Denial {
                rule,
                reason: format!("Blocked {subject}: {why} (safety rule {}).", rule.as_str()),
                hint: hint.to_owned(),
            });
        }
    }

    /// Records that part of the call cannot be analysed.
    pub(crate) fn unknown(&mut self, why: impl Into<String>) {
        if self.unknown.is_none() {
            self.unknown = Some(why.into());
        }
    }

    pub(crate) fn into_verdict(self) -> Verdict {
        match (self.deny, self.unknown) {
            (Some(d), _) => Verdict::Deny(d),
            (None, Some(reason)) => Verdict::Unanalysable {
                reason: format!("Cannot analyse this command safely: {reason}."),
            },
            (None, None) => Verdict::Allow,
        }
    }
}

/// Shortens a command or path for a message (on a char boundary).
pub(crate) fn clip(s: &str) -> String {
    const MAX: usize = 160;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(MAX).collect();
        t.push('…');
        t
    }
}

fn texts(rule: RuleId) -> (&'static str, &'static str) {
    match rule {
        RuleId::GitResetHard => (
            "`git reset --hard` throws away uncommitted work for good",
            "Commit or `git stash` first, or use `git reset --soft`/`--mixed`; if the work really \
             must go, ask the human to run it in their terminal.",
        ),
        RuleId::GitCheckoutPaths => (
            "this `git checkout` overwrites uncommitted changes in the worktree",
            "Use `git stash` to set changes aside and `git switch <branch>` to change branches; \
             ask the human if changes really must be discarded.",
        ),
        RuleId::GitRestoreWorktree => (
            "`git restore` without `--staged` discards uncommitted changes in the worktree",
            "Use `git restore --staged <path>` to unstage only, or `git stash`; ask the human to \
             discard changes.",
        ),
        RuleId::GitCleanForce => (
            "`git clean -f` deletes untracked files for good",
            "Run `git clean -n` to list what would go and show it to the human; remove specific \
             files by name, or ask the human.",
        ),
        RuleId::GitPushForce => (
            "a force push (`--force`, `-f`, `--mirror` or a `+refspec`) can overwrite other \
             people's commits on the remote",
            "Use `git push --force-with-lease` (without `--force`), or ask the human.",
        ),
        RuleId::GitBranchForceDelete => (
            "`git branch -D` deletes a branch even when it is not merged",
            "Use `git branch -d`, which refuses unmerged branches, or ask the human.",
        ),
        RuleId::GitStashDrop => (
            "`git stash drop`/`clear` destroys stashed work for good",
            "Leave the stash alone (`git stash list`, `git stash pop`/`apply`); ask the human to \
             drop it.",
        ),
        RuleId::RmRecursiveForce => (
            "recursive forced deletion outside a temp dir removes files without any confirmation",
            "Ask the human to run it in their terminal (or the embedded terminal), delete \
             specific files without -rf, or keep scratch files under /tmp and delete them there.",
        ),
        RuleId::RmRecursiveForceRoot => (
            "recursive forced deletion of `/`, the home directory or a top-level system \
             directory would destroy the system or the user's files",
            "Never do this. If something there must go, name the exact path and ask the human to \
             delete it themselves.",
        ),
        RuleId::WriteDataDir => (
            "the Isomux data dir holds the office's database, tokens and state, and agents must \
             not write into it",
            "Reading files there (e.g. agents-summary.json) is fine; change the office through its \
             REST API ($ISOMUX_URL with your token) and write your own files in your working \
             directory or /tmp.",
        ),
        RuleId::ReadSecret => (
            "reading secret files (.env, private keys, credentials) is not allowed",
            "Use the committed template (e.g. .env.example), let the program load the secret \
             itself, or ask the human for the specific non-secret value you need.",
        ),
    }
}
