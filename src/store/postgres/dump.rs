//! A snapshot of the PostgreSQL store ([`Dump`]): every table read in one
//! repeatable-read transaction (one point in time across every kind), users named by
//! their pseudonym under the database's own secret (table `store_secret`), as the rows
//! store them ([`super::Names`]).
//!
//! An import is one transaction: it locks every table against writers, refuses a
//! database that holds data unless forced (then empties it), adopts the snapshot's
//! secret (so every pseudonym in it still finds its user), writes every record with the
//! columns derived from it, and moves the sequences above the highest number imported.
//! Instances still connected hear of it on the reload channel and read the secret again
//! ([`super::instances`]); stopping them first is still the rule (README).
//! A failure leaves the database as it was (the sequences aside: PostgreSQL never rolls
//! them back, and a number skipped is harmless).

use async_trait::async_trait;
use sqlx::{PgConnection, Row};

use super::{PgStore, from_secs, secs};
use crate::store::StoreError;
use crate::store::dump::{Dump, Exported, OutboxRecord, Record, Sequence, Sink};
use crate::store::follows::{Done, Queued};
use crate::store::shred::{PSEUDONYM, Pseudonym};
use crate::store::{AskedQuestion, Ticket, Watch};

/// Every table, for [`Dump::is_empty`].
const TABLES: [&str; 12] = [
    "sessions",
    "questions",
    "subscriptions",
    "reminder_queue",
    "reminders_done",
    "tickets",
    "ticket_messages",
    "outbox",
    "applied_updates",
    "watches",
    "profiles",
    "faq_drafts",
];

fn json<T: serde::de::DeserializeOwned>(v: &[u8], unreadable: &mut u64) -> Option<T> {
    let r = serde_json::from_slice(v).ok();
    if r.is_none() {
        *unreadable += 1;
    }
    r
}

#[async_trait]
impl Dump for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn export(&self, sink: Sink<'_>) -> Result<Exported, StoreError> {
        let mut unreadable = 0;
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut *tx)
            .await?;
        // Read in the transaction: an import that adopted another one is seen whole.
        let secret: Vec<u8> = sqlx::query_scalar("SELECT secret FROM store_secret WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?;
        let secret: [u8; 32] = secret
            .try_into()
            .map_err(|_| StoreError::Backend("store_secret: not 32 bytes".into()))?;
        let pseudonym = |v: Vec<u8>, unreadable: &mut u64| {
            let p = Pseudonym::from_slice(&v).filter(|_| v.len() == PSEUDONYM);
            if p.is_none() {
                *unreadable += 1;
            }
            p
        };
        for r in sqlx::query("SELECT who, revision, touched, bytes FROM sessions")
            .fetch_all(&mut *tx)
            .await?
        {
            let Some(who) = pseudonym(r.get("who"), &mut unreadable) else {
                continue;
            };
            sink(Record::Session {
                who,
                revision: r.get::<i64, _>("revision") as u64,
                touched: from_secs(r.get("touched")),
                bytes: r.get("bytes"),
            })?;
        }
        for v in sqlx::query_scalar::<_, Vec<u8>>("SELECT body FROM subscriptions")
            .fetch_all(&mut *tx)
            .await?
        {
            if let Some(sub) = json(&v, &mut unreadable) {
                sink(Record::Subscription { sub })?;
            }
        }
        for r in sqlx::query("SELECT due, body FROM reminder_queue ORDER BY qkey")
            .fetch_all(&mut *tx)
            .await?
        {
            if let Some(mut queued) = json::<Queued>(r.get::<&[u8], _>("body"), &mut unreadable) {
                // Claims are not kept: a restored queue is free.
                queued.in_flight = false;
                queued.lease_until = None;
                sink(Record::Queued {
                    due: from_secs(r.get("due")),
                    queued,
                })?;
            }
        }
        for r in sqlx::query("SELECT identity, who, body FROM reminders_done")
            .fetch_all(&mut *tx)
            .await?
        {
            let identity: Vec<u8> = r.get("identity");
            if let (Some(done), Some(rest), Some(who)) = (
                json::<Done>(r.get::<&[u8], _>("body"), &mut unreadable),
                identity.get(PSEUDONYM..),
                pseudonym(r.get("who"), &mut unreadable),
            ) {
                sink(Record::ReminderDone {
                    who,
                    identity: rest.to_vec(),
                    done,
                })?;
            }
        }
        for v in sqlx::query_scalar::<_, Vec<u8>>("SELECT body FROM tickets ORDER BY number")
            .fetch_all(&mut *tx)
            .await?
        {
            if let Some(ticket) = json::<Ticket>(&v, &mut unreadable) {
                sink(Record::Ticket { ticket })?;
            }
        }
        for r in sqlx::query("SELECT chat, message, number FROM ticket_messages")
            .fetch_all(&mut *tx)
            .await?
        {
            sink(Record::TicketMessage {
                chat: r.get("chat"),
                message: r.get("message"),
                number: r.get::<i64, _>("number") as u64,
            })?;
        }
        for r in sqlx::query("SELECT asker, entry FROM questions ORDER BY at, id")
            .fetch_all(&mut *tx)
            .await?
        {
            if let Some(question) =
                json::<AskedQuestion>(r.get::<&[u8], _>("entry"), &mut unreadable)
            {
                let asker = match r.get::<Option<Vec<u8>>, _>("asker") {
                    Some(v) => match pseudonym(v, &mut unreadable) {
                        Some(p) => Some(p),
                        None => continue,
                    },
                    None => None,
                };
                sink(Record::Question { asker, question })?;
            }
        }
        for r in sqlx::query(
            "SELECT owner, attempts, not_before, notified, at_ms, entry FROM outbox \
             ORDER BY class, seq",
        )
        .fetch_all(&mut *tx)
        .await?
        {
            let owner = match r.get::<Option<Vec<u8>>, _>("owner") {
                Some(v) => match pseudonym(v, &mut unreadable) {
                    Some(p) => Some(p),
                    None => continue,
                },
                None => None,
            };
            if let Some(entry) = json(r.get::<&[u8], _>("entry"), &mut unreadable) {
                let not_before: i64 = r.get("not_before");
                sink(Record::Outbox(OutboxRecord {
                    owner,
                    entry,
                    attempts: r.get::<i32, _>("attempts").max(0) as u32,
                    not_before: (not_before > 0)
                        .then(|| jiff::Timestamp::from_millisecond(not_before).ok())
                        .flatten(),
                    notified: r.get("notified"),
                    stored_at: jiff::Timestamp::from_millisecond(r.get("at_ms"))
                        .unwrap_or(jiff::Timestamp::UNIX_EPOCH),
                }))?;
            }
        }
        for r in sqlx::query("SELECT id, at FROM applied_updates ORDER BY id")
            .fetch_all(&mut *tx)
            .await?
        {
            sink(Record::Applied {
                id: r.get::<i64, _>("id") as u32,
                at: from_secs(r.get("at")),
            })?;
        }
        for v in sqlx::query_scalar::<_, Vec<u8>>("SELECT body FROM watches ORDER BY user_id, call")
            .fetch_all(&mut *tx)
            .await?
        {
            if let Some(watch) = json::<Watch>(&v, &mut unreadable) {
                sink(Record::Watch { watch })?;
            }
        }
        for v in sqlx::query_scalar::<_, Vec<u8>>("SELECT body FROM profiles ORDER BY user_id")
            .fetch_all(&mut *tx)
            .await?
        {
            if let Some(alert) = json(&v, &mut unreadable) {
                sink(Record::Profile { alert })?;
            }
        }
        for v in sqlx::query_scalar::<_, Vec<u8>>("SELECT body FROM faq_drafts ORDER BY id")
            .fetch_all(&mut *tx)
            .await?
        {
            if let Some(draft) = json(&v, &mut unreadable) {
                sink(Record::Draft { draft })?;
            }
        }
        for (name, seq) in [
            (Sequence::Tickets, "ticket_numbers"),
            (Sequence::Drafts, "draft_ids"),
        ] {
            let r = sqlx::query(&format!("SELECT last_value, is_called FROM {seq}"))
                .fetch_one(&mut *tx)
                .await?;
            if r.get::<bool, _>("is_called") {
                sink(Record::Sequence {
                    name,
                    last: r.get::<i64, _>("last_value") as u64,
                })?;
            }
        }
        tx.commit().await?;
        Ok(Exported { secret, unreadable })
    }

    async fn import(
        &self,
        secret: &[u8; 32],
        records: Vec<Record>,
        force: bool,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        // Writers (an instance left running) wait for the import; readers do not.
        sqlx::query(&format!(
            "LOCK TABLE {}, store_secret IN SHARE ROW EXCLUSIVE MODE",
            TABLES.join(", ")
        ))
        .execute(&mut *tx)
        .await?;
        if !is_empty_in(&mut tx).await? {
            if !force {
                return Err(StoreError::NotEmpty);
            }
            sqlx::query(&format!("TRUNCATE {}", TABLES.join(", ")))
                .execute(&mut *tx)
                .await?;
            for seq in ["ticket_numbers", "draft_ids"] {
                sqlx::query(&format!("ALTER SEQUENCE {seq} RESTART"))
                    .execute(&mut *tx)
                    .await?;
            }
        }
        sqlx::query(
            "INSERT INTO store_secret (id, secret) VALUES (1, $1) \
             ON CONFLICT (id) DO UPDATE SET secret = EXCLUDED.secret",
        )
        .bind(secret.to_vec())
        .execute(&mut *tx)
        .await?;
        let mut last = [0u64; 2];
        for r in records {
            match &r {
                Record::Sequence { name, last: n } => {
                    let i = match name {
                        Sequence::Tickets => 0,
                        Sequence::Drafts => 1,
                    };
                    last[i] = last[i].max(*n);
                }
                Record::Ticket { ticket } => last[0] = last[0].max(ticket.number),
                Record::Draft { draft } => last[1] = last[1].max(draft.id),
                _ => {}
            }
            import_one(&mut tx, r).await?;
        }
        for (seq, n) in ["ticket_numbers", "draft_ids"].into_iter().zip(last) {
            if n > 0 {
                sqlx::query("SELECT setval($1::regclass, $2, true)")
                    .bind(seq)
                    .bind(n as i64)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        // Delivered on commit: instances still connected read the secret again (they
        // hear it as a reload, which costs them a reload of the knowledge).
        sqlx::query("SELECT pg_notify($1, 'import')")
            .bind(&self.channel)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        *self.secret.write().unwrap_or_else(|e| e.into_inner()) = *secret;
        Ok(())
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        let mut conn = self.pool.acquire().await?;
        is_empty_in(&mut conn).await
    }
}

async fn is_empty_in(conn: &mut PgConnection) -> Result<bool, StoreError> {
    for t in TABLES {
        let any: bool = sqlx::query_scalar(&format!("SELECT EXISTS (SELECT 1 FROM {t})"))
            .fetch_one(&mut *conn)
            .await?;
        if any {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Writes one record and the columns derived from it (into an emptied database:
/// nothing is compared).
async fn import_one(conn: &mut PgConnection, r: Record) -> Result<(), StoreError> {
    match r {
        Record::Session {
            who,
            revision,
            touched,
            bytes,
        } => {
            sqlx::query(
                "INSERT INTO sessions (who, revision, touched, bytes) VALUES ($1, $2, $3, $4)",
            )
            .bind(who.0.to_vec())
            .bind(revision as i64)
            .bind(secs(touched))
            .bind(bytes)
            .execute(conn)
            .await?;
        }
        Record::Subscription { sub } => {
            sqlx::query("INSERT INTO subscriptions (user_id, call, body) VALUES ($1, $2, $3)")
                .bind(sub.user.0)
                .bind(&sub.call.0)
                .bind(serde_json::to_vec(&sub)?)
                .execute(conn)
                .await?;
        }
        Record::Queued { due, queued } => {
            let p = &queued.item;
            let mut qkey = (due.as_second().max(0) as u64).to_be_bytes().to_vec();
            qkey.extend(p.identity());
            sqlx::query(
                "INSERT INTO reminder_queue (qkey, identity, user_id, due, lease_until, body) \
                 VALUES ($1, $2, $3, $4, NULL, $5)",
            )
            .bind(qkey)
            .bind(p.identity())
            .bind(p.user.0)
            .bind(due.as_second().max(0))
            .bind(serde_json::to_vec(&queued)?)
            .execute(conn)
            .await?;
        }
        Record::ReminderDone {
            who,
            identity,
            done,
        } => {
            let mut key = who.0.to_vec();
            key.extend(identity);
            sqlx::query("INSERT INTO reminders_done (identity, who, body) VALUES ($1, $2, $3)")
                .bind(key)
                .bind(who.0.to_vec())
                .bind(serde_json::to_vec(&done)?)
                .execute(conn)
                .await?;
        }
        Record::Ticket { ticket } => {
            sqlx::query("INSERT INTO tickets (number, user_id, body) VALUES ($1, $2, $3)")
                .bind(ticket.number as i64)
                .bind(ticket.user.map(|u| u.0))
                .bind(serde_json::to_vec(&ticket)?)
                .execute(conn)
                .await?;
        }
        Record::TicketMessage {
            chat,
            message,
            number,
        } => {
            sqlx::query("INSERT INTO ticket_messages (chat, message, number) VALUES ($1, $2, $3)")
                .bind(chat)
                .bind(message)
                .bind(number as i64)
                .execute(conn)
                .await?;
        }
        Record::Question { asker, question } => {
            sqlx::query("INSERT INTO questions (at, asker, entry) VALUES ($1, $2, $3)")
                .bind(secs(question.at).max(0))
                .bind(asker.map(|a| a.0.to_vec()))
                .bind(serde_json::to_vec(&question)?)
                .execute(conn)
                .await?;
        }
        Record::Outbox(o) => {
            sqlx::query(
                "INSERT INTO outbox (class, chat, attempts, not_before, notified, at_ms, entry, \
                 owner) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(i16::from(o.entry.class.byte()))
            .bind(o.entry.chat)
            .bind(o.attempts.min(i32::MAX as u32) as i32)
            .bind(o.not_before.map_or(0, |t| t.as_millisecond()))
            .bind(o.notified)
            .bind(o.stored_at.as_millisecond())
            .bind(serde_json::to_vec(&o.entry)?)
            .bind(o.owner.map(|a| a.0.to_vec()))
            .execute(conn)
            .await?;
        }
        Record::Applied { id, at } => {
            sqlx::query("INSERT INTO applied_updates (id, at) VALUES ($1, $2)")
                .bind(i64::from(id))
                .bind(secs(at))
                .execute(conn)
                .await?;
        }
        Record::Watch { watch } => {
            sqlx::query("INSERT INTO watches (user_id, call, body) VALUES ($1, $2, $3)")
                .bind(watch.user.0)
                .bind(&watch.call.0)
                .bind(serde_json::to_vec(&watch)?)
                .execute(conn)
                .await?;
        }
        Record::Profile { alert } => {
            sqlx::query("INSERT INTO profiles (user_id, body) VALUES ($1, $2)")
                .bind(alert.user.0)
                .bind(serde_json::to_vec(&alert)?)
                .execute(conn)
                .await?;
        }
        Record::Draft { draft } => {
            sqlx::query("INSERT INTO faq_drafts (id, body) VALUES ($1, $2)")
                .bind(draft.id as i64)
                .bind(serde_json::to_vec(&draft)?)
                .execute(conn)
                .await?;
        }
        // Set once every record is in (see `import`).
        Record::Sequence { .. } => {}
    }
    Ok(())
}
