//! What the learned ranker reads (see `crate::search::learned`): the features of each
//! candidate as weighed in context, and of the decision on the best one.
//!
//! The engine records them for every question that reaches the choice between a direct
//! answer and a menu ([`Pool`] in the decision's trace), so that the training tool
//! (`tools/`, `train-ranker`) sees exactly what the engine sees, and computes the
//! decision's features with the same code ([`Pool::choose`]) for any rerank weights.

use crate::search::{DECIDE_FEATURES, EntryKind, Hit, RERANK_FEATURES, SearchIndex};

/// Number of candidate features.
pub const NR: usize = RERANK_FEATURES.len();
/// Number of decision features.
pub const ND: usize = DECIDE_FEATURES.len();

/// How a candidate stands to the question's context, as `weigh` found it.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Signs {
    pub kind_mismatch: bool,
    pub asks_mismatch: bool,
    pub audience_match: bool,
    pub not_for_asker: bool,
    pub above: bool,
    pub inside: bool,
    pub general: bool,
    pub shared: bool,
    pub open: bool,
    pub closed: bool,
    pub defines: bool,
    pub defines_asked: bool,
}

/// The candidate features, in the order of [`RERANK_FEATURES`].
pub(super) fn candidate(
    ix: &SearchIndex,
    h: &Hit,
    score: f32,
    bm25_max: f32,
    position: usize,
    plain_best: bool,
    s: &Signs,
) -> [f32; NR] {
    let b = |v: bool| f32::from(u8::from(v));
    let kind = ix.entry(h.entry).doc.kind;
    let context = if h.rank > 0.0 {
        (score / h.rank).ln()
    } else {
        0.0
    };
    [
        1.0,
        score,
        h.coverage,
        h.similarity,
        h.coverage * h.similarity,
        h.score / bm25_max.max(f32::EPSILON),
        h.rank,
        context,
        b(kind == EntryKind::Faq),
        b(kind == EntryKind::Call),
        b(kind == EntryKind::Section),
        b(s.kind_mismatch),
        b(s.asks_mismatch),
        b(s.audience_match),
        b(s.not_for_asker),
        b(s.above),
        b(s.inside),
        b(s.general),
        b(s.shared),
        b(s.open),
        b(s.closed),
        b(plain_best),
        1.0 / (1.0 + position as f32),
        b(s.defines),
        b(s.defines_asked),
    ]
}

/// One candidate of a decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub entry: usize,
    pub x: [f32; NR],
    /// Its score in context (the hand-set ranking key times the context's factors).
    pub score: f32,
    pub coverage: f32,
    pub similarity: f32,
    /// A general definition, never the direct answer to a detail of a named call.
    pub general_definition: bool,
    /// How often the entry was right when it came first (the ranker file's prior).
    pub prior: f32,
    /// The taught classifier's probability of the entry for the question's own words
    /// (0 without a classifier; see `search::taught`).
    pub taught: f32,
}

/// The candidates of a decision and what it knows of the question.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pool {
    pub candidates: Vec<Candidate>,
    /// Coverage an entry needs to be offered (and to rival the best one).
    pub min_coverage: f32,
    pub unknown: f32,
    /// A call is named or in focus.
    pub targets: bool,
    pub described: bool,
    /// Known concepts that say what is asked.
    pub content: usize,
    /// The entry plain BM25 puts first.
    pub plain_best: Option<usize>,
    /// The stems of the question's own words (see `Analysed::own_stems`).
    pub words: Vec<String>,
}

/// The best candidate under some scores, its rival and the decision's features.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// Positions in [`Pool::candidates`].
    pub top: usize,
    pub rival: Option<usize>,
    pub x: [f32; ND],
}

impl Pool {
    /// Whether the chosen best entry may be answered directly at all (a general
    /// definition never answers a detail of a named call; too little of the question
    /// covered is never an answer): the learned decision is asked only then.
    pub fn answerable(&self, c: &Choice) -> bool {
        let t = &self.candidates[c.top];
        !t.general_definition && t.coverage >= super::DIRECT_COVERAGE
    }

    /// The best candidate by `scores` (one per candidate, higher is better), the best one
    /// answering something else that could be offered (its rival), and the decision's
    /// features, in the order of [`DECIDE_FEATURES`].
    pub fn choose(&self, ix: &SearchIndex, scores: &[f32]) -> Option<Choice> {
        let mut order: Vec<usize> = (0..self.candidates.len()).collect();
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
        let top = *order.first()?;
        let t = &self.candidates[top];
        let rival = order.iter().copied().find(|&i| {
            let c = &self.candidates[i];
            i != top && c.coverage >= self.min_coverage && !super::same_answer(ix, t.entry, c.entry)
        });
        let b = |v: bool| f32::from(u8::from(v));
        // The best one's share of the scores' softmax: how much it stands out of all.
        let share = {
            let e: f32 = scores.iter().map(|s| (s - scores[top]).exp()).sum();
            1.0 / e.max(1.0)
        };
        let (gap, lead) = match rival {
            Some(r) => (scores[top] - scores[r], t.score - self.candidates[r].score),
            None => (0.0, super::LONE_LEAD),
        };
        let sureness =
            lead + super::SIMILARITY_WEIGHT * t.similarity + super::COVERAGE_WEIGHT * t.coverage
                - super::UNKNOWN_WEIGHT * self.unknown;
        let agreed = self
            .plain_best
            .is_some_and(|p| super::same_answer(ix, p, t.entry));
        let same_call = rival.is_some_and(|r| {
            let (a, c) = (
                &ix.entry(t.entry).doc.call,
                &ix.entry(self.candidates[r].entry).doc.call,
            );
            a.is_some() && a == c
        });
        let x = [
            1.0,
            scores[top],
            gap,
            b(rival.is_none()),
            t.coverage,
            t.similarity,
            self.unknown,
            b(agreed),
            b(self.targets),
            b(self.described),
            (self.content.min(6) as f32) / 6.0,
            b(ix.entry(t.entry).doc.kind == EntryKind::Faq),
            t.x[6],
            sureness,
            b(same_call),
            share,
            b(sureness
                >= if agreed {
                    super::SURE_AGREED
                } else {
                    super::SURE
                }),
            t.prior,
            t.taught,
        ];
        Some(Choice { top, rival, x })
    }
}
