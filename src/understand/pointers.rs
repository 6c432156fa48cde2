//! How a follow-up points at a call without naming it: by what tells a measure from its
//! siblings (`e la quarta?`), by a pronoun in place of the head word of a measure's name
//! (`e quella per il terzo settore?`), and by the calls' years (`e quello dell'anno
//! dopo?`, `quello nuovo`, `quello vecchio`). The words that point are the locale's
//! (see [`Pointers`]); the names and years are the pack's (`aliases`, `weak_aliases`).
//!
//! Kept apart from `calls` (which reads the names a message says) because pointing needs a
//! call in focus to point from, and is read only when the message names none.

use super::calls::{named_calls_in_focus, occurrences, same_family};
use crate::knowledge::{Call, CallId, Knowledge};

/// A call and one of its two-word names.
type Named<'k> = (&'k Call, &'k [String]);

/// The head word of the focus family's two-word names (`misura`: the word most of them
/// share), with those names and their calls.
fn family_head<'k>(k: &'k Knowledge, focus: &CallId) -> Option<(String, Vec<Named<'k>>)> {
    let family: Vec<&Call> = k
        .calls
        .iter()
        .filter(|c| same_family(k, &c.id, focus))
        .collect();
    // The head word: the word most of the family's two-word names share.
    let pairs: Vec<(&Call, &[String])> = family
        .iter()
        .flat_map(|c| {
            c.aliases
                .iter()
                .chain(&c.weak_aliases)
                .filter(|a| a.len() == 2 && a[0] != a[1])
                .map(move |a| (*c, a.as_slice()))
        })
        .collect();
    let head = pairs
        .iter()
        .flat_map(|(c, a)| a.iter().map(move |w| (&c.id, w)))
        .fold(Vec::<(&String, Vec<&CallId>)>::new(), |mut acc, (id, w)| {
            match acc.iter_mut().find(|(x, _)| *x == w) {
                Some((_, ids)) if !ids.contains(&id) => ids.push(id),
                Some(_) => {}
                None => acc.push((w, vec![id])),
            }
            acc
        })
        .into_iter()
        .filter(|(_, ids)| ids.len() >= 3)
        .max_by_key(|(_, ids)| ids.len())
        .map(|(w, _)| w.clone())?;
    Some((head, pairs))
}

/// A call of the focus's family named with a pronoun in place of the head word of its
/// name (`e quella per il terzo settore?` for «misura per il terzo settore», `quella
/// finanziata dal fesr`): the message read with the head word instead of one of
/// `pronouns` names that call, and only it, where it named none.
fn by_pronoun(
    k: &Knowledge,
    words: &[String],
    focus: &CallId,
    pronouns: &[String],
) -> Option<Referred> {
    if !words.iter().any(|w| pronouns.contains(w)) {
        return None;
    }
    let (head, _) = family_head(k, focus)?;
    let before = named_calls_in_focus(k, words, focus);
    for (i, w) in words.iter().enumerate() {
        if !pronouns.contains(w) {
            continue;
        }
        let mut with = words.to_vec();
        with[i] = head.clone();
        let new: Vec<CallId> = named_calls_in_focus(k, &with, focus)
            .into_iter()
            .filter(|c| !before.contains(c) && same_family(k, c, focus))
            .collect();
        if let [c] = new.as_slice() {
            let call = k.call(&c.0)?;
            let name = call.aliases.first().or(call.weak_aliases.first())?.clone();
            return Some(Referred {
                call: c.clone(),
                said: vec![w.clone()],
                name,
            });
        }
    }
    None
}

/// A call of the focus's family named by what tells it from its siblings alone, after
/// an article (`e la quarta?`, `e la 2?`, `e la fesr?` once WECARE's measures are in
/// focus): the siblings' two-word names share a head word (`misura`), and the other word
/// of one of them, read after one of `leads` (`la`, `della`…) and before nothing or one
/// of `after` (`e la seconda cosa faceva?`, not `la prima volta`), names that call.
/// `None` when the message names nothing so.
fn by_distinction(
    k: &Knowledge,
    words: &[String],
    focus: &CallId,
    leads: &[String],
    after: &[String],
) -> Option<Referred> {
    // The family's names are read at the first word in a place to tell a measure.
    let mut family = None;
    for (i, w) in words.iter().enumerate().skip(1) {
        if !leads.contains(&words[i - 1]) || words.get(i + 1).is_some_and(|n| !after.contains(n)) {
            continue;
        }
        let (head, pairs) = family
            .get_or_insert_with(|| family_head(k, focus))
            .as_ref()?;
        let mut it = pairs
            .iter()
            .filter(|(_, a)| a.contains(head) && a.contains(w) && w != head);
        if let (Some((c, a)), None) = (it.next(), it.next()) {
            return Some(Referred {
                call: c.id.clone(),
                said: vec![w.clone()],
                name: a.to_vec(),
            });
        }
    }
    None
}

/// A sibling of the call a message names, named in the same message by what tells it
/// apart (`tra la misura 1 e la 2 di wecare`: measure 2), read as `by_distinction`
/// reads a follow-up, with `of` words allowed after it (`la 2 di wecare`). `None` when
/// the message names no other call so.
pub fn sibling_named(
    k: &Knowledge,
    words: &[String],
    named: &CallId,
    leads: &[String],
    after: &[String],
) -> Option<CallId> {
    let after: Vec<String> = after
        .iter()
        .cloned()
        .chain(OF.iter().map(|w| (*w).to_string()))
        .collect();
    by_distinction(k, words, named, leads, &after)
        .map(|r| r.call)
        .filter(|c| c != named)
}

/// The year a call is named by (a name that is a year alone: `2022`), if any.
fn year(c: &Call) -> Option<u16> {
    c.aliases
        .iter()
        .filter(|a| a.len() == 1 && a[0].len() == 4)
        .find_map(|a| a[0].parse::<u16>().ok())
        .filter(|y| (1990..2200).contains(y))
}

/// The call of the year a message says by the clock (`quest'anno`, `l'anno scorso`):
/// the one call named by that year, if there is one.
fn by_year(k: &Knowledge, words: &[String], p: &Pointers<'_>) -> Option<Referred> {
    let now = p.year?;
    for (list, back) in [(p.this_year, 0), (p.last_year, 1)] {
        let Some(said) = list
            .iter()
            .find(|ph| !ph.is_empty() && !occurrences(words, ph).is_empty())
        else {
            continue;
        };
        let target = now.checked_sub(back)?;
        let mut of_year = k.calls.iter().filter(|c| year(c) == Some(target));
        let (Some(c), None) = (of_year.next(), of_year.next()) else {
            return None;
        };
        return Some(Referred {
            call: c.id.clone(),
            said: said.clone(),
            name: c.aliases.first()?.clone(),
        });
    }
    None
}

/// Which way a follow-up points from the call in focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// `quello dopo`, `l'anno successivo`: the next call by year.
    Next,
    /// `quello prima`, `il precedente`: the previous one.
    Previous,
    /// `quello nuovo`: the latest call by year.
    Newest,
    /// `quello vecchio`: the earliest call by year.
    Oldest,
}

/// The call a follow-up points to from the call in focus (`e quello dell'anno dopo?`),
/// by the years the calls are named by.
fn by_step(k: &Knowledge, focus: Option<&CallId>, step: Step) -> Option<CallId> {
    let dated = k.calls.iter().filter_map(|c| Some((year(c)?, c)));
    let pick = match step {
        Step::Newest => dated.max_by_key(|(y, _)| *y),
        Step::Oldest => dated.min_by_key(|(y, _)| *y),
        Step::Next | Step::Previous => {
            let from = year(k.call(&focus?.0)?)?;
            match step {
                Step::Next => dated.filter(|(y, _)| *y > from).min_by_key(|(y, _)| *y),
                _ => dated.filter(|(y, _)| *y < from).max_by_key(|(y, _)| *y),
            }
        }
    };
    pick.map(|(_, c)| c.id.clone())
}

/// The call open now that a message opening with `p.now` points at (see [`Pointers`]).
fn by_now(
    k: &Knowledge,
    words: &[String],
    focus: Option<&CallId>,
    p: &Pointers<'_>,
) -> Option<Referred> {
    let clock = p.clock?;
    let focus = k.call(&focus?.0)?;
    let said = p
        .now
        .iter()
        .find(|ph| !ph.is_empty() && words.starts_with(ph))?;
    if super::calls::is_open(focus, clock)
        || p.asks_open
            .iter()
            .any(|ph| !occurrences(words, ph).is_empty())
    {
        return None;
    }
    let mut open = k.calls.iter().filter(|c| super::calls::is_open(c, clock));
    let call = match (open.next(), open.next()) {
        (Some(c), None) => c,
        _ => return None,
    };
    Some(Referred {
        call: call.id.clone(),
        said: said.clone(),
        name: call.aliases.first()?.clone(),
    })
}

/// Words after which a pointer (`l'ultimo bando`) names the last or next of something
/// else (`…di quella misura`, `…della misura 3`), not a call.
const OF: [&str; 6] = ["di", "del", "della", "dello", "dei", "delle"];
/// What such a pointer is the last or next of: a measure, a strategy, the one in focus.
const OF_WHAT: [&str; 8] = [
    "quella",
    "questa",
    "quel",
    "questo",
    "misura",
    "strategia",
    "wecare",
    "programma",
];

/// The words a follow-up points at another call with (the language's lists), and the
/// year of the clock. Every list may be empty (`Default`): it then points at nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Pointers<'a> {
    /// Words before a measure's number alone (`la`, `della`).
    pub leads: &'a [String],
    /// Words that may follow that number (`cosa`, `e`).
    pub after: &'a [String],
    /// `quello dopo`, `anno successivo`.
    pub next: &'a [crate::fold::Phrase],
    /// `quello prima`, `il precedente`.
    pub previous: &'a [crate::fold::Phrase],
    /// Pronouns that stand for a call's head word (`quella` for `misura`).
    pub pronouns: &'a [String],
    /// `quello nuovo`, `quello vecchio`: the latest and the earliest call by year.
    pub newest: &'a [crate::fold::Phrase],
    pub oldest: &'a [crate::fold::Phrase],
    /// `quest'anno`, `l'anno scorso`: the call of the current year or of the one before,
    /// by the clock (`year`, Europe/Rome), not the latest call.
    pub this_year: &'a [crate::fold::Phrase],
    pub last_year: &'a [crate::fold::Phrase],
    pub year: Option<u16>,
    /// `e adesso…`, `e oggi…` opening a message: the one call open at `clock`, when the
    /// call in focus is not (`e oggi le associazioni cosa possono fare?` after a closed
    /// call). Not when the message has a phrase of `asks_open` (`c'è`, `aperto`,
    /// `ancora`): `e adesso è ancora aperto?` asks about the call in focus, `e adesso
    /// c'è qualcosa di simile?` about the calls in general.
    pub now: &'a [crate::fold::Phrase],
    pub asks_open: &'a [crate::fold::Phrase],
    pub clock: Option<jiff::Timestamp>,
}

/// A call a message points at without naming it, and the words that point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referred {
    pub call: CallId,
    /// The words of the message that point at it (`quarta`, `anno dopo`).
    pub said: Vec<String>,
    /// The call's name, to read in their place.
    pub name: Vec<String>,
}

impl Referred {
    /// `words` with the pointing words replaced by the call's name, so that later steps
    /// read the call as named and do not search for the pointer (`dopo`).
    pub fn apply(&self, words: &[String]) -> Vec<String> {
        match occurrences(words, &self.said).first() {
            Some(&at) => {
                let mut out = words[..at].to_vec();
                out.extend(self.name.iter().cloned());
                out.extend(words[at + self.said.len()..].iter().cloned());
                out
            }
            None => words.to_vec(),
        }
    }

    /// `words` without the pointing words when they are not part of the call's name
    /// (`anno dopo`, not `seconda`): what the message asks, for search (the engine adds
    /// the call's name to what it searches anyway).
    pub fn without(&self, words: &[String]) -> Vec<String> {
        if self.said.iter().all(|w| self.name.contains(w)) {
            return words.to_vec();
        }
        match occurrences(words, &self.said).first() {
            Some(&at) => [&words[..at], &words[at + self.said.len()..]].concat(),
            None => words.to_vec(),
        }
    }
}

/// The call a message naming none points at from the call in focus (`e la quarta?`,
/// `e quello dell'anno dopo?`); without a call in focus, only the latest or the earliest
/// call (`e quello nuovo?`), which need none.
pub fn referred(
    k: &Knowledge,
    words: &[String],
    focus: Option<&CallId>,
    p: Pointers<'_>,
) -> Option<Referred> {
    if let Some(focus) = focus {
        if let Some(found) = by_distinction(k, words, focus, p.leads, p.after) {
            return Some(found);
        }
        if let Some(found) = by_pronoun(k, words, focus, p.pronouns) {
            return Some(found);
        }
    }
    if let Some(found) = by_year(k, words, &p) {
        return Some(found);
    }
    if let Some(found) = by_now(k, words, focus, &p) {
        return Some(found);
    }
    let bits = crate::fold::WordBits::of(words);
    for (list, step) in [
        (p.next, Step::Next),
        (p.previous, Step::Previous),
        (p.newest, Step::Newest),
        (p.oldest, Step::Oldest),
    ] {
        // A phrase opening with a word the message lacks occurs nowhere in it.
        for ph in list.iter().filter(|ph| !ph.is_empty() && bits.may_hold(ph)) {
            // «l'ultimo bando di quella misura» is the last of something else, not the
            // newest call.
            let of_something = |at: usize| {
                let after = |i: usize| words.get(at + ph.len() + i).map(String::as_str);
                after(0).is_some_and(|w| OF.contains(&w))
                    && after(1).is_some_and(|w| OF_WHAT.contains(&w))
            };
            if occurrences(words, ph).into_iter().all(of_something) {
                continue;
            }
            let call = by_step(k, focus, step)?;
            let name = k.call(&call.0)?.aliases.first()?.clone();
            return Some(Referred {
                call,
                said: ph.clone(),
                name,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests;
