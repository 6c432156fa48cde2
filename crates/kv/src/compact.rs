//! Compaction: a snapshot of every tree replaces the logs before it.
//!
//! Under the locks, the current log is synced (`fdatasync`, whatever the store's
//! [`crate::Sync`]: no log may outlive the end of the one before it, even across a power
//! loss), the next generation's log is started and the maps are cloned (their keys and
//! values are shared, not copied); then, with writers going on into the new log, the
//! snapshot `snap-g` is written, synced and renamed, and the older files are removed. A
//! compaction cut short leaves a `.tmp` file and older generations, which the next
//! opening removes.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::atomic::Ordering;

use crate::db::Shared;
use crate::files;
use crate::guard::lock;
use crate::logfile::LogFile;
use crate::record::{Frame, LOG_MAGIC, SNAP_MAGIC};
use crate::{IVec, Result};

/// Records of a snapshot hold about this many bytes each.
const SNAP_RECORD: usize = 1 << 20;

impl Shared {
    /// One compaction (the caller holds `compacting`).
    pub(crate) fn compact(&self) -> Result<()> {
        let dir = self.dir.as_deref().expect("a store on disk");
        let started = std::time::Instant::now();
        let (g, state, ids_below) = {
            let mut io = lock(&self.io);
            self.check_failed()?;
            let mut w = lock(&self.writer);
            let buf = std::mem::take(&mut w.buf);
            let g = io.generation + 1;
            let chunk = io.chunk;
            let file = io.file.as_mut().expect("a store on disk has a log open");
            // Every record of this generation is on disk before the next one's first.
            let r = (|| {
                file.write(&buf, chunk)?;
                file.sync_full()?;
                let mut next = files::create(&files::log_path(dir, g))?;
                next.write_all(LOG_MAGIC)?;
                let next = LogFile::new(next, LOG_MAGIC.len() as u64)?;
                files::sync_dir(dir)?;
                io::Result::Ok(next)
            })();
            let next = match r {
                Ok(f) => f,
                Err(e) => return Err(self.fail(format!("{}: {e}", dir.display()))),
            };
            io.file = Some(next);
            io.generation = g;
            w.since_snapshot = 0;
            let trees = self.trees.read().unwrap_or_else(|e| e.into_inner());
            let state: Vec<(u32, IVec, BTreeMap<IVec, IVec>)> = trees
                .values()
                .map(|t| (t.id(), t.name(), t.snapshot()))
                .collect();
            (g, state, self.ids_below.load(Ordering::SeqCst))
        };
        let tmp = files::snap_tmp_path(dir, g);
        if let Err(e) = write_snapshot(&tmp, &state, ids_below) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e.into());
        }
        std::fs::rename(&tmp, files::snap_path(dir, g))?;
        files::sync_dir(dir)?;
        drop(state);
        let listing = files::list(dir)?;
        for old in listing.logs.iter().filter(|&&x| x < g) {
            std::fs::remove_file(files::log_path(dir, *old))?;
        }
        for old in listing.snaps.iter().filter(|&&x| x < g) {
            std::fs::remove_file(files::snap_path(dir, *old))?;
        }
        files::sync_dir(dir)?;
        tracing::info!(
            generation = g,
            took_ms = started.elapsed().as_millis() as u64,
            "store compacted"
        );
        Ok(())
    }
}

fn write_snapshot(
    tmp: &Path,
    state: &[(u32, IVec, BTreeMap<IVec, IVec>)],
    ids_below: u64,
) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 16, files::create(tmp)?);
    out.write_all(SNAP_MAGIC)?;
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
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    let mut f = Frame::new(&mut buf);
    f.end();
    f.finish();
    out.write_all(&buf)?;
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()
}
