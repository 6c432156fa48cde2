//! How the help desk is set up (`[helpdesk]` in `config.toml`): who the staff are, who
//! approves a FAQ written from the chat, where such FAQs are written, and the language
//! staff read.
//!
//! A leaf outside `helpdesk/` (which re-exports it as `helpdesk::settings`): the user
//! dialogue's settings hold these (the dialogue says whether a person is reachable), and
//! the help desk engine sits above the dialogue, so the dialogue must not import the
//! help desk to reach them. It imports nothing of the engines or the app.

use serde::Deserialize;

use crate::ids::UserId;
use crate::text::Lang;

/// The language of everything staff read. The staff of the WECARE pack work in Italian
/// (a user's ticket says which language the user wrote in); the texts are in `locales/`.
pub const STAFF_LANG: Lang = Lang::It;

/// Who the staff are (from `config.toml`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Staff {
    /// The staff group: tickets are posted there, and whoever writes there is staff.
    pub chat: Option<i64>,
    /// Staff members who may also use the staff commands in a private chat.
    pub users: Vec<i64>,
}

impl Staff {
    /// Whether `user`, writing in `chat`, acts as staff.
    pub fn is_staff(&self, user: UserId, chat: i64) -> bool {
        self.chat.is_some_and(|c| c == chat) || self.users.contains(&user.0)
    }

    /// Whether tickets can reach a person.
    pub fn reachable(&self) -> bool {
        self.chat.is_some()
    }
}

/// Who must approve a draft (`[helpdesk] review`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Review {
    /// A second staff member approves (the default).
    #[default]
    Double,
    /// The author may approve their own draft.
    Single,
}

/// Where the entries written from the chat go (`[helpdesk] faq_file`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaqFile {
    /// All in `faq/staff.toml` (the default).
    #[default]
    Single,
    /// One file per call, `faq/staff-<call>.toml`; entries of no call in `faq/staff.toml`.
    PerCall,
}
