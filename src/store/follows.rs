//! Subscriptions (a user follows a call's deadline) and the reminder queue they feed.
//!
//! The queue's protocol, for any number of dispatchers on one backend:
//! - [`FollowStore::due_reminders`] lists items due now that nobody holds;
//! - [`FollowStore::claim_reminder`] takes one, exclusively, if it is still as listed
//!   (of two claimers exactly one wins), with a lease;
//! - [`FollowStore::complete_reminder`] takes it out of the queue and records how, so it
//!   is never queued again; [`FollowStore::release_reminder`] puts it back for later;
//! - an item whose holder died (lease over, or released at start by
//!   [`FollowStore::recover_reminders`] where one process owns the data) is listed again
//!   with `in_flight` set: a crash repeats at most the items that were in flight.
//!
//! What to queue for a subscription is computed by the pure
//! [`crate::reminders::schedule`]; the store persists it.

use std::collections::HashSet;

use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{StoreError, UserId};
use crate::knowledge::{CallId, DeadlineAt};
use crate::reminders::schedule::{Offset, Planned, Subscription};

/// A queued message and its delivery state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queued {
    pub item: Planned,
    /// Failed attempts so far (5xx, network).
    pub attempts: u32,
    /// Claimed by a dispatcher that may have sent it: found so when listed, it was in
    /// flight when its holder stopped and is sent again.
    pub in_flight: bool,
    /// A claim holds until then (milliseconds since the epoch); none: listed freely.
    #[serde(default)]
    pub lease_until: Option<i64>,
}

/// How an item left the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DoneHow {
    Sent,
    Expired,
    Superseded,
    Obsolete,
    Blocked,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Done {
    pub at: Timestamp,
    pub how: DoneHow,
}

/// What [`FollowStore::sync_reminders`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub subscriptions: usize,
    pub moved: usize,
    pub ended: usize,
    pub finished: usize,
    pub queued: usize,
}

/// Names one queued item; opaque to everyone but the backend that made it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReminderKey(pub(crate) Vec<u8>);

/// A queued item as listed: claiming it succeeds only if it is still so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueReminder {
    pub key: ReminderKey,
    pub queued: Queued,
    /// The stored state that was listed (backend's own encoding).
    pub(crate) seen: Vec<u8>,
}

/// A call's current deadline and whether the call is gone, for [`FollowStore::sync_reminders`].
pub type DeadlineOf<'a> = &'a (dyn Fn(&CallId) -> (Option<DeadlineAt>, bool) + Sync);

#[async_trait]
pub trait FollowStore: Send + Sync {
    /// Subscribes (or re-subscribes to a changed deadline) and queues the reminders.
    async fn subscribe(&self, sub: &Subscription, offsets: &[Offset]) -> Result<(), StoreError>;

    /// Ends one subscription and its queued reminders; false if there was none.
    async fn unsubscribe(
        &self,
        user: UserId,
        call: &CallId,
        offsets: &[Offset],
    ) -> Result<bool, StoreError>;

    /// Ends all of a user's subscriptions; returns how many.
    async fn unsubscribe_all(&self, user: UserId, offsets: &[Offset]) -> Result<usize, StoreError>;

    async fn subscription(
        &self,
        user: UserId,
        call: &CallId,
    ) -> Result<Option<Subscription>, StoreError>;

    /// A user's subscriptions, by call id.
    async fn subscriptions_of(&self, user: UserId) -> Result<Vec<Subscription>, StoreError>;

    async fn subscription_count(&self) -> Result<usize, StoreError>;

    /// Brings subscriptions and queue in line with the knowledge in force: a moved
    /// deadline updates the subscription, queues a notice and the new reminders (the old
    /// ones are removed); an unknown, past or vanished deadline ends the subscription with
    /// a notice; missing reminders are queued (e.g. after the offsets changed). A
    /// subscription changed meanwhile is left to the next sync.
    async fn sync_reminders(
        &self,
        deadline_of: DeadlineOf<'_>,
        offsets: &[Offset],
        now: Timestamp,
    ) -> Result<SyncReport, StoreError>;

    /// The due time of the first queued item.
    async fn next_reminder_due(&self) -> Result<Option<Timestamp>, StoreError>;

    /// Up to `limit` items due at `now` that nobody holds, oldest first, skipping `busy`.
    /// Unreadable items are removed.
    async fn due_reminders(
        &self,
        now: Timestamp,
        limit: usize,
        busy: &HashSet<ReminderKey>,
    ) -> Result<Vec<DueReminder>, StoreError>;

    /// Takes a listed item until `lease_until` if it is still exactly as listed; false
    /// if someone else took it, or it changed or left the queue meanwhile.
    async fn claim_reminder(
        &self,
        due: &DueReminder,
        lease_until: Timestamp,
    ) -> Result<bool, StoreError>;

    /// Takes an item out of the queue and records how (one atomic step).
    async fn complete_reminder(
        &self,
        key: &ReminderKey,
        item: &Planned,
        how: DoneHow,
        now: Timestamp,
    ) -> Result<(), StoreError>;

    /// Puts an item back in the queue at `due`, not held, with one more attempt (unless
    /// it left the queue meanwhile, e.g. its user was erased).
    async fn release_reminder(
        &self,
        key: &ReminderKey,
        q: &Queued,
        due: Timestamp,
    ) -> Result<(), StoreError>;

    /// Ends every claim's lease at once (items then listed again as in flight), at start.
    /// Only a backend where one process owns the data does so; a shared one does
    /// nothing here and lets the leases end. Returns how many.
    async fn recover_reminders(&self) -> Result<usize, StoreError>;

    /// Items in the queue (for reports and tests).
    async fn queued_reminders(&self) -> Result<Vec<Queued>, StoreError>;

    /// Whether the item with this identity left the queue, and how.
    async fn reminder_done(&self, item: &Planned) -> Result<Option<Done>, StoreError>;
}
