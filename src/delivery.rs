//! What the engines ask to send, and where: replies to the chat of the event, ticket
//! posts to the staff group, messages to a user's private chat, copies of staff answers.
//!
//! It sits below the engines and the app so that the help desk's pure engine can say
//! what to send without importing the app; the app turns each one into outbox entries
//! (`app/outgoing.rs`).

use std::path::PathBuf;

use crate::ids::UserId;
use crate::outgoing::ReplyTo;
use crate::reply::{Reply, Rich};
use crate::text::Lang;

/// Something to send, and where.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    /// To the chat the event came from.
    Here(Reply),
    /// An official document's file to the chat the event came from (read when sent).
    File {
        path: PathBuf,
        file_name: String,
        caption: Rich,
        /// The user's language: what they are told if the file cannot be read.
        lang: crate::text::Lang,
    },
    /// To the staff group about ticket `ticket` (as a reply to `reply_to`); its message
    /// id is recorded for staff replies once Telegram accepted it, and then `tell` goes
    /// to the ticket's user (until then the user is told it is queued, if it is delayed).
    ToStaff {
        ticket: u64,
        reply: Reply,
        reply_to: Option<ReplyTo>,
        tell: Option<(UserId, Reply)>,
        /// The language of the ticket's user (for what they are told about the post).
        lang: Lang,
    },
    /// To a user's private chat.
    ToUser { user: UserId, reply: Reply },
    /// Copy (never forward: staff stay anonymous) staff message `message` of `from_chat`
    /// to the ticket's user; staff are told once it is delivered (or that it was not).
    CopyToUser {
        ticket: u64,
        user: UserId,
        from_chat: i64,
        message: i32,
    },
}
