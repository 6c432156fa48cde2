//! Questions naming no call that entries of several unrelated calls answer about as well:
//! the open call's answer with the others in a line each, or «Quale bando?» when none is
//! open. And a question in the present naming no call, answered from a closed call that
//! has a counterpart in an open one: a closed call's rule is not the answer to what the
//! asker may do now ([`open_instead`]).

use jiff::Timestamp;

use super::{Decision, Weighed};
use crate::knowledge::{CallId, CallStatus, Knowledge};
use crate::search::SearchIndex;
use crate::understand::calls::{Relation, is_open, relation};

/// Entries of different calls this close to the best are "the same question, asked of
/// each call".
const SAME_QUESTION: f32 = 0.15;
/// Coverage an entry needs to count as another call's answer to the same question.
const BAND_COVERAGE: f32 = 0.45;

/// A question naming no call that entries of several unrelated calls answer about as
/// well: the open call's answer with the others in a line each, or «Quale bando?».
pub(super) fn per_call(
    k: &Knowledge,
    ix: &SearchIndex,
    weighed: &[Weighed],
    top: Weighed,
    now: Timestamp,
) -> Option<Decision> {
    // Only call-specific answers compete this way (a glossary entry answers for all).
    let top_call = ix.entry(top.entry).doc.call.clone()?;
    let band: Vec<Weighed> = weighed
        .iter()
        .copied()
        .filter(|w| w.score >= top.score - SAME_QUESTION && w.coverage >= BAND_COVERAGE)
        .collect();
    // The best entry of each call in the band, calls unrelated to one another.
    let mut per: Vec<(CallId, Weighed)> = Vec::new();
    for w in &band {
        let Some(c) = ix.entry(w.entry).doc.call.clone() else {
            continue;
        };
        if per
            .iter()
            .any(|(p, _)| relation(k, p, &c) != Relation::Other)
        {
            continue;
        }
        per.push((c, *w));
    }
    if per.len() < 2 {
        return None;
    }
    let open: Option<&(CallId, Weighed)> = per
        .iter()
        .find(|(c, _)| k.call(&c.0).is_some_and(|c| is_open(c, now)));
    match open {
        Some((c, w)) => {
            let mut others: Vec<&(CallId, Weighed)> = per.iter().filter(|(o, _)| o != c).collect();
            others.sort_by_key(|(o, _)| k.call(&o.0).map(|c| c.status(now)));
            Some(Decision::Direct {
                entry: w.entry,
                call: Some(c.clone()),
                also: Vec::new(),
                lines: others.iter().map(|(_, w)| w.entry).collect(),
            })
        }
        None if per.iter().all(|(c, _)| *c != top_call) => None,
        None => {
            let mut calls: Vec<(CallId, usize)> =
                per.iter().map(|(c, w)| (c.clone(), w.entry)).collect();
            calls.sort_by_key(|(c, _)| k.call(&c.0).map(|c| (c.status(now), c.short.clone())));
            Some(Decision::WhichCall { calls })
        }
    }
}

/// The answer `entry` of a closed call, to a question in the present naming no call,
/// given by the open call's entry of the same aspect (see
/// [`Knowledge::same_aspect`]: «una PMI può partecipare da sola?» from the 2019 call's
/// rule becomes A.L.Fa.'s), the closed call's in a line under it; `None` when `entry` is
/// not about a closed call or no open call has such an entry. (A call whose status the
/// sources do not give is not taken for closed.)
pub(super) fn open_instead(
    k: &Knowledge,
    ix: &SearchIndex,
    entry: usize,
    now: Timestamp,
) -> Option<Decision> {
    let doc = &ix.entry(entry).doc;
    let closed = doc.call.as_ref().and_then(|c| k.call(&c.0))?;
    if closed.status(now) != CallStatus::Closed {
        return None;
    }
    let faq = doc.id.strip_prefix("faq:")?;
    k.calls.iter().filter(|c| is_open(c, now)).find_map(|open| {
        let (_, f) = k.same_aspect(faq, &open.id).into_iter().next()?;
        Some(Decision::Direct {
            entry: ix.find_faq(&f.id)?,
            call: Some(open.id.clone()),
            also: Vec::new(),
            lines: vec![entry],
        })
    })
}
