//! Telegram update ids applied lately, so that an update delivered again after a crash
//! (Telegram had not seen it confirmed) is not applied twice. Recorded by a
//! [`crate::store::Commit`] in the same atomic step as the update's changes; no user id
//! is kept with them.

use async_trait::async_trait;
use jiff::Timestamp;

use super::StoreError;

#[async_trait]
pub trait UpdateLog: Send + Sync {
    /// Whether update `id` was applied (a commit recording it again conflicts).
    async fn is_applied(&self, id: u32) -> Result<bool, StoreError>;

    /// Forgets updates applied before `cutoff` (Telegram never delivers those again, and
    /// after a week of silence it may reuse ids). Returns how many.
    async fn forget_updates(&self, cutoff: Timestamp) -> Result<usize, StoreError>;
}
