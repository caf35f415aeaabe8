//! The hierarchical system prompt: a short baseline (identity, room, how messages are labelled,
//! where the discovery manifest is, and a one-line `curl` for each office affordance) followed by
//! the office, room and agent layers; empty layers are skipped. Rebuilt at every session start
//! and shown by `/isomux-system-prompt`.

use crate::domain::{AgentRecord, OfficeSettings, RoomRecord};
use std::path::Path;

/// The `curl` prefix every affordance line uses: the agent's bearer token and a JSON body.
const CURL: &str =
    "curl -s -H \"Authorization: Bearer $ISOMUX_AGENT_TOKEN\" -H 'Content-Type: application/json'";

/// The baseline: who the agent is, how to read the chat, and how to use the office.
pub fn baseline(
    office: &OfficeSettings,
    room: Option<&RoomRecord>,
    agent: &AgentRecord,
    data_dir: &Path,
) -> String {
    let room_name = room.map_or("the office", |r| r.name.as_str());
    let manifest = crate::discovery::manifest_path(data_dir);
    let me = "$ISOMUX_URL/api/agents/$ISOMUX_AGENT_ID";
    format!(
        "You are {name}, an agent in room {room_name} of the {office} office (Isomux). Your agent \
         id is {id} (also in $ISOMUX_AGENT_ID).\n\
         Your goal is to help the people who talk to you in this chat.\n\
         Messages are prefixed with their sender's name in brackets, e.g. [Alice] or \
         [Alice (Phone)]; several people and other agents (e.g. [Bob]) may share this chat.\n\
         Other agents: read {manifest} (each agent's id, name, room, desk, topic, cwd, model, \
         state, and log_file: a readable copy of its current conversation).\n\
         The office API is at $ISOMUX_URL; authenticate with your token as below. Each action is \
         one command:\n\
         - Show a file to the people here (images inline, other files as a download chip): \
         {CURL} -X POST {me}/read-file -d '{{\"path\":\"/abs/path.png\"}}'\n\
         - Show your uncommitted changes as a diff card (optional dir, default your cwd): \
         {CURL} -X POST {me}/diff -d '{{}}'\n\
         - Offer a file to open in the editor: \
         {CURL} -X POST {me}/edit-file -d '{{\"path\":\"/abs/file.rs\"}}'\n\
         - Offer a command to copy to a terminal: \
         {CURL} -X POST {me}/terminal-command -d '{{\"command\":\"cargo test\"}}'\n\
         - Message another agent (queued for them, labelled with your name; there is no \
         automatic reply, so do not wait for one): \
         {CURL} -X POST $ISOMUX_URL/api/agents/<agent_id>/messages -d '{{\"text\":\"...\"}}'\n\
         - List the agents: {CURL} $ISOMUX_URL/api/agents\n\
         - Task board: list: {CURL} $ISOMUX_URL/api/tasks ; create: \
         {CURL} -X POST $ISOMUX_URL/api/tasks -d '{{\"title\":\"...\",\"description\":\"...\",\
         \"assignee\":\"<agent id or name>\"}}' ; claim (409 means someone else has it): \
         {CURL} -X POST $ISOMUX_URL/api/tasks/<task_id>/claim ; finish: \
         {CURL} -X POST $ISOMUX_URL/api/tasks/<task_id>/done\n\
         Use the task board for follow-ups you discover instead of derailing your current work.",
        name = agent.name,
        id = agent.id,
        office = office.name,
        manifest = manifest.display(),
    )
}

/// Assembles the prompt appended to the backend's own system prompt.
pub fn assemble(
    office: &OfficeSettings,
    room: Option<&RoomRecord>,
    agent: &AgentRecord,
    data_dir: &Path,
) -> String {
    let room_name = room.map_or("the office", |r| r.name.as_str());
    let mut out = baseline(office, room, agent, data_dir);
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
        let p = assemble(&office, None, &agent(""), Path::new("/data"));
        assert!(p.starts_with("You are Ada, an agent in room the office of the Acme office"));
        assert!(!p.contains("##"));
    }

    #[test]
    fn the_baseline_teaches_the_manifest_and_every_affordance() {
        let p = assemble(
            &OfficeSettings::default(),
            None,
            &agent(""),
            Path::new("/data"),
        );
        assert!(p.contains("read /data/agents-summary.json"), "{p}");
        assert!(p.contains("Your agent id is ag_1"));
        for path in [
            "/api/agents/$ISOMUX_AGENT_ID/read-file",
            "/api/agents/$ISOMUX_AGENT_ID/diff",
            "/api/agents/$ISOMUX_AGENT_ID/edit-file",
            "/api/agents/$ISOMUX_AGENT_ID/terminal-command",
            "/api/agents/<agent_id>/messages",
            "$ISOMUX_URL/api/tasks -d",
            "/api/tasks/<task_id>/claim",
            "/api/tasks/<task_id>/done",
        ] {
            let line = p
                .lines()
                .find(|l| l.contains(path))
                .unwrap_or_else(|| panic!("no line for {path}"));
            assert!(
                line.contains("curl -s -H \"Authorization: Bearer $ISOMUX_AGENT_TOKEN\""),
                "{line}"
            );
        }
        // Every affordance is one line (a pasteable command per action).
        assert!(p.lines().all(|l| !l.ends_with('\\')));
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
        let p = assemble(
            &office,
            Some(&room),
            &agent("You review code."),
            Path::new("/data"),
        );
        assert!(p.contains("in room Lab of the Acme office"));
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
