//! The outbox: messages to send, stored by a [`crate::store::Commit`] together with the
//! state change that produced them, and removed by a commit too
//! ([`crate::store::Commit::consume`]) once Telegram accepted them.
//!
//! Claim protocol, safe with several senders on one backend:
//! - replies are claimed before background messages; only the oldest entry of a chat can
//!   be claimed ("head"), and none while another entry of that chat is claimed: each chat
//!   gets its messages in order;
//! - a claim records the owner and a lease; an entry whose lease ran out can be claimed
//!   again (its owner died);
//! - delivery ends with a commit that removes the entry only if it is still exactly as
//!   claimed, together with what follows from it;
//! - a sender that may have sent an entry and died leaves it claimed: it is sent again,
//!   so repeats are bounded by the entries in flight. A backend where one process owns
//!   the data releases every foreign claim at start ([`OutboxStore::outbox_recover`]); a
//!   shared one lets leases end.
//!
//! Nothing here sends anything.

use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;

use super::StoreError;
use crate::outgoing::{Class, Entry};

/// Who claims entries: one per running sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner(pub u64);

impl Owner {
    /// A fresh owner (random: two processes never share one).
    pub fn new() -> Owner {
        let t = Timestamp::now().as_nanosecond() as u64;
        Owner(t ^ (u64::from(std::process::id()) << 40) ^ 0x9e37_79b9_7f4a_7c15)
    }
}

impl Default for Owner {
    fn default() -> Self {
        Owner::new()
    }
}

/// An entry this sender now owns, until it completes, retries or releases it.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    /// Where it is and what it was when claimed (the backend's own encoding): later
    /// changes compare against it.
    pub(crate) key: Vec<u8>,
    pub(crate) raw: Vec<u8>,
    pub entry: Entry,
    pub attempts: u32,
    pub notified: bool,
    /// When it was stored.
    pub stored_at: Timestamp,
    /// Further entries of the same chat waiting behind it.
    pub behind: usize,
}

/// An unclaimed entry waiting behind a claimed one, or late (see
/// [`OutboxStore::outbox_followers`], [`OutboxStore::outbox_late`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Waiting {
    pub(crate) key: Vec<u8>,
    pub(crate) raw: Vec<u8>,
    pub entry: Entry,
}

/// What one claim round found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Round {
    pub claimed: Vec<Claimed>,
    /// The earliest moment a head that is waiting for a retry becomes due.
    pub next_due: Option<Timestamp>,
    /// Entries in the outbox (all chats, claimed or not) seen by the round.
    pub len: usize,
    /// The round stopped once `limit` heads were claimed: `len`, `next_due` and
    /// `behind` count only what it saw (a full outbox is not read when it need not be).
    pub partial: bool,
}

/// Asked about each candidate head's chat and class; `true` refuses it (e.g. a chat over
/// its rate limit), and the chat keeps waiting.
pub type Skip<'a> = &'a mut (dyn FnMut(i64, Class) -> bool + Send);

/// Picks the entries [`OutboxStore::outbox_late`] watches, given each entry and how many
/// entries of its chat wait ahead of it (unclaimed, those already told of a delay
/// included).
pub type Watch<'a> = &'a (dyn Fn(&Entry, usize) -> bool + Sync);

#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Releases every claim not held by `owner` (claims of a process that stopped).
    /// Only for backends where one process owns the data. Returns how many.
    async fn outbox_recover(&self, owner: Owner) -> Result<usize, StoreError>;

    /// Claims up to `limit` chat heads that are due at `now`, replies first, for
    /// `lease`. Unreadable entries are removed (logged).
    async fn outbox_claim(
        &self,
        owner: Owner,
        now: Timestamp,
        lease: Duration,
        limit: usize,
        skip: Skip<'_>,
    ) -> Result<Round, StoreError>;

    /// Puts a claimed entry back, to be sent again not before `at`, with one more failed
    /// attempt when `failed`; `notified` records that its user was told of the delay.
    async fn outbox_retry(
        &self,
        c: &Claimed,
        at: Timestamp,
        failed: bool,
        notified: bool,
    ) -> Result<(), StoreError>;

    /// Removes a claimed entry (if still as claimed) without anything following from it;
    /// a delivery with consequences completes with [`crate::store::Commit::consume`].
    async fn outbox_drop(&self, c: &Claimed) -> Result<(), StoreError>;

    /// The unclaimed entries of `c`'s chat stored after it, oldest first, up to `limit`.
    async fn outbox_followers(&self, c: &Claimed, limit: usize)
    -> Result<Vec<Waiting>, StoreError>;

    /// Replaces the claimed head `c` by `merged` and removes `replaced` (entries of the
    /// same chat behind it, still unclaimed), atomically. Returns the new claim, or
    /// `None` when something changed meanwhile (nothing is changed then).
    async fn outbox_merge(
        &self,
        c: &Claimed,
        replaced: &[&Waiting],
        merged: Entry,
    ) -> Result<Option<Claimed>, StoreError>;

    /// Unclaimed entries stored before `before` whose user was not yet told of a delay,
    /// among those `watch` picks, oldest first (at most `limit`). With `chats`, only
    /// entries to those chats are read (the others are skipped unopened).
    async fn outbox_late(
        &self,
        before: Timestamp,
        chats: Option<&HashSet<i64>>,
        watch: Watch<'_>,
        limit: usize,
    ) -> Result<Vec<Waiting>, StoreError>;

    /// Entries waiting in the outbox (claimed or not).
    async fn outbox_len(&self) -> Result<usize, StoreError>;

    /// Every entry in the outbox, in delivery order (for reports and tests).
    async fn outbox_entries(&self) -> Result<Vec<Entry>, StoreError>;
}
