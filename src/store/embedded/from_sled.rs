//! Data directories written by sled (every version before the store of issue 11) are
//! moved into the embedded store ([`kv`]) the first time a new version opens them.
//!
//! sled's files (`conf`, `db`, `blobs/`, `snap.*`) sit in the data directory itself; the
//! embedded store lives in its subdirectory `store/`. Moving:
//! 1. opens sled read-only in spirit (nothing is written to it), copies every tree, key
//!    for key, into a new store in `store.moving/`, makes its ids continue sled's, and
//!    flushes it;
//! 2. renames `store.moving/` to `store/` (the move is done, all or nothing);
//! 3. moves sled's files into `sled-before-store/`, kept as they were, for the operator
//!    to delete once the new version has run well (they are sealed like the store: an
//!    erasure destroys the key in `keys`, which both read).
//!
//! A crash in 1 leaves `store.moving/`, removed and made again at the next start; a
//! crash between 2 and 3 leaves both, and the next start finishes 3.

use std::path::Path;

use crate::store::StoreError;

/// The embedded store's folder in a data directory.
pub(super) const STORE: &str = "store";
const MOVING: &str = "store.moving";
/// Where sled's files go once moved.
pub(crate) const KEPT: &str = "sled-before-store";

/// Whether `dir` holds sled's files.
fn has_sled(dir: &Path) -> bool {
    dir.join("conf").is_file() && dir.join("db").is_file()
}

/// Moves a sled database in `dir` into the embedded store, if there is one (see the
/// module's documentation); how many keys were copied (`None`: nothing to move).
pub(super) fn move_sled(dir: &Path, cache_mb: u64) -> Result<Option<usize>, StoreError> {
    if !has_sled(dir) {
        return Ok(None);
    }
    let mut copied = None;
    if !dir.join(STORE).exists() {
        let moving = dir.join(MOVING);
        if moving.exists() {
            std::fs::remove_dir_all(&moving)?;
        }
        copied = Some(copy(dir, &moving, cache_mb)?);
        std::fs::rename(&moving, dir.join(STORE))?;
        std::fs::File::open(dir)?.sync_all()?;
    }
    let kept = dir.join(KEPT);
    std::fs::create_dir_all(&kept)?;
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let name = e.file_name();
        let Some(n) = name.to_str() else { continue };
        if n == "conf" || n == "db" || n == "blobs" || n.starts_with("snap.") {
            std::fs::rename(e.path(), kept.join(n))?;
        }
    }
    std::fs::File::open(dir)?.sync_all()?;
    tracing::warn!(
        kept = %kept.display(),
        "the data directory was sled's: moved into the embedded store; sled's files are kept \
         and may be deleted once this version runs well"
    );
    Ok(Some(copied.unwrap_or(0)))
}

fn sled_err(e: sled::Error) -> StoreError {
    StoreError::Backend(format!("reading the sled database to move it: {e}"))
}

/// Copies every tree of the sled database in `from` into a new store in `to`.
fn copy(from: &Path, to: &Path, cache_mb: u64) -> Result<usize, StoreError> {
    let old = sled::Config::new()
        .path(from)
        .cache_capacity(cache_mb * 1024 * 1024)
        .open()
        .map_err(sled_err)?;
    let new = kv::open(to)?;
    let mut n = 0;
    for name in old.tree_names() {
        if &*name == b"__sled__default" {
            continue;
        }
        let src = old.open_tree(&name).map_err(sled_err)?;
        let dst = new.open_tree(&*name)?;
        for item in src.iter() {
            let (k, v) = item.map_err(sled_err)?;
            dst.insert(&*k, &*v)?;
            n += 1;
        }
    }
    new.generate_ids_from(old.generate_id().map_err(sled_err)? + 1)?;
    new.flush()?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sled database as an older version left it: two trees and ids handed out.
    fn old_sled(dir: &Path) -> u64 {
        let db = sled::open(dir).unwrap();
        let a = db.open_tree("sessions").unwrap();
        a.insert(b"u1", b"one".to_vec()).unwrap();
        a.insert(b"u2", b"two".to_vec()).unwrap();
        db.open_tree("questions")
            .unwrap()
            .insert(b"q", b"asked".to_vec())
            .unwrap();
        let mut last = 0;
        for _ in 0..5 {
            last = db.generate_id().unwrap();
        }
        db.flush().unwrap();
        last
    }

    #[test]
    fn a_sled_directory_is_moved_with_every_key_and_ids_that_go_on() {
        let dir = tempfile::tempdir().unwrap();
        let last = old_sled(dir.path());
        assert_eq!(move_sled(dir.path(), 4).unwrap(), Some(3));
        assert!(!has_sled(dir.path()), "sled's files are moved aside");
        assert!(dir.path().join(KEPT).join("conf").is_file());
        let db = kv::open(dir.path().join(STORE)).unwrap();
        let s = db.open_tree("sessions").unwrap();
        assert_eq!(s.get(b"u2").unwrap().as_deref(), Some(&b"two"[..]));
        assert_eq!(s.len(), 2);
        let q = db.open_tree("questions").unwrap();
        assert_eq!(q.get(b"q").unwrap().as_deref(), Some(&b"asked"[..]));
        assert!(db.generate_id().unwrap() > last);
        drop(db);
        // Nothing left to move.
        assert_eq!(move_sled(dir.path(), 4).unwrap(), None);
    }

    #[test]
    fn a_move_cut_short_is_made_again_and_one_after_the_rename_is_finished() {
        let dir = tempfile::tempdir().unwrap();
        old_sled(dir.path());
        // Cut short while copying: a partial store.moving.
        let partial = kv::open(dir.path().join(MOVING)).unwrap();
        partial
            .open_tree("sessions")
            .unwrap()
            .insert(b"u1", b"x".to_vec())
            .unwrap();
        partial.flush().unwrap();
        drop(partial);
        assert_eq!(move_sled(dir.path(), 4).unwrap(), Some(3));
        let db = kv::open(dir.path().join(STORE)).unwrap();
        let s = db.open_tree("sessions").unwrap();
        assert_eq!(s.get(b"u1").unwrap().as_deref(), Some(&b"one"[..]));
        drop(db);

        // Cut short after the rename: sled's files still there beside the store.
        let dir = tempfile::tempdir().unwrap();
        old_sled(dir.path());
        let store = kv::open(dir.path().join(STORE)).unwrap();
        store
            .open_tree("sessions")
            .unwrap()
            .insert(b"kept", b"y".to_vec())
            .unwrap();
        store.flush().unwrap();
        drop(store);
        assert_eq!(move_sled(dir.path(), 4).unwrap(), Some(0));
        assert!(!has_sled(dir.path()));
        let db = kv::open(dir.path().join(STORE)).unwrap();
        let s = db.open_tree("sessions").unwrap();
        assert_eq!(
            s.get(b"kept").unwrap().as_deref(),
            Some(&b"y"[..]),
            "the store is the one moved"
        );
        assert_eq!(s.get(b"u1").unwrap(), None);
    }
}
