//! Whether a call is still open, asked of the one call a message names (`il bando del
//! 2019 è ancora aperto?`, `si può ancora fare domanda?`: the locale's `words.asks_status`):
//! the answer is that call's status entry, the one the pack marks with the aspect
//! [`STATUS_ASPECT`] (see `knowledge/README.md`), whatever else the call's other words
//! found (a definition of «welfare di secondo livello», the pets of the 2023 call).
//! Whether one *was* in time (`a gennaio 2020 ero ancora in tempo?`:
//! `words.asks_past_deadline`) is a question about the call's deadlines, not about today:
//! its answer is the entry with the call's deadlines and their extensions, never «No, it
//! is closed». What a call's name means (`cs vuol dire wecare`, `WECARE è una sigla?`:
//! `words.asks_name`, with nothing else asked) is answered with the entry the pack marks
//! with the aspect [`NAME_ASPECT`], not with what the call is. How much a project or a
//! firm could get (`qual era il contributo massimo per impresa nella misura 4?`:
//! `words.asks_amount`) is «non lo so» for a call for which the pack has no entry with
//! the aspect [`AMOUNT_ASPECT`] (nor a call inside it): its card says what the measure was
//! worth in all, not what one project could have. Kept apart from the search
//! because it reads only the message's phrases, the pack's aspects and what the search
//! decided.

use super::Engine;
use super::pointing::{answered_with, strip_call_names};
use crate::decide::Decision;
use crate::fold::Phrase;
use crate::knowledge::{AMOUNT_ASPECT, CallId, NAME_ASPECT, STATUS_ASPECT};
use crate::text::Texts;
use crate::understand::{self, Reading};

/// The aspects of a call's deadline entries, the history first (extensions list every
/// deadline a date can be compared with).
const DEADLINE_ASPECTS: [&str; 2] = ["proroghe", "scadenza"];

impl Engine<'_> {
    /// The status entry of the one call `named`, when the message asks whether it is still
    /// open, the entries `decided` offered under it. `None` when the message names no call
    /// or several, does not ask that, the call has no status entry, or `decided` already
    /// answers with an entry of that call that says whether it is open.
    pub(super) fn status_asked(
        &self,
        tx: &Texts,
        reading: &Reading,
        named: &[CallId],
        decided: &Decision,
    ) -> Option<Decision> {
        let asks = |key: &str| understand::has_phrase(&reading.words, tx.phrases(key));
        if !asks("words.asks_status") || asks("words.asks_past_deadline") {
            return None;
        }
        self.aspect_of_named(named, &[STATUS_ASPECT], decided)
    }

    /// The deadline entry of the one call `named` when the message asks whether one was in
    /// time (`eravamo ancora in tempo a gennaio 2020?`), the entries `decided` offered
    /// under it. `None` when the message names no call or several, does not ask that, the
    /// call has no deadline entry, or `decided` already answers with one of that call.
    pub(super) fn deadline_asked_past(
        &self,
        tx: &Texts,
        reading: &Reading,
        named: &[CallId],
        decided: &Decision,
    ) -> Option<Decision> {
        if !understand::has_phrase(&reading.words, tx.phrases("words.asks_past_deadline")) {
            return None;
        }
        self.aspect_of_named(named, &DEADLINE_ASPECTS, decided)
    }

    /// The name entry of the one call `named` (or, naming none, the call in `focus`) when
    /// the message asks what its name means or what it is called, and nothing else (`cosa
    /// vuol dire wecare?`, not `cosa vuol dire «visione generativa» in WECARE?`): the words
    /// left without the call's names and the phrases of `words.asks_name` weigh nothing in
    /// search.
    pub(super) fn name_asked(
        &self,
        tx: &Texts,
        reading: &Reading,
        named: &[CallId],
        focus: Option<&CallId>,
        decided: &Decision,
    ) -> Option<Decision> {
        let asks_name = tx.phrases("words.asks_name");
        if !understand::has_phrase(&reading.words, asks_name) {
            return None;
        }
        // A message naming no call asks the name of the one in focus (`e come si chiama?`).
        let call = asked_of(named, focus)?;
        if self.asks_beyond(&reading.words, asks_name) {
            return None;
        }
        self.aspect_of_named(std::slice::from_ref(call), &[NAME_ASPECT], decided)
    }

    /// «Non lo so», the entries `decided` offered as suggestions, when the message asks how
    /// much one project or firm could get of the one call `named` (or, naming none, the
    /// call in `focus`) and neither that call nor any inside it has an entry with the
    /// aspect [`AMOUNT_ASPECT`]; `None` otherwise.
    pub(super) fn amount_unknown(
        &self,
        tx: &Texts,
        reading: &Reading,
        named: &[CallId],
        focus: Option<&CallId>,
        decided: &Decision,
    ) -> Option<Decision> {
        if !understand::has_phrase(&reading.words, tx.phrases("words.asks_amount"))
            || matches!(decided, Decision::Nothing { .. })
        {
            return None;
        }
        let call = asked_of(named, focus)?;
        let k = self.knowledge;
        let states = |c: &CallId| k.states_aspect(c, AMOUNT_ASPECT);
        let inside = k.calls.iter().any(|c| {
            understand::relation(k, call, &c.id) == understand::Relation::Inside && states(&c.id)
        });
        if states(call) || inside {
            return None;
        }
        Some(Decision::Nothing {
            suggestions: decided.offered().into_iter().take(3).collect(),
        })
    }

    /// Whether `words` ask something besides naming calls and saying one of `phrases`:
    /// without the calls' names (see [`strip_call_names`]) and those phrases, they weigh
    /// in search.
    pub(super) fn asks_beyond(&self, words: &[String], phrases: &[Phrase]) -> bool {
        let mut rest = strip_call_names(self.knowledge, words);
        for p in phrases.iter().filter(|p| !p.is_empty()) {
            while let Some(at) = rest.windows(p.len()).position(|w| w == &p[..]) {
                rest.drain(at..at + p.len());
            }
        }
        self.index
            .with_analysis(&rest.join(" "), |a| a.content_weight() > 0.0)
    }

    /// The one call `named`'s entry for the first of `aspects` it has one for (see
    /// [`crate::knowledge::Knowledge::aspect_entry`]), the entries `decided` offered under
    /// it; `None` when several calls or none are named, the call has no such entry, or
    /// `decided` already answers with an entry of that call about one of `aspects`.
    fn aspect_of_named(
        &self,
        named: &[CallId],
        aspects: &[&str],
        decided: &Decision,
    ) -> Option<Decision> {
        let [call] = named else {
            return None;
        };
        if let Decision::Direct { entry, .. } = decided
            && self.faq_of(*entry).is_some_and(|f| {
                f.calls.contains(call) && f.aspects.iter().any(|a| aspects.contains(&a.as_str()))
            })
        {
            return None;
        }
        let faq = aspects
            .iter()
            .find_map(|a| self.knowledge.aspect_entry(call, a, None))?;
        let entry = self.index.find_faq(&faq.id)?;
        Some(answered_with(entry, call.clone(), decided.offered()))
    }
}

/// The call a question is asked of: the one `named`, or, naming none, the one in `focus`.
fn asked_of<'a>(named: &'a [CallId], focus: Option<&'a CallId>) -> Option<&'a CallId> {
    match (named, focus) {
        ([one], _) => Some(one),
        ([], focus) => focus,
        _ => None,
    }
}
