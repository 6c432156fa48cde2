//! Which call a message is about, and how calls relate.
//!
//! A call is named by one of its `aliases` (knowledge data: `alfa`, `accordo lavoro
//! famiglia`, `2022`…); a `weak_alias` (`misura 1`) names it only when no call outside its
//! family is named too, so `la misura 1 di alfa` is about A.L.Fa. while `la misura 1 di
//! wecare` is about WECARE's first measure; a `focus_alias` (`il bando sul welfare
//! aziendale`) names it only in a conversation already about its family. Calls form families through `parent`
//! (strategy › measure › call): an entry of a call's family may answer a question about it.

use crate::fold::Phrase;
use crate::knowledge::{Call, CallId, CallStatus, Knowledge};

/// How an entry's call stands to the call a question is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Relation {
    /// The same call.
    Same,
    /// The entry's call is inside the asked one (a measure's call, a strategy's measure).
    Inside,
    /// The entry's call contains the asked one (its measure or strategy).
    Above,
    /// Another call, outside the family.
    Other,
}

impl Relation {
    /// Whether an entry so related may answer a question about the asked call.
    pub fn fits(self) -> bool {
        self != Relation::Other
    }
}

/// Whether `above` is among the ancestors of `id` (its parent, the parent's parent…: parents
/// form no cycles, as the loader checks references, and the walk stops after nine steps
/// anyway), walked without a vector.
fn has_ancestor(k: &Knowledge, id: &CallId, above: &CallId) -> bool {
    let mut cur = k.call(&id.0).and_then(|c| c.parent.as_ref());
    for _ in 0..9 {
        let Some(p) = cur else { return false };
        if p == above {
            return true;
        }
        cur = k.call(&p.0).and_then(|c| c.parent.as_ref());
    }
    false
}

/// The top of a call's family (its strategy, or the call itself): the last ancestor, the
/// walk stopping at a call seen before or after nine steps, on the stack.
fn root<'k>(k: &'k Knowledge, id: &'k CallId) -> &'k CallId {
    let mut seen: [&CallId; 9] = [id; 9];
    let mut n = 0;
    let mut cur = k.call(&id.0).and_then(|c| c.parent.as_ref());
    while let Some(p) = cur {
        if seen[..n].contains(&p) || n > 8 {
            break;
        }
        seen[n] = p;
        n += 1;
        cur = k.call(&p.0).and_then(|c| c.parent.as_ref());
    }
    if n == 0 { id } else { seen[n - 1] }
}

/// Whether two calls are of one family (the same strategy at the top).
pub fn same_family(k: &Knowledge, a: &CallId, b: &CallId) -> bool {
    root(k, a) == root(k, b)
}

/// How `entry` (an entry's call) stands to `asked` (the call a question is about).
pub fn relation(k: &Knowledge, asked: &CallId, entry: &CallId) -> Relation {
    if asked == entry {
        Relation::Same
    } else if has_ancestor(k, entry, asked) {
        Relation::Inside
    } else if has_ancestor(k, asked, entry) {
        Relation::Above
    } else {
        Relation::Other
    }
}

/// The best relation of any of an entry's calls to the asked call (`None`: the entry
/// belongs to no call, e.g. a glossary entry, and fits any question).
pub fn best_relation(k: &Knowledge, asked: &CallId, entry_calls: &[CallId]) -> Option<Relation> {
    entry_calls.iter().map(|c| relation(k, asked, c)).min()
}

/// Where `phrase` occurs in `words` (whole words), every start.
pub(super) fn occurrences(words: &[String], phrase: &[String]) -> Vec<usize> {
    if phrase.is_empty() || phrase.len() > words.len() {
        return Vec::new();
    }
    (0..=words.len() - phrase.len())
        .filter(|&i| words[i..i + phrase.len()] == *phrase)
        .collect()
}

/// The calls a message names, in the order they appear, the most specific when a call
/// and one of its ancestors are both named.
pub fn named_calls(k: &Knowledge, words: &[String]) -> Vec<CallId> {
    named_calls_near(k, words, None)
}

/// [`named_calls`] in a conversation about `focus`: the call in focus counts as named
/// strongly, so a weak name outside its family (`e la misura 1?` while A.L.Fa. is in
/// focus) names nothing, as `la misura 1 di alfa` would not name WECARE's.
pub fn named_calls_in_focus(k: &Knowledge, words: &[String], focus: &CallId) -> Vec<CallId> {
    named_calls_near(k, words, Some(focus))
}

fn named_calls_near(k: &Knowledge, words: &[String], focus: Option<&CallId>) -> Vec<CallId> {
    // (start, length, call, weak)
    let mut found: Vec<(usize, usize, &Call, bool)> = Vec::new();
    // Names opening with a word the message lacks are not looked for.
    let said = crate::fold::WordBits::of(words);
    for c in &k.calls {
        // A focus name counts only in a conversation about the call's family.
        let in_family = focus.is_some_and(|f| same_family(k, f, &c.id));
        let lists = [
            (&c.aliases, false),
            (&c.weak_aliases, true),
            (&c.focus_aliases, false),
        ];
        for (i, (list, weak)) in lists.into_iter().enumerate() {
            if i == 2 && !in_family {
                continue;
            }
            for a in list {
                if a.is_empty() || !said.may_hold(a) {
                    continue;
                }
                for at in occurrences(words, a) {
                    found.push((at, a.len(), c, weak));
                }
            }
        }
    }
    // Longer names win where names overlap (`bando wecare` over `wecare`).
    found.sort_by_key(|&(at, len, _, _)| (std::cmp::Reverse(len), at));
    let mut taken = vec![false; words.len()];
    let mut kept: Vec<(usize, &Call, bool)> = Vec::new();
    for (at, len, c, weak) in found {
        if taken[at..at + len].iter().any(|t| *t) {
            continue;
        }
        taken[at..at + len].iter_mut().for_each(|t| *t = true);
        kept.push((at, c, weak));
    }
    kept.sort_by_key(|&(at, _, _)| at);
    let strong: Vec<&CallId> = kept.iter().filter(|k| !k.2).map(|k| &k.1.id).collect();
    // The call in focus: a weak name of another family yields to it (a sibling measure
    // of the one in focus is of its family).
    let focus_root = focus.map(|f| root(k, f));
    let mut out: Vec<CallId> = Vec::new();
    for (_, c, weak) in kept {
        // A weak name counts when every strong name is in its family.
        if weak
            && (strong
                .iter()
                .any(|s| relation(k, s, &c.id) == Relation::Other)
                || focus_root.is_some_and(|r| r != root(k, &c.id)))
        {
            continue;
        }
        if !out.contains(&c.id) {
            out.push(c.id.clone());
        }
    }
    // Keep the most specific: drop a call whose descendant is named too.
    let named = out.clone();
    out.retain(|c| {
        !named
            .iter()
            .any(|d| d != c && relation(k, c, d) == Relation::Inside)
    });
    out
}

/// The calls a question is about, of those its message names: the question part's
/// (`qwords`), the whole message's (`whole`) when the question part names none.
/// - A weak name in the question part that the whole message gives to a call of another
///   family (`sto studiando il piano A.L.Fa.: quanto vale la misura 1?`) is that call.
/// - A question that turns to another call at its end (`in WECARE c'era il de minimis, e
///   in A.L.Fa.?`, `turns_to`) is about that call only.
/// - Otherwise the calls named in the sentences that ask (`asking`, their text, when the
///   question part holds others) come first («Nel 2019 avevamo fatto un progetto col
///   bando WECARE e vorremmo ripartire. Il Piano ALFA è quello giusto?» is about A.L.Fa.).
pub(super) fn asked(
    k: &Knowledge,
    qwords: &[String],
    whole: Vec<CallId>,
    asking: Option<&str>,
    turns_to: &[Phrase],
) -> Vec<CallId> {
    let in_question = named_calls(k, qwords);
    if in_question.is_empty() {
        return whole;
    }
    let elsewhere = |c: &CallId| whole.iter().all(|n| !same_family(k, c, n));
    if !whole.is_empty() && in_question.iter().all(elsewhere) {
        return whole;
    }
    if in_question.len() < 2 {
        return in_question;
    }
    if let Some(last) = in_question.last()
        && turned_to(k, qwords, last, turns_to)
    {
        return vec![last.clone()];
    }
    match asking {
        Some(asking) => {
            // Read only here: most messages name one call or none.
            let asked = named_calls(k, &super::rewrite(&k.lexicon, super::words_of(asking)));
            let (first, rest): (Vec<CallId>, Vec<CallId>) =
                in_question.into_iter().partition(|c| asked.contains(c));
            first.into_iter().chain(rest).collect()
        }
        None => in_question,
    }
}

/// Whether `words` end with a name of `call` right after a phrase that turns to it
/// (`e in`, `e per`), maybe followed by `invece`.
fn turned_to(k: &Knowledge, words: &[String], call: &CallId, turns_to: &[Phrase]) -> bool {
    let Some(c) = k.call(&call.0) else {
        return false;
    };
    let end = match words.last() {
        Some(w) if w == "invece" => words.len() - 1,
        _ => words.len(),
    };
    let words = &words[..end];
    c.aliases.iter().chain(&c.weak_aliases).any(|a| {
        !a.is_empty()
            && words.ends_with(a)
            && turns_to
                .iter()
                .any(|t| !t.is_empty() && words[..words.len() - a.len()].ends_with(t))
    })
}

/// Calls ordered for a person who asks today: open first, then unknown, then closed.
pub fn by_status<'k>(
    calls: impl IntoIterator<Item = &'k Call>,
    now: jiff::Timestamp,
) -> Vec<&'k Call> {
    let mut v: Vec<&Call> = calls.into_iter().collect();
    v.sort_by_key(|c| (c.status(now), c.short.clone()));
    v
}

/// True when the call is open at `now` (a call whose status the sources do not give never
/// is).
pub fn is_open(c: &Call, now: jiff::Timestamp) -> bool {
    c.status(now) == CallStatus::Open
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::lexicon::phrase;

    fn pack() -> Knowledge {
        crate::knowledge::shipped()
    }

    fn named(k: &Knowledge, text: &str) -> Vec<String> {
        named_calls(k, &phrase(text))
            .into_iter()
            .map(|c| c.0)
            .collect()
    }

    #[test]
    fn calls_are_named_by_their_aliases() {
        let k = pack();
        assert_eq!(
            named(&k, "entro quando scade il bando alfa?"),
            ["alfa-2026"]
        );
        assert_eq!(named(&k, "il Piano A.L.Fa. è aperto?"), ["alfa-2026"]);
        assert_eq!(named(&k, "e l'accordo lavoro famiglia?"), ["alfa-2026"]);
        assert_eq!(
            named(&k, "quello del 2023 per chi era"),
            ["welfare-aziendale-2023"]
        );
        assert_eq!(named(&k, "il bando del 2022?"), ["welfare-aziendale-2022"]);
        assert_eq!(named(&k, "cos'è wecare"), ["wecare"]);
        assert_eq!(
            named(&k, "il bando wecare è chiuso?"),
            ["wecare-welfare-aziendale"]
        );
        assert_eq!(named(&k, "misura 3"), ["wecare-misura-3"]);
        assert_eq!(named(&k, "la misura 1 di wecare"), ["wecare-misura-1"]);
        assert_eq!(named(&k, "la misura 1 di alfa"), ["alfa-2026"]);
        assert_eq!(
            named(&k, "differenza tra alfa e wecare"),
            ["alfa-2026", "wecare"]
        );
        assert!(named(&k, "qual è la scadenza?").is_empty());
    }

    #[test]
    fn a_weak_name_outside_the_family_in_focus_names_nothing() {
        let k = pack();
        let id = |s: &str| CallId(s.into());
        let w = phrase("e la misura 1?");
        assert_eq!(named_calls(&k, &w), [id("wecare-misura-1")]);
        assert!(named_calls_in_focus(&k, &w, &id("alfa-2026")).is_empty());
        assert_eq!(
            named_calls_in_focus(&k, &w, &id("wecare")),
            [id("wecare-misura-1")]
        );
        // A sibling measure of the one in focus is of its family.
        assert_eq!(
            named_calls_in_focus(&k, &phrase("e la misura 2?"), &id("wecare-misura-1")),
            [id("wecare-misura-2")]
        );
        // A strong name still counts whatever the focus.
        assert_eq!(
            named_calls_in_focus(&k, &phrase("e wecare?"), &id("alfa-2026")),
            [id("wecare")]
        );
    }

    #[test]
    fn a_focus_name_counts_only_in_a_conversation_about_its_family() {
        let k = pack();
        let id = |s: &str| CallId(s.into());
        let w = phrase("e il bando sul welfare aziendale su quale programma stava?");
        // Said cold it names nothing: the Region had several calls on firms' welfare.
        assert!(named_calls(&k, &w).is_empty());
        assert!(named_calls_in_focus(&k, &w, &id("alfa-2026")).is_empty());
        // About WECARE (or one of its measures) it is WECARE's call for firms' welfare.
        for focus in ["wecare", "wecare-misura-1", "wecare-welfare-aziendale"] {
            assert_eq!(
                named_calls_in_focus(&k, &w, &id(focus)),
                [id("wecare-welfare-aziendale")],
                "{focus}"
            );
        }
        // With WECARE named in full it is that call whatever the focus.
        assert_eq!(
            named_calls(
                &k,
                &phrase("e nel bando welfare aziendale di wecare com'era?")
            ),
            [id("wecare-welfare-aziendale")]
        );
    }

    #[test]
    fn families_follow_parents() {
        let k = pack();
        let id = |s: &str| CallId(s.into());
        assert_eq!(
            relation(&k, &id("wecare"), &id("wecare-welfare-aziendale")),
            Relation::Inside
        );
        assert_eq!(
            relation(&k, &id("wecare-welfare-aziendale"), &id("wecare")),
            Relation::Above
        );
        assert_eq!(
            relation(&k, &id("alfa-2026"), &id("wecare-welfare-aziendale")),
            Relation::Other
        );
    }

    #[test]
    fn a_question_turning_to_another_call_at_its_end_is_about_that_call() {
        let k = pack();
        let turns = [phrase("e in"), phrase("e per")];
        let asked_in = |text: &str| {
            let w = phrase(text);
            let whole = named_calls(&k, &w);
            asked(&k, &w, whole, None, &turns)
                .into_iter()
                .map(|c| c.0)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            asked_in("nel bando del 2019 si poteva fare un nido, e per alfa invece?"),
            ["alfa-2026"]
        );
        assert_eq!(
            asked_in("in wecare c'erano gli enti aggregatori, e in alfa?"),
            ["alfa-2026"]
        );
        // Two calls compared, or a call named in the middle: both stay.
        assert_eq!(
            asked_in("che differenza c'è tra il bando del 2022 e alfa"),
            ["welfare-aziendale-2022", "alfa-2026"]
        );
        assert_eq!(
            asked_in("e per alfa valgono le regole del 2019?"),
            ["alfa-2026", "wecare-welfare-aziendale"]
        );
    }
}
