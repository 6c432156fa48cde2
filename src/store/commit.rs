//! One atomic write per update: the session (checked against the version that was read),
//! the data of the effects (subscriptions, tickets, the question log, erasure) and the
//! outgoing messages, as one sled transaction over the trees involved.
//!
//! A [`Commit`] is built outside the transaction (scans and encoding happen there: a
//! transactional tree cannot scan, and the closure may run more than once), then applied
//! whole or not at all. Its public surface names no sled type, so that a second backend
//! can apply the same commit in one SQL transaction.

use jiff::Timestamp;
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};

use super::{Store, StoreError, UserId};
use crate::outgoing::Entry;
use crate::store::outbox::{Claimed, entry_key, stored};

/// What a session looked like when it was read: a save succeeds only if it still does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Revision(pub(crate) Option<Vec<u8>>);

/// The trees a commit may touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TreeId {
    Sessions,
    Questions,
    Subscriptions,
    ReminderQueue,
    RemindersDone,
    Tickets,
    TicketMessages,
    UserTickets,
    TicketCounter,
    Outbox,
    Applied,
}

const TREES: usize = 11;

const ALL: [TreeId; TREES] = [
    TreeId::Sessions,
    TreeId::Questions,
    TreeId::Subscriptions,
    TreeId::ReminderQueue,
    TreeId::RemindersDone,
    TreeId::Tickets,
    TreeId::TicketMessages,
    TreeId::UserTickets,
    TreeId::TicketCounter,
    TreeId::Outbox,
    TreeId::Applied,
];

impl TreeId {
    fn index(self) -> usize {
        self as usize
    }
}

/// One change inside a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Op {
    Put(TreeId, Vec<u8>, Vec<u8>),
    Remove(TreeId, Vec<u8>),
    /// Queues a reminder unless its identity is already done or its key already queued.
    QueueReminder {
        key: Vec<u8>,
        identity: Vec<u8>,
        value: Vec<u8>,
    },
    /// The whole commit fails with [`CommitError::Conflict`] unless the key holds exactly
    /// this value (`None`: absent).
    Expect(TreeId, Vec<u8>, Option<Vec<u8>>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct SessionWrite {
    user: UserId,
    expect: Revision,
    new: Option<Vec<u8>>,
}

/// Everything one update (or one delivery) changes, applied atomically by
/// [`Store::commit`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Commit {
    session: Option<SessionWrite>,
    pub(crate) ops: Vec<Op>,
    outbox: Vec<Entry>,
    /// An outbox entry whose delivery this commit completes (removed if still as claimed).
    done: Option<(Vec<u8>, Vec<u8>)>,
}

/// Why a commit was not applied.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// Something read before the commit changed meanwhile (a session saved by another
    /// update, a ticket number taken): read again and retry.
    #[error("changed meanwhile")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl CommitError {
    /// For writes that read nothing first and so cannot conflict.
    pub fn into_store(self) -> StoreError {
        match self {
            CommitError::Store(e) => e,
            CommitError::Conflict => {
                StoreError::Sled(sled::Error::Unsupported("unexpected conflict".into()))
            }
        }
    }
}

impl From<serde_json::Error> for CommitError {
    fn from(e: serde_json::Error) -> Self {
        CommitError::Store(StoreError::Encode(e))
    }
}

impl From<sled::Error> for CommitError {
    fn from(e: sled::Error) -> Self {
        CommitError::Store(StoreError::Sled(e))
    }
}

impl Commit {
    pub fn new() -> Commit {
        Commit::default()
    }

    /// Saves `session` (`None`: deletes it) if the stored one is still `expect`.
    pub fn session(
        &mut self,
        user: UserId,
        expect: Revision,
        session: Option<&crate::dialogue::Session>,
    ) -> Result<&mut Self, StoreError> {
        let new = match session {
            Some(s) => Some(serde_json::to_vec(s)?),
            None => None,
        };
        self.session = Some(SessionWrite { user, expect, new });
        Ok(self)
    }

    /// Stores a message to send.
    pub fn send(&mut self, entry: Entry) -> &mut Self {
        self.outbox.push(entry);
        self
    }

    pub fn send_all(&mut self, entries: impl IntoIterator<Item = Entry>) -> &mut Self {
        self.outbox.extend(entries);
        self
    }

    /// Completes the delivery of a claimed entry: it leaves the outbox with this commit.
    pub fn consume(&mut self, claimed: &Claimed) -> &mut Self {
        self.done = Some((claimed.key.clone(), claimed.raw.clone()));
        self
    }

    pub(crate) fn op(&mut self, op: Op) -> &mut Self {
        self.ops.push(op);
        self
    }

    pub(crate) fn ops(&mut self, ops: impl IntoIterator<Item = Op>) -> &mut Self {
        self.ops.extend(ops);
        self
    }

    /// The messages this commit stores.
    pub fn entries(&self) -> &[Entry] {
        &self.outbox
    }

    pub fn is_empty(&self) -> bool {
        self.session.is_none()
            && self.ops.is_empty()
            && self.outbox.is_empty()
            && self.done.is_none()
    }
}

fn abort<T>() -> Result<T, ConflictableTransactionError<()>> {
    Err(ConflictableTransactionError::Abort(()))
}

impl Store {
    /// The user's session and the revision to save it against.
    pub fn load_session_rev(&self, user: UserId) -> Result<(super::Loaded, Revision), StoreError> {
        let raw = self.sessions.get(user.key())?;
        let rev = Revision(raw.as_ref().map(|v| v.to_vec()));
        Ok((self.decode_session(raw.as_deref()), rev))
    }

    fn tree(&self, id: TreeId) -> &sled::Tree {
        match id {
            TreeId::Sessions => &self.sessions,
            TreeId::Questions => &self.questions,
            TreeId::Subscriptions => &self.subscriptions,
            TreeId::ReminderQueue => &self.reminder_queue,
            TreeId::RemindersDone => &self.reminders_done,
            TreeId::Tickets => &self.tickets,
            TreeId::TicketMessages => &self.ticket_messages,
            TreeId::UserTickets => &self.user_tickets,
            TreeId::TicketCounter => &self.ticket_counter,
            TreeId::Outbox => &self.outbox,
            TreeId::Applied => &self.applied,
        }
    }

    /// Applies `c` atomically (not yet durable: see [`Store::flush`]).
    pub fn commit(&self, c: &Commit) -> Result<(), CommitError> {
        let now = Timestamp::now().as_millisecond();
        let mut entries = Vec::with_capacity(c.outbox.len());
        for e in &c.outbox {
            let key = entry_key(e.class, self.db.generate_id()?);
            entries.push((key, stored(e, now)?));
        }
        let session = c
            .session
            .as_ref()
            .map(|s| (s.user.key(), s.expect.0.clone(), s.new.clone()));
        // Only the trees this commit touches take part: a transaction's cost grows with
        // its trees. `slot[tree]` is a tree's place in the transaction.
        let mut used = [false; TREES];
        used[TreeId::Outbox.index()] = !entries.is_empty() || c.done.is_some();
        used[TreeId::Sessions.index()] = session.is_some();
        for op in &c.ops {
            match op {
                Op::Put(t, ..) | Op::Remove(t, _) | Op::Expect(t, ..) => used[t.index()] = true,
                Op::QueueReminder { .. } => {
                    used[TreeId::ReminderQueue.index()] = true;
                    used[TreeId::RemindersDone.index()] = true;
                }
            }
        }
        let mut slot = [usize::MAX; TREES];
        let mut trees: Vec<&sled::Tree> = Vec::with_capacity(TREES);
        for (i, id) in ALL.iter().enumerate() {
            debug_assert_eq!(id.index(), i);
            if used[i] {
                slot[i] = trees.len();
                trees.push(self.tree(*id));
            }
        }
        if trees.is_empty() {
            return Ok(());
        }
        let r = trees.as_slice().transaction(|t| {
            if let Some((key, expect, new)) = &session {
                let s = &t[slot[TreeId::Sessions.index()]];
                if s.get(key)?.as_deref() != expect.as_deref() {
                    return abort();
                }
                match new {
                    Some(v) => s.insert(&key[..], v.as_slice())?,
                    None => s.remove(&key[..])?,
                };
            }
            for op in &c.ops {
                match op {
                    Op::Put(tree, k, v) => {
                        t[slot[tree.index()]].insert(k.as_slice(), v.as_slice())?;
                    }
                    Op::Remove(tree, k) => {
                        t[slot[tree.index()]].remove(k.as_slice())?;
                    }
                    Op::QueueReminder {
                        key,
                        identity,
                        value,
                    } => {
                        let q = &t[slot[TreeId::ReminderQueue.index()]];
                        let d = &t[slot[TreeId::RemindersDone.index()]];
                        if d.get(identity.as_slice())?.is_none() && q.get(key.as_slice())?.is_none()
                        {
                            q.insert(key.as_slice(), value.as_slice())?;
                        }
                    }
                    Op::Expect(tree, k, v) => {
                        if t[slot[tree.index()]].get(k.as_slice())?.as_deref() != v.as_deref() {
                            return abort();
                        }
                    }
                }
            }
            if let Some(o) = t.get(slot[TreeId::Outbox.index()]) {
                if let Some((key, raw)) = &c.done
                    && o.get(key.as_slice())?.as_deref() == Some(raw.as_slice())
                {
                    o.remove(key.as_slice())?;
                }
                for (k, v) in &entries {
                    o.insert(k.as_slice(), v.as_slice())?;
                }
            }
            Ok(())
        });
        match r {
            Ok(()) => Ok(()),
            Err(TransactionError::Abort(())) => Err(CommitError::Conflict),
            Err(TransactionError::Storage(e)) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialogue::{Session, State};
    use crate::outgoing::Class;
    use crate::reply::Rich;

    #[test]
    fn a_session_saved_meanwhile_is_never_overwritten() {
        let st = Store::temporary().unwrap();
        let u = UserId(7);
        let (_, rev) = st.load_session_rev(u).unwrap();
        // Another update saves first.
        let mut other = Commit::new();
        other
            .session(u, rev.clone(), Some(&Session::default()))
            .unwrap();
        st.commit(&other).unwrap();
        let mut late = Commit::new();
        late.session(
            u,
            rev,
            Some(&Session {
                state: State::ConfirmErase,
                ..Session::default()
            }),
        )
        .unwrap()
        .send(Entry::message(7, Class::Reply, Rich::plain("x")));
        assert!(matches!(st.commit(&late), Err(CommitError::Conflict)));
        assert_eq!(st.outbox_len(), 0, "nothing of a failed commit is kept");
        let (loaded, rev) = st.load_session_rev(u).unwrap();
        assert_eq!(loaded.into_session().state, State::default());
        let mut again = Commit::new();
        again.session(u, rev, None).unwrap().send(Entry::message(
            7,
            Class::Reply,
            Rich::plain("x"),
        ));
        st.commit(&again).unwrap();
        assert_eq!(st.outbox_len(), 1);
        assert!(matches!(
            st.load_session(u).unwrap(),
            crate::store::Loaded::Fresh(_)
        ));
    }
}
