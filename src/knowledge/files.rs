//! Reading one file of `knowledge/` and reporting its problems as file:line errors.
//!
//! Every loader of the pack (calls and FAQs, questionnaires, the lexicon, the English view,
//! the regression set) reads its files through here, so that a missing file and a bad byte
//! offset become the same kind of [`KnowledgeError`]. Kept apart from the loaders so that
//! they all import it and none imports another for it.

use std::path::{Path, PathBuf};

use super::KnowledgeError;

/// Collects errors against one file, turning byte offsets into line numbers.
pub(crate) struct FileErrors<'a> {
    pub path: &'a Path,
    pub src: &'a str,
    pub out: &'a mut Vec<KnowledgeError>,
}

impl FileErrors<'_> {
    pub fn at(&mut self, offset: usize, message: impl Into<String>) {
        let line = self.src[..offset.min(self.src.len())].matches('\n').count() + 1;
        self.out.push(KnowledgeError {
            file: self.path.to_path_buf(),
            line,
            message: message.into(),
        });
    }

    pub fn toml(&mut self, e: toml::de::Error) {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        let msg = e.message().trim().to_string();
        self.at(offset, msg);
    }
}

/// The TOML files directly inside `dir`, sorted by name (missing directory: none).
pub(crate) fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

/// The text of `path`, or an error at line 0 when it cannot be read.
pub(crate) fn read(path: &Path, errors: &mut Vec<KnowledgeError>) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(s) => Some(s),
        Err(e) => {
            errors.push(KnowledgeError {
                file: path.to_path_buf(),
                line: 0,
                message: format!("cannot read the file: {e}"),
            });
            None
        }
    }
}
