//! Writing the staff FAQ files (`faq/staff.toml`, or one per call with
//! `[helpdesk] faq_file = "per_call"`): checked with the knowledge loader first, then each
//! written atomically (a temporary file in the same directory, synced, renamed over the
//! old one, the directory synced), with the old file kept as `<file>.bak`. A crash at any
//! point leaves each file old or new, never half-written; a directory that cannot be
//! written gives an error and leaves everything as it was. When several files change at
//! once (the layout was switched), those that gain no entry are written first: a crash
//! in between can leave an entry out for a while, never in two files (which would not
//! load).

use std::io::Write;
use std::path::{Path, PathBuf};

use std::collections::{BTreeMap, BTreeSet};

use crate::knowledge::{Knowledge, KnowledgeErrors, load_dir_over, load_dir_with};

use super::drafts::{STAFF_FILE, is_staff_file};

/// Publications are one at a time (per process; one process serves one knowledge
/// directory): each rewrites the whole staff file from every live entry, so two at once
/// would lose one of them.
pub static PUBLISH: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Loads `dir` as it would be with the staff file replaced by `text` (`None`: removed),
/// through the same loader as `knowledge/`, so the errors are the ones `sportello check`
/// and `/ricarica` give.
pub fn check(dir: &Path, text: Option<&str>) -> Result<Knowledge, KnowledgeErrors> {
    let file = dir.join(STAFF_FILE);
    load_dir_with(dir, Some((&file, text)))
}

/// The change of one staff file: its path relative to the knowledge directory, and its
/// new text (`None`: removed).
pub type FileChange = (String, Option<String>);

/// The changes that make the staff files of `dir` hold `wanted` (relative path → text):
/// files whose text differs, and staff files no longer wanted (removed).
pub fn plan(dir: &Path, wanted: &BTreeMap<String, String>) -> Vec<FileChange> {
    let mut out = Vec::new();
    let present: Vec<String> = std::fs::read_dir(dir.join("faq"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| is_staff_file(n))
        .map(|n| format!("faq/{n}"))
        .collect();
    for f in present {
        if !wanted.contains_key(&f) {
            out.push((f, None));
        }
    }
    for (f, text) in wanted {
        if std::fs::read_to_string(dir.join(f)).ok().as_deref() != Some(text) {
            out.push((f.clone(), Some(text.clone())));
        }
    }
    out
}

/// Loads `dir` as it would be after `changes`, with the errors `sportello check` gives.
pub fn check_plan(dir: &Path, changes: &[FileChange]) -> Result<Knowledge, KnowledgeErrors> {
    let paths: Vec<(PathBuf, Option<&str>)> = changes
        .iter()
        .map(|(f, t)| (dir.join(f), t.as_deref()))
        .collect();
    let overlays: Vec<(&Path, Option<&str>)> =
        paths.iter().map(|(p, t)| (p.as_path(), *t)).collect();
    load_dir_over(dir, &overlays)
}

/// The FAQ ids of a staff file's text.
fn ids(text: &str) -> BTreeSet<String> {
    toml::from_str::<toml::Value>(text)
        .ok()
        .and_then(|v| {
            v.get("faq")?.as_array().map(|a| {
                a.iter()
                    .filter_map(|f| f.get("id")?.as_str().map(str::to_string))
                    .collect()
            })
        })
        .unwrap_or_default()
}

/// Carries out `changes` (see [`write_file`]), files that gain no entry first. Stops at
/// the first error.
pub fn write_plan(dir: &Path, changes: &[FileChange]) -> std::io::Result<()> {
    let gains = |(f, text): &&FileChange| {
        let old = std::fs::read_to_string(dir.join(f)).unwrap_or_default();
        let old = ids(&old);
        text.as_deref()
            .is_some_and(|t| ids(t).iter().any(|id| !old.contains(id)))
    };
    let mut ordered: Vec<&FileChange> = changes.iter().collect();
    ordered.sort_by_key(|c| gains(c));
    for (f, text) in ordered {
        write_file(dir, f, text.as_deref())?;
    }
    Ok(())
}

/// The backup of the previous staff file.
pub fn backup_path(dir: &Path) -> PathBuf {
    backup_of(dir, STAFF_FILE)
}

/// The backup of staff file `file` (relative to `dir`).
pub fn backup_of(dir: &Path, file: &str) -> PathBuf {
    dir.join(format!("{file}.bak"))
}

#[cfg(test)]
fn temp_path(dir: &Path) -> PathBuf {
    temp_of(dir, STAFF_FILE)
}

/// `faq/.staff.toml.tmp` for `faq/staff.toml`.
fn temp_of(dir: &Path, file: &str) -> PathBuf {
    let path = dir.join(file);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp"))
}

/// Replaces the staff file with `text` (`None`: removes it), keeping the old one as a
/// backup. On error nothing visible to the loader has changed.
pub fn write(dir: &Path, text: Option<&str>) -> std::io::Result<()> {
    write_file(dir, STAFF_FILE, text)
}

/// Replaces staff file `file` (relative to `dir`) with `text` (`None`: removes it),
/// keeping the old one as `<file>.bak`. On error nothing visible to the loader has
/// changed.
pub fn write_file(dir: &Path, rel: &str, text: Option<&str>) -> std::io::Result<()> {
    let file = dir.join(rel);
    let faq = file.parent().unwrap_or(dir);
    std::fs::create_dir_all(faq)?;
    let tmp = temp_of(dir, rel);
    if let Some(text) = text {
        let written = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    }
    if file.exists()
        && let Err(e) = std::fs::copy(&file, backup_of(dir, rel))
    {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    let done = match text {
        Some(_) => std::fs::rename(&tmp, &file),
        None if file.exists() => std::fs::remove_file(&file),
        None => Ok(()),
    };
    if let Err(e) = done {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    // The rename is durable once the directory is.
    std::fs::File::open(faq)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_old_file_is_kept_and_a_failed_write_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, Some("uno")).unwrap();
        write(d, Some("due")).unwrap();
        assert_eq!(std::fs::read_to_string(d.join(STAFF_FILE)).unwrap(), "due");
        assert_eq!(std::fs::read_to_string(backup_path(d)).unwrap(), "uno");
        // The temporary file cannot be created: the error comes back, the file stays.
        std::fs::create_dir(temp_path(d)).unwrap();
        assert!(write(d, Some("tre")).is_err());
        assert_eq!(std::fs::read_to_string(d.join(STAFF_FILE)).unwrap(), "due");
        std::fs::remove_dir(temp_path(d)).unwrap();
        write(d, None).unwrap();
        assert!(!d.join(STAFF_FILE).exists());
        assert_eq!(std::fs::read_to_string(backup_path(d)).unwrap(), "due");
    }

    #[test]
    fn a_plan_changes_only_what_differs_and_removes_staff_files_no_longer_wanted() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let entry = |id: &str| format!("[[faq]]\nid = \"{id}\"\n");
        write_file(
            d,
            "faq/staff.toml",
            Some(&(entry("staff-1") + &entry("staff-2"))),
        )
        .unwrap();
        std::fs::write(d.join("faq/wecare.toml"), "x").unwrap();
        // Switched to one file per call: staff-2 moves to its call's file.
        let wanted = BTreeMap::from([
            ("faq/staff.toml".to_string(), entry("staff-1")),
            ("faq/staff-alfa.toml".to_string(), entry("staff-2")),
        ]);
        let p = plan(d, &wanted);
        assert_eq!(p.len(), 2);
        write_plan(d, &p).unwrap();
        assert_eq!(
            std::fs::read_to_string(d.join("faq/staff.toml")).unwrap(),
            entry("staff-1")
        );
        assert_eq!(
            std::fs::read_to_string(d.join("faq/staff-alfa.toml")).unwrap(),
            entry("staff-2")
        );
        assert!(
            std::fs::read_to_string(backup_of(d, "faq/staff.toml"))
                .unwrap()
                .contains("staff-2")
        );
        assert_eq!(
            plan(d, &wanted),
            Vec::<FileChange>::new(),
            "nothing left to change"
        );
        // Nothing wanted: the staff files go, a person's file stays.
        write_plan(d, &plan(d, &BTreeMap::new())).unwrap();
        assert!(!d.join("faq/staff.toml").exists() && !d.join("faq/staff-alfa.toml").exists());
        assert!(d.join("faq/wecare.toml").exists());
    }
}
