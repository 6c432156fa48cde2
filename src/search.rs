//! Full-text search over the knowledge pack: a tantivy index in RAM with Italian analysis.
//!
//! Two analyzers share one pipeline (tokenize, drop long tokens, lower-case, ASCII-fold,
//! drop folded Italian stop words); the index uses the stemmed one (recall over inflections,
//! `imprese` ~ `impresa`). Typos are corrected before stemming, against the folded words of
//! the corpus and the synonyms (edit distance by word length, none for short words): a
//! fuzzy term on a stemmed field would match stems, not words, and fuzzy scores are flat.
//!
//! User text is never parsed as query syntax: it is analyzed into words and the query is
//! built from those terms, so `"(AND`, `*` or `scadenza: quando` are just words.
//! Passages of official documents share the index (same analysis) but are searched apart
//! ([`Scope`]), so that pages of official text never push a curated answer out of the top.
//! Confidence is relative (share of the question's concepts found in the entry, and the
//! gap to the runner-up) because BM25 scores swing on a corpus this small.

pub use crate::fold::fold_str;
use crate::fold::join_acronyms;

mod bm25;
mod english;
mod excerpt;
mod rank;

use std::collections::{HashMap, HashSet};

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer,
};
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument, Term};

use crate::knowledge::{Audience, CallId, Knowledge};

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
    /// Stems of the title.
    title_stems: HashSet<String>,
    /// The title's folded words, stop words included (how it opens: «che cos'è…»).
    pub title_words: Vec<String>,
    /// Stems of the alternatives (other phrasings of the title).
    alt_stems: HashSet<String>,
    /// Stems of the body.
    body_stems: HashSet<String>,
    /// Stems of each phrasing of the question it answers (a FAQ's question and each
    /// alternative; the title of anything else).
    phrasings: Vec<HashSet<String>>,
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

/// A question analysed into concepts (a word, or a synonym group found in the question).
#[derive(Debug, Clone, Default)]
pub struct Analysed {
    concepts: Vec<Concept>,
    /// Stems of the question words the index knows (copied here for [`Self::asks_with`]).
    question_stems: std::sync::Arc<HashSet<String>>,
    /// True when the question was cut to [`MAX_QUERY_CHARS`].
    pub truncated: bool,
    /// Weight of the question's words that no entry has (as if each were in one entry).
    unknown: f32,
    /// How many such words.
    unknown_words: usize,
    /// Weight taken off words that only name a call (it still counts as known).
    light_weight: f32,
}

#[derive(Debug, Clone)]
struct Concept {
    /// Stems of the user's own word(s).
    stems: Vec<String>,
    /// Synonyms of it, each as the stems of its words (all must be found).
    alt_terms: Vec<Vec<String>>,
    /// How much the concept tells entries apart (inverse document frequency).
    weight: f32,
    /// A question word (`quando`, `quanto`…).
    question: bool,
    /// Only names a call (see [`SearchIndex::search_light`]).
    light: bool,
}

impl Analysed {
    pub fn is_empty(&self) -> bool {
        self.concepts.is_empty()
    }

    /// The stems of the question's own words (for grouping alike questions).
    pub fn stems(&self) -> Vec<String> {
        self.concepts.iter().flat_map(|c| c.stems.clone()).collect()
    }

    /// Share of the question's weight in words the pack does not know (0..=1): a
    /// question mostly about unknown things is not answered from what little matches.
    pub fn unknown_share(&self) -> f32 {
        let known: f32 = self.concepts.iter().map(|c| c.weight).sum::<f32>() + self.light_weight;
        if self.unknown + known <= 0.0 {
            0.0
        } else {
            self.unknown / (self.unknown + known)
        }
    }

    /// How many words of the question the pack does not know (`domani`, `telefono`).
    pub fn unknown_words(&self) -> usize {
        self.unknown_words
    }

    /// How many known concepts say what is asked (not question words, not call names).
    pub fn content_concepts(&self) -> usize {
        self.concepts
            .iter()
            .filter(|c| c.weight > 0.0 && !c.question && !c.light)
            .count()
    }

    /// Weight of the known concepts.
    pub fn known_weight(&self) -> f32 {
        self.concepts.iter().map(|c| c.weight).sum()
    }

    /// The question words it asks with (`quando`, `chi`…), as stems.
    pub fn asks_with(&self) -> Vec<&str> {
        self.concepts
            .iter()
            .filter(|c| c.question || c.stems.iter().any(|s| self.question_stems.contains(s)))
            .flat_map(|c| c.stems.iter())
            .filter(|s| self.question_stems.contains(*s))
            .map(String::as_str)
            .collect()
    }

    /// The question only names a call (and maybe asks `cos'è`): it asks what the call is.
    pub fn names_only(&self) -> bool {
        self.unknown == 0.0
            && self.concepts.iter().any(|c| c.light)
            && self
                .concepts
                .iter()
                .all(|c| c.light || c.question || c.weight == 0.0)
    }

    /// Weight of the known concepts that are not question words (`quando`, `chi`…): a
    /// question with none asks nothing the pack can tell apart.
    pub fn content_weight(&self) -> f32 {
        self.concepts
            .iter()
            .filter(|c| !c.question && !c.light)
            .map(|c| c.weight)
            .sum()
    }
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
    reader: IndexReader,
    fields: Fields,
    stem: TextAnalyzer,
    /// Folding without stop words removed (for synonym phrases).
    all: TextAnalyzer,
    /// The stop words, folded.
    stops: HashSet<String>,
    entries: Vec<Entry>,
    /// Every folded word of the corpus and of the synonyms, with its frequency.
    vocab: HashMap<String, u32>,
    /// The same words by length in characters, for typo correction.
    by_len: Vec<Vec<(String, u32)>>,
    /// The stem of every word of `vocab` (`None`: a stop word), computed once: stemming
    /// a word per query meant cloning the whole analyzer chain each time.
    stem_of: HashMap<String, Option<String>>,
    /// Stems of question words ("come", "quando"): searched, but marking them is noise.
    question_stems: std::sync::Arc<HashSet<String>>,
    /// In how many entries each stem occurs (for the weight of a concept).
    df: HashMap<String, u32>,
    /// The weight of each stem of the pack (from `df`), computed once.
    idf: HashMap<String, f32>,
    /// Synonym groups as folded token sequences: group -> terms -> tokens.
    synonyms: Vec<Vec<Vec<String>>>,
    /// Every (group, term) of `synonyms`, longest term first.
    synonym_order: Vec<(usize, usize)>,
    /// The index of the English view of the pack, analysed in English (see
    /// [`crate::knowledge::english`]); the engine answers English questions from it.
    english: Option<Box<SearchIndex>>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("entries", &self.entries.len())
            .finish()
    }
}

/// Question words kept out of the stop list (they tell questions apart).
const QUESTION_WORDS: &str = "chi quando quanto quanti quanta quante dove come perche";

/// Italian stop words (Snowball list, as shipped by tantivy), accents folded. Question words
/// that tell questions apart (chi, quando, quanto, dove, come, perché) are kept searchable.
const STOP_WORDS: &str = "\
    a abbia abbiamo abbiano abbiate ad agl agli ai al all alla alle allo anche avemmo avendo \
    avesse avessero avessi avessimo aveste avesti avete aveva avevamo avevano avevate avevi \
    avevo avra avrai avranno avrebbe avrebbero avrei avremmo avremo avreste avresti avrete \
    avro avuta avute avuti avuto c che ci coi col con contro cui da dagl dagli dai dal dall \
    dalla dalle dallo degl degli dei del dell della delle dello di dov e ebbe ebbero ebbi ed \
    era erano eravamo eravate eri ero essendo faccia facciamo facciano facciate faccio \
    facemmo facendo facesse facessero facessi facessimo faceste facesti faceva facevamo \
    facevano facevate facevi facevo fai fanno fara farai faranno farebbe farebbero farei \
    faremmo faremo fareste faresti farete faro fece fecero feci fosse fossero fossi fossimo \
    foste fosti fu fui fummo furono gli ha hai hanno ho i il in io l la le lei li lo loro \
    lui ma mi mia mie miei mio ne negl negli nei nel nell nella nelle nello noi non nostra \
    nostre nostri nostro o per piu quale quella quelle quelli quello questa queste questi \
    questo sara sarai saranno sarebbe sarebbero sarei saremmo saremo sareste saresti sarete \
    saro se sei si sia siamo siano siate siete sono sta stai stando stanno stara starai \
    staranno starebbe starebbero starei staremmo staremo stareste staresti starete staro \
    stava stavamo stavano stavate stavi stavo stemmo stesse stessero stessi stessimo steste \
    stesti stette stettero stetti stia stiamo stiano stiate sto su sua sue sugl sugli sui \
    sul sull sulla sulle sullo suo suoi ti tra tu tua tue tuo tuoi tutti tutto un una uno vi \
    voi vostra vostre vostri vostro";

fn folded_stop_words() -> Vec<String> {
    let mut words: Vec<String> = STOP_WORDS.split_whitespace().map(String::from).collect();
    // Politeness and filler words of questions put to a bot, and the English function
    // words of the few questions asked in English.
    words.extend(EXTRA_STOP_WORDS.split_whitespace().map(String::from));
    words
}

const EXTRA_STOP_WORDS: &str = "cosa cos vuol vuole dire significa significato spiegami posso puo possono \
    vorrei vorremmo volevamo vogliamo voglio sapere sapete ditemi spiegate spiegatemi spiegarmi \
    parlatemi illustrate illustrami possiamo potremmo potrei \
    potrebbe potrebbero potremo potete ciao salve favore \
    grazie buongiorno buonasera qual quali spiegato spiegata semplice semplici semplicemente fa fare fatto fatta fatti fatte parlami parlarmi dimmi dirmi raccontami informazioni info \
    qualcosa qualcuno ciao raga ragazzi tipo boh comunque allora quindi invece praticamente \
    scusa scusate gentilmente sai sapete saprebbe sapreste chiedo chiedere volevo vorremmo \
    the is are was were be of to an and or in on for with what which can \
    could do does did how my we our it this that there you your me";

/// The folding analyzer that keeps stop words: synonym phrases are matched on it, so
/// that `soldi miei` or `a che ora` are phrases, not the one word left without them.
fn all_words_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

fn analyzers() -> (TextAnalyzer, TextAnalyzer) {
    let stops = folded_stop_words();
    let stem = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(StopWordFilter::remove(stops.clone()))
        .filter(Stemmer::new(Language::Italian))
        .build();
    let fold = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(StopWordFilter::remove(stops))
        .build();
    (stem, fold)
}

fn tokens(a: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let text = join_acronyms(text);
    let mut out = Vec::new();
    let mut ts = a.token_stream(&text);
    while let Some(t) = ts.next() {
        out.push(t.text.clone());
    }
    out
}

/// Tokens with their byte offsets in `text`.
fn tokens_at(a: &mut TextAnalyzer, text: &str) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let mut ts = a.token_stream(text);
    while let Some(t) = ts.next() {
        out.push((t.text.clone(), t.offset_from, t.offset_to));
    }
    out
}

/// Edit distance (a transposition counts one), giving up with `max + 1` past `max`.
fn levenshtein_within(a: &str, b: &str, max: usize) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return max + 1;
    }
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(before[j - 2] + 1);
            }
            row_min = row_min.min(cur[j]);
        }
        if row_min > max {
            return max + 1;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()].min(max + 1)
}

/// The edit distance allowed for a word: none for short words, where a distance
/// of one already matches unrelated words.
fn fuzzy_distance(word: &str) -> u8 {
    match word.chars().count() {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
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

    /// Builds an index from documents and synonym groups, analysed in `lang`.
    pub fn build_in(
        lang: crate::text::Lang,
        docs: Vec<Doc>,
        synonyms: &[Vec<String>],
    ) -> Result<SearchIndex, SearchError> {
        let (mut stem, mut fold) = english::analyzers_for(lang);
        let mut sb = Schema::builder();
        let text = |tok: &str, stored: bool| {
            let idx = TextFieldIndexing::default()
                .set_tokenizer(tok)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions);
            let o = TextOptions::default().set_indexing_options(idx);
            if stored { o.set_stored() } else { o }
        };
        let fields = Fields {
            ord: sb.add_u64_field("ord", NumericOptions::default().set_fast()),
            kind: sb.add_u64_field("kind", NumericOptions::default().set_indexed()),
            title: sb.add_text_field("title", text("it", false)),
            body: sb.add_text_field("body", text("it", false)),
        };
        let index = Index::create_in_ram(sb.build());
        // Custom tokenizers are not persisted with an index: register them on every open.
        index.tokenizers().register("it", stem.clone());
        let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, 30_000_000)?;
        let mut entries = Vec::with_capacity(docs.len());
        let mut df: HashMap<String, u32> = HashMap::new();
        let mut vocab: HashMap<String, u32> = HashMap::new();
        for (i, d) in docs.into_iter().enumerate() {
            // The help-desk placeholder is filled when shown, never searched.
            let indexed = crate::knowledge::strip_help_desk(&d.body);
            let mut doc = TantivyDocument::default();
            doc.add_u64(fields.ord, i as u64);
            doc.add_u64(fields.kind, d.kind.code());
            doc.add_text(fields.title, join_acronyms(&d.title));
            // Alternatives are more titles: one multi-valued field, one posting list.
            doc.add_text(fields.title, join_acronyms(&d.alt));
            doc.add_text(fields.body, join_acronyms(&indexed));
            let title_all = format!("{}\n{}", d.title, d.alt);
            writer.add_document(doc)?;
            let all = format!("{title_all}\n{indexed}");
            let title_stems: HashSet<String> = tokens(&mut stem, &d.title).into_iter().collect();
            let alt_stems: HashSet<String> = tokens(&mut stem, &d.alt).into_iter().collect();
            let body_stems: HashSet<String> = tokens(&mut stem, &indexed).into_iter().collect();
            let mut phrasings = vec![title_stems.clone()];
            if d.kind == EntryKind::Faq {
                phrasings.extend(
                    d.alt
                        .lines()
                        .map(|l| tokens(&mut stem, l).into_iter().collect::<HashSet<_>>())
                        .filter(|p| !p.is_empty()),
                );
            }
            let mut seen: HashSet<&String> = HashSet::new();
            for s in title_stems.iter().chain(&alt_stems).chain(&body_stems) {
                if seen.insert(s) {
                    *df.entry(s.clone()).or_insert(0u32) += 1;
                }
            }
            for w in tokens(&mut fold, &all) {
                *vocab.entry(w).or_insert(0u32) += 1;
            }
            entries.push(Entry {
                title_words: crate::search::fold_str(&join_acronyms(&d.title))
                    .split_whitespace()
                    .map(String::from)
                    .collect(),
                doc: d,
                title_stems,
                alt_stems,
                body_stems,
                phrasings,
            });
        }
        writer.commit()?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        reader.reload()?;
        let stops: HashSet<String> = english::stop_words_for(lang).into_iter().collect();
        let mut all = all_words_analyzer();
        let synonyms: Vec<Vec<Vec<String>>> = synonyms
            .iter()
            .map(|g| {
                // Phrases keep their stop words (`soldi miei` is not `soldi`); a phrase of
                // stop words only could never tell anything apart.
                g.iter()
                    .filter_map(|t| {
                        let toks = tokens(&mut all, t);
                        toks.iter().any(|w| !stops.contains(w)).then_some(toks)
                    })
                    .collect::<Vec<_>>()
            })
            .filter(|g: &Vec<Vec<String>>| g.len() > 1)
            .collect();
        for w in synonyms.iter().flatten().flatten() {
            vocab.entry(w.clone()).or_insert(1);
        }
        let mut by_len: Vec<Vec<(String, u32)>> = Vec::new();
        for (w, n) in &vocab {
            let l = w.chars().count();
            if by_len.len() <= l {
                by_len.resize(l + 1, Vec::new());
            }
            by_len[l].push((w.clone(), *n));
        }
        let stem_of = vocab
            .keys()
            .map(|w| (w.clone(), tokens(&mut stem, w).into_iter().next()))
            .collect();
        let question_stems = std::sync::Arc::new(
            english::question_words_for(lang)
                .split_whitespace()
                .filter_map(|w| tokens(&mut stem, w).into_iter().next())
                .collect(),
        );
        let n = entries.len().max(1) as f32;
        let idf = df
            .iter()
            .map(|(s, &d)| (s.clone(), (1.0 + n / d.max(1) as f32).ln()))
            .collect();
        let mut synonym_order: Vec<(usize, usize)> = synonyms
            .iter()
            .enumerate()
            .flat_map(|(g, terms)| (0..terms.len()).map(move |t| (g, t)))
            .collect();
        synonym_order.sort_by_key(|&(g, t)| std::cmp::Reverse(synonyms[g][t].len()));
        Ok(SearchIndex {
            english: None,
            synonym_order,
            idf,
            reader,
            fields,
            stem,
            all,
            stops,
            entries,
            df,
            by_len,
            stem_of,
            question_stems,
            vocab,
            synonyms,
        })
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn entry(&self, i: usize) -> &Entry {
        &self.entries[i]
    }

    /// Finds an entry by its id (`faq:...`, `call:...`).
    /// Whether a folded word of a message weighs in search: not a stop word, not a
    /// question word, and known to the pack.
    pub fn weighs(&self, word: &str) -> bool {
        if self.stops.contains(word) {
            return false;
        }
        match self.stem_word(word) {
            Some(s) => !self.question_stems.contains(&s) && self.idf.contains_key(&s),
            None => false,
        }
    }

    /// The question words an entry's own question asks with (`quando` in «Quando scadeva
    /// il bando…?»), as stems.
    pub fn asks_with(&self, entry: usize) -> Vec<&str> {
        self.entries[entry]
            .title_stems
            .iter()
            .filter(|s| self.question_stems.contains(*s))
            .map(String::as_str)
            .collect()
    }

    pub fn find(&self, id: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.doc.id == id)
    }

    fn stem_word(&self, w: &str) -> Option<String> {
        if let Some(s) = self.stem_of.get(w) {
            return s.clone();
        }
        let mut a = self.stem.clone();
        tokens(&mut a, w).into_iter().next()
    }

    /// The word itself when the index knows it; otherwise the closest known word within
    /// the edit distance allowed for its length (ties: the more frequent word).
    fn correct(&self, w: String) -> String {
        if self.vocab.contains_key(&w) {
            return w;
        }
        // Another form of a known word (`cofinanziare` next to `cofinanziamento`) is no
        // typo: its stem already matches.
        if self
            .stem_word(&w)
            .is_some_and(|s| self.idf.contains_key(&s))
        {
            return w;
        }
        let d = fuzzy_distance(&w) as usize;
        if d == 0 {
            return w;
        }
        let len = w.chars().count();
        let mut best: Option<(usize, u32, &str)> = None;
        for l in len.saturating_sub(d)..=len + d {
            for (cand, freq) in self.by_len.get(l).into_iter().flatten() {
                // Two edits that also change the length by two (`presidente` →
                // `presente`) make another word, not a typo.
                if d == 2 && l.abs_diff(len) > 1 {
                    continue;
                }
                let dist = levenshtein_within(&w, cand, d);
                if dist <= d
                    && best.is_none_or(|(bd, bf, _)| {
                        (dist, std::cmp::Reverse(*freq)) < (bd, std::cmp::Reverse(bf))
                    })
                {
                    best = Some((dist, *freq, cand));
                }
            }
        }
        best.map(|(_, _, c)| c.to_string()).unwrap_or(w)
    }

    /// Splits a question into concepts; synonym phrases found in it become one concept.
    pub fn analyse(&self, question: &str) -> Analysed {
        let truncated = question.chars().count() > MAX_QUERY_CHARS;
        let question: String = question.chars().take(MAX_QUERY_CHARS).collect();
        let mut all = self.all.clone();
        // Typos first, so that a misspelt word still takes part in synonym phrases; stop
        // words stay for the phrases and are dropped after.
        let words: Vec<String> = tokens(&mut all, &question)
            .into_iter()
            .map(|w| {
                if self.stops.contains(&w) {
                    w
                } else {
                    self.correct(w)
                }
            })
            .collect();
        let mut covered = vec![false; words.len()];
        let mut concepts: Vec<Concept> = Vec::new();
        // Longest phrases first, across groups: `quanti soldi` (the budget) before `soldi`
        // (a grant) takes the words.
        for &(g, t) in &self.synonym_order {
            let group = &self.synonyms[g];
            let term = &group[t];
            {
                let n = term.len();
                if n == 0 || n > words.len() {
                    continue;
                }
                if let Some(start) = (0..=words.len() - n)
                    .find(|&s| words[s..s + n] == term[..] && covered[s..s + n].iter().all(|c| !c))
                {
                    covered[start..start + n].iter_mut().for_each(|c| *c = true);
                    let own: Vec<String> = term.iter().filter_map(|w| self.stem_word(w)).collect();
                    let mut alt: Vec<Vec<String>> = group
                        .iter()
                        .filter(|t| *t != term)
                        .map(|t| {
                            t.iter()
                                .filter_map(|w| self.stem_word(w))
                                .collect::<Vec<_>>()
                        })
                        .filter(|t| !t.is_empty() && *t != own)
                        .collect();
                    alt.sort();
                    alt.dedup();
                    let weight = self.weight_of(self.concept_df(&own, &alt));
                    concepts.push(Concept {
                        light: false,
                        question: own.iter().all(|s| self.question_stems.contains(s)),
                        stems: own,
                        alt_terms: alt,
                        weight,
                    });
                }
            }
        }
        let mut seen = HashSet::new();
        let mut unknown = 0.0;
        let mut unknown_words = 0;
        for (w, _) in words.iter().zip(&covered).filter(|(_, c)| !**c) {
            if !seen.insert(w.clone()) {
                continue;
            }
            // One- and two-letter words (`va`, `ci`) say nothing on their own; acronyms
            // that short (`ue`) count through the synonyms.
            if w.chars().count() <= 2 && !w.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            let Some(s) = self.stem_word(w) else { continue };
            let weight = self.weight_of(self.concept_df(std::slice::from_ref(&s), &[]));
            if weight == 0.0 {
                // Numbers and short words say nothing either way.
                if w.chars().count() > 3 && !w.chars().any(|c| c.is_ascii_digit()) {
                    unknown += self.unknown_weight();
                    unknown_words += 1;
                }
                continue;
            }
            concepts.push(Concept {
                light: false,
                question: self.question_stems.contains(&s),
                stems: vec![s],
                alt_terms: Vec::new(),
                weight,
            });
        }
        concepts.truncate(MAX_CONCEPTS);
        Analysed {
            concepts,
            question_stems: self.question_stems.clone(),
            truncated,
            unknown,
            unknown_words,
            light_weight: 0.0,
        }
    }

    fn build_query(&self, q: &Analysed, scope: Scope) -> BooleanQuery {
        let passage = Box::new(TermQuery::new(
            Term::from_field_u64(self.fields.kind, EntryKind::Passage.code()),
            IndexRecordOption::Basic,
        ));
        let words = Box::new(self.words_query(q));
        match scope {
            Scope::Answers => {
                BooleanQuery::new(vec![(Occur::Must, words), (Occur::MustNot, passage)])
            }
            Scope::Passages => BooleanQuery::new(vec![
                (Occur::Must, words),
                (Occur::Must, Box::new(BoostQuery::new(passage, 0.0))),
            ]),
        }
    }

    fn words_query(&self, q: &Analysed) -> BooleanQuery {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for c in &q.concepts {
            let mut sub: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            let mut add = |field: Field, s: &str, boost: f32| {
                let tq = TermQuery::new(
                    Term::from_field_text(field, s),
                    IndexRecordOption::WithFreqs,
                );
                sub.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(tq), boost)),
                ));
            };
            for s in &c.stems {
                add(f.title, s, 3.0);
                add(f.body, s, 1.0);
            }
            // Synonym words count less; a word shared by several synonyms is asked once.
            let mut alt: Vec<(&str, f32)> = Vec::new();
            for term in &c.alt_terms {
                let share = 1.0 / term.len() as f32;
                for s in term {
                    match alt.iter_mut().find(|(w, _)| *w == s.as_str()) {
                        Some((_, best)) => *best = best.max(share),
                        None => alt.push((s, share)),
                    }
                }
            }
            for (s, share) in alt {
                add(f.title, s, 1.2 * share);
                add(f.body, s, 0.4 * share);
            }
            clauses.push((Occur::Should, Box::new(BooleanQuery::new(sub))));
        }
        BooleanQuery::new(clauses)
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
    pub fn search_light(&self, question: &str, limit: usize, light: &[String]) -> Results {
        let mut query = self.analyse(question);
        if !light.is_empty() {
            let mut stem = self.stem.clone();
            let light: HashSet<String> = light.iter().flat_map(|w| tokens(&mut stem, w)).collect();
            for c in &mut query.concepts {
                if !c.stems.is_empty() && c.stems.iter().all(|s| light.contains(s)) {
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
        let searcher = self.reader.searcher();
        let bq = self.build_query(&query, scope);
        // Fetch more than asked: coverage re-ranks the candidates.
        let top = searcher
            .search(
                &bq,
                &TopDocs::with_limit(limit.max(10) * 2).order_by_score(),
            )
            .unwrap_or_default();
        let candidates: Vec<(usize, f32)> = {
            // One column reader per segment, not one per hit.
            let mut columns: HashMap<u32, Option<tantivy::columnar::Column<u64>>> = HashMap::new();
            top.into_iter()
                .filter_map(|(score, addr)| {
                    let column = columns.entry(addr.segment_ord).or_insert_with(|| {
                        searcher
                            .segment_reader(addr.segment_ord)
                            .fast_fields()
                            .u64("ord")
                            .ok()
                    });
                    let ord = column.as_ref().and_then(|c| c.first(addr.doc_id))?;
                    Some((ord as usize, score))
                })
                .collect()
        };
        let mut query = query;
        self.drop_unreached(&mut query, &candidates);
        let hits = self.rank(&query, candidates, limit);
        let confidence = rank::confidence(&hits, &query);
        Results {
            hits,
            confidence,
            query,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::Span;

    fn doc(id: &str, title: &str, body: &str) -> Doc {
        Doc {
            id: id.into(),
            kind: EntryKind::Faq,
            call: None,
            calls: Vec::new(),
            audience: None,
            title: title.into(),
            alt: String::new(),
            body: body.into(),
            source: "test".into(),
        }
    }

    fn index() -> SearchIndex {
        SearchIndex::build(
            vec![
                doc(
                    "faq:scadenza",
                    "Qual è la scadenza del bando?",
                    "Il termine è il 27/02/2020 dopo due proroghe.",
                ),
                doc(
                    "faq:perche",
                    "Perché esiste la strategia?",
                    "Per coniugare politiche sociali e lavoro.",
                ),
                doc(
                    "faq:pmi",
                    "Le piccole e medie imprese possono partecipare?",
                    "Sì, in via prioritaria.",
                ),
                doc("faq:novita", "Quali novità ci sono?", "Nessuna novità."),
            ],
            &[vec!["pmi".into(), "piccole e medie imprese".into()]],
        )
        .unwrap()
    }

    fn best(ix: &SearchIndex, q: &str) -> Option<String> {
        ix.search(q, 3)
            .hits
            .first()
            .map(|h| ix.entry(h.entry).doc.id.clone())
    }

    #[test]
    fn accents_case_and_inflections_do_not_matter() {
        let ix = index();
        assert_eq!(best(&ix, "perche"), Some("faq:perche".into()));
        assert_eq!(best(&ix, "NOVITA"), Some("faq:novita".into()));
        assert_eq!(best(&ix, "scadenze dei bandi"), Some("faq:scadenza".into()));
    }

    #[test]
    fn typos_are_tolerated_but_short_words_are_not_fuzzed() {
        let ix = index();
        assert_eq!(best(&ix, "scadensa"), Some("faq:scadenza".into()));
        assert_eq!(fuzzy_distance("pmi"), 0);
        assert_eq!(levenshtein_within("scadensa", "scadenza", 1), 1);
        assert_eq!(levenshtein_within("scadenza", "scadnesza", 2), 2);
        assert!(levenshtein_within("bando", "mondo", 1) > 1);
    }

    #[test]
    fn synonyms_expand_the_question() {
        let ix = index();
        let r = ix.search("possono partecipare le pmi?", 3);
        assert_eq!(ix.entry(r.hits[0].entry).doc.id, "faq:pmi");
        assert_eq!(r.confidence, Confidence::High);
    }

    #[test]
    fn dotted_acronyms_are_joined_and_nothing_else() {
        let cases = [
            ("il Piano A.L.Fa. 2026", "il Piano ALFa 2026"),
            ("la D.G.R. n. 22-5076", "la DGR n. 22-5076"),
            ("(we.ca.re)", "(wecare)"),
            ("fine frase. Nuova frase.", "fine frase. Nuova frase."),
            ("ore 12.00 del 13.09.2019", "ore 12.00 del 13.09.2019"),
            ("www.regione.piemonte.it", "www.regione.piemonte.it"),
            ("a.b", "a.b"),
        ];
        for (input, want) in cases {
            assert_eq!(join_acronyms(input), want, "{input}");
        }
    }

    #[test]
    fn query_syntax_is_just_text() {
        let ix = index();
        for q in [
            "\"(AND",
            "*",
            "scadenza: quando",
            "a:b OR c^2 ~ 'x' +-",
            "(((",
            "🙂🙂",
            "",
            "   ",
        ] {
            let r = ix.search(q, 3);
            assert!(r.hits.len() <= 3, "{q}");
        }
        assert_eq!(best(&ix, "scadenza: quando?"), Some("faq:scadenza".into()));
        let long = "parola ".repeat(700);
        let r = ix.search(&long, 3);
        assert!(r.query.truncated);
        assert_eq!(r.confidence, Confidence::None);
    }

    #[test]
    fn unrelated_questions_have_no_confident_answer() {
        let ix = index();
        assert_eq!(
            ix.search("ricetta della carbonara", 3).confidence,
            Confidence::None
        );
        assert_eq!(ix.search("il e di", 3).confidence, Confidence::None);
    }

    #[test]
    fn excerpts_mark_the_matched_words() {
        let ix = index();
        let q = ix.analyse("proroga della scadensa");
        let r = ix.excerpt(
            &q,
            "Il termine è stato prorogato, la scadenza è il 27/02/2020.",
            300,
        );
        let marks: Vec<_> =
            r.0.iter()
                .filter_map(|s| {
                    if let Span::Mark(m) = s {
                        Some(m.as_str())
                    } else {
                        None
                    }
                })
                .collect();
        assert_eq!(marks, vec!["prorogato", "scadenza"]);
        assert_eq!(
            r.to_plain(),
            "Il termine è stato prorogato, la scadenza è il 27/02/2020."
        );
    }
}
