//! `sportello migrate --from embedded --to postgres` (and `--from postgres --to
//! embedded`; `sled` is read as `embedded`): moves every record of a stopped deployment
//! from one backend to the other, then checks that the target holds the same records.
//!
//! In order; the target is written only in step 4:
//! 1. the source is opened for this process alone: the embedded store refuses while a
//!    bot runs on the data directory (its control socket answers, or the store's `LOCK`
//!    file is held). PostgreSQL cannot tell whether instances still use it: stop them
//!    first (README);
//! 2. the target must hold no data unless `force` (the embedded store: the data
//!    directory; PostgreSQL: every table);
//! 3. a snapshot of the source is taken at one point in time ([`super::snapshot`]), with
//!    the mark of the data directory's erasure journal; users the journal lists as erased
//!    after that mark are left out as a restore leaves them (`super::restore`);
//! 4. the records are imported with the source's server secret, so every pseudonym still
//!    finds its user: into PostgreSQL in one transaction (a forced import empties the
//!    tables in the same transaction), into the embedded store as a restore does (a new
//!    database in a staging directory, then moved in; the erasure journal stays);
//! 5. the target is exported again and compared with what was imported, kind by kind:
//!    the same number of records of each kind, and the same records. A difference is an
//!    error, so the command exits non-zero.
//!
//! The source's records are never changed (a data directory sled wrote is moved into the
//! embedded store, as any start would), so a failed run can be repeated with `--force`.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use super::restore::{holds_data, leave_out, replace_data};
use super::{BackupError, control};
use crate::config::{Backend, DATABASE_URL_VAR};
use crate::store::dump::{Counts, Record};
use crate::store::shred::Pseudonym;
use crate::store::{Store, StoreError, erasures};

/// What to move, and where the two backends are.
#[derive(Debug, Clone)]
pub struct Migration<'a> {
    pub from: Backend,
    pub to: Backend,
    /// The embedded store's data directory (the source or the target).
    pub dir: &'a Path,
    /// sled's page cache, in MiB, used only to read a data directory written by sled
    /// (before issue 11) when it is moved into the embedded store.
    pub cache_mb: u64,
    /// PostgreSQL's URL (the source or the target), from `SPORTELLO_DATABASE_URL` only.
    pub database_url: Option<&'a str>,
    /// Replace the data the target holds.
    pub force: bool,
}

/// What a migration moved.
#[derive(Debug, Clone, PartialEq)]
pub struct Migrated {
    /// Records in the target, per kind (equal to what was moved: checked).
    pub counts: Counts,
    /// Records of the source that could not be read and were left out.
    pub unreadable: u64,
    /// Users erased (per the journal) while the snapshot was taken, left out.
    pub erased_again: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("--from and --to are both {0}: nothing to move")]
    Same(Backend),
    #[error("PostgreSQL's URL is read from {DATABASE_URL_VAR} only: set it")]
    NoUrl,
    #[error("no data directory at {0} (give it with --data-dir or [data] dir)")]
    NoData(PathBuf),
    #[error("a sportello instance is running on {0}: stop it before migrating")]
    Running(PathBuf),
    #[error(
        "the database in {0} is open in another process (a running bot or console?): stop it before migrating ({1})"
    )]
    Locked(PathBuf, StoreError),
    #[error("the target ({0}) holds data: migrate replaces it only with --force")]
    NotEmpty(String),
    #[error("connecting to PostgreSQL: {0}")]
    Connect(StoreError),
    #[error("the target does not hold what was moved: {0}")]
    Mismatch(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Backup(BackupError),
    #[error("data directory: {0}")]
    Io(#[from] std::io::Error),
}

impl From<BackupError> for MigrateError {
    fn from(e: BackupError) -> Self {
        match e {
            BackupError::Locked(dir, e) => MigrateError::Locked(dir, e),
            BackupError::Running(dir) => MigrateError::Running(dir),
            BackupError::Store(e) => MigrateError::Store(e),
            e => MigrateError::Backup(e),
        }
    }
}

/// Moves every record from `m.from` to `m.to` (see the module documentation); `now`
/// dates the snapshot.
pub async fn migrate(m: &Migration<'_>, now: Timestamp) -> Result<Migrated, MigrateError> {
    if m.from == m.to {
        return Err(MigrateError::Same(m.from));
    }
    let url = m
        .database_url
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .ok_or(MigrateError::NoUrl)?;
    let dir = m.dir;
    let connect = async || {
        Store::connect_postgres(url)
            .await
            .map_err(MigrateError::Connect)
    };
    // 1 and 2: the source for this process alone, the target empty (or forced).
    let (source, pg_target) = match m.from {
        Backend::Embedded => {
            let source = open_embedded(dir, m.cache_mb).await?;
            let target = connect().await?;
            if !m.force && !target.is_empty().await? {
                return Err(MigrateError::NotEmpty("the PostgreSQL database".into()));
            }
            (source, Some(target))
        }
        Backend::Postgres => {
            let source = connect().await?;
            if control::running(dir).await {
                return Err(MigrateError::Running(dir.to_path_buf()));
            }
            if holds_data(dir, m.cache_mb).await? && !m.force {
                return Err(MigrateError::NotEmpty(format!(
                    "the data directory {}",
                    dir.display()
                )));
            }
            (source, None)
        }
    };
    // 3: one point in time, without users erased meanwhile.
    let snap = super::snapshot(&source, dir, now).await?;
    let erased: HashSet<Pseudonym> =
        erasures::erased_since(dir, snap.header.journal.as_ref(), snap.header.created_at)?;
    let (moved, _) = leave_out(snap.records, &erased, &snap.secret);
    tracing::info!(
        from = %m.from,
        to = %m.to,
        records = moved.len(),
        "migrating"
    );
    // 4: written with the source's secret.
    let target = match pg_target {
        Some(target) => {
            match target.import(&snap.secret, moved.clone(), m.force).await {
                Err(StoreError::NotEmpty) => {
                    return Err(MigrateError::NotEmpty("the PostgreSQL database".into()));
                }
                r => r?,
            }
            target
        }
        None => {
            replace_data(dir, m.cache_mb, &snap.secret, moved.clone()).await?;
            reopen(dir, m.cache_mb).await?
        }
    };
    drop(source);
    // 5: read back and compared.
    let mut written = Vec::with_capacity(moved.len());
    let ex = target
        .export(&mut |r| {
            written.push(r);
            Ok(())
        })
        .await?;
    if ex.secret != snap.secret {
        return Err(MigrateError::Mismatch(
            "the target makes pseudonyms with another secret".into(),
        ));
    }
    compare(&moved, &written).map_err(MigrateError::Mismatch)?;
    let counts = Counts::of(&written);
    tracing::info!(records = counts.total(), "migrated and checked");
    Ok(Migrated {
        counts,
        unreadable: snap.header.unreadable + ex.unreadable,
        erased_again: erased.len(),
    })
}

/// The embedded store in `dir`, for this process alone (a data directory written by sled
/// is moved into the store first, as [`Store::open`] does at every start; its records
/// are unchanged).
async fn open_embedded(dir: &Path, cache_mb: u64) -> Result<Store, MigrateError> {
    if control::running(dir).await {
        return Err(MigrateError::Running(dir.to_path_buf()));
    }
    if !dir.join("keys").exists() && !dir.join("db").exists() {
        return Err(MigrateError::NoData(dir.to_path_buf()));
    }
    Store::open(dir, cache_mb).map_err(|e| MigrateError::Locked(dir.to_path_buf(), e))
}

/// The embedded store just written in `dir`. The store that wrote it was dropped a
/// moment ago, and it lets go of its `LOCK` file only once a compaction under way ends:
/// wait for that (bounded), as no other process can be using the directory.
async fn reopen(dir: &Path, cache_mb: u64) -> Result<Store, MigrateError> {
    let mut tries = 0;
    loop {
        match Store::open(dir, cache_mb) {
            Ok(st) => return Ok(st),
            Err(e) if tries >= 200 => return Err(e.into()),
            Err(_) => {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
            }
        }
    }
}

/// Each kind's records as text, in a stable order (the outbox's in delivery order).
fn by_kind(records: &[Record]) -> BTreeMap<&'static str, Vec<String>> {
    let mut by: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    for r in records {
        by.entry(r.kind())
            .or_default()
            .push(serde_json::to_string(r).unwrap_or_default());
    }
    for (kind, v) in by.iter_mut() {
        if *kind != "outbox messages" {
            v.sort();
        }
    }
    by
}

/// Whether `written` holds the records of `moved`, kind by kind; else what differs.
pub fn compare(moved: &[Record], written: &[Record]) -> Result<(), String> {
    let (a, b) = (by_kind(moved), by_kind(written));
    let kinds: BTreeSet<&str> = a.keys().chain(b.keys()).copied().collect();
    let mut wrong = Vec::new();
    for kind in kinds {
        let (x, y) = (
            a.get(kind).map_or(&[][..], |v| v),
            b.get(kind).map_or(&[][..], |v| v),
        );
        if x.len() != y.len() {
            wrong.push(format!(
                "{kind}: {} moved, {} in the target",
                x.len(),
                y.len()
            ));
        } else if x != y {
            let n = x.iter().zip(y).filter(|(p, q)| p != q).count();
            wrong.push(format!("{kind}: {n} of {} differ", x.len()));
        }
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::dump::Sequence;

    #[test]
    fn a_missing_or_changed_record_is_named_by_kind() {
        let seq = |last| Record::Sequence {
            name: Sequence::Tickets,
            last,
        };
        let applied = |id| Record::Applied {
            id,
            at: Timestamp::UNIX_EPOCH,
        };
        let moved = [seq(4), applied(1), applied(2)];
        assert_eq!(compare(&moved, &[applied(2), seq(4), applied(1)]), Ok(()));
        assert_eq!(
            compare(&moved, &[seq(4), applied(1)]),
            Err("applied updates: 2 moved, 1 in the target".into())
        );
        assert_eq!(
            compare(&moved, &[seq(5), applied(1), applied(2)]),
            Err("sequences: 1 of 1 differ".into())
        );
    }
}
