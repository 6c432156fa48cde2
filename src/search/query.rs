//! The search built from an analysed question: each concept's stems in the title (×3)
//! and the body, its synonyms' words counting less (a word shared by several synonyms
//! asked once), a concept's terms scaled down by its weight, all in one flat disjunction
//! run over the index's postings ([`super::postings`]); curated answers and official
//! passages kept apart by the entry kind ([`Scope`]). Terms a field does not hold are
//! left out.
//!
//! The disjunction is flat: grouping a concept's terms made tantivy merge each group's
//! postings and then the groups (BENCHMARKS.md, thirty-first round). Each term's boost is
//! already multiplied by its concept's scale, as a boost on the group did, so the same
//! documents match with the same per-term scores.

use super::analysed::Analysed;
use super::postings::{Clause, Keep, Text};
use super::{Scope, SearchIndex};

impl SearchIndex {
    /// The best `k` entries of `scope` for the analysed question `q`: (entry, score).
    pub(super) fn top_for(&self, q: &Analysed, scope: Scope, k: usize) -> Vec<(usize, f32)> {
        let keep = match scope {
            Scope::Answers => Keep::NotPassages,
            Scope::Passages => Keep::Passages,
        };
        self.postings.top(self.clauses(q), keep, k)
    }

    /// Whether the text field `field` (title or body) holds the term `s`.
    #[cfg(test)]
    pub(super) fn field_holds(&self, field: tantivy::schema::Field, s: &str) -> bool {
        let text = if field == self.fields.title {
            Text::Title
        } else {
            Text::Body
        };
        self.postings.holds(text, s)
    }

    /// The clauses of `q`'s search, in the order their scores are added.
    pub(super) fn clauses<'q>(&self, q: &'q Analysed) -> Vec<Clause<'q>> {
        let mut clauses = Vec::new();
        for c in &q.concepts {
            // A concept's weight scales each of its terms (what a boost on a sub-query
            // of them did: the same product reaches each term's score).
            let scale = if c.scale < 1.0 { c.scale } else { 1.0 };
            let mut add = |field: Text, term: &'q str, boost: f32| {
                // A term the field does not hold scores nothing.
                if self.postings.holds(field, term) {
                    clauses.push(Clause {
                        field,
                        term,
                        boost: boost * scale,
                    });
                }
            };
            for s in &c.stems {
                add(Text::Title, s, 3.0);
                add(Text::Body, s, 1.0);
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
                add(Text::Title, s, 1.2 * share);
                add(Text::Body, s, 0.4 * share);
            }
        }
        clauses
    }
}
