//! The entries this process stored lately, kept as they were given to the commit, so that
//! the claim round takes an entry from memory instead of opening its sealed bytes and
//! parsing its JSON again (a few microseconds of every message: BENCHMARKS.md, "the store
//! and the outbox (perf7)").
//!
//! Nothing here decides anything: an entry is taken from memory only when the stored
//! value still holds the very sealing it was kept with (the owner's pseudonym and the
//! random nonce of that sealing, [`tag`]), so a value rewritten meanwhile (a merge) is
//! opened from disk as before. A user's entries are forgotten when their key is
//! destroyed ([`Fresh::forget_owner`]): an entry about an erased user is unreadable on
//! disk, and must not be readable here either. At most [`CAP`] entries are kept (the
//! oldest waiting ones, which the claim round meets first); beyond that new entries are
//! simply read from disk.
//!
//! An entry is kept just before its commit writes it (and forgotten if the commit fails),
//! so a claim round that meets it in the tree finds it here; kept after the writes, an
//! entry a claim round had already read from disk would stay here for good, its key
//! removed from the outbox once sent.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::outgoing::Entry;
use crate::store::shred::{PSEUDONYM, Pseudonym};

/// Entries kept at most (each a few hundred bytes to a few KiB).
pub(super) const CAP: usize = 256;

/// Bytes of a sealing's random nonce ([`crate::store::shred::DataKey::seal`]).
const NONCE: usize = 24;

/// What identifies one sealing of an entry: owner pseudonym ‖ nonce.
type Tag = [u8; PSEUDONYM + NONCE];

/// The tag of a sealed entry (the stored value after its header); `None`: too short.
pub(super) fn tag(sealed: &[u8]) -> Option<Tag> {
    sealed.get(..PSEUDONYM + NONCE)?.try_into().ok()
}

/// See the module documentation.
#[derive(Default)]
pub(super) struct Fresh {
    kept: Mutex<HashMap<Vec<u8>, (Tag, Entry)>>,
}

impl Fresh {
    fn kept(&self) -> std::sync::MutexGuard<'_, HashMap<Vec<u8>, (Tag, Entry)>> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps `entry`, just stored under `key` as `sealed` (the value after its header).
    pub(super) fn keep(&self, key: &[u8], sealed: &[u8], entry: &Entry) {
        let Some(t) = tag(sealed) else {
            return;
        };
        let mut kept = self.kept();
        if kept.len() < CAP {
            kept.insert(key.to_vec(), (t, entry.clone()));
        }
    }

    /// The entry kept under `key` if `sealed` (the stored value after its header) is still
    /// the sealing it was kept with; it leaves the memory either way (see [`Fresh::put_back`]).
    pub(super) fn take(&self, key: &[u8], sealed: &[u8]) -> Option<Entry> {
        let (t, entry) = self.kept().remove(key)?;
        (tag(sealed) == Some(t)).then_some(entry)
    }

    /// Keeps again an entry [`Fresh::take`] gave (its head was not claimed this round).
    pub(super) fn put_back(&self, key: &[u8], sealed: &[u8], entry: Entry) {
        if let Some(t) = tag(sealed) {
            self.kept().insert(key.to_vec(), (t, entry));
        }
    }

    /// Forgets the entry under `key` (removed from the outbox by other means).
    pub(super) fn forget(&self, key: &[u8]) {
        self.kept().remove(key);
    }

    /// Forgets every entry sealed for `owner` (their key is being destroyed).
    pub(super) fn forget_owner(&self, owner: &Pseudonym) {
        self.kept()
            .retain(|_, (t, _)| t[..PSEUDONYM] != owner.0[..]);
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.kept().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outgoing::Class;
    use crate::reply::Rich;

    fn sealed(owner: u8, nonce: u8) -> Vec<u8> {
        let mut v = vec![owner; PSEUDONYM];
        v.extend([nonce; NONCE]);
        v.extend(b"ciphertext");
        v
    }

    #[test]
    fn an_entry_is_given_once_and_only_for_the_sealing_it_was_kept_with() {
        let f = Fresh::default();
        let e = Entry::message(1, Class::Reply, Rich::plain("ciao"));
        f.keep(b"k", &sealed(1, 1), &e);
        assert_eq!(f.take(b"k", &sealed(1, 2)), None, "sealed again: from disk");
        assert_eq!(f.len(), 0, "and forgotten");
        f.keep(b"k", &sealed(1, 1), &e);
        assert_eq!(f.take(b"k", &sealed(1, 1)), Some(e.clone()));
        assert_eq!(f.take(b"k", &sealed(1, 1)), None, "given once");
        f.put_back(b"k", &sealed(1, 1), e.clone());
        assert_eq!(f.take(b"k", &sealed(1, 1)), Some(e.clone()));
        assert_eq!(f.take(b"k", b"short"), None);
    }

    #[test]
    fn an_owner_s_entries_are_forgotten_with_their_key_and_the_memory_is_bounded() {
        let f = Fresh::default();
        let e = Entry::message(1, Class::Reply, Rich::plain("ciao"));
        f.keep(b"a", &sealed(1, 1), &e);
        f.keep(b"b", &sealed(2, 1), &e);
        f.forget_owner(&Pseudonym([1; PSEUDONYM]));
        assert_eq!(f.take(b"a", &sealed(1, 1)), None);
        assert_eq!(f.take(b"b", &sealed(2, 1)), Some(e.clone()));
        f.forget(b"b");
        for i in 0..CAP + 10 {
            f.keep(&i.to_be_bytes(), &sealed(3, 1), &e);
        }
        assert_eq!(f.len(), CAP);
    }
}
