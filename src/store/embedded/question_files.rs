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
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

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
    /// Removed on drop (a temporary store's).
    temporary: bool,
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
            let bytes = read(&path)?;
            let (found, _) = records(&bytes);
            out.extend(
                found
                    .into_iter()
                    .filter(|(at, _)| *at >= since)
                    .map(|(at, v)| (at, v.to_vec())),
            );
        }
        out.sort_by_key(|(at, _)| *at);
        Ok(out)
    }

    /// Removes every record asked before second `before`; returns how many. Files wholly
    /// before it are deleted, the one that straddles it is written again without them.
    pub(super) fn purge(&self, before: i64) -> io::Result<usize> {
        // No append meanwhile: the day's own file may be the one written again.
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
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
                let bytes = read(&path)?;
                out.extend(records(&bytes).0.into_iter().map(|(_, v)| v.to_vec()));
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
mod tests {
    use super::*;

    const D: i64 = 20_000; // a day number: 2024-10-04

    fn at(day: i64, second: i64) -> i64 {
        day * DAY + second
    }

    /// The entries asked since `since`, in the order read back.
    fn entries(q: &QuestionFiles, since: i64) -> Vec<Vec<u8>> {
        q.since(since)
            .unwrap()
            .into_iter()
            .map(|(_, v)| v)
            .collect()
    }

    #[test]
    fn records_come_back_by_time_across_days_and_a_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let q = QuestionFiles::open(dir.path()).unwrap();
        q.append(at(D, 10), b"primo").unwrap();
        q.append(at(D + 1, 5), b"secondo").unwrap();
        q.append(at(D + 1, 7), b"terzo").unwrap();
        drop(q);
        let q = QuestionFiles::open(dir.path()).unwrap();
        q.append(at(D + 1, 9), b"quarto").unwrap();
        let all: Vec<_> = q.since(i64::MIN).unwrap();
        let texts: Vec<&[u8]> = all.iter().map(|(_, v)| v.as_slice()).collect();
        assert_eq!(
            texts,
            [&b"primo"[..], b"secondo", b"terzo", b"quarto"],
            "oldest first"
        );
        assert_eq!(all[1].0, at(D + 1, 5));
        // A start within a day: that day's earlier records are left out, not the file.
        let later: Vec<_> = q.since(at(D + 1, 6)).unwrap();
        assert_eq!(later.len(), 2);
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["2024-10-04.log", "2024-10-05.log"]);
    }

    #[test]
    fn a_damaged_tail_is_cut_off_before_the_next_append_and_skipped_by_readers() {
        let dir = tempfile::tempdir().unwrap();
        let q = QuestionFiles::open(dir.path()).unwrap();
        q.append(at(D, 1), b"intero").unwrap();
        drop(q);
        let path = dir.path().join("2024-10-04.log");
        let whole = std::fs::metadata(&path).unwrap().len();
        // Half a record, as a power cut during its write leaves it.
        let half = &encode(at(D, 2), b"a meta")[..11];
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(half).unwrap();
        drop(f);
        let q = QuestionFiles::open(dir.path()).unwrap();
        assert_eq!(
            q.since(i64::MIN).unwrap().len(),
            1,
            "a reader stops before it"
        );
        q.append(at(D, 3), b"dopo").unwrap();
        let texts = entries(&q, i64::MIN);
        assert_eq!(texts, [b"intero".to_vec(), b"dopo".to_vec()]);
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            whole + encode(0, b"dopo").len() as u64,
            "the half record is gone"
        );
    }

    #[test]
    fn a_failed_append_is_reported_and_leaves_the_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let q = QuestionFiles::open(dir.path()).unwrap();
        q.append(at(D, 1), b"prima").unwrap();
        q.fail_appends(D);
        assert!(q.append(at(D, 2), b"persa").is_err());
        drop(q);
        let q = QuestionFiles::open(dir.path()).unwrap();
        q.append(at(D, 3), b"dopo").unwrap();
        let texts = entries(&q, i64::MIN);
        assert_eq!(texts, [b"prima".to_vec(), b"dopo".to_vec()]);
    }

    #[test]
    fn a_record_that_does_not_check_ends_what_is_read() {
        let mut bytes = encode(5, b"uno");
        let second = encode(6, b"due");
        let mut bad = second.clone();
        *bad.last_mut().unwrap() ^= 1;
        bytes.extend(&bad);
        bytes.extend(encode(7, b"tre"));
        let (found, end) = records(&bytes);
        assert_eq!(found, [(5, &b"uno"[..])]);
        assert_eq!(end, encode(5, b"uno").len());
        // A length past the rest, or absurd, ends it too.
        let mut long = encode(5, b"uno");
        long[..4].copy_from_slice(&(u32::MAX).to_le_bytes());
        assert_eq!(records(&long), (vec![], 0));
        assert_eq!(records(&second[..HEADER + 3]), (vec![], 0));
    }

    #[test]
    fn a_purge_deletes_old_days_and_rewrites_the_day_it_cuts() {
        let dir = tempfile::tempdir().unwrap();
        let q = QuestionFiles::open(dir.path()).unwrap();
        for (day, s, text) in [
            (D - 3, 0, "a"),
            (D - 1, 50, "b"),
            (D + 2, 0, "e"),
            (D, 10, "c"),
            (D, 30, "d"),
        ] {
            q.append(at(day, s), text.as_bytes()).unwrap();
        }
        let moved = q.write_moved(&[
            (at(D - 10, 0), b"m1".to_vec()),
            (at(D + 1, 0), b"m2".to_vec()),
        ]);
        assert!(moved.unwrap().starts_with("moved-"));
        assert_eq!(q.purge(at(D, 20)).unwrap(), 4, "a, b, c and m1");
        let left = entries(&q, i64::MIN);
        assert_eq!(left, [b"d".to_vec(), b"m2".to_vec(), b"e".to_vec()]);
        assert!(!dir.path().join("2024-10-01.log").exists());
        assert!(!dir.path().join("2024-10-03.log").exists());
        assert_eq!(q.moved().unwrap(), [b"m2".to_vec()]);
        // The day cut was the one appended to: appends go on after its rewrite.
        q.append(at(D, 40), b"f").unwrap();
        assert_eq!(q.purge(at(D, 20)).unwrap(), 0, "nothing more");
        let day = entries(&q, at(D, 0));
        assert_eq!(
            day,
            [b"d".to_vec(), b"f".to_vec(), b"m2".to_vec(), b"e".to_vec()]
        );
        for e in std::fs::read_dir(dir.path()).unwrap() {
            let e = e.unwrap();
            assert!(!e.file_name().to_string_lossy().ends_with(".tmp"));
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                e.metadata().unwrap().permissions().mode() & 0o777,
                FILE_MODE
            );
        }
    }

    #[test]
    fn file_names_are_dates_and_other_files_are_not_the_logs() {
        assert_eq!(day_file(D), "2024-10-04.log");
        assert_eq!(kind_of("2024-10-04.log"), Some(Kind::Day(D)));
        assert_eq!(kind_of("1969-12-31.log"), Some(Kind::Day(-1)));
        assert_eq!(kind_of("moved-123.log"), Some(Kind::Moved));
        for other in ["2024-10-04.tmp", "notes.log", "2024-13-01.log", "LOCK"] {
            assert_eq!(kind_of(other), None, "{other}");
        }
    }

    #[test]
    fn a_temporary_log_goes_with_its_last_handle() {
        let q = QuestionFiles::temporary();
        let dir = q.dir.clone();
        assert!(!dir.exists(), "made at the first append");
        assert!(q.since(i64::MIN).unwrap().is_empty());
        assert!(q.is_empty().unwrap());
        assert_eq!(q.purge(i64::MAX).unwrap(), 0);
        q.append(1, b"x").unwrap();
        assert!(dir.exists());
        assert!(!q.is_empty().unwrap());
        drop(q);
        assert!(!dir.exists());
    }
}
