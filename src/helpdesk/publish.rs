//! Writing the staff FAQ file: checked with the knowledge loader first, then written
//! atomically (a temporary file in the same directory, synced, renamed over the old one,
//! the directory synced), with the old file kept as `staff.toml.bak`. A crash at any
//! point leaves the old file or the new one, never a half-written one; a directory that
//! cannot be written gives an error and leaves everything as it was.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::knowledge::{Knowledge, KnowledgeErrors, load_dir_with};

use super::drafts::STAFF_FILE;

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

/// The backup of the previous staff file.
pub fn backup_path(dir: &Path) -> PathBuf {
    dir.join(format!("{STAFF_FILE}.bak"))
}

fn temp_path(dir: &Path) -> PathBuf {
    dir.join("faq/.staff.toml.tmp")
}

/// Replaces the staff file with `text` (`None`: removes it), keeping the old one as a
/// backup. On error nothing visible to the loader has changed.
pub fn write(dir: &Path, text: Option<&str>) -> std::io::Result<()> {
    let file = dir.join(STAFF_FILE);
    let faq = file.parent().unwrap_or(dir);
    std::fs::create_dir_all(faq)?;
    let tmp = temp_path(dir);
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
        && let Err(e) = std::fs::copy(&file, backup_path(dir))
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
}
