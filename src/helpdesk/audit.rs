//! The audit log of FAQs written from the chat: one JSON line per change (who, when,
//! what, which entry, why), appended to `faq/staff-audit.log` next to the staff FAQ
//! file. Append-only: the file is opened for appending and never rewritten, so an
//! operator can read (or ship) the history of every entry with ordinary tools.

use std::io::Write;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The log, relative to the knowledge directory.
pub const AUDIT_FILE: &str = "faq/staff-audit.log";

/// One change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub at: Timestamp,
    /// Telegram user id and name of the staff member.
    pub by: i64,
    pub by_name: String,
    /// `draft`, `publish`, `withdraw`, `restore`, `discard`.
    pub action: String,
    /// The FAQ id (`staff-N`).
    pub faq: String,
    /// The reason given (withdrawals), else empty.
    pub reason: String,
}

/// Where the log of knowledge directory `dir` is.
pub fn path(dir: &Path) -> PathBuf {
    dir.join(AUDIT_FILE)
}

/// Appends one record (one line, written with a single `write` call).
pub fn append(dir: &Path, record: &AuditRecord) -> std::io::Result<()> {
    let mut line = serde_json::to_string(record)?;
    line.push('\n');
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path(dir))?;
    f.write_all(line.as_bytes())?;
    f.sync_data()
}

/// Every record, oldest first (lines that do not parse are skipped).
pub fn read(dir: &Path) -> Vec<AuditRecord> {
    std::fs::read_to_string(path(dir))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_appended_never_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("faq")).unwrap();
        let rec = |action: &str| AuditRecord {
            at: Timestamp::from_second(100).unwrap(),
            by: 4,
            by_name: "Anna".into(),
            action: action.into(),
            faq: "staff-1".into(),
            reason: String::new(),
        };
        append(dir.path(), &rec("publish")).unwrap();
        let first = std::fs::read_to_string(path(dir.path())).unwrap();
        append(dir.path(), &rec("withdraw")).unwrap();
        let both = std::fs::read_to_string(path(dir.path())).unwrap();
        assert!(both.starts_with(&first));
        let all = read(dir.path());
        assert_eq!(all, vec![rec("publish"), rec("withdraw")]);
    }
}
