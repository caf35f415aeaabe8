//! Domain → wire conversion, in one place. Nothing else in the core builds protocol aggregates.

use crate::backend::BackendDescription;
use crate::domain::{ConversationRecord, OfficeSettings, QueuedItem, RoomRecord};
use crate::office::Caller;
use crate::office::agent_view::AgentView;
use isomux_protocol as p;

pub fn office(o: &OfficeSettings) -> p::Office {
    p::Office {
        name: o.name.clone(),
        prompt: o.prompt.clone(),
        env: o.env.clone(),
    }
}

pub fn room(r: &RoomRecord) -> p::Room {
    p::Room {
        id: r.id.clone(),
        name: r.name.clone(),
        position: r.position,
        prompt: r.prompt.clone(),
        env: r.env.clone(),
    }
}

pub fn queued(q: &QueuedItem) -> p::QueuedMessage {
    p::QueuedMessage {
        id: q.id.clone(),
        sender: q.sender.clone(),
        text: q.text.clone(),
        created_at: q.created_at,
    }
}

pub fn agent(a: &impl AgentView) -> p::Agent {
    let rec = a.record();
    let rt = a.runtime();
    p::Agent {
        id: rec.id.clone(),
        name: rec.name.clone(),
        room_id: rec.room_id.clone(),
        desk: rec.desk,
        look: rec.look.clone(),
        cwd: rec.cwd.clone(),
        backend: rec.backend,
        model: rec.model.clone(),
        permission_mode: rec.permission_mode,
        effort: rec.effort,
        prompt: rec.prompt.clone(),
        topic: rec.topic.clone(),
        state: rt.state,
        error: rt.error.clone(),
        conversation_id: rec.conversation_id.clone(),
        queue: a.queue_items().iter().map(queued).collect(),
        pending_approvals: a.approvals(),
        usage: rec.usage,
        created_at: rec.created_at,
    }
}

pub fn conversation(
    c: &ConversationRecord,
    entries: u64,
    current: bool,
    branched: bool,
) -> p::Conversation {
    p::Conversation {
        id: c.id.clone(),
        agent_id: c.agent_id.clone(),
        created_at: c.created_at,
        topic: c.topic.clone(),
        forked_from: c.forked_from.clone(),
        entries,
        current,
        branched,
    }
}

pub fn backend(b: &BackendDescription) -> p::BackendInfo {
    p::BackendInfo {
        kind: b.kind,
        usable: b.usable,
        detail: b.detail.clone(),
        capabilities: b.capabilities,
        models: b.models.clone(),
        default_model: b.default_model.clone(),
    }
}

pub fn me(c: &Caller) -> p::Me {
    match c {
        Caller::Human {
            member_id,
            name,
            role,
            device,
        } => p::Me::Human {
            member_id: member_id.clone(),
            name: name.clone(),
            role: *role,
            device: device.clone(),
        },
        Caller::Agent { agent_id, name } => p::Me::Agent {
            agent_id: agent_id.clone(),
            name: name.clone(),
        },
    }
}
