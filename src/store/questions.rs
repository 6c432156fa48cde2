//! The anonymous question log: what was asked and what was answered, for the help
//! desk's statistics. No user id is kept. Entries older than the retention
//! (`[data] question_log_days`, 365 by default) are removed by [`QuestionLog::purge_questions`].

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::StoreError;

/// How long logged questions are kept by default (days).
pub const DEFAULT_RETENTION_DAYS: u32 = 365;

/// One logged question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AskedQuestion {
    pub at: Timestamp,
    pub question: String,
    pub best: Option<String>,
    pub confident: bool,
}

/// The moment before which entries go, `days` days before `now`.
pub fn retention_cutoff(now: Timestamp, days: u32) -> Timestamp {
    now - SignedDuration::from_hours(24 * i64::from(days))
}

#[async_trait]
pub trait QuestionLog: Send + Sync {
    /// Logged questions asked at or after `since`, oldest first.
    async fn questions_since(&self, since: Timestamp) -> Result<Vec<AskedQuestion>, StoreError>;

    /// Removes entries asked before `before`; returns how many.
    async fn purge_questions(&self, before: Timestamp) -> Result<usize, StoreError>;
}
