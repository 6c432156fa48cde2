//! Ranking: how well an entry answers a question, from the concepts they share.
//!
//! BM25 finds the candidates; the rank then weighs three things, each concept by its
//! rarity (a word in most entries tells them apart less than a rare one):
//! - coverage: how much of the question the entry holds anywhere (title and alternatives
//!   count fully, the body less, a synonym or a corrected typo a little less);
//! - similarity: how close the question is to the entry's *best single phrasing* (its
//!   question or one alternative), seen from both sides, so that a near paraphrase of one
//!   phrasing beats an entry whose many alternatives together mention every word;
//! - BM25 itself, normalised, to break ties, and a small prior for curated answers.
//!
//! Words that no entry contains weigh nothing (they cannot tell entries apart), but they
//! are counted: a question made mostly of them is about something the pack does not know.

use super::HashMap;
use super::ids::{ConceptIds, IdSet};

use super::{
    Analysed, Concept, Confidence, Entry, EntryKind, Hit, LIGHT, Scope, SearchIndex, found,
};

impl SearchIndex {
    /// Searches the postings for the candidates, then ranks them (see `SearchIndex::search_analysed`);
    /// `query` loses the concepts no candidate holds.
    pub(super) fn search_afresh(
        &self,
        query: &mut Analysed,
        limit: usize,
        scope: Scope,
    ) -> found::Ranked {
        // Fetch more than asked: coverage re-ranks the candidates.
        let candidates = self.top_for(query, scope, limit.max(10) * 2);
        let strengths = self.strengths(query, &candidates);
        let unreached = self.unreached(query, &strengths);
        self.drop_unreached(query, &unreached);
        let hits = self.rank(query, candidates, &strengths, limit);
        let confidence = confidence(&hits, query);
        found::Ranked {
            hits,
            confidence,
            unreached,
        }
    }
}

/// Strength of a concept found in an entry's title (or alternatives) and in its body.
const TITLE_MATCH: f32 = 1.0;
const BODY_MATCH: f32 = 0.55;
/// In one of the entry's alternative phrasings: almost as good as its title.
const ALT_MATCH: f32 = 0.9;
/// Strength of a concept found in the text of a passage of an official document.
const PASSAGE_BODY_MATCH: f32 = 0.8;
/// A concept found only through a synonym counts this much of the user's own word.
const SYNONYM_FACTOR: f32 = 0.9;
// A concept the title holds counts at least as much as any other place can make it
// count: a title's weakest hold (through a synonym) is no less than the alternatives' or
// a body's strongest (`SearchIndex::strength` looks no further than the title then).
const _: () = assert!(
    TITLE_MATCH * SYNONYM_FACTOR >= ALT_MATCH
        && TITLE_MATCH * SYNONYM_FACTOR >= BODY_MATCH
        && TITLE_MATCH * SYNONYM_FACTOR >= PASSAGE_BODY_MATCH
);
/// Similarity through an alternative phrasing, relative to the entry's own question.
const ALT_SIMILARITY: f32 = 0.95;
/// Shares of the ranking key.
const COVERAGE_SHARE: f32 = 0.5;
const SIMILARITY_SHARE: f32 = 0.35;
const BM25_SHARE: f32 = 0.25;
/// A FAQ is a curated answer to a question: it goes before call text that covers the
/// question as well.
const FAQ_PRIOR: f32 = 0.12;
/// How far ahead of the runner-up (in ranking key) the best hit must be for the plain
/// search confidence (staff tools and passages use it; the engine decides with context).
const LEAD: f32 = 0.07;

impl SearchIndex {
    /// In how many entries a concept occurs: in the user's own words when the pack has
    /// them (`entro quando` is rarer, and says more, than `scadenza`), else in the
    /// commonest of its synonyms; 0 when no entry has it.
    pub(super) fn concept_df<'a>(
        &self,
        own: &[String],
        alt: impl IntoIterator<Item = &'a Vec<String>>,
    ) -> u32 {
        let df = |stems: &[String]| {
            stems
                .iter()
                .map(|s| self.df.get(s).copied().unwrap_or(0))
                .min()
                .unwrap_or(0)
        };
        let mine = df(own);
        if mine > 0 {
            return mine;
        }
        alt.into_iter().map(|t| df(t)).max().unwrap_or(0)
    }

    /// The weight of a concept found in `df` entries: rare words tell entries apart,
    /// common ones do not, and a word no entry has weighs nothing.
    pub(super) fn weight_of(&self, df: u32) -> f32 {
        if df == 0 {
            return 0.0;
        }
        let n = self.entries.len().max(1) as f32;
        (1.0 + n / df as f32).ln()
    }

    /// The weight an unknown word counts with in the share of the question the pack
    /// does not know: that of a word in a fifth of the entries, so one odd word among
    /// several known ones does not make a question unknown.
    pub(super) fn unknown_weight(&self) -> f32 {
        self.weight_of((self.entries.len() as u32 / 5).max(1))
    }

    /// How strongly each candidate holds each concept of the question ([`Self::strength`]):
    /// one row per candidate, one column per concept. Computed once, for dropping the
    /// unreached concepts, for the coverage of each candidate and for its similarity.
    pub(super) fn strengths(&self, q: &Analysed, candidates: &[(usize, f32)]) -> Strengths {
        let mut out = Strengths {
            of: Vec::with_capacity(candidates.len() * q.concepts.len()),
            phrased: Vec::with_capacity(candidates.len() * q.concepts.len()),
        };
        let ids: Vec<ConceptIds> = q
            .concepts
            .iter()
            .map(|c| ConceptIds::of(&self.ids, c))
            .collect();
        for &(e, _) in candidates {
            let e = &self.entries[e];
            for c in &ids {
                let (s, phrased) = self.strength(c, e);
                out.of.push(s);
                out.phrased.push(phrased);
            }
        }
        out
    }

    /// How well an entry contains a concept: 1 in the title, less in the body, less
    /// again through a synonym or a typo; and whether its title or alternatives hold it.
    fn strength(&self, c: &ConceptIds, e: &Entry) -> (f32, bool) {
        let body = if e.doc.kind == EntryKind::Passage {
            PASSAGE_BODY_MATCH
        } else {
            BODY_MATCH
        };
        let title = place_set(c, &e.title_stems);
        // Held by the title (1, or a synonym's share): neither the alternatives nor the
        // body can count more (asserted with the constants), so they are not looked at.
        if title > 0.0 {
            return (TITLE_MATCH * title, true);
        }
        let alt = place_set(c, &e.alt_stems);
        let s = [
            (TITLE_MATCH, title),
            (ALT_MATCH, alt),
            (body, place_set(c, &e.body_stems)),
        ]
        .into_iter()
        .map(|(w, p)| w * p)
        .fold(0.0, f32::max);
        (s, title > 0.0 || alt > 0.0)
    }

    /// How close the question is to the entry's closest phrasing: the share of the
    /// question it holds times the share of it the question holds (square roots, so one
    /// side alone cannot make a near paraphrase).
    ///
    /// `phrased`: for each concept of `q`, whether the entry's title or alternatives hold
    /// it ([`Self::strengths`]); when every phrasing is drawn from those (see
    /// `Entry::phrasings_within`), a concept they do not hold is in no phrasing.
    fn similarity(&self, q: &Analysed, view: &QueryView, e: &Entry, phrased: &[bool]) -> f32 {
        if view.total <= 0.0 {
            return 0.0;
        }
        let may_hold = |j: usize| !e.phrasings_within || phrased[j];
        if !(0..q.concepts.len()).any(may_hold) {
            return 0.0;
        }
        // Words that only name a call count little on the phrasing's side too.
        let mut best = 0.0f32;
        for (i, (p, idf)) in e.phrasings.iter().zip(&e.phrasing_idf).enumerate() {
            // The entry's own question says it best; an alternative a little less.
            let trust = if i == 0 { 1.0 } else { ALT_SIMILARITY };
            let found: f32 = q
                .concepts
                .iter()
                .enumerate()
                .map(|(j, c)| {
                    if may_hold(j) {
                        c.weight * place_in(&view.ids[j], p)
                    } else {
                        0.0
                    }
                })
                .sum();
            if found <= 0.0 {
                continue;
            }
            // The phrasing's own words the question matched, weighted the same way (the
            // weight of each word of the phrasing was looked up when the index was built).
            let (own, held) =
                p.iter()
                    .zip(idf)
                    .fold((0.0f32, 0.0f32), |(own, held), (s, &base)| {
                        let (x, hit) = match view.stems.get(s) {
                            Some(&(scale, light)) => {
                                let x = if light { base * LIGHT } else { base };
                                (x, x * scale)
                            }
                            None => (base, 0.0),
                        };
                        (own + x, held + hit)
                    });
            let from_question = found / view.total;
            let from_phrasing = if own > 0.0 { held / own } else { 0.0 };
            best = best.max(trust * (from_question * from_phrasing).sqrt());
        }
        best
    }

    /// Words of the question that no candidate holds anywhere (`viene` in «da dove viene
    /// il nome…») cannot tell the candidates apart: they leave the coverage's denominator
    /// and count with the unknown words instead, so that the share of the question an
    /// entry covers means "of what the pack could cover".
    /// `unreached`: the positions of the concepts no candidate holds, in order (see
    /// [`Self::unreached`]).
    pub(super) fn drop_unreached(&self, q: &mut Analysed, unreached: &[usize]) {
        for &j in unreached {
            let c = &mut q.concepts[j];
            q.unknown += c.weight.min(self.unknown_weight());
            q.unknown_words += 1;
            q.unknown_terms.extend(c.stems.iter().cloned());
            c.weight = 0.0;
        }
    }

    /// The positions of the concepts of `q` that weigh and that no candidate holds
    /// anywhere, in order (`strengths`: of the candidates, see [`Self::strengths`]).
    pub(super) fn unreached(&self, q: &Analysed, strengths: &Strengths) -> Vec<usize> {
        let n = q.concepts.len();
        (0..n)
            .filter(|&j| {
                q.concepts[j].weight > 0.0
                    && !strengths.of.iter().skip(j).step_by(n).any(|&s| s > 0.0)
            })
            .collect()
    }

    /// The concepts of `q` that say what is asked (not question words, not words that
    /// only name a call, not the context's), each with its stems, its weight and how
    /// strongly `entry` holds it (0: nowhere in its text).
    pub fn held_in(&self, q: &Analysed, entry: usize) -> Vec<(String, f32, f32)> {
        let e = &self.entries[entry];
        q.concepts
            .iter()
            .filter(|c| c.weight > 0.0 && !c.question && !c.light && c.scale >= 1.0)
            .map(|c| {
                let ids = ConceptIds::of(&self.ids, c);
                (c.stems.join(" "), c.weight, self.strength(&ids, e).0)
            })
            .collect()
    }

    /// Ranks BM25 candidates (entry, score) for an analysed question; best first.
    /// `strengths`: of the candidates, see [`Self::strengths`].
    pub(super) fn rank(
        &self,
        q: &Analysed,
        candidates: Vec<(usize, f32)>,
        strengths: &Strengths,
        limit: usize,
    ) -> Vec<Hit> {
        let max = candidates
            .iter()
            .map(|c| c.1)
            .fold(0.0f32, f32::max)
            .max(f32::EPSILON);
        let view = QueryView::of(self, q);
        // With context words (see `search_in_context`) the order weighs them, but what a
        // hit says of the question (its coverage and similarity, which the decision
        // reads) is of the question's own words.
        let own = q.concepts.iter().any(|c| c.scale < 1.0).then(|| {
            let mut own = q.clone();
            own.concepts.retain(|c| c.scale >= 1.0);
            own
        });
        let own_view = own.as_ref().map(|own| QueryView::of(self, own));
        let n = q.concepts.len();
        let mut hits: Vec<Hit> = candidates
            .into_iter()
            .enumerate()
            .map(|(i, (entry, score))| {
                let e = &self.entries[entry];
                let row = &strengths.of[i * n..(i + 1) * n];
                let phrased = &strengths.phrased[i * n..(i + 1) * n];
                let (key_coverage, key_similarity) = (
                    coverage(q, row, false),
                    self.similarity(q, &view, e, phrased),
                );
                let (coverage, similarity) = match (&own, &own_view) {
                    (Some(own), Some(v)) => {
                        let own_phrased: Vec<bool> = q
                            .concepts
                            .iter()
                            .zip(phrased)
                            .filter(|(c, _)| c.scale >= 1.0)
                            .map(|(_, &p)| p)
                            .collect();
                        (
                            coverage(q, row, true),
                            self.similarity(own, v, e, &own_phrased),
                        )
                    }
                    _ => (key_coverage, key_similarity),
                };
                let faq = if e.doc.kind == EntryKind::Faq {
                    FAQ_PRIOR
                } else {
                    0.0
                };
                Hit {
                    entry,
                    score,
                    coverage,
                    similarity,
                    rank: COVERAGE_SHARE * key_coverage
                        + SIMILARITY_SHARE * key_similarity
                        + BM25_SHARE * score / max
                        + faq,
                }
            })
            .collect();
        hits.sort_by(|a, b| b.rank.total_cmp(&a.rank));
        hits.truncate(limit);
        hits
    }
}

/// How strongly candidates hold the concepts of a question (see
/// [`SearchIndex::strengths`]).
pub(super) struct Strengths {
    /// [`SearchIndex::strength`] of each candidate (row) and concept (column).
    of: Vec<f32>,
    /// Whether the candidate's title or alternatives hold the concept.
    phrased: Vec<bool>,
}

/// Share of the question found in an entry, each concept weighted by its rarity and by
/// where it is found (a title says more about an entry than its body): `row`, the
/// entry's [`SearchIndex::strengths`]; `own`: of the question's own words only (not the
/// context's).
fn coverage(q: &Analysed, row: &[f32], own: bool) -> f32 {
    let counts = |c: &Concept| !own || c.scale >= 1.0;
    let total: f32 = q
        .concepts
        .iter()
        .filter(|c| counts(c))
        .map(|c| c.weight)
        .sum();
    if total <= 0.0 {
        return 0.0;
    }
    let found: f32 = q
        .concepts
        .iter()
        .zip(row)
        .filter(|(c, _)| counts(c))
        .map(|(c, s)| c.weight * s)
        .sum();
    found / total
}

/// What ranking needs of a question, computed once for all its candidates.
struct QueryView {
    /// Weight of the question's concepts.
    total: f32,
    /// Every stem the question matches with (its words and their synonyms) that an entry
    /// holds, by id, with how much it counts (less for the context's words) and whether
    /// it is the stem of a word that only names a call.
    stems: HashMap<u32, (f32, bool)>,
    /// The stems of each concept as ids.
    ids: Vec<ConceptIds>,
}

impl QueryView {
    fn of(ix: &SearchIndex, q: &Analysed) -> Self {
        let mut stems: HashMap<u32, (f32, bool)> = HashMap::default();
        for c in &q.concepts {
            for s in c.stems.iter().chain(c.alt_terms.iter().flatten()) {
                if let Some(id) = ix.ids.id(s) {
                    let v = stems.entry(id).or_insert((0.0, false));
                    v.0 = v.0.max(c.scale);
                }
            }
        }
        for c in q.concepts.iter().filter(|c| c.light) {
            for s in &c.stems {
                if let Some(v) = ix.ids.id(s).and_then(|id| stems.get_mut(&id)) {
                    v.1 = true;
                }
            }
        }
        QueryView {
            total: q.concepts.iter().map(|c| c.weight).sum(),
            stems,
            ids: q
                .concepts
                .iter()
                .map(|c| ConceptIds::of(&ix.ids, c))
                .collect(),
        }
    }
}

/// How strongly stems that pass `holds` hold a concept: 1 for the user's own words, less
/// through a synonym, 0 when absent (a stem without an id is held by no entry).
fn place(c: &ConceptIds, holds: impl Fn(u32) -> bool) -> f32 {
    let all = |ids: &Option<Vec<u32>>| ids.as_ref().is_some_and(|v| v.iter().all(|&i| holds(i)));
    if all(&c.own) {
        1.0
    } else if c.alts.iter().any(all) {
        SYNONYM_FACTOR
    } else {
        0.0
    }
}

/// [`place`] in an entry's set of stems.
fn place_set(c: &ConceptIds, set: &IdSet) -> f32 {
    place(c, |i| set.contains(i))
}

/// [`place`] in a phrasing (a handful of stems).
fn place_in(c: &ConceptIds, phrasing: &[u32]) -> f32 {
    place(c, |i| phrasing.contains(&i))
}

/// The confidence verdict of a plain search (see the module doc of `search` for why it is
/// relative); the engine decides with the call in focus instead (`crate::decide`).
pub(super) fn confidence(hits: &[Hit], q: &Analysed) -> Confidence {
    let Some(top) = hits.first() else {
        return Confidence::None;
    };
    let concepts = q.concepts.iter().filter(|c| c.weight > 0.0).count();
    if concepts == 0 || q.unknown_share() > 0.5 {
        return Confidence::None;
    }
    // One-word questions cannot be "half covered": their single concept must match.
    let needed = if concepts <= 2 { 0.85 } else { 0.5 };
    if top.coverage < 0.3 || (concepts <= 2 && top.coverage < 0.4) {
        return Confidence::None;
    }
    let clear_lead = match hits.get(1) {
        None => true,
        Some(second) => top.rank - second.rank >= LEAD,
    };
    if top.coverage >= needed && clear_lead {
        Confidence::High
    } else {
        Confidence::Low
    }
}
