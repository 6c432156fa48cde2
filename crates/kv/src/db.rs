//! [`Db`]: the trees, the log they are written to, and the snapshots that bound it.
//!
//! **Writes.** Every write takes one mutex (`Shared::writer`), appends its record to an
//! in-memory buffer, applies itself to its tree's map and lets the mutex go: the log's
//! order is the order of the writes, so replaying it rebuilds the maps as they were.
//! Nothing reaches the disk until [`Db::flush`], which writes the buffer at the end of
//! the current log and syncs it ([`crate::Sync`]) in the caller's thread, one flush at a
//! time; writers go on appending meanwhile. A buffer past [`WRITE_OUT`] bytes is written
//! (not synced) by the writer that filled it, so memory stays bounded between flushes
//! and a killed process loses only what the system had not been given yet.
//!
//! **Failures.** A failed write or sync of the log (a full disk) marks the store failed:
//! every later write and flush returns that error, so nothing is ever appended after a
//! record that may be torn, and the process restarts onto what the disk holds.
//!
//! **Compaction.** Once the logs since the last snapshot hold more than twice the live
//! data (and at least [`Config::compact_after`] bytes), a thread makes the next
//! generation's log ahead, then, holding flushes (not writers) for one `fdatasync`,
//! syncs the current log and starts the next one; it clones the maps one at a time while
//! writers go on, flushes the new log, and writes, syncs and renames `snap-g` a slice at
//! a time, leaving the disk to the flushes in between (the module `compact` says why
//! this keeps every write). The state at any moment is the newest snapshot plus the logs
//! from its generation on.
//!
//! **Opening** reads the newest snapshot (it must be whole: it was synced before its
//! rename) and replays the logs. In the last log, the first record that is cut short or
//! fails its checksum ends it: that is where the process died, and the file is cut
//! there. Anywhere else such a record is damage, and opening fails naming the file and
//! the byte.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use crate::files;
use crate::guard::lock;
use crate::logfile::{LogFile, Sync};
use crate::map::TreeMap;
use crate::record::{Frame, LOG_MAGIC};
use crate::replay::{self, State};
use crate::{Error, IVec, Result};

/// A writer that leaves this many bytes in the buffer writes them to the log (unsynced).
pub(crate) const WRITE_OUT: usize = 256 * 1024;
/// How [`Shared::write_out`] ends, once the buffer is written.
#[derive(Clone, Copy)]
pub(crate) enum Then {
    Nothing,
    /// Synced as the store's [`Sync`] says.
    Sync,
}

/// Ids are made durable this many at a time (an `IDS` record per stride).
const ID_STRIDE: u64 = 1 << 20;

/// How to open a store.
#[derive(Debug, Clone)]
pub struct Config {
    path: Option<PathBuf>,
    temporary: bool,
    compact_after: u64,
    sync: Sync,
    preallocate: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            path: None,
            temporary: false,
            compact_after: 32 << 20,
            sync: Sync::default(),
            preallocate: 1 << 20,
        }
    }
}

impl Config {
    pub fn new() -> Config {
        Config::default()
    }

    /// The directory of the store's files (made, private, if missing).
    pub fn path<P: AsRef<Path>>(mut self, p: P) -> Config {
        self.path = Some(p.as_ref().to_path_buf());
        self
    }

    /// A store in memory only: no files, nothing survives the process.
    pub fn temporary(mut self, t: bool) -> Config {
        self.temporary = t;
        self
    }

    /// The fewest log bytes since the last snapshot that start a compaction (32 MiB by
    /// default); it starts only once they are also more than twice the live data.
    pub fn compact_after(mut self, bytes: u64) -> Config {
        self.compact_after = bytes;
        self
    }

    /// How a flush makes the log durable ([`Sync::Written`] by default).
    pub fn sync(mut self, how: Sync) -> Config {
        self.sync = how;
        self
    }

    /// Bytes the log file grows by at a time (1 MiB by default; see [`Sync`]).
    pub fn preallocate(mut self, bytes: u64) -> Config {
        self.preallocate = bytes.max(1);
        self
    }

    pub fn open(&self) -> Result<Db> {
        match (&self.path, self.temporary) {
            (Some(p), false) => Db::open_dir(p, self),
            _ => Ok(Db::in_memory()),
        }
    }
}

/// Opens (or creates) the store in `dir` with the default configuration.
pub fn open<P: AsRef<Path>>(dir: P) -> Result<Db> {
    Config::new().path(dir).open()
}

/// The store: a handle shared by clones.
#[derive(Clone)]
pub struct Db {
    shared: Arc<Shared>,
}

pub(crate) struct Shared {
    /// `None`: a temporary store, with no log.
    pub(crate) dir: Option<PathBuf>,
    pub(crate) trees: RwLock<HashMap<IVec, Arc<TreeMap>>>,
    pub(crate) writer: Mutex<Writer>,
    pub(crate) io: Mutex<Io>,
    pub(crate) failed: Mutex<Option<String>>,
    pub(crate) has_failed: AtomicBool,
    /// The next id [`Db::generate_id`] hands out.
    pub(crate) ids: AtomicU64,
    /// Ids below this are covered by an `IDS` record already appended.
    pub(crate) ids_below: AtomicU64,
    pub(crate) compacting: AtomicBool,
    pub(crate) compact_after: u64,
    /// A compaction left `log-spare`, to be the next log.
    pub(crate) has_spare_log: AtomicBool,
    pub(crate) was_recovered: bool,
    /// The directory's lock, held while the store is open.
    pub(crate) _lock: Option<File>,
}

/// What the writer mutex guards.
pub(crate) struct Writer {
    /// Records appended and not yet written to the log file.
    pub(crate) buf: Vec<u8>,
    pub(crate) next_tree: u32,
    /// Bytes of the live keys and values (an estimate of a snapshot's size).
    pub(crate) live: u64,
    /// Bytes appended to the logs since the last snapshot.
    pub(crate) since_snapshot: u64,
}

impl Writer {
    /// Counts a write of `key` from `old` to `new` in [`Writer::live`].
    pub(crate) fn account(&mut self, key: &[u8], old: Option<&IVec>, new: Option<&IVec>) {
        let size = |v: Option<&IVec>| v.map_or(0, |v| (key.len() + v.len()) as u64);
        self.live = (self.live + size(new)).saturating_sub(size(old));
    }
}

pub(crate) struct Io {
    /// The current generation's log.
    pub(crate) file: Option<LogFile>,
    pub(crate) generation: u64,
    pub(crate) sync: Sync,
    pub(crate) chunk: u64,
    /// The buffer swapped in for the writers' at each write-out (kept for its capacity).
    pub(crate) spare: Vec<u8>,
}

impl Db {
    pub(crate) fn from_shared(shared: Arc<Shared>) -> Db {
        Db { shared }
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    fn in_memory() -> Db {
        Db::from_state(None, State::default(), 0, None, u64::MAX, Io::none(), false)
    }

    fn from_state(
        dir: Option<PathBuf>,
        state: State,
        since_snapshot: u64,
        lock_file: Option<File>,
        compact_after: u64,
        io: Io,
        was_recovered: bool,
    ) -> Db {
        let next_tree = state.trees.keys().max().map_or(0, |m| m + 1);
        let live = state
            .trees
            .values()
            .flat_map(|(_, m)| m.iter())
            .map(|(k, v)| (k.len() + v.len()) as u64)
            .sum();
        let shared = Arc::new(Shared {
            dir,
            trees: RwLock::default(),
            writer: Mutex::new(Writer {
                buf: Vec::new(),
                next_tree,
                live,
                since_snapshot,
            }),
            io: Mutex::new(io),
            failed: Mutex::new(None),
            has_failed: AtomicBool::new(false),
            ids: AtomicU64::new(state.ids_below),
            ids_below: AtomicU64::new(state.ids_below),
            compacting: AtomicBool::new(false),
            compact_after,
            has_spare_log: AtomicBool::new(false),
            was_recovered,
            _lock: lock_file,
        });
        {
            let mut trees = shared.trees.write().unwrap_or_else(|e| e.into_inner());
            for (id, (name, map)) in state.trees {
                trees.insert(name.clone(), Arc::new(TreeMap::new(id, name, map)));
            }
        }
        Db { shared }
    }

    fn open_dir(dir: &Path, config: &Config) -> Result<Db> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        let lock_file = files::lock(dir)?;
        let listing = files::list(dir)?;
        // Kept only while the store runs: a compaction makes another.
        match std::fs::remove_file(files::spare_path(dir)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
        let was_recovered = !listing.logs.is_empty() || !listing.snaps.is_empty();
        let mut state = State::default();
        let newest = listing.snaps.last().copied();
        if let Some(k) = newest {
            state.load_snapshot(&files::snap_path(dir, k))?;
        }
        let mut logs: Vec<u64> = (listing.logs.iter().copied())
            .filter(|&g| newest.is_none_or(|k| g >= k))
            .collect();
        // A log made ahead by a compaction that never started writing to it holds no
        // record: it goes, and the log before it is the last again.
        while let [.., _, g] = logs[..]
            && replay::holds_no_record(&files::log_path(dir, g))?
        {
            std::fs::remove_file(files::log_path(dir, g))?;
            files::sync_dir(dir)?;
            logs.pop();
        }
        let mut since_snapshot = 0;
        let mut end = LOG_MAGIC.len() as u64;
        for (i, &g) in logs.iter().enumerate() {
            let last = i + 1 == logs.len();
            end = state.replay_log(&files::log_path(dir, g), last)?;
            since_snapshot += end - LOG_MAGIC.len() as u64;
        }
        let generation = match logs.last() {
            Some(&g) => g,
            None => {
                let g = newest.unwrap_or(1);
                let mut f = files::create(&files::log_path(dir, g))?;
                f.write_all(LOG_MAGIC)?;
                f.sync_data()?;
                files::sync_dir(dir)?;
                g
            }
        };
        // What the newest snapshot replaced, left by a compaction cut short.
        let mut removed = false;
        for g in listing
            .logs
            .iter()
            .filter(|&&g| newest.is_some_and(|k| g < k))
        {
            std::fs::remove_file(files::log_path(dir, *g))?;
            removed = true;
        }
        for g in listing.snaps.iter().filter(|&&g| Some(g) != newest) {
            std::fs::remove_file(files::snap_path(dir, *g))?;
            removed = true;
        }
        if removed {
            files::sync_dir(dir)?;
        }
        let file = OpenOptions::new()
            .write(true)
            .open(files::log_path(dir, generation))?;
        let io = Io {
            file: Some(LogFile::new(file, end)?),
            generation,
            sync: config.sync,
            chunk: config.preallocate,
            spare: Vec::new(),
        };
        Ok(Db::from_state(
            Some(dir.to_path_buf()),
            state,
            since_snapshot,
            Some(lock_file),
            config.compact_after,
            io,
            was_recovered,
        ))
    }

    /// The names of the trees.
    pub fn tree_names(&self) -> Vec<IVec> {
        let trees = self.shared.trees.read().unwrap_or_else(|e| e.into_inner());
        let mut names: Vec<IVec> = trees.keys().cloned().collect();
        names.sort();
        names
    }

    /// A number never handed out before by this store, across restarts too.
    pub fn generate_id(&self) -> Result<u64> {
        let sh = &self.shared;
        let id = sh.ids.fetch_add(1, Ordering::SeqCst);
        if id >= sh.ids_below.load(Ordering::SeqCst) {
            let mut w = sh.writer()?;
            // Checked again under the mutex: another thread may have covered it.
            if id >= sh.ids_below.load(Ordering::SeqCst) {
                let below = id + ID_STRIDE;
                if sh.logging() {
                    let mut f = Frame::new(&mut w.buf);
                    f.ids(below);
                    w.since_snapshot += f.finish() as u64;
                }
                sh.ids_below.store(below, Ordering::SeqCst);
            }
        }
        Ok(id)
    }

    /// Makes every later [`Db::generate_id`] at least `first` (a store filled from
    /// another one keeps that one's ids unique).
    pub fn generate_ids_from(&self, first: u64) -> Result<()> {
        self.shared.ids.fetch_max(first, Ordering::SeqCst);
        self.generate_id().map(drop)
    }

    /// Writes every write so far to the log and syncs it; the bytes written.
    pub fn flush(&self) -> Result<usize> {
        let n = self.shared.write_out(Then::Sync)?;
        self.shared.maybe_compact();
        Ok(n)
    }

    pub async fn flush_async(&self) -> Result<usize> {
        self.flush()
    }

    /// Whether the store was opened on files written before.
    pub fn was_recovered(&self) -> bool {
        self.shared.was_recovered
    }

    /// Bytes of the store's files.
    pub fn size_on_disk(&self) -> Result<u64> {
        let Some(dir) = &self.shared.dir else {
            return Ok(0);
        };
        let mut n = 0;
        for e in std::fs::read_dir(dir)? {
            n += e?.metadata()?.len();
        }
        Ok(n)
    }

    /// Writes a snapshot now and removes the files it replaces (tests; the store does
    /// it by itself as its logs grow).
    pub fn compact(&self) -> Result<()> {
        if self.shared.dir.is_none() {
            return Ok(());
        }
        while self.shared.compacting.swap(true, Ordering::SeqCst) {
            std::thread::yield_now();
        }
        let r = self.shared.compact();
        self.shared.compacting.store(false, Ordering::SeqCst);
        r
    }
}

impl Io {
    fn none() -> Io {
        Io {
            file: None,
            generation: 0,
            sync: Sync::default(),
            chunk: 1,
            spare: Vec::new(),
        }
    }
}

impl Shared {
    pub(crate) fn logging(&self) -> bool {
        self.dir.is_some()
    }

    pub(crate) fn check_failed(&self) -> Result<()> {
        if self.has_failed.load(Ordering::SeqCst) {
            let why = lock(&self.failed).clone().unwrap_or_default();
            return Err(Error::Failed(why));
        }
        Ok(())
    }

    pub(crate) fn fail(&self, why: String) -> Error {
        tracing::error!(%why, "the store's log could not be written: no write is taken from now on");
        let mut f = lock(&self.failed);
        f.get_or_insert(why.clone());
        self.has_failed.store(true, Ordering::SeqCst);
        Error::Failed(why)
    }

    /// The writer mutex, unless the store has failed.
    pub(crate) fn writer(&self) -> Result<MutexGuard<'_, Writer>> {
        self.check_failed()?;
        Ok(lock(&self.writer))
    }

    /// After a write that left `buffered` bytes in the buffer.
    pub(crate) fn after_write(self: &Arc<Self>, buffered: usize) -> Result<()> {
        if buffered >= WRITE_OUT {
            self.write_out(Then::Nothing)?;
        }
        Ok(())
    }

    /// Writes the buffer at the end of the log, then syncs the log as `then` says.
    pub(crate) fn write_out(&self, then: Then) -> Result<usize> {
        let Some(dir) = &self.dir else {
            return Ok(0);
        };
        let mut io = lock(&self.io);
        self.check_failed()?;
        let mut buf = std::mem::take(&mut io.spare);
        std::mem::swap(&mut buf, &mut lock(&self.writer).buf);
        let n = buf.len();
        let io = &mut *io;
        let (how, chunk) = (io.sync, io.chunk);
        let file = io.file.as_mut().expect("a store on disk has a log open");
        let r = file.write(&buf, chunk).and_then(|()| match then {
            Then::Nothing => Ok(()),
            Then::Sync => file.sync(how),
        });
        if let Err(e) = r {
            let path = files::log_path(dir, io.generation);
            return Err(self.fail(format!("{}: {e}", path.display())));
        }
        buf.clear();
        if buf.capacity() <= 4 * WRITE_OUT {
            io.spare = buf;
        }
        Ok(n)
    }

    /// Starts a compaction on a thread of its own if the logs have grown enough.
    fn maybe_compact(self: &Arc<Self>) {
        let due = {
            let w = lock(&self.writer);
            w.since_snapshot >= self.compact_after.max(2 * w.live)
        };
        if !due || self.compacting.swap(true, Ordering::SeqCst) {
            return;
        }
        let sh = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("kv-compact".into())
            .spawn(move || {
                if let Err(e) = sh.compact() {
                    tracing::error!(error = %e, "compacting the store's log failed; the logs still hold every write");
                }
                sh.compacting.store(false, Ordering::SeqCst);
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "could not start compacting the store's log");
            self.compacting.store(false, Ordering::SeqCst);
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // What was written and not flushed goes to the log, synced, as a last act.
        if self.dir.is_none() || self.has_failed.load(Ordering::SeqCst) {
            return;
        }
        let buf = std::mem::take(&mut lock(&self.writer).buf);
        let io = &mut *lock(&self.io);
        let (how, chunk) = (io.sync, io.chunk);
        if let Some(f) = io.file.as_mut()
            && let Err(e) = f.write(&buf, chunk).and_then(|()| f.sync(how))
        {
            tracing::error!(error = %e, "the store's last writes could not be flushed at close");
        }
    }
}
