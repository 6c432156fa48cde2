//! Group commit and how far commits are durable: one flush at a time, shared by every
//! writer that was waiting for it, and the counts that let the outbox sender skip a flush
//! when a handler's already wrote what it claimed.
//!
//! The flush runs in the caller's thread ([`EmbeddedStore::flush_turn`]), one at a time:
//! concurrent flushes would only queue behind each other in the store, and one flush
//! covers every commit applied before it started.
//!
//! Every commit takes a number while holding `gate` shared ([`EmbeddedStore::numbered`]): in
//! `sending` if it stores messages (they may be sent only once it is on disk), in
//! `other` if not (an outbox completion: losing it in a crash sends its entry again, so
//! the sender lets a few wait for the next flush, see
//! [`crate::store::Committer::flush_commits`]). A flush reads both with `gate` held
//! exclusively (so every commit numbered so far is applied) and, once on disk, records
//! them as durable.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::EmbeddedStore;
use crate::store::StoreError;
use crate::store::shred::Pseudonym;

/// See the module documentation.
#[derive(Default)]
pub(super) struct Flusher {
    turn: tokio::sync::Mutex<()>,
    /// Flushes started so far, and the number of the last one completed.
    started: AtomicU64,
    completed: AtomicU64,
    gate: RwLock<()>,
    /// Held by every write, a commit's or not, after `gate` ([`EmbeddedStore::writing`]).
    serial: Mutex<()>,
    /// Commits that stored messages, numbered so far and known to be on disk.
    sending: AtomicU64,
    sending_durable: AtomicU64,
    /// The other commits, numbered so far and known to be on disk.
    other: AtomicU64,
    other_durable: AtomicU64,
    /// Users erased by commits applied so far whose keys are still there: destroyed
    /// after the flush that makes those commits durable ([`super::erasing`]).
    erased: Mutex<Vec<Pseudonym>>,
    /// Woken at the end of each flush (the inbox waits for one that covers it).
    flushed: tokio::sync::Notify,
}

impl Flusher {
    /// The numbers of every commit applied so far (none is half-applied while read),
    /// and the users they erased whose keys are still there.
    fn applied(&self) -> ((u64, u64), Vec<Pseudonym>) {
        let _all = self.gate.write().unwrap_or_else(|e| e.into_inner());
        (
            (
                self.sending.load(Ordering::SeqCst),
                self.other.load(Ordering::SeqCst),
            ),
            std::mem::take(&mut *self.erased()),
        )
    }

    fn erased(&self) -> MutexGuard<'_, Vec<Pseudonym>> {
        self.erased.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Notes users erased by the commit being applied (called under `gate`, shared).
    pub(super) fn erasing(&self, who: impl IntoIterator<Item = Pseudonym>) {
        self.erased().extend(who);
    }

    /// Puts back erasures a failed flush did not finish, for the next one.
    fn unfinished(&self, who: Vec<Pseudonym>) {
        self.erased().extend(who);
    }

    /// Records that the commits numbered up to `applied` are on disk.
    fn durable(&self, (sending, other): (u64, u64)) {
        self.sending_durable.fetch_max(sending, Ordering::SeqCst);
        self.other_durable.fetch_max(other, Ordering::SeqCst);
    }

    /// Whether a flush is needed: a commit that stored messages, or more than `slack`
    /// others, not yet on disk.
    fn behind(&self, slack: u64) -> bool {
        self.sending_durable.load(Ordering::SeqCst) < self.sending.load(Ordering::SeqCst)
            || self
                .other_durable
                .load(Ordering::SeqCst)
                .saturating_add(slack)
                < self.other.load(Ordering::SeqCst)
    }
}

impl EmbeddedStore {
    /// Makes every write so far durable, with no flush of its own when one that started
    /// after the call began has completed meanwhile.
    pub(super) async fn flush_shared(&self) -> Result<(), StoreError> {
        let f = &self.flusher;
        let seen = f.started.load(Ordering::SeqCst);
        let _turn = f.turn.lock().await;
        if f.completed.load(Ordering::SeqCst) > seen {
            return Ok(());
        }
        self.flush_turn().await
    }

    /// Makes every commit that stored messages durable, and the others once more than
    /// `slack` of them are not, with no flush of its own when one since did it (a
    /// handler's, usually).
    pub(super) async fn flush_commits(&self, slack: u64) -> Result<(), StoreError> {
        let f = &self.flusher;
        if !f.behind(slack) {
            return Ok(());
        }
        let _turn = f.turn.lock().await;
        if !f.behind(slack) {
            return Ok(());
        }
        self.flush_turn().await
    }

    /// One flush, with `turn` held by the caller.
    ///
    /// It blocks the caller's thread (a runtime worker) until the log is on disk: the
    /// store writes and syncs its log in the flushing thread, so no other thread stands
    /// between the commit and its reply (with sled, a hand-off to its pool cost two
    /// thread wake-ups more: BENCHMARKS.md, "The reply's path"). The wait is the disk's
    /// (a few hundred microseconds), and the other workers go on meanwhile; one flush at
    /// a time, so at most one worker waits here.
    async fn flush_turn(&self) -> Result<(), StoreError> {
        let f = &self.flusher;
        let n = f.started.fetch_add(1, Ordering::SeqCst) + 1;
        let (applied, erased) = f.applied();
        if let Err(e) = self.db.flush() {
            f.unfinished(erased);
            // The store fails every later write of this process too ([`super::failed`]).
            self.failed.set(|| {
                format!(
                    "the database's log could not be written ({e}): restart once the disk has room"
                )
            });
            return Err(e.into());
        }
        // Their erasures are on disk: the keys go now, before anything of these commits
        // is sent (a user is told they were erased once they are).
        if let Err((e, left)) = self.finish_erasures(erased) {
            f.unfinished(left);
            return Err(e);
        }
        f.completed.store(n, Ordering::SeqCst);
        f.durable(applied);
        f.flushed.notify_waiters();
        Ok(())
    }

    /// The number of the last flush started: every flush numbered above it starts
    /// after this call, so it covers every write made before the call.
    pub(super) fn flush_mark(&self) -> u64 {
        self.flusher.started.load(Ordering::SeqCst)
    }

    /// Waits up to `limit` for a flush numbered above `mark` to complete (some other
    /// writer's, usually); true if one did.
    pub(super) async fn covered(&self, mark: u64, limit: std::time::Duration) -> bool {
        let f = &self.flusher;
        let end = tokio::time::Instant::now() + limit;
        loop {
            // Made before the check: a flush that ends after the check still wakes it.
            let flushed = f.flushed.notified();
            if f.completed.load(Ordering::SeqCst) > mark {
                return true;
            }
            if tokio::time::timeout_at(end, flushed).await.is_err() {
                return f.completed.load(Ordering::SeqCst) > mark;
            }
        }
    }

    /// Held by every write, a commit's or not, for its duration (one write or one small
    /// transaction, never a scan): a snapshot ([`EmbeddedStore::quiet`]) waits for it and
    /// holds it off, and writes take turns, so that nothing lands between a commit's
    /// check and its writes ([`super::journal`], "Order among writers").
    pub(super) fn writing(&self) -> Writing<'_> {
        let f = &self.flusher;
        // Always the gate first, then the mutex: the order every holder takes them in.
        let gate = f.gate.read().unwrap_or_else(|e| e.into_inner());
        let serial = f.serial.lock().unwrap_or_else(|e| e.into_inner());
        Writing {
            _gate: gate,
            _serial: serial,
        }
    }

    /// No write (commit or other) runs while this is held: a snapshot's point in time.
    pub(super) fn quiet(&self) -> RwLockWriteGuard<'_, ()> {
        self.flusher.gate.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies a commit's writes under its number (see [`Flusher`]); `sends`: the commit
    /// stores messages.
    pub(super) fn numbered<T>(&self, sends: bool, apply: impl FnOnce() -> T) -> T {
        let f = &self.flusher;
        let _one = self.writing();
        let count = if sends { &f.sending } else { &f.other };
        count.fetch_add(1, Ordering::SeqCst);
        apply()
    }
}

/// See [`EmbeddedStore::writing`].
pub(super) struct Writing<'a> {
    _gate: RwLockReadGuard<'a, ()>,
    _serial: MutexGuard<'a, ()>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outgoing::{Class, Entry};
    use crate::reply::Rich;
    use crate::store::{Commit, Committer, Revision, UserId};
    use jiff::Timestamp;

    fn flushes(st: &EmbeddedStore) -> u64 {
        st.flusher.completed.load(Ordering::SeqCst)
    }

    fn loose() -> Commit {
        let mut c = Commit::new();
        c.session(UserId(7), Revision(None), None, Timestamp::UNIX_EPOCH);
        c
    }

    fn reply() -> Commit {
        let mut c = Commit::new();
        c.send(Entry::message(7, Class::Reply, Rich::plain("ok")));
        c
    }

    #[tokio::test]
    async fn the_sender_flushes_every_stored_message_but_lets_a_few_completions_wait() {
        let st = EmbeddedStore::temporary().unwrap();
        // Three commits without messages (completions, say): within a slack of 3.
        for _ in 0..3 {
            st.commit(&loose()).await.unwrap();
        }
        st.flush_commits(3).await.unwrap();
        assert_eq!(
            flushes(&st),
            0,
            "three loose commits wait within a slack of three"
        );
        // The fourth is one too many.
        st.commit(&loose()).await.unwrap();
        st.flush_commits(3).await.unwrap();
        assert_eq!(flushes(&st), 1);
        st.flush_commits(0).await.unwrap();
        assert_eq!(flushes(&st), 1, "nothing is behind: no second flush");
        // A commit that stores a message is flushed whatever the slack.
        st.commit(&reply()).await.unwrap();
        st.flush_commits(1000).await.unwrap();
        assert_eq!(flushes(&st), 2);
        // A loose commit, then slack 0 (the sender's settled flush): flushed.
        st.commit(&loose()).await.unwrap();
        st.flush_commits(1).await.unwrap();
        assert_eq!(flushes(&st), 2);
        st.flush_commits(0).await.unwrap();
        assert_eq!(flushes(&st), 3);
    }
}
