//! The store's directory: its lock, and the names of its logs and snapshots.
//!
//! Generation `g` has a log `log-g` and, once a compaction made it, a snapshot `snap-g`:
//! the state before the first record of `log-g`. Opening reads the newest snapshot and
//! the logs from its generation on. A snapshot is written as `snap-g.tmp`, synced, and
//! renamed: a `snap-g` is always whole. A log a snapshot replaced may be kept as
//! `log-spare`, to be the next generation's log (an opening removes it).
//! Files are created readable by the owner only.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

/// What a directory holds, by generation.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    pub(crate) logs: Vec<u64>,
    pub(crate) snaps: Vec<u64>,
}

pub(crate) fn log_path(dir: &Path, g: u64) -> PathBuf {
    dir.join(format!("log-{g:08}"))
}

pub(crate) fn snap_path(dir: &Path, g: u64) -> PathBuf {
    dir.join(format!("snap-{g:08}"))
}

/// A log the last compaction replaced, to become the next generation's log.
pub(crate) fn spare_path(dir: &Path) -> PathBuf {
    dir.join("log-spare")
}

pub(crate) fn snap_tmp_path(dir: &Path, g: u64) -> PathBuf {
    dir.join(format!("snap-{g:08}.tmp"))
}

/// The generations in `dir`, sorted; snapshots left half-written are removed.
pub(crate) fn list(dir: &Path) -> io::Result<Listing> {
    let mut l = Listing::default();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.ends_with(".tmp") {
            std::fs::remove_file(e.path())?;
        } else if let Some(g) = name.strip_prefix("log-").and_then(|g| g.parse().ok()) {
            l.logs.push(g);
        } else if let Some(g) = name.strip_prefix("snap-").and_then(|g| g.parse().ok()) {
            l.snaps.push(g);
        }
    }
    l.logs.sort_unstable();
    l.snaps.sort_unstable();
    Ok(l)
}

/// A new file, readable by the owner only; an error if it exists.
pub(crate) fn create(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

/// Makes the directory's entries (a file created, renamed or removed) durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Takes the directory's lock file, exclusively, for as long as the returned file is
/// open: a second process (or a second opening in this one) gets an error of kind
/// `WouldBlock` that says «could not acquire lock».
pub(crate) fn lock(dir: &Path) -> io::Result<File> {
    let path = dir.join("LOCK");
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)?;
    // SAFETY: flock on a descriptor this function owns; no memory is passed.
    let r = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if r != 0 {
        let e = io::Error::last_os_error();
        return Err(io::Error::new(
            io::ErrorKind::WouldBlock,
            format!("could not acquire lock on {}: {e}", path.display()),
        ));
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_a_directory_is_refused_until_the_first_is_let_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock(dir.path()).unwrap();
        let e = lock(dir.path()).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
        assert!(e.to_string().starts_with("could not acquire lock"), "{e}");
        drop(first);
        lock(dir.path()).unwrap();
    }

    #[test]
    fn a_listing_sorts_generations_and_drops_half_written_snapshots() {
        let dir = tempfile::tempdir().unwrap();
        for p in [
            log_path(dir.path(), 10),
            log_path(dir.path(), 9),
            snap_path(dir.path(), 10),
            snap_tmp_path(dir.path(), 11),
        ] {
            create(&p).unwrap();
        }
        let l = list(dir.path()).unwrap();
        assert_eq!(l.logs, vec![9, 10]);
        assert_eq!(l.snaps, vec![10]);
        assert!(!snap_tmp_path(dir.path(), 11).exists());
    }
}
