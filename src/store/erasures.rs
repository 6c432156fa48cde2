//! The erasure journal: which users were erased, by pseudonym (never the id), kept in
//! the data directory so that restoring an older backup does not bring them back.
//!
//! A backup taken before a user's `/cancellami` still holds their data. Each erasure is
//! appended here (file `erasures`: a header with a random journal id, then fixed
//! entries of pseudonym ‖ erased-at seconds) once its commit is applied; a backup notes
//! the journal's id and length when it starts ([`Mark`]); a restore into the same
//! data directory erases again everyone the journal lists past that mark
//! ([`erased_since`]). The journal is never wiped by a restore, so it keeps counting
//! across restores. A pseudonym is an HMAC under the server secret: the journal tells
//! nothing about who was erased to someone without the secret.
//!
//! A journal lost with its disk cannot help: after a disk loss, erasures made since the
//! last backup come back with it (README, "Backup and restore").

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::StoreError;
use super::shred::{DataKey, PSEUDONYM, Pseudonym};

/// The journal's file name in the data directory.
pub const FILE: &str = "erasures";
const MAGIC: &[u8; 8] = b"SPERASE1";
const HEADER: usize = 8 + 16;
const ENTRY: usize = PSEUDONYM + 8;

/// Where a journal stood when a backup started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    /// The journal's identity (hex), random when it was created.
    pub id: String,
    /// Entries it held.
    pub len: u64,
}

/// One erasure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Erased {
    pub who: Pseudonym,
    pub at: Timestamp,
}

/// The journal of a data directory, appended to by the backend that erases.
pub struct Journal {
    file: Mutex<File>,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl Journal {
    /// Opens the journal of `dir`, creating it (with a fresh id) if there is none.
    pub fn open(dir: &Path) -> Result<Journal, StoreError> {
        let path = dir.join(FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)?;
        let mut head = Vec::new();
        (&file).take(HEADER as u64).read_to_end(&mut head)?;
        if head.is_empty() {
            let mut h = MAGIC.to_vec();
            h.extend_from_slice(&DataKey::random().0[..16]);
            file.write_all(&h)?;
            file.sync_all()?;
        } else if head.len() < HEADER || &head[..8] != MAGIC {
            return Err(StoreError::Backend(format!(
                "{} is not an erasure journal",
                path.display()
            )));
        }
        Ok(Journal {
            file: Mutex::new(file),
        })
    }

    /// Appends an erasure, durable when this returns.
    pub fn record(&self, who: Pseudonym, at: Timestamp) -> Result<(), StoreError> {
        let mut entry = who.0.to_vec();
        entry.extend(at.as_second().to_be_bytes());
        let mut f = self.file.lock().unwrap_or_else(|e| e.into_inner());
        f.write_all(&entry)?;
        f.sync_data()?;
        Ok(())
    }
}

/// The journal file of `dir`.
pub fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// The journal of `dir` as it stands: its id and entries (`None`: there is none).
pub fn read(dir: &Path) -> Result<Option<(String, Vec<Erased>)>, StoreError> {
    let bytes = match std::fs::read(path(dir)) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if bytes.len() < HEADER || &bytes[..8] != MAGIC {
        return Err(StoreError::Backend(format!(
            "{} is not an erasure journal",
            path(dir).display()
        )));
    }
    let entries = bytes[HEADER..]
        .chunks_exact(ENTRY)
        .filter_map(|e| {
            Some(Erased {
                who: Pseudonym::from_slice(e)?,
                at: Timestamp::from_second(i64::from_be_bytes(e[PSEUDONYM..].try_into().ok()?))
                    .ok()?,
            })
        })
        .collect();
    Ok(Some((hex(&bytes[8..HEADER]), entries)))
}

/// Where the journal of `dir` stands now (`None`: there is none).
pub fn mark(dir: &Path) -> Result<Option<Mark>, StoreError> {
    Ok(read(dir)?.map(|(id, entries)| Mark {
        id,
        len: entries.len() as u64,
    }))
}

/// The users erased in `dir` after a backup taken at `taken` with the journal at
/// `mark`: the entries past the mark when it is this journal's, else (a journal begun
/// elsewhere, or a backup without one) those at or after `taken`.
pub fn erased_since(
    dir: &Path,
    mark: Option<&Mark>,
    taken: Timestamp,
) -> Result<HashSet<Pseudonym>, StoreError> {
    let Some((id, entries)) = read(dir)? else {
        return Ok(HashSet::new());
    };
    Ok(match mark {
        Some(m) if m.id == id => entries
            .into_iter()
            .skip(m.len as usize)
            .map(|e| e.who)
            .collect(),
        _ => entries
            .into_iter()
            .filter(|e| e.at >= taken)
            .map(|e| e.who)
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::UserId;

    #[test]
    fn entries_past_a_mark_are_the_erasures_since_and_no_id_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let secret = [9; 32];
        let who = |u| Pseudonym::of(&secret, UserId(u));
        let j = Journal::open(dir.path()).unwrap();
        j.record(who(1), Timestamp::from_second(10).unwrap())
            .unwrap();
        let m = mark(dir.path()).unwrap().unwrap();
        assert_eq!(m.len, 1);
        drop(j);
        let j = Journal::open(dir.path()).unwrap();
        j.record(who(2), Timestamp::from_second(20).unwrap())
            .unwrap();
        let since = erased_since(dir.path(), Some(&m), Timestamp::UNIX_EPOCH).unwrap();
        assert_eq!(since, [who(2)].into());
        // A mark of another journal: by time.
        let other = Mark {
            id: "00".into(),
            len: 0,
        };
        let by_time = erased_since(
            dir.path(),
            Some(&other),
            Timestamp::from_second(15).unwrap(),
        );
        assert_eq!(by_time.unwrap(), [who(2)].into());
        let raw = std::fs::read(path(dir.path())).unwrap();
        assert!(!raw.windows(8).any(|w| w == 2i64.to_be_bytes()));
    }
}
