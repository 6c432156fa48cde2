//! A commit as one journal record: why the sled backend writes an update's changes with
//! plain inserts rather than a sled transaction, and why that is still all or nothing,
//! across a crash, on disk.
//!
//! **Why.** A sled 0.34 transaction (`pin_log`) seals the current log buffer, hands its
//! write to sled's pool, then writes a buffer of its own for the batch manifest: two log
//! writes and a wake-up of every idle pool thread per commit, whatever the flushes do
//! (BENCHMARKS.md, "The write path as one journal record per update"). Here a commit is
//! instead, under [`super::SledStore::writing`] (see "Order among writers" below):
//! 1. its expectations are checked and its writes resolved ([`super::commit`]), reading
//!    the trees through the commit's own earlier writes as a transaction would;
//! 2. ONE record holding every key-level write ([`Writes`]) is inserted into the tree
//!    `journal`, under a key from `generate_id` (big-endian, so key order is commit order);
//! 3. the writes are applied with plain `insert`/`remove`;
//! 4. the record is removed.
//!
//! Nothing of this rolls the log buffer: the inserts wait in it for the durability flush
//! that the commit's caller asks for before anything is sent ([`super::Flusher`]).
//!
//! **Crash ordering.** sled 0.34 recovers a *prefix* of its log: every tree of a `Db` is
//! pages of one page cache over one log, each write reserves its place in that log at a
//! log sequence number (LSN) that grows with each reservation, and recovery replays the
//! log in LSN order and stops at the first message it cannot read. In sled-0.34.7's
//! source: `pagecache/iterator.rs`, `LogIter::next` returns `None` at a corrupted message
//! ("found a tear") and at a read error; `check_contiguity_in_unstable_tail` cuts the
//! recovered log at the first segment missing from the tail that was not yet known
//! stable, which is how a buffer written to disk after an earlier one that was torn is
//! ignored; the batch manifest of a transaction relies on exactly this ("This data may
//! only be read if at least this future location is stable", `LogRead::BatchManifest`).
//! sled's own crash test (`tests/test_crash_recovery.rs`, `verify`) asserts this for
//! plain inserts: a single thread writes keys in order and, after the process exits at a
//! random moment (`spawn_killah`), what is recovered must be a contiguous run of them
//! (a machine that loses power relies on the tail checks above). Steps 2–4 happen in one
//! thread, one after the other, so their LSNs grow in that order, and then:
//! - no record recovered: no apply of it was either (they come after it): nothing of
//!   the commit happened;
//! - record and its removal recovered: so is every apply (they come before the removal);
//! - record recovered without its removal: some applies may be missing, none of a later
//!   commit is there (its record comes after this removal, and every other writer waits
//!   for the removal, below). [`SledStore::replay`] runs at open, before anything else
//!   reads or writes the trees, and applies the record again: every write sets a key to
//!   a final value or removes it, so applying twice is applying once; then it removes
//!   the record and flushes.
//!
//! `tests/sled_crash.rs` kills a committing child process at several moments and finds
//! a record left, and every commit whole or absent, at each reopening.
//!
//! The durability flush then works as before: once it completed, the removal is on disk,
//! so every apply is. A caveat, sled's own and not this design's: a log message larger
//! than a quarter of a segment (128 KiB) goes to a blob file written without an fsync of
//! its own (`pagecache/blob_io.rs`, `write_blob`), and a blob missing at recovery is
//! skipped (`LogRead::DanglingBlob`), not a tear; that concerns sled transactions just as
//! much.
//!
//! An error from sled in step 3 or 4 leaves the record in place and the trees perhaps
//! half-written: the store then refuses every later commit (`failed`, an error that says
//! to restart), so that no check ever reads that state, and the replay at the next start
//! completes the commit. (A failed log write already makes sled fail every later write:
//! `Log::reserve` returns its `global_error`; this covers the other errors too, such as
//! a page that could not be read.)
//!
//! **Order among writers.** A commit's check and its writes are no longer one sled
//! operation, so anything that writes a tree a commit touches, between the two, would be
//! lost or judged on a state about to change (an outbox entry rewritten for a retry
//! while a completion removes it, a reminder queued for an identity just marked done).
//! (Outbox claims are not writes: they are held in memory, [`super::claims`].) So every write that is
//! not a commit, in every module of this backend, holds the same
//! [`super::SledStore::writing`] guard as a commit does (a snapshot's gate shared, and one
//! mutex), each for one write or one small sled transaction, never across a scan; the
//! writes that do not are those made at open before the store is shared (replay itself,
//! sealing of older versions' records, migrations) and an import, which only writes into
//! an empty database and holds the guard throughout. Readers hold nothing: a reader may
//! see some of a commit's writes and not others, as it could already with the
//! transaction (sled's iterators and `get`s take its concurrency lock one step at a
//! time, so a scan or two `get`s could always straddle a commit); a snapshot
//! ([`super::SledStore::quiet`]) excludes every writer and so sees whole commits only.
//!
//! **Erasure.** A record holds what the commit writes: keys that name users by pseudonym
//! and values sealed with their owner's key, like the trees themselves. It is removed in
//! the commit that inserted it, before the mutex is released, so no record outlives the
//! commit that wrote it except across a crash, and replay removes it at the next open,
//! before any erasure can run. Its old bytes left in sled's log are noise once the owner's
//! key is destroyed ([`crate::store::shred`]), as are the trees' old versions.
//!
//! **Format** (version 1): version byte ‖ number of writes (u32) ‖ per write: tree
//! ([`TreeId`] index, u8) ‖ key length (u32) ‖ key ‖ value length + 1, 0 for a removal
//! (u32) ‖ value ‖ FNV-1a 64 of everything before (u64); integers big-endian. sled checks
//! its own messages (crc32); the checksum here catches a record this code misreads or
//! another version wrote, which then stops the opening with an error naming the record.

use std::collections::BTreeMap;

use super::SledStore;
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

    pub(super) fn is_empty(&self) -> bool {
        self.0.iter().all(BTreeMap::is_empty)
    }

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

/// The record of `writes` (format in the module's documentation).
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

impl SledStore {
    /// Writes a checked commit: its record, its writes, the record's removal (module
    /// documentation). The caller holds [`SledStore::writing`].
    pub(super) fn journalled(&self, writes: &Writes) -> Result<(), StoreError> {
        if let Some(why) = self.failed.reason() {
            return Err(StoreError::Backend(why));
        }
        if writes.is_empty() {
            return Ok(());
        }
        let key = self.db.generate_id()?.to_be_bytes();
        self.wal.insert(key, encode(writes))?;
        let done = self
            .apply_writes(writes)
            .and_then(|()| Ok(self.wal.remove(key).map(drop)?));
        if let Err(e) = &done {
            self.failed.set(|| {
                format!("a commit failed half-way ({e}): restart to complete it from the journal")
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
    /// flushes; returns how many. For [`SledStore::open`], before anything else uses the
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
        use crate::store::sled::ops::Op;
        use crate::store::{Revision, SessionStore, UpdateLog, UserId};

        fn open(dir: &Path) -> SledStore {
            SledStore::open(dir, 8).unwrap()
        }

        fn session(st: &SledStore, u: UserId) -> Option<(Revision, Vec<u8>)> {
            let s = futures::executor::block_on(st.load_session(u)).unwrap()?;
            Some((s.revision, s.bytes))
        }

        /// The writes of a commit that saves a new session of `u` and marks update 7
        /// applied, checked but not applied.
        fn checked(st: &SledStore, u: UserId) -> Writes {
            let mut c = Commit::new();
            c.applied(7).session(
                u,
                Revision(None),
                Some(b"{}".to_vec()),
                Timestamp::UNIX_EPOCH,
            );
            let (ops, _) = st.resolve(&c).unwrap();
            st.check(&ops, &[], None).unwrap()
        }

        /// What a crash after step 2 leaves: the record, and `applied` of its writes.
        fn crash_after(st: SledStore, w: &Writes, applied: usize) {
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
            let e = match SledStore::open(dir.path(), 8) {
                Ok(_) => panic!("opened with a malformed record"),
                Err(e) => e.to_string(),
            };
            assert!(e.contains("journal record 000000000000002a"), "{e}");
            assert!(e.contains("too short"), "{e}");
            // The good record (key 9, before it) was not applied either.
            let db = sled::open(dir.path()).unwrap();
            assert!(db.open_tree("sessions").unwrap().is_empty());
            assert_eq!(db.open_tree(TREE).unwrap().len(), 2);
        }

        #[test]
        fn a_commit_reads_its_own_earlier_writes() {
            let st = SledStore::temporary().unwrap();
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
            let st = SledStore::temporary().unwrap();
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
