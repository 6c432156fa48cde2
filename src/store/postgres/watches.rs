//! Follows in table `watches` (user, call → JSON [`Watch`]). A refollow locks the row
//! and compares it with the follow as read, so two instances loading the same change
//! tell it once.

use async_trait::async_trait;
use sqlx::PgConnection;

use super::PgStore;
use crate::knowledge::CallId;
use crate::store::commit::CommitError;
use crate::store::watches::{Watch, WatchStore};
use crate::store::{StoreError, UserId};

fn decode(rows: &[Vec<u8>]) -> Vec<Watch> {
    rows.iter()
        .filter_map(|v| serde_json::from_slice(v).ok())
        .collect()
}

/// Puts a follow (replacing the user's follow of the same call).
pub(super) async fn follow(conn: &mut PgConnection, w: &Watch) -> Result<(), CommitError> {
    sqlx::query(
        "INSERT INTO watches (user_id, call, body) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, call) DO UPDATE SET body = EXCLUDED.body",
    )
    .bind(w.user.0)
    .bind(&w.call.0)
    .bind(serde_json::to_vec(w)?)
    .execute(conn)
    .await?;
    Ok(())
}

/// Replaces `old` by `new`; conflicts unless `old` is still stored as is.
pub(super) async fn refollow(
    conn: &mut PgConnection,
    old: &Watch,
    new: &Watch,
) -> Result<(), CommitError> {
    let now: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT body FROM watches WHERE user_id = $1 AND call = $2 FOR UPDATE")
            .bind(old.user.0)
            .bind(&old.call.0)
            .fetch_optional(&mut *conn)
            .await?;
    let now: Option<Watch> = now.and_then(|v| serde_json::from_slice(&v).ok());
    if now.as_ref() != Some(old) {
        return Err(CommitError::Conflict);
    }
    sqlx::query("UPDATE watches SET body = $3 WHERE user_id = $1 AND call = $2")
        .bind(old.user.0)
        .bind(&old.call.0)
        .bind(serde_json::to_vec(new)?)
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes one follow, or all of a user's (also their erasure).
pub(super) async fn unfollow(
    conn: &mut PgConnection,
    user: UserId,
    call: Option<&CallId>,
) -> Result<(), CommitError> {
    match call {
        Some(c) => {
            sqlx::query("DELETE FROM watches WHERE user_id = $1 AND call = $2")
                .bind(user.0)
                .bind(&c.0)
                .execute(conn)
                .await?
        }
        None => {
            sqlx::query("DELETE FROM watches WHERE user_id = $1")
                .bind(user.0)
                .execute(conn)
                .await?
        }
    };
    Ok(())
}

#[async_trait]
impl WatchStore for PgStore {
    async fn watches_of(&self, user: UserId) -> Result<Vec<Watch>, StoreError> {
        let rows: Vec<Vec<u8>> =
            sqlx::query_scalar("SELECT body FROM watches WHERE user_id = $1 ORDER BY call")
                .bind(user.0)
                .fetch_all(&self.pool)
                .await?;
        Ok(decode(&rows))
    }

    async fn watches_page(
        &self,
        after: Option<(UserId, CallId)>,
        limit: usize,
    ) -> Result<Vec<Watch>, StoreError> {
        let limit = limit.min(i64::MAX as usize) as i64;
        let rows: Vec<Vec<u8>> = match after {
            Some((u, c)) => {
                sqlx::query_scalar(
                    "SELECT body FROM watches WHERE (user_id, call) > ($1, $2) \
                     ORDER BY user_id, call LIMIT $3",
                )
                .bind(u.0)
                .bind(c.0)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query_scalar("SELECT body FROM watches ORDER BY user_id, call LIMIT $1")
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        Ok(decode(&rows))
    }

    async fn watch_count(&self) -> Result<usize, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM watches")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as usize)
    }
}
