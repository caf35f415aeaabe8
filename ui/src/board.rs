//! Pure choices of the task board (no web-sys, unit-tested natively): which column a task sits
//! in and in what order, what its assignee is called, and which actions a card offers.

use isomux_protocol::{Agent, AgentId, Task, TaskStatus};

/// The board's columns, left to right.
pub const COLUMNS: [TaskStatus; 3] = [TaskStatus::Open, TaskStatus::Claimed, TaskStatus::Done];

/// The column's `data-status` and heading.
pub fn column(status: TaskStatus) -> (&'static str, &'static str) {
    match status {
        TaskStatus::Open => ("open", "Open"),
        TaskStatus::Claimed => ("claimed", "Claimed"),
        TaskStatus::Done => ("done", "Done"),
    }
}

/// The tasks of one column, most recently changed first (ties: newest id first, ids sort by
/// time).
pub fn in_column(tasks: &[Task], status: TaskStatus) -> Vec<Task> {
    let mut out: Vec<Task> = tasks
        .iter()
        .filter(|t| t.status == status)
        .cloned()
        .collect();
    out.sort_by(|a, b| {
        b.updated_at
            .cmp(&a.updated_at)
            .then_with(|| b.id.0.cmp(&a.id.0))
    });
    out
}

/// The assignee's name; an archived (or unknown) agent keeps its id so the card still says who.
pub fn assignee_name(agents: &[Agent], id: &AgentId) -> (String, bool) {
    match agents.iter().find(|a| &a.id == id) {
        Some(a) => (a.name.clone(), true),
        None => (id.to_string(), false),
    }
}

/// What a card offers in its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actions {
    pub claim: bool,
    pub done: bool,
    pub reopen: bool,
}

pub fn actions(status: TaskStatus) -> Actions {
    Actions {
        claim: status == TaskStatus::Open,
        done: status != TaskStatus::Done,
        reopen: status != TaskStatus::Open,
    }
}

/// The create form's assignee choice: `""` is nobody.
pub fn parse_assignee(value: &str) -> Option<AgentId> {
    let v = value.trim();
    (!v.is_empty()).then(|| AgentId::from(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: &str, status: TaskStatus, updated_at: i64) -> Task {
        Task {
            id: id.into(),
            title: id.to_owned(),
            description: String::new(),
            status,
            assignee: None,
            created_by: "Pam".into(),
            claimed_by: None,
            created_at: 1,
            updated_at,
        }
    }

    #[test]
    fn columns_hold_their_status_newest_change_first() {
        let tasks = vec![
            task("t_1", TaskStatus::Open, 5),
            task("t_2", TaskStatus::Done, 9),
            task("t_3", TaskStatus::Open, 7),
            task("t_4", TaskStatus::Claimed, 1),
            task("t_5", TaskStatus::Open, 7),
        ];
        let ids = |s| {
            in_column(&tasks, s)
                .into_iter()
                .map(|t| t.id.0)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(TaskStatus::Open), ["t_5", "t_3", "t_1"]);
        assert_eq!(ids(TaskStatus::Claimed), ["t_4"]);
        assert_eq!(ids(TaskStatus::Done), ["t_2"]);
        let total: usize = COLUMNS.iter().map(|s| in_column(&tasks, *s).len()).sum();
        assert_eq!(total, tasks.len(), "every task is in exactly one column");
    }

    #[test]
    fn actions_follow_the_status() {
        assert_eq!(
            actions(TaskStatus::Open),
            Actions {
                claim: true,
                done: true,
                reopen: false
            }
        );
        assert_eq!(
            actions(TaskStatus::Claimed),
            Actions {
                claim: false,
                done: true,
                reopen: true
            }
        );
        assert_eq!(
            actions(TaskStatus::Done),
            Actions {
                claim: false,
                done: false,
                reopen: true
            }
        );
    }

    #[test]
    fn assignee_choice_and_names() {
        assert_eq!(parse_assignee(""), None);
        assert_eq!(parse_assignee("  "), None);
        assert_eq!(parse_assignee("ag_1"), Some(AgentId::from("ag_1")));
        assert_eq!(
            assignee_name(&[], &AgentId::from("ag_gone")),
            ("ag_gone".to_owned(), false)
        );
    }
}
