//! Applying a [`Commit`] to sled: its changes are first resolved into key-level
//! operations (scans and encoding happen here: a transactional tree cannot scan, and the
//! transaction's closure may run more than once), then applied in one transaction over
//! the trees involved, whole or not at all.

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

    /// Applies key-level operations and outbox changes in one transaction.
    pub(super) fn apply(
        &self,
        ops: &[Op],
        send: &[(Vec<u8>, Vec<u8>)],
        done: Option<(&[u8], &[u8])>,
    ) -> Result<(), CommitError> {
        // Only the trees this commit touches take part: a transaction's cost grows with
        // its trees. `slot[tree]` is a tree's place in the transaction.
        let mut used = [false; TREES];
        used[TreeId::Outbox.index()] = !send.is_empty() || done.is_some();
        for op in ops {
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
            let tree = |id: TreeId| &t[slot[id.index()]];
            for op in ops {
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
                        if d.get(identity.as_slice())?.is_none() && q.get(key.as_slice())?.is_none()
                        {
                            q.insert(key.as_slice(), value.as_slice())?;
                        }
                    }
                    Op::Expect(id, k, v) => {
                        if tree(*id).get(k.as_slice())?.as_deref() != v.as_deref() {
                            return abort();
                        }
                    }
                    Op::ExpectTicket(n, expect) => {
                        let now = tree(TreeId::Tickets).get(number_key(*n))?;
                        let now: Option<Ticket> = now.and_then(|v| self.decode_ticket(&v));
                        if now.as_ref() != expect.as_deref() {
                            return abort();
                        }
                    }
                    Op::ExpectProfile(key, expect) => {
                        let now = tree(TreeId::Profiles).get(key.as_slice())?;
                        let now = now.and_then(|v| self.open_profile(&v));
                        if now.as_ref() != expect.as_deref() {
                            return abort();
                        }
                    }
                    Op::ExpectWatch(key, expect) => {
                        let now = tree(TreeId::Watches).get(key.as_slice())?;
                        let now = now.and_then(|v| self.open_watch(&v));
                        if now.as_ref() != expect.as_deref() {
                            return abort();
                        }
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
                        let s = tree(TreeId::Sessions);
                        let stored = s.get(key)?;
                        let at = stored
                            .as_deref()
                            .map(|v| header(v).map_or(0, |(rev, _)| rev));
                        if at != *expect {
                            return abort();
                        }
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
            }
            if let Some(o) = used[TreeId::Outbox.index()].then(|| tree(TreeId::Outbox)) {
                if let Some((key, raw)) = done
                    && o.get(key)?.as_deref() == Some(raw)
                {
                    o.remove(key)?;
                }
                for (k, v) in send {
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

#[async_trait]
impl Committer for SledStore {
    async fn commit(&self, c: &Commit) -> Result<(), CommitError> {
        let (ops, erased) = self.resolve(c)?;
        let now = Timestamp::now().as_millisecond();
        let mut send = Vec::with_capacity(c.outbox.len());
        for e in &c.outbox {
            let key = entry_key(e.class, self.db.generate_id()?);
            send.push((key, self.stored_entry(e, now, &erased)?));
        }
        let done = c
            .done
            .as_ref()
            .map(|d| (d.key.as_slice(), d.raw.as_slice()));
        if let (true, true, Some((key, raw))) = (ops.is_empty(), send.is_empty(), done) {
            // Only an entry's removal (a delivery with nothing following from it): one
            // compare-and-swap, not a transaction, which costs sled two writes of its log
            // buffer. As in the transaction, an entry no longer as claimed is left alone.
            let _ = self.numbered(false, || {
                self.outbox.compare_and_swap(key, Some(raw), None::<&[u8]>)
            })?;
            return Ok(());
        }
        self.numbered(!send.is_empty(), || self.apply(&ops, &send, done))?;
        // The records are gone; their old versions in sled's log become noise now.
        for user in erased {
            self.shred(user)?;
        }
        Ok(())
    }

    async fn flush(&self) -> Result<(), StoreError> {
        self.flush_shared().await
    }

    async fn flush_commits(&self, slack: u64) -> Result<(), StoreError> {
        SledStore::flush_commits(self, slack).await
    }
}
