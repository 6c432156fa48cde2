//! The inbox in the embedded store ([`crate::store::Inbox`]): tree `inbox`, update id
//! (big-endian, so the tree lists them in order) → the update's body sealed for its user.
//!
//! Sealed like every other record about a user: erasing them destroys their key, and an
//! update of theirs that the store's log still keeps (until a compaction rewrites it) is
//! noise from then on. Writes take [`EmbeddedStore::writing`] like every write.
//! Durability is the shared group flush: the listener, before it confirms a batch, waits
//! for a flush that started after the batch was written, usually one of the batch's own
//! handlers' (they commit within a millisecond or two), and flushes itself only if none
//! comes in [`COVERED_WAIT`] (a batch of updates that store nothing). So a batch costs no
//! flush of its own under load, and handlers never queue behind the listener's flush.
//!
//! How long an update has waited unhandled ([`Inbox::stranded`]) is counted in memory
//! (`inbox_seen`), from the first look that found it: only one process opens the tree.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::EmbeddedStore;
use crate::store::StoreError;
use crate::store::inbox::{Inbox, Received};

/// The tree's name.
pub(super) const TREE: &str = "inbox";

/// How long [`Inbox::sync_received`] waits for another writer's flush to cover the
/// batch before it flushes itself (a batch of updates that store nothing).
const COVERED_WAIT: Duration = Duration::from_millis(5);

#[async_trait]
impl Inbox for EmbeddedStore {
    async fn receive(&self, batch: &[Received]) -> Result<(), StoreError> {
        let kept = self.keep(batch);
        if let Err(e) = &kept {
            self.probe_after(e).await;
        }
        kept
    }

    async fn sync_received(&self) -> Result<(), StoreError> {
        // The handlers of the batch flush their commits within a millisecond or two,
        // and their flush covers the batch too: wait for it rather than add one.
        let mark = self.inbox_mark.load(Ordering::SeqCst);
        if self.covered(mark, COVERED_WAIT).await {
            return Ok(());
        }
        self.flush_shared().await
    }

    async fn handled(&self, id: u32) -> Result<(), StoreError> {
        let _w = self.writing();
        self.inbox.remove(id.to_be_bytes())?;
        Ok(())
    }

    async fn unhandled(&self) -> Result<Vec<(u32, Vec<u8>)>, StoreError> {
        self.kept_updates()
    }

    async fn stranded(&self, older_than: Duration) -> Result<Vec<(u32, Vec<u8>)>, StoreError> {
        // One process opens the data directory (the store locks it), so the time an update
        // has waited is counted in memory, from the first call that saw it: the tree
        // holds only what is in progress (or left unhandled), a few entries.
        let now = Instant::now();
        let present = self.kept_updates()?;
        let ids: std::collections::HashSet<u32> = present.iter().map(|(id, _)| *id).collect();
        let mut seen = self.inbox_seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.retain(|id, _| ids.contains(id));
        let mut out = Vec::new();
        for (id, body) in present {
            let since = *seen.entry(id).or_insert(now);
            if now.duration_since(since) >= older_than {
                // Taken: given again only `older_than` from now.
                seen.insert(id, now);
                out.push((id, body));
            }
        }
        Ok(out)
    }
}

impl EmbeddedStore {
    /// Every update in the inbox, opened (id, body), by id; one whose user was erased
    /// (the key is gone), or that is not ours, is dropped from the tree.
    fn kept_updates(&self) -> Result<Vec<(u32, Vec<u8>)>, StoreError> {
        let mut out = Vec::new();
        for item in self.inbox.iter() {
            let (k, v) = item?;
            let id = k.as_ref().try_into().ok().map(u32::from_be_bytes);
            match id.zip(self.open_sealed(&v)) {
                Some(found) => out.push(found),
                None => {
                    self.cas(&self.inbox, &k, Some(&v), None)?;
                }
            }
        }
        Ok(out)
    }

    /// [`Inbox::receive`]'s writes.
    fn keep(&self, batch: &[Received]) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        for r in batch {
            let sealed = self.seal(r.user, &r.body)?;
            let _w = self.writing();
            // Fetched again (never confirmed): kept as first received.
            let _kept = self.inbox.compare_and_swap(
                r.id.to_be_bytes(),
                None as Option<&[u8]>,
                Some(sealed),
            )?;
        }
        // A flush numbered above this one makes the batch durable.
        self.inbox_mark
            .fetch_max(self.flush_mark(), Ordering::SeqCst);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Erasure, UserId};

    fn r(id: u32, user: Option<i64>, body: &str) -> Received {
        Received {
            id,
            user: user.map(UserId),
            body: body.as_bytes().to_vec(),
        }
    }

    #[tokio::test]
    async fn what_a_crash_left_is_handed_out_again_but_not_once_its_user_is_erased() {
        let dir = tempfile::tempdir().unwrap();
        {
            let st = EmbeddedStore::open(dir.path(), 8, crate::store::SyncMode::default()).unwrap();
            st.receive(&[r(7, Some(41), "{\"a\":1}"), r(8, Some(42), "{\"b\":2}")])
                .await
                .unwrap();
            st.receive(&[r(9, None, "{}")]).await.unwrap();
            st.sync_received().await.unwrap();
            st.handled(8).await.unwrap();
            st.erase_user(UserId(41)).await.unwrap();
            st.flush_shared().await.unwrap();
        }
        let st = EmbeddedStore::open(dir.path(), 8, crate::store::SyncMode::default()).unwrap();
        // 7's user was erased: its key is gone, and so is the update.
        assert_eq!(st.unhandled().await.unwrap(), [(9, b"{}".to_vec())]);
        assert_eq!(st.inbox.len(), 1, "the unreadable update was dropped");
        let raw = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| std::fs::read(e.unwrap().path()).ok())
            .any(|bytes| bytes.windows(7).any(|w| w == b"{\"a\":1}"));
        assert!(!raw, "an update is never written in clear");
    }
}
