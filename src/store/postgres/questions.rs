//! The anonymous question log in table `questions`: `at` (seconds), the entry's JSON,
//! and `asker`, the asker's pseudonym ([`Names`]), kept only so that erasing a user
//! erases their questions.

use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::PgConnection;

use super::{Names, PgStore, secs};
use crate::store::commit::CommitError;
use crate::store::{AskedQuestion, QuestionLog, StoreError, UserId};

/// Appends a question inside a commit's transaction.
pub(super) async fn log(
    conn: &mut PgConnection,
    names: Names,
    by: Option<UserId>,
    q: &AskedQuestion,
) -> Result<(), CommitError> {
    sqlx::query("INSERT INTO questions (at, asker, entry) VALUES ($1, $2, $3)")
        .bind(secs(q.at).max(0))
        .bind(by.map(|u| names.who(u)))
        .bind(serde_json::to_vec(q)?)
        .execute(conn)
        .await?;
    Ok(())
}

#[async_trait]
impl QuestionLog for PgStore {
    async fn questions_since(&self, since: Timestamp) -> Result<Vec<AskedQuestion>, StoreError> {
        let rows: Vec<Vec<u8>> =
            sqlx::query_scalar("SELECT entry FROM questions WHERE at >= $1 ORDER BY at, id")
                .bind(secs(since).max(0))
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .iter()
            .filter_map(|v| serde_json::from_slice(v).ok())
            .collect())
    }

    async fn purge_questions(&self, before: Timestamp) -> Result<usize, StoreError> {
        let r = sqlx::query("DELETE FROM questions WHERE at < $1")
            .bind(secs(before).max(0))
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() as usize)
    }
}
