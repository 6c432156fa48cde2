//! Whether this process can still make writes durable.
//!
//! A log write that failed (a full or failing disk) makes the store fail every later
//! write and flush of this process (`kv::Error::Failed`; freeing space does not clear
//! it: nothing may be appended after a record that may be torn). It is recorded here
//! once, with its reason; commits are refused from then on, and the bot stops
//! ([`crate::store::Committer::unrecoverable`]) so that its service manager starts it
//! again: the next start fails at its first write while the disk is still full, and
//! goes on, from what the disk holds, once there is room.

use tokio::sync::watch;

use super::EmbeddedStore;
use crate::store::StoreError;

/// See the module documentation.
#[derive(Default)]
pub(super) struct Failed(watch::Sender<Option<String>>);

impl Failed {
    /// Records the first failure (later ones keep its reason).
    pub(super) fn set(&self, why: impl FnOnce() -> String) {
        self.0.send_if_modified(|v| {
            if v.is_some() {
                return false;
            }
            *v = Some(why());
            true
        });
    }

    /// The reason, once failed.
    pub(super) fn reason(&self) -> Option<String> {
        self.0.borrow().clone()
    }

    /// Until failed; the reason.
    pub(super) async fn wait(&self) -> String {
        let mut rx = self.0.subscribe();
        let why = rx
            .wait_for(Option::is_some)
            .await
            .map(|why| why.clone().unwrap_or_default());
        match why {
            Ok(why) => why,
            // The sender lives as long as the store, which this borrows.
            Err(_) => std::future::pending().await,
        }
    }
}

impl EmbeddedStore {
    /// After a write failed in the store: whether its log can still be written. A log
    /// write that failed in a writer (a buffer past 256 KiB is written by the write that
    /// filled it) shows first as that write's error, not as a flush of ours: a flush now
    /// meets the store's kept error and marks the store failed
    /// ([`EmbeddedStore::flush_shared`]). Other failures (a key that could not be made, a
    /// conflict) leave it alone.
    pub(super) async fn probe_after(&self, e: &StoreError) {
        if matches!(e, StoreError::Backend(_)) && self.failed.reason().is_none() {
            let _ = self.flush_shared().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_failure_is_kept_and_wakes_a_waiter_started_before_it() {
        let f = std::sync::Arc::new(Failed::default());
        assert_eq!(f.reason(), None);
        let waiter = tokio::spawn({
            let f = f.clone();
            async move { f.wait().await }
        });
        tokio::task::yield_now().await;
        f.set(|| "disk full".into());
        f.set(|| "later".into());
        assert_eq!(waiter.await.unwrap(), "disk full");
        assert_eq!(f.reason().as_deref(), Some("disk full"));
        // A wait that starts after the failure ends at once.
        assert_eq!(f.wait().await, "disk full");
    }
}
