//! The inbox in PostgreSQL ([`crate::store::Inbox`]): table `inbox`, one row per update
//! fetched and not yet handled. Erasing a user deletes their rows (by pseudonym,
//! `owner`) in the erasure's transaction.
//!
//! **Durable off the handlers' way.** A batch is inserted with `synchronous_commit` off:
//! the insert returns without waiting for the WAL to reach the disk, so the updates go
//! to their handlers at once instead of one disk flush later (a synchronous insert added
//! about 1.6 ms to the median reply at 100 updates/s, BENCHMARKS.md). Before Telegram is
//! told it may forget them, [`Inbox::sync_received`] commits a transactional WAL message
//! (`pg_logical_emit_message`) synchronously: the WAL is written and flushed in order,
//! so its flush covers every insert before it. A row's removal, once handled, does not
//! wait for the disk either: lost in a crash of the database, the row is handed out
//! again at the next start and skipped as applied.
//!
//! Several instances share the table only in webhook mode, where each keeps what it was
//! posted; one that starts hands out every row left, including another's in progress: a
//! user's turn and the applied update ids make the second run a no-op.

use async_trait::async_trait;
use sqlx::PgConnection;

use super::{Names, PgStore};
use crate::store::inbox::{Inbox, Received};
use crate::store::{CommitError, StoreError, UserId};

/// Makes the transaction's commit return before its WAL is on disk (see the module
/// documentation).
const NO_WAIT: &str = "SET LOCAL synchronous_commit TO OFF";

/// Deletes every update of `user` still kept, inside a transaction.
pub(super) async fn erase(
    conn: &mut PgConnection,
    names: Names,
    user: UserId,
) -> Result<(), CommitError> {
    sqlx::query("DELETE FROM inbox WHERE owner = $1")
        .bind(names.who(user))
        .execute(conn)
        .await?;
    Ok(())
}

#[async_trait]
impl Inbox for PgStore {
    async fn receive(&self, batch: &[Received]) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let names = self.names();
        let ids: Vec<i64> = batch.iter().map(|r| i64::from(r.id)).collect();
        let owners: Vec<Option<Vec<u8>>> =
            batch.iter().map(|r| r.user.map(|u| names.who(u))).collect();
        let bodies: Vec<Vec<u8>> = batch.iter().map(|r| r.body.clone()).collect();
        let mut tx = self.pool.begin().await?;
        sqlx::query(NO_WAIT).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO inbox (update_id, owner, body) \
             SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[], $3::BYTEA[]) \
             ON CONFLICT (update_id) DO NOTHING",
        )
        .bind(ids)
        .bind(owners)
        .bind(bodies)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn sync_received(&self) -> Result<(), StoreError> {
        // Its own commit waits for the WAL's flush up to it, past every insert before.
        sqlx::query("SELECT pg_logical_emit_message(true, 'sportello.inbox', '')")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn handled(&self, id: u32) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(NO_WAIT).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM inbox WHERE update_id = $1")
            .bind(i64::from(id))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn unhandled(&self) -> Result<Vec<(u32, Vec<u8>)>, StoreError> {
        let rows: Vec<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT update_id, body FROM inbox ORDER BY update_id")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, body)| Some((u32::try_from(id).ok()?, body)))
            .collect())
    }
}
