//! The tantivy query built from an analysed question: each concept's stems in the title
//! (×3) and the body, its synonyms' words counting less (a word shared by several
//! synonyms asked once), a concept's terms scaled down by its weight, all in one flat
//! disjunction (see [`super::answers_query`]); curated answers and official passages kept
//! apart by the entry kind ([`Scope`]). Terms a field does not hold are left out, so no
//! scorer is built for them.

use tantivy::Term;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};

use super::analysed::Analysed;
use super::answers_query::AnswersQuery;
use super::{BODY_BIT, EntryKind, Scope, SearchIndex, TITLE_BIT, weights};

impl SearchIndex {
    pub(super) fn build_query(&self, q: &Analysed, scope: Scope) -> Box<dyn Query> {
        let passage = Term::from_field_u64(self.fields.kind, EntryKind::Passage.code());
        let words = self.words_query(q);
        match scope {
            Scope::Answers => Box::new(AnswersQuery::new(words, passage)),
            Scope::Passages => Box::new(BooleanQuery::new(vec![
                (Occur::Must, Box::new(words)),
                (
                    Occur::Must,
                    Box::new(BoostQuery::new(
                        Box::new(TermQuery::new(passage, IndexRecordOption::Basic)),
                        0.0,
                    )),
                ),
            ])),
        }
    }

    /// Whether the text field `field` (title or body) holds the term `s`.
    pub(super) fn field_holds(&self, field: Field, s: &str) -> bool {
        let bit = if field == self.fields.title {
            TITLE_BIT
        } else {
            BODY_BIT
        };
        let bits = match self.in_fields.get(s) {
            Some(&bits) => bits,
            None if self.df.contains_key(s) => BODY_BIT,
            None => 0,
        };
        bits & bit != 0
    }

    fn words_query(&self, q: &Analysed) -> BooleanQuery {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for c in &q.concepts {
            // A concept's weight scales each of its terms (what a boost on a sub-query
            // of them did: the same product reaches each term's scorer).
            let scale = if c.scale < 1.0 { c.scale } else { 1.0 };
            let mut add = |field: Field, s: &str, boost: f32| {
                // A term the field does not hold scores nothing: no weight is built for it.
                if !self.field_holds(field, s) {
                    return;
                }
                let tq = Box::new(weights::KeptTerm::new(
                    self.serial,
                    Term::from_field_text(field, s),
                ));
                let boost = boost * scale;
                // A boost of 1 multiplies the score by 1: the same scorer, one box less.
                if boost == 1.0 {
                    clauses.push((Occur::Should, tq));
                } else {
                    clauses.push((Occur::Should, Box::new(BoostQuery::new(tq, boost))));
                }
            };
            for s in &c.stems {
                add(f.title, s, 3.0);
                add(f.body, s, 1.0);
            }
            // Synonym words count less; a word shared by several synonyms is asked once.
            let mut alt: Vec<(&str, f32)> = Vec::new();
            for term in c.alt_terms.iter() {
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
        }
        BooleanQuery::new(clauses)
    }
}
