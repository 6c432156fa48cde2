//! Applying a [`Commit`] to the embedded store: its changes are first resolved into
//! key-level operations (scans and encoding happen here, outside the commits' mutex),
//! then, under [`EmbeddedStore::writing`], checked against the trees and turned into
//! key-level writes ([`EmbeddedStore::check`]) that are written as one record of the
//! store's log ([`super::journal`]): whole or not at all, across a crash too.

use async_trait::async_trait;
use jiff::Timestamp;
use kv::IVec;

use super::EmbeddedStore;
use super::outbox_head::entry_key;
use super::sessions::{encode, header};
use super::tickets::{join, message_key, number_key, split};
use crate::store::commit::{Change, Commit, CommitError, Committer};
use crate::store::{StoreError, Ticket, UserId};

use super::journal::Writes;
use super::ops::{Op, TreeId};

/// A commit resolved: its key-level operations, the users it erases, and the questions
/// it logs (second asked at, entry sealed), which go to the log's files
/// ([`super::questions`]).
pub(super) struct Resolved {
    pub(super) ops: Vec<Op>,
    pub(super) erased: Vec<UserId>,
    pub(super) questions: Vec<super::questions::Sealed>,
}

impl EmbeddedStore {
    pub(super) fn tree(&self, id: TreeId) -> &kv::Tree {
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
            TreeId::Erasing => &self.erasing,
        }
    }

    /// The key-level operations of `c`, in order, the users it erases and the questions
    /// it logs.
    pub(super) fn resolve(&self, c: &Commit) -> Result<Resolved, StoreError> {
        let mut ops = Vec::new();
        let mut erased = Vec::new();
        let mut questions = Vec::new();
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
                    questions.push(self.seal_question(*by, question)?);
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
                    ops.push(self.erasing_op(*user));
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
        Ok(Resolved {
            ops,
            erased,
            questions,
        })
    }

    /// What `key` of `tree` holds for a commit being checked: its own earlier writes
    /// first, as a transaction reads.
    fn read(&self, w: &Writes, tree: TreeId, key: &[u8]) -> Result<Option<IVec>, StoreError> {
        Ok(match w.get(tree, key) {
            Some(v) => v.map(IVec::from),
            None => self.tree(tree).get(key)?,
        })
    }

    /// Checks a commit's expectations and resolves its operations and outbox changes into
    /// key-level writes, in order, each reading what the earlier ones wrote: the check of
    /// the transaction this replaces, with the same conflicts. The caller holds
    /// [`EmbeddedStore::writing`], so nothing else writes these trees until the writes are
    /// applied ([`super::journal`]).
    pub(super) fn check(
        &self,
        ops: &[Op],
        send: &[(Vec<u8>, Vec<u8>)],
        done: Option<(&[u8], &[u8])>,
    ) -> Result<Writes, CommitError> {
        let mut w = Writes::default();
        for op in ops {
            match op {
                Op::Put(id, k, v) => w.put(*id, k.clone(), v.clone()),
                Op::Remove(id, k) => w.remove(*id, k.clone()),
                Op::QueueReminder {
                    key,
                    identity,
                    value,
                } => {
                    if self.read(&w, TreeId::RemindersDone, identity)?.is_none()
                        && self.read(&w, TreeId::ReminderQueue, key)?.is_none()
                    {
                        w.put(TreeId::ReminderQueue, key.clone(), value.clone());
                    }
                }
                Op::Expect(id, k, v) => {
                    // An outbox entry claimed since it was read changed too (its claim
                    // is held in memory, not written: [`super::claims`]).
                    if self.read(&w, *id, k)?.as_deref() != v.as_deref()
                        || (*id == TreeId::Outbox && self.claims.get(k).is_some())
                    {
                        return Err(CommitError::Conflict);
                    }
                }
                Op::ExpectTicket(n, expect) => {
                    let now = self.read(&w, TreeId::Tickets, &number_key(*n))?;
                    let now: Option<Ticket> = now.and_then(|v| self.decode_ticket(&v));
                    if now.as_ref() != expect.as_deref() {
                        return Err(CommitError::Conflict);
                    }
                }
                Op::ExpectProfile(key, expect) => {
                    let now = self.read(&w, TreeId::Profiles, key)?;
                    let now = now.and_then(|v| self.open_profile(&v));
                    if now.as_ref() != expect.as_deref() {
                        return Err(CommitError::Conflict);
                    }
                }
                Op::ExpectWatch(key, expect) => {
                    let now = self.read(&w, TreeId::Watches, key)?;
                    let now = now.and_then(|v| self.open_watch(&v));
                    if now.as_ref() != expect.as_deref() {
                        return Err(CommitError::Conflict);
                    }
                }
                Op::TicketPosted {
                    number,
                    chat,
                    message,
                } => {
                    w.put(
                        TreeId::TicketMessages,
                        message_key(*chat, *message).to_vec(),
                        number_key(*number).to_vec(),
                    );
                    let old = self.read(&w, TreeId::Tickets, &number_key(*number))?;
                    // Only the staff's side changes: the user's stays sealed as is.
                    if let Some((mut staff, sealed)) = old.as_deref().and_then(split)
                        && staff.message.is_none()
                    {
                        staff.message = Some(*message);
                        let v = join(&staff, sealed).map_err(|_| CommitError::Conflict)?;
                        w.put(TreeId::Tickets, number_key(*number).to_vec(), v);
                    }
                }
                Op::Session { key, expect, new } => {
                    let stored = self.read(&w, TreeId::Sessions, key)?;
                    let at = stored
                        .as_deref()
                        .map(|v| header(v).map_or(0, |(rev, _)| rev));
                    if at != *expect {
                        return Err(CommitError::Conflict);
                    }
                    match new {
                        Some((touched, bytes)) => {
                            let rev = crate::store::Revision(at).next();
                            w.put(TreeId::Sessions, key.clone(), encode(rev, *touched, bytes));
                        }
                        None => w.remove(TreeId::Sessions, key.clone()),
                    }
                }
            }
        }
        if let Some((key, raw)) = done {
            let now = self.read(&w, TreeId::Outbox, key)?;
            if self.still_claimed(key, now.as_deref(), raw).is_some() {
                w.remove(TreeId::Outbox, key.to_vec());
            }
        }
        for (k, v) in send {
            w.put(TreeId::Outbox, k.clone(), v.clone());
        }
        Ok(w)
    }
}

#[async_trait]
impl Committer for EmbeddedStore {
    async fn commit(&self, c: &Commit) -> Result<(), CommitError> {
        let done = self.write_commit(c);
        if let Err(CommitError::Store(e)) = &done {
            self.probe_after(e).await;
        }
        done
    }

    async fn flush(&self) -> Result<(), StoreError> {
        self.flush_shared().await
    }

    async fn flush_commits(&self, slack: u64) -> Result<(), StoreError> {
        EmbeddedStore::flush_commits(self, slack).await
    }

    async fn unrecoverable(&self) -> String {
        self.failed.wait().await
    }
}

impl EmbeddedStore {
    /// [`Committer::commit`]'s writes.
    fn write_commit(&self, c: &Commit) -> Result<(), CommitError> {
        let Resolved {
            ops,
            erased,
            questions,
        } = self.resolve(c)?;
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
        if let (true, true, Some((key, raw))) = (
            ops.is_empty() && questions.is_empty(),
            send.is_empty(),
            done,
        ) {
            // Only an entry's removal (a delivery with nothing following from it): one
            // compare-and-swap, not a journal record (three writes). As in
            // [`EmbeddedStore::check`], an entry no longer as claimed is left alone.
            self.numbered(false, || self.complete_alone(key, raw))?;
            return Ok(());
        }
        // Kept before the writes (their keys are new, so nothing meets them until
        // then): a claim round that meets one of these entries in the tree finds it
        // kept (`fresh`).
        for (e, (key, value)) in c.outbox.iter().zip(&send) {
            self.keep_fresh(key, value, e);
        }
        let applied = self.numbered(!send.is_empty(), || -> Result<(), CommitError> {
            let writes = self.check(&ops, &send, done)?;
            self.journalled(&writes)?;
            // In the guard too, so that an export sees them with the writes.
            self.append_questions(&questions);
            // Their keys go once this commit is on disk (`erasing`).
            self.flusher.erasing(erased.iter().map(|u| self.who(*u)));
            Ok(())
        });
        if applied.is_err() {
            for (key, _) in &send {
                self.fresh.forget(key);
            }
        }
        applied?;
        if let Some((key, raw)) = done {
            // Removed with this commit, or no longer as claimed: nothing left to guard.
            self.let_go(key, raw);
        }
        // Nothing of theirs is offered to a claim round any more; their key goes with
        // the flush that makes this commit durable (`erasing`).
        for user in erased {
            self.fresh.forget_owner(&self.who(user));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outgoing::{Class, Entry};
    use crate::reply::Rich;
    use crate::store::outbox::{OutboxStore, Owner};
    use crate::store::{Revision, UserId};

    fn answered(expect: Revision) -> Commit {
        let mut c = Commit::new();
        c.session(
            UserId(7),
            expect,
            Some(b"s".to_vec()),
            Timestamp::UNIX_EPOCH,
        );
        c.send(Entry::message(7, Class::Reply, Rich::plain("ok")));
        c
    }

    #[tokio::test]
    async fn a_kept_entry_leaves_memory_when_claimed_or_when_its_commit_is_refused() {
        let st = EmbeddedStore::temporary().unwrap();
        st.commit(&answered(Revision(None))).await.unwrap();
        assert_eq!(st.fresh.len(), 1, "kept for the claim round");
        // The same session created again: refused by its check, and nothing kept.
        let refused = st.commit(&answered(Revision(None))).await;
        assert!(matches!(refused, Err(CommitError::Conflict)), "{refused:?}");
        assert_eq!(st.fresh.len(), 1, "the refused commit's entry is forgotten");
        assert_eq!(st.outbox_len().await.unwrap(), 1);
        let round = st
            .outbox_claim(
                Owner(1),
                Timestamp::now(),
                std::time::Duration::from_secs(60),
                10,
                &mut |_, _| false,
            )
            .await
            .unwrap();
        assert_eq!(round.claimed.len(), 1);
        assert_eq!(st.fresh.len(), 0, "taken by the claim");
    }
}
