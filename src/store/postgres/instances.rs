//! Several instances on one database: a user's turn is a transaction-level advisory
//! lock, duties are rows of `instance_duties`, and reloads are announced with
//! `NOTIFY` on a channel every instance `LISTEN`s to.
//!
//! Turns hold a connection of their own pool for as long as an update is handled, so
//! that they never starve the queries the update makes; a turn's lock ends with its
//! transaction, also when its instance dies (the server drops the connection).

use async_trait::async_trait;
use sqlx::postgres::PgListener;
use tokio::sync::mpsc;

use super::PgStore;
use crate::store::instances::{Instances, UserTurn};
use crate::store::{StoreError, UserId};

/// The first key of Sportello's advisory locks ("SPRT"), apart from the migrator's
/// (which uses the one-key form).
const TURN_LOCKS: i32 = 0x5350_5254;

/// A user's second key: the id folded to 32 bits (two users sharing one only wait for
/// each other).
fn turn_key(user: UserId) -> i32 {
    let u = user.0 as u64;
    ((u ^ (u >> 32)) & 0xffff_ffff) as u32 as i32
}

#[async_trait]
impl Instances for PgStore {
    fn shared(&self) -> bool {
        true
    }

    async fn user_turn(&self, user: UserId) -> Result<UserTurn, StoreError> {
        let mut tx = self.turns.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
            .bind(TURN_LOCKS)
            .bind(turn_key(user))
            .execute(&mut *tx)
            .await?;
        // Dropping the transaction rolls it back, which ends the lock.
        Ok(UserTurn::held(tx))
    }

    async fn claim_duty(&self, duty: &str, value: &str) -> Result<bool, StoreError> {
        let r = sqlx::query(
            "INSERT INTO instance_duties (duty, value) VALUES ($1, $2) \
             ON CONFLICT (duty) DO UPDATE SET value = EXCLUDED.value \
             WHERE instance_duties.value IS DISTINCT FROM EXCLUDED.value",
        )
        .bind(duty)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn forget_duty(&self, duty: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM instance_duties WHERE duty = $1")
            .bind(duty)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn announce_reload(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(&self.channel)
            .bind(self.instance.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn reload_announcements(&self) -> Result<Option<mpsc::Receiver<()>>, StoreError> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(&self.channel).await?;
        let me = self.instance.to_string();
        let (tx, rx) = mpsc::channel(1);
        let store = self.clone();
        tokio::spawn(async move {
            loop {
                let heard = match listener.try_recv().await {
                    // Another instance's announcement (ours was acted on already).
                    Ok(Some(n)) => n.payload() != me,
                    // The connection dropped and comes back at the next call: an
                    // announcement may have been missed meanwhile, so reload anyway.
                    Ok(None) => true,
                    Err(e) => {
                        tracing::warn!("listening for reloads: {e}");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        false
                    }
                };
                // An import announces the secret it adopted the same way ([`super::dump`]).
                if heard && let Err(e) = store.refresh_secret().await {
                    tracing::warn!("reading the store's secret: {e}");
                }
                // A reload already waiting covers this one too.
                if heard && let Err(mpsc::error::TrySendError::Closed(())) = tx.try_send(()) {
                    return;
                }
            }
        });
        Ok(Some(rx))
    }
}
