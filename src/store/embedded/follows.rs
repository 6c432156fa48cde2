//! Subscriptions, the reminder queue and the record of what was sent, in the embedded
//! store.
//!
//! Three trees:
//! - `subscriptions`: user's pseudonym ‖ call id → [`Subscription`], sealed for the user;
//! - `reminder_queue`: due second (u64 big-endian) ‖ identity → [`Queued`], sealed;
//! - `reminders_done`: identity → [`Done`], so an item is never queued twice.
//!
//! An identity starts with the user's pseudonym, never the id.
//!
//! Scans happen outside transactions (a transactional tree cannot scan); changes that
//! touch several trees are small transactions over keys computed from the pure
//! [`schedule`](crate::schedule). A claim is a compare-and-swap of the item's
//! stored bytes, so of two claimers exactly one wins.

use std::collections::HashSet;

use async_trait::async_trait;
use jiff::Timestamp;
use kv::transaction::{ConflictableTransactionError, TransactionError, Transactional};

use super::EmbeddedStore;
use super::ops::{Op, TreeId};
use crate::knowledge::CallId;
use crate::schedule::{Change, Kind, Offset, Planned, Subscription, change, plan};
use crate::store::follows::{
    DeadlineOf, Done, DoneHow, DueReminder, FollowStore, Queued, ReminderKey, SyncReport,
};
use crate::store::shred::{PSEUDONYM, Pseudonym};
use crate::store::{StoreError, UserId};

fn sub_key_of(who: &Pseudonym, call: &CallId) -> Vec<u8> {
    let mut k = who.0.to_vec();
    k.extend_from_slice(call.0.as_bytes());
    k
}

fn tx_err(e: TransactionError<()>) -> StoreError {
    match e {
        TransactionError::Storage(e) => e.into(),
        // No closure below aborts.
        TransactionError::Abort(()) => StoreError::Contended("transaction aborted"),
    }
}

/// Encoded writes prepared outside a transaction (its closure may run more than once).
struct Plan {
    remove_queue: Vec<Vec<u8>>,
    remove_done: Vec<Vec<u8>>,
    /// Inserted unless already queued or done.
    add: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)>,
}

impl Plan {
    fn new() -> Plan {
        Plan {
            remove_queue: Vec::new(),
            remove_done: Vec::new(),
            add: Vec::new(),
        }
    }

    fn drop_all(&mut self, st: &EmbeddedStore, sub: &Subscription, offsets: &[Offset]) {
        for p in plan(sub, offsets) {
            self.remove_queue.push(st.queue_key(&p));
            self.remove_done.push(st.identity(&p));
        }
    }

    /// The same changes as [`Store::apply`] without a compare, for a commit.
    fn ops(&self, key: &[u8], set: Option<Option<Vec<u8>>>) -> Vec<Op> {
        let mut ops = Vec::new();
        match set {
            Some(Some(v)) => ops.push(Op::Put(TreeId::Subscriptions, key.to_vec(), v)),
            Some(None) => ops.push(Op::Remove(TreeId::Subscriptions, key.to_vec())),
            None => {}
        }
        ops.extend(
            self.remove_queue
                .iter()
                .map(|k| Op::Remove(TreeId::ReminderQueue, k.clone())),
        );
        ops.extend(
            self.remove_done
                .iter()
                .map(|k| Op::Remove(TreeId::RemindersDone, k.clone())),
        );
        ops.extend(self.add.iter().map(|(k, id, v)| Op::QueueReminder {
            key: k.clone(),
            identity: id.clone(),
            value: v.clone(),
        }));
        ops
    }

    fn add(&mut self, st: &EmbeddedStore, p: Planned) -> Result<(), StoreError> {
        let v = st.seal_queued(&Queued {
            item: p.clone(),
            attempts: 0,
            in_flight: false,
            lease_until: None,
        })?;
        self.add.push((st.queue_key(&p), st.identity(&p), v));
        Ok(())
    }
}

impl EmbeddedStore {
    pub(super) fn sub_key(&self, user: UserId, call: &CallId) -> Vec<u8> {
        sub_key_of(&self.who(user), call)
    }

    /// An item's identity here: [`Planned::identity`] with the user's pseudonym in place
    /// of the id.
    pub(super) fn identity(&self, p: &Planned) -> Vec<u8> {
        let mut k = self.who(p.user).0.to_vec();
        k.extend_from_slice(&p.identity()[8..]);
        k
    }

    /// Due second (u64 big-endian) ‖ identity.
    pub(super) fn queue_key(&self, p: &Planned) -> Vec<u8> {
        let mut k = (p.due.as_second().max(0) as u64).to_be_bytes().to_vec();
        k.extend(self.identity(p));
        k
    }

    pub(super) fn seal_queued(&self, q: &Queued) -> Result<Vec<u8>, StoreError> {
        self.seal(Some(q.item.user), &serde_json::to_vec(q)?)
    }

    /// A sealed JSON value (`None`: unreadable, or its owner was erased).
    pub(super) fn open_json<T: serde::de::DeserializeOwned>(&self, v: &[u8]) -> Option<T> {
        serde_json::from_slice(&self.open_sealed(v)?).ok()
    }

    /// Runs `plan` and sets (or removes, with `None`) one subscription, atomically.
    fn apply_plan(
        &self,
        key: &[u8],
        expect: Option<&[u8]>,
        set: Option<Option<Vec<u8>>>,
        plan: &Plan,
    ) -> Result<bool, StoreError> {
        let _w = self.writing();
        (
            &self.subscriptions,
            &self.reminder_queue,
            &self.reminders_done,
        )
            .transaction(|(s, q, d)| {
                if let Some(expect) = expect
                    && s.get(key)?.as_deref() != Some(expect)
                {
                    return Ok(false);
                }
                match &set {
                    Some(Some(v)) => {
                        s.insert(key, v.as_slice())?;
                    }
                    Some(None) => {
                        s.remove(key)?;
                    }
                    None => {}
                }
                for k in &plan.remove_queue {
                    q.remove(k.as_slice())?;
                }
                for k in &plan.remove_done {
                    d.remove(k.as_slice())?;
                }
                for (qk, id, v) in &plan.add {
                    if d.get(id.as_slice())?.is_none() && q.get(qk.as_slice())?.is_none() {
                        q.insert(qk.as_slice(), v.as_slice())?;
                    }
                }
                Ok::<_, ConflictableTransactionError<()>>(true)
            })
            .map_err(tx_err)
    }

    /// The changes that subscribe (or re-subscribe to a changed deadline) and queue the
    /// reminders, for a commit.
    pub(super) fn subscribe_ops(
        &self,
        sub: &Subscription,
        offsets: &[Offset],
    ) -> Result<Vec<Op>, StoreError> {
        let key = self.sub_key(sub.user, &sub.call);
        let mut p = Plan::new();
        if let Some(old) = self.sub_now(sub.user, &sub.call)? {
            if old.deadline == sub.deadline {
                return Ok(Vec::new());
            }
            p.drop_all(self, &old, offsets);
        }
        for item in plan(sub, offsets) {
            p.add(self, item)?;
        }
        Ok(p.ops(
            &key,
            Some(Some(self.seal(Some(sub.user), &serde_json::to_vec(sub)?)?)),
        ))
    }

    /// The changes that end one subscription (or all of the user's with `None`) and
    /// their queued reminders, for a commit.
    pub(super) fn unsubscribe_ops(
        &self,
        user: UserId,
        call: Option<&CallId>,
        offsets: &[Offset],
    ) -> Result<Vec<Op>, StoreError> {
        let subs = match call {
            Some(c) => self.sub_now(user, c)?.into_iter().collect(),
            None => self.subs_of_now(user)?,
        };
        let mut ops = Vec::new();
        for old in subs {
            let mut p = Plan::new();
            p.drop_all(self, &old, offsets);
            ops.extend(p.ops(&self.sub_key(user, &old.call), Some(None)));
        }
        Ok(ops)
    }

    fn sub_now(&self, user: UserId, call: &CallId) -> Result<Option<Subscription>, StoreError> {
        Ok(self
            .subscriptions
            .get(self.sub_key(user, call))?
            .and_then(|v| self.open_json(&v)))
    }

    fn subs_of_now(&self, user: UserId) -> Result<Vec<Subscription>, StoreError> {
        let mut out = Vec::new();
        for item in self.subscriptions.scan_prefix(self.who(user).0) {
            out.extend(self.open_json(&item?.1));
        }
        Ok(out)
    }

    fn unsubscribe_now(
        &self,
        user: UserId,
        call: &CallId,
        offsets: &[Offset],
    ) -> Result<bool, StoreError> {
        let Some(old) = self.sub_now(user, call)? else {
            return Ok(false);
        };
        let mut p = Plan::new();
        p.drop_all(self, &old, offsets);
        self.apply_plan(&self.sub_key(user, call), None, Some(None), &p)?;
        Ok(true)
    }

    /// The keys of the user's queued reminders and of what was sent to them.
    pub(super) fn reminder_keys_of(&self, user: UserId) -> Result<Vec<Op>, StoreError> {
        let mut ops = Vec::new();
        let who = self.who(user);
        for item in self.subscriptions.scan_prefix(who.0) {
            ops.push(Op::Remove(TreeId::Subscriptions, item?.0.to_vec()));
        }
        for item in self.reminders_done.scan_prefix(who.0) {
            ops.push(Op::Remove(TreeId::RemindersDone, item?.0.to_vec()));
        }
        // Queued reminders are keyed by time: their identity holds the user after the
        // 8-byte due time.
        for item in self.reminder_queue.iter() {
            let (k, _) = item?;
            if k.get(8..8 + PSEUDONYM) == Some(&who.0[..]) {
                ops.push(Op::Remove(TreeId::ReminderQueue, k.to_vec()));
            }
        }
        Ok(ops)
    }
}

#[async_trait]
impl FollowStore for EmbeddedStore {
    /// Subscribes (or re-subscribes to a changed deadline) and queues the reminders.
    async fn subscribe(&self, sub: &Subscription, offsets: &[Offset]) -> Result<(), StoreError> {
        let key = self.sub_key(sub.user, &sub.call);
        let mut p = Plan::new();
        if let Some(old) = self.sub_now(sub.user, &sub.call)? {
            if old.deadline == sub.deadline {
                return Ok(());
            }
            p.drop_all(self, &old, offsets);
        }
        for item in plan(sub, offsets) {
            p.add(self, item)?;
        }
        self.apply_plan(
            &key,
            None,
            Some(Some(self.seal(Some(sub.user), &serde_json::to_vec(sub)?)?)),
            &p,
        )?;
        Ok(())
    }

    /// Ends one subscription and its queued reminders; false if there was none.
    async fn unsubscribe(
        &self,
        user: UserId,
        call: &CallId,
        offsets: &[Offset],
    ) -> Result<bool, StoreError> {
        self.unsubscribe_now(user, call, offsets)
    }

    /// Ends all of a user's subscriptions; returns how many.
    async fn unsubscribe_all(&self, user: UserId, offsets: &[Offset]) -> Result<usize, StoreError> {
        let mut n = 0;
        for s in self.subs_of_now(user)? {
            if self.unsubscribe_now(user, &s.call, offsets)? {
                n += 1;
            }
        }
        Ok(n)
    }

    async fn subscription(
        &self,
        user: UserId,
        call: &CallId,
    ) -> Result<Option<Subscription>, StoreError> {
        self.sub_now(user, call)
    }

    /// A user's subscriptions, by call id.
    async fn subscriptions_of(&self, user: UserId) -> Result<Vec<Subscription>, StoreError> {
        self.subs_of_now(user)
    }

    async fn subscription_count(&self) -> Result<usize, StoreError> {
        Ok(self.subscriptions.len())
    }

    /// Brings subscriptions and queue in line with the knowledge in force: a moved
    /// deadline updates the subscription, queues a notice and the new reminders (the old
    /// ones are removed); an unknown, past or vanished deadline ends the subscription with
    /// a notice; missing reminders are queued (e.g. after the offsets changed).
    /// `deadline_of` returns a call's current deadline and whether the call is gone.
    async fn sync_reminders(
        &self,
        deadline_of: DeadlineOf<'_>,
        offsets: &[Offset],
        now: Timestamp,
    ) -> Result<SyncReport, StoreError> {
        let mut report = SyncReport::default();
        for item in self.subscriptions.iter() {
            let (key, bytes) = item?;
            let Some(sub) = self.open_json::<Subscription>(&bytes) else {
                let _w = self.writing();
                self.subscriptions
                    .compare_and_swap(&key, Some(&bytes), None as Option<&[u8]>)?
                    .ok();
                continue;
            };
            report.subscriptions += 1;
            let (current, gone) = deadline_of(&sub.call);
            let mut p = Plan::new();
            let set = match change(&sub, current, gone, now) {
                None => {
                    for item in plan(&sub, offsets) {
                        if self.reminders_done.get(self.identity(&item))?.is_none()
                            && self.reminder_queue.get(self.queue_key(&item))?.is_none()
                        {
                            report.queued += 1;
                            p.add(self, item)?;
                        }
                    }
                    if p.add.is_empty() {
                        continue;
                    }
                    None
                }
                Some(Change::Moved { to }) => {
                    report.moved += 1;
                    p.drop_all(self, &sub, offsets);
                    let moved = Subscription {
                        deadline: to,
                        planned_from: now,
                        ..sub.clone()
                    };
                    p.add(
                        self,
                        Planned {
                            user: sub.user,
                            call: sub.call.clone(),
                            deadline: to,
                            kind: Kind::Moved { from: sub.deadline },
                            due: now,
                        },
                    )?;
                    for item in plan(&moved, offsets) {
                        p.add(self, item)?;
                    }
                    Some(Some(
                        self.seal(Some(moved.user), &serde_json::to_vec(&moved)?)?,
                    ))
                }
                Some(Change::Ended(why)) => {
                    report.ended += 1;
                    p.drop_all(self, &sub, offsets);
                    p.add(
                        self,
                        Planned {
                            user: sub.user,
                            call: sub.call.clone(),
                            deadline: sub.deadline,
                            kind: Kind::Ended {
                                from: sub.deadline,
                                why,
                            },
                            due: now,
                        },
                    )?;
                    Some(None)
                }
                Some(Change::Finished) => {
                    report.finished += 1;
                    p.drop_all(self, &sub, offsets);
                    Some(None)
                }
            };
            // Compare-and-set: a subscription changed meanwhile is left to the next sync.
            self.apply_plan(&key, Some(&bytes), set, &p)?;
        }
        Ok(report)
    }

    /// The due time of the first queued item.
    async fn next_reminder_due(&self) -> Result<Option<Timestamp>, StoreError> {
        Ok(self.reminder_queue.first()?.and_then(|(k, _)| {
            let b: [u8; 8] = k.get(..8)?.try_into().ok()?;
            Timestamp::from_second(u64::from_be_bytes(b).min(i64::MAX as u64) as i64).ok()
        }))
    }

    async fn due_reminders(
        &self,
        now: Timestamp,
        limit: usize,
        busy: &HashSet<ReminderKey>,
    ) -> Result<Vec<DueReminder>, StoreError> {
        let upper = (now.as_second().max(0) as u64 + 1).to_be_bytes();
        let now_ms = now.as_millisecond();
        let mut out = Vec::new();
        for item in self.reminder_queue.range(..upper.as_slice()) {
            if out.len() >= limit {
                break;
            }
            let (k, v) = item?;
            let key = ReminderKey(k.to_vec());
            if busy.contains(&key) {
                continue;
            }
            match self.open_json::<Queued>(&v) {
                Some(q) if q.lease_until.is_some_and(|t| t > now_ms) => {}
                Some(queued) => out.push(DueReminder {
                    key,
                    queued,
                    seen: v.to_vec(),
                }),
                None => {
                    // Unreadable, or sealed for a user who was erased.
                    tracing::warn!("dropping an unreadable queued reminder");
                    self.cas(&self.reminder_queue, &k, Some(&v), None)?;
                }
            }
        }
        Ok(out)
    }

    async fn claim_reminder(
        &self,
        due: &DueReminder,
        lease_until: Timestamp,
    ) -> Result<bool, StoreError> {
        let _w = self.writing();
        let claimed = self.seal_queued(&Queued {
            in_flight: true,
            lease_until: Some(lease_until.as_millisecond()),
            ..due.queued.clone()
        })?;
        Ok(self
            .reminder_queue
            .compare_and_swap(&due.key.0, Some(due.seen.as_slice()), Some(claimed))?
            .is_ok())
    }

    async fn complete_reminder(
        &self,
        key: &ReminderKey,
        item: &Planned,
        how: DoneHow,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let _w = self.writing();
        let done = serde_json::to_vec(&Done { at: now, how })?;
        let id = self.identity(item);
        (&self.reminder_queue, &self.reminders_done)
            .transaction(|(q, d)| {
                q.remove(key.0.as_slice())?;
                d.insert(id.as_slice(), done.as_slice())?;
                Ok::<_, ConflictableTransactionError<()>>(())
            })
            .map_err(tx_err)
    }

    async fn release_reminder(
        &self,
        key: &ReminderKey,
        q: &Queued,
        due: Timestamp,
    ) -> Result<(), StoreError> {
        let _w = self.writing();
        let mut again = q.clone();
        again.item.due = due;
        again.attempts += 1;
        again.in_flight = false;
        again.lease_until = None;
        let new_key = self.queue_key(&again.item);
        let v = self.seal_queued(&again)?;
        (&self.reminder_queue,)
            .transaction(|(t,)| {
                // Gone meanwhile (its user erased, its subscription ended): not put back.
                if t.remove(key.0.as_slice())?.is_none() {
                    return Ok(());
                }
                t.insert(new_key.as_slice(), v.as_slice())?;
                Ok::<_, ConflictableTransactionError<()>>(())
            })
            .map_err(tx_err)
    }

    async fn recover_reminders(&self) -> Result<usize, StoreError> {
        let mut n = 0;
        for item in self.reminder_queue.iter() {
            let (k, v) = item?;
            let Some(mut q) = self.open_json::<Queued>(&v) else {
                continue;
            };
            if q.lease_until.take().is_some()
                && self.cas(
                    &self.reminder_queue,
                    &k,
                    Some(&v),
                    Some(self.seal_queued(&q)?),
                )?
            {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Items in the queue (for reports and tests).
    async fn queued_reminders(&self) -> Result<Vec<Queued>, StoreError> {
        let mut out = Vec::new();
        for item in self.reminder_queue.iter() {
            out.extend(self.open_json(&item?.1));
        }
        Ok(out)
    }

    /// Whether the item with this identity left the queue, and how.
    async fn reminder_done(&self, item: &Planned) -> Result<Option<Done>, StoreError> {
        Ok(match self.reminders_done.get(self.identity(item))? {
            Some(v) => serde_json::from_slice(&v).ok(),
            None => None,
        })
    }
}
