//! The inbox in PostgreSQL ([`crate::store::Inbox`]): table `inbox`, one row per update
//! fetched and not yet handled. A row is durable once its insert returns, so
//! [`Inbox::sync_received`] has nothing left to do. Erasing a user deletes their rows
//! (by pseudonym, `owner`) in the erasure's transaction.
//!
//! Several instances share the table only in webhook mode, where each keeps what it was
//! posted; one that starts hands out every row left, including another's in progress: a
//! user's turn and the applied update ids make the second run a no-op. A row's
//! `received_at` lets the running instances take over the rows left unhandled, those of
//! an instance that died and is not started again or of a handling whose writes were
//! refused ([`Inbox::stranded`]): taking a row sets it to now, a lease, so that two
//! instances sweeping at once take it once.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::PgConnection;

use super::{Names, PgStore};
use crate::store::inbox::{Inbox, Received};
use crate::store::{CommitError, StoreError, UserId};

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
        sqlx::query(
            "INSERT INTO inbox (update_id, owner, body) \
             SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[], $3::BYTEA[]) \
             ON CONFLICT (update_id) DO NOTHING",
        )
        .bind(ids)
        .bind(owners)
        .bind(bodies)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn sync_received(&self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn handled(&self, id: u32) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM inbox WHERE update_id = $1")
            .bind(i64::from(id))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn unhandled(&self) -> Result<Vec<(u32, Vec<u8>)>, StoreError> {
        let rows: Vec<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT update_id, body FROM inbox ORDER BY update_id")
                .fetch_all(&self.pool)
                .await?;
        Ok(by_update_id(rows))
    }

    async fn stranded(&self, older_than: Duration) -> Result<Vec<(u32, Vec<u8>)>, StoreError> {
        let mut rows: Vec<(i64, Vec<u8>)> = sqlx::query_as(
            "UPDATE inbox SET received_at = now() \
             WHERE update_id IN (SELECT update_id FROM inbox \
                 WHERE received_at <= now() - make_interval(secs => $1) \
                 FOR UPDATE SKIP LOCKED) \
             RETURNING update_id, body",
        )
        .bind(older_than.as_secs_f64())
        .fetch_all(&self.pool)
        .await?;
        rows.sort_unstable_by_key(|r| r.0);
        Ok(by_update_id(rows))
    }
}

/// Rows (update id, body) as the trait gives them; an id out of Telegram's range (not
/// one of ours) is skipped.
fn by_update_id(rows: Vec<(i64, Vec<u8>)>) -> Vec<(u32, Vec<u8>)> {
    rows.into_iter()
        .filter_map(|(id, body)| Some((u32::try_from(id).ok()?, body)))
        .collect()
}
