//! Identifier newtypes. All ids are opaque strings on the wire (`#[serde(transparent)]`);
//! the core mints them (time-ordered, with a short type prefix such as `ag_`).

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_newtype {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }
    )*};
}

id_newtype!(
    /// A persistent agent (a character at a desk).
    AgentId,
    /// A room of the office (at most 8 desks).
    RoomId,
    /// One finished entry of a conversation log (also names the deltas that build it).
    EntryId,
    /// An office conversation (wraps one backend session; backend ids stay internal).
    ConversationId,
    /// A message waiting in an agent's queue.
    MessageId,
    /// A pending approval request minted by the office.
    ApprovalId,
    /// A task on the shared board.
    TaskId,
    /// A human member of the office (owner or invited member).
    MemberId,
    /// One WebSocket connection (a ghost in the office).
    ConnectionId,
);
