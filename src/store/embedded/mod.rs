//! The embedded backend: every kind of data in one embedded store ([`kv`], the crate in
//! `crates/kv`), the only code in the crate that names its types.
//!
//! Trees: `sessions` (user → revision ‖ touched ‖ bytes), `subscriptions`, `reminder_queue`,
//! `reminders_done` (`follows`), `tickets`, `ticket_messages`, `user_tickets`,
//! `ticket_counter` (`tickets`), `outbox` (`outbox`), `watches` (`watches`), `profiles`
//! (`profiles`), `faq_drafts` (`drafts`), `applied_updates`, `journal` (commits an older
//! version left half-written, `journal`), `erasing` (users erased whose key is not yet
//! destroyed, `erasing`) and `inbox` (updates fetched and not yet handled, `inbox`);
//! `questions` and `question_askers` held the question log before it moved into files
//! of its own, the folder `questions/` of the data directory (`questions`,
//! `question_files`), and are empty.
//! Keys that sort by time or id are big-endian, with
//! the sign bit flipped for signed ids so negative (group) ids sort first.
//!
//! **Erasure is real on disk** by crypto-shredding ([`crate::store::shred`]): every value
//! about a user is sealed with that user's key, and every key names the user by their
//! pseudonym, never the id. The keys live in the file `keys` beside the store's folder
//! ([`crate::store::keys::KeyFile`]), overwritten in place when a user is erased, so the
//! old versions the store's log keeps until its next compaction are left as noise.
//! Records that belong to no user (posts to the staff group without a subject) are
//! sealed with a key derived from the server secret.
//!
//! Each erasure is also appended to the data directory's erasure journal
//! ([`crate::store::erasures`]), so that restoring an older backup erases them again.
//!
//! The store lives in the folder `store/` of the data directory; a directory written by
//! sled (the embedded database before issue 11) is moved into it at the first opening
//! (`from_sled`). One process opens it once and shares the handle (the store's lock is
//! exclusive). Changes are applied by `commit` as one record of the store's log
//! (`journal`: whole or not at all, across a crash too), then made durable by a flush
//! before anything is sent: the store writes nothing to disk otherwise, but a buffer
//! past 256 KiB. Every write, a commit's or not, holds one mutex
//! (`EmbeddedStore::writing`), so a commit's check sees every earlier write and nothing
//! lands between its check and its writes. The directory is private
//! ([`crate::store::files`]).

mod claims;
mod commit;
mod drafts;
mod dump;
mod erasing;
mod failed;
mod flusher;
mod follows;
mod fresh;
mod from_sled;
mod inbox;
mod instances;
mod journal;
mod migrate;
mod ops;
mod outbox;
mod outbox_head;
mod profiles;
mod question_files;
mod questions;
mod sessions;
mod tickets;
mod watches;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use jiff::Timestamp;

use self::flusher::Flusher;
use self::question_files::QuestionFiles;
use crate::store::SyncMode;
use crate::store::erasures::Journal;
use crate::store::keys::{KeyFile, KeyStore, MemoryKeys};
use crate::store::shred::{DataKey, Domain, PSEUDONYM, Pseudonym, Tags};
use crate::store::{StoreError, UserId, files};

impl From<kv::Error> for StoreError {
    fn from(e: kv::Error) -> Self {
        StoreError::Backend(e.to_string())
    }
}

impl From<kv::Error> for crate::store::CommitError {
    fn from(e: kv::Error) -> Self {
        crate::store::CommitError::Store(e.into())
    }
}

/// The database and its trees.
#[derive(Clone)]
pub struct EmbeddedStore {
    db: kv::Db,
    sessions: kv::Tree,
    /// The question log of older versions (time ‖ id → entry), moved into
    /// `question_files` at opening ([`questions`]): empty.
    questions: kv::Tree,
    /// Who asked which question of that log (user key ‖ question key → ∅): empty too.
    question_askers: kv::Tree,
    /// The anonymous question log ([`question_files`]).
    question_files: Arc<QuestionFiles>,
    subscriptions: kv::Tree,
    reminder_queue: kv::Tree,
    reminders_done: kv::Tree,
    tickets: kv::Tree,
    ticket_messages: kv::Tree,
    user_tickets: kv::Tree,
    ticket_counter: kv::Tree,
    outbox: kv::Tree,
    /// Telegram update ids applied lately → when (seconds, big-endian).
    applied: kv::Tree,
    /// Calls users follow ([`watches`]).
    watches: kv::Tree,
    /// Profile alerts ([`profiles`]).
    profiles: kv::Tree,
    /// FAQ drafts written by staff ([`drafts`]).
    drafts: kv::Tree,
    /// Commits written but not yet known applied ([`journal`]); empty but across a crash.
    wal: kv::Tree,
    /// Users erased whose key may not be destroyed yet ([`erasing`]).
    erasing: kv::Tree,
    /// Updates fetched and not yet handled ([`inbox`]).
    inbox: kv::Tree,
    /// The flush mark when the inbox was last written ([`EmbeddedStore::flush_mark`]).
    inbox_mark: Arc<std::sync::atomic::AtomicU64>,
    /// When [`crate::store::Inbox::stranded`] first saw each update still in the inbox
    /// (or last handed it out), by id ([`inbox`]).
    inbox_seen: Arc<std::sync::Mutex<std::collections::HashMap<u32, std::time::Instant>>>,
    /// Group commit and durability ([`flusher`]).
    flusher: Arc<Flusher>,
    /// Entries stored lately, for the claim round ([`fresh`]).
    fresh: Arc<fresh::Fresh>,
    /// Claims of outbox entries ([`claims`]).
    claims: Arc<claims::Claims>,
    /// Set when a commit failed between its journal record and the record's removal
    /// ([`journal`]), or a flush failed: later commits are refused until a restart
    /// ([`failed`]).
    failed: Arc<failed::Failed>,
    keys: Arc<dyn KeyStore>,
    /// Pseudonyms and chat tags computed lately ([`Tags`]).
    tags: Arc<Tags>,
    /// Seals records that belong to no user.
    system: DataKey,
    /// Where erasures are recorded (a store in a data directory; not a temporary one).
    journal: Option<Arc<Journal>>,
}

/// How long opening waits for the database's lock to be let go.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Opens the embedded store in `dir`, waiting up to [`LOCK_WAIT`] while its lock is
/// held. A store just dropped in this process (a backup's, a test's) lets the lock go
/// once a compaction under way ends, and a restarted service may start while the old
/// process is still exiting; a lock held longer is another process, reported as it is.
fn open_waiting(dir: &Path, sync: SyncMode) -> Result<kv::Db, kv::Error> {
    let sync = match sync {
        SyncMode::Written => kv::Sync::Written,
        SyncMode::Full => kv::Sync::Full,
    };
    let started = std::time::Instant::now();
    loop {
        match kv::Config::new().path(dir).sync(sync).open() {
            Err(kv::Error::Io(e))
                if e.kind() == std::io::ErrorKind::WouldBlock && started.elapsed() < LOCK_WAIT =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

impl EmbeddedStore {
    /// Opens (or creates) the database in `dir`, private to this account.
    pub fn open(dir: &Path, cache_mb: u64, sync: SyncMode) -> Result<EmbeddedStore, StoreError> {
        files::make_private(dir)?;
        if let Some(n) = from_sled::move_sled(dir, cache_mb)? {
            tracing::info!(keys = n, "moved sled's data into the embedded store");
        }
        let db = open_waiting(&dir.join(from_sled::STORE), sync)?;
        let key_file = dir.join("keys");
        let new_keys = !key_file.exists();
        let keys = KeyFile::open(&key_file)?;
        // The store wrote its first files just now: make sure they are private too.
        files::make_private(dir)?;
        let questions = QuestionFiles::open(&dir.join(question_files::DIR))?;
        let mut st = EmbeddedStore::from_db(db, Arc::new(keys), questions)?;
        st.journal = Some(Arc::new(Journal::open(dir)?));
        let n = st.finish_interrupted_erasures()?;
        if n > 0 {
            tracing::warn!("finished {n} erasure(s) a crash had interrupted");
        }
        // Follows were written in clear by a version after the first sealing.
        let n = st.seal_plain_watches()?;
        if n > 0 {
            st.db.flush()?;
            tracing::info!("sealed {n} follows written by an older version");
        }
        if new_keys {
            let n = st.seal_legacy()?;
            if n > 0 {
                st.db.flush()?;
                tracing::info!("sealed {n} records written by an older version");
            }
        }
        // Once sealed: the files keep the entries as they are.
        st.move_questions()?;
        Ok(st)
    }

    /// Creates a database in `dir` (which must hold none) whose pseudonyms are made with
    /// `secret`: the one a snapshot to restore was taken with.
    pub fn create_restored(
        dir: &Path,
        cache_mb: u64,
        secret: &[u8; 32],
    ) -> Result<EmbeddedStore, StoreError> {
        files::make_private(dir)?;
        KeyFile::create(&dir.join("keys"), secret)?;
        EmbeddedStore::open(dir, cache_mb, SyncMode::default())
    }

    /// A database that lives in a temporary folder and is removed on drop.
    pub fn temporary() -> Result<EmbeddedStore, StoreError> {
        EmbeddedStore::temporary_with(MemoryKeys::new())
    }

    /// [`EmbeddedStore::temporary`] with pseudonyms made with `secret` (to import a snapshot).
    pub fn temporary_with_secret(secret: [u8; 32]) -> Result<EmbeddedStore, StoreError> {
        EmbeddedStore::temporary_with(MemoryKeys::with_secret(secret))
    }

    fn temporary_with(keys: MemoryKeys) -> Result<EmbeddedStore, StoreError> {
        EmbeddedStore::from_db(
            kv::Config::new().temporary(true).open()?,
            Arc::new(keys),
            QuestionFiles::temporary(),
        )
    }

    fn from_db(
        db: kv::Db,
        keys: Arc<dyn KeyStore>,
        questions: QuestionFiles,
    ) -> Result<EmbeddedStore, StoreError> {
        let st = EmbeddedStore {
            system: DataKey::derived(keys.secret(), b"system"),
            tags: Arc::new(Tags::new(*keys.secret())),
            keys,
            sessions: db.open_tree("sessions")?,
            questions: db.open_tree("questions")?,
            question_askers: db.open_tree("question_askers")?,
            question_files: Arc::new(questions),
            subscriptions: db.open_tree("subscriptions")?,
            reminder_queue: db.open_tree("reminder_queue")?,
            reminders_done: db.open_tree("reminders_done")?,
            tickets: db.open_tree("tickets")?,
            ticket_messages: db.open_tree("ticket_messages")?,
            user_tickets: db.open_tree("user_tickets")?,
            ticket_counter: db.open_tree("ticket_counter")?,
            outbox: db.open_tree("outbox")?,
            applied: db.open_tree("applied_updates")?,
            watches: db.open_tree("watches")?,
            profiles: db.open_tree("profiles")?,
            drafts: db.open_tree(drafts::TREE)?,
            wal: db.open_tree(journal::TREE)?,
            erasing: db.open_tree(erasing::TREE)?,
            inbox: db.open_tree(inbox::TREE)?,
            inbox_mark: Arc::default(),
            inbox_seen: Arc::default(),
            db,
            flusher: Arc::default(),
            fresh: Arc::default(),
            claims: Arc::default(),
            failed: Arc::default(),
            journal: None,
        };
        // Before anything else reads or writes the trees.
        let n = st.replay()?;
        if n > 0 {
            tracing::warn!("applied {n} commit(s) a crash had left half-written");
        }
        Ok(st)
    }

    /// The pseudonym that stands for `user` in keys.
    pub(super) fn who(&self, user: UserId) -> Pseudonym {
        self.tags.get(Domain::User, user.0)
    }

    /// `plain` sealed for `owner` (`None`: the server): owner's pseudonym (zeros for the
    /// server) ‖ sealed bytes.
    pub(super) fn seal(&self, owner: Option<UserId>, plain: &[u8]) -> Result<Vec<u8>, StoreError> {
        self.seal_as(owner.map(|u| self.who(u)), plain)
    }

    /// [`EmbeddedStore::seal`] for an owner known by pseudonym.
    pub(super) fn seal_as(
        &self,
        owner: Option<Pseudonym>,
        plain: &[u8],
    ) -> Result<Vec<u8>, StoreError> {
        let (who, key) = match owner {
            Some(who) => (who.0, self.keys.key_or_create(&who)?),
            None => ([0; PSEUDONYM], self.system.clone()),
        };
        let mut out = who.to_vec();
        out.extend(key.seal(plain));
        Ok(out)
    }

    /// What [`EmbeddedStore::seal`] sealed; `None` once its owner was erased.
    pub(super) fn open_sealed(&self, v: &[u8]) -> Option<Vec<u8>> {
        let who = Pseudonym::from_slice(v)?;
        let sealed = &v[PSEUDONYM..];
        if who.0 == [0; PSEUDONYM] {
            return self.system.open(sealed);
        }
        self.keys.key(&who)?.open(sealed)
    }

    /// The owner a sealed value names (`None`: the server).
    pub(super) fn owner_of(v: &[u8]) -> Option<Pseudonym> {
        Pseudonym::from_slice(v).filter(|p| p.0 != [0; PSEUDONYM])
    }

    /// Destroys the key of `who`: whatever was sealed for them is noise from now on.
    /// The erasure is journalled ([`crate::store::erasures`]) so that a restore of an
    /// older backup erases them again. Only once the commit that erased them is on disk
    /// ([`erasing`]).
    pub(super) fn shred(&self, who: &Pseudonym) -> Result<(), StoreError> {
        self.fresh.forget_owner(who);
        self.keys.destroy(who)?;
        if let Some(j) = &self.journal {
            j.record(*who, Timestamp::now())?;
        }
        Ok(())
    }

    /// The writes that erase everything stored about `user` but the session: follows,
    /// the profile alert, queued and sent reminders, the personal fields of tickets,
    /// unpublished FAQ drafts made from their tickets, and messages still waiting to go to them.
    /// (Their logged questions become noise when their key is destroyed.)
    fn erase_ops(&self, user: UserId) -> Result<Vec<ops::Op>, StoreError> {
        let mut ops = self.reminder_keys_of(user)?;
        ops.extend(self.unfollow_ops(user, None)?);
        ops.extend(self.drop_profile_ops(user));
        ops.extend(self.forget_tickets_ops(user)?);
        for k in self.outbox_keys_of(user)? {
            ops.push(ops::Op::Remove(ops::TreeId::Outbox, k));
        }
        ops.extend(self.drafts_of(user)?);
        Ok(ops)
    }

    /// A compare-and-swap under [`EmbeddedStore::writing`] (for scans that write here and
    /// there: the guard is held for each write, not for the scan). True if it swapped.
    pub(super) fn cas(
        &self,
        tree: &kv::Tree,
        key: &[u8],
        old: Option<&[u8]>,
        new: Option<Vec<u8>>,
    ) -> Result<bool, StoreError> {
        let _w = self.writing();
        Ok(tree.compare_and_swap(key, old, new)?.is_ok())
    }
}

#[async_trait]
impl crate::store::UpdateLog for EmbeddedStore {
    async fn is_applied(&self, id: u32) -> Result<bool, StoreError> {
        Ok(self.applied.get(id.to_be_bytes())?.is_some())
    }

    async fn forget_updates(&self, cutoff: Timestamp) -> Result<usize, StoreError> {
        let mut n = 0;
        for item in self.applied.iter() {
            let (k, v) = item?;
            let at = v
                .as_ref()
                .try_into()
                .map(i64::from_be_bytes)
                .unwrap_or(i64::MIN);
            if at < cutoff.as_second() && self.cas(&self.applied, &k, Some(&v), None)? {
                n += 1;
            }
        }
        Ok(n)
    }
}

#[async_trait]
impl crate::store::Erasure for EmbeddedStore {
    async fn erase_user(&self, user: UserId) -> Result<(), StoreError> {
        let mut c = crate::store::Commit::new();
        c.erase(user);
        use crate::store::Committer;
        self.commit(&c)
            .await
            .map_err(crate::store::CommitError::into_store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Commit, Committer, Revision, SessionStore};

    #[test]
    fn a_lock_let_go_while_opening_is_waited_for_and_one_held_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let held = EmbeddedStore::open(dir.path(), 8, crate::store::SyncMode::default()).unwrap();
        // Held for good: reported once the wait is over, as the store's own lock error.
        let started = std::time::Instant::now();
        let err = EmbeddedStore::open(dir.path(), 8, crate::store::SyncMode::default())
            .err()
            .expect("the lock is held");
        assert!(
            started.elapsed() >= LOCK_WAIT,
            "gave up after {:?}: {err:?}",
            started.elapsed()
        );
        assert!(err.to_string().contains("lock"), "{err}");
        // Let go while another open waits: that open succeeds.
        let path = dir.path().to_path_buf();
        let (ready, waiting) = std::sync::mpsc::channel();
        let opener = std::thread::spawn(move || {
            ready.send(()).unwrap();
            EmbeddedStore::open(&path, 8, crate::store::SyncMode::default()).map(|_| ())
        });
        waiting.recv().unwrap();
        drop(held);
        opener
            .join()
            .unwrap()
            .expect("opened once the lock was let go");
    }

    #[test]
    fn many_concurrent_flushes_complete() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let st = EmbeddedStore::open(dir.path(), 8, crate::store::SyncMode::default()).unwrap();
        rt.block_on(async {
            let tasks: Vec<_> = (0..500)
                .map(|i| {
                    let st = st.clone();
                    tokio::spawn(async move {
                        let mut c = Commit::new();
                        c.session(
                            UserId(i),
                            Revision(None),
                            Some(b"{}".to_vec()),
                            Timestamp::UNIX_EPOCH,
                        );
                        st.commit(&c).await.unwrap();
                        st.flush().await.unwrap();
                    })
                })
                .collect();
            for t in tasks {
                tokio::time::timeout(std::time::Duration::from_secs(60), t)
                    .await
                    .expect("flushes deadlocked")
                    .unwrap();
            }
            assert_eq!(st.session_count().await.unwrap(), 500);
        });
    }
}
