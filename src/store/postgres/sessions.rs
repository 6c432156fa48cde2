//! Sessions in table `sessions`: one row per user, keyed by the user's pseudonym
//! ([`Names`]), with `revision` (the compare-and-swap's counter), `touched` (seconds) and
//! the engine's bytes.

use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::PgConnection;

use super::{Names, PgStore, from_secs, secs};
use crate::store::commit::{CommitError, SessionWrite};
use crate::store::{Revision, SessionStore, StoreError, StoredSession, UserId};

/// Saves (or deletes) a session if its stored revision is still the one read; `erase`
/// deletes it whatever the write holds. Inside a commit's transaction.
pub(super) async fn write(
    conn: &mut PgConnection,
    names: Names,
    s: &SessionWrite,
    erase: bool,
) -> Result<(), CommitError> {
    let who = names.who(s.user);
    let next = s.expect.next() as i64;
    let done = match (&s.bytes, erase, s.expect.0) {
        (Some(bytes), false, None) => sqlx::query(
            "INSERT INTO sessions (who, revision, touched, bytes) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (who) DO NOTHING",
        )
        .bind(&who)
        .bind(next)
        .bind(secs(s.touched))
        .bind(bytes)
        .execute(&mut *conn)
        .await?
        .rows_affected(),
        (Some(bytes), false, Some(rev)) => sqlx::query(
            "UPDATE sessions SET revision = $2, touched = $3, bytes = $4 \
             WHERE who = $1 AND revision = $5",
        )
        .bind(&who)
        .bind(next)
        .bind(secs(s.touched))
        .bind(bytes)
        .bind(rev as i64)
        .execute(&mut *conn)
        .await?
        .rows_affected(),
        (_, _, None) => {
            // Deleting what was read as absent: it must still be absent.
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions WHERE who = $1")
                .bind(&who)
                .fetch_one(&mut *conn)
                .await?;
            u64::from(n == 0)
        }
        (_, _, Some(rev)) => sqlx::query("DELETE FROM sessions WHERE who = $1 AND revision = $2")
            .bind(&who)
            .bind(rev as i64)
            .execute(&mut *conn)
            .await?
            .rows_affected(),
    };
    if done == 0 {
        return Err(CommitError::Conflict);
    }
    Ok(())
}

#[async_trait]
impl SessionStore for PgStore {
    async fn load_session(&self, user: UserId) -> Result<Option<StoredSession>, StoreError> {
        let row: Option<(i64, i64, Vec<u8>)> =
            sqlx::query_as("SELECT revision, touched, bytes FROM sessions WHERE who = $1")
                .bind(self.names().who(user))
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(rev, touched, bytes)| StoredSession {
            bytes,
            revision: Revision(Some(rev as u64)),
            touched: from_secs(touched),
        }))
    }

    async fn session_count(&self) -> Result<usize, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as usize)
    }

    async fn expire_sessions(&self, cutoff: Timestamp) -> Result<usize, StoreError> {
        // One statement: a session touched meanwhile no longer matches and is kept.
        let r = sqlx::query("DELETE FROM sessions WHERE touched < $1")
            .bind(secs(cutoff))
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() as usize)
    }
}
