//! Follows in sled: tree `watches`, key user ‖ call id → JSON [`Watch`].

use async_trait::async_trait;

use super::SledStore;
use super::commit::{Op, TreeId};
use crate::knowledge::CallId;
use crate::store::watches::{Watch, WatchStore};
use crate::store::{StoreError, UserId};

pub(super) fn watch_key(user: UserId, call: &CallId) -> Vec<u8> {
    let mut k = user.key().to_vec();
    k.extend_from_slice(call.0.as_bytes());
    k
}

impl SledStore {
    /// Puts a follow.
    pub(super) fn follow_ops(&self, w: &Watch) -> Result<Vec<Op>, StoreError> {
        Ok(vec![Op::Put(
            TreeId::Watches,
            watch_key(w.user, &w.call),
            serde_json::to_vec(w)?,
        )])
    }

    /// Replaces `old` by `new`; the commit conflicts unless `old` is still stored as is
    /// (two loads never tell the same change twice).
    pub(super) fn refollow_ops(&self, old: &Watch, new: &Watch) -> Result<Vec<Op>, StoreError> {
        let key = watch_key(old.user, &old.call);
        Ok(vec![
            Op::Expect(TreeId::Watches, key.clone(), Some(serde_json::to_vec(old)?)),
            Op::Put(TreeId::Watches, key, serde_json::to_vec(new)?),
        ])
    }

    /// Removes one follow, or all of a user's.
    pub(super) fn unfollow_ops(
        &self,
        user: UserId,
        call: Option<&CallId>,
    ) -> Result<Vec<Op>, StoreError> {
        Ok(match call {
            Some(c) => vec![Op::Remove(TreeId::Watches, watch_key(user, c))],
            None => self
                .watches
                .scan_prefix(user.key())
                .keys()
                .map(|k| k.map(|k| Op::Remove(TreeId::Watches, k.to_vec())))
                .collect::<Result<_, _>>()?,
        })
    }
}

#[async_trait]
impl WatchStore for SledStore {
    async fn watches_of(&self, user: UserId) -> Result<Vec<Watch>, StoreError> {
        let mut out = Vec::new();
        for item in self.watches.scan_prefix(user.key()) {
            let (_, v) = item?;
            if let Ok(w) = serde_json::from_slice(&v) {
                out.push(w);
            }
        }
        Ok(out)
    }

    async fn watches_page(
        &self,
        after: Option<(UserId, CallId)>,
        limit: usize,
    ) -> Result<Vec<Watch>, StoreError> {
        let iter = match &after {
            Some((u, c)) => {
                let mut from = watch_key(*u, c);
                // The smallest key after `from`.
                from.push(0);
                self.watches.range(from..)
            }
            None => self.watches.iter(),
        };
        let mut out = Vec::new();
        for item in iter {
            let (_, v) = item?;
            if let Ok(w) = serde_json::from_slice(&v) {
                out.push(w);
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    async fn watch_count(&self) -> Result<usize, StoreError> {
        Ok(self.watches.len())
    }
}
