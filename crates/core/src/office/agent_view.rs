//! A read-only view of a live agent for `to_proto` (keeps the actor's internals private).

use super::agent::LiveAgent;
use crate::domain::{AgentRecord, AgentRuntime, QueuedItem};
use isomux_protocol::Approval;

/// What `to_proto::agent` needs to know about an agent.
pub trait AgentView {
    fn record(&self) -> &AgentRecord;
    fn runtime(&self) -> &AgentRuntime;
    fn queue_items(&self) -> &[QueuedItem];
    fn approvals(&self) -> Vec<Approval>;
}

impl AgentView for LiveAgent {
    fn record(&self) -> &AgentRecord {
        &self.rec
    }

    fn runtime(&self) -> &AgentRuntime {
        &self.rt
    }

    fn queue_items(&self) -> &[QueuedItem] {
        self.queue.items()
    }

    fn approvals(&self) -> Vec<Approval> {
        self.approvals
            .iter()
            .map(|p| Approval {
                approval_id: p.approval_id.clone(),
                agent_id: self.rec.id.clone(),
                tool: p.tool.clone(),
                input: p.input.clone(),
                summary: p.summary.clone(),
                created_at: p.created_at,
            })
            .collect()
    }
}
