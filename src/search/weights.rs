//! Term weights kept across searches. Building a term's BM25 weight (an FST lookup for
//! its document frequency, the idf's explanation, a 256-entry table of term-frequency
//! factors) is about a tenth of the engine's instructions, and one message searches the
//! same terms several times (the answers, then the plain BM25 second opinion with the
//! question's own stems; a follow-up, the question read alone). The index never changes
//! once built, so a term's weight never does either: the last few dozen weights a thread
//! built are kept, per index ([`SearchIndex`]'s serial), and each search scores with the
//! very same weight (the same scorers, the same scores).
//!
//! Few are kept (each holds about 1.5 KB, on every thread that searches): enough for the
//! searches of one message and the terms its neighbours share, not a whole vocabulary
//! (256 per thread raised the bot's peak memory; see BENCHMARKS.md, perf2 and perf4).
//!
//! [`SearchIndex`]: super::SearchIndex

use std::cell::RefCell;
use std::sync::Arc;

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, TermQuery, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, Score, SegmentReader, Term};

use super::HashMap;

/// At most this many weights are kept per thread (then all are forgotten at once): each
/// holds about 1.5 KB.
const KEPT: usize = 64;

thread_local! {
    static WEIGHTS: RefCell<HashMap<(u64, Term), Arc<dyn Weight>>> =
        RefCell::new(HashMap::default());
}

/// A term query (frequencies read, as the searches' term clauses are) whose weight is
/// built once per thread and index.
#[derive(Clone, Debug)]
pub(super) struct KeptTerm {
    serial: u64,
    term: Term,
}

impl KeptTerm {
    pub(super) fn new(serial: u64, term: Term) -> KeptTerm {
        KeptTerm { serial, term }
    }

    fn plain(&self) -> TermQuery {
        TermQuery::new(self.term.clone(), IndexRecordOption::WithFreqs)
    }
}

impl Query for KeptTerm {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        if !scoring.is_scoring_enabled() {
            return self.plain().weight(scoring);
        }
        let key = (self.serial, self.term.clone());
        if let Some(w) = WEIGHTS.with_borrow(|m| m.get(&key).cloned()) {
            return Ok(Box::new(Shared(w)));
        }
        let w: Arc<dyn Weight> = Arc::from(self.plain().weight(scoring)?);
        WEIGHTS.with_borrow_mut(|m| {
            if m.len() >= KEPT {
                m.clear();
            }
            m.insert(key, w.clone());
        });
        Ok(Box::new(Shared(w)))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        visitor(&self.term, false);
    }
}

/// A kept weight: every call goes to the term's own weight.
struct Shared(Arc<dyn Weight>);

impl Weight for Shared {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        self.0.scorer(reader, boost)
    }

    fn scorer_danger(
        &self,
        reader: &SegmentReader,
        target: DocId,
        boost: Score,
    ) -> tantivy::Result<(tantivy::SeekDangerResult, Box<dyn Scorer>)> {
        self.0.scorer_danger(reader, target, boost)
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.0.explain(reader, doc)
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        self.0.count(reader)
    }

    fn for_each(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score),
    ) -> tantivy::Result<()> {
        self.0.for_each(reader, callback)
    }

    fn for_each_no_score(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(&[DocId]),
    ) -> tantivy::Result<()> {
        self.0.for_each_no_score(reader, callback)
    }

    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        self.0.for_each_pruning(threshold, reader, callback)
    }
}
