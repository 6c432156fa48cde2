//! How a follow-up points at a call without naming it, or names one by the previous
//! question's words: `e la quarta?` (a measure by its number, from the call in focus),
//! `e quello dell'anno dopo?` (the next call by year), `e la misura 1?` with A.L.Fa. in
//! focus (a weak name yields to the focus), `e il bando sul welfare aziendale?` with
//! WECARE in focus (a name that counts only in a conversation about its family), and `e
//! per alfa invece?` (the previous question asked again for another call). The engine
//! reads such a message as if it said what it points at; the lists of pointing words are
//! the locale's.
//!
//! A short follow-up that changes one word of the previous question (`e il minimo?` after
//! `quanto vale al massimo un progetto?`) keeps that question as its context: its words
//! count a little in search ([`crate::search::SearchIndex::search_in_context`]), so the
//! entries about what was being asked come before those that only share the new word. The
//! session keeps that context with the question ([`super::Session::follows_up`]), so a
//! re-ask for another call (`e per wecare invece?`) keeps it too. A re-ask that the
//! previous question's words leave unsure is read once more as the question the last
//! answer answers (its entry's own phrasing: [`super::Session::last_answer`]), which finds
//! that answer's counterpart in the other call.
//!
//! Measures: a question that names one measure, or asks which measure (`quale misura di
//! WECARE era per i comuni?`), is answered with the entry about a measure that its words
//! offer, not with an entry of the strategy above it or of a call inside it
//! ([`Engine::measure_named`], [`Engine::measure_asked`]); asked with a measure in focus,
//! it asks among the strategy's measures ([`Engine::focus_of`], which also leaves no call
//! in focus for a question about calls in general).

use jiff::Timestamp;

use super::Engine;
use crate::decide::Decision;
use crate::knowledge::{CallId, CallKind};
use crate::text::Texts;
use crate::understand::{self, Reading};

/// Words a short follow-up has at most (`e per le piccole imprese?`).
const SHORT_FOLLOW_UP: usize = 5;
/// At most this many words make a short «which call» follow-up (`e in quale bando c'erano?`).
const SHORT_WHICH_CALL: usize = 8;

impl Engine<'_> {
    /// The call in focus for a question (`topic`: the session's): none for a question
    /// about calls in general (`ci sono altri bandi?`, `c'è un bando per…`), unless it
    /// points at that call (`quanti bandi ha fatto quella misura?`); the strategy above a
    /// measure in focus for a question asking which measure (`da quale misura era
    /// finanziata?` asks among the strategy's measures, not of that measure).
    pub(super) fn focus_of(
        &self,
        tx: &Texts,
        reading: &Reading,
        topic: Option<&CallId>,
    ) -> Option<CallId> {
        let words = &reading.words;
        let focus = topic.cloned().filter(|_| {
            !understand::has_phrase(words, tx.phrases("words.any_call"))
                || understand::has_phrase(words, tx.phrases("words.this_call"))
        });
        match focus.as_ref().and_then(|f| self.knowledge.call(&f.0)) {
            Some(c)
                if c.kind == CallKind::Measure
                    && understand::has_phrase(words, tx.phrases("words.which_measure")) =>
            {
                c.parent.clone().or(focus)
            }
            _ => focus,
        }
    }

    /// The message read as if it named the call it points at (or, for a weak name
    /// outside the family in focus, as if it named none); `None` when it reads as it is.
    pub(super) fn pointed(
        &self,
        tx: &Texts,
        reading: &Reading,
        focus: Option<&CallId>,
        now: Timestamp,
    ) -> Option<Reading> {
        // `e il bando sul welfare aziendale?` with WECARE in focus names its call for
        // firms' welfare (a name that counts only in a conversation about its family).
        if let Some(focus) = focus
            && reading
                .named
                .iter()
                .all(|c| understand::calls::same_family(self.knowledge, c, focus))
        {
            let named =
                understand::calls::named_calls_in_focus(self.knowledge, &reading.words, focus);
            if named.iter().any(|c| !reading.named.contains(c)) {
                return Some(Reading {
                    named,
                    ..reading.clone()
                });
            }
        }
        // `e la quarta?` with WECARE's measures in focus names the fourth, `e quello
        // dell'anno dopo?` the next call: read on as if the message said its name.
        match (reading.named.is_empty(), focus) {
            (true, focus) => {
                let pointers = understand::pointers::Pointers {
                    leads: tx.list("words.number_lead"),
                    after: tx.list("words.followup"),
                    next: tx.phrases("words.call_next"),
                    previous: tx.phrases("words.call_previous"),
                    pronouns: tx.list("words.call_pronoun"),
                    newest: tx.phrases("words.call_newest"),
                    oldest: tx.phrases("words.call_oldest"),
                    this_year: tx.phrases("words.this_year"),
                    last_year: tx.phrases("words.last_year"),
                    year: u16::try_from(now.to_zoned(crate::knowledge::deadline::rome()).year())
                        .ok(),
                    now: tx.phrases("words.now"),
                    asks_open: tx.phrases("words.asks_open"),
                    clock: Some(now),
                };
                match understand::pointers::referred(
                    self.knowledge,
                    &reading.words,
                    focus,
                    pointers,
                ) {
                    Some(r) => {
                        let text = |q: &str| r.without(&understand::words_of(q)).join(" ");
                        Some(Reading {
                            named: vec![r.call.clone()],
                            words: r.apply(&reading.words),
                            query: text(&reading.query),
                            query_whole: text(&reading.query_whole),
                            ..reading.clone()
                        })
                    }
                    None => None,
                }
            }
            // `e la misura 1?` with A.L.Fa. in focus is about A.L.Fa.'s, not WECARE's.
            // (Only a call of another family than the focus's can yield to it.)
            (false, Some(focus))
                if reading
                    .named
                    .iter()
                    .any(|c| !understand::calls::same_family(self.knowledge, c, focus))
                    && understand::calls::named_calls_in_focus(
                        self.knowledge,
                        &reading.words,
                        focus,
                    )
                    .is_empty() =>
            {
                Some(Reading {
                    named: Vec::new(),
                    ..reading.clone()
                })
            }
            _ => None,
        }
    }

    /// The context of a short follow-up (`e il minimo?`, `e per le grandi imprese?`): the
    /// previous question, with the one it followed up on in turn; `None` for any other
    /// message. Short means a few words opened by a follow-up opener (`words.followup_open`),
    /// naming no call and with no question word.
    pub(super) fn followed_up(
        &self,
        tx: &Texts,
        reading: &Reading,
        session: &super::Session,
    ) -> Option<String> {
        let last = session.last_question.as_deref()?;
        let opens = tx
            .phrases("words.followup_open")
            .iter()
            .any(|p| !p.is_empty() && reading.words.starts_with(p));
        // A follow-up with a question word of its own (`e chi lo può chiedere?`) asks
        // something else: the previous question is no context for it.
        if !reading.named.is_empty()
            || !opens
            || reading.words.len() > SHORT_FOLLOW_UP
            || self
                .index
                .with_analysis(&reading.query, |a| !a.asks_with().is_empty())
        {
            return None;
        }
        Some(match &session.follows_up {
            Some(before) => format!("{last} {before}"),
            None => last.to_string(),
        })
    }

    /// A short question asking which call (`e in quale bando c'erano?`) after another
    /// question asks which call has what that question was about: the two read as one,
    /// without the call the previous one named. `None` for any other message.
    pub(super) fn which_call_of(
        &self,
        tx: &Texts,
        reading: &Reading,
        session: &super::Session,
    ) -> Option<String> {
        let last = session.last_question.as_deref()?;
        if !reading.named.is_empty()
            || reading.words.len() > SHORT_WHICH_CALL
            || !understand::has_phrase(&reading.words, tx.phrases("words.which_call"))
        {
            return None;
        }
        let before = strip_call_names(self.knowledge, &understand::words_of(last));
        Some(format!("{} {}", before.join(" "), reading.query))
    }

    /// The answer to a re-ask for the one call it names (`e per alfa?`) that the pack
    /// states: the entry of that call with an aspect of the last answer (see
    /// [`crate::knowledge::Knowledge::same_aspect`]), among several those whose entry asks
    /// with a question word of `question` (the question asked again) first: the first of
    /// them that `decided` offers, or else the first, with what `decided` offers under
    /// it. `None` without a last answer or such an entry, and when `decided` already
    /// answers directly with an entry about that aspect (the words chose among the calls
    /// a name may mean: WECARE's call on company welfare rather than the strategy), or
    /// with one of those entries when the learned decision was `certain` of it.
    pub(super) fn same_aspect(
        &self,
        session: &super::Session,
        named: &[CallId],
        question: &str,
        decided: &Decision,
        certain: bool,
    ) -> Option<Decision> {
        let [call] = named else {
            return None;
        };
        let from = session.last_answer.as_deref()?.strip_prefix("faq:")?;
        let offered = decided.offered();
        let chosen = self.aspect_entries(from, call, question);
        // The search, all but certain, already chose one of those (the question's own
        // words found it): it stays the answer.
        if let Decision::Direct { entry: given, .. } = decided
            && certain
            && chosen.iter().any(|(_, e)| e == given)
        {
            return None;
        }
        let (aspect, entry) = chosen
            .iter()
            .copied()
            .find(|(_, e)| offered.contains(e))
            .or_else(|| chosen.first().copied())?;
        if let Decision::Direct { entry: given, .. } = decided
            && self
                .faq_of(*given)
                .is_some_and(|f| f.aspects.iter().any(|a| a == aspect))
        {
            return None;
        }
        Some(answered_with(entry, call.clone(), offered))
    }

    /// A re-ask for the one call it names (`e la terza misura?`) answered with the very
    /// entry just given (the list of WECARE's measures is about each of them) repeats
    /// nothing new: it asks what that call is, its overview entry (see
    /// [`crate::knowledge::Knowledge::overview`]), the repeated entry offered under it.
    pub(super) fn overview_instead(
        &self,
        session: &super::Session,
        named: &[CallId],
        decided: &Decision,
    ) -> Option<Decision> {
        let [call] = named else {
            return None;
        };
        let Decision::Direct { entry, .. } = decided else {
            return None;
        };
        let last = session.last_answer.as_deref()?;
        let doc = &self.index.entry(*entry).doc;
        if doc.id != last {
            return None;
        }
        // The call named holds the one just answered (`e in wecare com'era?` after an
        // entry of WECARE's company-welfare call): the same answer is its answer.
        if doc.call.as_ref().is_some_and(|c| {
            understand::relation(self.knowledge, call, c) == understand::Relation::Inside
        }) {
            return None;
        }
        let card = self.overview_entry(call)?;
        (card != *entry).then(|| Decision::Direct {
            entry: card,
            call: Some(call.clone()),
            also: vec![*entry],
            lines: Vec::new(),
        })
    }

    /// A re-ask for the one measure it names (`e la quinta?`, `e la misura 2?`) that the
    /// previous question does not answer for it (a menu, nothing) asks what that measure
    /// is: its card (see [`crate::knowledge::Knowledge::overview`]), what `decided`
    /// offered under it. Only for a measure: a call's re-ask (`e per alfa invece?`) asks
    /// the question, whose answer may simply not be known for that call.
    pub(super) fn measure_card_instead(
        &self,
        named: &[CallId],
        decided: &Decision,
    ) -> Option<Decision> {
        let [call] = named else {
            return None;
        };
        if matches!(decided, Decision::Direct { .. })
            || self.knowledge.call(&call.0)?.kind != crate::knowledge::CallKind::Measure
        {
            return None;
        }
        let card = self.overview_entry(call)?;
        Some(answered_with(card, call.clone(), decided.offered()))
    }

    /// «Quale misura di WECARE era pensata per i comuni?» asks which measure: it is
    /// answered with the first entry `decided` offers that is about a measure (its
    /// overview, a section of it, or the list of a strategy's measures), what else it
    /// offers under it: that entry's first line names the measure. `None` when the
    /// message does not ask which measure (`words.which_measure`), when `decided` already
    /// answers with an entry about a measure, or offers none.
    pub(super) fn measure_asked(
        &self,
        tx: &Texts,
        reading: &Reading,
        decided: &Decision,
    ) -> Option<Decision> {
        if !understand::has_phrase(&reading.words, tx.phrases("words.which_measure")) {
            return None;
        }
        if let Some(d) = self.measure_for_asker(tx, reading, &decided.offered()) {
            return Some(d);
        }
        let k = self.knowledge;
        let of_measure = |e: usize| {
            let calls = &self.index.entry(e).doc.calls;
            calls
                .iter()
                .any(|c| k.call(&c.0).is_some_and(|c| c.kind == CallKind::Measure))
                .then(|| calls.first().cloned())
                .flatten()
        };
        if let Decision::Direct { entry, .. } = decided
            && of_measure(*entry).is_some()
        {
            return None;
        }
        let offered = decided.offered();
        let (entry, call) = offered.iter().find_map(|&e| Some((e, of_measure(e)?)))?;
        Some(answered_with(entry, call, offered))
    }

    /// The entry of `call`'s overview (what the call is: see
    /// [`crate::knowledge::Knowledge::overview`]), when the pack has one.
    pub(super) fn overview_entry(&self, call: &CallId) -> Option<usize> {
        self.index.find_faq(&self.knowledge.overview(call)?.id)
    }

    /// Which measure is for the asker, who said what kind of applicant they are
    /// (`Siamo una cooperativa sociale: quale misura di WECARE era per noi?`): the one
    /// measure whose applicants, as the pack lists them, include that kind (of the
    /// strategy named, if one is), answered with its overview entry; for an enterprise
    /// with social aims (`words.social_enterprise`: `impresa sociale`, `srl benefit`),
    /// whatever its kind, the measure for social-impact enterprises (the one the locale's
    /// `words.social_measure` names). `None` when no measure or several fit.
    fn measure_for_asker(
        &self,
        tx: &Texts,
        reading: &Reading,
        offered: &[usize],
    ) -> Option<Decision> {
        let k = self.knowledge;
        let of_named = |c: &crate::knowledge::Call| {
            reading.named.is_empty()
                || reading
                    .named
                    .iter()
                    .any(|n| c.parent.as_ref() == Some(n) || &c.id == n)
        };
        let measure =
            if understand::has_phrase(&reading.words, tx.phrases("words.social_enterprise")) {
                // An enterprise with social aims: the measure the locale's
                // `words.social_measure` names (for social-impact enterprises), which fits
                // it whatever kind of applicant it is.
                let named = understand::named_calls(
                    k,
                    &understand::words_of(&tx.s("words.social_measure", &[])),
                );
                match named.as_slice() {
                    [m] => k
                        .call(&m.0)
                        .filter(|c| c.kind == CallKind::Measure && of_named(c))?,
                    _ => return None,
                }
            } else {
                let kind = reading.profile.applicant?;
                let mut fit = k.calls.iter().filter(|c| {
                    c.kind == CallKind::Measure && c.applicants.contains(&kind) && of_named(c)
                });
                match (fit.next(), fit.next()) {
                    (Some(m), None) => m,
                    _ => return None,
                }
            };
        let entry = self.overview_entry(&measure.id)?;
        Some(answered_with(
            entry,
            measure.id.clone(),
            offered.iter().copied(),
        ))
    }

    /// A question that names one measure (`la quinta misura di WECARE`, `la misura sul
    /// welfare territoriale`) left with a choice in which one entry alone is about that
    /// measure only (its card, or that and sections of it), beside entries of the strategy
    /// above it, of several measures or of calls inside it: that entry is the answer, the
    /// others offered under it. A measure is one card in the pack, so the words that name
    /// it chose it. A question that names the strategy (`WECARE aveva qualcosa per imprese
    /// come noi?`) and whose first choice is about one of its measures alone is read as
    /// naming that measure. `None` otherwise.
    pub(super) fn measure_named(&self, named: &[CallId], decided: &Decision) -> Option<Decision> {
        let [named] = named else {
            return None;
        };
        let k = self.knowledge;
        let Decision::Menu { entries } = decided else {
            return None;
        };
        let measure = |c: &CallId| k.call(&c.0).is_some_and(|c| c.kind == CallKind::Measure);
        // A strategy named: the measure of it that the first choice is about alone.
        let first_call =
            entries
                .first()
                .and_then(|&e| match self.index.entry(e).doc.calls.as_slice() {
                    [c] if measure(c)
                        && k.call(&c.0).and_then(|m| m.parent.as_ref()) == Some(named) =>
                    {
                        Some(c.clone())
                    }
                    _ => None,
                });
        let call = match first_call {
            Some(c) => c,
            None if measure(named) => named.clone(),
            None => return None,
        };
        // Entries about that measure alone (an entry about several measures, as their
        // deadlines, answers something of each, not what this one is).
        let of_call: Vec<usize> = entries
            .iter()
            .copied()
            .filter(|&e| self.index.entry(e).doc.calls == std::slice::from_ref(&call))
            .collect();
        let (&entry, rest) = of_call.split_first()?;
        let section = |e: usize| self.index.entry(e).doc.id.starts_with("call:");
        if !rest.iter().all(|&e| section(e)) {
            return None;
        }
        Some(answered_with(entry, call, entries.iter().copied()))
    }

    /// The decision for a re-ask for another call read as the question the last answer
    /// answers (its entry's own phrasing); `None` without a last answer.
    pub(super) fn counterpart(
        &self,
        tx: &Texts,
        reading: &Reading,
        session: &super::Session,
        call: Option<&CallId>,
        now: Timestamp,
    ) -> Option<Decision> {
        let entry = self.index.find(session.last_answer.as_deref()?)?;
        let asked = super::Session {
            last_question: Some(self.index.entry(entry).doc.title.clone()),
            follows_up: None,
            last_answer: None,
            ..session.clone()
        };
        Some(self.consider(tx, reading, &asked, call, now).decision)
    }

    /// The previous question asked again for the call a short follow-up names (`e per
    /// alfa invece?`), with the names of calls taken out of it; `None` when the message
    /// has words of its own.
    pub(super) fn elliptic(
        &self,
        tx: &Texts,
        reading: &Reading,
        last: Option<&str>,
    ) -> Option<String> {
        let last = last?;
        if reading.named.is_empty() {
            return None;
        }
        let filler = tx.phrases("words.followup");
        let rest = strip_call_names(self.knowledge, &reading.words);
        if !rest
            .iter()
            .all(|w| filler.iter().any(|f| f.len() == 1 && f[0] == *w))
        {
            return None;
        }
        let before = self.read(tx, last);
        // What pointed at a call in the previous question (`quello dell'anno dopo`) is
        // not part of what it asked.
        let mut asked = strip_call_names(self.knowledge, &understand::words_of(&before.query));
        for p in [
            tx.phrases("words.call_next"),
            tx.phrases("words.call_previous"),
            tx.phrases("words.call_newest"),
            tx.phrases("words.call_oldest"),
        ]
        .into_iter()
        .flatten()
        .filter(|p| !p.is_empty())
        {
            while let Some(at) = asked.windows(p.len()).position(|w| w == &p[..]) {
                asked.drain(at..at + p.len());
            }
        }
        Some(asked.join(" "))
    }
}

/// A direct answer with `entry` about `call`, the first two other entries of `offered`
/// under it.
pub(super) fn answered_with(
    entry: usize,
    call: CallId,
    offered: impl IntoIterator<Item = usize>,
) -> Decision {
    Decision::Direct {
        entry,
        call: Some(call),
        also: offered
            .into_iter()
            .filter(|&e| e != entry)
            .take(2)
            .collect(),
        lines: Vec::new(),
    }
}

/// The folded words of a message without the names of calls in it, the names that count
/// only in a conversation about a call's family (`bando welfare aziendale`) included: in
/// `e sul bando welfare aziendale del 2019?` they say which call, not what is asked.
pub(super) fn strip_call_names(k: &crate::knowledge::Knowledge, words: &[String]) -> Vec<String> {
    let mut keep = vec![true; words.len()];
    // A name opening with a word the message lacks is not looked for.
    let bits = crate::fold::WordBits::of(words);
    for c in &k.calls {
        for a in c
            .aliases
            .iter()
            .chain(&c.weak_aliases)
            .chain(&c.focus_aliases)
        {
            if a.is_empty() || a.len() > words.len() || !bits.may_hold(a) {
                continue;
            }
            for i in 0..=words.len() - a.len() {
                if words[i..i + a.len()] == a[..] {
                    keep[i..i + a.len()].iter_mut().for_each(|k| *k = false);
                }
            }
        }
    }
    words
        .iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(w, _)| w.clone())
        .collect()
}
