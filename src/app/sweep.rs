//! Committing a background sweep over many users' records (followed calls after a
//! reload, profile alerts): one commit per record, a conflict skipped because the user's
//! own update won (the next load looks again), and one flush per [`FLUSH_EVERY`] commits
//! and at the end, so a sweep over thousands of records costs a few disk syncs.

use crate::store::{Commit, CommitError, Store, StoreError};

/// Commits between two flushes (a flush is one disk sync for all of them).
const FLUSH_EVERY: usize = 256;

/// The commits of one sweep, counted.
pub(super) struct Sweep<'a> {
    store: &'a Store,
    unflushed: usize,
    /// Commits that stored a message to someone.
    pub told: usize,
    /// Records changed meanwhile by someone else (left to the next load).
    pub skipped: usize,
}

impl<'a> Sweep<'a> {
    pub fn new(store: &'a Store) -> Self {
        Sweep {
            store,
            unflushed: 0,
            told: 0,
            skipped: 0,
        }
    }

    /// Commits one record's change, flushing every [`FLUSH_EVERY`] commits.
    pub async fn commit(&mut self, commit: &Commit) -> Result<(), StoreError> {
        match self.store.commit(commit).await {
            Ok(()) => {
                if !commit.entries().is_empty() {
                    self.told += 1;
                }
                self.unflushed += 1;
            }
            Err(CommitError::Conflict) => self.skipped += 1,
            Err(CommitError::Store(e)) => return Err(e),
        }
        if self.unflushed >= FLUSH_EVERY {
            self.store.flush().await?;
            self.unflushed = 0;
        }
        Ok(())
    }

    /// Flushes what is left; returns (told, skipped).
    pub async fn finish(self) -> Result<(usize, usize), StoreError> {
        if self.unflushed > 0 {
            self.store.flush().await?;
        }
        Ok((self.told, self.skipped))
    }
}
