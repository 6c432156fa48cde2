//! Claims of outbox entries, held in memory rather than written into the entries.
//!
//! A claim says which sender owns an entry until when (see [`crate::store::outbox`]). The
//! embedded store belongs to one process, and the claims of a process that stopped are
//! released when the next one starts ([`crate::store::OutboxStore::outbox_recover`]): a
//! claim never has to outlive its process, so writing it to disk bought nothing but a
//! write (a compare-and-swap rewriting the whole entry) for every message sent. Versions
//! before this one wrote claims into the entry's header; such claims are read as before
//! and released at start like any other.
//!
//! The protocol is unchanged: a claimed entry ([`crate::store::outbox::Claimed`]) carries
//! its claim in the header of `raw` (as it was written on disk before), and completing,
//! retrying or dropping it changes the entry only if that claim is still the one held
//! here and the entry's sealed bytes are still those claimed ([`super::EmbeddedStore::still_claimed`], in `outbox.rs`).
//! A claim is taken in one check-and-set ([`Claims::take`]) and the entry read again after
//! it ([`super::EmbeddedStore::claim_as_read`]): two senders of one process never both take
//! an entry, nor take again one the other sent and removed since they read it.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use crate::store::outbox::Owner;

/// Who owns an entry, until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Claim {
    pub(super) owner: Owner,
    /// Milliseconds since the epoch.
    pub(super) until: i64,
}

/// The claims held, by entry key.
#[derive(Default)]
pub(super) struct Claims {
    held: Mutex<HashMap<Vec<u8>, Claim>>,
}

impl Claims {
    fn held(&self) -> MutexGuard<'_, HashMap<Vec<u8>, Claim>> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The claim held on `key`, if any (expired or not).
    pub(super) fn get(&self, key: &[u8]) -> Option<Claim> {
        self.held().get(key).copied()
    }

    /// Takes `key` for `claim` unless a claim running past `now_ms` holds it. One check
    /// and set under the lock: of two claimers of one process, only one takes it.
    pub(super) fn take(&self, key: &[u8], claim: Claim, now_ms: i64) -> bool {
        let mut held = self.held();
        if held.get(key).is_some_and(|c| c.until > now_ms) {
            return false;
        }
        held.insert(key.to_vec(), claim);
        true
    }

    /// Releases the claim on `key` if it is `claim`.
    pub(super) fn release(&self, key: &[u8], claim: Claim) {
        let mut held = self.held();
        if held.get(key) == Some(&claim) {
            held.remove(key);
        }
    }

    /// Releases every claim not held by `owner`; returns how many.
    pub(super) fn release_others(&self, owner: Owner) -> usize {
        let mut held = self.held();
        let before = held.len();
        held.retain(|_, c| c.owner == owner);
        before - held.len()
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.held().len()
    }
}

#[cfg(test)]
mod tests {
    use super::super::EmbeddedStore;
    use super::*;
    use crate::outgoing::{Class, Entry};
    use crate::reply::Rich;
    use crate::store::outbox::OutboxStore;
    use crate::store::{Commit, CommitError, Committer};
    use jiff::Timestamp;
    use std::time::Duration;

    #[tokio::test]
    async fn a_claim_writes_nothing_and_an_entry_claimed_since_it_was_read_conflicts() {
        let st = EmbeddedStore::temporary().unwrap();
        let mut c = Commit::new();
        c.send(Entry::message(-5, Class::Reply, Rich::plain("post")));
        st.commit(&c).await.unwrap();
        let stored = || st.outbox.iter().next().unwrap().unwrap();
        let (key, before) = stored();
        let later = Timestamp::now() + jiff::SignedDuration::from_secs(10);
        let late = st.outbox_late(later, None, &|_, _| true, 9).await.unwrap();
        let round = st
            .outbox_claim(
                Owner(1),
                Timestamp::now(),
                Duration::from_secs(60),
                9,
                &mut |_, _| false,
            )
            .await
            .unwrap();
        assert_eq!(round.claimed.len(), 1);
        assert_eq!(stored(), (key.clone(), before), "the claim is not written");
        assert!(
            st.outbox_late(later, None, &|_, _| true, 9)
                .await
                .unwrap()
                .is_empty(),
            "claimed"
        );
        // A notice about the entry as read before the claim: refused, as when claims
        // were written into the entry.
        let mut notice = Commit::new();
        notice.notified(&late[0]);
        assert!(matches!(
            st.commit(&notice).await,
            Err(CommitError::Conflict)
        ));
        // Completed: removed, and the claim let go.
        let mut done = Commit::new();
        done.consume(&round.claimed[0]);
        st.commit(&done).await.unwrap();
        assert_eq!(st.outbox_len().await.unwrap(), 0);
        assert_eq!(st.claims.len(), 0);
    }

    fn claim(owner: u64, until: i64) -> Claim {
        Claim {
            owner: Owner(owner),
            until,
        }
    }

    #[test]
    fn a_claim_is_released_only_by_its_holder_and_others_at_start() {
        let c = Claims::default();
        let (mine, theirs) = (claim(1, 10), claim(2, 20));
        assert!(c.take(b"a", mine, 0));
        assert!(c.take(b"b", theirs, 0));
        c.release(b"a", theirs);
        assert_eq!(c.get(b"a"), Some(mine), "not theirs to release");
        c.release(b"a", mine);
        assert_eq!(c.get(b"a"), None);
        assert!(c.take(b"a", mine, 0));
        assert_eq!(c.release_others(Owner(1)), 1);
        assert_eq!((c.get(b"a"), c.get(b"b"), c.len()), (Some(mine), None, 1));
    }

    #[test]
    fn a_running_claim_is_taken_by_one_claimer_only_and_an_expired_one_again() {
        let c = Claims::default();
        let (first, second) = (claim(1, 10), claim(1, 11));
        assert!(c.take(b"a", first, 5));
        assert!(!c.take(b"a", second, 5), "held until 10");
        assert_eq!(c.get(b"a"), Some(first));
        assert!(c.take(b"a", second, 10), "ran out at 10");
        assert_eq!(c.get(b"a"), Some(second));
    }

    /// A claimer whose read of the outbox went stale (another sender of this process
    /// sent the entry and let go of its claim since) does not claim it again, nor does
    /// a second claimer of a head already claimed.
    #[tokio::test]
    async fn an_entry_read_before_it_was_completed_is_not_claimed_again() {
        let st = EmbeddedStore::temporary().unwrap();
        let mut c = Commit::new();
        c.send(Entry::message(7, Class::Reply, Rich::plain("una volta")));
        st.commit(&c).await.unwrap();
        let (key, read) = st.outbox.iter().next().unwrap().unwrap();
        let now = Timestamp::now();
        let lease = Duration::from_secs(60);
        let round = st
            .outbox_claim(Owner(1), now, lease, 9, &mut |_, _| false)
            .await
            .unwrap();
        assert_eq!(round.claimed.len(), 1);
        let at = now.as_millisecond();
        let claim = |until| claim(1, until);
        assert!(
            !st.claim_as_read(&key, &read, claim(at + 1), at).unwrap(),
            "claimed by the first round"
        );
        let mut done = Commit::new();
        done.consume(&round.claimed[0]);
        st.commit(&done).await.unwrap();
        assert!(
            !st.claim_as_read(&key, &read, claim(at + 1), at).unwrap(),
            "sent and removed since it was read"
        );
        assert_eq!(st.claims.len(), 0, "the refused claim is not left held");
        // Put back for later since it was read: not claimed as read either.
        let mut c = Commit::new();
        c.send(Entry::message(7, Class::Reply, Rich::plain("riprova")));
        st.commit(&c).await.unwrap();
        let (key, read) = st.outbox.iter().next().unwrap().unwrap();
        let round = st
            .outbox_claim(Owner(1), now, lease, 9, &mut |_, _| false)
            .await
            .unwrap();
        st.outbox_retry(&round.claimed[0], now, true, false)
            .await
            .unwrap();
        assert!(!st.claim_as_read(&key, &read, claim(at + 1), at).unwrap());
        let fresh = st.outbox.get(&key).unwrap().unwrap();
        assert!(st.claim_as_read(&key, &fresh, claim(at + 1), at).unwrap());
    }
}
