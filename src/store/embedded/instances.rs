//! One process owns an embedded store (it locks the `LOCK` file of its directory), so
//! there is nothing to coordinate: a user's turn is the app's own per-user lock, every
//! duty falls to this process, and no other instance can hear an announcement.

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::EmbeddedStore;
use crate::store::instances::{Instances, UserTurn};
use crate::store::{StoreError, UserId};

#[async_trait]
impl Instances for EmbeddedStore {
    fn shared(&self) -> bool {
        false
    }

    async fn user_turn(&self, _user: UserId) -> Result<UserTurn, StoreError> {
        Ok(UserTurn::free())
    }

    async fn claim_duty(&self, _duty: &str, _value: &str) -> Result<bool, StoreError> {
        Ok(true)
    }

    async fn forget_duty(&self, _duty: &str) -> Result<(), StoreError> {
        Ok(())
    }

    async fn announce_reload(&self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn reload_announcements(&self) -> Result<Option<mpsc::Receiver<()>>, StoreError> {
        Ok(None)
    }
}
