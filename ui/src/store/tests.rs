//! Reducer tests, run natively (`cargo test -p isomux-ui`): messages are built from JSON as
//! the server sends them, so these also pin the wire shapes the UI relies on.

use super::{Auth, State, apply};
use isomux_protocol::op::responses::LogsPage;
use isomux_protocol::{AgentId, AgentState, EntryBody, ServerMessage};
use serde_json::{Value, json};

fn msg(v: Value) -> ServerMessage {
    serde_json::from_value(v).expect("valid server message")
}

fn agent(id: &str, desk: u8) -> Value {
    json!({
        "id": id, "name": format!("Agent {id}"), "room_id": "rm_1", "desk": desk,
        "look": {"hair": "short", "hair_color": "brown", "skin": "#f1c27d", "outfit": "blue",
                 "accessory": ""},
        "cwd": "/tmp", "backend": "demo", "model": "demo-1", "permission_mode": "default",
        "effort": "medium", "prompt": "", "state": "idle", "conversation_id": "cv_1",
        "queue": [], "pending_approvals": [], "usage": {}, "created_at": 1
    })
}

fn full_state() -> ServerMessage {
    msg(json!({
        "type": "full_state",
        "office": {"name": "HQ", "prompt": "", "env": {}},
        "rooms": [
            {"id": "rm_2", "name": "Lab", "position": 1, "prompt": "", "env": {}},
            {"id": "rm_1", "name": "Main", "position": 0, "prompt": "", "env": {}}
        ],
        "agents": [agent("ag_1", 1), agent("ag_2", 2)],
        "tasks": [], "presence": [],
        "me": {"kind": "human", "member_id": "mb_1", "name": "Alice", "role": "owner"},
        "backends": [], "version": "0.1.0"
    }))
}

fn entry(id: &str, seq: i64, text: &str) -> Value {
    json!({"id": id, "conversation_id": "cv_1", "seq": seq, "ts": 0, "kind": "assistant",
           "text": text})
}

fn delta(entry_id: &str, text: &str) -> ServerMessage {
    msg(
        json!({"type": "log_delta", "agent_id": "ag_1", "entry_id": entry_id,
               "conversation_id": "cv_1", "kind": "text", "delta": text}),
    )
}

fn loaded() -> State {
    let mut s = State::default();
    apply(&mut s, full_state());
    s
}

fn ag(id: &str) -> AgentId {
    id.into()
}

#[test]
fn full_state_replaces_everything_and_sorts_rooms() {
    let mut s = loaded();
    assert_eq!(s.auth, Auth::SignedIn);
    assert_eq!(s.agents.len(), 2);
    assert_eq!(s.rooms[0].name, "Main");
    assert_eq!(s.current_room, Some("rm_1".into()));
    s.focus(Some(ag("ag_1")));
    apply(&mut s, delta("en_9", "partial"));
    apply(
        &mut s,
        msg(json!({"type": "agent_added", "agent": agent("ag_3", 3)})),
    );
    apply(&mut s, full_state());
    assert_eq!(s.agents.len(), 2, "agents come from the snapshot only");
    assert!(s.streams.is_empty(), "stale partial text is dropped");
    assert_eq!(s.focused, Some(ag("ag_1")), "focus survives a resync");
}

#[test]
fn deltas_stream_then_log_entry_replaces_the_buffer() {
    let mut s = loaded();
    s.ensure_log(&ag("ag_1"));
    apply(&mut s, delta("en_1", "Hel"));
    apply(&mut s, delta("en_1", "lo"));
    assert_eq!(s.streams.len(), 1);
    assert_eq!(s.streams[0].text, "Hello");
    apply(
        &mut s,
        msg(json!({"type": "log_entry", "agent_id": "ag_1", "entry": entry("en_1", 5, "Hello!")})),
    );
    assert!(s.streams.is_empty());
    let log = &s.logs[&ag("ag_1")];
    assert_eq!(log.entries.len(), 1);
    assert_eq!(
        log.entries[0].body,
        EntryBody::Assistant {
            text: "Hello!".into()
        }
    );
}

#[test]
fn log_entry_upserts_by_id_and_page_merges_in_seq_order() {
    let mut s = loaded();
    let id = ag("ag_1");
    s.ensure_log(&id);
    apply(
        &mut s,
        msg(json!({"type": "log_entry", "agent_id": "ag_1", "entry": entry("en_3", 3, "c")})),
    );
    apply(
        &mut s,
        msg(json!({"type": "log_entry", "agent_id": "ag_1", "entry": entry("en_3", 3, "c2")})),
    );
    let page: LogsPage = serde_json::from_value(json!({
        "entries": [entry("en_1", 1, "a"), entry("en_2", 2, "b")], "next_before": null
    }))
    .unwrap();
    s.merge_page(&id, page);
    let log = &s.logs[&id];
    assert!(log.loaded);
    let ids: Vec<_> = log.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["en_1", "en_2", "en_3"]);
    assert_eq!(
        log.entries[2].body,
        EntryBody::Assistant { text: "c2".into() }
    );
}

#[test]
fn log_entry_of_an_unopened_chat_is_not_kept() {
    let mut s = loaded();
    apply(
        &mut s,
        msg(json!({"type": "log_entry", "agent_id": "ag_2", "entry": entry("en_1", 1, "x")})),
    );
    assert!(s.logs.is_empty());
}

#[test]
fn queue_updated_replaces_the_queue() {
    let mut s = loaded();
    apply(
        &mut s,
        msg(
            json!({"type": "queue_updated", "agent_id": "ag_1", "queue": [
                {"id": "ms_1", "sender": {"kind": "human", "id": "mb_1", "name": "Alice"},
                 "text": "hi", "created_at": 1}
            ]}),
        ),
    );
    assert_eq!(s.agent(&ag("ag_1")).unwrap().queue.len(), 1);
    apply(
        &mut s,
        msg(json!({"type": "queue_updated", "agent_id": "ag_1", "queue": []})),
    );
    assert!(s.agent(&ag("ag_1")).unwrap().queue.is_empty());
}

#[test]
fn agent_removed_clears_focus_and_its_data() {
    let mut s = loaded();
    s.focus(Some(ag("ag_1")));
    s.ensure_log(&ag("ag_1"));
    apply(&mut s, delta("en_1", "x"));
    apply(
        &mut s,
        msg(json!({"type": "agent_removed", "agent_id": "ag_1"})),
    );
    assert_eq!(s.focused, None);
    assert!(s.agent(&ag("ag_1")).is_none());
    assert!(s.logs.is_empty() && s.streams.is_empty());
}

#[test]
fn unknown_messages_are_ignored() {
    let mut s = loaded();
    let before = s.clone();
    apply(&mut s, msg(json!({"type": "from_the_future", "x": 1})));
    apply(&mut s, msg(json!({"type": "pong"})));
    assert_eq!(s, before);
}

#[test]
fn attention_is_not_set_for_the_focused_agent() {
    let mut s = loaded();
    s.focus(Some(ag("ag_1")));
    for id in ["ag_1", "ag_2"] {
        apply(
            &mut s,
            msg(json!({"type": "attention", "agent_id": id, "reason": "done"})),
        );
    }
    assert!(!s.attention.contains(&ag("ag_1")));
    assert!(s.attention.contains(&ag("ag_2")));
    s.focus(Some(ag("ag_2")));
    assert!(
        s.attention.is_empty(),
        "looking at an agent clears its attention"
    );
}

#[test]
fn state_and_approvals_update_the_agent() {
    let mut s = loaded();
    apply(
        &mut s,
        msg(json!({"type": "agent_state", "agent_id": "ag_1", "state": "waiting_approval"})),
    );
    let req = json!({"type": "approval_requested", "agent_id": "ag_1", "approval_id": "ap_1",
                     "tool": "Bash", "input": {"command": "ls"}, "summary": "ls"});
    apply(&mut s, msg(req.clone()));
    apply(&mut s, msg(req));
    let a = s.agent(&ag("ag_1")).unwrap();
    assert_eq!(a.state, AgentState::WaitingApproval);
    assert_eq!(
        a.pending_approvals.len(),
        1,
        "a repeated request is not duplicated"
    );
    apply(
        &mut s,
        msg(
            json!({"type": "approval_resolved", "agent_id": "ag_1", "approval_id": "ap_1",
                   "allow": true, "by": "Alice"}),
        ),
    );
    assert!(s.agent(&ag("ag_1")).unwrap().pending_approvals.is_empty());
}

#[test]
fn new_conversation_drops_the_old_log() {
    let mut s = loaded();
    s.ensure_log(&ag("ag_1"));
    apply(
        &mut s,
        msg(json!({"type": "log_entry", "agent_id": "ag_1", "entry": entry("en_1", 1, "x")})),
    );
    let mut a = agent("ag_1", 1);
    a["conversation_id"] = json!("cv_2");
    apply(&mut s, msg(json!({"type": "agent_updated", "agent": a})));
    let log = &s.logs[&ag("ag_1")];
    assert!(log.entries.is_empty() && !log.loaded);
}

#[test]
fn removing_the_current_room_falls_back_to_the_first() {
    let mut s = loaded();
    s.current_room = Some("rm_2".into());
    apply(
        &mut s,
        msg(json!({"type": "room_removed", "room_id": "rm_2"})),
    );
    assert_eq!(s.current_room, Some("rm_1".into()));
}

#[test]
fn session_expired_signs_out() {
    let mut s = loaded();
    apply(&mut s, msg(json!({"type": "session_expired"})));
    assert_eq!(s.auth, Auth::SignedOut);
}

#[test]
fn tab_cycles_rooms_in_position_order_and_wraps() {
    let mut s = loaded();
    assert_eq!(s.current_room, Some("rm_1".into()));
    assert!(s.cycle_room(true));
    assert_eq!(s.current_room, Some("rm_2".into()));
    assert!(s.cycle_room(true));
    assert_eq!(s.current_room, Some("rm_1".into()));
    assert!(s.cycle_room(false));
    assert_eq!(s.current_room, Some("rm_2".into()));
    apply(
        &mut s,
        msg(json!({"type": "room_removed", "room_id": "rm_2"})),
    );
    assert!(!s.cycle_room(true), "one room: nothing to cycle");
    assert_eq!(s.current_room, Some("rm_1".into()));
}

#[test]
fn digit_keys_pick_the_agent_at_a_desk_of_the_current_room() {
    let mut s = loaded();
    assert_eq!(s.desk_agent(1), Some(ag("ag_1")));
    assert_eq!(s.desk_agent(2), Some(ag("ag_2")));
    assert_eq!(s.desk_agent(3), None, "an empty desk");
    s.current_room = Some("rm_2".into());
    assert_eq!(s.desk_agent(1), None, "another room");
}

#[test]
fn tab_in_a_chat_cycles_awake_agents_of_the_room() {
    let mut s = loaded();
    let mut third = agent("ag_3", 5);
    third["state"] = json!("sleeping");
    apply(&mut s, msg(json!({"type": "agent_added", "agent": third})));
    let mut fourth = agent("ag_4", 4);
    fourth["state"] = json!("thinking");
    apply(&mut s, msg(json!({"type": "agent_added", "agent": fourth})));
    let mut elsewhere = agent("ag_5", 3);
    elsewhere["room_id"] = json!("rm_2");
    apply(
        &mut s,
        msg(json!({"type": "agent_added", "agent": elsewhere})),
    );

    assert_eq!(s.cycle_agent(true), None, "no chat open");
    s.focus(Some(ag("ag_1")));
    assert_eq!(s.cycle_agent(true), Some(ag("ag_2")));
    assert_eq!(
        s.cycle_agent(false),
        Some(ag("ag_4")),
        "wraps, skips sleeping ag_3"
    );
    s.focus(Some(ag("ag_4")));
    assert_eq!(
        s.cycle_agent(true),
        Some(ag("ag_1")),
        "skips sleeping, wraps"
    );
    // A sleeping focused agent still cycles to the awake ones.
    s.focus(Some(ag("ag_3")));
    assert_eq!(s.cycle_agent(false), Some(ag("ag_4")));
    // Alone (awake) in its room: nothing to cycle to.
    s.focus(Some(ag("ag_5")));
    assert_eq!(s.cycle_agent(true), None);
}

#[test]
fn answered_approvals_keep_a_card_saying_who_answered() {
    let mut s = loaded();
    for i in 0..7 {
        apply(
            &mut s,
            msg(json!({"type": "approval_requested", "agent_id": "ag_1",
                       "approval_id": format!("ap_{i}"), "tool": "Bash",
                       "input": {"command": "rm -rf ./build"}, "summary": "Run rm"})),
        );
        let resolved = json!({"type": "approval_resolved", "agent_id": "ag_1",
                              "approval_id": format!("ap_{i}"), "allow": i % 2 == 0,
                              "by": "Bob (Phone)"});
        apply(&mut s, msg(resolved.clone()));
        // Every device gets the event; a repeat changes nothing.
        apply(&mut s, msg(resolved));
    }
    let r = s.resolved_for(&ag("ag_1"));
    assert_eq!(
        r.len(),
        super::state::RESOLVED_KEPT,
        "only the last few are kept"
    );
    let last = r.last().unwrap();
    assert_eq!(last.approval_id.as_str(), "ap_6");
    assert!(last.allow);
    assert_eq!(last.by, "Bob (Phone)");
    assert_eq!(
        (last.tool.as_str(), last.summary.as_str()),
        ("Bash", "Run rm")
    );
    assert!(s.resolved_for(&ag("ag_2")).is_empty());
    // One answered elsewhere before we saw it pending still shows its outcome.
    apply(
        &mut s,
        msg(
            json!({"type": "approval_resolved", "agent_id": "ag_2", "approval_id": "ap_x",
                   "allow": false, "by": "auto"}),
        ),
    );
    assert!(!s.resolved_for(&ag("ag_2"))[0].allow);
    apply(
        &mut s,
        msg(json!({"type": "agent_removed", "agent_id": "ag_2"})),
    );
    assert!(s.resolved_for(&ag("ag_2")).is_empty());
}

#[test]
fn older_pages_are_prepended_and_move_only_the_cursor() {
    let mut s = loaded();
    let id = ag("ag_1");
    let page = |from: i64, to: i64, next: Option<i64>| -> LogsPage {
        serde_json::from_value(json!({
            "entries": (from..to).map(|i| entry(&format!("en_{i}"), i, "x")).collect::<Vec<_>>(),
            "next_before": next,
        }))
        .unwrap()
    };
    s.merge_page(&id, page(300, 400, Some(300)));
    // A live entry arrived meanwhile.
    apply(
        &mut s,
        msg(json!({"type": "log_entry", "agent_id": "ag_1", "entry": entry("en_400", 400, "y")})),
    );
    let added = s.merge_older_page(&id, page(100, 300, Some(100)));
    assert_eq!(added, 200);
    // Overlap (a page fetched twice) adds nothing and keeps the order.
    assert_eq!(s.merge_older_page(&id, page(250, 310, Some(100))), 0);
    let log = &s.logs[&id];
    assert!(log.loaded);
    assert_eq!(log.next_before, Some(100));
    assert_eq!(log.entries.len(), 301);
    assert!(log.entries.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(log.entries.first().unwrap().seq, 100);
    assert_eq!(log.entries.last().unwrap().seq, 400);
    s.merge_older_page(&id, page(0, 100, None));
    assert_eq!(s.logs[&id].next_before, None, "nothing older");
}
