//! Erasing one user (`/cancellami`) across every kind of data: session, subscriptions
//! and queued reminders, followed calls, the profile kept for profile alerts, the personal fields of their tickets, the questions they asked,
//! and messages still waiting to be sent to them. The same erasure can be part of a
//! larger commit ([`crate::store::Commit::erase`]), e.g. with the reply that confirms it.
//!
//! A backend must make erasure real on disk (old versions included): see the backend's
//! documentation for how. It also appends each erasure to the data directory's
//! [`crate::store::erasures::Journal`], so that a restore of an older backup does not
//! bring the user back.

use async_trait::async_trait;

use super::{StoreError, UserId};

#[async_trait]
pub trait Erasure: Send + Sync {
    /// Deletes everything stored about `user`, at once.
    async fn erase_user(&self, user: UserId) -> Result<(), StoreError>;
}
