//! Applying a [`Commit`] to sled: its changes are first resolved into key-level
//! operations (scans and encoding happen here: a transactional tree cannot scan, and the
//! transaction's closure may run more than once), then applied in one transaction over
//! the trees involved, whole or not at all. Concurrent commits share a transaction
//! ([`super::combine`]): each is still applied whole or not at all, in queue order, its
//! checks read against the writes of those before it.

use std::collections::HashSet;
#[cfg(test)]
use std::sync::atomic::Ordering;

use async_trait::async_trait;
use jiff::Timestamp;
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};

use super::SledStore;
use super::outbox::entry_key;
use super::sessions::{encode, header};
use super::tickets::{join, message_key, number_key, split};
use crate::store::commit::{Change, Commit, CommitError, Committer};
use crate::store::{StoreError, Ticket, UserId};

use super::ops::{ALL, Op, TREES, TreeId};

fn abort<T>() -> Result<T, ConflictableTransactionError<()>> {
    Err(ConflictableTransactionError::Abort(()))
}

impl SledStore {
    pub(super) fn tree(&self, id: TreeId) -> &sled::Tree {
        match id {
            TreeId::Sessions => &self.sessions,
            TreeId::Questions => &self.questions,
            TreeId::QuestionAskers => &self.question_askers,
            TreeId::Subscriptions => &self.subscriptions,
            TreeId::ReminderQueue => &self.reminder_queue,
            TreeId::RemindersDone => &self.reminders_done,
            TreeId::Tickets => &self.tickets,
            TreeId::TicketMessages => &self.ticket_messages,
            TreeId::UserTickets => &self.user_tickets,
            TreeId::TicketCounter => &self.ticket_counter,
            TreeId::Outbox => &self.outbox,
            TreeId::Applied => &self.applied,
            TreeId::Watches => &self.watches,
            TreeId::Profiles => &self.profiles,
            TreeId::Drafts => &self.drafts,
        }
    }

    /// The key-level operations of `c`, in order, and the users it erases.
    fn resolve(&self, c: &Commit) -> Result<(Vec<Op>, Vec<UserId>), StoreError> {
        let mut ops = Vec::new();
        let mut erased = Vec::new();
        for change in &c.changes {
            match change {
                Change::Applied { id, at } => {
                    let key = id.to_be_bytes().to_vec();
                    ops.push(Op::Expect(TreeId::Applied, key.clone(), None));
                    ops.push(Op::Put(
                        TreeId::Applied,
                        key,
                        at.as_second().to_be_bytes().to_vec(),
                    ));
                }
                Change::LogQuestion { by, question } => {
                    ops.extend(self.log_question_ops(*by, question)?);
                }
                Change::Subscribe { sub, offsets } => ops.extend(self.subscribe_ops(sub, offsets)?),
                Change::Unsubscribe {
                    user,
                    call,
                    offsets,
                } => ops.extend(self.unsubscribe_ops(*user, call.as_ref(), offsets)?),
                Change::SaveTicket { expect, ticket } => {
                    ops.push(Op::ExpectTicket(
                        ticket.number,
                        expect.clone().map(Box::new),
                    ));
                    ops.extend(self.save_ticket_ops(ticket)?);
                }
                Change::TicketPosted {
                    number,
                    chat,
                    message,
                } => ops.push(Op::TicketPosted {
                    number: *number,
                    chat: *chat,
                    message: *message,
                }),
                Change::Erase(user) => {
                    ops.extend(self.erase_ops(*user)?);
                    erased.push(*user);
                }
                Change::Notified(w) => ops.extend(self.outbox_notified_ops(w)),
                Change::Follow(w) => ops.extend(self.follow_ops(w)?),
                Change::Refollow { old, new } => ops.extend(self.refollow_ops(old, new)?),
                Change::Unfollow { user, call } => {
                    ops.extend(self.unfollow_ops(*user, call.as_ref())?)
                }
                Change::SaveProfile(p) => ops.extend(self.save_profile_ops(p)?),
                Change::Reprofile { old, new } => ops.extend(self.reprofile_ops(old, new)?),
                Change::DropProfile(user) => ops.extend(self.drop_profile_ops(*user)),
            }
        }
        if let Some(s) = &c.session {
            let erase = erased.contains(&s.user);
            ops.push(Op::Session {
                key: self.session_key(s.user),
                expect: s.expect.0,
                new: match (&s.bytes, erase) {
                    (Some(b), false) => Some((s.touched, self.seal(Some(s.user), b)?)),
                    _ => None,
                },
            });
        }
        for user in &erased {
            if c.session.as_ref().is_none_or(|s| s.user != *user) {
                ops.push(Op::Remove(TreeId::Sessions, self.session_key(*user)));
            }
        }
        Ok((ops, erased))
    }

    /// A commit's writes made ready for the transaction: everything that scans, encodes,
    /// seals or draws an id happens here, outside it.
    fn prepare(&self, c: &Commit) -> Result<Prepared, CommitError> {
        let (ops, erased) = self.resolve(c)?;
        let now = Timestamp::now().as_millisecond();
        let mut send = Vec::with_capacity(c.outbox.len());
        for e in &c.outbox {
            let key = entry_key(e.class, self.db.generate_id()?);
            send.push((key, self.stored_entry(e, now, &erased)?));
        }
        let done = c.done.as_ref().map(|d| (d.key.clone(), d.raw.clone()));
        Ok(Prepared {
            ops,
            send,
            done,
            erased,
        })
    }

    /// Applies a batch of prepared commits, in order, in one transaction (see
    /// [`super::combine`]), and then shreds the keys of the users they erase. A commit
    /// whose check fails (an expectation, a session's revision) is skipped, none of its
    /// writes applied, and conflicts; the others are applied. A storage error fails them
    /// all. One result per commit, in order.
    pub(super) fn apply_batch(&self, batch: &[Prepared]) -> Vec<Result<(), CommitError>> {
        let sending = batch.iter().filter(|p| !p.send.is_empty()).count() as u64;
        let other = batch.len() as u64 - sending;
        crate::ops::metrics::commit_batch(batch.len());
        let applied = self.numbered_batch(sending, other, || self.transact(batch));
        let applied = match applied {
            Ok(a) => a,
            Err(e) => {
                let e = e.to_string();
                return batch
                    .iter()
                    .map(|_| Err(StoreError::Backend(e.clone()).into()))
                    .collect();
            }
        };
        batch
            .iter()
            .zip(applied)
            .map(|(p, ok)| {
                if !ok {
                    return Err(CommitError::Conflict);
                }
                // The records are gone; their old versions in sled's log become noise now.
                for user in &p.erased {
                    self.shred(*user)?;
                }
                Ok(())
            })
            .collect()
    }

    /// The transaction of [`SledStore::apply_batch`]: whether each commit was applied.
    fn transact(&self, batch: &[Prepared]) -> Result<Vec<bool>, sled::Error> {
        let n = batch.len();
        // Only the trees the batch touches take part: a transaction's cost grows with its
        // trees. `slot[tree]` is a tree's place in the transaction.
        let mut used = [false; TREES];
        for p in batch {
            p.mark_used(&mut used);
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
            return Ok(vec![true; n]);
        }
        // In a batch, a commit whose checks read nothing it writes itself before them has
        // them evaluated first, so that one that fails is skipped without writing.
        let checks_first: Vec<bool> = if n > 1 {
            batch.iter().map(|p| checks_first(&p.ops)).collect()
        } else {
            Vec::new()
        };
        // Commits that failed after writing: the transaction is run again without them.
        let mut dropped = vec![false; n];
        loop {
            if dropped.iter().all(|d| *d) {
                return Ok(vec![false; n]);
            }
            #[cfg(test)]
            self.runs.fetch_add(1, Ordering::SeqCst);
            // The closure may run more than once: each run decides every outcome anew.
            let r = trees.as_slice().transaction(|t| {
                let tree = |id: TreeId| &t[slot[id.index()]];
                let mut applied = vec![false; n];
                for (i, p) in batch.iter().enumerate() {
                    if dropped[i] {
                        continue;
                    }
                    let first = checks_first.get(i).copied().unwrap_or(false);
                    applied[i] = self
                        .apply_one(&tree, p, n > 1, first)
                        .map_err(|e| match e {
                            ConflictableTransactionError::Abort(()) => {
                                ConflictableTransactionError::Abort(i)
                            }
                            ConflictableTransactionError::Conflict => {
                                ConflictableTransactionError::Conflict
                            }
                            ConflictableTransactionError::Storage(e) => {
                                ConflictableTransactionError::Storage(e)
                            }
                        })?;
                }
                Ok(applied)
            });
            match r {
                Ok(applied) => return Ok(applied),
                Err(TransactionError::Abort(i)) => dropped[i] = true,
                Err(TransactionError::Storage(e)) => return Err(e),
            }
        }
    }

    /// Applies one commit inside the transaction: `Ok(false)` if a check failed before it
    /// wrote anything (in a batch: the commit is skipped), an abort if one failed after
    /// (or if it is alone: the whole transaction is the commit). `batched`: other commits
    /// share the transaction; `checks_first`: its checks may be evaluated before its writes.
    fn apply_one<'t>(
        &self,
        tree: &impl Fn(TreeId) -> &'t sled::transaction::TransactionalTree,
        p: &Prepared,
        batched: bool,
        checks_first: bool,
    ) -> Result<bool, ConflictableTransactionError<()>> {
        if checks_first {
            for op in &p.ops {
                if !self.holds(tree, op)? {
                    return Ok(false);
                }
            }
        }
        let mut wrote = false;
        for op in &p.ops {
            if !self.run_op(tree, op)? {
                return if batched && !wrote {
                    Ok(false)
                } else {
                    abort()
                };
            }
            wrote |= !matches!(
                op,
                Op::Expect(..) | Op::ExpectTicket(..) | Op::ExpectProfile(..) | Op::ExpectWatch(..)
            );
        }
        if p.done.is_some() || !p.send.is_empty() {
            let o = tree(TreeId::Outbox);
            if let Some((key, raw)) = &p.done
                && o.get(key)?.as_deref() == Some(raw.as_slice())
            {
                o.remove(key.as_slice())?;
            }
            for (k, v) in &p.send {
                o.insert(k.as_slice(), v.as_slice())?;
            }
        }
        Ok(true)
    }

    /// Whether `op`'s check holds in the transaction's view (true for an op that checks
    /// nothing).
    fn holds<'t>(
        &self,
        tree: &impl Fn(TreeId) -> &'t sled::transaction::TransactionalTree,
        op: &Op,
    ) -> Result<bool, ConflictableTransactionError<()>> {
        Ok(match op {
            Op::Expect(id, k, v) => tree(*id).get(k.as_slice())?.as_deref() == v.as_deref(),
            Op::ExpectTicket(n, expect) => {
                let now = tree(TreeId::Tickets).get(number_key(*n))?;
                let now: Option<Ticket> = now.and_then(|v| self.decode_ticket(&v));
                now.as_ref() == expect.as_deref()
            }
            Op::ExpectProfile(key, expect) => {
                let now = tree(TreeId::Profiles).get(key.as_slice())?;
                let now = now.and_then(|v| self.open_profile(&v));
                now.as_ref() == expect.as_deref()
            }
            Op::ExpectWatch(key, expect) => {
                let now = tree(TreeId::Watches).get(key.as_slice())?;
                let now = now.and_then(|v| self.open_watch(&v));
                now.as_ref() == expect.as_deref()
            }
            Op::Session { key, expect, .. } => session_revision(tree, key)? == *expect,
            Op::Put(..) | Op::Remove(..) | Op::QueueReminder { .. } | Op::TicketPosted { .. } => {
                true
            }
        })
    }

    /// Runs one operation; false if its check failed (nothing written then).
    fn run_op<'t>(
        &self,
        tree: &impl Fn(TreeId) -> &'t sled::transaction::TransactionalTree,
        op: &Op,
    ) -> Result<bool, ConflictableTransactionError<()>> {
        match op {
            Op::Put(id, k, v) => {
                tree(*id).insert(k.as_slice(), v.as_slice())?;
            }
            Op::Remove(id, k) => {
                tree(*id).remove(k.as_slice())?;
            }
            Op::QueueReminder {
                key,
                identity,
                value,
            } => {
                let q = tree(TreeId::ReminderQueue);
                let d = tree(TreeId::RemindersDone);
                if d.get(identity.as_slice())?.is_none() && q.get(key.as_slice())?.is_none() {
                    q.insert(key.as_slice(), value.as_slice())?;
                }
            }
            Op::Expect(..) | Op::ExpectTicket(..) | Op::ExpectProfile(..) | Op::ExpectWatch(..) => {
                return self.holds(tree, op);
            }
            Op::TicketPosted {
                number,
                chat,
                message,
            } => {
                tree(TreeId::TicketMessages)
                    .insert(message_key(*chat, *message), number_key(*number).to_vec())?;
                let tickets = tree(TreeId::Tickets);
                let old = tickets.get(number_key(*number))?;
                // Only the staff's side changes: the user's stays sealed as is.
                if let Some((mut staff, sealed)) = old.as_deref().and_then(split)
                    && staff.message.is_none()
                {
                    staff.message = Some(*message);
                    let v = join(&staff, sealed)
                        .map_err(|_| ConflictableTransactionError::Abort(()))?;
                    tickets.insert(number_key(*number).to_vec(), v)?;
                }
            }
            Op::Session { key, expect, new } => {
                let at = session_revision(tree, key)?;
                if at != *expect {
                    return Ok(false);
                }
                let s = tree(TreeId::Sessions);
                match new {
                    Some((touched, bytes)) => {
                        let rev = crate::store::Revision(at).next();
                        s.insert(key.as_slice(), encode(rev, *touched, bytes))?;
                    }
                    None => {
                        s.remove(key.as_slice())?;
                    }
                }
            }
        }
        Ok(true)
    }
}

/// The revision of the session stored under `key` (`None`: none stored).
fn session_revision<'t>(
    tree: &impl Fn(TreeId) -> &'t sled::transaction::TransactionalTree,
    key: &[u8],
) -> Result<Option<u64>, ConflictableTransactionError<()>> {
    let stored = tree(TreeId::Sessions).get(key)?;
    Ok(stored
        .as_deref()
        .map(|v| header(v).map_or(0, |(rev, _)| rev)))
}

/// Whether the checks of `ops` read no key that an earlier op of theirs writes: then they
/// give the same answer before the writes as in their place.
fn checks_first(ops: &[Op]) -> bool {
    let mut written: HashSet<(TreeId, Vec<u8>)> = HashSet::new();
    for op in ops {
        let checked = match op {
            Op::Expect(id, k, _) => Some((*id, k.clone())),
            Op::ExpectTicket(n, _) => Some((TreeId::Tickets, number_key(*n).to_vec())),
            Op::ExpectProfile(k, _) => Some((TreeId::Profiles, k.clone())),
            Op::ExpectWatch(k, _) => Some((TreeId::Watches, k.clone())),
            Op::Session { key, .. } => Some((TreeId::Sessions, key.clone())),
            _ => None,
        };
        if checked.is_some_and(|c| written.contains(&c)) {
            return false;
        }
        match op {
            Op::Put(id, k, _) | Op::Remove(id, k) => {
                written.insert((*id, k.clone()));
            }
            Op::QueueReminder { key, .. } => {
                written.insert((TreeId::ReminderQueue, key.clone()));
            }
            Op::Session { key, .. } => {
                written.insert((TreeId::Sessions, key.clone()));
            }
            Op::TicketPosted {
                number,
                chat,
                message,
            } => {
                written.insert((TreeId::Tickets, number_key(*number).to_vec()));
                written.insert((
                    TreeId::TicketMessages,
                    message_key(*chat, *message).to_vec(),
                ));
            }
            _ => {}
        }
    }
    true
}

/// A commit resolved into key-level writes, ready for a transaction.
pub(super) struct Prepared {
    ops: Vec<Op>,
    /// Outbox entries to store (key, value).
    send: Vec<(Vec<u8>, Vec<u8>)>,
    /// The outbox entry this commit completes (key, value as claimed).
    done: Option<(Vec<u8>, Vec<u8>)>,
    erased: Vec<UserId>,
}

impl Prepared {
    /// Marks the trees this commit touches.
    fn mark_used(&self, used: &mut [bool; TREES]) {
        if !self.send.is_empty() || self.done.is_some() {
            used[TreeId::Outbox.index()] = true;
        }
        for op in &self.ops {
            match op {
                Op::Put(t, ..) | Op::Remove(t, _) | Op::Expect(t, ..) => used[t.index()] = true,
                Op::QueueReminder { .. } => {
                    used[TreeId::ReminderQueue.index()] = true;
                    used[TreeId::RemindersDone.index()] = true;
                }
                Op::ExpectTicket(..) => used[TreeId::Tickets.index()] = true,
                Op::ExpectProfile(..) => used[TreeId::Profiles.index()] = true,
                Op::ExpectWatch(..) => used[TreeId::Watches.index()] = true,
                Op::TicketPosted { .. } => {
                    used[TreeId::Tickets.index()] = true;
                    used[TreeId::TicketMessages.index()] = true;
                }
                Op::Session { .. } => used[TreeId::Sessions.index()] = true,
            }
        }
    }
}

#[async_trait]
impl Committer for SledStore {
    async fn commit(&self, c: &Commit) -> Result<(), CommitError> {
        let p = self.prepare(c)?;
        if let (true, true, Some((key, raw))) = (p.ops.is_empty(), p.send.is_empty(), &p.done) {
            // Only an entry's removal (a delivery with nothing following from it): one
            // compare-and-swap, not a transaction, which costs sled two writes of its log
            // buffer. As in the transaction, an entry no longer as claimed is left alone.
            let _ = self.numbered(false, || {
                self.outbox
                    .compare_and_swap(key, Some(raw.as_slice()), None::<&[u8]>)
            })?;
            return Ok(());
        }
        self.combiner
            .run(
                p,
                |batch| self.apply_batch(batch),
                || Err(StoreError::Backend("the commit's batch failed".into()).into()),
            )
            .await
    }

    async fn flush(&self) -> Result<(), StoreError> {
        self.flush_shared().await
    }

    async fn flush_commits(&self, slack: u64) -> Result<(), StoreError> {
        SledStore::flush_commits(self, slack).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;
    use std::sync::{Arc, Barrier, Mutex};

    use super::*;
    use crate::outgoing::{Class, Entry};
    use crate::reply::Rich;
    use crate::store::OutboxStore;
    use crate::store::{Revision, SessionStore, UpdateLog};

    /// A commit that saves user `u`'s session expecting `rev`, and stores one message.
    fn save(u: i64, rev: Option<u64>, bytes: &[u8]) -> Commit {
        let mut c = Commit::new();
        c.session(
            UserId(u),
            Revision(rev),
            Some(bytes.to_vec()),
            Timestamp::UNIX_EPOCH,
        );
        c.send(Entry::message(u, Class::Reply, Rich::plain("ok")));
        c
    }

    fn runs(st: &SledStore) -> u64 {
        st.runs.load(Ordering::SeqCst)
    }

    async fn revision(st: &SledStore, u: i64) -> Option<u64> {
        st.load_session(UserId(u))
            .await
            .unwrap()
            .and_then(|s| s.revision.0)
    }

    #[tokio::test]
    async fn a_commit_whose_expectation_the_one_before_broke_is_skipped_and_the_rest_applied() {
        let st = SledStore::temporary().unwrap();
        let first = st.prepare(&save(7, None, b"{\"a\":1}")).unwrap();
        // Also expects no session for user 7: the first commit, before it, stores one.
        let mut second = save(7, None, b"{\"a\":2}");
        second.applied(42);
        let second = st.prepare(&second).unwrap();
        let third = st.prepare(&save(8, None, b"{}")).unwrap();
        let out = st.apply_batch(&[first, second, third]);
        assert!(out[0].is_ok());
        assert!(matches!(out[1], Err(CommitError::Conflict)), "{:?}", out[1]);
        assert!(out[2].is_ok());
        assert_eq!(runs(&st), 1, "one transaction, not run again");
        let s = st.load_session(UserId(7)).await.unwrap().unwrap();
        assert_eq!(s.bytes, b"{\"a\":1}", "the first commit's session");
        assert_eq!(revision(&st, 8).await, Some(1));
        // None of the second's writes: neither its update id nor its message.
        assert!(!st.is_applied(42).await.unwrap());
        assert_eq!(st.outbox_len().await.unwrap(), 2);
    }

    #[tokio::test]
    async fn a_batch_whose_commits_all_hold_is_applied_whole_each_seeing_those_before() {
        let st = SledStore::temporary().unwrap();
        let batch = [
            st.prepare(&save(7, None, b"{\"a\":1}")).unwrap(),
            // Holds only on the first commit's write (revision 1).
            st.prepare(&save(7, Some(1), b"{\"a\":2}")).unwrap(),
            st.prepare(&save(9, None, b"{}")).unwrap(),
        ];
        let out = st.apply_batch(&batch);
        assert!(out.iter().all(|r| r.is_ok()), "{out:?}");
        assert_eq!(runs(&st), 1);
        assert_eq!(revision(&st, 7).await, Some(2));
        let s = st.load_session(UserId(7)).await.unwrap().unwrap();
        assert_eq!(s.bytes, b"{\"a\":2}");
        assert_eq!(revision(&st, 9).await, Some(1));
        assert_eq!(st.outbox_len().await.unwrap(), 3);
    }

    #[tokio::test]
    async fn a_commit_that_fails_after_writing_is_dropped_and_the_batch_run_again() {
        // sled 0.34.7 never runs a transaction's closure again by itself (it holds its
        // global write lock for the closure's run and always validates): the only
        // second run is ours, when a commit fails after its own writes.
        let st = SledStore::temporary().unwrap();
        let key = 5u32.to_be_bytes().to_vec();
        // Writes a key, then expects another value there: checked only in its place.
        let odd = Prepared {
            ops: vec![
                Op::Put(TreeId::Applied, key.clone(), vec![1]),
                Op::Expect(TreeId::Applied, key.clone(), Some(vec![2])),
            ],
            send: Vec::new(),
            done: None,
            erased: Vec::new(),
        };
        assert!(!checks_first(&odd.ops));
        let batch = [
            st.prepare(&save(7, None, b"{}")).unwrap(),
            odd,
            // Would fail with the odd commit's write in place: decided by the run without
            // it.
            Prepared {
                ops: vec![Op::Expect(TreeId::Applied, key.clone(), None)],
                send: Vec::new(),
                done: None,
                erased: Vec::new(),
            },
        ];
        let out = st.apply_batch(&batch);
        assert_eq!(runs(&st), 2, "run again without the failed commit");
        assert!(out[0].is_ok());
        assert!(matches!(out[1], Err(CommitError::Conflict)));
        assert!(out[2].is_ok(), "its outcome comes from the last run");
        assert!(
            !st.is_applied(5).await.unwrap(),
            "the failed commit's write"
        );
        assert_eq!(revision(&st, 7).await, Some(1));
    }

    #[tokio::test]
    async fn a_commit_alone_that_conflicts_is_one_aborted_transaction() {
        let st = SledStore::temporary().unwrap();
        st.commit(&save(7, None, b"{}")).await.unwrap();
        let r = st.commit(&save(7, None, b"{}")).await;
        assert!(matches!(r, Err(CommitError::Conflict)));
        assert_eq!(runs(&st), 2);
        assert_eq!(st.outbox_len().await.unwrap(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn commits_issued_while_the_leader_is_busy_share_one_transaction() {
        let st = SledStore::temporary().unwrap();
        let hold = Arc::new(Barrier::new(2));
        let first = Arc::new(AtomicBool::new(true));
        let sizes = Arc::new(Mutex::new(Vec::new()));
        {
            let (hold, first, sizes) = (hold.clone(), first.clone(), sizes.clone());
            *st.combiner.before_batch.lock().unwrap() = Some(Arc::new(move |n| {
                sizes.lock().unwrap().push(n);
                if first.swap(false, Ordering::SeqCst) {
                    hold.wait(); // the leader is in
                    hold.wait(); // the others are queued
                }
            }));
        }
        let commit = |c: Commit| {
            let st = st.clone();
            tokio::spawn(async move { st.commit(&c).await })
        };
        let leader = commit(save(1, None, b"{}"));
        let h = hold.clone();
        tokio::task::spawn_blocking(move || h.wait()).await.unwrap();
        let mut others = Vec::new();
        // User 2 twice: the second expects the first's revision, in the same batch.
        let mut quiet = Commit::new();
        quiet.session(
            UserId(3),
            Revision(None),
            Some(b"{}".to_vec()),
            Timestamp::UNIX_EPOCH,
        );
        let queued = [save(2, None, b"{}"), quiet, save(2, Some(1), b"{}")];
        for (i, c) in queued.into_iter().enumerate() {
            others.push(commit(c));
            while st.combiner.queued() < i + 1 {
                tokio::task::yield_now().await;
            }
        }
        tokio::task::spawn_blocking(move || hold.wait())
            .await
            .unwrap();
        leader.await.unwrap().unwrap();
        for o in others {
            o.await.unwrap().unwrap();
        }
        assert_eq!(*sizes.lock().unwrap(), vec![1, 3]);
        assert_eq!(runs(&st), 2, "four commits, two transactions");
        assert_eq!(revision(&st, 2).await, Some(2));
        assert_eq!(revision(&st, 3).await, Some(1));
        assert_eq!(st.outbox_len().await.unwrap(), 3);
        // Three of the four store messages: each is counted as sending, the other not.
        assert_eq!(st.flusher.sending.load(Ordering::SeqCst), 3);
        assert_eq!(st.flusher.other.load(Ordering::SeqCst), 1);
    }
}
