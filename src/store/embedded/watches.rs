//! Follows in the embedded store: tree `watches`, key the user's pseudonym ‖ call id →
//! [`Watch`] as JSON sealed for the user, like every per-user record (the id lives only
//! inside the sealed value), so that `/cancellami` leaves nothing readable of a follow on
//! disk. Follows written in clear by an earlier version are sealed when the database
//! opens ([`EmbeddedStore::seal_plain_watches`]).

use async_trait::async_trait;

use super::EmbeddedStore;
use super::ops::{Op, TreeId};
use crate::knowledge::CallId;
use crate::store::watches::{Watch, WatchStore};
use crate::store::{StoreError, UserId};

impl EmbeddedStore {
    pub(super) fn watch_key(&self, user: UserId, call: &CallId) -> Vec<u8> {
        let mut k = self.who(user).0.to_vec();
        k.extend_from_slice(call.0.as_bytes());
        k
    }

    /// A stored follow, opened (`None`: unreadable, or its owner was erased).
    pub(super) fn open_watch(&self, v: &[u8]) -> Option<Watch> {
        serde_json::from_slice(&self.open_sealed(v)?).ok()
    }

    /// Puts a follow.
    pub(super) fn follow_ops(&self, w: &Watch) -> Result<Vec<Op>, StoreError> {
        Ok(vec![Op::Put(
            TreeId::Watches,
            self.watch_key(w.user, &w.call),
            self.seal(Some(w.user), &serde_json::to_vec(w)?)?,
        )])
    }

    /// Replaces `old` by `new`; the commit conflicts unless `old` is still stored as is
    /// (two loads never tell the same change twice; a sealed value differs at each
    /// write: compared opened).
    pub(super) fn refollow_ops(&self, old: &Watch, new: &Watch) -> Result<Vec<Op>, StoreError> {
        let mut ops = vec![Op::ExpectWatch(
            self.watch_key(old.user, &old.call),
            Some(Box::new(old.clone())),
        )];
        ops.extend(self.follow_ops(new)?);
        Ok(ops)
    }

    /// Removes one follow, or all of a user's.
    pub(super) fn unfollow_ops(
        &self,
        user: UserId,
        call: Option<&CallId>,
    ) -> Result<Vec<Op>, StoreError> {
        Ok(match call {
            Some(c) => vec![Op::Remove(TreeId::Watches, self.watch_key(user, c))],
            None => self
                .watches
                .scan_prefix(self.who(user).0)
                .keys()
                .map(|k| k.map(|k| Op::Remove(TreeId::Watches, k.to_vec())))
                .collect::<Result<_, _>>()?,
        })
    }

    /// Seals follows an earlier version wrote in clear (user key ‖ call id → JSON);
    /// returns how many. Sealed values start with a pseudonym and never read as JSON.
    pub(super) fn seal_plain_watches(&self) -> Result<usize, StoreError> {
        // Read first: the sealed records written below must not be read again.
        let plain: Vec<(kv::IVec, Watch)> = self
            .watches
            .iter()
            .filter_map(|item| match item {
                Ok((k, v)) if v.first() == Some(&b'{') => {
                    serde_json::from_slice::<Watch>(&v).ok().map(|w| Ok((k, w)))
                }
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            })
            .collect::<Result<_, _>>()?;
        let n = plain.len();
        for (k, w) in plain {
            let sealed = self.seal(Some(w.user), &serde_json::to_vec(&w)?)?;
            self.watches
                .insert(self.watch_key(w.user, &w.call), sealed)?;
            self.watches.remove(k)?;
        }
        Ok(n)
    }
}

#[async_trait]
impl WatchStore for EmbeddedStore {
    async fn watches_of(&self, user: UserId) -> Result<Vec<Watch>, StoreError> {
        let mut out = Vec::new();
        for item in self.watches.scan_prefix(self.who(user).0) {
            let (_, v) = item?;
            if let Some(w) = self.open_watch(&v) {
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
                let mut from = self.watch_key(*u, c);
                // The smallest key after `from`.
                from.push(0);
                self.watches.range(from..)
            }
            None => self.watches.iter(),
        };
        let mut out = Vec::new();
        for item in iter {
            let (_, v) = item?;
            if let Some(w) = self.open_watch(&v) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::follow::CallFacts;

    #[tokio::test]
    async fn follows_written_in_clear_are_sealed_and_read_as_before() {
        let st = EmbeddedStore::temporary().unwrap();
        let user = UserId(987_654_321);
        let w = Watch {
            user,
            call: CallId("alfa-2026".into()),
            seen: CallFacts::of(None, jiff::Timestamp::UNIX_EPOCH),
            since: jiff::Timestamp::UNIX_EPOCH,
            verdict: None,
            lang: crate::text::Lang::En,
        };
        // As an earlier version wrote it: the user key ‖ call id → JSON.
        let mut old = user.key().to_vec();
        old.extend_from_slice(b"alfa-2026");
        st.watches
            .insert(old.clone(), serde_json::to_vec(&w).unwrap())
            .unwrap();
        assert_eq!(st.seal_plain_watches().unwrap(), 1);
        assert_eq!(st.seal_plain_watches().unwrap(), 0, "once");
        assert_eq!(st.watches_of(user).await.unwrap(), std::slice::from_ref(&w));
        assert_eq!(st.watches_page(None, 10).await.unwrap(), [w]);
        for item in st.watches.iter() {
            let (k, v) = item.unwrap();
            assert!(!k.starts_with(&user.key()), "no key names the user");
            assert!(
                !v.windows(9).any(|x| x == b"987654321"),
                "no value shows the id"
            );
        }
        assert_eq!(st.watches.get(old).unwrap(), None);
    }
}
