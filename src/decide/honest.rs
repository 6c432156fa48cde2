//! Honest «non lo so» after the decision: a question about a subject the pack does not
//! cover, or asking a fact of a precise kind no entry states, is not answered with a
//! neighbouring entry. Search finds entries *near* such questions (`quando esce la
//! graduatoria` is near «Quando scade…»); these rules look at what the question asks and
//! what the entries say, and turn an answer or a menu into «non lo so» with the same
//! entries offered.

use super::entries::says;
use super::{Context, Decision};
use crate::search::{Results, SearchIndex};

/// A question this much in words the pack does not know, and in at least this many of
/// them, is about a subject the pack does not cover (a purchase, an office's phone, a
/// hiring incentive): neither answered directly nor offered a choice of answers, but
/// «non lo so» with the entries as suggestions. One odd word is a colloquialism or a
/// typo (`cos'è sta roba`, `è vincolante?`), and the share keeps a long question with
/// two odd words answered. Set on the dev sets and the old regression set (no answerable
/// question there reaches both; MAX_UNKNOWN still ends, alone, a question off the topic).
const UNKNOWN_SUBJECT: f32 = 0.3;
const UNKNOWN_SUBJECT_WORDS: usize = 2;

/// The decision `d`, made honest (see the module's doc).
pub(super) fn honest(
    ix: &SearchIndex,
    results: &Results,
    ctx: &Context<'_>,
    d: Decision,
) -> Decision {
    // Much of the question in words the pack does not know at all: it is about another
    // subject, and the entries are near it, not answers to it.
    let elsewhere = results.query.unknown_share() >= UNKNOWN_SUBJECT
        && results.query.unknown_words() >= UNKNOWN_SUBJECT_WORDS;
    let d = match d {
        Decision::Menu { entries } if elsewhere => Decision::Nothing {
            suggestions: entries,
        },
        Decision::Direct {
            entry, also, lines, ..
        } if elsewhere => Decision::Nothing {
            suggestions: std::iter::once(entry)
                .chain(lines)
                .chain(also)
                .take(3)
                .collect(),
        },
        d => d,
    };
    let d = states_the_facts(ix, ctx, d);
    from_elsewhere(ix, ctx, d)
}

/// Whether someone who works outside the calls' territory may take part, only an entry
/// that speaks of the territory says (`sede legale o unità operativa in Piemonte`): «possiamo
/// partecipare?» from them is not answered with who may apply where that says nothing of
/// where, but «non lo so», those entries offered (the reply says why); a menu keeps the
/// entries that speak of it.
fn from_elsewhere(ix: &SearchIndex, ctx: &Context<'_>, d: Decision) -> Decision {
    match ctx.from_elsewhere {
        Some(territory) => only_saying(d, |e| says(ix, e, territory)),
        None => d,
    }
}

/// A question asking a fact of a precise kind (a ranking, a payment, a tax: see
/// [`Context::facts`]) is answered only by an entry whose text says it: words alike
/// (`quando esce la graduatoria` next to «Quando scade…») make an entry close, not an
/// answer. A direct answer that does not say it, or a menu or a choice of calls none of
/// whose entries do, becomes «non lo so» with those entries offered; a menu keeps the
/// entries that say it.
fn states_the_facts(ix: &SearchIndex, ctx: &Context<'_>, d: Decision) -> Decision {
    if ctx.facts.is_empty() {
        return d;
    }
    only_saying(d, |e| ctx.facts.iter().all(|t| says(ix, e, t)))
}

/// The decision kept only as far as its entries say what the question needs (`says`): a
/// direct answer that does not, or a choice of calls none of whose entries do, becomes
/// «non lo so» with its entries offered; a menu keeps the entries that do, or becomes
/// «non lo so» when none does.
fn only_saying(d: Decision, says: impl Fn(usize) -> bool) -> Decision {
    let nothing = |offered: Vec<usize>| Decision::Nothing {
        suggestions: offered.into_iter().take(3).collect(),
    };
    match d {
        Decision::Direct {
            entry, also, lines, ..
        } if !says(entry) => {
            let mut offered = vec![entry];
            offered.extend(lines);
            offered.extend(also);
            nothing(offered)
        }
        Decision::Menu { entries } => {
            let saying: Vec<usize> = entries.iter().copied().filter(|&e| says(e)).collect();
            if saying.is_empty() {
                nothing(entries)
            } else {
                Decision::Menu { entries: saying }
            }
        }
        Decision::WhichCall { calls } if !calls.iter().any(|&(_, e)| says(e)) => {
            nothing(calls.into_iter().map(|(_, e)| e).collect())
        }
        d => d,
    }
}
