//! Erasures and their keys: a user's data key is destroyed only once the commit that
//! erased them is on disk, and a crash between the two neither keeps the key nor leaves
//! the user unanswered.
//!
//! `/cancellami` removes a user's records in one commit, and destroying their key makes
//! noise of the old versions the store's log keeps until a compaction rewrites it
//! ([`crate::store::keys`]). The key file is synced at once, the commit only by the flush
//! that follows it. Destroying the key at commit time, as before, let a crash in between
//! bring the records back unreadable, with the confirmation lost with the commit: a user
//! erased without being told, counted in the crash campaign (BENCHMARKS.md, "The
//! completions' window").
//!
//! So the commit also writes a marker (tree `erasing`: the user's pseudonym → the second
//! of the erasure) and notes the user with the flusher ([`super::flusher`]); the flush
//! that makes the commit durable destroys the key, before anything that commit stored
//! is sent, then removes the marker. A crash after the flush and before the key is gone
//! leaves the marker, and the next open destroys every marked user's key (again, if it
//! already was) before anything reads the trees.
//!
//! Between the commit and that flush the key still exists, so a record sealed for the
//! user meanwhile is sealed with it and goes with it. A handler holds the user's turn
//! across its commit and its flush, so only writers outside that turn can meet the
//! window (the sender's hooks, staff's commits), for the few milliseconds of a flush:
//! what they write about a user being erased is erased too.

use jiff::Timestamp;

use super::EmbeddedStore;
use super::ops::{Op, TreeId};
use crate::store::shred::Pseudonym;
use crate::store::{StoreError, UserId};

/// The marker tree's name.
pub(super) const TREE: &str = "erasing";

impl EmbeddedStore {
    /// The marker an erasure of `user` writes with its commit.
    pub(super) fn erasing_op(&self, user: UserId) -> Op {
        Op::Put(
            TreeId::Erasing,
            self.who(user).0.to_vec(),
            Timestamp::now().as_second().to_be_bytes().to_vec(),
        )
    }

    /// Destroys the keys of `erased`, whose commits are on disk, then removes their
    /// markers. On an error, the erasures not finished come back with it.
    pub(super) fn finish_erasures(
        &self,
        erased: Vec<Pseudonym>,
    ) -> Result<(), (StoreError, Vec<Pseudonym>)> {
        for (i, who) in erased.iter().enumerate() {
            if let Err(e) = self.shred(who) {
                return Err((e, erased[i..].to_vec()));
            }
        }
        for who in &erased {
            // On disk with a later flush; a removal a crash loses only makes the next
            // open destroy an absent key.
            let _w = self.writing();
            if let Err(e) = self.erasing.remove(who.0) {
                tracing::warn!("an erasure's marker stays until the next start: {e}");
            }
        }
        Ok(())
    }

    /// At open: finishes the erasures a crash stopped between their commit's flush and
    /// their key's destruction. Returns how many.
    pub(super) fn finish_interrupted_erasures(&self) -> Result<usize, StoreError> {
        let mut n = 0;
        for item in self.erasing.iter() {
            let (key, _) = item?;
            if let Some(who) = Pseudonym::from_slice(&key) {
                self.shred(&who)?;
            }
            self.erasing.remove(key)?;
            n += 1;
        }
        if n > 0 {
            self.db.flush()?;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Commit, Committer, Revision, SessionStore, erasures};

    /// A store in `dir` holding a session for `u`, flushed, then `u`'s erasure
    /// committed and not flushed by the store.
    async fn erased_unflushed(dir: &std::path::Path, u: UserId) -> EmbeddedStore {
        let st = EmbeddedStore::open(dir, 8, crate::store::SyncMode::default()).unwrap();
        let mut c = Commit::new();
        c.session(
            u,
            Revision(None),
            Some(b"x".to_vec()),
            Timestamp::UNIX_EPOCH,
        );
        st.commit(&c).await.unwrap();
        st.flush().await.unwrap();
        let mut c = Commit::new();
        c.erase(u);
        st.commit(&c).await.unwrap();
        st
    }

    fn journalled(dir: &std::path::Path, who: &Pseudonym) -> usize {
        let (_, entries) = erasures::read(dir).unwrap().unwrap();
        entries.iter().filter(|e| e.who == *who).count()
    }

    #[tokio::test]
    async fn the_flush_that_makes_an_erasure_durable_destroys_the_key_then_the_marker() {
        let dir = tempfile::tempdir().unwrap();
        let u = UserId(41);
        let st = erased_unflushed(dir.path(), u).await;
        let who = st.who(u);
        assert!(
            st.keys.key(&who).is_some(),
            "kept until the commit is on disk"
        );
        assert_eq!(journalled(dir.path(), &who), 0);
        st.flush().await.unwrap();
        assert!(st.keys.key(&who).is_none(), "destroyed by the flush");
        assert!(st.erasing.is_empty(), "the marker is removed");
        assert_eq!(journalled(dir.path(), &who), 1);
        assert_eq!(st.load_session(u).await.unwrap(), None);
    }

    #[tokio::test]
    async fn an_erasure_on_disk_whose_key_a_crash_kept_is_finished_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let u = UserId(42);
        let who = {
            let st = erased_unflushed(dir.path(), u).await;
            // On disk as a crash right after the flush would leave it: the kv database's
            // own flush, not the backend's (which destroys the key); the backend's note of
            // the erasure goes with it.
            st.db.flush().unwrap();
            assert!(st.keys.key(&st.who(u)).is_some());
            assert_eq!(st.erasing.len(), 1);
            st.who(u)
        };
        let st = EmbeddedStore::open(dir.path(), 8, crate::store::SyncMode::default()).unwrap();
        assert!(st.keys.key(&who).is_none(), "destroyed at open");
        assert!(st.erasing.is_empty(), "and the marker removed");
        assert_eq!(journalled(dir.path(), &who), 1, "journalled for restores");
        assert_eq!(st.load_session(u).await.unwrap(), None);
        drop(st);
        // Nothing left to do at the next open.
        let st = EmbeddedStore::open(dir.path(), 8, crate::store::SyncMode::default()).unwrap();
        assert_eq!(journalled(dir.path(), &who), 1);
        assert!(st.erasing.is_empty());
    }
}
