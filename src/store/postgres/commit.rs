//! Applying a [`Commit`] to PostgreSQL: one transaction, whole or not at all. Each
//! change reads what it must (the old subscription, the ticket as stored) inside it;
//! a comparison that fails (a session saved meanwhile, a ticket changed, an update
//! already applied) rolls everything back as a conflict.

use async_trait::async_trait;
use jiff::Timestamp;
use sqlx::PgConnection;

use super::{
    Names, PgStore, drafts, follows, inbox, outbox, profiles, questions, secs, sessions, tickets,
    watches,
};
use crate::store::commit::{Change, Commit, CommitError, Committer};
use crate::store::{StoreError, UserId};

/// Erases everything stored about `user` but the session, inside a transaction:
/// subscriptions, queued and sent reminders, followed calls, the profile kept for profile
/// alerts, the questions they asked, unpublished FAQ drafts made from their tickets, the
/// personal fields of their tickets, their updates not yet handled, and messages still
/// waiting to go to them.
pub(super) async fn erase(
    conn: &mut PgConnection,
    names: Names,
    user: UserId,
) -> Result<(), CommitError> {
    follows::erase(conn, names, user).await?;
    watches::unfollow(conn, user, None).await?;
    profiles::drop(conn, user).await?;
    drafts::erase(conn, user).await?;
    sqlx::query("DELETE FROM questions WHERE asker = $1")
        .bind(names.who(user))
        .execute(&mut *conn)
        .await?;
    tickets::forget(conn, user).await?;
    inbox::erase(conn, names, user).await?;
    outbox::erase(conn, names, user).await
}

async fn apply(conn: &mut PgConnection, names: Names, c: &Commit) -> Result<(), CommitError> {
    let mut erased = Vec::new();
    for change in &c.changes {
        match change {
            Change::Applied { id, at } => {
                let r = sqlx::query(
                    "INSERT INTO applied_updates (id, at) VALUES ($1, $2) \
                     ON CONFLICT (id) DO NOTHING",
                )
                .bind(i64::from(*id))
                .bind(secs(*at))
                .execute(&mut *conn)
                .await?;
                if r.rows_affected() == 0 {
                    return Err(CommitError::Conflict);
                }
            }
            Change::LogQuestion { by, question } => {
                questions::log(conn, names, *by, question).await?
            }
            Change::Subscribe { sub, offsets } => {
                follows::subscribe(conn, names, sub, offsets).await?
            }
            Change::Unsubscribe {
                user,
                call,
                offsets,
            } => {
                follows::unsubscribe(conn, names, *user, call.as_ref(), offsets).await?;
            }
            Change::SaveTicket { expect, ticket } => {
                tickets::save(conn, expect.as_ref(), ticket).await?
            }
            Change::TicketPosted {
                number,
                chat,
                message,
            } => tickets::posted(conn, *number, *chat, *message).await?,
            Change::Erase(user) => {
                erase(conn, names, *user).await?;
                erased.push(*user);
            }
            Change::Notified(w) => outbox::notified(conn, w).await?,
            Change::Follow(w) => watches::follow(conn, w).await?,
            Change::Refollow { old, new } => watches::refollow(conn, old, new).await?,
            Change::Unfollow { user, call } => {
                watches::unfollow(conn, *user, call.as_ref()).await?
            }
            Change::SaveProfile(p) => profiles::save(conn, p).await?,
            Change::Reprofile { old, new } => profiles::reprofile(conn, old, new).await?,
            Change::DropProfile(user) => profiles::drop(conn, *user).await?,
        }
    }
    if let Some(s) = &c.session {
        sessions::write(conn, names, s, erased.contains(&s.user)).await?;
    }
    for &user in &erased {
        if c.session.as_ref().is_none_or(|s| s.user != user) {
            sqlx::query("DELETE FROM sessions WHERE who = $1")
                .bind(names.who(user))
                .execute(&mut *conn)
                .await?;
        }
    }
    if let Some(done) = &c.done {
        outbox::consume(conn, done).await?;
    }
    outbox::send(conn, names, &c.outbox, &erased, Timestamp::now()).await
}

#[async_trait]
impl Committer for PgStore {
    async fn commit(&self, c: &Commit) -> Result<(), CommitError> {
        if c.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        // On error the transaction is dropped, which rolls it back.
        apply(&mut tx, self.names(), c).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A commit is durable once PostgreSQL acknowledged it: nothing to wait for.
    async fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
