//! Subscriptions, the reminder queue and the record of what was sent, in sled.
//!
//! Three trees (opened by [`Store`]):
//! - `subscriptions`: user key ‖ call id → [`Subscription`];
//! - `reminder_queue`: due second (u64 big-endian) ‖ identity → [`Queued`];
//! - `reminders_done`: identity → [`Done`], so an item is never queued twice.
//!
//! Scans happen outside transactions (a transactional tree cannot scan); changes that
//! touch several trees are small transactions over keys computed from the pure
//! [`schedule`](super::schedule). Nothing here sends anything.

use std::collections::HashSet;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};

use super::schedule::{Change, EndReason, Kind, Offset, Planned, Subscription, change, plan};
use crate::knowledge::{CallId, DeadlineAt};
use crate::store::commit::{Op, TreeId};
use crate::store::{Store, StoreError, UserId};

/// A queued message and its delivery state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queued {
    pub item: Planned,
    /// Failed attempts so far (5xx, network).
    pub attempts: u32,
    /// Claimed by a dispatcher that may have sent it: found so at start, it was in flight
    /// when the process stopped and is sent again.
    pub in_flight: bool,
}

/// How an item left the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DoneHow {
    Sent,
    Expired,
    Superseded,
    Obsolete,
    Blocked,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Done {
    pub at: Timestamp,
    pub how: DoneHow,
}

/// What [`Store::sync_reminders`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub subscriptions: usize,
    pub moved: usize,
    pub ended: usize,
    pub finished: usize,
    pub queued: usize,
}

fn sub_key(user: UserId, call: &CallId) -> Vec<u8> {
    let mut k = user.key().to_vec();
    k.extend_from_slice(call.0.as_bytes());
    k
}

fn tx_err(e: TransactionError<()>) -> StoreError {
    match e {
        TransactionError::Storage(e) => StoreError::Sled(e),
        // No closure below aborts.
        TransactionError::Abort(()) => {
            StoreError::Sled(sled::Error::Unsupported("transaction aborted".into()))
        }
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

    fn drop_all(&mut self, sub: &Subscription, offsets: &[Offset]) {
        for p in plan(sub, offsets) {
            self.remove_queue.push(p.queue_key());
            self.remove_done.push(p.identity());
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

    fn add(&mut self, p: Planned) -> Result<(), StoreError> {
        let v = serde_json::to_vec(&Queued {
            item: p.clone(),
            attempts: 0,
            in_flight: false,
        })?;
        self.add.push((p.queue_key(), p.identity(), v));
        Ok(())
    }
}

impl Store {
    /// Runs `plan` and sets (or removes, with `None`) one subscription, atomically.
    fn apply(
        &self,
        key: &[u8],
        expect: Option<&[u8]>,
        set: Option<Option<Vec<u8>>>,
        plan: &Plan,
    ) -> Result<bool, StoreError> {
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
    pub(crate) fn subscribe_ops(
        &self,
        sub: &Subscription,
        offsets: &[Offset],
    ) -> Result<Vec<Op>, StoreError> {
        let key = sub_key(sub.user, &sub.call);
        let mut p = Plan::new();
        if let Some(old) = self.subscription(sub.user, &sub.call)? {
            if old.deadline == sub.deadline {
                return Ok(Vec::new());
            }
            p.drop_all(&old, offsets);
        }
        for item in plan(sub, offsets) {
            p.add(item)?;
        }
        Ok(p.ops(&key, Some(Some(serde_json::to_vec(sub)?))))
    }

    /// The changes that end one subscription (or all of the user's with `None`) and
    /// their queued reminders, for a commit.
    pub(crate) fn unsubscribe_ops(
        &self,
        user: UserId,
        call: Option<&CallId>,
        offsets: &[Offset],
    ) -> Result<Vec<Op>, StoreError> {
        let subs = match call {
            Some(c) => self.subscription(user, c)?.into_iter().collect(),
            None => self.subscriptions_of(user)?,
        };
        let mut ops = Vec::new();
        for old in subs {
            let mut p = Plan::new();
            p.drop_all(&old, offsets);
            ops.extend(p.ops(&sub_key(user, &old.call), Some(None)));
        }
        Ok(ops)
    }

    /// Subscribes (or re-subscribes to a changed deadline) and queues the reminders.
    pub fn subscribe(&self, sub: &Subscription, offsets: &[Offset]) -> Result<(), StoreError> {
        let key = sub_key(sub.user, &sub.call);
        let mut p = Plan::new();
        if let Some(old) = self.subscription(sub.user, &sub.call)? {
            if old.deadline == sub.deadline {
                return Ok(());
            }
            p.drop_all(&old, offsets);
        }
        for item in plan(sub, offsets) {
            p.add(item)?;
        }
        self.apply(&key, None, Some(Some(serde_json::to_vec(sub)?)), &p)?;
        Ok(())
    }

    /// Ends one subscription and its queued reminders; false if there was none.
    pub fn unsubscribe(
        &self,
        user: UserId,
        call: &CallId,
        offsets: &[Offset],
    ) -> Result<bool, StoreError> {
        let Some(old) = self.subscription(user, call)? else {
            return Ok(false);
        };
        let mut p = Plan::new();
        p.drop_all(&old, offsets);
        self.apply(&sub_key(user, call), None, Some(None), &p)?;
        Ok(true)
    }

    /// Ends all of a user's subscriptions; returns how many.
    pub fn unsubscribe_all(&self, user: UserId, offsets: &[Offset]) -> Result<usize, StoreError> {
        let mut n = 0;
        for s in self.subscriptions_of(user)? {
            if self.unsubscribe(user, &s.call, offsets)? {
                n += 1;
            }
        }
        Ok(n)
    }

    pub fn subscription(
        &self,
        user: UserId,
        call: &CallId,
    ) -> Result<Option<Subscription>, StoreError> {
        Ok(match self.subscriptions.get(sub_key(user, call))? {
            Some(v) => serde_json::from_slice(&v).ok(),
            None => None,
        })
    }

    /// A user's subscriptions, by call id.
    pub fn subscriptions_of(&self, user: UserId) -> Result<Vec<Subscription>, StoreError> {
        let mut out = Vec::new();
        for item in self.subscriptions.scan_prefix(user.key()) {
            if let Ok(s) = serde_json::from_slice(&item?.1) {
                out.push(s);
            }
        }
        Ok(out)
    }

    pub fn subscription_count(&self) -> usize {
        self.subscriptions.len()
    }

    /// Brings subscriptions and queue in line with the knowledge in force: a moved
    /// deadline updates the subscription, queues a notice and the new reminders (the old
    /// ones are removed); an unknown, past or vanished deadline ends the subscription with
    /// a notice; missing reminders are queued (e.g. after the offsets changed).
    /// `deadline_of` returns a call's current deadline and whether the call is gone.
    pub fn sync_reminders(
        &self,
        deadline_of: &dyn Fn(&CallId) -> (Option<DeadlineAt>, bool),
        offsets: &[Offset],
        now: Timestamp,
    ) -> Result<SyncReport, StoreError> {
        let mut report = SyncReport::default();
        for item in self.subscriptions.iter() {
            let (key, bytes) = item?;
            let Ok(sub) = serde_json::from_slice::<Subscription>(&bytes) else {
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
                        if self.reminders_done.get(item.identity())?.is_none()
                            && self.reminder_queue.get(item.queue_key())?.is_none()
                        {
                            report.queued += 1;
                            p.add(item)?;
                        }
                    }
                    if p.add.is_empty() {
                        continue;
                    }
                    None
                }
                Some(Change::Moved { to }) => {
                    report.moved += 1;
                    p.drop_all(&sub, offsets);
                    let moved = Subscription {
                        deadline: to,
                        planned_from: now,
                        ..sub.clone()
                    };
                    p.add(Planned {
                        user: sub.user,
                        call: sub.call.clone(),
                        deadline: to,
                        kind: Kind::Moved { from: sub.deadline },
                        due: now,
                    })?;
                    for item in plan(&moved, offsets) {
                        p.add(item)?;
                    }
                    Some(Some(serde_json::to_vec(&moved)?))
                }
                Some(Change::Ended(why)) => {
                    report.ended += 1;
                    p.drop_all(&sub, offsets);
                    p.add(Planned {
                        user: sub.user,
                        call: sub.call.clone(),
                        deadline: sub.deadline,
                        kind: Kind::Ended {
                            from: sub.deadline,
                            why,
                        },
                        due: now,
                    })?;
                    Some(None)
                }
                Some(Change::Finished) => {
                    report.finished += 1;
                    p.drop_all(&sub, offsets);
                    Some(None)
                }
            };
            // Compare-and-set: a subscription changed meanwhile is left to the next sync.
            self.apply(&key, Some(&bytes), set, &p)?;
        }
        Ok(report)
    }

    /// The due time of the first queued item.
    pub fn next_reminder_due(&self) -> Result<Option<Timestamp>, StoreError> {
        Ok(self.reminder_queue.first()?.and_then(|(k, _)| {
            let b: [u8; 8] = k.get(..8)?.try_into().ok()?;
            Timestamp::from_second(u64::from_be_bytes(b).min(i64::MAX as u64) as i64).ok()
        }))
    }

    /// Up to `limit` queued items due at `now`, oldest first, skipping the keys in `busy`.
    /// Unreadable items are removed.
    pub fn due_reminders(
        &self,
        now: Timestamp,
        limit: usize,
        busy: &HashSet<Vec<u8>>,
    ) -> Result<Vec<(Vec<u8>, sled::IVec, Queued)>, StoreError> {
        let upper = (now.as_second().max(0) as u64 + 1).to_be_bytes();
        let mut out = Vec::new();
        for item in self.reminder_queue.range(..upper.as_slice()) {
            if out.len() >= limit {
                break;
            }
            let (k, v) = item?;
            if busy.contains(k.as_ref()) {
                continue;
            }
            match serde_json::from_slice::<Queued>(&v) {
                Ok(q) => out.push((k.to_vec(), v, q)),
                Err(_) => {
                    tracing::warn!("dropping an unreadable queued reminder");
                    self.reminder_queue
                        .compare_and_swap(&k, Some(&v), None as Option<&[u8]>)?
                        .ok();
                }
            }
        }
        Ok(out)
    }

    /// Marks an item in flight if it is still exactly as read; false if it changed or
    /// left the queue meanwhile.
    pub fn claim_reminder(
        &self,
        key: &[u8],
        seen: &sled::IVec,
        q: &Queued,
    ) -> Result<bool, StoreError> {
        let claimed = serde_json::to_vec(&Queued {
            in_flight: true,
            ..q.clone()
        })?;
        Ok(self
            .reminder_queue
            .compare_and_swap(key, Some(seen), Some(claimed))?
            .is_ok())
    }

    /// Takes an item out of the queue and records how (one transaction).
    pub fn finish_reminder(
        &self,
        key: &[u8],
        item: &Planned,
        how: DoneHow,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let done = serde_json::to_vec(&Done { at: now, how })?;
        let id = item.identity();
        (&self.reminder_queue, &self.reminders_done)
            .transaction(|(q, d)| {
                q.remove(key)?;
                d.insert(id.as_slice(), done.as_slice())?;
                Ok::<_, ConflictableTransactionError<()>>(())
            })
            .map_err(tx_err)
    }

    /// Puts an item back in the queue at `due`, not in flight, with one more attempt.
    pub fn retry_reminder_at(
        &self,
        key: &[u8],
        q: &Queued,
        due: Timestamp,
    ) -> Result<(), StoreError> {
        let mut again = q.clone();
        again.item.due = due;
        again.attempts += 1;
        again.in_flight = false;
        let new_key = again.item.queue_key();
        let v = serde_json::to_vec(&again)?;
        (&self.reminder_queue,)
            .transaction(|(t,)| {
                t.remove(key)?;
                t.insert(new_key.as_slice(), v.as_slice())?;
                Ok::<_, ConflictableTransactionError<()>>(())
            })
            .map_err(tx_err)
    }

    /// Items in the queue (for reports and tests).
    pub fn queued_reminders(&self) -> Result<Vec<Queued>, StoreError> {
        let mut out = Vec::new();
        for item in self.reminder_queue.iter() {
            if let Ok(q) = serde_json::from_slice(&item?.1) {
                out.push(q);
            }
        }
        Ok(out)
    }

    /// Whether the item with this identity left the queue, and how.
    pub fn reminder_done(&self, item: &Planned) -> Result<Option<Done>, StoreError> {
        Ok(match self.reminders_done.get(item.identity())? {
            Some(v) => serde_json::from_slice(&v).ok(),
            None => None,
        })
    }
}

/// The reason an [`EndReason`] notice is sent, for logs.
pub fn end_reason_name(why: EndReason) -> &'static str {
    match why {
        EndReason::Unknown => "unknown",
        EndReason::Closed => "closed",
        EndReason::Gone => "gone",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn sub(user: i64, at: &str) -> Subscription {
        Subscription {
            user: UserId(user),
            call: CallId("prova".into()),
            deadline: DeadlineAt::parse(at).unwrap(),
            planned_from: ts("2026-01-01T00:00:00Z"),
        }
    }

    #[test]
    fn subscribing_queues_each_offset_and_unsubscribing_removes_them() {
        let st = Store::temporary().unwrap();
        let offs = Offset::defaults();
        st.subscribe(&sub(1, "2026-06-15T12:00"), &offs).unwrap();
        st.subscribe(&sub(-2, "2026-06-15T12:00"), &offs).unwrap();
        assert_eq!(st.queued_reminders().unwrap().len(), 6);
        assert_eq!(
            st.next_reminder_due().unwrap(),
            Some(ts("2026-06-08T10:00:00Z"))
        );
        // Subscribing again changes nothing.
        st.subscribe(&sub(1, "2026-06-15T12:00"), &offs).unwrap();
        assert_eq!(st.queued_reminders().unwrap().len(), 6);
        assert!(
            st.unsubscribe(UserId(1), &CallId("prova".into()), &offs)
                .unwrap()
        );
        assert!(
            !st.unsubscribe(UserId(1), &CallId("prova".into()), &offs)
                .unwrap()
        );
        let left = st.queued_reminders().unwrap();
        assert_eq!(left.len(), 3);
        assert!(left.iter().all(|q| q.item.user == UserId(-2)));
        st.erase_user(UserId(-2)).unwrap();
        assert!(st.subscriptions_of(UserId(-2)).unwrap().is_empty());
    }

    #[test]
    fn sync_follows_a_moved_deadline_and_ends_unknown_ones() {
        let st = Store::temporary().unwrap();
        let offs = Offset::defaults();
        st.subscribe(&sub(1, "2026-06-15T12:00"), &offs).unwrap();
        let now = ts("2026-06-01T00:00:00Z");
        let to = DeadlineAt::parse("2026-07-01T12:00").unwrap();
        let r = st
            .sync_reminders(&|_| (Some(to), false), &offs, now)
            .unwrap();
        assert_eq!(r.moved, 1);
        let q = st.queued_reminders().unwrap();
        assert_eq!(q.len(), 4, "{q:#?}");
        assert_eq!(
            q[0].item.kind,
            Kind::Moved {
                from: DeadlineAt::parse("2026-06-15T12:00").unwrap()
            }
        );
        assert!(q[1..].iter().all(|q| q.item.deadline == to));
        // Nothing changes on a second sync.
        let r = st
            .sync_reminders(&|_| (Some(to), false), &offs, now)
            .unwrap();
        assert_eq!((r.moved, r.queued), (0, 0));
        let r = st.sync_reminders(&|_| (None, false), &offs, now).unwrap();
        assert_eq!(r.ended, 1);
        assert!(st.subscriptions_of(UserId(1)).unwrap().is_empty());
        let q = st.queued_reminders().unwrap();
        assert_eq!(q.len(), 2, "the moved notice and the end notice: {q:#?}");
    }
}
