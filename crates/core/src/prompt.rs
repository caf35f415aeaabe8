//! The hierarchical system prompt: a short baseline (identity, office, how messages are
//! labelled) followed by the office, room and agent layers; empty layers are skipped.
//! Rebuilt at every session start.

use crate::domain::{AgentRecord, OfficeSettings, RoomRecord};

/// Assembles the prompt appended to the backend's own system prompt.
pub fn assemble(office: &OfficeSettings, room: Option<&RoomRecord>, agent: &AgentRecord) -> String {
    let room_name = room.map_or("the office", |r| r.name.as_str());
    let mut out = format!(
        "You are {name}, an agent in room {room_name} of the {office} office (Isomux).\n\
         Your goal is to help the people who talk to you in this chat.\n\
         Messages are prefixed with their sender's name in brackets, e.g. [Alice] or \
         [Alice (Phone)]; several people and other agents may share this chat.",
        name = agent.name,
        office = office.name,
    );
    let layers = [
        ("## Office Instructions".to_owned(), office.prompt.as_str()),
        (
            format!("## Instructions For Your Room: {room_name}"),
            room.map_or("", |r| r.prompt.as_str()),
        ),
        (
            format!("## Personal Instructions For You: {}", agent.name),
            agent.prompt.as_str(),
        ),
    ];
    for (title, body) in layers {
        if !body.trim().is_empty() {
            out.push_str("\n\n");
            out.push_str(&title);
            out.push('\n');
            out.push_str(body.trim());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(prompt: &str) -> AgentRecord {
        AgentRecord {
            id: "ag_1".into(),
            name: "Ada".into(),
            room_id: "rm_1".into(),
            desk: 1,
            look: Default::default(),
            cwd: "/".into(),
            backend: isomux_protocol::BackendKind::Demo,
            model: "demo".into(),
            permission_mode: Default::default(),
            effort: Default::default(),
            prompt: prompt.into(),
            topic: None,
            conversation_id: "cv".into(),
            usage: Default::default(),
            created_at: 0,
            turn_open: false,
        }
    }

    #[test]
    fn empty_layers_are_skipped() {
        let office = OfficeSettings {
            name: "Acme".into(),
            ..Default::default()
        };
        let p = assemble(&office, None, &agent(""));
        assert!(p.starts_with("You are Ada, an agent in room the office of the Acme office"));
        assert!(!p.contains("##"));
    }

    #[test]
    fn layers_come_in_order() {
        let office = OfficeSettings {
            name: "Acme".into(),
            prompt: "Be brief.".into(),
            ..Default::default()
        };
        let room = RoomRecord {
            id: "rm_1".into(),
            name: "Lab".into(),
            position: 0,
            prompt: "Use Rust.".into(),
            env: Default::default(),
        };
        let p = assemble(&office, Some(&room), &agent("You review code."));
        let o = p.find("## Office Instructions\nBe brief.").unwrap();
        let r = p
            .find("## Instructions For Your Room: Lab\nUse Rust.")
            .unwrap();
        let a = p
            .find("## Personal Instructions For You: Ada\nYou review code.")
            .unwrap();
        assert!(o < r && r < a);
    }
}
