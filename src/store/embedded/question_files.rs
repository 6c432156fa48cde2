//! The files the embedded backend keeps the anonymous question log in: one append-only
//! file per day (UTC) in the folder `questions/` of the data directory, so that the one
//! part of the data that grows with use takes no memory.
//!
//! **Why files of their own.** Everything in the store ([`kv`]) is held in memory. The
//! question log grows with every question (a year of it, at a few hundred questions a
//! day, is tens of MiB) and is read only for the help desk's statistics and teaching,
//! by time. Kept in files by day, it costs nothing in memory, a read is a scan of the
//! days asked for, and the retention removes whole files.
//!
//! **A record**: its length (u32, little-endian), the CRC-32 of what follows (u32,
//! little-endian), the second it was asked at (i64, big-endian), then the entry as the
//! backend sealed it for whoever asked it. Erasing a user destroys their key, so their
//! records here become noise, as in the store's own log (crypto-shredding,
//! [`crate::store::shred`]).
//!
//! **What a crash leaves.** A record is appended with one `write` before the commit that
//! logged it returns, so a killed process loses none (the kernel holds what was written)
//! and may keep one whose update is handled again after the restart (the question is
//! counted twice). The files are synced when the day's file changes, at a purge and
//! when the store closes, not at every commit: a power cut may lose what the kernel had
//! not yet written back (about the last half-minute), never the store's data. A record
//! cut short (at a power cut, or a write that failed on a full disk) is cut off before
//! the file is appended to again, so records never follow garbage; a reader stops at the
//! first record that does not check.
//!
//! Files `moved-*.log` hold what an older version kept in the store's `questions` tree,
//! moved here at the first opening (`super::questions`); they are read and purged like
//! the others.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use crate::store::files::{DIR_MODE, FILE_MODE};

/// The folder, under the data directory.
pub(super) const DIR: &str = "questions";
const DAY: i64 = 86_400;
/// Length and CRC.
const HEADER: usize = 8;
/// The second asked at, in clear, before the sealed entry.
const AT: usize = 8;
/// A record longer than this is taken for damage (an entry is a question and an id).
const MOST: usize = 1 << 20;

/// The question log's files; see the module documentation.
#[derive(Debug)]
pub(super) struct QuestionFiles {
    dir: PathBuf,
    /// The file appended to: its day and length.
    current: Mutex<Option<Current>>,
    /// Frozen views being read ([`Frozen`]); changed under `current`'s lock.
    readers: AtomicUsize,
    /// Signalled (with `current`'s lock) when the last frozen view goes.
    unfrozen: Condvar,
    /// Purges waiting for a frozen view to go (what tests wait for).
    waiting: AtomicUsize,
    /// Removed on drop (a temporary store's).
    temporary: bool,
}

/// The log as it stood when [`QuestionFiles::frozen`] was called: each file and the
/// length it had. Appends go on past those lengths; purges wait until it is dropped, so
/// every file it names still holds what it held.
#[derive(Debug)]
pub(super) struct Frozen {
    files: Arc<QuestionFiles>,
    extents: Vec<(PathBuf, u64)>,
}

#[derive(Debug)]
struct Current {
    day: i64,
    file: File,
    len: u64,
}

/// One file of the log: a day's, or one moved from an older version's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Day(i64),
    Moved,
}

impl QuestionFiles {
    /// The log in `dir` (created, private, if missing).
    pub(super) fn open(dir: &Path) -> io::Result<QuestionFiles> {
        create_private_dir(dir)?;
        Ok(QuestionFiles {
            dir: dir.to_path_buf(),
            current: Mutex::new(None),
            readers: AtomicUsize::new(0),
            unfrozen: Condvar::new(),
            waiting: AtomicUsize::new(0),
            temporary: false,
        })
    }

    /// A log in a new folder of the system's temporary directory, made at the first
    /// append and removed on drop.
    pub(super) fn temporary() -> QuestionFiles {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let nanos = jiff::Timestamp::now().as_nanosecond();
        let dir = std::env::temp_dir().join(format!(
            "sportello-questions-{}-{nanos}-{n}",
            std::process::id()
        ));
        QuestionFiles {
            dir,
            current: Mutex::new(None),
            readers: AtomicUsize::new(0),
            unfrozen: Condvar::new(),
            waiting: AtomicUsize::new(0),
            temporary: true,
        }
    }

    /// Appends one record: `sealed`, asked at second `at`. A write that fails (a full
    /// disk) leaves the file as it was.
    pub(super) fn append(&self, at: i64, sealed: &[u8]) -> io::Result<()> {
        let record = encode(at, sealed);
        let day = at.div_euclid(DAY);
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if current.as_ref().is_none_or(|c| c.day != day) {
            if let Some(old) = current.take() {
                old.file.sync_data()?;
            }
            *current = Some(self.open_day(day)?);
        }
        let c = current.as_mut().expect("opened above");
        if let Err(e) = c.file.write_all(&record) {
            // Whatever part was written goes, so that the next record follows a whole one.
            let _ = c.file.set_len(c.len);
            let _ = c.file.seek(SeekFrom::Start(c.len));
            return Err(e);
        }
        c.len += record.len() as u64;
        Ok(())
    }

    /// Opens day `day`'s file to append to, its damaged tail (if any) cut off.
    fn open_day(&self, day: i64) -> io::Result<Current> {
        if self.temporary {
            create_private_dir(&self.dir)?;
        }
        let path = self.dir.join(day_file(day));
        let created = !path.exists();
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(FILE_MODE)
            .open(&path)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let (_, whole) = records(&bytes);
        if whole < bytes.len() {
            tracing::warn!(
                file = %path.display(),
                cut = bytes.len() - whole,
                "the question log's file ended in a damaged record: cut off"
            );
            file.set_len(whole as u64)?;
            file.sync_data()?;
        }
        file.seek(SeekFrom::Start(whole as u64))?;
        if created {
            sync_dir(&self.dir)?;
        }
        Ok(Current {
            day,
            file,
            len: whole as u64,
        })
    }

    /// Every record asked at or after second `since`: (second, sealed entry), oldest
    /// first.
    pub(super) fn since(&self, since: i64) -> io::Result<Vec<(i64, Vec<u8>)>> {
        let mut out = Vec::new();
        for (path, kind) in self.files()? {
            if matches!(kind, Kind::Day(d) if (d + 1) * DAY <= since) {
                continue;
            }
            let found = file_records(&path, u64::MAX)?;
            out.extend(found.into_iter().filter(|(at, _)| *at >= since));
        }
        out.sort_by_key(|(at, _)| *at);
        Ok(out)
    }

    /// The log as it stands, to be read later without holding anything up but purges
    /// (see [`Frozen`]). Taken where no append runs (under the store's commit gate), it
    /// is the log at that point in time.
    pub(super) fn frozen(self: &Arc<Self>) -> io::Result<Frozen> {
        let current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        let mut extents = Vec::new();
        for (path, kind) in self.files()? {
            let len = match current.as_ref() {
                Some(c) if kind == Kind::Day(c.day) => c.len,
                _ => std::fs::metadata(&path)?.len(),
            };
            extents.push((path, len));
        }
        self.readers.fetch_add(1, Ordering::SeqCst);
        Ok(Frozen {
            files: self.clone(),
            extents,
        })
    }

    /// Removes every record asked before second `before`; returns how many. Files wholly
    /// before it are deleted, the one that straddles it is written again without them.
    /// Waits for the frozen views being read (a backup's) to go first.
    pub(super) fn purge(&self, before: i64) -> io::Result<usize> {
        // No append meanwhile: the day's own file may be the one written again.
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if self.readers.load(Ordering::SeqCst) > 0 {
            tracing::debug!("a purge of the question log waits for a backup reading it");
            self.waiting.fetch_add(1, Ordering::SeqCst);
            while self.readers.load(Ordering::SeqCst) > 0 {
                current = self
                    .unfrozen
                    .wait(current)
                    .unwrap_or_else(|e| e.into_inner());
            }
            self.waiting.fetch_sub(1, Ordering::SeqCst);
        }
        if let Some(c) = current.as_ref() {
            c.file.sync_data()?;
        }
        let mut removed = 0;
        for (path, kind) in self.files()? {
            let whole_day_before = matches!(kind, Kind::Day(d) if (d + 1) * DAY <= before);
            let may_hold = match kind {
                Kind::Day(d) => d * DAY < before,
                Kind::Moved => true,
            };
            if !may_hold {
                continue;
            }
            let bytes = read(&path)?;
            let (found, _) = records(&bytes);
            let old = found.iter().filter(|(at, _)| *at < before).count();
            if old == 0 && !whole_day_before {
                continue;
            }
            if let (Some(c), Kind::Day(d)) = (current.as_ref(), &kind)
                && c.day == *d
            {
                // Opened again (and checked) at the next append.
                *current = None;
            }
            if whole_day_before || old == found.len() {
                std::fs::remove_file(&path)?;
            } else {
                let mut kept = Vec::new();
                for (at, v) in found.iter().filter(|(at, _)| *at >= before) {
                    kept.extend(encode(*at, v));
                }
                replace(&path, &kept)?;
            }
            removed += old;
        }
        if removed > 0 {
            sync_dir(&self.dir)?;
        }
        Ok(removed)
    }

    /// Writes `entries` (second, sealed entry) into a new file `moved-*.log`, made
    /// durable before it appears under its name. Returns the file's name.
    pub(super) fn write_moved(&self, entries: &[(i64, Vec<u8>)]) -> io::Result<String> {
        if self.temporary {
            create_private_dir(&self.dir)?;
        }
        let mut bytes = Vec::new();
        for (at, v) in entries {
            bytes.extend(encode(*at, v));
        }
        let stamp = jiff::Timestamp::now().as_nanosecond();
        let file = format!("moved-{stamp}.log");
        replace(&self.dir.join(&file), &bytes)?;
        Ok(file)
    }

    /// The sealed entries the `moved-*.log` files hold (to move nothing twice).
    pub(super) fn moved(&self) -> io::Result<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        for (path, kind) in self.files()? {
            if kind == Kind::Moved {
                out.extend(file_records(&path, u64::MAX)?.into_iter().map(|(_, v)| v));
            }
        }
        Ok(out)
    }

    /// Makes the next appends fail as a full disk makes them (tests): the day's file is
    /// open for reading only.
    #[cfg(test)]
    pub(super) fn fail_appends(&self, day: i64) {
        let mut current = self.current.lock().unwrap();
        let path = self.dir.join(day_file(day));
        let file = File::open(&path).unwrap();
        let len = file.metadata().unwrap().len();
        *current = Some(Current { day, file, len });
    }

    /// Whether no file of the log holds anything (without reading them).
    pub(super) fn is_empty(&self) -> io::Result<bool> {
        for (path, _) in self.files()? {
            if std::fs::metadata(&path)?.len() > 0 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Makes what was appended durable.
    pub(super) fn sync(&self) -> io::Result<()> {
        let current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        match current.as_ref() {
            Some(c) => c.file.sync_data(),
            None => Ok(()),
        }
    }

    /// The log's files, in time order (the moved ones first); other files are left
    /// alone.
    fn files(&self) -> io::Result<Vec<(PathBuf, Kind)>> {
        let mut out = Vec::new();
        let dir = match std::fs::read_dir(&self.dir) {
            // A temporary log before its first append.
            Err(e) if e.kind() == io::ErrorKind::NotFound && self.temporary => return Ok(out),
            other => other?,
        };
        for entry in dir {
            let entry = entry?;
            let file = entry.file_name();
            if let Some(kind) = file.to_str().and_then(kind_of) {
                out.push((entry.path(), kind));
            }
        }
        out.sort_by_key(|(path, kind)| match kind {
            Kind::Moved => (i64::MIN, path.clone()),
            Kind::Day(d) => (*d, path.clone()),
        });
        Ok(out)
    }
}

impl Frozen {
    /// Every record of the view: (second, sealed entry), oldest first.
    pub(super) fn records(&self) -> io::Result<Vec<(i64, Vec<u8>)>> {
        let mut out = Vec::new();
        for (path, len) in &self.extents {
            out.extend(file_records(path, *len)?);
        }
        out.sort_by_key(|(at, _)| *at);
        Ok(out)
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        let files = &self.files;
        let _current = files.current.lock().unwrap_or_else(|e| e.into_inner());
        files.readers.fetch_sub(1, Ordering::SeqCst);
        files.unfrozen.notify_all();
    }
}

impl Drop for QuestionFiles {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_dir_all(&self.dir);
        } else if let Err(e) = self.sync() {
            tracing::error!("syncing the question log at close: {e}");
        }
    }
}

/// A record's bytes, in one allocation.
fn encode(at: i64, sealed: &[u8]) -> Vec<u8> {
    let len = AT + sealed.len();
    let mut out = Vec::with_capacity(HEADER + len);
    out.extend((len as u32).to_le_bytes());
    out.extend([0; 4]);
    out.extend(at.to_be_bytes());
    out.extend_from_slice(sealed);
    let crc = crc32fast::hash(&out[HEADER..]);
    out[4..HEADER].copy_from_slice(&crc.to_le_bytes());
    out
}

/// The whole records at the start of `bytes` (second, sealed entry), and where they end.
fn records(bytes: &[u8]) -> (Vec<(i64, &[u8])>, usize) {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(head) = bytes.get(at..at + HEADER) {
        let len = u32::from_le_bytes(head[..4].try_into().expect("4 bytes")) as usize;
        let crc = u32::from_le_bytes(head[4..].try_into().expect("4 bytes"));
        if !(AT..=MOST).contains(&len) {
            break;
        }
        let Some(body) = bytes.get(at + HEADER..at + HEADER + len) else {
            break;
        };
        if crc32fast::hash(body) != crc {
            break;
        }
        let second = i64::from_be_bytes(body[..AT].try_into().expect("8 bytes"));
        out.push((second, &body[AT..]));
        at += HEADER + len;
    }
    (out, at)
}

/// The file name of day `day`'s records: its date, `2026-12-07.log`.
fn day_file(day: i64) -> String {
    let date = jiff::Timestamp::from_second(day * DAY)
        .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
        .unwrap_or_default();
    format!("{date}.log")
}

/// What a file of the folder is, from its name; `None`: not the log's.
fn kind_of(file: &str) -> Option<Kind> {
    let stem = file.strip_suffix(".log")?;
    if stem.starts_with("moved-") {
        return Some(Kind::Moved);
    }
    let date: jiff::civil::Date = stem.parse().ok()?;
    let start = date.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp();
    Some(Kind::Day(start.as_second().div_euclid(DAY)))
}

fn read(path: &Path) -> io::Result<Vec<u8>> {
    match std::fs::read(path) {
        // Purged meanwhile.
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        other => other,
    }
}

/// The whole records among the first `upto` bytes of the file at `path` (none if it
/// was purged meanwhile), owned.
fn file_records(path: &Path, upto: u64) -> io::Result<Vec<(i64, Vec<u8>)>> {
    let mut bytes = Vec::new();
    match File::open(path) {
        Ok(f) => f.take(upto).read_to_end(&mut bytes)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => 0,
        Err(e) => return Err(e),
    };
    let (found, _) = records(&bytes);
    Ok(found.into_iter().map(|(at, v)| (at, v.to_vec())).collect())
}

/// Writes `bytes` as `path`, atomically and durably (a new file, synced, renamed).
fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(FILE_MODE)
        .open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_data()?;
    std::fs::rename(&tmp, path)?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE))
}

/// Makes the folder's entries (a file created, renamed or removed) durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests;
