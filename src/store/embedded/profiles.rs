//! Profile alerts in the embedded store: tree `profiles`, key the user's pseudonym →
//! [`ProfileAlert`] as JSON sealed for the user (the id lives only inside the sealed
//! value), so that `/cancellami` leaves nothing readable of it on disk.

use async_trait::async_trait;

use super::EmbeddedStore;
use super::ops::{Op, TreeId};
use crate::store::profiles::{ProfileAlert, ProfileStore};
use crate::store::{StoreError, UserId};

impl EmbeddedStore {
    pub(super) fn profile_key(&self, user: UserId) -> Vec<u8> {
        self.who(user).0.to_vec()
    }

    /// A stored profile alert, opened (`None`: unreadable, or its owner was erased).
    pub(super) fn open_profile(&self, v: &[u8]) -> Option<ProfileAlert> {
        serde_json::from_slice(&self.open_sealed(v)?).ok()
    }

    /// Puts a profile alert.
    pub(super) fn save_profile_ops(&self, p: &ProfileAlert) -> Result<Vec<Op>, StoreError> {
        Ok(vec![Op::Put(
            TreeId::Profiles,
            self.profile_key(p.user),
            self.seal(Some(p.user), &serde_json::to_vec(p)?)?,
        )])
    }

    /// Replaces `old` by `new`; the commit conflicts unless `old` is still stored (a
    /// sealed value differs at each write: compared opened).
    pub(super) fn reprofile_ops(
        &self,
        old: &ProfileAlert,
        new: &ProfileAlert,
    ) -> Result<Vec<Op>, StoreError> {
        let mut ops = vec![Op::ExpectProfile(
            self.profile_key(old.user),
            Some(Box::new(old.clone())),
        )];
        ops.extend(self.save_profile_ops(new)?);
        Ok(ops)
    }

    pub(super) fn drop_profile_ops(&self, user: UserId) -> Vec<Op> {
        vec![Op::Remove(TreeId::Profiles, self.profile_key(user))]
    }
}

#[async_trait]
impl ProfileStore for EmbeddedStore {
    async fn profile_alert(&self, user: UserId) -> Result<Option<ProfileAlert>, StoreError> {
        Ok(self
            .profiles
            .get(self.profile_key(user))?
            .and_then(|v| self.open_profile(&v)))
    }

    async fn profile_alerts_page(
        &self,
        after: Option<UserId>,
        limit: usize,
    ) -> Result<Vec<ProfileAlert>, StoreError> {
        let iter = match after {
            Some(u) => {
                let mut from = self.profile_key(u);
                // The smallest key after `from`.
                from.push(0);
                self.profiles.range(from..)
            }
            None => self.profiles.iter(),
        };
        let mut out = Vec::new();
        for item in iter {
            let (_, v) = item?;
            if let Some(p) = self.open_profile(&v) {
                out.push(p);
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    async fn profile_alert_count(&self) -> Result<usize, StoreError> {
        Ok(self.profiles.len())
    }
}
