//! What an index's searches found, remembered by the index. The answers' search of a
//! message (`search_analysed`: the candidates of the postings, then their coverage, similarity and
//! rank, in `rank.rs`; kept: the hits, their confidence, which concepts no candidate held)
//! and the plain BM25 second opinion (`search_bm25`) were about half of the
//! engine's instructions, and both are pure functions of the index and their inputs: an
//! index never changes once built (a reload builds a new one, with an empty memory; the
//! learned weights, which the rank does not read, are set before any search and forget
//! the memory when set again). So a question asked again (the same analysis, or for the
//! plain search the same stems) takes the results found the first time instead of
//! searching. A question never asked before gains nothing: it pays for its key and for
//! keeping its results.
//!
//! The key is exact: every input written out in full (every field of the analysis, floats
//! as their bits, stems as their ids in the index, other strings with their lengths; see
//! [`Key`]), so two different searches never share an entry. The memory of each kind of
//! search is a `crate::kept::Kept` (at most `KEPT` results and about `BYTES` bytes of
//! keys and results; then all are forgotten at once, as the thread-local memos of
//! `memo.rs` does) shared by the threads that search (each runtime
//! worker): one question is searched once, not once per thread.

use super::ids::StemIds;
use super::{Analysed, Confidence, Hit, Scope, SearchIndex};

use crate::kept::{Kept, Size};

/// The memory of one kind of search of one index (see `crate::kept`).
pub(super) type Found<V> = Kept<V>;

/// An exact key: every input of a search written out; a stem the index has an id for as
/// that id (ids are unique per stem, see `ids`), any other string with its length.
pub(super) struct Key(Vec<u8>);

impl Default for Key {
    fn default() -> Key {
        // Room for most keys: no reallocation while it is written.
        Key(Vec::with_capacity(128))
    }
}

impl From<Key> for Vec<u8> {
    fn from(k: Key) -> Vec<u8> {
        k.0
    }
}

impl Key {
    pub(super) fn num(&mut self, n: u32) -> &mut Key {
        self.0.extend_from_slice(&n.to_le_bytes());
        self
    }

    /// A count or a length (a search's inputs hold far fewer than 2³² of anything).
    pub(super) fn len(&mut self, n: usize) -> &mut Key {
        self.num(u32::try_from(n).unwrap_or(u32::MAX))
    }

    pub(super) fn text(&mut self, s: &str) -> &mut Key {
        self.len(s.len());
        self.0.extend_from_slice(s.as_bytes());
        self
    }

    /// A stem: its id in `ids` (marked 0), else its text (marked 1).
    pub(super) fn stem(&mut self, ids: &StemIds, s: &str) -> &mut Key {
        match ids.id(s) {
            Some(id) => {
                self.0.push(0);
                self.num(id)
            }
            None => {
                self.0.push(1);
                self.text(s)
            }
        }
    }

    fn stems(&mut self, ids: &StemIds, ss: &[String]) -> &mut Key {
        self.len(ss.len());
        for s in ss {
            self.stem(ids, s);
        }
        self
    }

    fn flag(&mut self, b: bool) -> &mut Key {
        self.0.push(u8::from(b));
        self
    }
}

/// The key of an answers' search: the whole analysis (each concept's stems, synonyms,
/// weight, question and light marks and scale, in order; the unknown words and their
/// weight; the light words' weight; whether the question was cut), the number of hits
/// asked for and the scope. `None` (search afresh) for an analysis whose question words
/// are not this index's own, or with a count over 2³².
pub(super) fn results_key(
    ix: &SearchIndex,
    q: &Analysed,
    limit: usize,
    scope: Scope,
) -> Option<Key> {
    if !std::sync::Arc::ptr_eq(&q.question_stems, &ix.question_stems) {
        return None;
    }
    let counts = [
        limit,
        q.unknown_words,
        q.unknown_terms.len(),
        q.concepts.len(),
    ];
    if counts.iter().any(|&n| u32::try_from(n).is_err()) {
        return None;
    }
    let ids = &ix.ids;
    let mut key = Key::default();
    key.len(limit).flag(scope == Scope::Passages);
    key.flag(q.truncated)
        .num(q.unknown.to_bits())
        .len(q.unknown_words)
        .len(q.unknown_terms.len());
    for t in &q.unknown_terms {
        key.text(t);
    }
    key.num(q.light_weight.to_bits()).len(q.concepts.len());
    for c in &q.concepts {
        key.stems(ids, &c.stems).len(c.alt_terms.len());
        for term in c.alt_terms.iter() {
            key.stems(ids, term);
        }
        key.num(c.weight.to_bits())
            .flag(c.question)
            .flag(c.light)
            .num(c.scale.to_bits());
    }
    Some(key)
}

impl Size for Vec<(usize, f32)> {
    fn size(&self) -> usize {
        std::mem::size_of_val(self.as_slice()) + std::mem::size_of::<Self>()
    }
}

/// What an answers' search found for an analysis: its hits and their confidence, and the
/// positions of the concepts no candidate holds (the analysis the results carry loses
/// them: see `SearchIndex::drop_unreached`).
#[derive(Clone)]
pub(super) struct Ranked {
    pub(super) hits: Vec<Hit>,
    pub(super) confidence: Confidence,
    pub(super) unreached: Vec<usize>,
}

impl Size for Ranked {
    fn size(&self) -> usize {
        std::mem::size_of::<Self>()
            + std::mem::size_of_val(self.hits.as_slice())
            + std::mem::size_of_val(self.unreached.as_slice())
    }
}

/// The two memories of an index: the answers' results and the plain BM25 search's.
pub(super) struct Memory {
    pub(super) answers: Found<Ranked>,
    pub(super) plain: Found<Vec<(usize, f32)>>,
}

impl Default for Memory {
    fn default() -> Memory {
        Memory {
            answers: Found::new("answers"),
            plain: Found::new("plain"),
        }
    }
}

/// How often an index's memories answered (see [`super::SearchIndex::memory`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemoryCounts {
    /// The answers' searches (`search_analysed`) answered from memory, and run.
    pub answers: (u64, u64),
    /// The plain BM25 searches answered from memory, and run.
    pub plain: (u64, u64),
    /// The analyses of a text taken from memory, and made (see `analysed::Analyses`).
    pub analyses: (u64, u64),
    /// The excerpts' marks taken from memory, and found (see `excerpt::MarksKept`).
    pub marks: (u64, u64),
    /// About how many bytes the analyses and the marks kept now hold.
    pub bytes: (usize, usize),
}

impl Memory {
    pub(super) fn counts(&self) -> MemoryCounts {
        MemoryCounts {
            answers: self.answers.counts(),
            plain: self.plain.counts(),
            ..MemoryCounts::default()
        }
    }

    /// Forgets the answers' results when the learned weights are set again (the ranking
    /// does not read them today; a memory must not outlive what it could come to read).
    pub(super) fn forget_ranked(&self) {
        self.answers.forget();
    }
}
