//! What instances sharing one backend coordinate through it: a user's turn (one update
//! of a user at a time, whichever instance received it), one-time duties (setting the
//! webhook) and announcements (the knowledge was reloaded).
//!
//! A backend one process owns (the embedded store) has nothing to coordinate: its turn
//! is free (the app's own per-user lock orders a user's updates in the process), every
//! duty is the caller's, and announcements have nobody to reach. A shared backend
//! (PostgreSQL) does each through the database, so any number of instances behind a load
//! balancer behave as one.

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::{StoreError, UserId};

/// Holds a user's turn across every instance until dropped.
#[must_use = "the turn ends when this is dropped"]
pub struct UserTurn(#[allow(dead_code)] Option<Box<dyn Send>>);

impl UserTurn {
    /// A turn that holds nothing (a backend with one process).
    pub fn free() -> UserTurn {
        UserTurn(None)
    }

    /// A turn held as long as `guard` lives.
    pub fn held(guard: impl Send + 'static) -> UserTurn {
        UserTurn(Some(Box::new(guard)))
    }
}

#[async_trait]
pub trait Instances: Send + Sync {
    /// Whether several processes may share this store at once.
    fn shared(&self) -> bool;

    /// Waits for `user`'s turn: no other instance handles one of their updates until
    /// the returned turn is dropped.
    async fn user_turn(&self, user: UserId) -> Result<UserTurn, StoreError>;

    /// Records `value` under `duty` unless it is already so. `true`: the caller is the
    /// one instance to do the duty (e.g. set the webhook with these settings); `false`:
    /// another did it already with the same `value`.
    async fn claim_duty(&self, duty: &str, value: &str) -> Result<bool, StoreError>;

    /// Forgets a duty's value (it failed, or was undone): the next claim wins.
    async fn forget_duty(&self, duty: &str) -> Result<(), StoreError>;

    /// Tells every other instance that the knowledge was reloaded.
    async fn announce_reload(&self) -> Result<(), StoreError>;

    /// The reloads other instances announce, one item each, as they come; `None`: no
    /// other instance can exist.
    async fn reload_announcements(&self) -> Result<Option<mpsc::Receiver<()>>, StoreError>;
}
