//! The official documents the pack holds: which call, which file, in what format, and
//! the citable passages it was split into.
//!
//! Only the shapes live here, with the pack, so that [`super::Knowledge`] can hold its
//! documents without importing the reader: [`crate::documents`] finds, extracts and splits
//! the files into these.

use std::path::{Path, PathBuf};

use super::{CallId, Knowledge};

/// File types read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pdf,
    Docx,
    Html,
    Text,
}

impl Format {
    /// The format of a file by its extension.
    pub fn of(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "pdf" => Format::Pdf,
            "docx" => Format::Docx,
            "html" | "htm" => Format::Html,
            "txt" => Format::Text,
            _ => return None,
        })
    }
}

/// One citable part of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    /// Article number ("5", "5-bis"), when the document is divided into articles.
    pub article: Option<String>,
    /// The article's title ("Soggetti beneficiari").
    pub heading: Option<String>,
    /// Numbered paragraph ("5.1", "3").
    pub paragraph: Option<String>,
    /// 1-based page where the passage starts (None for documents without pages, e.g. HTML).
    pub page: Option<u32>,
    /// 1-based page where it ends.
    pub last_page: Option<u32>,
    pub text: String,
}

/// An official document of a call, split into passages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficialDocument {
    pub call: CallId,
    /// Short id, unique within the call, stable while the file name stays (button data).
    pub id: String,
    /// The name used in citations ("Bando", "Linee guida").
    pub title: String,
    pub file: PathBuf,
    pub format: Format,
    pub passages: Vec<Passage>,
}

impl OfficialDocument {
    /// The file name as sent to a user.
    pub fn file_name(&self) -> String {
        self.file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.id.clone())
    }
}

impl Knowledge {
    /// A document of a call.
    pub fn document(&self, call: &str, id: &str) -> Option<&OfficialDocument> {
        self.documents
            .iter()
            .find(|d| d.call.0 == call && d.id == id)
    }
}
