//! Restoring a backup into the data directory.
//!
//! In order, and nothing is touched before the file is known good:
//! 1. the whole file is read and checked (magic, format version, checksum, every record);
//! 2. no instance may be running on the directory (its control socket answers, or the
//!    database is locked);
//! 3. a directory that holds data is replaced only with `--force`;
//! 4. users the directory's erasure journal lists as erased after the backup are left
//!    out (their tickets kept without personal fields, as erasure leaves them);
//! 5. the records are imported into a new database in a staging directory inside the
//!    data directory, created with the backup's server secret;
//! 6. the old content is removed (the erasure journal stays) and the staging content
//!    moved in, entry by entry (renames within one file system).
//!
//! A failure in 5 leaves the old data as it was; one in 6 (disk trouble) can leave the
//! directory half replaced: run the restore again with `--force`.

use std::collections::HashSet;
use std::path::Path;

use super::{BackupError, control, format};
use crate::store::dump::{Counts, Record};
use crate::store::shred::Pseudonym;
use crate::store::{Store, erasures, files};

const STAGING: &str = ".restore-staging";

/// What a restore did.
#[derive(Debug, Clone, PartialEq)]
pub struct Restored {
    pub header: format::Header,
    /// Records restored, per kind.
    pub counts: Counts,
    /// Users erased (per the journal) after the backup was taken, erased again.
    pub erased_again: usize,
    /// Records left out or emptied because of those erasures.
    pub erased_records: u64,
}

/// Entries of `dir` that are data (not the journal, the socket or a staging leftover).
fn data_entries(dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    match std::fs::read_dir(dir) {
        Ok(rd) => {
            for e in rd {
                let e = e?;
                let name = e.file_name();
                if name != erasures::FILE && name != control::SOCKET && name != STAGING {
                    out.push(e.path());
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    Ok(out)
}

fn remove(path: &Path) -> std::io::Result<()> {
    if path.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    }
}

/// `records` without what belongs to the `erased` users (pseudonyms under `secret`):
/// their records left out, their tickets emptied as erasure leaves them, and the
/// unpublished FAQ drafts of their tickets left out. Returns the records kept and how
/// many of them were emptied.
pub(super) fn leave_out(
    records: Vec<Record>,
    erased: &HashSet<Pseudonym>,
    secret: &[u8; 32],
) -> (Vec<Record>, u64) {
    let mut kept: Vec<Record> = Vec::with_capacity(records.len());
    let mut emptied = 0u64;
    // Unpublished FAQ drafts hold their ticket's user's question: they go with that user.
    let erased_tickets: HashSet<u64> = records
        .iter()
        .filter_map(|r| match r {
            Record::Ticket { ticket } if r.is_about(erased, secret) => Some(ticket.number),
            _ => None,
        })
        .collect();
    for r in records {
        if let Record::Draft { draft } = &r
            && draft.status.personal()
            && draft.ticket.is_some_and(|n| erased_tickets.contains(&n))
        {
            emptied += 1;
            continue;
        }
        let about = r.is_about(erased, secret);
        if let Some(r) = r.erase(erased, secret) {
            emptied += u64::from(about);
            kept.push(r);
        }
    }
    (kept, emptied)
}

/// Replaces the data in `dir` (its erasure journal stays) with a new database holding
/// `records`, pseudonyms under `secret`: steps 5 and 6 of the module documentation.
/// The caller made sure no process uses `dir`.
pub(super) async fn replace_data(
    dir: &Path,
    cache_mb: u64,
    secret: &[u8; 32],
    records: Vec<Record>,
) -> Result<(), BackupError> {
    files::make_private(dir)?;
    let staging = dir.join(STAGING);
    if staging.exists() {
        std::fs::remove_dir_all(&staging)?;
    }
    {
        let store = Store::create_restored(&staging, cache_mb, secret)?;
        store.import(secret, records, false).await?;
        store.flush().await?;
    }
    for old in data_entries(dir)? {
        remove(&old)?;
    }
    for new in std::fs::read_dir(&staging)? {
        let new = new?;
        if new.file_name() != erasures::FILE {
            std::fs::rename(new.path(), dir.join(new.file_name()))?;
        }
    }
    std::fs::remove_dir_all(&staging)?;
    files::make_private(dir)?;
    Ok(())
}

/// Whether `dir` holds data (an empty database counts as none); fails while another
/// process holds the database.
pub(super) async fn holds_data(dir: &Path, cache_mb: u64) -> Result<bool, BackupError> {
    if data_entries(dir)?.is_empty() {
        return Ok(false);
    }
    // Opening takes the database's lock: it fails while another process holds it.
    let old = Store::open(dir, cache_mb).map_err(|e| BackupError::Locked(dir.to_path_buf(), e))?;
    let empty = old.is_empty().await?;
    drop(old);
    Ok(!empty)
}

/// Restores the backup `file` into `dir` (see the module documentation).
pub async fn restore(
    file: &Path,
    dir: &Path,
    cache_mb: u64,
    force: bool,
) -> Result<Restored, BackupError> {
    let bytes = std::fs::read(file).map_err(|source| BackupError::Read {
        path: file.to_path_buf(),
        source,
    })?;
    let snap = format::decode(&bytes).map_err(|source| BackupError::File {
        path: file.to_path_buf(),
        source,
    })?;
    drop(bytes);
    if control::running(dir).await {
        return Err(BackupError::Running(dir.to_path_buf()));
    }
    if holds_data(dir, cache_mb).await? && !force {
        return Err(BackupError::NotEmpty(dir.to_path_buf()));
    }
    files::make_private(dir)?;
    let erased: HashSet<Pseudonym> =
        erasures::erased_since(dir, snap.header.journal.as_ref(), snap.header.created_at)?;
    let total = snap.records.len() as u64;
    let (kept, emptied) = leave_out(snap.records, &erased, &snap.secret);
    let counts = Counts::of(&kept);
    replace_data(dir, cache_mb, &snap.secret, kept).await?;
    tracing::info!(
        records = counts.total(),
        erased_again = erased.len(),
        "restored {}",
        file.display()
    );
    Ok(Restored {
        header: snap.header,
        erased_records: total - counts.total() + emptied,
        counts,
        erased_again: erased.len(),
    })
}
