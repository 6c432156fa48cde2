//! What the decision asks of single entries: the call an answer is about, whether an
//! entry is meant for the asker, says what something is, says a term, or gives the same
//! answer as another; and the entries a decision shows.

use super::{Context, Decision};
use crate::knowledge::{Audience, CallId, Knowledge};
use crate::search::{EntryKind, Hit, SearchIndex};
use crate::understand::calls::{Relation, best_relation};

/// The call an answer is about: the asked call when the entry is about it (an entry may
/// cover several calls), else the entry's own call, else (a general entry) the asked one.
pub(super) fn answer_call(
    k: &Knowledge,
    ix: &SearchIndex,
    entry: usize,
    targets: &[&CallId],
) -> Option<CallId> {
    let doc = &ix.entry(entry).doc;
    if let Some(t) = targets
        .iter()
        .find(|t| matches!(best_relation(k, t, &doc.calls), Some(Relation::Same)))
    {
        return Some((*t).clone());
    }
    doc.call
        .clone()
        .or_else(|| targets.first().map(|c| (*c).clone()))
}

pub(super) fn audience_fits(ix: &SearchIndex, h: &Hit, asker: Option<Audience>) -> bool {
    match (ix.entry(h.entry).doc.audience, asker) {
        (Some(written_for), Some(asking)) => written_for == asking,
        _ => true,
    }
}

/// Whether an entry says what something is: a call's card (an overview of the call) or an
/// entry whose question opens like a definition (`Che cos'è…`).
pub(super) fn defines(ix: &SearchIndex, entry: usize, ctx: &Context<'_>) -> bool {
    // The first words of its title (`search::TITLE_OPENING`), answered from a flag the
    // index computed for the locale's cues.
    ix.entry(entry).doc.kind == EntryKind::Call || ix.title_opens_with(entry, ctx.define_cues)
}

/// Two entries that give the same answer: a curated answer and the call text it rests on
/// (a FAQ and a section or card of the same call), or the same entry.
pub(super) fn same_answer(ix: &SearchIndex, a: usize, b: usize) -> bool {
    if a == b {
        return true;
    }
    let (da, db) = (&ix.entry(a).doc, &ix.entry(b).doc);
    let faqs = (da.kind == EntryKind::Faq) as u8 + (db.kind == EntryKind::Faq) as u8;
    faqs < 2 && da.call.is_some() && da.call == db.call
}

/// Whether an entry's text (question, alternatives, answer) says a term the way a
/// question asks it: one word in any form (its stems), several words in their order, as
/// written, maybe a verb apart (`progetti finanziati` is not said by a text that has
/// `progetti` in one sentence and `finanzia` in another).
pub(super) fn says(ix: &SearchIndex, entry: usize, term: &crate::fold::Phrase) -> bool {
    match term.as_slice() {
        [] => false,
        [word] => ix.holds(entry, &ix.stems_of(word)),
        _ => {
            let d = &ix.entry(entry).doc;
            [&d.title, &d.alt, &d.body]
                .iter()
                .any(|t| crate::fold::has_phrase_loosely(&crate::fold::phrase(t), term, |_| true))
        }
    }
}

/// The first three of `entries` that answer different things (see [`same_answer`]).
pub(super) fn distinct_answers(
    ix: &SearchIndex,
    entries: impl IntoIterator<Item = usize>,
) -> Vec<usize> {
    let mut offered: Vec<usize> = Vec::new();
    for e in entries {
        if offered.len() == 3 {
            break;
        }
        if !offered.iter().any(|&o| same_answer(ix, o, e)) {
            offered.push(e);
        }
    }
    offered
}

impl Decision {
    /// The entries the decision shows, the answer first.
    pub fn offered(&self) -> Vec<usize> {
        match self {
            Decision::Direct { entry, also, .. } => std::iter::once(*entry)
                .chain(also.iter().copied())
                .collect(),
            Decision::Menu { entries } => entries.clone(),
            Decision::WhichCall { calls } => calls.iter().map(|(_, e)| *e).collect(),
            Decision::Nothing { suggestions } => suggestions.clone(),
        }
    }
}
