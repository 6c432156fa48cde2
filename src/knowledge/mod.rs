//! The knowledge pack: calls, FAQs and synonyms read from `knowledge/`, validated.
//!
//! Files are data; this module knows their shapes. Loading never stops at the first
//! problem: every file is read and every error is reported with its file and line, so
//! `sportello check` can list them all at once.

pub mod audit;
/// Deadlines are data of the pack, kept below [`crate::text`] (which writes their dates):
/// see [`crate::deadline`].
pub use crate::deadline;
pub mod documents;
pub mod english;
mod files;
pub mod lexicon;
mod load;
pub mod questionnaire;
pub mod regression;

pub use deadline::{CallStatus, Deadline, DeadlineAt, DeadlineChange, DeadlineStatus};
pub use lexicon::{Lexicon, Size};
pub use load::{load_dir, load_dir_over, load_dir_with};

/// The pack this crate ships (`knowledge/`), for unit tests.
#[cfg(test)]
pub(crate) fn shipped() -> Knowledge {
    load_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"))
        .expect("pack loads")
}

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use questionnaire::{Questionnaire, Target};

/// The placeholder a text of the pack writes where it sends the reader to a person
/// (`Verifica la pagina ufficiale. {help_desk}`). It is filled when the text is shown,
/// from the configuration (a staff group, a contact, or neither), so the pack never
/// promises a help desk the bot does not have. Search never sees it.
pub const HELP_DESK: &str = "{help_desk}";

/// `text` with [`HELP_DESK`] replaced by `pointer`.
pub fn fill_help_desk(text: &str, pointer: &str) -> String {
    text.replace(HELP_DESK, pointer)
}

/// `text` without [`HELP_DESK`] (for indexing and for checks).
pub fn strip_help_desk(text: &str) -> String {
    text.replace(HELP_DESK, "")
}

pub use crate::ids::CallId;

/// What a call entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallKind {
    Strategy,
    Measure,
    Call,
}

/// Who may apply, as declared in a call file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicant {
    Pmi,
    GrandeImpresa,
    TerzoSettore,
    EntePubblico,
    Cittadino,
    EnteAggregatore,
}

/// Where the official text is published. `site` is a site or a full URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficialPage {
    pub title: String,
    pub site: String,
}

/// A part of a call's body that a person would cite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub id: String,
    pub title: String,
    pub text: String,
    pub source: String,
}

/// One call, measure or strategy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub id: CallId,
    pub kind: CallKind,
    pub programme: String,
    pub title: String,
    pub short: String,
    pub parent: Option<CallId>,
    pub funds: Vec<String>,
    pub budget: Option<String>,
    pub applicants: Vec<Applicant>,
    pub territory: Option<String>,
    pub summary: String,
    pub keywords: Vec<String>,
    /// Names people use for this call in a message (`alfa`, `2022`), as folded words: a
    /// message containing one is about this call.
    pub aliases: Vec<lexicon::Phrase>,
    /// Names that point to this call only when no call outside its family is named
    /// (`misura 1`, which may also be the first measure of another plan).
    pub weak_aliases: Vec<lexicon::Phrase>,
    /// Names that point to this call only in a conversation already about its family
    /// (`il bando sul welfare aziendale` while WECARE is in focus: said cold, the Region
    /// had several).
    pub focus_aliases: Vec<lexicon::Phrase>,
    pub source: String,
    pub official_page: Option<OfficialPage>,
    pub deadline: Option<Deadline>,
    /// Related calls to suggest (e.g. the calls that came after a closed one).
    pub see_also: Vec<CallId>,
    pub sections: Vec<Section>,
    /// The file it came from (for messages to maintainers).
    pub file: PathBuf,
}

impl Call {
    /// Open, closed or unknown at `now` (a call without a deadline table is unknown).
    pub fn status(&self, now: jiff::Timestamp) -> CallStatus {
        self.deadline
            .as_ref()
            .map_or(CallStatus::Unknown, |d| d.status_at(now))
    }
}

/// Who an entry is written for, when it is not for everyone. Search never shows an entry
/// to an asker of another audience (an employer asking about staff welfare never gets the
/// private citizen's answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Audience {
    /// Private citizens, workers and families asking for themselves.
    Cittadini,
    /// Firms (employers) and their representatives.
    Imprese,
    /// Third-sector bodies and public bodies.
    Enti,
}

/// The aspect of a call's overview entry (what the call is): `knowledge/README.md`.
pub const OVERVIEW_ASPECT: &str = "cos-e";

/// The aspect of an entry that says what a call's name means (an acronym spelled out):
/// `knowledge/README.md`.
pub const NAME_ASPECT: &str = "nome";

/// The aspect of the entries that say how much one project or firm can get:
/// `knowledge/README.md`. A call with no such entry (nor a call inside it) gets «non lo so»
/// for that question.
pub const AMOUNT_ASPECT: &str = "importo";

/// The aspect of the entries that say how much of a project the applicants pay themselves
/// (co-financing): `knowledge/README.md`. Under such an answer (or one with
/// [`AMOUNT_ASPECT`]), the asker's own project value gets its figures (see
/// `eligibility::grant`).
pub const COFINANCING_ASPECT: &str = "cofinanziamento";

/// The aspect of an entry that says whether a call is open: `knowledge/README.md`. Its
/// answer is the same for anyone, so it is not held against an asker who may not apply.
pub const STATUS_ASPECT: &str = "aperto";

/// A frequently asked question with its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Faq {
    pub id: String,
    pub calls: Vec<CallId>,
    /// Who the entry is for; `None`: anyone.
    pub audience: Option<Audience>,
    /// The kinds of applicant the entry speaks to (`Le grandi imprese possono…?`); empty:
    /// any. An asker who said they are of such a kind finds it first, one who said they
    /// are of another kind finds it later (see `decide`).
    pub askers: Vec<Applicant>,
    /// The entry speaks to an applicant without partner firms (`Una PMI può partecipare da
    /// sola?`): an asker who said they have partners finds it later, one who said they are
    /// alone first.
    pub alone: bool,
    /// What the entry answers about its call (`scadenza`, `risorse`, `chi`…), the main
    /// point first: «e per alfa?» after it is answered with the entry of A.L.Fa. that
    /// answers the same (see `dialogue::pointing`). Empty: not asked of another call.
    pub aspects: Vec<String>,
    /// The call the answer sends the asker on to (a closed call's status: «guarda il Piano
    /// A.L.Fa.»): after it answers a question about calls in general (`c'è qualcosa di
    /// nuovo?`), that call is in focus (see `dialogue::memory`).
    pub leads_to: Option<CallId>,
    pub question: String,
    pub alternatives: Vec<String>,
    pub answer: String,
    pub source: String,
    pub file: PathBuf,
}

/// Words and phrases that mean the same to an applicant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynonymGroup {
    pub terms: Vec<String>,
}

/// Everything loaded from the knowledge directory.
#[derive(Debug, Clone, Default)]
pub struct Knowledge {
    pub calls: Vec<Call>,
    pub faqs: Vec<Faq>,
    pub synonyms: Vec<SynonymGroup>,
    /// Chat spellings and the words of self-descriptions (`chat.toml`, `profile.toml`).
    pub lexicon: Lexicon,
    /// Eligibility questionnaires (`questionnaires/`), one per call at most, plus profiles.
    pub questionnaires: Vec<Questionnaire>,
    /// The regression set (`regression.toml`): questions and the entries that answer them.
    pub regression: Vec<regression::RegressionQuestion>,
    pub dir: PathBuf,
    /// Official documents of the calls, split into passages (read by [`crate::documents`]).
    pub documents: Vec<documents::OfficialDocument>,
    /// Problems that do not stop the load (e.g. a document that cannot be read).
    pub warnings: Vec<KnowledgeError>,
    /// The language of the texts: Italian, or English in the English view.
    pub lang: crate::text::Lang,
    /// The pack as an English reader sees it (see [`english`]); `None` inside that view.
    pub english: Option<Box<Knowledge>>,
    /// How much of each Italian file has English text (`sportello check`).
    pub english_coverage: Vec<english::Coverage>,
}

impl Knowledge {
    pub fn call(&self, id: &str) -> Option<&Call> {
        self.calls.iter().find(|c| c.id.0 == id)
    }

    pub fn questionnaire(&self, id: &str) -> Option<&Questionnaire> {
        self.questionnaires.iter().find(|q| q.id == id)
    }

    /// The questionnaire that checks a call, if it has one.
    pub fn questionnaire_for(&self, call: &CallId) -> Option<&Questionnaire> {
        self.questionnaires
            .iter()
            .find(|q| q.target == Target::Call(call.clone()))
    }

    /// The pack in `lang`: the English view when asked for English and there is one.
    pub fn in_lang(&self, lang: crate::text::Lang) -> &Knowledge {
        match (lang, &self.english) {
            (crate::text::Lang::En, Some(en)) => en,
            _ => self,
        }
    }

    pub fn faq(&self, id: &str) -> Option<&Faq> {
        self.faqs.iter().find(|f| f.id == id)
    }

    /// The entries of `call` that answer what entry `from` answers of its own call (its
    /// [`Faq::aspects`], in its order, the main one first): for each aspect, the one entry
    /// of `call` that answers it, or the one of several whose main point it is, with the
    /// aspect. Empty when `from` has no aspect or is itself about `call` (asked again of
    /// the same call, it is its own answer), or `call` has no such entry.
    pub fn same_aspect<'a>(&'a self, from: &str, call: &CallId) -> Vec<(&'a str, &'a Faq)> {
        let Some(from) = self.faq(from).filter(|f| !f.calls.contains(call)) else {
            return Vec::new();
        };
        let mut found: Vec<(&str, &Faq)> = Vec::new();
        for a in &from.aspects {
            if let Some(one) = self.aspect_entry(call, a, Some(&from.id))
                && !found.iter().any(|(_, f)| f.id == one.id)
            {
                found.push((a.as_str(), one));
            }
        }
        found
    }

    /// Whether any entry of `call` answers `aspect` (main or not).
    pub fn states_aspect(&self, call: &CallId, aspect: &str) -> bool {
        self.faqs
            .iter()
            .any(|f| f.calls.contains(call) && f.aspects.iter().any(|a| a == aspect))
    }

    /// The entry of `call` that answers `aspect` (other than `except`): the only one, or
    /// the one of several whose main point it is; `None` when it has none, or several
    /// without one main.
    pub fn aspect_entry(&self, call: &CallId, aspect: &str, except: Option<&str>) -> Option<&Faq> {
        let answering: Vec<&Faq> = self
            .faqs
            .iter()
            .filter(|f| {
                Some(f.id.as_str()) != except
                    && f.calls.contains(call)
                    && f.aspects.iter().any(|a| a == aspect)
            })
            .collect();
        match answering[..] {
            [one] => Some(one),
            _ => {
                let mut main = answering.into_iter().filter(|f| f.aspects[0] == aspect);
                match (main.next(), main.next()) {
                    (Some(one), None) => Some(one),
                    _ => None,
                }
            }
        }
    }

    /// The entry that says what `call` is: the one of its entries whose main aspect is
    /// [`OVERVIEW_ASPECT`]; `None` when it has none or several.
    pub fn overview(&self, call: &CallId) -> Option<&Faq> {
        let mut found = self.faqs.iter().filter(|f| {
            f.calls.contains(call) && f.aspects.first().map(String::as_str) == Some(OVERVIEW_ASPECT)
        });
        match (found.next(), found.next()) {
            (Some(one), None) => Some(one),
            _ => None,
        }
    }

    /// Calls that have a deadline table, whatever its status.
    pub fn calls_with_deadline(&self) -> impl Iterator<Item = (&Call, &Deadline)> {
        self.calls
            .iter()
            .filter_map(|c| c.deadline.as_ref().map(|d| (c, d)))
    }
}

/// One problem found in the knowledge pack, located in its file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}: {message}", file.display())]
pub struct KnowledgeError {
    pub file: PathBuf,
    /// 1-based; 0 when the problem is the file as a whole (unreadable, missing).
    pub line: usize,
    pub message: String,
}

/// All the problems of one load.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} error(s) in the knowledge pack:\n{}", .0.len(), .0.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
pub struct KnowledgeErrors(pub Vec<KnowledgeError>);
