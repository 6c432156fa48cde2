//! Compaction: a snapshot of every tree replaces the logs before it, without stalling
//! the writers.
//!
//! 1. **The next log is made ahead**, with no lock held: the spare (below), or a new
//!    file with its magic, synced with its directory. Until a record is written to
//!    it, it holds none, and an opening removes it (the log before it stays the last,
//!    the one a crash may cut).
//! 2. **The rotation**, under the I/O lock only: the writers' buffer is written to the
//!    current log after an end mark (what follows it is not the log's: see `replay`),
//!    and the log is synced with `fdatasync` whatever the store's [`crate::Sync`]
//!    (no log may outlive the end of the one before it, even across a power loss), and
//!    the next log takes its place. Writers go on appending to their buffer meanwhile;
//!    only flushes wait, for that one sync.
//! 3. **The maps are cloned one at a time** (keys and values shared, not copied), each
//!    under its own lock, while writers go on into the new log. The clones may therefore
//!    hold some writes of the new log already (a fuzzy snapshot, as in ARIES): replaying
//!    that log over them gives the same maps, because every record sets or removes keys
//!    to what it says. So that every such write can be replayed, the new log is flushed
//!    before the snapshot may count (the snapshot's `fsync` then flushes the disk's
//!    cache after it).
//! 4. **The snapshot is written** to `snap-g.tmp` a slice at a time ([`crate::pace`]),
//!    synced, renamed `snap-g`, and the directory synced. The older files are removed
//!    without a sync (an opening removes what a snapshot replaced), except the last log,
//!    renamed `log-spare`: the next compaction's next log. Its first chunk is zeroed and
//!    synced before that rename, and the rest is zeroed ahead of the new records as a
//!    new log is allocated (`logfile`; a header of zeros always follows the records, so
//!    the old ones past it are never read). Removing a 32 MiB log and allocating the
//!    next one cost the disk bursts of work (freed blocks discarded, new ones allocated)
//!    that flushes waited 20–30 ms behind; zeroing the spare at once, 30–45 ms.
//!
//! A compaction cut short leaves a `.tmp` file, older generations, an empty next log or
//! a spare, which the next opening removes.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::db::{Shared, Then};
use crate::files;
use crate::guard::lock;
use crate::logfile::{self, LogFile};
use crate::map::TreeMap;
use crate::pace;
use crate::record::{Frame, HEADER, LOG_MAGIC, SNAP_MAGIC};
use crate::{IVec, Result};

/// Records of a snapshot hold about this many bytes each.
const SNAP_RECORD: usize = 1 << 20;

/// The maps as cloned for a snapshot: number, name and map of each tree.
pub(crate) type Clones = Vec<(u32, IVec, BTreeMap<IVec, IVec>)>;

impl Shared {
    /// One compaction (the caller holds `compacting`).
    pub(crate) fn compact(&self) -> Result<()> {
        let started = Instant::now();
        let (g, rotation) = self.rotate()?;
        let trees: Vec<Arc<TreeMap>> = {
            let trees = self.trees.read().unwrap_or_else(|e| e.into_inner());
            trees.values().cloned().collect()
        };
        let clones = trees
            .iter()
            .map(|t| (t.id(), t.name(), t.snapshot()))
            .collect();
        self.install(g, clones)?;
        tracing::info!(
            generation = g,
            took_ms = started.elapsed().as_millis() as u64,
            rotation_us = rotation.as_micros() as u64,
            "store compacted"
        );
        Ok(())
    }

    /// Makes the next log ahead and starts it (steps 1 and 2); its generation, and how
    /// long flushes were held.
    pub(crate) fn rotate(&self) -> Result<(u64, Duration)> {
        let dir = self.dir.as_deref().expect("a store on disk");
        let (g, chunk) = {
            let io = lock(&self.io);
            (io.generation + 1, io.chunk)
        };
        let spare = self.has_spare_log.swap(false, Ordering::SeqCst);
        let next = match next_log(dir, g, spare, chunk) {
            Ok(f) => f,
            Err(e) => {
                let _ = std::fs::remove_file(files::log_path(dir, g));
                // Tried again once as many bytes are logged, not at every flush.
                lock(&self.writer).since_snapshot = 0;
                return Err(e.into());
            }
        };
        let held = Instant::now();
        let mut io = lock(&self.io);
        if let Err(e) = self.check_failed() {
            let _ = std::fs::remove_file(files::log_path(dir, g));
            return Err(e);
        }
        let mut buf = {
            let mut w = lock(&self.writer);
            w.since_snapshot = 0;
            std::mem::take(&mut w.buf)
        };
        // The end mark: what follows it in this log is not its records (see `replay`).
        let mut f = Frame::new(&mut buf);
        f.end();
        f.finish();
        let chunk = io.chunk;
        let file = io.file.as_mut().expect("a store on disk has a log open");
        // Every record of this generation is on disk before the next one's first.
        if let Err(e) = file.write(&buf, chunk).and_then(|()| file.sync_full()) {
            let path = files::log_path(dir, io.generation);
            return Err(self.fail(format!("{}: {e}", path.display())));
        }
        io.file = Some(next);
        io.generation = g;
        Ok((g, held.elapsed()))
    }

    /// Makes `clones`, taken after generation `g` was started, the snapshot that
    /// replaces the files before `g` (steps 3 and 4).
    pub(crate) fn install(&self, g: u64, clones: Clones) -> Result<()> {
        let dir = self.dir.as_deref().expect("a store on disk");
        let ids_below = self.ids_below.load(Ordering::SeqCst);
        // The clones may hold writes of generation `g`: they must be in its log for good
        // before the snapshot replaces the logs before it (synced as the store syncs:
        // the snapshot's own `fsync` below flushes the disk's cache after them).
        self.write_out(Then::Sync)?;
        let tmp = files::snap_tmp_path(dir, g);
        if let Err(e) = write_snapshot(&tmp, &clones, ids_below) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e.into());
        }
        std::fs::rename(&tmp, files::snap_path(dir, g))?;
        files::sync_dir(dir)?;
        drop(clones);
        // The files replaced go; their removal need not be durable, as an opening
        // removes what a snapshot replaced. The last log is kept as the spare.
        let listing = files::list(dir)?;
        let mut logs: Vec<u64> = listing.logs.into_iter().filter(|&x| x < g).collect();
        let keep = match self.has_spare_log.load(Ordering::SeqCst) {
            false => logs.pop(),
            true => None,
        };
        for old in logs {
            std::fs::remove_file(files::log_path(dir, old))?;
        }
        for old in listing.snaps.iter().filter(|&&x| x < g) {
            std::fs::remove_file(files::snap_path(dir, *old))?;
        }
        if let Some(old) = keep {
            std::fs::rename(files::log_path(dir, old), files::spare_path(dir))?;
            self.has_spare_log.store(true, Ordering::SeqCst);
        }
        Ok(())
    }
}

/// The log of generation `g`, made and synced with its directory: it holds no record
/// yet. With a `spare`, that log renamed, its first `chunk` zeroed and synced first (its
/// old records past that are zeroed ahead of the new ones, see `logfile`).
fn next_log(dir: &Path, g: u64, spare: bool, chunk: u64) -> io::Result<LogFile> {
    let path = files::log_path(dir, g);
    if spare {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(files::spare_path(dir))?;
        let zeroed =
            (LOG_MAGIC.len() as u64 + chunk.max(HEADER as u64)).min(file.metadata()?.len());
        file.write_all_at(LOG_MAGIC, 0)?;
        logfile::write_zeros(&file, LOG_MAGIC.len() as u64, zeroed)?;
        // The zeros are on disk before the name that makes them a log.
        file.sync_data()?;
        std::fs::rename(files::spare_path(dir), &path)?;
        files::sync_dir(dir)?;
        return Ok(LogFile::recycled(file, LOG_MAGIC.len() as u64, zeroed));
    }
    let mut file = files::create(&path)?;
    file.write_all(LOG_MAGIC)?;
    let log = LogFile::new(file, LOG_MAGIC.len() as u64)?;
    files::sync_dir(dir)?;
    Ok(log)
}

/// Writes a snapshot to `tmp` and syncs it, a slice at a time (see the module's docs).
fn write_snapshot(tmp: &Path, state: &Clones, ids_below: u64) -> io::Result<()> {
    let mut out = Paced::new(files::create(tmp)?);
    out.write(SNAP_MAGIC)?;
    let mut buf = Vec::with_capacity(SNAP_RECORD + 4096);
    let mut f = Frame::new(&mut buf);
    for (id, name, _) in state {
        f.tree(*id, name);
    }
    f.ids(ids_below);
    f.finish();
    for (id, _, map) in state {
        let mut items = map.iter().peekable();
        while items.peek().is_some() {
            let mut f = Frame::new(&mut buf);
            while f.len() < SNAP_RECORD
                && let Some((k, v)) = items.next()
            {
                f.put(*id, k, v);
            }
            f.finish();
            out.write(&buf)?;
            buf.clear();
        }
    }
    let mut f = Frame::new(&mut buf);
    f.end();
    f.finish();
    out.write(&buf)?;
    out.finish()
}

/// A file written a slice at a time ([`pace`]), synced in full at the end.
struct Paced {
    file: File,
    pending: Vec<u8>,
    at: u64,
}

impl Paced {
    fn new(file: File) -> Paced {
        Paced {
            file,
            pending: Vec::with_capacity(pace::SLICE),
            at: 0,
        }
    }

    fn write(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            let n = (pace::SLICE - self.pending.len()).min(bytes.len());
            self.pending.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
            if self.pending.len() == pace::SLICE {
                pace::write_slice(&self.file, &self.pending, self.at)?;
                self.at += self.pending.len() as u64;
                self.pending.clear();
            }
        }
        Ok(())
    }

    /// Writes the rest and syncs the file in full, its size with it.
    fn finish(self) -> io::Result<()> {
        self.file.write_all_at(&self.pending, self.at)?;
        self.file.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::{Batch, Config, Db, Tree};

    /// Pair `i`: key `i` and `last` = `i` in both trees, one record.
    fn pair(db: &Db, a: &Tree, b: &Tree, i: u32) {
        let mut batch = Batch::default();
        for t in [a, b] {
            batch.insert(t, i.to_be_bytes(), vec![i as u8; 100]);
            batch.insert(t, b"last", i.to_be_bytes().to_vec());
        }
        db.apply_batch(batch).unwrap();
    }

    /// The pairs a copy of the store holds: whole, and a prefix of those made.
    fn pairs(dir: &Path) -> u32 {
        let db = Config::new().path(dir).open().unwrap();
        let (a, b) = (db.open_tree("a").unwrap(), db.open_tree("b").unwrap());
        let dump = |t: &Tree| t.iter().map(|r| r.unwrap()).collect::<Vec<_>>();
        let (da, db_) = (dump(&a), dump(&b));
        assert_eq!(da, db_, "a pair half there");
        let last = a.get(b"last").unwrap().expect("pairs");
        let last = u32::from_be_bytes(last[..].try_into().unwrap());
        assert_eq!(da.len() as u32, last + 2, "not a prefix of the pairs made");
        last + 1
    }

    #[test]
    fn a_snapshot_cloned_while_writers_go_on_replays_to_whole_pairs_at_every_cut() {
        let dir = tempfile::tempdir().unwrap();
        let db = Config::new()
            .path(dir.path())
            .preallocate(1)
            .open()
            .unwrap();
        let (a, b) = (db.open_tree("a").unwrap(), db.open_tree("b").unwrap());
        for i in 0..10 {
            pair(&db, &a, &b, i);
        }
        db.flush().unwrap();
        let sh = db.shared();
        let (g, _) = sh.rotate().unwrap();
        // Pair 10 is in both clones, pair 11 in b's only, pair 12 in neither: the
        // snapshot is of no single moment, and only the log makes it whole.
        pair(&db, &a, &b, 10);
        let ca = (a.id(), a.name(), a.read().clone());
        pair(&db, &a, &b, 11);
        let cb = (b.id(), b.name(), b.read().clone());
        pair(&db, &a, &b, 12);
        sh.install(g, vec![ca, cb]).unwrap();
        let log = crate::files::log_path(dir.path(), g);
        let flushed = std::fs::metadata(&log).unwrap().len();
        for i in 13..16 {
            pair(&db, &a, &b, i);
            db.flush().unwrap();
        }
        let bytes = std::fs::read(&log).unwrap();
        assert!(bytes.len() as u64 > flushed);
        let listing = crate::files::list(dir.path()).unwrap();
        assert_eq!((listing.logs, listing.snaps), (vec![g], vec![g]));
        // A crash may cut the log anywhere after what the compaction flushed.
        for cut in flushed as usize..=bytes.len() {
            let copy = tempfile::tempdir().unwrap();
            let snap = crate::files::snap_path(dir.path(), g);
            std::fs::copy(&snap, copy.path().join(snap.file_name().unwrap())).unwrap();
            std::fs::write(copy.path().join(log.file_name().unwrap()), &bytes[..cut]).unwrap();
            let n = pairs(copy.path());
            assert!(
                n >= 13,
                "pairs flushed before the snapshot counted are lost: {n}"
            );
            if cut == bytes.len() {
                assert_eq!(n, 16);
            }
        }
    }
}
