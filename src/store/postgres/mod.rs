//! The shared backend: every kind of data in one PostgreSQL database, for several
//! instances at once. The only code in the crate that names sqlx.
//!
//! The schema lives in `migrations/postgres/` and is embedded in the binary; opening the
//! store applies what is missing, in order, each migration in its own transaction, under
//! an advisory lock (instances starting together migrate once). The data maps to tables
//! this way (see each module):
//! - sessions: one row per user with a `revision` column; a save is
//!   `UPDATE … WHERE revision = $read` (or an insert that finds no row), so of two saves
//!   of one revision exactly one wins (`sessions`);
//! - the reminder queue: a claim takes the row with `FOR UPDATE SKIP LOCKED` and only if
//!   it is still as listed, so any number of dispatchers never double a reminder
//!   (`follows`);
//! - ticket numbers: the sequence `ticket_numbers` (`tickets`); FAQ draft ids the
//!   sequence `draft_ids`, a draft swapped against the row as read (`drafts`);
//! - followed calls: a row per user and call, a refollow compared with the row as read
//!   (`watches`);
//! - erasure and every [`crate::store::Commit`]: one transaction (`commit`);
//! - updates fetched and not yet handled: a row each until handled (`inbox`).
//!
//! Several instances coordinate through the database too (`instances`): a user's turn
//! is an advisory lock, the webhook is set by one instance, reloads are announced with
//! `NOTIFY`.
//!
//! Claims of other processes are never released at start (other instances may be
//! alive): they end with their lease. The connection URL comes from the caller (the
//! binary reads `SPORTELLO_DATABASE_URL`) and is never logged.

mod commit;
mod drafts;
mod dump;
mod follows;
mod inbox;
mod instances;
mod outbox;
mod profiles;
mod questions;
mod sessions;
mod tickets;
mod watches;

use std::str::FromStr;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::schedule::Planned;
use crate::store::shred::Pseudonym;
use crate::store::{CommitError, StoreError, UserId};

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Backend(e.to_string())
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Backend(format!("migration: {e}"))
    }
}

impl From<sqlx::Error> for CommitError {
    /// A transaction PostgreSQL gave up because of a concurrent one (serialization
    /// failure, deadlock) is a conflict: read again and retry.
    fn from(e: sqlx::Error) -> Self {
        let code = e
            .as_database_error()
            .and_then(|d| d.code())
            .map(|c| c.into_owned());
        match code.as_deref() {
            Some("40001" | "40P01") => CommitError::Conflict,
            _ => CommitError::Store(e.into()),
        }
    }
}

/// Users whose updates one instance handles at once (each holds a connection).
const TURN_CONNECTIONS: u32 = 16;

/// A tag unique enough to tell instances apart.
fn rand_u64() -> u64 {
    use chacha20poly1305::aead::OsRng;
    use chacha20poly1305::aead::rand_core::RngCore;
    OsRng.next_u64()
}

/// The database's secret (made by the first instance to start; the others read it).
async fn store_secret(pool: &PgPool) -> Result<[u8; 32], StoreError> {
    let fresh = crate::store::shred::DataKey::random().0;
    sqlx::query("INSERT INTO store_secret (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
        .bind(fresh.to_vec())
        .execute(pool)
        .await?;
    let v: Vec<u8> = sqlx::query_scalar("SELECT secret FROM store_secret WHERE id = 1")
        .fetch_one(pool)
        .await?;
    v.try_into()
        .map_err(|_| StoreError::Backend("store_secret: not 32 bytes".into()))
}

/// The embedded migrations (`migrations/postgres/`).
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The database, through a pool of connections shared by every task.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    /// Connections that hold users' turns ([`instances`]), apart from `pool` so that
    /// updates waiting for a turn never take the connections the others query with.
    turns: PgPool,
    /// Where reloads are announced: one channel per schema.
    channel: String,
    /// This process's tag on its announcements (it does not hear its own).
    instance: u64,
    /// The database's secret (table `store_secret`): users are named by pseudonyms made
    /// with it where a snapshot names them so ([`Names`]). Replaced only by an import.
    secret: Arc<RwLock<[u8; 32]>>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the URL: it may hold a password.
        f.write_str("PgStore")
    }
}

impl PgStore {
    /// Connects to `url` (a `postgres://` URL) and brings the schema up to date.
    pub async fn connect(url: &str) -> Result<PgStore, StoreError> {
        PgStore::connect_in(url, None, 8).await
    }

    /// Like [`PgStore::connect`], with every table in `schema` (created if missing):
    /// several independent stores in one database, e.g. one per test.
    pub async fn connect_in(
        url: &str,
        schema: Option<&str>,
        connections: u32,
    ) -> Result<PgStore, StoreError> {
        let mut opts = PgConnectOptions::from_str(url)
            .map_err(|_| StoreError::Backend("invalid PostgreSQL URL".into()))?;
        if let Some(s) = schema {
            if !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(StoreError::Backend("invalid schema name".into()));
            }
            let pool = PgPoolOptions::new()
                .max_connections(1)
                .connect_with(opts.clone())
                .await?;
            sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {s}"))
                .execute(&pool)
                .await?;
            pool.close().await;
            opts = opts.options([("search_path", s)]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(connections.max(2))
            .acquire_timeout(std::time::Duration::from_secs(10))
            .connect_with(opts.clone())
            .await?;
        MIGRATOR.run(&pool).await?;
        // A turn waits as long as another instance handles the user's update: no
        // acquire timeout shorter than that.
        let turns = PgPoolOptions::new()
            .max_connections(TURN_CONNECTIONS)
            .min_connections(0)
            .acquire_timeout(std::time::Duration::from_secs(60))
            .connect_lazy_with(opts);
        let schema: String = sqlx::query_scalar("SELECT current_schema()")
            .fetch_one(&pool)
            .await?;
        let mut channel = format!("sportello_reload:{schema}");
        channel.truncate(63);
        let secret = store_secret(&pool).await?;
        Ok(PgStore {
            pool,
            turns,
            channel,
            instance: rand_u64(),
            secret: Arc::new(RwLock::new(secret)),
        })
    }

    /// Reads the database's secret again (another process imported a snapshot).
    pub(super) async fn refresh_secret(&self) -> Result<(), StoreError> {
        let secret = store_secret(&self.pool).await?;
        *self.secret.write().unwrap_or_else(|e| e.into_inner()) = secret;
        Ok(())
    }

    /// How users are named under the database's secret now.
    pub(super) fn names(&self) -> Names {
        Names(*self.secret.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// The schema version applied (the newest migration's number).
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let v: Option<i64> =
            sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await?;
        Ok(v.unwrap_or(0))
    }

    /// Moves the ticket sequence so that the next number is above `n` (after a migration
    /// that brought numbered tickets).
    pub async fn ticket_numbers_above(&self, n: u64) -> Result<(), StoreError> {
        sqlx::query(
            "SELECT setval('ticket_numbers', greatest($1, \
             (SELECT last_value FROM ticket_numbers)), true)",
        )
        .bind(n.max(1) as i64)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// How the schema names users where a snapshot does (migration 0006): sessions, the
/// askers in the question log, sent reminders and the owner of an outbox message are
/// keyed by the user's [`Pseudonym`] under the database's secret, never by the id, so a
/// snapshot of any backend imports as it is. Erasing a user deletes the rows under
/// their pseudonym, in the same transaction as the rest.
#[derive(Clone, Copy)]
pub(super) struct Names(pub(super) [u8; 32]);

impl Names {
    pub(super) fn who(&self, user: UserId) -> Vec<u8> {
        Pseudonym::of(&self.0, user).0.to_vec()
    }

    /// The key of a sent reminder: the pseudonym, then its identity without the user
    /// id it starts with (as the embedded store keys it, and as a snapshot carries it).
    pub(super) fn done_key(&self, p: &Planned) -> Vec<u8> {
        let mut k = self.who(p.user);
        k.extend_from_slice(p.identity().get(USER_KEY..).unwrap_or_default());
        k
    }
}

/// Bytes of the user id at the head of a reminder's identity.
pub(super) const USER_KEY: usize = 8;

pub(super) fn secs(t: Timestamp) -> i64 {
    t.as_second()
}

pub(super) fn from_secs(s: i64) -> Timestamp {
    Timestamp::from_second(s).unwrap_or(Timestamp::UNIX_EPOCH)
}

#[async_trait]
impl crate::store::UpdateLog for PgStore {
    async fn is_applied(&self, id: u32) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM applied_updates WHERE id = $1")
            .bind(i64::from(id))
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    async fn forget_updates(&self, cutoff: Timestamp) -> Result<usize, StoreError> {
        let r = sqlx::query("DELETE FROM applied_updates WHERE at < $1")
            .bind(secs(cutoff))
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() as usize)
    }
}

#[async_trait]
impl crate::store::Erasure for PgStore {
    async fn erase_user(&self, user: UserId) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let names = self.names();
        commit::erase(&mut tx, names, user)
            .await
            .map_err(CommitError::into_store)?;
        sqlx::query("DELETE FROM sessions WHERE who = $1")
            .bind(names.who(user))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
