//! Full-text search over the knowledge pack: an index built with tantivy and searched
//! over its postings, read out once (`search/postings.rs`), analysed in the pack's language
//! (Italian; the English view has its own index, see [`SearchIndex::english`]).
//!
//! Two analyzers share one pipeline (`analysis`: tokenize, drop long tokens, lower-case,
//! ASCII-fold, drop the language's folded stop words); the index uses the stemmed one
//! (recall over inflections, `imprese` ~ `impresa`). The languages differ only in their
//! words (`italian`, `english`: stemmer, stop words, question words) and synonyms. Typos are corrected before stemming, against the folded words of
//! the corpus and the synonyms (edit distance by word length, none for short words): a
//! fuzzy term on a stemmed field would match stems, not words, and fuzzy scores are flat.
//!
//! User text is never parsed as query syntax: it is analyzed into words and the query is
//! built from those terms, so `"(AND`, `*` or `scadenza: quando` are just words.
//! Passages of official documents share the index (same analysis) but are searched apart
//! ([`Scope`]), so that pages of official text never push a curated answer out of the top.
//! Confidence is relative (share of the question's concepts found in the entry, and the
//! gap to the runner-up) because BM25 scores swing on a corpus this small.

use crate::fold::join_acronyms;

mod analysed;
mod analysis;
mod bm25;
mod build;
mod english;
mod excerpt;
mod folded;
mod found;
mod ids;
mod italian;
mod learned;
mod memo;
mod opening;
mod postings;
#[cfg(test)]
mod postings_tests;
mod query;
mod rank;
pub mod taught;
#[cfg(test)]
mod tests;

pub use analysed::Analysed;
use analysed::Concept;
pub use found::MemoryCounts;
pub use learned::{
    DECIDE_FEATURES, Learned, Linear, RANKER_FILE, RERANK_FEATURES, RankerFile,
    VERSION as RANKER_VERSION, sigmoid,
};
pub use memo::WordStems;
pub use opening::TITLE_OPENING;

// The index's maps and sets are built from the pack alone (a message only looks words up,
// it never adds keys), so a fast seeded hasher is safe here: SipHash's protection against
// chosen colliding keys buys nothing, and hashing stems was a tenth of the bot's own time.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
type HashSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

#[cfg(test)]
use tantivy::IndexReader;
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, ReloadPolicy, TantivyDocument};

use crate::knowledge::{Applicant, Audience, CallId, Knowledge, STATUS_ASPECT};
use analysis::{all_words_analyzer, tokens, tokens_at};

/// The longest question searched; longer text is cut (the engine says so).
pub const MAX_QUERY_CHARS: usize = 1000;
/// What a word that only names a call weighs, relative to its rarity.
const LIGHT: f32 = 0.3;
/// At most this many distinct concepts of a question are used.
const MAX_CONCEPTS: usize = 24;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("ranker file {0}")]
    Ranker(String),
}

/// What an indexed entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Faq,
    /// A call's summary card.
    Call,
    /// A section of a call's body.
    Section,
    /// A passage of an official document (see [`crate::documents`]).
    Passage,
}

impl EntryKind {
    fn code(self) -> u64 {
        match self {
            EntryKind::Faq => 0,
            EntryKind::Call => 1,
            EntryKind::Section => 2,
            EntryKind::Passage => 3,
        }
    }
}

/// Which entries a search looks at. Passages of official documents are searched apart
/// from the curated answers, so that thousands of pages never crowd out a FAQ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// FAQs, call cards and call sections.
    Answers,
    /// Passages of official documents.
    Passages,
}

/// One searchable document, before indexing.
#[derive(Debug, Clone)]
pub struct Doc {
    /// `faq:<id>`, `call:<id>`, `call:<id>#<section>` or `doc:<call>/<document>#<passage>`.
    pub id: String,
    pub kind: EntryKind,
    /// The entry's first call (the one it is shown under).
    pub call: Option<CallId>,
    /// Every call the entry belongs to (a FAQ may compare two calls); empty: general.
    pub calls: Vec<CallId>,
    /// Who the entry is written for (`None`: anyone).
    pub audience: Option<Audience>,
    /// The kinds of applicant a FAQ speaks to (empty: any).
    pub askers: Vec<Applicant>,
    /// A FAQ that speaks to an applicant without partner firms.
    pub alone: bool,
    /// An entry about whether a call is open (its main aspect is
    /// [`STATUS_ASPECT`]): the same answer for anyone,
    /// whoever may apply to the call.
    pub for_anyone: bool,
    pub title: String,
    /// Other phrasings of the title (FAQ alternatives, call keywords).
    pub alt: String,
    pub body: String,
    /// Where the text comes from, for citation.
    pub source: String,
}

/// An indexed entry with the term sets used for coverage and highlighting.
#[derive(Debug)]
pub struct Entry {
    pub doc: Doc,
    /// Stems of the title (as ids, see [`ids`]).
    title_stems: ids::IdSet,
    /// The question words its title asks with, as stems (see [`SearchIndex::asks_with`]).
    asks: Vec<String>,
    /// The title's folded words, stop words included (how it opens: «che cos'è…»).
    pub title_words: Vec<String>,
    /// Stems of the alternatives (other phrasings of the title).
    alt_stems: ids::IdSet,
    /// Stems of the body.
    body_stems: ids::IdSet,
    /// Stems of each phrasing of the question it answers (a FAQ's question and each
    /// alternative; the title of anything else), as ids, each stem once.
    phrasings: Vec<Box<[u32]>>,
    /// The weight (idf) of each stem of each phrasing, in the same order.
    phrasing_idf: Vec<Vec<f32>>,
    /// Every phrasing is a subset of the title's stems or of the alternatives' (so a
    /// concept neither holds is in no phrasing).
    phrasings_within: bool,
    /// The title opens like a definition (see [`opening`]).
    opens_defining: bool,
}

/// One result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Position in [`SearchIndex::entries`].
    pub entry: usize,
    pub score: f32,
    /// Share of the question's concepts found in this entry (0..=1).
    pub coverage: f32,
    /// Closeness of the question to the entry's closest phrasing, both ways (0..=1).
    pub similarity: f32,
    /// The ranking key (coverage, similarity, normalised BM25 and the FAQ prior).
    pub rank: f32,
}

/// How sure the search is about its best hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confidence {
    /// The best hit answers the question.
    High,
    /// Something matched, but the user should choose.
    Low,
    /// Nothing useful matched.
    None,
}

/// The result of a search.
#[derive(Debug, Clone)]
pub struct Results {
    pub hits: Vec<Hit>,
    pub confidence: Confidence,
    pub query: Analysed,
}

struct Fields {
    ord: Field,
    kind: Field,
    title: Field,
    body: Field,
}

/// The search index and its entries.
pub struct SearchIndex {
    /// tantivy's reader of the index, kept by the tests only: they compare
    /// [`postings`]' searches with tantivy's own.
    #[cfg(test)]
    reader: IndexReader,
    /// The text fields' postings, read out of tantivy at build: every search runs over
    /// these (see [`postings`]).
    postings: postings::Postings,
    /// The schema's fields, for the tests' tantivy searches.
    #[cfg(test)]
    fields: Fields,
    stem: TextAnalyzer,
    /// Folding without stop words removed (for synonym phrases).
    all: TextAnalyzer,
    /// The stop words, folded.
    stops: HashSet<String>,
    entries: Vec<Entry>,
    /// Each entry's position by its id (the first, should two share one): a message looks
    /// entries up by id several times, and a large index must not be scanned each time.
    position: HashMap<String, usize>,
    /// Every folded word of the corpus and of the synonyms, with its frequency.
    vocab: HashMap<String, u32>,
    /// The same words by length in characters, for typo correction.
    by_len: Vec<Vec<analysis::Known>>,
    /// The stem of every word of `vocab` (`None`: a stop word), computed once: stemming
    /// a word per query meant cloning the whole analyzer chain each time.
    stem_of: HashMap<String, Option<String>>,
    /// Stems of question words ("come", "quando"): searched, but marking them is noise.
    question_stems: std::sync::Arc<HashSet<String>>,
    /// In how many entries each stem occurs (for the weight of a concept).
    df: HashMap<String, u32>,
    /// The id of each stem an entry holds (the same keys as `df`).
    ids: ids::StemIds,
    /// Synonym groups as folded token sequences: group -> terms -> tokens.
    synonyms: Vec<Vec<Vec<String>>>,
    /// Per synonym group, the distinct stem sequences of its terms, sorted; per group and
    /// term, the position of the term's own (see `SearchIndex::stems_of_synonyms`). A
    /// concept found in a question shares its group's list (see `analysed::AltTerms`).
    synonym_stems: Vec<std::sync::Arc<[Vec<String>]>>,
    synonym_own: Vec<Vec<Option<usize>>>,
    /// Every (group, term) of `synonyms`, longest term first.
    synonym_order: Vec<(usize, usize)>,
    /// The positions in `synonym_order` of the terms opening with each word: a question
    /// is matched against the terms that open with one of its words only.
    synonym_starts: HashMap<String, Vec<usize>>,
    /// The index of the English view of the pack, analysed in English (see
    /// [`crate::knowledge::english`]); the engine answers English questions from it.
    english: Option<Box<SearchIndex>>,
    /// The learned ranker's weights for this language (see `learned`), when the pack has
    /// them.
    learned: Option<Learned>,
    /// The learned decision's prior of each entry (by position), resolved from `learned`
    /// when it is set, so that a message does not look entry ids up.
    priors: Vec<f32>,
    /// The taught classifier of `learned` over this index's entries (see [`taught`]).
    taught: Option<taught::Model>,
    /// Tells this index from any other for the thread-local memos of `memo.rs` (an
    /// address could be reused after a reload).
    serial: u64,
    /// Its analyses, by text (see [`analysed::Analyses`]).
    analyses: analysed::Analyses,
    /// Its excerpts' marks, by text and wanted stems (see [`excerpt::MarksKept`]).
    marks: excerpt::MarksKept,
    /// What its searches found, by query (see [`found`]).
    found: found::Memory,
    /// The definition cues its entries' `opens_defining` were computed with.
    define_cues: &'static [crate::fold::Phrase],
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("entries", &self.entries.len())
            .finish()
    }
}

impl SearchIndex {
    /// Indexes the calls, their sections and the FAQs of a knowledge pack.
    pub fn from_knowledge(k: &Knowledge) -> Result<SearchIndex, SearchError> {
        let mut docs = Vec::new();
        for c in &k.calls {
            let mut body = c.summary.clone();
            if let Some(b) = &c.budget {
                body.push_str(&format!("\nRisorse: {b}."));
            }
            if !c.funds.is_empty() {
                body.push_str(&format!("\nFondi: {}.", c.funds.join(", ")));
            }
            docs.push(Doc {
                id: format!("call:{}", c.id),
                kind: EntryKind::Call,
                call: Some(c.id.clone()),
                calls: vec![c.id.clone()],
                audience: None,
                askers: Vec::new(),
                alone: false,
                for_anyone: false,
                title: format!("{} – {}", c.title, c.short),
                alt: format!("{} {}", c.programme, c.keywords.join(" ")),
                body,
                source: c.source.clone(),
            });
            for s in &c.sections {
                docs.push(Doc {
                    id: format!("call:{}#{}", c.id, s.id),
                    kind: EntryKind::Section,
                    call: Some(c.id.clone()),
                    calls: vec![c.id.clone()],
                    audience: None,
                    askers: Vec::new(),
                    alone: false,
                    for_anyone: false,
                    title: s.title.clone(),
                    alt: c.short.clone(),
                    body: s.text.clone(),
                    source: s.source.clone(),
                });
            }
        }
        for f in &k.faqs {
            docs.push(Doc {
                id: format!("faq:{}", f.id),
                kind: EntryKind::Faq,
                call: f.calls.first().cloned(),
                calls: f.calls.clone(),
                audience: f.audience,
                askers: f.askers.clone(),
                alone: f.alone,
                for_anyone: f.aspects.first().map(String::as_str) == Some(STATUS_ASPECT),
                title: f.question.clone(),
                alt: f.alternatives.join("\n"),
                body: f.answer.clone(),
                source: f.source.clone(),
            });
        }
        for d in &k.documents {
            for (n, p) in d.passages.iter().enumerate() {
                docs.push(Doc {
                    id: format!("doc:{}/{}#{n}", d.call, d.id),
                    kind: EntryKind::Passage,
                    call: Some(d.call.clone()),
                    calls: vec![d.call.clone()],
                    audience: None,
                    askers: Vec::new(),
                    alone: false,
                    for_anyone: false,
                    title: p.heading.clone().unwrap_or_default(),
                    alt: d.title.clone(),
                    body: p.text.clone(),
                    source: d.title.clone(),
                });
            }
        }
        let synonyms: Vec<Vec<String>> = k.synonyms.iter().map(|g| g.terms.clone()).collect();
        let mut index = SearchIndex::build_in(k.lang, docs, &synonyms)?;
        if let Some(en) = &k.english {
            index.english = Some(Box::new(SearchIndex::from_knowledge(en)?));
        }
        Ok(index)
    }

    /// The index of the pack in English, when the pack has an English view.
    pub fn english(&self) -> Option<&SearchIndex> {
        self.english.as_deref()
    }

    /// Builds an index from documents and synonym groups (Italian analysis).
    pub fn build(docs: Vec<Doc>, synonyms: &[Vec<String>]) -> Result<SearchIndex, SearchError> {
        SearchIndex::build_in(crate::text::Lang::It, docs, synonyms)
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn entry(&self, i: usize) -> &Entry {
        &self.entries[i]
    }

    /// Whether a folded word of a message weighs in search: not a stop word, not a
    /// question word, and known to the pack.
    pub fn weighs(&self, word: &str) -> bool {
        if self.stops.contains(word) {
            return false;
        }
        match self.stem_word(word) {
            Some(s) => !self.question_stems.contains(&s) && self.df.contains_key(&s),
            None => false,
        }
    }

    /// The stems of a text's words as the index reads them (no typo correction, no
    /// synonyms): to compare a term with a question and with the entries.
    pub fn stems_of(&self, text: &str) -> Vec<String> {
        // Looked up as the plain BM25 search looks them up (`stems_at`: the pack's words'
        // stems from the table built with the index), not stemmed with a cloned analyzer.
        self.with_stems_of(text, <[String]>::to_vec)
    }

    /// Like [`Self::stems_of`], lending the stems to `f` instead of copying them (`f`
    /// must not ask for stems again).
    pub fn with_stems_of<R>(&self, text: &str, f: impl FnOnce(&[String]) -> R) -> R {
        memo::with_stems(self.serial, text, || self.stems_afresh(text), f)
    }

    /// The stems of `text` looked up now (see [`Self::stems_of`]), not remembered.
    fn stems_afresh(&self, text: &str) -> Vec<String> {
        self.stems_at(&join_acronyms(text))
            .into_iter()
            .map(|(s, _, _)| s.into_owned())
            .collect()
    }

    /// The stems of each one-word phrase of a locale's list (`None` for a phrase of
    /// several words), as [`Self::stems_of`] gives them: computed once per thread.
    pub fn word_stems(&self, list: &'static [crate::fold::Phrase]) -> memo::WordStems {
        memo::word_stems(self.serial, list, |w| self.stems_afresh(w))
    }

    /// Whether an entry's text (its question, alternatives or body) holds every stem of
    /// a term ([`Self::stems_of`]); an empty term is held by none.
    pub fn holds(&self, entry: usize, term: &[String]) -> bool {
        let e = &self.entries[entry];
        !term.is_empty()
            && term
                .iter()
                .all(|s| self.ids.id(s).is_some_and(|s| e.holds_stem(s)))
    }

    /// The question words an entry's own question asks with (`quando` in «Quando scadeva
    /// il bando…?»), as stems.
    pub fn asks_with(&self, entry: usize) -> Vec<&str> {
        self.entries[entry]
            .asks
            .iter()
            .map(String::as_str)
            .collect()
    }

    /// How often this index's searches, analyses and excerpts' marks were taken from
    /// its memories (see `found`, `kept`), and the bytes the last two hold.
    pub fn memory(&self) -> MemoryCounts {
        MemoryCounts {
            analyses: self.analyses.counts(),
            marks: self.marks.counts(),
            bytes: (self.analyses.bytes(), self.marks.bytes()),
            ..self.found.counts()
        }
    }

    /// Finds an entry by its id (`faq:...`, `call:...`).
    pub fn find(&self, id: &str) -> Option<usize> {
        self.position.get(id).copied()
    }

    /// Finds a FAQ's entry by the FAQ's own id (`alfa-cos-e` for `faq:alfa-cos-e`).
    pub fn find_faq(&self, faq: &str) -> Option<usize> {
        self.find(&format!("faq:{faq}"))
    }

    /// Searches the curated answers (FAQs, calls, sections) and returns up to `limit` hits,
    /// best first, with a confidence verdict.
    pub fn search(&self, question: &str, limit: usize) -> Results {
        self.search_in(question, limit, Scope::Answers)
    }

    /// Searches the passages of the official documents only.
    pub fn search_passages(&self, question: &str, limit: usize) -> Results {
        self.search_in(question, limit, Scope::Passages)
    }

    /// Searches the curated answers with some words counting little: words that only
    /// name a call (`alfa`, `il bando`) say which call, not what is asked about it.
    pub fn search_light(&self, question: &str, limit: usize, light: &[&str]) -> Results {
        self.search_in_context(question, "", 0.0, limit, light)
    }

    /// Like [`Self::search_light`], with the words of the context the question was asked
    /// in (the asker's description of themselves) counting `share` of the question's own:
    /// they help tell apart entries the question alone leaves close, without deciding
    /// what is asked (they never count as what the question asks, its question words or
    /// its unknown words).
    pub fn search_in_context(
        &self,
        question: &str,
        context: &str,
        share: f32,
        limit: usize,
        light: &[&str],
    ) -> Results {
        let mut query = self.analyse(question);
        if share > 0.0 && !context.trim().is_empty() {
            let extra: Vec<_> = {
                let asked: HashSet<&str> = query
                    .concepts
                    .iter()
                    .flat_map(|c| c.stems.iter().chain(c.alt_terms.iter().flatten()))
                    .map(String::as_str)
                    .collect();
                let room = MAX_CONCEPTS.saturating_sub(query.concepts.len());
                self.analyse(context)
                    .concepts
                    .into_iter()
                    .filter(|c| !c.question && !c.stems.iter().all(|s| asked.contains(s.as_str())))
                    .take(room)
                    .map(|mut c| {
                        c.weight *= share;
                        c.scale = share;
                        c
                    })
                    .collect()
            };
            query.concepts.extend(extra);
        }
        if !light.is_empty() {
            // Most light words are words of the pack, stemmed once at build time: their
            // stems are borrowed from the index, the others' kept here.
            let mut stem = None;
            let mut other: Vec<String> = Vec::new();
            let mut light_stems: HashSet<&str> = HashSet::default();
            for &w in light {
                match self.stem_of.get(w) {
                    Some(s) => light_stems.extend(s.as_deref()),
                    None => memo::light_tokens(self.serial, w, &mut other, || {
                        tokens(stem.get_or_insert_with(|| self.stem.clone()), w)
                    }),
                }
            }
            light_stems.extend(other.iter().map(String::as_str));
            let light = light_stems;
            for c in &mut query.concepts {
                if !c.stems.is_empty() && c.stems.iter().all(|s| light.contains(s.as_str())) {
                    query.light_weight += c.weight * (1.0 - LIGHT);
                    c.weight *= LIGHT;
                    c.light = true;
                }
            }
        }
        self.search_analysed(query, limit, Scope::Answers)
    }

    /// Searches one [`Scope`].
    pub fn search_in(&self, question: &str, limit: usize, scope: Scope) -> Results {
        self.search_analysed(self.analyse(question), limit, scope)
    }

    fn search_analysed(&self, query: Analysed, limit: usize, scope: Scope) -> Results {
        if query.is_empty() {
            return Results {
                hits: Vec::new(),
                confidence: Confidence::None,
                query,
            };
        }
        let mut query = query;
        let mut ranked_here = false;
        let found = match found::results_key(self, &query, limit, scope) {
            Some(key) => self.found.answers.get_or(key, || {
                ranked_here = true;
                self.search_afresh(&mut query, limit, scope)
            }),
            None => {
                ranked_here = true;
                self.search_afresh(&mut query, limit, scope)
            }
        };
        // Remembered: the analysis loses the concepts no candidate held, as it did when
        // it was searched.
        if !ranked_here {
            self.drop_unreached(&mut query, &found.unreached);
        }
        Results {
            hits: found.hits,
            confidence: found.confidence,
            query,
        }
    }
}
