//! The outbox in table `outbox` and its claim protocol (see [`crate::store::outbox`]).
//!
//! Rows are read in (class, seq) order: replies before background messages, and each
//! chat's entries in the order they were stored. Every change of a row bumps its `ver`;
//! a claimed or waiting entry remembers (class ‖ seq, ver), and later changes apply only
//! while `ver` is unchanged, so two instances never both own an entry. Claims of other
//! processes are never released at start: their leases end by themselves.
//!
//! `owner` is the pseudonym ([`Names`]) of the user an entry is about, as the embedded
//! store seals it: the private chat it goes to, or the user of the ticket a staff post is
//! about (none for other group posts, and none for the confirmation of an erasure, which
//! outlives its user). Erasing a user drops the entries to their chat and those they own.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::PgConnection;

use super::{Names, PgStore};
use crate::outgoing::{Class, Entry, ReplyTo, Then, What};
use crate::store::commit::CommitError;
use crate::store::outbox::{Claimed, OutboxStore, Owner, Round, Skip, Waiting, Watch};
use crate::store::{StoreError, UserId};

fn from_ms(m: i64) -> Timestamp {
    Timestamp::from_millisecond(m).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn class_of(b: i16) -> Class {
    if b == 0 {
        Class::Reply
    } else {
        Class::Background
    }
}

fn key(class: Class, seq: i64) -> Vec<u8> {
    let mut k = vec![class.byte()];
    k.extend(seq.to_be_bytes());
    k
}

/// (class, seq) of a key made by [`key`].
fn seq_of(k: &[u8]) -> (i16, i64) {
    let class = i16::from(k.first().copied().unwrap_or(0));
    let seq = k
        .get(1..9)
        .and_then(|b| b.try_into().ok())
        .map(i64::from_be_bytes)
        .unwrap_or(-1);
    (class, seq)
}

fn ver_of(raw: &[u8]) -> i64 {
    raw.try_into().map(i64::from_be_bytes).unwrap_or(-1)
}

/// The user `entry` is about (see the module documentation).
async fn subject(conn: &mut PgConnection, entry: &Entry) -> Result<Option<UserId>, CommitError> {
    if entry.chat > 0 {
        return Ok(Some(UserId(entry.chat)));
    }
    if let Some(Then::TicketPosted { user, .. }) = &entry.then {
        return Ok(Some(UserId(*user)));
    }
    if let What::Message {
        reply_to: Some(ReplyTo::Ticket(n)),
        ..
    } = &entry.what
    {
        let user: Option<Option<i64>> =
            sqlx::query_scalar("SELECT user_id FROM tickets WHERE number = $1")
                .bind(*n as i64)
                .fetch_optional(&mut *conn)
                .await?;
        return Ok(user.flatten().map(UserId));
    }
    Ok(None)
}

/// Stores new entries, inside a commit's transaction (`erased`: users erased by it).
pub(super) async fn send(
    conn: &mut PgConnection,
    names: Names,
    entries: &[Entry],
    erased: &[UserId],
    now: Timestamp,
) -> Result<(), CommitError> {
    for e in entries {
        let owner = subject(conn, e).await?.filter(|u| !erased.contains(u));
        sqlx::query(
            "INSERT INTO outbox (class, chat, at_ms, entry, owner) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(i16::from(e.class.byte()))
        .bind(e.chat)
        .bind(now.as_millisecond())
        .bind(serde_json::to_vec(e)?)
        .bind(owner.map(|u| names.who(u)))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Removes a claimed entry if it is still as claimed.
pub(super) async fn consume(conn: &mut PgConnection, c: &Claimed) -> Result<(), CommitError> {
    sqlx::query("DELETE FROM outbox WHERE seq = $1 AND ver = $2")
        .bind(seq_of(&c.key).1)
        .bind(ver_of(&c.raw))
        .execute(conn)
        .await?;
    Ok(())
}

/// Records that `w`'s user was told of its delay; a conflict if it changed.
pub(super) async fn notified(conn: &mut PgConnection, w: &Waiting) -> Result<(), CommitError> {
    let r =
        sqlx::query("UPDATE outbox SET notified = TRUE, ver = ver + 1 WHERE seq = $1 AND ver = $2")
            .bind(seq_of(&w.key).1)
            .bind(ver_of(&w.raw))
            .execute(conn)
            .await?;
    if r.rows_affected() == 0 {
        return Err(CommitError::Conflict);
    }
    Ok(())
}

/// Drops every message still waiting to go to `user` or about them, inside a
/// transaction.
pub(super) async fn erase(
    conn: &mut PgConnection,
    names: Names,
    user: UserId,
) -> Result<(), CommitError> {
    sqlx::query("DELETE FROM outbox WHERE chat = $1 OR owner = $2")
        .bind(user.0)
        .bind(names.who(user))
        .execute(conn)
        .await?;
    Ok(())
}

type Head = (i64, i16, i64, i64, Option<i64>, Option<i64>);

#[async_trait]
impl OutboxStore for PgStore {
    /// Never releases claims: other instances may be alive; leases end by themselves.
    async fn outbox_recover(&self, _owner: Owner) -> Result<usize, StoreError> {
        Ok(0)
    }

    async fn outbox_claim(
        &self,
        owner: Owner,
        now: Timestamp,
        lease: Duration,
        limit: usize,
        skip: Skip<'_>,
    ) -> Result<Round, StoreError> {
        let now_ms = now.as_millisecond();
        let heads: Vec<Head> = sqlx::query_as(
            "SELECT seq, class, chat, not_before, claim_owner, claim_until FROM outbox \
             ORDER BY class, seq",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut seen: HashMap<i64, Option<usize>> = HashMap::new();
        let mut round = Round::default();
        for (seq, class, chat, not_before, claim_owner, claim_until) in heads {
            if round.claimed.len() >= limit {
                round.partial = true;
                break;
            }
            round.len += 1;
            if let Some(head) = seen.get(&chat) {
                if let Some(i) = head {
                    round.claimed[*i].behind += 1;
                }
                continue;
            }
            seen.insert(chat, None);
            if claim_owner.is_some() && claim_until.unwrap_or(0) > now_ms {
                continue;
            }
            if not_before > now_ms {
                let due = from_ms(not_before);
                round.next_due = Some(round.next_due.map_or(due, |d| d.min(due)));
                continue;
            }
            let class = class_of(class);
            if skip(chat, class) {
                continue;
            }
            let until = now_ms + lease.as_millis() as i64;
            let row: Option<(i64, i32, bool, i64, Vec<u8>)> = sqlx::query_as(
                "UPDATE outbox SET claim_owner = $2, claim_until = $3, ver = ver + 1 \
                 WHERE seq = $1 AND not_before <= $4 AND (claim_owner IS NULL OR claim_until <= $4) \
                 RETURNING ver, attempts, notified, at_ms, entry",
            )
            .bind(seq)
            .bind(owner.0 as i64)
            .bind(until)
            .bind(now_ms)
            .fetch_optional(&self.pool)
            .await?;
            let Some((ver, attempts, notified, at, entry)) = row else {
                continue;
            };
            let Ok(entry) = serde_json::from_slice::<Entry>(&entry) else {
                tracing::warn!("dropping an unreadable outbox entry");
                sqlx::query("DELETE FROM outbox WHERE seq = $1 AND ver = $2")
                    .bind(seq)
                    .bind(ver)
                    .execute(&self.pool)
                    .await?;
                continue;
            };
            seen.insert(chat, Some(round.claimed.len()));
            round.claimed.push(Claimed {
                key: key(class, seq),
                raw: ver.to_be_bytes().to_vec(),
                entry,
                attempts: attempts as u32,
                notified,
                stored_at: from_ms(at),
                behind: 0,
            });
        }
        Ok(round)
    }

    async fn outbox_retry(
        &self,
        c: &Claimed,
        at: Timestamp,
        failed: bool,
        notified: bool,
    ) -> Result<(), StoreError> {
        let r = sqlx::query(
            "UPDATE outbox SET claim_owner = NULL, claim_until = NULL, not_before = $3, \
             attempts = attempts + $4, notified = notified OR $5, ver = ver + 1 \
             WHERE seq = $1 AND ver = $2",
        )
        .bind(seq_of(&c.key).1)
        .bind(ver_of(&c.raw))
        .bind(at.as_millisecond())
        .bind(i32::from(failed))
        .bind(notified)
        .execute(&self.pool)
        .await?;
        if r.rows_affected() == 0 {
            tracing::warn!("an outbox entry changed while it was being sent");
        }
        Ok(())
    }

    async fn outbox_drop(&self, c: &Claimed) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        consume(&mut conn, c).await.map_err(CommitError::into_store)
    }

    async fn outbox_followers(
        &self,
        c: &Claimed,
        limit: usize,
    ) -> Result<Vec<Waiting>, StoreError> {
        let (class, seq) = seq_of(&c.key);
        let rows: Vec<(i64, i16, bool, i64, Vec<u8>)> = sqlx::query_as(
            "SELECT seq, class, claim_owner IS NOT NULL, ver, entry FROM outbox \
             WHERE chat = $1 AND (class, seq) > ($2, $3) ORDER BY class, seq",
        )
        .bind(c.entry.chat)
        .bind(class)
        .bind(seq)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for (seq, class, claimed, ver, entry) in rows {
            if claimed || out.len() >= limit {
                break;
            }
            let Ok(entry) = serde_json::from_slice(&entry) else {
                continue;
            };
            out.push(Waiting {
                key: key(class_of(class), seq),
                raw: ver.to_be_bytes().to_vec(),
                entry,
            });
        }
        Ok(out)
    }

    async fn outbox_merge(
        &self,
        c: &Claimed,
        replaced: &[&Waiting],
        merged: Entry,
    ) -> Result<Option<Claimed>, StoreError> {
        let mut tx = self.pool.begin().await?;
        for w in replaced {
            let r = sqlx::query("DELETE FROM outbox WHERE seq = $1 AND ver = $2")
                .bind(seq_of(&w.key).1)
                .bind(ver_of(&w.raw))
                .execute(&mut *tx)
                .await?;
            if r.rows_affected() == 0 {
                return Ok(None);
            }
        }
        let ver: Option<i64> = sqlx::query_scalar(
            "UPDATE outbox SET entry = $3, ver = ver + 1 WHERE seq = $1 AND ver = $2 RETURNING ver",
        )
        .bind(seq_of(&c.key).1)
        .bind(ver_of(&c.raw))
        .bind(serde_json::to_vec(&merged)?)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(ver) = ver else {
            return Ok(None);
        };
        tx.commit().await?;
        Ok(Some(Claimed {
            raw: ver.to_be_bytes().to_vec(),
            entry: merged,
            behind: c.behind.saturating_sub(replaced.len()),
            ..c.clone()
        }))
    }

    async fn outbox_late(
        &self,
        before: Timestamp,
        chats: Option<&HashSet<i64>>,
        watch: Watch<'_>,
        limit: usize,
    ) -> Result<Vec<Waiting>, StoreError> {
        let chats: Option<Vec<i64>> = chats.map(|cs| cs.iter().copied().collect());
        // `ahead`: the chat's unclaimed entries before this one, in delivery order.
        let rows: Vec<(i64, i16, i64, Vec<u8>, i64)> = sqlx::query_as(
            "SELECT seq, class, ver, entry, ahead FROM ( \
               SELECT seq, class, ver, entry, notified, at_ms, \
                 row_number() OVER (PARTITION BY chat ORDER BY class, seq) - 1 AS ahead \
               FROM outbox WHERE claim_owner IS NULL \
               AND ($2::bigint[] IS NULL OR chat = ANY($2))) q \
             WHERE NOT notified AND at_ms < $1 ORDER BY class, seq",
        )
        .bind(before.as_millisecond())
        .bind(chats)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for (seq, class, ver, entry, ahead) in rows {
            let ahead = usize::try_from(ahead).unwrap_or(0);
            if let Some(entry) = serde_json::from_slice(&entry)
                .ok()
                .filter(|e| watch(e, ahead))
            {
                out.push(Waiting {
                    key: key(class_of(class), seq),
                    raw: ver.to_be_bytes().to_vec(),
                    entry,
                });
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    async fn outbox_len(&self) -> Result<usize, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as usize)
    }

    async fn outbox_entries(&self) -> Result<Vec<Entry>, StoreError> {
        let rows: Vec<Vec<u8>> = sqlx::query_scalar("SELECT entry FROM outbox ORDER BY class, seq")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .filter_map(|v| serde_json::from_slice(v).ok())
            .collect())
    }
}
