//! The postings of the index's two text fields, read out of tantivy once when the index
//! is built, and the one kind of search the engine runs over them: a flat disjunction of
//! boosted terms, scored as tantivy scores it, best `k` first.
//!
//! **Why.** Under callgrind a question never seen before spent about half of its
//! instructions in one tantivy search, and most of that was not reading postings but
//! setting the search up: per term an FST lookup, a BM25 weight with a 256-entry table,
//! a boxed scorer with its block decoder; then a union buffering 4,096 documents and a
//! heap (BENCHMARKS.md, "Where the engine's instructions go"). A pack has a few hundred
//! entries (a few thousand with its documents' passages), so the same search is a loop
//! over the question's postings into one score per document, then a partial sort.
//! tantivy still builds the index (its tokenizers, its field lengths) and is dropped once
//! its postings are read here.
//!
//! **The same scores, bit for bit,** so that no answer moves:
//! - BM25 with tantivy's constants (`K1`, `B`) and its statistics: a term's document
//!   frequency and the field's average length over every document, passages included;
//!   field lengths as tantivy keeps them, one-byte codes
//!   ([`FieldNormReader::id_to_fieldnorm`]);
//! - a term's weight, `idf × (1 + K1)`, multiplied by its boost unless the boost is 1, as
//!   tantivy's `Bm25Weight::boost_by` does, then by `tf / (tf + norm)`;
//! - a document's term scores added from 0 in the order of the clauses (tantivy's union
//!   adds them in the order of its scorers, which is the clauses');
//! - the best `k` by score, the lower document first among equal scores (tantivy's
//!   top-k rejects an equal score that comes later).
//!
//! `postings_tests.rs` compares the searches of every fifth retrieval question with
//! tantivy's own, scores included, and the engine's bench prints the same checksum of its
//! replies.

use std::cell::RefCell;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::Postings as _;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocSet, Searcher, TERMINATED};

use super::HashMap;

/// tantivy's BM25 constants (`tantivy::query::bm25`).
const K1: f32 = 1.2;
const B: f32 = 0.75;

/// Which documents a search keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Keep {
    /// Every document but the passages of official documents.
    NotPassages,
    /// Only the passages.
    Passages,
}

/// The index's text fields, in the order [`Postings`] holds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Text {
    Title = 0,
    Body = 1,
}

/// One clause of a search: a term of a field and its boost.
#[derive(Debug, Clone, Copy)]
pub(super) struct Clause<'a> {
    pub field: Text,
    pub term: &'a str,
    pub boost: f32,
}

/// The postings of both text fields and what each document is.
pub(super) struct Postings {
    fields: [FieldLists; 2],
    /// Per document (tantivy's order: segment by segment, then document id): the entry
    /// it indexes.
    entry: Box<[u32]>,
    /// Per document: whether it is a passage of an official document.
    passage: Box<[bool]>,
}

/// One field's lists, laid end to end.
struct FieldLists {
    terms: HashMap<Box<str>, TermList>,
    docs: Box<[u32]>,
    freqs: Box<[u32]>,
    /// Each posting's field-length code (tantivy's fieldnorm id).
    codes: Box<[u8]>,
    /// `K1 × (1 − B + B × length / average length)` per field-length code: tantivy's
    /// table, computed once per field rather than once per term.
    norms: Box<[f32; 256]>,
}

/// Where a term's postings lie in its field's lists, and its weight `idf × (1 + K1)`.
#[derive(Clone, Copy)]
struct TermList {
    start: u32,
    end: u32,
    weight: f32,
}

/// A term's postings as read, segment by segment: (document, frequency, length code).
type Read = Vec<(u32, u32, u8)>;

impl Postings {
    /// Reads the postings of `fields` (title, body) from every segment of `searcher`;
    /// `entry` is the entry of each document by segment and document id, and
    /// `is_passage` tells the passages by entry.
    pub(super) fn read(
        searcher: &Searcher,
        fields: [Field; 2],
        entry: impl Fn(u32, u32) -> Option<u32>,
        is_passage: impl Fn(u32) -> bool,
    ) -> tantivy::Result<Postings> {
        let mut entries = Vec::new();
        let mut bases = Vec::new();
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            bases.push(entries.len() as u32);
            for doc in 0..segment.max_doc() {
                // Every document has its entry: one without would match nothing.
                entries.push(entry(ord as u32, doc).unwrap_or(u32::MAX));
            }
        }
        let total_docs = entries.len() as u64;
        let passage: Box<[bool]> = entries
            .iter()
            .map(|&e| e != u32::MAX && is_passage(e))
            .collect();
        let mut lists = Vec::with_capacity(2);
        for field in fields {
            let mut by_term: HashMap<Box<str>, (u64, Read)> = HashMap::default();
            let mut total_tokens = 0u64;
            for (segment, base) in searcher.segment_readers().iter().zip(&bases) {
                let index = segment.inverted_index(field)?;
                total_tokens += index.total_num_tokens();
                let lengths = segment.get_fieldnorms_reader(field)?;
                let mut terms = index.terms().stream()?;
                while terms.advance() {
                    // The text fields hold UTF-8 terms only.
                    let Ok(term) = std::str::from_utf8(terms.key()) else {
                        continue;
                    };
                    let info = terms.value();
                    let (df, read) = by_term.entry(term.into()).or_default();
                    *df += u64::from(info.doc_freq);
                    let mut p =
                        index.read_postings_from_terminfo(info, IndexRecordOption::WithFreqs)?;
                    while p.doc() != TERMINATED {
                        let doc = p.doc();
                        read.push((base + doc, p.term_freq(), lengths.fieldnorm_id(doc)));
                        p.advance();
                    }
                }
            }
            lists.push(FieldLists::new(by_term, total_tokens, total_docs));
        }
        let [title, body]: [FieldLists; 2] = lists
            .try_into()
            .map_err(|_| tantivy::TantivyError::InternalError("two text fields expected".into()))?;
        Ok(Postings {
            fields: [title, body],
            entry: entries.into(),
            passage,
        })
    }

    /// Whether `field` holds `term` in some document: a clause of a term its field does
    /// not hold would score nothing, and is left out.
    pub(super) fn holds(&self, field: Text, term: &str) -> bool {
        self.fields[field as usize].terms.contains_key(term)
    }

    /// The best `k` entries for `clauses` among the documents `keep` keeps: (entry,
    /// score), best first, the lower document first among equal scores. A document
    /// matches when it holds a term of some clause.
    pub(super) fn top<'a>(
        &self,
        clauses: impl IntoIterator<Item = Clause<'a>>,
        keep: Keep,
        k: usize,
    ) -> Vec<(usize, f32)> {
        let want_passages = keep == Keep::Passages;
        SCRATCH.with_borrow_mut(|s| {
            let Scratch {
                scores,
                seen,
                touched,
            } = s;
            if scores.len() < self.entry.len() {
                scores.resize(self.entry.len(), 0.0);
                seen.resize(self.entry.len(), false);
            }
            for c in clauses {
                let lists = &self.fields[c.field as usize];
                let Some(t) = lists.terms.get(c.term) else {
                    continue;
                };
                // `Bm25Weight::boost_by`: a boost of 1 leaves the weight as it is.
                let weight = if c.boost == 1.0 {
                    t.weight
                } else {
                    t.weight * c.boost
                };
                let (from, to) = (t.start as usize, t.end as usize);
                for ((&doc, &tf), &code) in lists.docs[from..to]
                    .iter()
                    .zip(&lists.freqs[from..to])
                    .zip(&lists.codes[from..to])
                {
                    let d = doc as usize;
                    if self.passage[d] != want_passages {
                        continue;
                    }
                    // `Bm25Weight::score`: weight × tf / (tf + norm).
                    let tf = tf as f32;
                    let score = weight * (tf / (tf + lists.norms[code as usize]));
                    if !seen[d] {
                        seen[d] = true;
                        touched.push(doc);
                    }
                    scores[d] += score;
                }
            }
            let mut found: Vec<(f32, u32)> = touched
                .drain(..)
                .map(|doc| {
                    let d = doc as usize;
                    let score = std::mem::take(&mut scores[d]);
                    seen[d] = false;
                    (score, doc)
                })
                .collect();
            let order = |a: &(f32, u32), b: &(f32, u32)| {
                b.0.partial_cmp(&a.0)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then(a.1.cmp(&b.1))
            };
            if found.len() > k {
                if k == 0 {
                    return Vec::new();
                }
                found.select_nth_unstable_by(k - 1, order);
                found.truncate(k);
            }
            found.sort_unstable_by(order);
            found
                .into_iter()
                .filter(|&(_, doc)| self.entry[doc as usize] != u32::MAX)
                .map(|(score, doc)| (self.entry[doc as usize] as usize, score))
                .collect()
        })
    }
}

impl FieldLists {
    fn new(by_term: HashMap<Box<str>, (u64, Read)>, total_tokens: u64, total_docs: u64) -> Self {
        // `Bm25Weight::for_terms`: the average over every document of the index.
        let average = total_tokens as f32 / total_docs as f32;
        let mut norms = Box::new([0f32; 256]);
        for (code, norm) in norms.iter_mut().enumerate() {
            let length = FieldNormReader::id_to_fieldnorm(code as u8);
            *norm = K1 * (1.0 - B + B * length as f32 / average);
        }
        let count: usize = by_term.values().map(|(_, r)| r.len()).sum();
        let (mut docs, mut freqs, mut codes) = (
            Vec::with_capacity(count),
            Vec::with_capacity(count),
            Vec::with_capacity(count),
        );
        let mut terms = HashMap::default();
        terms.reserve(by_term.len());
        for (term, (df, read)) in by_term {
            let start = docs.len() as u32;
            for (doc, tf, code) in read {
                docs.push(doc);
                freqs.push(tf);
                codes.push(code);
            }
            let weight = idf(df, total_docs) * (1.0 + K1);
            let end = docs.len() as u32;
            terms.insert(term, TermList { start, end, weight });
        }
        FieldLists {
            terms,
            docs: docs.into(),
            freqs: freqs.into(),
            codes: codes.into(),
            norms,
        }
    }
}

/// tantivy's idf (`tantivy::query::bm25::idf`): `ln(1 + (N − n + 0.5) / (n + 0.5))`.
fn idf(doc_freq: u64, doc_count: u64) -> f32 {
    let x = (doc_count.saturating_sub(doc_freq) as f32 + 0.5) / (doc_freq as f32 + 0.5);
    (1.0 + x).ln()
}

/// A search's running scores, kept per thread between searches (a few thousand floats),
/// and left zeroed: only the documents a search touched are reset.
#[derive(Default)]
struct Scratch {
    scores: Vec<f32>,
    seen: Vec<bool>,
    touched: Vec<u32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}
