//! FAQ drafts written by staff from the chat (issue 16): what a draft holds and how it is
//! kept. A draft is changed by compare-and-swap against the draft as read
//! ([`DraftStore::swap_draft`]), so two staff pressing «Pubblica» at once publish it once:
//! only one of them moves it from `Open` to `Publishing`.
//!
//! Drafts are staff data, never shown to users: only published entries reach users, and
//! only through the knowledge files the help desk writes (`knowledge/faq/staff.toml`).

use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::StoreError;

/// Where a draft stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DraftStatus {
    /// A staff answer relayed to a user, offered to be saved («📌 Salva come FAQ»).
    Offered,
    /// Being reviewed: editable, not live.
    Open,
    /// Approved; being written. Counts as live when the file is written (a crash between
    /// the write and the status change leaves the entry in the file and here).
    Publishing,
    /// Live in the staff FAQ file.
    Published,
    /// Taken out of the file by staff (with a reason); can be restored.
    Withdrawn,
    /// Dropped before publication.
    Discarded,
}

impl DraftStatus {
    /// Whether the entry belongs in the staff FAQ file.
    pub fn live(self) -> bool {
        matches!(self, DraftStatus::Publishing | DraftStatus::Published)
    }
}

/// A proposed alternative phrasing, kept or dropped by staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alternative {
    pub text: String,
    pub keep: bool,
}

/// A FAQ entry written from the chat, from draft to publication and withdrawal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub id: u64,
    pub status: DraftStatus,
    /// The chat where it is reviewed (edits written there apply to its newest open draft).
    pub chat: i64,
    /// The ticket it came from.
    pub ticket: Option<u64>,
    pub question: String,
    pub answer: String,
    /// The call id it belongs to (`None`: general).
    pub call: Option<String>,
    pub source: String,
    pub alternatives: Vec<Alternative>,
    /// Who wrote it (Telegram user id and name).
    pub author: i64,
    pub author_name: String,
    pub created: Timestamp,
    /// Errors of the last validation (empty: it passed); `None`: not validated since the
    /// last change.
    pub errors: Option<Vec<String>>,
    /// Recent unanswered questions it would answer (from the last validation).
    pub would_answer: Vec<String>,
    /// The published draft this one replaces once published (`/faq modifica`).
    pub replaces: Option<u64>,
    /// Why it was withdrawn.
    pub reason: String,
}

impl Draft {
    /// The FAQ id of the entry in the knowledge files.
    pub fn faq_id(&self) -> String {
        format!("staff-{}", self.id)
    }

    /// The alternative phrasings staff kept.
    pub fn kept(&self) -> impl Iterator<Item = &str> {
        self.alternatives
            .iter()
            .filter(|a| a.keep)
            .map(|a| a.text.as_str())
    }
}

#[async_trait]
pub trait DraftStore: Send + Sync {
    /// The next draft id of one unique sequence.
    async fn next_draft_id(&self) -> Result<u64, StoreError>;

    async fn draft(&self, id: u64) -> Result<Option<Draft>, StoreError>;

    /// Every draft, by id.
    async fn drafts(&self) -> Result<Vec<Draft>, StoreError>;

    /// Stores `new` if the stored draft is still `before` (`None`: there was none).
    /// `false`: it changed meanwhile and nothing was written.
    async fn swap_draft(&self, before: Option<&Draft>, new: &Draft) -> Result<bool, StoreError>;
}
