//! FAQ drafts in table `faq_drafts` (id → JSON [`Draft`]), ids from the sequence
//! `draft_ids`. A swap locks the row and compares it with the draft as read, so of two
//! staff publishing at once (on any instances) exactly one moves it on.

use async_trait::async_trait;
use sqlx::PgConnection;

use super::PgStore;
use crate::store::commit::CommitError;
use crate::store::drafts::{Draft, DraftStore};
use crate::store::{StoreError, UserId};

/// Removes the unpublished drafts made from `user`'s tickets (they copy the user's
/// question); run inside an erasure, before the tickets forget their user.
pub(super) async fn erase(conn: &mut PgConnection, user: UserId) -> Result<(), CommitError> {
    let numbers: Vec<i64> = sqlx::query_scalar("SELECT number FROM tickets WHERE user_id = $1")
        .bind(user.0)
        .fetch_all(&mut *conn)
        .await?;
    if numbers.is_empty() {
        return Ok(());
    }
    let rows: Vec<(i64, Vec<u8>)> = sqlx::query_as("SELECT id, body FROM faq_drafts FOR UPDATE")
        .fetch_all(&mut *conn)
        .await?;
    for (id, body) in rows {
        let Ok(d) = serde_json::from_slice::<Draft>(&body) else {
            continue;
        };
        let theirs = d.ticket.is_some_and(|n| numbers.contains(&(n as i64)));
        if theirs && d.status.personal() {
            sqlx::query("DELETE FROM faq_drafts WHERE id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

#[async_trait]
impl DraftStore for PgStore {
    async fn next_draft_id(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT nextval('draft_ids')")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    async fn draft(&self, id: u64) -> Result<Option<Draft>, StoreError> {
        let v: Option<Vec<u8>> = sqlx::query_scalar("SELECT body FROM faq_drafts WHERE id = $1")
            .bind(id as i64)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match v {
            Some(v) => Some(serde_json::from_slice(&v)?),
            None => None,
        })
    }

    async fn drafts(&self) -> Result<Vec<Draft>, StoreError> {
        let rows: Vec<Vec<u8>> = sqlx::query_scalar("SELECT body FROM faq_drafts ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|v| serde_json::from_slice(v).map_err(StoreError::from))
            .collect()
    }

    async fn swap_draft(&self, before: Option<&Draft>, new: &Draft) -> Result<bool, StoreError> {
        let body = serde_json::to_vec(new)?;
        let id = new.id as i64;
        let Some(before) = before else {
            let r = sqlx::query(
                "INSERT INTO faq_drafts (id, body) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
            )
            .bind(id)
            .bind(body)
            .execute(&self.pool)
            .await?;
            return Ok(r.rows_affected() == 1);
        };
        let mut tx = self.pool.begin().await?;
        let now: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT body FROM faq_drafts WHERE id = $1 FOR UPDATE")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        // Compared decoded, like the embedded store: a draft read and re-encoded matches.
        let now: Option<Draft> = now.and_then(|v| serde_json::from_slice(&v).ok());
        if now.as_ref() != Some(before) {
            return Ok(false);
        }
        sqlx::query("UPDATE faq_drafts SET body = $2 WHERE id = $1")
            .bind(id)
            .bind(body)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }
}
