//! A commit as one record of the embedded store, and the journal older versions wrote.
//!
//! A commit is, under [`super::EmbeddedStore::writing`] (see "Order among writers" below):
//! 1. its expectations are checked and its writes resolved ([`super::commit`]), reading
//!    the trees through the commit's own earlier writes as a transaction would
//!    ([`Writes`]);
//! 2. every key-level write goes into one [`kv::Batch`], applied as ONE record of the
//!    store's log (`crates/kv`): after a crash it is there whole or not at all, and the
//!    records written after the last flush that are there form a prefix of those written.
//!
//! Nothing is written to disk here: the record waits in the store's buffer for the
//! durability flush that the commit's caller asks for before anything is sent
//! ([`super::Flusher`]). `tests/store_crash.rs` kills a committing child process at
//! several moments and finds every commit whole or absent, and a prefix, at each reopening.
//!
//! **The journal tree (history).** With sled, before issue 11, a transaction cost two
//! log writes and a wake-up of sled's pool per commit, so a commit was written as a record
//! in the tree `journal`, then its plain writes, then the record's removal, and a record
//! a crash left was applied again at open (BENCHMARKS.md, "The write path as one journal
//! record per update"). A data directory moved from sled may still hold such records:
//! [`EmbeddedStore::replay`] applies and removes them at open, before anything else reads
//! or writes the trees (every write sets a key to a final value or removes it, so applying
//! twice is applying once); a record that does not read stops the opening with an error
//! that names it. New commits write none.
//!
//! **A failed write.** An error of the store (its log could not be written: a full disk)
//! marks the store failed (`failed`): every later commit is refused with an error that
//! says to restart, and the bot stops; the next start reads what the disk holds.
//!
//! **Order among writers.** A commit's check and its writes are two steps, so anything
//! that writes a tree a commit touches, between the two, would be lost or judged on a
//! state about to change (an outbox entry rewritten for a retry while a completion
//! removes it, a reminder queued for an identity just marked done). (Outbox claims are
//! not writes: they are held in memory, [`super::claims`].) So every write that is not a
//! commit, in every module of this backend, holds the same
//! [`super::EmbeddedStore::writing`] guard as a commit does (a snapshot's gate shared,
//! and one mutex), each for one write or one small transaction, never across a scan; the
//! writes that do not are those made at open before the store is shared (replay itself,
//! sealing of older versions' records, migrations) and an import, which only writes into
//! an empty database and holds the guard throughout. Readers hold nothing: a reader may
//! see some of a commit's writes and not others (a scan or two `get`s may straddle a
//! commit, as they could with sled); a snapshot ([`super::EmbeddedStore::quiet`])
//! excludes every writer and so sees whole commits only.
//!
//! **Erasure.** A commit's record holds keys that name users by pseudonym and values
//! sealed with their owner's key, like the trees themselves. Old versions of records stay
//! in the store's log until a compaction rewrites it: noise once the owner's key is
//! destroyed ([`crate::store::shred`]).
//!
//! **Format** of the journal records older versions wrote (version 1): version byte ‖
//! number of writes (u32) ‖ per write: tree ([`TreeId`] index, u8) ‖ key length (u32) ‖
//! key ‖ value length + 1, 0 for a removal (u32) ‖ value ‖ FNV-1a 64 of everything before
//! (u64); integers big-endian. The checksum catches a record this code misreads, which
//! then stops the opening with an error naming the record.

use std::collections::BTreeMap;

use super::EmbeddedStore;
use super::ops::{TREES, TreeId};
use crate::store::StoreError;

/// The name of the tree that holds records not yet applied and removed.
pub(super) const TREE: &str = "journal";

const VERSION: u8 = 1;

/// A commit's key-level writes, by tree and key (a later write to a key replaces an
/// earlier one); `None`: removal.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct Writes([BTreeMap<Vec<u8>, Option<Vec<u8>>>; TREES]);

impl Writes {
    pub(super) fn put(&mut self, tree: TreeId, key: Vec<u8>, value: Vec<u8>) {
        self.0[tree.index()].insert(key, Some(value));
    }

    pub(super) fn remove(&mut self, tree: TreeId, key: Vec<u8>) {
        self.0[tree.index()].insert(key, None);
    }

    /// What this commit already wrote to `key` (`Some(None)`: it removed it), if anything.
    pub(super) fn get(&self, tree: TreeId, key: &[u8]) -> Option<Option<&[u8]>> {
        self.0[tree.index()].get(key).map(Option::as_deref)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.0.iter().map(BTreeMap::len).sum()
    }

    fn iter(&self) -> impl Iterator<Item = (TreeId, &[u8], Option<&[u8]>)> {
        self.0.iter().enumerate().flat_map(|(i, m)| {
            let tree = TreeId::from_index(i).expect("one map per tree");
            m.iter()
                .map(move |(k, v)| (tree, k.as_slice(), v.as_deref()))
        })
    }
}

/// Why a record does not read.
#[derive(Debug, thiserror::Error, PartialEq)]
pub(super) enum Malformed {
    #[error("{0} bytes, too short for a record")]
    Short(usize),
    #[error("version {0}, not one this build reads (1)")]
    Version(u8),
    #[error("checksum mismatch")]
    Checksum,
    #[error("write {0} runs past the end")]
    Truncated(u32),
    #[error("write {write} names tree {tree}, which does not exist")]
    Tree { write: u32, tree: u8 },
    #[error("{0} bytes after the last write")]
    Trailing(usize),
}

/// FNV-1a, 64 bits: small, stable across builds and platforms.
fn checksum(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The record of `writes` (format in the module's documentation), as older versions
/// wrote it: the tests make the records a crash left with it.
#[cfg(test)]
pub(super) fn encode(writes: &Writes) -> Vec<u8> {
    let size: usize = writes
        .iter()
        .map(|(_, k, v)| 9 + k.len() + v.map_or(0, <[u8]>::len))
        .sum();
    let mut out = Vec::with_capacity(1 + 4 + size + 8);
    out.push(VERSION);
    out.extend((writes.len() as u32).to_be_bytes());
    for (tree, k, v) in writes.iter() {
        out.push(tree.index() as u8);
        out.extend((k.len() as u32).to_be_bytes());
        out.extend_from_slice(k);
        out.extend(v.map_or(0, |v| v.len() as u32 + 1).to_be_bytes());
        if let Some(v) = v {
            out.extend_from_slice(v);
        }
    }
    out.extend(checksum(&out).to_be_bytes());
    out
}

/// The writes of a record.
pub(super) fn decode(rec: &[u8]) -> Result<Writes, Malformed> {
    if rec.len() < 1 + 4 + 8 {
        return Err(Malformed::Short(rec.len()));
    }
    if rec[0] != VERSION {
        return Err(Malformed::Version(rec[0]));
    }
    let (body, sum) = rec.split_at(rec.len() - 8);
    if checksum(body).to_be_bytes() != sum {
        return Err(Malformed::Checksum);
    }
    let mut r = Reader { rest: &body[1..] };
    let count = r.u32().ok_or(Malformed::Truncated(0))?;
    let mut w = Writes::default();
    for i in 0..count {
        let (tree, key, value) = r.write().ok_or(Malformed::Truncated(i))?;
        let tree =
            TreeId::from_index(usize::from(tree)).ok_or(Malformed::Tree { write: i, tree })?;
        match value {
            Some(v) => w.put(tree, key.to_vec(), v.to_vec()),
            None => w.remove(tree, key.to_vec()),
        }
    }
    if !r.rest.is_empty() {
        return Err(Malformed::Trailing(r.rest.len()));
    }
    Ok(w)
}

/// One write as read from a record: tree index, key, value (`None`: removal).
type RawWrite<'a> = (u8, &'a [u8], Option<&'a [u8]>);

/// Reads a record's body from the front; `None`: it ran out.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.rest.len() < n {
            return None;
        }
        let (head, rest) = self.rest.split_at(n);
        self.rest = rest;
        Some(head)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    fn write(&mut self) -> Option<RawWrite<'a>> {
        let tree = self.take(1)?[0];
        let klen = self.u32()? as usize;
        let key = self.take(klen)?;
        let value = match self.u32()? {
            0 => None,
            n => Some(self.take(n as usize - 1)?),
        };
        Some((tree, key, value))
    }
}

impl EmbeddedStore {
    /// Writes a checked commit as one record of the store (module documentation). The
    /// caller holds [`EmbeddedStore::writing`].
    pub(super) fn journalled(&self, writes: &Writes) -> Result<(), StoreError> {
        if let Some(why) = self.failed.reason() {
            return Err(StoreError::Backend(why));
        }
        let mut batch = kv::Batch::default();
        for (tree, k, v) in writes.iter() {
            match v {
                Some(v) => batch.insert(self.tree(tree), k, v),
                None => batch.remove(self.tree(tree), k),
            }
        }
        let done = self.db.apply_batch(batch).map_err(StoreError::from);
        if let Err(e) = &done {
            self.failed.set(|| {
                format!("a commit could not be written ({e}): restart once the cause is fixed")
            });
        }
        done
    }

    fn apply_writes(&self, writes: &Writes) -> Result<(), StoreError> {
        for (tree, k, v) in writes.iter() {
            let tree = self.tree(tree);
            match v {
                Some(v) => tree.insert(k, v)?,
                None => tree.remove(k)?,
            };
        }
        Ok(())
    }

    /// Applies and removes the records a crash left (in key order, so commit order), then
    /// flushes; returns how many. For [`EmbeddedStore::open`], before anything else uses the
    /// trees. A record that does not read stops it before anything is written, with an
    /// error that names it.
    pub(super) fn replay(&self) -> Result<usize, StoreError> {
        let mut records = Vec::new();
        for item in self.wal.iter() {
            let (k, v) = item?;
            let w = decode(&v).map_err(|e| {
                StoreError::Backend(format!(
                    "journal record {} (tree `{TREE}`) is malformed: {e}; the database \
                     was not opened, nothing was changed",
                    hex(&k)
                ))
            })?;
            records.push((k, w));
        }
        for (k, w) in &records {
            self.apply_writes(w)?;
            self.wal.remove(k)?;
        }
        if !records.is_empty() {
            self.db.flush()?;
        }
        Ok(records.len())
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Writes {
        let mut w = Writes::default();
        w.put(TreeId::Sessions, b"user".to_vec(), b"bytes".to_vec());
        w.remove(TreeId::Outbox, b"entry".to_vec());
        w.put(TreeId::Applied, vec![0, 0, 0, 7], vec![]);
        w
    }

    #[test]
    fn a_record_reads_back_as_written() {
        let w = sample();
        assert_eq!(decode(&encode(&w)).unwrap(), w);
        assert_eq!(
            decode(&encode(&Writes::default())).unwrap(),
            Writes::default()
        );
    }

    #[test]
    fn a_later_write_to_a_key_replaces_an_earlier_one() {
        let mut w = sample();
        w.remove(TreeId::Sessions, b"user".to_vec());
        assert_eq!(w.get(TreeId::Sessions, b"user"), Some(None));
        assert_eq!(w.len(), 3);
        w.put(TreeId::Outbox, b"entry".to_vec(), b"again".to_vec());
        assert_eq!(w.get(TreeId::Outbox, b"entry"), Some(Some(&b"again"[..])));
        assert_eq!(w.get(TreeId::Outbox, b"other"), None);
    }

    #[test]
    fn every_damage_is_named_never_a_panic() {
        let rec = encode(&sample());
        assert_eq!(decode(&rec[..5]), Err(Malformed::Short(5)));
        let mut v2 = rec.clone();
        v2[0] = 2;
        assert_eq!(decode(&v2), Err(Malformed::Version(2)));
        let mut flipped = rec.clone();
        flipped[10] ^= 1;
        assert_eq!(decode(&flipped), Err(Malformed::Checksum));
        // Damage that keeps the checksum right (a record this code would misread):
        // every cut of the body, resealed, is an error, not a panic.
        let body = &rec[..rec.len() - 8];
        for cut in 5..body.len() {
            let mut r = body[..cut].to_vec();
            r.extend(checksum(&r).to_be_bytes());
            assert!(
                matches!(decode(&r), Err(Malformed::Truncated(_))),
                "cut at {cut}"
            );
        }
        let mut extra = body.to_vec();
        extra.push(0);
        extra.extend(checksum(&extra).to_be_bytes());
        assert_eq!(decode(&extra), Err(Malformed::Trailing(1)));
        let mut tree = body.to_vec();
        tree[5] = 200;
        tree.extend(checksum(&tree).to_be_bytes());
        assert_eq!(
            decode(&tree),
            Err(Malformed::Tree {
                write: 0,
                tree: 200
            })
        );
    }

    mod store {
        use std::path::Path;
        use std::sync::{Arc, Barrier};

        use jiff::Timestamp;

        use super::super::*;
        use crate::store::commit::{Commit, CommitError, Committer};
        use crate::store::embedded::ops::Op;
        use crate::store::{Revision, SessionStore, UpdateLog, UserId};

        fn open(dir: &Path) -> EmbeddedStore {
            EmbeddedStore::open(dir, 8, crate::store::SyncMode::default()).unwrap()
        }

        fn session(st: &EmbeddedStore, u: UserId) -> Option<(Revision, Vec<u8>)> {
            let s = futures::executor::block_on(st.load_session(u)).unwrap()?;
            Some((s.revision, s.bytes))
        }

        /// The writes of a commit that saves a new session of `u` and marks update 7
        /// applied, checked but not applied.
        fn checked(st: &EmbeddedStore, u: UserId) -> Writes {
            let mut c = Commit::new();
            c.applied(7).session(
                u,
                Revision(None),
                Some(b"{}".to_vec()),
                Timestamp::UNIX_EPOCH,
            );
            let ops = st.resolve(&c).unwrap().ops;
            st.check(&ops, &[], None).unwrap()
        }

        /// What a crash after step 2 leaves: the record, and `applied` of its writes.
        fn crash_after(st: EmbeddedStore, w: &Writes, applied: usize) {
            st.wal.insert(9u64.to_be_bytes(), encode(w)).unwrap();
            for (tree, k, v) in w.iter().take(applied) {
                match v {
                    Some(v) => st.tree(tree).insert(k, v).unwrap(),
                    None => st.tree(tree).remove(k).unwrap(),
                };
            }
            st.db.flush().unwrap();
        }

        #[test]
        fn a_record_left_by_a_crash_is_applied_at_open_and_removed() {
            let dir = tempfile::tempdir().unwrap();
            let u = UserId(5);
            let st = open(dir.path());
            let w = checked(&st, u);
            assert_eq!(w.len(), 2, "the session and the update id");
            crash_after(st, &w, 0);
            let st = open(dir.path());
            assert_eq!(session(&st, u), Some((Revision(Some(1)), b"{}".to_vec())));
            assert!(futures::executor::block_on(st.is_applied(7)).unwrap());
            assert!(st.wal.is_empty(), "the record is gone");
        }

        #[test]
        fn a_half_applied_record_is_completed_once() {
            let dir = tempfile::tempdir().unwrap();
            let u = UserId(5);
            let st = open(dir.path());
            let w = checked(&st, u);
            crash_after(st, &w, 1);
            let st = open(dir.path());
            // Applied again, not on top: the record holds the revision it wrote.
            assert_eq!(session(&st, u), Some((Revision(Some(1)), b"{}".to_vec())));
            assert!(futures::executor::block_on(st.is_applied(7)).unwrap());
            assert!(st.wal.is_empty());
            drop(st);
            // And the replay's removal is on disk.
            let st = open(dir.path());
            assert!(st.wal.is_empty());
            assert_eq!(session(&st, u).unwrap().0, Revision(Some(1)));
        }

        #[test]
        fn a_malformed_record_stops_the_opening_with_its_name_and_changes_nothing() {
            let dir = tempfile::tempdir().unwrap();
            let u = UserId(5);
            let st = open(dir.path());
            let w = checked(&st, u);
            st.wal
                .insert(42u64.to_be_bytes(), b"garbage".to_vec())
                .unwrap();
            crash_after(st, &w, 0);
            let e = match EmbeddedStore::open(dir.path(), 8, crate::store::SyncMode::default()) {
                Ok(_) => panic!("opened with a malformed record"),
                Err(e) => e.to_string(),
            };
            assert!(e.contains("journal record 000000000000002a"), "{e}");
            assert!(e.contains("too short"), "{e}");
            // The good record (key 9, before it) was not applied either.
            let db = kv::open(dir.path().join(crate::store::embedded::from_sled::STORE)).unwrap();
            assert!(db.open_tree("sessions").unwrap().is_empty());
            assert_eq!(db.open_tree(TREE).unwrap().len(), 2);
        }

        #[test]
        fn a_commit_reads_its_own_earlier_writes() {
            let st = EmbeddedStore::temporary().unwrap();
            st.reminder_queue.insert(b"due", b"old").unwrap();
            // Removed, then queued again under the same key (a moved deadline): queued.
            let ops = [
                Op::Remove(TreeId::ReminderQueue, b"due".to_vec()),
                Op::QueueReminder {
                    key: b"due".to_vec(),
                    identity: b"id".to_vec(),
                    value: b"new".to_vec(),
                },
                Op::Put(TreeId::Applied, b"k".to_vec(), b"v".to_vec()),
                Op::Expect(TreeId::Applied, b"k".to_vec(), Some(b"v".to_vec())),
            ];
            let w = st.check(&ops, &[], None).unwrap();
            assert_eq!(
                w.get(TreeId::ReminderQueue, b"due"),
                Some(Some(&b"new"[..]))
            );
            let ops = [
                Op::Put(TreeId::Applied, b"k".to_vec(), b"v".to_vec()),
                Op::Expect(TreeId::Applied, b"k".to_vec(), None),
            ];
            assert!(matches!(
                st.check(&ops, &[], None),
                Err(CommitError::Conflict)
            ));
        }

        #[test]
        fn of_two_commits_racing_on_one_revision_exactly_one_wins() {
            let st = EmbeddedStore::temporary().unwrap();
            let u = UserId(3);
            let save = |rev: Revision, b: &[u8]| {
                let mut c = Commit::new();
                c.session(u, rev, Some(b.to_vec()), Timestamp::UNIX_EPOCH);
                c
            };
            futures::executor::block_on(st.commit(&save(Revision(None), b"0"))).unwrap();
            for round in 0..50 {
                let (rev, _) = session(&st, u).unwrap();
                let barrier = Arc::new(Barrier::new(2));
                let racers: Vec<_> = [b"a", b"b"]
                    .into_iter()
                    .map(|b| {
                        let (st, barrier, c) = (st.clone(), barrier.clone(), save(rev, b));
                        std::thread::spawn(move || {
                            barrier.wait();
                            match futures::executor::block_on(st.commit(&c)) {
                                Ok(()) => Some(b),
                                Err(CommitError::Conflict) => None,
                                Err(e) => panic!("{e}"),
                            }
                        })
                    })
                    .collect();
                let won: Vec<_> = racers
                    .into_iter()
                    .filter_map(|r| r.join().unwrap())
                    .collect();
                assert_eq!(won.len(), 1, "round {round}");
                let (now, bytes) = session(&st, u).unwrap();
                assert_eq!(now, Revision(Some(rev.next())), "round {round}");
                assert_eq!(bytes, won[0].to_vec(), "round {round}: the winner's bytes");
            }
        }
    }
}
