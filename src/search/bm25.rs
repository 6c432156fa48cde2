//! The plain BM25 baseline: the yardstick the engine's answers are measured against.
//!
//! Same index, same Italian analysis (folding, stop words, stemming), but nothing else:
//! no typo correction, no synonyms, no re-ranking by coverage, no call in focus, no
//! confidence step. Its "direct answer" is always its top hit. Kept in the library so the
//! held-out test compares the bot with the baseline on the very same tantivy index.

use tantivy::Term;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;

use super::{EntryKind, SearchIndex};

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
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for s in &stems {
                for field in [self.fields.title, self.fields.body] {
                    // A term the field does not hold scores nothing (see `words_query`).
                    if !self.field_holds(field, s) {
                        continue;
                    }
                    clauses.push((
                        Occur::Should,
                        Box::new(super::weights::KeptTerm::new(
                            self.serial,
                            Term::from_field_text(field, s),
                        )),
                    ));
                }
            }
            let passage = Box::new(TermQuery::new(
                Term::from_field_u64(self.fields.kind, EntryKind::Passage.code()),
                IndexRecordOption::Basic,
            ));
            let q = BooleanQuery::new(vec![
                (
                    Occur::Must,
                    Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>,
                ),
                (Occur::MustNot, passage),
            ]);
            let searcher = self.reader.searcher();
            let top = searcher
                .search(&q, &TopDocs::with_limit(limit).order_by_score())
                .unwrap_or_default();
            top.into_iter()
                .filter_map(|(score, addr)| {
                    let ord = searcher
                        .segment_reader(addr.segment_ord)
                        .fast_fields()
                        .u64("ord")
                        .ok()?
                        .first(addr.doc_id)?;
                    Some((ord as usize, score))
                })
                .collect()
        })
    }
}
