//! The shared task board: its SQLite rows and the task ops (list, create, get, update, delete,
//! claim, done). Humans and agents use the same ops; every change is durable before it is
//! answered and broadcast as `task_upserted` / `task_deleted`. Claims are a compare-and-swap
//! on `status = 'open'` in SQLite, so exactly one claimer wins.

use crate::error::{CoreError, Result};
use crate::ids::new_id;
use crate::office::{Caller, Office};
use crate::store::Store;
use isomux_protocol::op::responses::{OpOutput, TaskBody, TasksBody};
use isomux_protocol::op::{CreateTask, UpdateTask};
use isomux_protocol::{AgentId, Op, ServerMessage, Task, TaskId, TaskStatus};
use rusqlite::{OptionalExtension, params};

const MAX_TITLE: usize = 200;
const MAX_DESCRIPTION: usize = 20_000;

fn status_str(s: TaskStatus) -> &'static str {
    match s {
        TaskStatus::Open => "open",
        TaskStatus::Claimed => "claimed",
        TaskStatus::Done => "done",
    }
}

fn parse_status(s: &str) -> TaskStatus {
    match s {
        "claimed" => TaskStatus::Claimed,
        "done" => TaskStatus::Done,
        _ => TaskStatus::Open,
    }
}

const COLUMNS: &str =
    "id, title, description, status, assignee, created_by, claimed_by, created_at, updated_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Task> {
    Ok(Task {
        id: TaskId(r.get(0)?),
        title: r.get(1)?,
        description: r.get(2)?,
        status: parse_status(&r.get::<_, String>(3)?),
        assignee: r.get::<_, Option<String>>(4)?.map(AgentId),
        created_by: r.get(5)?,
        claimed_by: r.get(6)?,
        created_at: r.get(7)?,
        updated_at: r.get(8)?,
    })
}

/// What a claim found.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// This claimer won.
    Won(Task),
    /// The task was not open; who holds it (if anyone).
    Lost(Task),
    /// No such task.
    Missing,
}

impl Store {
    /// Every task, newest first.
    pub fn list_tasks(&self) -> Result<Vec<Task>> {
        let mut st = self.conn().prepare(&format!(
            "SELECT {COLUMNS} FROM tasks ORDER BY created_at DESC, id DESC"
        ))?;
        let rows = st.query_map([], row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn task(&self, id: &TaskId) -> Result<Option<Task>> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM tasks WHERE id = ?1"),
                [&id.0],
                row,
            )
            .optional()?)
    }

    /// Inserts or replaces the whole row.
    pub fn put_task(&self, t: &Task) -> Result<()> {
        self.conn().execute(
            &format!(
                "INSERT OR REPLACE INTO tasks({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
            ),
            params![
                t.id.0,
                t.title,
                t.description,
                status_str(t.status),
                t.assignee.as_ref().map(|a| a.0.clone()),
                t.created_by,
                t.claimed_by,
                t.created_at,
                t.updated_at
            ],
        )?;
        Ok(())
    }

    /// Deletes a task; false when there was none.
    pub fn delete_task(&self, id: &TaskId) -> Result<bool> {
        Ok(self
            .conn()
            .execute("DELETE FROM tasks WHERE id = ?1", [&id.0])?
            > 0)
    }

    /// The compare-and-swap: `open` → `claimed` by `who` in one statement.
    pub fn claim_task(
        &self,
        id: &TaskId,
        who: &str,
        assignee: Option<&AgentId>,
        now: i64,
    ) -> Result<Claim> {
        let changed = self.conn().execute(
            "UPDATE tasks SET status = 'claimed', claimed_by = ?2,
                 assignee = COALESCE(?3, assignee), updated_at = ?4
             WHERE id = ?1 AND status = 'open'",
            params![id.0, who, assignee.map(|a| a.0.clone()), now],
        )?;
        Ok(match (changed, self.task(id)?) {
            (_, None) => Claim::Missing,
            (1, Some(t)) => Claim::Won(t),
            (_, Some(t)) => Claim::Lost(t),
        })
    }
}

impl Office {
    /// Applies the task-board ops.
    pub(crate) fn apply_tasks(&mut self, caller: &Caller, op: Op) -> Result<OpOutput> {
        match op {
            Op::ListTasks => Ok(OpOutput::Tasks(TasksBody {
                tasks: self.store.list_tasks()?,
            })),
            Op::GetTask { task_id } => Ok(task_body(self.existing_task(&task_id)?)),
            Op::CreateTask(c) => self.create_task(caller, &c),
            Op::UpdateTask(u) => self.update_task(caller, &u),
            Op::DeleteTask { task_id } => {
                if !self.store.delete_task(&task_id)? {
                    return Err(CoreError::not_found(format!("task {task_id}")));
                }
                self.emit(ServerMessage::TaskDeleted { task_id });
                Ok(OpOutput::done())
            }
            Op::ClaimTask { task_id } => {
                let me = match caller {
                    Caller::Agent { agent_id, .. } => Some(agent_id),
                    Caller::Human { .. } => None,
                };
                let now = crate::time::now_ms();
                match self
                    .store
                    .claim_task(&task_id, &caller.display_name(), me, now)?
                {
                    Claim::Won(task) => Ok(self.upserted(task)),
                    Claim::Missing => Err(CoreError::not_found(format!("task {task_id}"))),
                    Claim::Lost(t) => Err(CoreError::Conflict {
                        message: match (&t.status, &t.claimed_by) {
                            (TaskStatus::Done, _) => format!("task {task_id} is already done"),
                            (_, Some(by)) => format!("task {task_id} is already claimed by {by}"),
                            _ => format!("task {task_id} is not open"),
                        },
                        details: Some(serde_json::json!({ "claimed_by": t.claimed_by })),
                    }),
                }
            }
            Op::CompleteTask { task_id } => {
                let mut t = self.existing_task(&task_id)?;
                if t.status == TaskStatus::Done {
                    return Err(CoreError::conflict(format!(
                        "task {task_id} is already done"
                    )));
                }
                t.status = TaskStatus::Done;
                if t.claimed_by.is_none() {
                    t.claimed_by = Some(caller.display_name());
                }
                t.updated_at = crate::time::now_ms();
                self.store.put_task(&t)?;
                Ok(self.upserted(t))
            }
            other => Err(CoreError::InvalidBody(format!(
                "{} is not a task op",
                other.op_id()
            ))),
        }
    }

    fn existing_task(&self, id: &TaskId) -> Result<Task> {
        self.store
            .task(id)?
            .ok_or_else(|| CoreError::not_found(format!("task {id}")))
    }

    fn upserted(&self, task: Task) -> OpOutput {
        self.emit(ServerMessage::TaskUpserted { task: task.clone() });
        task_body(task)
    }

    /// An assignee given as an agent id or (for agents' convenience) an agent's name.
    fn resolve_assignee(&self, a: &AgentId) -> Result<AgentId> {
        if self.agents.contains_key(a) {
            return Ok(a.clone());
        }
        let lower = a.0.to_lowercase();
        self.agents
            .values()
            .find(|x| x.rec.name.to_lowercase() == lower)
            .map(|x| x.rec.id.clone())
            .ok_or_else(|| {
                CoreError::InvalidBody(format!(
                    "assignee {a:?} is not an agent of this office (use an id or name from \
                     GET /api/agents)"
                ))
            })
    }

    fn create_task(&mut self, caller: &Caller, c: &CreateTask) -> Result<OpOutput> {
        let title = clean_title(&c.title)?;
        check_description(&c.description)?;
        let assignee = c
            .assignee
            .as_ref()
            .map(|a| self.resolve_assignee(a))
            .transpose()?;
        let now = crate::time::now_ms();
        let task = Task {
            id: TaskId(new_id("tk")),
            title,
            description: c.description.trim_end().to_owned(),
            status: TaskStatus::Open,
            assignee,
            created_by: caller.display_name(),
            claimed_by: None,
            created_at: now,
            updated_at: now,
        };
        self.store.put_task(&task)?;
        Ok(self.upserted(task))
    }

    fn update_task(&mut self, caller: &Caller, u: &UpdateTask) -> Result<OpOutput> {
        let mut t = self.existing_task(&u.task_id)?;
        let before = t.clone();
        if let Some(title) = &u.title {
            t.title = clean_title(title)?;
        }
        if let Some(d) = &u.description {
            check_description(d)?;
            t.description = d.trim_end().to_owned();
        }
        if let Some(a) = &u.assignee {
            t.assignee = a.as_ref().map(|a| self.resolve_assignee(a)).transpose()?;
        }
        if let Some(s) = u.status {
            t.status = s;
            match s {
                TaskStatus::Open => t.claimed_by = None,
                TaskStatus::Claimed | TaskStatus::Done if t.claimed_by.is_none() => {
                    t.claimed_by = Some(caller.display_name());
                }
                _ => {}
            }
        }
        if t == before {
            return Ok(task_body(t));
        }
        t.updated_at = crate::time::now_ms();
        self.store.put_task(&t)?;
        Ok(self.upserted(t))
    }
}

fn task_body(task: Task) -> OpOutput {
    OpOutput::Task(Box::new(TaskBody { task }))
}

fn clean_title(title: &str) -> Result<String> {
    let t = title.trim();
    if t.is_empty() {
        return Err(CoreError::InvalidBody("title must not be empty".into()));
    }
    if t.chars().count() > MAX_TITLE {
        return Err(CoreError::InvalidBody(format!(
            "title must be at most {MAX_TITLE} characters; put details in description"
        )));
    }
    Ok(t.to_owned())
}

fn check_description(d: &str) -> Result<()> {
    if d.len() > MAX_DESCRIPTION {
        return Err(CoreError::InvalidBody(format!(
            "description must be at most {MAX_DESCRIPTION} bytes"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: &str) -> Task {
        Task {
            id: TaskId(id.into()),
            title: "Fix the build".into(),
            description: String::new(),
            status: TaskStatus::Open,
            assignee: None,
            created_by: "Nil".into(),
            claimed_by: None,
            created_at: 1,
            updated_at: 1,
        }
    }

    #[test]
    fn exactly_one_claim_wins() {
        let store = Store::open_in_memory().unwrap();
        store.put_task(&task("tk_1")).unwrap();
        let first = store.claim_task(&"tk_1".into(), "Ada", None, 2).unwrap();
        let Claim::Won(t) = first else {
            panic!("first claim lost: {first:?}")
        };
        assert_eq!(
            (t.status, t.claimed_by.as_deref()),
            (TaskStatus::Claimed, Some("Ada"))
        );
        let second = store.claim_task(&"tk_1".into(), "Bob", None, 3).unwrap();
        let Claim::Lost(t) = second else {
            panic!("second claim won: {second:?}")
        };
        assert_eq!(t.claimed_by.as_deref(), Some("Ada"));
        // The holder's own second claim is refused too.
        assert!(matches!(
            store.claim_task(&"tk_1".into(), "Ada", None, 4).unwrap(),
            Claim::Lost(_)
        ));
        assert_eq!(
            store.claim_task(&"tk_9".into(), "Ada", None, 4).unwrap(),
            Claim::Missing
        );
    }

    #[test]
    fn tasks_round_trip_newest_first() {
        let store = Store::open_in_memory().unwrap();
        let mut a = task("tk_a");
        a.assignee = Some("ag_1".into());
        let mut b = task("tk_b");
        b.created_at = 5;
        store.put_task(&a).unwrap();
        store.put_task(&b).unwrap();
        let all = store.list_tasks().unwrap();
        assert_eq!(all, vec![b, a.clone()]);
        assert_eq!(store.task(&"tk_a".into()).unwrap(), Some(a));
        assert!(store.delete_task(&"tk_a".into()).unwrap());
        assert!(!store.delete_task(&"tk_a".into()).unwrap());
    }
}
