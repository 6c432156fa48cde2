//! Opening: the state a snapshot and the logs after it rebuild.
//!
//! A snapshot must be whole (it was synced before its rename): any damage stops the
//! opening, naming the file and the byte. In the last log, the first record cut short or
//! failing its checksum is where the process died: the file is cut there. In an earlier
//! log such a record is damage, and stops the opening. A header of zeros ends a log's
//! records: room allocated ahead (see `logfile` and `compact`).

use std::collections::{BTreeMap, HashMap};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use crate::record::{HEADER, LOG_MAGIC, Op, Reader, SNAP_MAGIC, Stop};
use crate::{Error, IVec, Result};

/// Trees rebuilt from a snapshot and logs, by number.
#[derive(Default)]
pub(crate) struct State {
    pub(crate) trees: HashMap<u32, (IVec, BTreeMap<IVec, IVec>)>,
    pub(crate) ids_below: u64,
}

impl State {
    fn apply(&mut self, op: Op<'_>) -> std::result::Result<(), &'static str> {
        match op {
            Op::Put(t, k, v) => {
                let (_, m) = self
                    .trees
                    .get_mut(&t)
                    .ok_or("a write to a tree never named")?;
                m.insert(IVec::from(k), IVec::from(v));
            }
            Op::Del(t, k) => {
                let (_, m) = self
                    .trees
                    .get_mut(&t)
                    .ok_or("a write to a tree never named")?;
                m.remove(k);
            }
            Op::Tree(t, name) => {
                let (n, _) = self
                    .trees
                    .entry(t)
                    .or_insert_with(|| (IVec::from(name), BTreeMap::new()));
                if &**n != name {
                    return Err("one tree number given two names");
                }
            }
            Op::Ids(below) => self.ids_below = self.ids_below.max(below),
            Op::End => {}
        }
        Ok(())
    }

    pub(crate) fn load_snapshot(&mut self, path: &Path) -> Result<()> {
        let bytes = std::fs::read(path)?;
        let damaged = |at: usize, why: &str| Error::Corruption {
            at: format!("{}, byte {at}", path.display()),
            why: why.to_string(),
        };
        if bytes.get(..SNAP_MAGIC.len()) != Some(&SNAP_MAGIC[..]) {
            return Err(damaged(0, "not a snapshot of this store"));
        }
        let mut r = Reader::new(&bytes, SNAP_MAGIC.len());
        loop {
            let at = r.at;
            match r.next_record() {
                Ok(Some(ops)) => {
                    let end = ops.contains(&Op::End);
                    for op in ops {
                        self.apply(op).map_err(|why| damaged(at, why))?;
                    }
                    if end {
                        return Ok(());
                    }
                }
                Ok(None) => return Err(damaged(at, "the snapshot has no end")),
                Err(Stop::Short) => return Err(damaged(at, "the snapshot is cut short")),
                Err(Stop::Damaged(why)) => return Err(damaged(at, why)),
            }
        }
    }

    /// Replays one log; where its records end. The last log is cut at its first bad
    /// record; zeros after the records are the room allocated ahead, not damage.
    pub(crate) fn replay_log(&mut self, path: &Path, last: bool) -> Result<u64> {
        let bytes = std::fs::read(path)?;
        let damaged = |at: usize, why: &str| Error::Corruption {
            at: format!("{}, byte {at}", path.display()),
            why: why.to_string(),
        };
        if bytes.len() < LOG_MAGIC.len() && last && LOG_MAGIC.starts_with(&bytes) {
            // Made and not yet written when the process died.
            let mut f = OpenOptions::new().write(true).open(path)?;
            f.set_len(0)?;
            f.write_all(LOG_MAGIC)?;
            f.sync_data()?;
            return Ok(LOG_MAGIC.len() as u64);
        }
        if bytes.get(..LOG_MAGIC.len()) != Some(&LOG_MAGIC[..]) {
            return Err(damaged(0, "not a log of this store"));
        }
        let mut r = Reader::new(&bytes, LOG_MAGIC.len());
        // The log's last record so far was its end mark (written at a rotation).
        let mut ended = false;
        loop {
            let at = r.at;
            let stop = match r.next_record() {
                Ok(Some(ops)) => {
                    ended = ops.contains(&Op::End);
                    for op in ops {
                        self.apply(op).map_err(|why| damaged(at, why))?;
                    }
                    continue;
                }
                Ok(None) => return Ok(at as u64),
                Err(stop) => stop,
            };
            // A header of zeros: the room allocated ahead. In the last log, or after an
            // end mark, what follows it is that room or, in a recycled log, the old
            // records it is zeroed over ahead of the new ones; in an earlier log of
            // before end marks it must be zeros.
            let room = bytes[at..].iter().take(HEADER).all(|&b| b == 0);
            if (room && (last || ended)) || bytes[at..].iter().all(|&b| b == 0) {
                return Ok(at as u64);
            }
            if !last {
                let why = match stop {
                    Stop::Short => "a log before the last is cut short",
                    Stop::Damaged(why) => why,
                };
                return Err(damaged(at, why));
            }
            tracing::warn!(
                log = %path.display(),
                at,
                dropped = bytes.len() - at,
                "the log ends in a record cut short (the process stopped while writing it): cut there"
            );
            return Ok(at as u64);
        }
    }
}

/// Whether the log at `path` holds no record: its magic (or a start of it), then a
/// header of zeros or nothing. Reads those bytes only (a recycled log is MiBs long).
pub(crate) fn holds_no_record(path: &Path) -> Result<bool> {
    use std::io::Read;
    let mut head = Vec::with_capacity(LOG_MAGIC.len() + HEADER);
    std::fs::File::open(path)?
        .take((LOG_MAGIC.len() + HEADER) as u64)
        .read_to_end(&mut head)?;
    Ok(if head.len() < LOG_MAGIC.len() {
        LOG_MAGIC.starts_with(&head)
    } else {
        head.starts_with(LOG_MAGIC) && head[LOG_MAGIC.len()..].iter().all(|&b| b == 0)
    })
}
