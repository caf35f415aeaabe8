//! How the agent's permission mode answers a tool call that passed the safety rules (design
//! §10: the CLIs always ask, and the office answers). Pure.

use isomux_protocol::PermissionMode;

/// What to do with a permission request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny(String),
    /// Ask the humans (an approval card).
    Ask,
}

/// Tools that edit files (Claude's and codex's names).
fn edits_files(tool: &str) -> bool {
    matches!(
        tool,
        "Edit" | "Write" | "MultiEdit" | "NotebookEdit" | "apply_patch"
    )
}

/// Tools that only read.
fn reads_only(tool: &str) -> bool {
    matches!(
        tool,
        "Read" | "Grep" | "Glob" | "LS" | "WebFetch" | "WebSearch" | "TodoWrite"
    )
}

/// The decision for `tool` under `mode`. `unanalysable`: the safety rules could not see through
/// the call; `auto` then fails closed (design §10) while the other modes ask a human.
pub fn decide(mode: PermissionMode, tool: &str, unanalysable: Option<&str>) -> Decision {
    match mode {
        PermissionMode::Auto => match unanalysable {
            Some(why) => Decision::Deny(format!(
                "auto mode denies what the safety rules cannot analyse ({why}); ask a human to \
                 run it, or switch this agent to the default mode to approve it by hand"
            )),
            None => Decision::Allow,
        },
        PermissionMode::AcceptEdits if edits_files(tool) && unanalysable.is_none() => {
            Decision::Allow
        }
        PermissionMode::Plan if !reads_only(tool) => Decision::Deny(
            "plan mode: the agent may read and plan but not change anything; describe the \
             change instead, or ask a human to switch the agent out of plan mode"
                .into(),
        ),
        _ => Decision::Ask,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PermissionMode::*;

    #[test]
    fn table() {
        let cases: &[(PermissionMode, &str, Option<&str>, &str)] = &[
            (Default, "Bash", None, "ask"),
            (Default, "Edit", None, "ask"),
            (Default, "Bash", Some("$X"), "ask"),
            (Auto, "Bash", None, "allow"),
            (Auto, "apply_patch", None, "allow"),
            (Auto, "Bash", Some("$X"), "deny"),
            (AcceptEdits, "Edit", None, "allow"),
            (AcceptEdits, "Write", None, "allow"),
            (AcceptEdits, "apply_patch", None, "allow"),
            (AcceptEdits, "Edit", Some("?"), "ask"),
            (AcceptEdits, "Bash", None, "ask"),
            (AcceptEdits, "shell", None, "ask"),
            (Plan, "Bash", None, "deny"),
            (Plan, "Edit", None, "deny"),
            (Plan, "shell", None, "deny"),
            (Plan, "Read", None, "ask"),
            (Plan, "WebFetch", None, "ask"),
        ];
        for (mode, tool, why, want) in cases {
            let got = match decide(*mode, tool, *why) {
                Decision::Allow => "allow",
                Decision::Deny(_) => "deny",
                Decision::Ask => "ask",
            };
            assert_eq!(got, *want, "{mode:?} {tool} {why:?}");
        }
    }
}
