//! Subscriptions, the reminder queue and the record of what was sent, in tables
//! `subscriptions` (user, call → JSON), `reminder_queue` (queue key → [`Queued`], with
//! its due second, user and lease as columns) and `reminders_done` (the user's pseudonym
//! ‖ the item's identity without its user id → [`Done`], see [`Names::done_key`]), so an
//! item is never queued twice.
//!
//! A claim takes the row `FOR UPDATE SKIP LOCKED` and changes it only if it is still as
//! listed: of any number of dispatchers exactly one wins, and none waits for another.

use std::collections::HashSet;

use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::PgConnection;

use super::{Names, PgStore};
use crate::knowledge::CallId;
use crate::schedule::{Change, Kind, Offset, Planned, Subscription, change, plan};
use crate::store::commit::CommitError;
use crate::store::follows::{
    DeadlineOf, Done, DoneHow, DueReminder, FollowStore, Queued, ReminderKey, SyncReport,
};
use crate::store::{StoreError, UserId};

/// Queue changes computed from the pure schedule, applied in one transaction.
#[derive(Default)]
struct Plan {
    remove_queue: Vec<Vec<u8>>,
    remove_done: Vec<Vec<u8>>,
    /// Inserted unless already queued or done.
    add: Vec<Planned>,
}

impl Plan {
    fn drop_all(&mut self, names: Names, sub: &Subscription, offsets: &[Offset]) {
        for p in plan(sub, offsets) {
            self.remove_queue.push(p.queue_key());
            self.remove_done.push(names.done_key(&p));
        }
    }

    async fn apply(&self, conn: &mut PgConnection, names: Names) -> Result<(), CommitError> {
        if !self.remove_queue.is_empty() {
            sqlx::query("DELETE FROM reminder_queue WHERE qkey = ANY($1)")
                .bind(&self.remove_queue)
                .execute(&mut *conn)
                .await?;
        }
        if !self.remove_done.is_empty() {
            sqlx::query("DELETE FROM reminders_done WHERE identity = ANY($1)")
                .bind(&self.remove_done)
                .execute(&mut *conn)
                .await?;
        }
        for p in &self.add {
            let q = Queued {
                item: p.clone(),
                attempts: 0,
                in_flight: false,
                lease_until: None,
            };
            insert_queued(conn, names, &q, false).await?;
        }
        Ok(())
    }
}

/// Queues `q` (unless done or already queued; `replace`: over the queued one).
pub(super) async fn insert_queued(
    conn: &mut PgConnection,
    names: Names,
    q: &Queued,
    replace: bool,
) -> Result<(), CommitError> {
    let p = &q.item;
    let sql = if replace {
        "INSERT INTO reminder_queue (qkey, identity, user_id, due, lease_until, body) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (qkey) DO UPDATE SET lease_until = EXCLUDED.lease_until, body = EXCLUDED.body"
    } else {
        "INSERT INTO reminder_queue (qkey, identity, user_id, due, lease_until, body) \
         SELECT $1, $2, $3, $4, $5, $6 \
         WHERE NOT EXISTS (SELECT 1 FROM reminders_done WHERE identity = $7) \
         ON CONFLICT (qkey) DO NOTHING"
    };
    sqlx::query(sql)
        .bind(p.queue_key())
        .bind(p.identity())
        .bind(p.user.0)
        .bind(p.due.as_second().max(0))
        .bind(q.lease_until)
        .bind(serde_json::to_vec(q)?)
        .bind(names.done_key(p))
        .execute(conn)
        .await?;
    Ok(())
}

async fn sub_now(
    conn: &mut PgConnection,
    user: UserId,
    call: &CallId,
    lock: bool,
) -> Result<Option<(Vec<u8>, Subscription)>, CommitError> {
    let sql = if lock {
        "SELECT body FROM subscriptions WHERE user_id = $1 AND call = $2 FOR UPDATE"
    } else {
        "SELECT body FROM subscriptions WHERE user_id = $1 AND call = $2"
    };
    let v: Option<Vec<u8>> = sqlx::query_scalar(sql)
        .bind(user.0)
        .bind(&call.0)
        .fetch_optional(conn)
        .await?;
    Ok(v.and_then(|v| Some((v.clone(), serde_json::from_slice(&v).ok()?))))
}

async fn set_sub(conn: &mut PgConnection, sub: &Subscription) -> Result<(), CommitError> {
    sqlx::query(
        "INSERT INTO subscriptions (user_id, call, body) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, call) DO UPDATE SET body = EXCLUDED.body",
    )
    .bind(sub.user.0)
    .bind(&sub.call.0)
    .bind(serde_json::to_vec(sub)?)
    .execute(conn)
    .await?;
    Ok(())
}

async fn delete_sub(
    conn: &mut PgConnection,
    user: UserId,
    call: &CallId,
) -> Result<(), CommitError> {
    sqlx::query("DELETE FROM subscriptions WHERE user_id = $1 AND call = $2")
        .bind(user.0)
        .bind(&call.0)
        .execute(conn)
        .await?;
    Ok(())
}

/// Subscribes (or re-subscribes to a changed deadline), inside a transaction.
pub(super) async fn subscribe(
    conn: &mut PgConnection,
    names: Names,
    sub: &Subscription,
    offsets: &[Offset],
) -> Result<(), CommitError> {
    let mut p = Plan::default();
    if let Some((_, old)) = sub_now(conn, sub.user, &sub.call, true).await? {
        if old.deadline == sub.deadline {
            return Ok(());
        }
        p.drop_all(names, &old, offsets);
    }
    p.add = plan(sub, offsets);
    p.apply(conn, names).await?;
    set_sub(conn, sub).await
}

/// Ends one subscription (all of the user's with `None`) and its queued reminders,
/// inside a transaction. Returns how many ended.
pub(super) async fn unsubscribe(
    conn: &mut PgConnection,
    names: Names,
    user: UserId,
    call: Option<&CallId>,
    offsets: &[Offset],
) -> Result<usize, CommitError> {
    let subs: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT body FROM subscriptions WHERE user_id = $1 AND ($2::text IS NULL OR call = $2) \
         FOR UPDATE",
    )
    .bind(user.0)
    .bind(call.map(|c| c.0.as_str()))
    .fetch_all(&mut *conn)
    .await?;
    let mut n = 0;
    for v in subs {
        let Ok(old) = serde_json::from_slice::<Subscription>(&v) else {
            continue;
        };
        let mut p = Plan::default();
        p.drop_all(names, &old, offsets);
        p.apply(conn, names).await?;
        delete_sub(conn, user, &old.call).await?;
        n += 1;
    }
    Ok(n)
}

/// Everything stored about the user's follows, inside a transaction.
pub(super) async fn erase(
    conn: &mut PgConnection,
    names: Names,
    user: UserId,
) -> Result<(), CommitError> {
    for sql in [
        "DELETE FROM subscriptions WHERE user_id = $1",
        "DELETE FROM reminder_queue WHERE user_id = $1",
    ] {
        sqlx::query(sql).bind(user.0).execute(&mut *conn).await?;
    }
    sqlx::query("DELETE FROM reminders_done WHERE who = $1")
        .bind(names.who(user))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

fn store_err(e: CommitError) -> StoreError {
    e.into_store()
}

impl PgStore {
    /// One sync step for a subscription read as `bytes`: applied only if it is still so.
    async fn sync_one(
        &self,
        bytes: &[u8],
        sub: &Subscription,
        set: Option<Option<Subscription>>,
        p: &Plan,
    ) -> Result<(), CommitError> {
        let mut tx = self.pool.begin().await?;
        match sub_now(&mut tx, sub.user, &sub.call, true).await? {
            Some((now, _)) if now == bytes => {}
            _ => return Ok(()),
        }
        p.apply(&mut tx, self.names()).await?;
        match set {
            Some(Some(s)) => set_sub(&mut tx, &s).await?,
            Some(None) => delete_sub(&mut tx, sub.user, &sub.call).await?,
            None => {}
        }
        tx.commit().await?;
        Ok(())
    }

    async fn is_queued_or_done(&self, p: &Planned) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT (SELECT count(*) FROM reminders_done WHERE identity = $1) \
             + (SELECT count(*) FROM reminder_queue WHERE qkey = $2)",
        )
        .bind(self.names().done_key(p))
        .bind(p.queue_key())
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }
}

#[async_trait]
impl FollowStore for PgStore {
    async fn subscribe(&self, sub: &Subscription, offsets: &[Offset]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        subscribe(&mut tx, self.names(), sub, offsets)
            .await
            .map_err(store_err)?;
        tx.commit().await?;
        Ok(())
    }

    async fn unsubscribe(
        &self,
        user: UserId,
        call: &CallId,
        offsets: &[Offset],
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let n = unsubscribe(&mut tx, self.names(), user, Some(call), offsets)
            .await
            .map_err(store_err)?;
        tx.commit().await?;
        Ok(n > 0)
    }

    async fn unsubscribe_all(&self, user: UserId, offsets: &[Offset]) -> Result<usize, StoreError> {
        let mut tx = self.pool.begin().await?;
        let n = unsubscribe(&mut tx, self.names(), user, None, offsets)
            .await
            .map_err(store_err)?;
        tx.commit().await?;
        Ok(n)
    }

    async fn subscription(
        &self,
        user: UserId,
        call: &CallId,
    ) -> Result<Option<Subscription>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        Ok(sub_now(&mut conn, user, call, false)
            .await
            .map_err(store_err)?
            .map(|(_, s)| s))
    }

    async fn subscriptions_of(&self, user: UserId) -> Result<Vec<Subscription>, StoreError> {
        let rows: Vec<Vec<u8>> = sqlx::query_scalar(
            "SELECT body FROM subscriptions WHERE user_id = $1 ORDER BY call COLLATE \"C\"",
        )
        .bind(user.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .filter_map(|v| serde_json::from_slice(v).ok())
            .collect())
    }

    async fn subscription_count(&self) -> Result<usize, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM subscriptions")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as usize)
    }

    async fn sync_reminders(
        &self,
        deadline_of: DeadlineOf<'_>,
        offsets: &[Offset],
        now: Timestamp,
    ) -> Result<SyncReport, StoreError> {
        let mut report = SyncReport::default();
        let rows: Vec<Vec<u8>> = sqlx::query_scalar(
            "SELECT body FROM subscriptions ORDER BY user_id, call COLLATE \"C\"",
        )
        .fetch_all(&self.pool)
        .await?;
        for bytes in rows {
            let Ok(sub) = serde_json::from_slice::<Subscription>(&bytes) else {
                continue;
            };
            report.subscriptions += 1;
            let (current, gone) = deadline_of(&sub.call);
            let names = self.names();
            let mut p = Plan::default();
            let set = match change(&sub, current, gone, now) {
                None => {
                    for item in plan(&sub, offsets) {
                        if !self.is_queued_or_done(&item).await? {
                            report.queued += 1;
                            p.add.push(item);
                        }
                    }
                    if p.add.is_empty() {
                        continue;
                    }
                    None
                }
                Some(Change::Moved { to }) => {
                    report.moved += 1;
                    p.drop_all(names, &sub, offsets);
                    let moved = Subscription {
                        deadline: to,
                        planned_from: now,
                        ..sub.clone()
                    };
                    p.add.push(Planned {
                        user: sub.user,
                        call: sub.call.clone(),
                        deadline: to,
                        kind: Kind::Moved { from: sub.deadline },
                        due: now,
                    });
                    p.add.extend(plan(&moved, offsets));
                    Some(Some(moved))
                }
                Some(Change::Ended(why)) => {
                    report.ended += 1;
                    p.drop_all(names, &sub, offsets);
                    p.add.push(Planned {
                        user: sub.user,
                        call: sub.call.clone(),
                        deadline: sub.deadline,
                        kind: Kind::Ended {
                            from: sub.deadline,
                            why,
                        },
                        due: now,
                    });
                    Some(None)
                }
                Some(Change::Finished) => {
                    report.finished += 1;
                    p.drop_all(names, &sub, offsets);
                    Some(None)
                }
            };
            self.sync_one(&bytes, &sub, set, &p)
                .await
                .map_err(store_err)?;
        }
        Ok(report)
    }

    async fn next_reminder_due(&self) -> Result<Option<Timestamp>, StoreError> {
        let due: Option<i64> = sqlx::query_scalar("SELECT min(due) FROM reminder_queue")
            .fetch_one(&self.pool)
            .await?;
        Ok(due.and_then(|s| Timestamp::from_second(s).ok()))
    }

    async fn due_reminders(
        &self,
        now: Timestamp,
        limit: usize,
        busy: &HashSet<ReminderKey>,
    ) -> Result<Vec<DueReminder>, StoreError> {
        let rows: Vec<(Vec<u8>, Vec<u8>)> = sqlx::query_as(
            "SELECT qkey, body FROM reminder_queue \
             WHERE due <= $1 AND (lease_until IS NULL OR lease_until <= $2) \
             ORDER BY qkey LIMIT $3",
        )
        .bind(now.as_second().max(0))
        .bind(now.as_millisecond())
        .bind((limit + busy.len()) as i64)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for (k, v) in rows {
            if out.len() >= limit {
                break;
            }
            let key = ReminderKey(k);
            if busy.contains(&key) {
                continue;
            }
            match serde_json::from_slice::<Queued>(&v) {
                Ok(queued) => out.push(DueReminder {
                    key,
                    queued,
                    seen: v,
                }),
                Err(_) => {
                    tracing::warn!("dropping an unreadable queued reminder");
                    sqlx::query("DELETE FROM reminder_queue WHERE qkey = $1 AND body = $2")
                        .bind(&key.0)
                        .bind(&v)
                        .execute(&self.pool)
                        .await?;
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
        let until = lease_until.as_millisecond();
        let claimed = serde_json::to_vec(&Queued {
            in_flight: true,
            lease_until: Some(until),
            ..due.queued.clone()
        })?;
        // A row another dispatcher is claiming right now is skipped, not waited for;
        // one that changed since it was listed no longer matches.
        let r = sqlx::query(
            "UPDATE reminder_queue SET body = $3, lease_until = $4 WHERE qkey = \
             (SELECT qkey FROM reminder_queue WHERE qkey = $1 AND body = $2 \
              FOR UPDATE SKIP LOCKED)",
        )
        .bind(&due.key.0)
        .bind(&due.seen)
        .bind(claimed)
        .bind(until)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn complete_reminder(
        &self,
        key: &ReminderKey,
        item: &Planned,
        how: DoneHow,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let done = serde_json::to_vec(&Done { at: now, how })?;
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM reminder_queue WHERE qkey = $1")
            .bind(&key.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO reminders_done (identity, who, body) VALUES ($1, $2, $3) \
             ON CONFLICT (identity) DO UPDATE SET body = EXCLUDED.body",
        )
        .bind(self.names().done_key(item))
        .bind(self.names().who(item.user))
        .bind(done)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn release_reminder(
        &self,
        key: &ReminderKey,
        q: &Queued,
        due: Timestamp,
    ) -> Result<(), StoreError> {
        let mut again = q.clone();
        again.item.due = due;
        again.attempts += 1;
        again.in_flight = false;
        again.lease_until = None;
        let mut tx = self.pool.begin().await?;
        let gone = sqlx::query("DELETE FROM reminder_queue WHERE qkey = $1")
            .bind(&key.0)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 0;
        // Gone meanwhile (its user erased, its subscription ended): not put back.
        if gone {
            return Ok(());
        }
        insert_queued(&mut tx, self.names(), &again, true)
            .await
            .map_err(store_err)?;
        tx.commit().await?;
        Ok(())
    }

    /// Never releases claims: other instances may hold them; leases end by themselves.
    async fn recover_reminders(&self) -> Result<usize, StoreError> {
        Ok(0)
    }

    async fn queued_reminders(&self) -> Result<Vec<Queued>, StoreError> {
        let rows: Vec<Vec<u8>> =
            sqlx::query_scalar("SELECT body FROM reminder_queue ORDER BY qkey")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .iter()
            .filter_map(|v| serde_json::from_slice(v).ok())
            .collect())
    }

    async fn reminder_done(&self, item: &Planned) -> Result<Option<Done>, StoreError> {
        let v: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT body FROM reminders_done WHERE identity = $1")
                .bind(self.names().done_key(item))
                .fetch_optional(&self.pool)
                .await?;
        Ok(v.and_then(|v| serde_json::from_slice(&v).ok()))
    }
}
