//! When the words leave the call a question seems to be about: a follow-up that points
//! elsewhere (`e quello per gli animali?`) or a name a family of calls shares (`bando
//! wecare`) said with another call's subject spelt out. Both move only when the call
//! they start from has nothing close and one entry elsewhere answers almost word for word.

use super::{Context, Weighed};
use crate::knowledge::{CallId, CallKind, Knowledge};
use crate::search::SearchIndex;
use crate::understand::calls::{Relation, relation, same_family};

/// No entry of the call the question starts from covers this much of the question...
const ESCAPE_WEAK: f32 = 0.5;
/// ...and an entry of another call covers at least this much of it, close to one of its
/// phrasings.
const ESCAPE_STRONG: f32 = 0.85;
const ESCAPE_SIMILAR: f32 = 0.6;

/// The calls to answer for instead (none: any call) and their weighed entries, when the
/// words leave the call in focus or the named one; `weighed` is the ranking for the
/// current targets, `weigh_all` ranks for other ones.
pub(super) fn elsewhere<'k>(
    k: &'k Knowledge,
    ix: &'k SearchIndex,
    ctx: &Context<'_>,
    weighed: &[Weighed],
    weigh_all: &dyn Fn(&[&CallId]) -> Vec<Weighed>,
) -> Option<(Option<&'k CallId>, Vec<Weighed>)> {
    let weak_here = weighed.first().is_none_or(|w| w.coverage < ESCAPE_WEAK);
    if !weak_here {
        return None;
    }
    let strong = |w: &Weighed| w.coverage >= ESCAPE_STRONG && w.similarity >= ESCAPE_SIMILAR;
    // The focus is a context, not a cage: a follow-up that points elsewhere, that the
    // call in focus does not answer, and that one entry of another call answers almost
    // word for word, moves to that call.
    if ctx.named.is_empty() && ctx.focus.is_some() && ctx.switching {
        let free = weigh_all(&[]);
        return free
            .first()
            .filter(|best| strong(best) && !weighed.iter().any(|w| w.entry == best.entry))
            .is_some()
            .then_some((None, free));
    }
    // A name shared across a family with the subject of another of its calls spelt out
    // (`bando wecare per i progetti di innovazione sociale del terzo settore`): the
    // subject says which call is meant. A call above or inside the named one is not
    // another call: its entries already compete.
    // A measure is named by its own number (`misura 2`), never by a shared name: its
    // question stays with it, answered or not.
    if let [named] = ctx.named
        && k.call(&named.0).is_none_or(|c| c.kind != CallKind::Measure)
    {
        let free = weigh_all(&[]);
        let best = free.first().filter(|b| strong(b))?;
        let call = ix.entry(best.entry).doc.call.as_ref()?;
        if relation(k, named, call) == Relation::Other && same_family(k, named, call) {
            return Some((Some(call), weigh_all(&[call])));
        }
    }
    None
}
