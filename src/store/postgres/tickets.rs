//! Tickets in table `tickets` (number → JSON, with the user for lookups and erasure),
//! `ticket_messages` (staff chat, message → number) and the sequence `ticket_numbers`: a
//! number is never given twice, by any instance.

use async_trait::async_trait;
use sqlx::PgConnection;

use super::PgStore;
use crate::store::commit::CommitError;
use crate::store::{StoreError, Ticket, TicketStore, UserId};

fn decode(rows: Vec<Vec<u8>>) -> Result<Vec<Ticket>, StoreError> {
    rows.iter()
        .map(|v| serde_json::from_slice(v).map_err(StoreError::from))
        .collect()
}

/// Stores `ticket` if the stored one is still `expect`, inside a commit's transaction.
pub(super) async fn save(
    conn: &mut PgConnection,
    expect: Option<&Ticket>,
    ticket: &Ticket,
) -> Result<(), CommitError> {
    let body = serde_json::to_vec(ticket)?;
    let n = ticket.number as i64;
    let user = ticket.user.map(|u| u.0);
    let Some(expect) = expect else {
        let r = sqlx::query(
            "INSERT INTO tickets (number, user_id, body) VALUES ($1, $2, $3) \
             ON CONFLICT (number) DO NOTHING",
        )
        .bind(n)
        .bind(user)
        .bind(body)
        .execute(conn)
        .await?;
        return if r.rows_affected() == 1 {
            Ok(())
        } else {
            Err(CommitError::Conflict)
        };
    };
    let now: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT body FROM tickets WHERE number = $1 FOR UPDATE")
            .bind(n)
            .fetch_optional(&mut *conn)
            .await?;
    let now: Option<Ticket> = now.and_then(|v| serde_json::from_slice(&v).ok());
    if now.as_ref() != Some(expect) {
        return Err(CommitError::Conflict);
    }
    sqlx::query("UPDATE tickets SET user_id = $2, body = $3 WHERE number = $1")
        .bind(n)
        .bind(user)
        .bind(body)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records that a staff message is about ticket `number` (the first becomes its own).
pub(super) async fn posted(
    conn: &mut PgConnection,
    number: u64,
    chat: i64,
    message: i32,
) -> Result<(), CommitError> {
    sqlx::query(
        "INSERT INTO ticket_messages (chat, message, number) VALUES ($1, $2, $3) \
         ON CONFLICT (chat, message) DO UPDATE SET number = EXCLUDED.number",
    )
    .bind(chat)
    .bind(message)
    .bind(number as i64)
    .execute(&mut *conn)
    .await?;
    let body: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT body FROM tickets WHERE number = $1 FOR UPDATE")
            .bind(number as i64)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some(mut t) = body.and_then(|v| serde_json::from_slice::<Ticket>(&v).ok())
        && t.message.is_none()
    {
        t.message = Some(message);
        sqlx::query("UPDATE tickets SET body = $2 WHERE number = $1")
            .bind(number as i64)
            .bind(serde_json::to_vec(&t)?)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Drops the personal fields of the user's tickets, inside a transaction.
pub(super) async fn forget(conn: &mut PgConnection, user: UserId) -> Result<(), CommitError> {
    let rows: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT number, body FROM tickets WHERE user_id = $1 FOR UPDATE")
            .bind(user.0)
            .fetch_all(&mut *conn)
            .await?;
    for (n, body) in rows {
        let body = match serde_json::from_slice::<Ticket>(&body) {
            Ok(mut t) => {
                t.forget_user();
                serde_json::to_vec(&t)?
            }
            // Unreadable: nothing of it may stay.
            Err(_) => Vec::new(),
        };
        sqlx::query("UPDATE tickets SET user_id = NULL, body = $2 WHERE number = $1")
            .bind(n)
            .bind(body)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

#[async_trait]
impl TicketStore for PgStore {
    async fn next_ticket_number(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT nextval('ticket_numbers')")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    async fn ticket(&self, n: u64) -> Result<Option<Ticket>, StoreError> {
        let v: Option<Vec<u8>> = sqlx::query_scalar("SELECT body FROM tickets WHERE number = $1")
            .bind(n as i64)
            .fetch_optional(&self.pool)
            .await?;
        Ok(decode(v.into_iter().collect())?.pop())
    }

    async fn tickets(&self) -> Result<Vec<Ticket>, StoreError> {
        decode(
            sqlx::query_scalar("SELECT body FROM tickets ORDER BY number")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    async fn tickets_of(&self, user: UserId) -> Result<Vec<Ticket>, StoreError> {
        decode(
            sqlx::query_scalar("SELECT body FROM tickets WHERE user_id = $1 ORDER BY number")
                .bind(user.0)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    async fn ticket_of_message(
        &self,
        chat: i64,
        message: i32,
    ) -> Result<Option<Ticket>, StoreError> {
        let v: Option<Vec<u8>> = sqlx::query_scalar(
            "SELECT t.body FROM ticket_messages m JOIN tickets t ON t.number = m.number \
             WHERE m.chat = $1 AND m.message = $2",
        )
        .bind(chat)
        .bind(message)
        .fetch_optional(&self.pool)
        .await?;
        Ok(decode(v.into_iter().collect())?.pop())
    }
}
