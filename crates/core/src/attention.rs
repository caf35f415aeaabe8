//! When an agent needs a human: the state transitions that raise the attention indicator
//! (finished working, asks a question, waits for approval, failed). Pure.

use isomux_protocol::{AgentState, event::AttentionReason};

/// The attention reason for a transition, if any.
pub fn on_transition(prev: AgentState, next: AgentState) -> Option<AttentionReason> {
    if prev == next {
        return None;
    }
    match next {
        AgentState::WaitingApproval => Some(AttentionReason::WaitingApproval),
        AgentState::WaitingInput => Some(AttentionReason::WaitingInput),
        AgentState::Error => Some(AttentionReason::Error),
        AgentState::Idle if prev.is_busy() => Some(AttentionReason::Done),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AgentState::*;

    #[test]
    fn table() {
        let cases = [
            (Thinking, Idle, Some(AttentionReason::Done)),
            (Tool, Idle, Some(AttentionReason::Done)),
            (WaitingApproval, Idle, Some(AttentionReason::Done)),
            (
                Thinking,
                WaitingApproval,
                Some(AttentionReason::WaitingApproval),
            ),
            (Tool, WaitingInput, Some(AttentionReason::WaitingInput)),
            (Thinking, Error, Some(AttentionReason::Error)),
            (Sleeping, Idle, None),
            (Idle, Thinking, None),
            (Thinking, Tool, None),
            (Idle, Idle, None),
            (WaitingApproval, WaitingApproval, None),
            (Idle, Sleeping, None),
            (Error, Error, None),
        ];
        for (prev, next, want) in cases {
            assert_eq!(on_transition(prev, next), want, "{prev:?} -> {next:?}");
        }
    }
}
