//! Durable state in sled: sessions (one per user), the anonymous question log, the
//! trees of deadline reminders (their operations live in `reminders::store`), of
//! help-desk tickets (operations in `helpdesk`) and the outbox (`outbox::store`).
//!
//! One process opens the database once and shares the handle. An update's changes and
//! its replies are applied together by [`Store::commit`] ([`commit`]), then made durable
//! by [`Store::flush`] before anything is sent: sled otherwise writes to disk in the
//! background every 500 ms. Keys that sort by time or id are big-endian, with the sign bit
//! flipped for signed ids so negative (group) ids sort first.

pub mod commit;
pub mod outbox;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::dialogue::{SESSION_VERSION, Session};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sled(#[from] sled::Error),
    #[error("encoding: {0}")]
    Encode(#[from] serde_json::Error),
}

/// A Telegram user (or chat) id, or the console's local id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UserId(pub i64);

impl UserId {
    /// Big-endian with the sign bit flipped: byte order equals numeric order.
    pub fn key(self) -> [u8; 8] {
        ((self.0 as u64) ^ (1 << 63)).to_be_bytes()
    }

    pub fn from_key(k: &[u8]) -> Option<UserId> {
        let b: [u8; 8] = k.get(..8)?.try_into().ok()?;
        Some(UserId((u64::from_be_bytes(b) ^ (1 << 63)) as i64))
    }
}

/// What loading a session found.
#[derive(Debug, Clone, PartialEq)]
pub enum Loaded {
    /// Nothing stored: a fresh session.
    Fresh(Session),
    Found(Session),
    /// Something unreadable or of another version was stored: replaced by a fresh one.
    Reset(Session),
}

impl Loaded {
    pub fn into_session(self) -> Session {
        match self {
            Loaded::Fresh(s) | Loaded::Found(s) | Loaded::Reset(s) => s,
        }
    }
}

/// One logged question (no user id: the log is anonymous).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AskedQuestion {
    pub at: Timestamp,
    pub question: String,
    pub best: Option<String>,
    pub confident: bool,
}

/// The database and its trees.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    sessions: sled::Tree,
    questions: sled::Tree,
    /// Reminders (see `reminders::store`): subscriptions keyed by user then call, the
    /// queue keyed by due time, and the identities already dealt with.
    pub(crate) subscriptions: sled::Tree,
    pub(crate) reminder_queue: sled::Tree,
    pub(crate) reminders_done: sled::Tree,
    /// Help desk (see `helpdesk`): tickets by number, staff-chat message → ticket,
    /// user ‖ ticket number, and the ticket number counter.
    pub(crate) tickets: sled::Tree,
    pub(crate) ticket_messages: sled::Tree,
    pub(crate) user_tickets: sled::Tree,
    pub(crate) ticket_counter: sled::Tree,
    /// Messages to send (see `store::outbox`).
    pub(crate) outbox: sled::Tree,
    /// Telegram update ids applied lately → when (seconds, big-endian): an update
    /// delivered again after a crash is not applied twice. No user id is kept here.
    pub(crate) applied: sled::Tree,
    flusher: Arc<Flusher>,
}

/// Group commit: one flush at a time, shared by every writer that was waiting for it.
///
/// Many concurrent `flush_async` calls deadlock sled 0.34: each occupies a thread of
/// sled's own pool waiting for a buffer that only that (now full) pool can write.
#[derive(Default)]
struct Flusher {
    turn: tokio::sync::Mutex<()>,
    /// Flushes started so far, and the number of the last one completed.
    started: AtomicU64,
    completed: AtomicU64,
}

impl Store {
    /// Opens (or creates) the database in `dir`.
    pub fn open(dir: &Path, cache_mb: u64) -> Result<Store, StoreError> {
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_mb * 1024 * 1024)
            .open()?;
        Store::from_db(db)
    }

    /// A database that lives in a temporary folder and is removed on drop.
    pub fn temporary() -> Result<Store, StoreError> {
        Store::from_db(
            sled::Config::new()
                .temporary(true)
                .cache_capacity(16 << 20)
                .open()?,
        )
    }

    fn from_db(db: sled::Db) -> Result<Store, StoreError> {
        Ok(Store {
            sessions: db.open_tree("sessions")?,
            questions: db.open_tree("questions")?,
            subscriptions: db.open_tree("subscriptions")?,
            reminder_queue: db.open_tree("reminder_queue")?,
            reminders_done: db.open_tree("reminders_done")?,
            tickets: db.open_tree("tickets")?,
            ticket_messages: db.open_tree("ticket_messages")?,
            user_tickets: db.open_tree("user_tickets")?,
            ticket_counter: db.open_tree("ticket_counter")?,
            outbox: db.open_tree("outbox")?,
            applied: db.open_tree("applied_updates")?,
            db,
            flusher: Arc::default(),
        })
    }

    pub fn db(&self) -> &sled::Db {
        &self.db
    }

    /// The user's session; unreadable or old-version data gives a fresh one, flagged.
    pub fn load_session(&self, user: UserId) -> Result<Loaded, StoreError> {
        Ok(self.decode_session(self.sessions.get(user.key())?.as_deref()))
    }

    pub(crate) fn decode_session(&self, raw: Option<&[u8]>) -> Loaded {
        match raw {
            None => Loaded::Fresh(Session::default()),
            Some(bytes) => match serde_json::from_slice::<Session>(bytes) {
                Ok(s) if s.version == SESSION_VERSION => Loaded::Found(s),
                _ => Loaded::Reset(Session::default()),
            },
        }
    }

    pub fn save_session(&self, user: UserId, s: &Session) -> Result<(), StoreError> {
        self.sessions.insert(user.key(), serde_json::to_vec(s)?)?;
        Ok(())
    }

    /// Number of stored sessions.
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// Removes sessions whose last activity is before `cutoff`; returns how many.
    pub fn expire_sessions(&self, cutoff: Timestamp) -> Result<usize, StoreError> {
        let mut n = 0;
        for item in self.sessions.iter() {
            let (k, v) = item?;
            let stale = match serde_json::from_slice::<Session>(&v) {
                Ok(s) => s.last_seen.is_none_or(|t| t < cutoff),
                Err(_) => true,
            };
            // Compare-and-swap: a session touched meanwhile is kept.
            if stale
                && self
                    .sessions
                    .compare_and_swap(&k, Some(&v), None as Option<&[u8]>)?
                    .is_ok()
            {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Deletes everything stored about `user`.
    pub fn erase_user(&self, user: UserId) -> Result<(), StoreError> {
        let mut c = commit::Commit::new();
        c.ops(self.erase_user_ops(user)?);
        c.op(commit::Op::Remove(
            commit::TreeId::Sessions,
            user.key().to_vec(),
        ));
        self.commit(&c).map_err(commit::CommitError::into_store)
    }

    /// The changes that delete everything stored about `user` but the session
    /// (subscriptions, reminders queued or done, the personal fields of tickets).
    pub(crate) fn erase_user_ops(&self, user: UserId) -> Result<Vec<commit::Op>, StoreError> {
        use commit::{Op, TreeId};
        let mut ops = Vec::new();
        for (tree, id) in [
            (&self.subscriptions, TreeId::Subscriptions),
            (&self.reminders_done, TreeId::RemindersDone),
        ] {
            for item in tree.scan_prefix(user.key()) {
                ops.push(Op::Remove(id, item?.0.to_vec()));
            }
        }
        // Queued reminders are keyed by time: their identity holds the user after the
        // 8-byte due time.
        for item in self.reminder_queue.iter() {
            let (k, _) = item?;
            if k.get(8..16) == Some(&user.key()[..]) {
                ops.push(Op::Remove(TreeId::ReminderQueue, k.to_vec()));
            }
        }
        ops.extend(self.forget_tickets_ops(user)?);
        Ok(ops)
    }

    /// Adds "update `id` is applied" to `commit`; `false` if it was applied already (the
    /// commit then must not be applied). The commit fails with a conflict if the same
    /// update is being applied meanwhile.
    pub fn record_update(&self, commit: &mut commit::Commit, id: u32) -> Result<bool, StoreError> {
        let key = id.to_be_bytes().to_vec();
        if self.applied.get(&key)?.is_some() {
            return Ok(false);
        }
        let now = Timestamp::now().as_second().to_be_bytes().to_vec();
        commit
            .op(commit::Op::Expect(
                commit::TreeId::Applied,
                key.clone(),
                None,
            ))
            .op(commit::Op::Put(commit::TreeId::Applied, key, now));
        Ok(true)
    }

    /// Forgets updates applied before `cutoff` (Telegram never delivers those again, and
    /// after a week of silence it may reuse ids). Returns how many.
    pub fn forget_updates(&self, cutoff: Timestamp) -> Result<usize, StoreError> {
        let mut n = 0;
        for item in self.applied.iter() {
            let (k, v) = item?;
            let at = v
                .as_ref()
                .try_into()
                .map(i64::from_be_bytes)
                .unwrap_or(i64::MIN);
            if at < cutoff.as_second() {
                self.applied.remove(k)?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Appends a question to the anonymous log.
    pub fn log_question(&self, q: &AskedQuestion) -> Result<(), StoreError> {
        let mut c = commit::Commit::new();
        c.op(self.log_question_op(q)?);
        self.commit(&c).map_err(commit::CommitError::into_store)
    }

    pub(crate) fn log_question_op(&self, q: &AskedQuestion) -> Result<commit::Op, StoreError> {
        let mut key = (q.at.as_second().max(0) as u64).to_be_bytes().to_vec();
        key.extend(self.db.generate_id()?.to_be_bytes());
        Ok(commit::Op::Put(
            commit::TreeId::Questions,
            key,
            serde_json::to_vec(q)?,
        ))
    }

    /// Logged questions asked at or after `since`, oldest first.
    pub fn questions_since(&self, since: Timestamp) -> Result<Vec<AskedQuestion>, StoreError> {
        let from = (since.as_second().max(0) as u64).to_be_bytes();
        let mut out = Vec::new();
        for item in self.questions.range(from..) {
            let (_, v) = item?;
            if let Ok(q) = serde_json::from_slice(&v) {
                out.push(q);
            }
        }
        Ok(out)
    }

    /// Makes every write so far durable. Concurrent callers share flushes: a flush that
    /// started after this call began covers this caller's writes.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let f = &self.flusher;
        let seen = f.started.load(Ordering::SeqCst);
        let _turn = f.turn.lock().await;
        if f.completed.load(Ordering::SeqCst) > seen {
            return Ok(());
        }
        let n = f.started.fetch_add(1, Ordering::SeqCst) + 1;
        self.db.flush_async().await?;
        f.completed.store(n, Ordering::SeqCst);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialogue::State;

    #[test]
    fn user_keys_sort_numerically_including_negative_ids() {
        let ids = [-1_000_000_000_123i64, -5, 0, 7, 1 << 40];
        let keys: Vec<[u8; 8]> = ids.iter().map(|&i| UserId(i).key()).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        for i in ids {
            assert_eq!(UserId::from_key(&UserId(i).key()), Some(UserId(i)));
        }
    }

    #[test]
    fn sessions_round_trip_and_garbage_is_reset() {
        let st = Store::temporary().unwrap();
        let u = UserId(42);
        assert!(matches!(st.load_session(u).unwrap(), Loaded::Fresh(_)));
        let s = Session {
            state: State::ConfirmErase,
            ..Session::default()
        };
        st.save_session(u, &s).unwrap();
        assert_eq!(st.load_session(u).unwrap(), Loaded::Found(s));
        st.sessions.insert(u.key(), b"{not json".to_vec()).unwrap();
        assert!(matches!(st.load_session(u).unwrap(), Loaded::Reset(_)));
        let old = serde_json::to_vec(&Session {
            version: 0,
            ..Session::default()
        })
        .unwrap();
        st.sessions.insert(u.key(), old).unwrap();
        assert!(matches!(st.load_session(u).unwrap(), Loaded::Reset(_)));
    }

    #[test]
    fn many_concurrent_flushes_complete() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let st = Store::open(dir.path(), 8).unwrap();
        rt.block_on(async {
            let tasks: Vec<_> = (0..500)
                .map(|i| {
                    let st = st.clone();
                    tokio::spawn(async move {
                        st.save_session(UserId(i), &Session::default()).unwrap();
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
        });
        assert_eq!(st.session_count(), 500);
    }

    #[test]
    fn an_update_is_applied_once_and_forgotten_after_a_day() {
        let st = Store::temporary().unwrap();
        let mut c = commit::Commit::new();
        assert!(st.record_update(&mut c, 77).unwrap());
        st.commit(&c).unwrap();
        let mut again = commit::Commit::new();
        assert!(
            !st.record_update(&mut again, 77).unwrap(),
            "delivered again"
        );
        // Two handlers of one update at once: the second commit conflicts.
        let mut a = commit::Commit::new();
        let mut b = commit::Commit::new();
        assert!(st.record_update(&mut a, 78).unwrap() && st.record_update(&mut b, 78).unwrap());
        st.commit(&a).unwrap();
        assert!(matches!(st.commit(&b), Err(commit::CommitError::Conflict)));
        let tomorrow = Timestamp::now() + jiff::SignedDuration::from_hours(25);
        assert_eq!(st.forget_updates(tomorrow).unwrap(), 2);
        assert!(st.record_update(&mut commit::Commit::new(), 77).unwrap());
    }

    #[test]
    fn idle_sessions_expire() {
        let st = Store::temporary().unwrap();
        let t = |s: i64| Timestamp::from_second(s).unwrap();
        st.save_session(
            UserId(1),
            &Session {
                last_seen: Some(t(100)),
                ..Session::default()
            },
        )
        .unwrap();
        st.save_session(
            UserId(2),
            &Session {
                last_seen: Some(t(300)),
                ..Session::default()
            },
        )
        .unwrap();
        assert_eq!(st.expire_sessions(t(200)).unwrap(), 1);
        assert!(matches!(
            st.load_session(UserId(1)).unwrap(),
            Loaded::Fresh(_)
        ));
        assert!(matches!(
            st.load_session(UserId(2)).unwrap(),
            Loaded::Found(_)
        ));
    }
}
