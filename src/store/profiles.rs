//! Profile alerts («Avvisami se esce un bando adatto a me»): per user, the answers to the
//! profile questionnaire the user agreed to keep, and the calls of the pack already
//! compared with them. Each load compares the calls of the pack with that list: a call
//! not in it is new, and told if the profile fits it ([`crate::dialogue::profile_alert`]); the
//! notice and the new list are stored in one commit
//! ([`crate::store::Commit::reprofile`]), so each new call is told once.
//!
//! Stored only on the user's explicit request (the tap is the consent); erased by
//! `/cancellami` and by stopping the alerts. Writes go through
//! [`crate::store::Commit`] (save, reprofile, drop); this trait only reads.

use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{StoreError, UserId};
use crate::eligibility::Answers;
use crate::knowledge::CallId;
use crate::text::Lang;

/// A user's consent to profile alerts, with the profile it covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileAlert {
    pub user: UserId,
    /// The profile questionnaire the answers belong to («Quali bandi fanno per me?»).
    pub questionnaire: String,
    pub answers: Answers,
    /// The calls of the pack already compared with the profile (a call not listed here
    /// is new on the next load).
    pub seen: Vec<CallId>,
    /// The language the user spoke when they asked (used when no session says better).
    #[serde(default)]
    pub lang: Lang,
    /// When they asked.
    pub since: Timestamp,
}

#[async_trait]
pub trait ProfileStore: Send + Sync {
    /// The user's profile alert, if they asked for one.
    async fn profile_alert(&self, user: UserId) -> Result<Option<ProfileAlert>, StoreError>;

    /// Up to `limit` profile alerts after the one of `after`, in the backend's order
    /// (stable across calls): a load walks all of them a page at a time.
    async fn profile_alerts_page(
        &self,
        after: Option<UserId>,
        limit: usize,
    ) -> Result<Vec<ProfileAlert>, StoreError>;

    async fn profile_alert_count(&self) -> Result<usize, StoreError>;
}
