//! FAQ drafts in table `faq_drafts` (id → JSON [`Draft`]), ids from the sequence
//! `draft_ids`. A swap locks the row and compares it with the draft as read, so of two
//! staff publishing at once (on any instances) exactly one moves it on.

use async_trait::async_trait;

use super::PgStore;
use crate::store::StoreError;
use crate::store::drafts::{Draft, DraftStore};

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
        // Compared decoded, like sled: a draft read and re-encoded matches.
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
