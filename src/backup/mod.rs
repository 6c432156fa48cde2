//! `sportello backup FILE` and `sportello restore FILE [--force]`: a consistent,
//! versioned, checksummed snapshot of every kind of data, taken while the bot runs, and
//! restored into the configured backend.
//!
//! - `format`: the file (header, compressed records, SHA-256) and its atomic write;
//! - [`control`]: the Unix socket a running instance answers backups on (the embedded
//!   store lets one process open the database);
//! - `restore`: checking a file, refusing a data directory that holds data (unless
//!   forced), importing, and erasing again users erased after the backup (the erasure
//!   journal, [`crate::store::erasures`]);
//! - `migrate`: `sportello migrate`, the same snapshot moved straight from one backend
//!   to the other and checked record for record.
//!
//! The records are the backend-neutral ones of [`crate::store::dump`]: a backup of one
//! backend restores into another.

pub mod control;
pub mod format;
pub mod migrate;
pub mod restore;

use std::path::{Path, PathBuf};

use jiff::Timestamp;

use crate::store::dump::Counts;
use crate::store::{Store, StoreError, erasures};
use format::{FORMAT, FormatError, Header, Snapshot};

pub use migrate::{MigrateError, Migrated, Migration, migrate};
pub use restore::{Restored, restore};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{path}: {source}")]
    File {
        path: PathBuf,
        #[source]
        source: FormatError,
    },
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("writing {path}: {source} (nothing was written)")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no data directory at {0}")]
    NoData(PathBuf),
    #[error(
        "{0} is inside the data directory: keep backups elsewhere (a restore with --force replaces what is there)"
    )]
    InsideData(PathBuf),
    #[error(
        "the data directory {0} holds data: restore replaces it only with --force (its erasure journal is kept)"
    )]
    NotEmpty(PathBuf),
    #[error("a sportello instance is running on {0}: stop it before restoring")]
    Running(PathBuf),
    #[error(
        "the database in {0} is open in another process that does not answer on its control socket ({1})"
    )]
    Locked(PathBuf, StoreError),
    #[error("the running instance could not take the backup: {0}")]
    Instance(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("data directory: {0}")]
    Io(#[from] std::io::Error),
}

/// A snapshot of `store` (whose data directory is `dir`) taken at `now`.
pub async fn snapshot(store: &Store, dir: &Path, now: Timestamp) -> Result<Snapshot, BackupError> {
    // The journal's mark before the records: an erasure it misses is applied after the
    // export began, so erasing it again on restore is right (or harmless).
    let journal = erasures::mark(dir)?;
    let mut records = Vec::new();
    let ex = store
        .export(&mut |r| {
            records.push(r);
            Ok(())
        })
        .await?;
    if ex.unreadable > 0 {
        tracing::warn!(
            unreadable = ex.unreadable,
            "records that could not be read were left out of the backup"
        );
    }
    Ok(Snapshot {
        header: Header {
            format: FORMAT,
            app_version: env!("CARGO_PKG_VERSION").into(),
            created_at: now,
            backend: store.backend().into(),
            counts: Counts::of(&records),
            unreadable: ex.unreadable,
            journal,
        },
        secret: ex.secret,
        records,
    })
}

/// [`snapshot`] as the bytes of a backup file.
pub async fn snapshot_bytes(
    store: &Store,
    dir: &Path,
    now: Timestamp,
) -> Result<Vec<u8>, BackupError> {
    let s = snapshot(store, dir, now).await?;
    Ok(format::encode(&s).map_err(StoreError::from)?)
}

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub header: Header,
    pub bytes: usize,
    /// Taken by the running instance (over the control socket).
    pub by_instance: bool,
}

/// Writes a backup of the data in `dir` to `file`: asked of the instance running on it,
/// or read from the database directly when none runs.
pub async fn backup(
    dir: &Path,
    cache_mb: u64,
    file: &Path,
    now: Timestamp,
) -> Result<Written, BackupError> {
    if inside(dir, file) {
        return Err(BackupError::InsideData(file.to_path_buf()));
    }
    let (bytes, by_instance) = match control::ask(dir).await? {
        Some(bytes) => (bytes, true),
        None => {
            if !dir.join("keys").exists() && !dir.join("db").exists() {
                return Err(BackupError::NoData(dir.to_path_buf()));
            }
            let store = Store::open(dir, cache_mb)
                .map_err(|e| BackupError::Locked(dir.to_path_buf(), e))?;
            let bytes = snapshot_bytes(&store, dir, now).await?;
            (bytes, false)
        }
    };
    // What the instance sent is checked like a file read back.
    let header = format::decode(&bytes)
        .map_err(|source| BackupError::File {
            path: file.to_path_buf(),
            source,
        })?
        .header;
    format::write_atomic(file, &bytes).map_err(|source| BackupError::Write {
        path: file.to_path_buf(),
        source,
    })?;
    Ok(Written {
        header,
        bytes: bytes.len(),
        by_instance,
    })
}

/// Whether `file` would be written inside `dir`.
fn inside(dir: &Path, file: &Path) -> bool {
    let parent = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match (dir.canonicalize(), parent.canonicalize()) {
        (Ok(d), Ok(p)) => p.starts_with(d),
        _ => false,
    }
}
