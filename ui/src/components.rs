//! Reusable pieces of the pages: the office scene, the spawn dialog, the chat's log, queue,
//! approvals and composer, markdown.

pub mod agent_list;
pub mod approvals;
pub mod character;
pub mod chat_log;
pub mod composer;
pub mod conversations;
pub mod geometry;
pub mod ghosts;
pub mod highlight;
pub mod markdown;
pub mod office_svg;
pub mod panels;
pub mod people;
pub mod phone;
pub mod queue;
pub mod slash;
pub mod sound;
pub mod spawn_dialog;
pub mod task_board;
pub mod upload;
pub mod wall;

use crate::store::Store;
use crate::transport::{self, ApiError};
use isomux_protocol::Op;

/// Run an op in the background (its effects arrive as events); a 401 signs out, any other
/// failure is handed to `on_error` as a message for the user.
pub fn fire(store: Store, op: Op, on_error: impl FnOnce(String) + 'static) {
    leptos::task::spawn_local(async move {
        match transport::call(&op).await {
            Ok(_) => {}
            Err(ApiError::Unauthorized) => store.signed_out(),
            Err(e) => on_error(e.to_string()),
        }
    });
}
