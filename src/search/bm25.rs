//! The plain BM25 baseline: the yardstick the engine's answers are measured against.
//!
//! Same index, same Italian analysis (folding, stop words, stemming), but nothing else:
//! no typo correction, no synonyms, no re-ranking by coverage, no call in focus, no
//! confidence step. Its "direct answer" is always its top hit. Kept in the library so the
//! held-out test compares the bot with the baseline on the very same index (its
//! postings, [`super::postings`], scored as tantivy scores them).

use super::SearchIndex;
use super::postings::{Clause, Keep, Text};

impl SearchIndex {
    /// Entries ranked by plain BM25 over question, alternatives and answer (title and
    /// body fields, no boosts), best first, at most `limit`: (entry, score).
    pub fn search_bm25(&self, question: &str, limit: usize) -> Vec<(usize, f32)> {
        let text: String = question.chars().take(super::MAX_QUERY_CHARS).collect();
        // The stems the stemming analyzer gives, looked up rather than stemmed again.
        let mut stems: Vec<std::borrow::Cow<'_, str>> = self
            .stems_at(&crate::fold::join_acronyms(&text))
            .into_iter()
            .map(|(s, _, _)| s)
            .collect();
        stems.sort();
        stems.dedup();
        if stems.is_empty() {
            return Vec::new();
        }
        // The query is built from the stems and the limit alone (see `found`).
        let mut key = super::found::Key::default();
        key.len(limit).len(stems.len());
        for s in &stems {
            key.stem(&self.ids, s);
        }
        self.found.plain.get_or(key, || {
            let clauses = self.plain_clauses(stems.iter().map(|s| s.as_ref()));
            self.postings.top(clauses, Keep::NotPassages, limit)
        })
    }

    /// The plain search's clauses: each stem in the title and in the body, unboosted,
    /// where the field holds it (a term the field does not hold scores nothing).
    pub(super) fn plain_clauses<'s>(
        &self,
        stems: impl IntoIterator<Item = &'s str>,
    ) -> Vec<Clause<'s>> {
        stems
            .into_iter()
            .flat_map(|term| {
                [Text::Title, Text::Body].map(|field| Clause {
                    field,
                    term,
                    boost: 1.0,
                })
            })
            .filter(|c| self.postings.holds(c.field, c.term))
            .collect()
    }
}
