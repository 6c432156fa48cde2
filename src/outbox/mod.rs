//! The durable outbox: everything the bot sends is first stored, in the same atomic write
//! as the state change that produced it, then delivered by one sender.
//!
//! - what is stored, one Bot API call per entry, is [`crate::outgoing`] (a bottom module:
//!   the store keeps entries without knowing this one);
//! - [`crate::store::outbox`] keeps them, behind the store's interface, with the claim
//!   protocol, safe with several senders on one database;
//! - [`policy`]: the one error policy (429, 5xx, 403, 400), backoff, busy-group merging;
//! - [`limit`]: the one limiter, sized to Telegram's limits;
//! - [`sender`]: the task that delivers, and the [`sender::Transport`] and
//!   [`sender::Hooks`] it is given;
//! - reminders of the dispatcher go through the same sender
//!   ([`crate::reminders::handoff`]).
//!
//! Why: an update Telegram considers delivered is never delivered again, so a reply kept
//! only in memory is lost by a crash after the state was saved. Stored with the state, it
//! goes out after a restart. Handlers only store and return; nothing waits on a limit.

pub mod limit;
pub mod policy;
pub mod sender;

pub use crate::outgoing::{Class, Entry, Target, Then, What, plan};
pub use limit::{Limiter, Limits};
pub use sender::{End, Hooks, SETTLE, Sender, SenderSettings, Transport};
