//! Office slash commands typed by humans (`/isomux-system-prompt`, `/isomux-diff`) — answered
//! by the office with a card in the chat, never sent to the model.

use crate::error::Result;
use crate::ids::new_id;
use crate::office::{Caller, Office};
use isomux_protocol::op::SendMessage;
use isomux_protocol::op::responses::{MessageAccepted, OpOutput};
use isomux_protocol::{AgentId, MessageId};

/// The office's own slash commands (the autocomplete lists them; they win over skills).
pub const OFFICE_COMMANDS: &[(&str, &str)] = &[
    (
        "isomux-system-prompt",
        "Show the system prompt this agent's sessions start with",
    ),
    (
        "isomux-diff",
        "Show the uncommitted changes of the agent's cwd (or a dir) as a diff card",
    ),
];

/// `/name rest` → (name, rest) when `text` starts with a slash command.
pub fn slash_command(text: &str) -> Option<(&str, &str)> {
    let t = text.trim_start().strip_prefix('/')?;
    let (name, rest) = t.split_once(char::is_whitespace).unwrap_or((t, ""));
    (!name.is_empty()).then_some((name, rest.trim()))
}

impl Office {
    /// Answers a human's office command sent as a message; `None`: an ordinary message.
    pub(crate) fn office_command(
        &mut self,
        caller: &Caller,
        m: &SendMessage,
    ) -> Result<Option<OpOutput>> {
        if !caller.is_human() {
            return Ok(None);
        }
        match slash_command(&m.text) {
            Some(("isomux-system-prompt", _)) => {
                let text = self.system_prompt_of(&m.agent_id)?;
                self.system_entry(&m.agent_id, &text);
                Ok(Some(accepted()))
            }
            _ => Ok(None),
        }
    }

    /// The assembled system prompt of an agent, as its next session will get it.
    pub(crate) fn system_prompt_of(&mut self, id: &AgentId) -> Result<String> {
        let rec = self.agent_mut(id)?.rec.clone();
        let room = self.rooms.iter().find(|r| r.id == rec.room_id);
        let prompt = crate::prompt::assemble(&self.office, room, &rec, &self.config.data_dir);
        Ok(format!(
            "System prompt of {} (assembled at every session start):\n\n{prompt}",
            rec.name
        ))
    }
}

fn accepted() -> OpOutput {
    OpOutput::MessageAccepted(MessageAccepted {
        message_id: MessageId(new_id("mg")),
        queued: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slash_commands_split_name_and_arguments() {
        assert_eq!(slash_command("/isomux-diff"), Some(("isomux-diff", "")));
        assert_eq!(
            slash_command("  /pair-programming Bob  fix the parser "),
            Some(("pair-programming", "Bob  fix the parser"))
        );
        assert_eq!(slash_command("hello /x"), None);
        assert_eq!(slash_command("/ x"), None);
    }
}
