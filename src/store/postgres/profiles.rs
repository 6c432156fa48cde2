//! Profile alerts in table `profiles` (user → JSON [`ProfileAlert`]). A reprofile locks
//! the row and compares it with the alert as read, so two instances loading the same new
//! call tell it once.

use async_trait::async_trait;
use sqlx::PgConnection;

use super::PgStore;
use crate::store::commit::CommitError;
use crate::store::profiles::{ProfileAlert, ProfileStore};
use crate::store::{StoreError, UserId};

fn decode(rows: &[Vec<u8>]) -> Vec<ProfileAlert> {
    rows.iter()
        .filter_map(|v| serde_json::from_slice(v).ok())
        .collect()
}

/// Puts a user's profile alert (replacing theirs).
pub(super) async fn save(conn: &mut PgConnection, p: &ProfileAlert) -> Result<(), CommitError> {
    sqlx::query(
        "INSERT INTO profiles (user_id, body) VALUES ($1, $2) \
         ON CONFLICT (user_id) DO UPDATE SET body = EXCLUDED.body",
    )
    .bind(p.user.0)
    .bind(serde_json::to_vec(p)?)
    .execute(conn)
    .await?;
    Ok(())
}

/// Replaces `old` by `new`; conflicts unless `old` is still stored as is.
pub(super) async fn reprofile(
    conn: &mut PgConnection,
    old: &ProfileAlert,
    new: &ProfileAlert,
) -> Result<(), CommitError> {
    let now: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT body FROM profiles WHERE user_id = $1 FOR UPDATE")
            .bind(old.user.0)
            .fetch_optional(&mut *conn)
            .await?;
    let now: Option<ProfileAlert> = now.and_then(|v| serde_json::from_slice(&v).ok());
    if now.as_ref() != Some(old) {
        return Err(CommitError::Conflict);
    }
    save(conn, new).await
}

/// Removes a user's profile alert (stopping the alerts, and their erasure).
pub(super) async fn drop(conn: &mut PgConnection, user: UserId) -> Result<(), CommitError> {
    sqlx::query("DELETE FROM profiles WHERE user_id = $1")
        .bind(user.0)
        .execute(conn)
        .await?;
    Ok(())
}

#[async_trait]
impl ProfileStore for PgStore {
    async fn profile_alert(&self, user: UserId) -> Result<Option<ProfileAlert>, StoreError> {
        let row: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT body FROM profiles WHERE user_id = $1")
                .bind(user.0)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.and_then(|v| serde_json::from_slice(&v).ok()))
    }

    async fn profile_alerts_page(
        &self,
        after: Option<UserId>,
        limit: usize,
    ) -> Result<Vec<ProfileAlert>, StoreError> {
        let limit = limit.min(i64::MAX as usize) as i64;
        let rows: Vec<Vec<u8>> = match after {
            Some(u) => {
                sqlx::query_scalar(
                    "SELECT body FROM profiles WHERE user_id > $1 ORDER BY user_id LIMIT $2",
                )
                .bind(u.0)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query_scalar("SELECT body FROM profiles ORDER BY user_id LIMIT $1")
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        Ok(decode(&rows))
    }

    async fn profile_alert_count(&self) -> Result<usize, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM profiles")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as usize)
    }
}
