//! Calls users follow («🔔 Avvisami»): per user and call, the facts the user was last
//! told ([`crate::follow::CallFacts`]). Comparing them with the knowledge in force on
//! each load finds what to tell; the notice and the new facts are stored in one commit
//! ([`crate::store::Commit::refollow`]), so each change is told once per follower.
//!
//! Writes go through [`crate::store::Commit`] (follow, unfollow, refollow); this trait
//! only reads. Erasing a user removes their follows.

use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{StoreError, UserId};
use crate::follow::CallFacts;
use crate::knowledge::CallId;

/// A user following a call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Watch {
    pub user: UserId,
    pub call: CallId,
    /// What the user was last told of the call.
    pub seen: CallFacts,
    /// When they started following it.
    pub since: Timestamp,
    /// A check result the user kept for this call, evaluated again on each load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<crate::follow::KeptVerdict>,
    /// The language the user spoke when they started following (notices use the
    /// session's language, and this one once the session has expired). Italian is not
    /// written, so a follow stored before this field reads and compares as it was.
    #[serde(default, skip_serializing_if = "is_italian")]
    pub lang: crate::text::Lang,
}

fn is_italian(l: &crate::text::Lang) -> bool {
    *l == crate::text::Lang::It
}

#[async_trait]
pub trait WatchStore: Send + Sync {
    /// The calls a user follows, by call id.
    async fn watches_of(&self, user: UserId) -> Result<Vec<Watch>, StoreError>;

    /// Up to `limit` follows after `after` (user, call), in the backend's key order (a
    /// user's follows together, by call; users in an order of the backend's choosing,
    /// stable across calls): a load walks all of them a page at a time.
    async fn watches_page(
        &self,
        after: Option<(UserId, CallId)>,
        limit: usize,
    ) -> Result<Vec<Watch>, StoreError>;

    async fn watch_count(&self) -> Result<usize, StoreError>;
}
