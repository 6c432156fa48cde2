//! Sessions: one per user, stored as the bytes the engine made of it. The store never
//! decodes them (it does not import the engine); it keeps with them a revision, so that a
//! save only succeeds if nobody saved since the session was read (compare-and-swap, in a
//! [`crate::store::Commit`]), and the moment of the user's last activity, for expiry.

use async_trait::async_trait;
use jiff::Timestamp;

use super::{StoreError, UserId};

/// Which save of a session was read: `None` when there was none. A commit that saves the
/// session against a revision fails with a conflict unless it is still the stored one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Revision(pub Option<u64>);

impl Revision {
    /// The revision after a save over this one.
    pub fn next(self) -> u64 {
        self.0.map_or(1, |v| v.wrapping_add(1).max(1))
    }
}

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub bytes: Vec<u8>,
    pub revision: Revision,
    /// The user's last activity, as given when it was saved.
    pub touched: Timestamp,
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    /// The user's session, if one is stored.
    async fn load_session(&self, user: UserId) -> Result<Option<StoredSession>, StoreError>;

    /// Number of stored sessions.
    async fn session_count(&self) -> Result<usize, StoreError>;

    /// Removes sessions last touched before `cutoff` (one touched meanwhile is kept);
    /// returns how many.
    async fn expire_sessions(&self, cutoff: Timestamp) -> Result<usize, StoreError>;
}
