//! The inbox: updates fetched from Telegram and not yet handled.
//!
//! Telegram forgets an update once the bot asks for the ones after it (long polling's
//! next offset) or once a webhook's request was answered. Without an inbox a bot killed
//! in between loses the update: Telegram no longer has it, and it was only in memory.
//! So the listener keeps every update it fetched here, and confirms it to Telegram only
//! once [`Inbox::sync_received`] made it durable; the update is removed when it was
//! handled ([`Inbox::handled`]); at start whatever is left is handed out again
//! ([`Inbox::unhandled`]) before anything new.
//!
//! An update handed out again may have been applied already (the kill came after its
//! commit, before its removal): [`crate::store::UpdateLog`] makes its second run a no-op.
//!
//! An update can also stay while the bot runs: its instance died behind a load balancer
//! and was not started again, or its handling failed and nothing about it could be
//! stored. The running bot takes those over ([`Inbox::stranded`]) once they have waited
//! long enough that nobody can be still at them (and if someone is, the second run is a
//! no-op, as above).
//!
//! An update holds what its user wrote: a backend keeps it as it keeps the user's other
//! records, so that erasing the user erases it too (sealed with the user's key in the
//! embedded backend, deleted with the user's rows in the shared one).

use std::time::Duration;

use async_trait::async_trait;

use super::{StoreError, UserId};

/// One update as fetched: Telegram's id, whose it is (`None`: nobody's; it decides how
/// the update is kept and erased, and is not kept itself), and its body (opaque to the
/// store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub id: u32,
    pub user: Option<UserId>,
    pub body: Vec<u8>,
}

#[async_trait]
pub trait Inbox: Send + Sync {
    /// Keeps updates just fetched (one already kept is kept once). They may be durable
    /// only once [`Inbox::sync_received`] returns.
    async fn receive(&self, batch: &[Received]) -> Result<(), StoreError>;

    /// Makes every update received so far durable.
    async fn sync_received(&self) -> Result<(), StoreError>;

    /// Update `id` was handled: it is not handed out again (durable with the next
    /// flush; until then a crash hands it out again, which its update id makes harmless).
    async fn handled(&self, id: u32) -> Result<(), StoreError>;

    /// Updates received and not handled, by id (id, body): those a crash or a stop left.
    /// An update whose user was erased meanwhile is dropped.
    async fn unhandled(&self) -> Result<Vec<(u32, Vec<u8>)>, StoreError>;

    /// Updates kept longer than `older_than` ago and not handled (id, body), by id: those
    /// another instance sharing the store kept and never handled, or whose handling
    /// failed and left them (see `crate::telegram`'s `replay`). Each is taken for this
    /// caller: it is given again, to any caller, only `older_than` after this call. A
    /// store one process owns may count the wait from the first call that saw the
    /// update.
    async fn stranded(&self, older_than: Duration) -> Result<Vec<(u32, Vec<u8>)>, StoreError>;
}
