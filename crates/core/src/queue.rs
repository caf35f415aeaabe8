//! The message queue of one agent and how queued messages are coalesced into one user turn,
//! each labelled with its sender (`[Alice] …`, `[Alice (Phone)] …`, `[AgentName] …`). Pure.

use crate::domain::QueuedItem;
use isomux_protocol::{MessageId, UserLine};

/// Messages waiting for a busy agent, oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Queue {
    items: Vec<QueuedItem>,
}

/// A coalesced user turn: the labelled lines (for the log) and the text the model receives.
#[derive(Debug, Clone, PartialEq)]
pub struct CoalescedTurn {
    pub message_ids: Vec<MessageId>,
    pub lines: Vec<UserLine>,
    pub text: String,
    /// Every attached file of every message, in order, without repeats.
    pub attachments: Vec<String>,
}

impl Queue {
    pub fn from_items(items: Vec<QueuedItem>) -> Self {
        Self { items }
    }

    pub fn items(&self) -> &[QueuedItem] {
        &self.items
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn push(&mut self, item: QueuedItem) {
        self.items.push(item);
    }

    /// Removes one message; `None` when it is not (or no longer) queued.
    pub fn remove(&mut self, id: &MessageId) -> Option<QueuedItem> {
        let pos = self.items.iter().position(|i| &i.id == id)?;
        Some(self.items.remove(pos))
    }

    /// Takes everything and coalesces it; `None` when empty.
    pub fn take_turn(&mut self) -> Option<CoalescedTurn> {
        if self.items.is_empty() {
            return None;
        }
        let items = std::mem::take(&mut self.items);
        Some(coalesce(&items))
    }
}

/// Coalesces messages: consecutive messages of the same sender share one labelled line.
pub fn coalesce(items: &[QueuedItem]) -> CoalescedTurn {
    let mut lines: Vec<UserLine> = Vec::new();
    for item in items {
        match lines.last_mut() {
            Some(last) if last.sender == item.sender => {
                last.text.push('\n');
                last.text.push_str(&item.text);
                for a in &item.attachments {
                    if !last.attachments.contains(a) {
                        last.attachments.push(a.clone());
                    }
                }
            }
            _ => lines.push(UserLine {
                sender: item.sender.clone(),
                text: item.text.clone(),
                attachments: item.attachments.clone(),
            }),
        }
    }
    let text = lines
        .iter()
        .map(|l| format!("{} {}", l.sender.label(), l.text))
        .collect::<Vec<_>>()
        .join("\n");
    let mut attachments: Vec<String> = Vec::new();
    for a in items.iter().flat_map(|i| &i.attachments) {
        if !attachments.contains(a) {
            attachments.push(a.clone());
        }
    }
    CoalescedTurn {
        message_ids: items.iter().map(|i| i.id.clone()).collect(),
        lines,
        text,
        attachments,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use isomux_protocol::{Sender, SenderKind};

    fn human(name: &str, device: Option<&str>) -> Sender {
        Sender {
            kind: SenderKind::Human,
            id: format!("mb_{name}"),
            name: name.into(),
            device: device.map(Into::into),
        }
    }

    fn agent(name: &str) -> Sender {
        Sender {
            kind: SenderKind::Agent,
            id: format!("ag_{name}"),
            name: name.into(),
            device: None,
        }
    }

    fn item(id: &str, sender: Sender, text: &str) -> QueuedItem {
        QueuedItem {
            id: id.into(),
            sender,
            text: text.into(),
            created_at: 0,
            attachments: vec![],
        }
    }

    #[test]
    fn mixed_queue_is_labelled_per_sender() {
        let mut q = Queue::default();
        q.push(item("m1", human("Nil", None), "from the laptop"));
        q.push(item("m2", human("Nil", Some("Phone")), "from the phone"));
        q.push(item(
            "m3",
            human("Other User", None),
            "from a different user",
        ));
        q.push(item("m4", agent("Isomuxer3"), "from another agent"));
        let turn = q.take_turn().unwrap();
        assert_eq!(
            turn.text,
            "[Nil] from the laptop\n[Nil (Phone)] from the phone\n\
             [Other User] from a different user\n[Isomuxer3] from another agent"
        );
        assert_eq!(turn.lines.len(), 4);
        assert_eq!(turn.message_ids.len(), 4);
        assert!(q.is_empty());
        assert!(q.take_turn().is_none());
    }

    #[test]
    fn consecutive_messages_of_one_sender_share_a_line() {
        let turn = coalesce(&[
            item("m1", human("Ada", None), "one"),
            item("m2", human("Ada", None), "two"),
            item("m3", agent("Bob"), "three"),
            item("m4", human("Ada", None), "four"),
        ]);
        assert_eq!(turn.lines.len(), 3);
        assert_eq!(turn.text, "[Ada] one\ntwo\n[Bob] three\n[Ada] four");
    }

    #[test]
    fn attachments_survive_coalescing() {
        let mut one = item("m1", human("Ada", None), "one");
        one.attachments = vec!["a.png".into()];
        let mut two = item("m2", human("Ada", None), "two");
        two.attachments = vec!["b.pdf".into(), "a.png".into()];
        let mut three = item("m3", agent("Bob"), "three");
        three.attachments = vec!["c.txt".into()];
        let turn = coalesce(&[one, two, three]);
        assert_eq!(turn.attachments, ["a.png", "b.pdf", "c.txt"]);
        assert_eq!(turn.lines[0].attachments, ["a.png", "b.pdf"]);
        assert_eq!(turn.lines[1].attachments, ["c.txt"]);
    }

    #[test]
    fn remove_cancels_only_that_message() {
        let mut q = Queue::default();
        q.push(item("m1", human("Ada", None), "one"));
        q.push(item("m2", human("Ada", None), "two"));
        assert!(q.remove(&"m1".into()).is_some());
        assert!(q.remove(&"m1".into()).is_none());
        assert_eq!(q.len(), 1);
        assert_eq!(q.take_turn().unwrap().text, "[Ada] two");
    }
}
