//! The query that finds the curated answers: a question's terms as one flat disjunction,
//! the official documents' passages left out as the top is collected.
//!
//! Why: a search keeps the best few dozen entries of thousands that share a common word,
//! so what counts is the cost of reading each matching document once. Grouping a
//! concept's terms in a sub-query made tantivy merge each group's postings, then merge
//! the groups again, document by document; leaving passages out with a `MustNot` clause
//! wrapped that in one more layer. One flat union of the terms, read in blocks, is about a
//! fifth faster at 10,000 entries (search p99 ×0.81; see BENCHMARKS.md, thirty-first
//! round).
//!
//! Each term's boost is already multiplied by its concept's scale, as nesting did, so the
//! same documents match with the same per-term scores; only the order in which a
//! document's term scores are added differs. Passages are skipped as tantivy skips
//! deleted documents: the top's callback never sees them. The union is read without
//! block-max WAND, which was measured slower for these many-term questions (BENCHMARKS.md).

use tantivy::query::{BooleanQuery, EnableScoring, Explanation, Query, Scorer, TermQuery, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, Term};

/// A flat disjunction of terms (`words`) over the entries that are not passages.
#[derive(Debug, Clone)]
pub(super) struct AnswersQuery {
    words: BooleanQuery,
    passage: Term,
}

impl AnswersQuery {
    /// `words` is a disjunction of (boosted) term queries; `passage` the `kind` term of
    /// passages.
    pub(super) fn new(words: BooleanQuery, passage: Term) -> AnswersQuery {
        AnswersQuery { words, passage }
    }
}

impl Query for AnswersQuery {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(AnswersWeight {
            words: self.words.weight(scoring)?,
            passages: TermQuery::new(self.passage.clone(), IndexRecordOption::Basic)
                .weight(EnableScoring::disabled_from_schema(scoring.schema()))?,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.words.query_terms(visitor);
    }
}

struct AnswersWeight {
    words: Box<dyn Weight>,
    passages: Box<dyn Weight>,
}

/// Collecting the top is tantivy's own `for_each_pruning` over [`AnswersWeight::scorer`],
/// which never yields a passage.
impl Weight for AnswersWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut s = Excluding {
            inner: self.words.scorer(reader, boost)?,
            out: self.passages.scorer(reader, 1.0)?,
        };
        s.skip_excluded();
        Ok(Box::new(s))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut out = self.passages.scorer(reader, 1.0)?;
        if out.doc() <= doc && out.seek(doc) == doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} is a passage, not an answer"
            )));
        }
        self.words.explain(reader, doc)
    }
}

/// A scorer without the documents of another (what `MustNot` does).
struct Excluding {
    inner: Box<dyn Scorer>,
    out: Box<dyn Scorer>,
}

impl Excluding {
    /// Moves past the excluded documents, from the current one on.
    fn skip_excluded(&mut self) -> DocId {
        loop {
            let doc = self.inner.doc();
            if doc == TERMINATED {
                return doc;
            }
            // The excluded list is only ever read forward.
            if self.out.doc() < doc {
                self.out.seek(doc);
            }
            if self.out.doc() != doc {
                return doc;
            }
            self.inner.advance();
        }
    }
}

impl DocSet for Excluding {
    fn advance(&mut self) -> DocId {
        self.inner.advance();
        self.skip_excluded()
    }

    fn doc(&self) -> DocId {
        self.inner.doc()
    }

    fn size_hint(&self) -> u32 {
        self.inner.size_hint()
    }
}

impl Scorer for Excluding {
    fn score(&mut self) -> Score {
        self.inner.score()
    }
}
