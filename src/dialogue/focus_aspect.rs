//! A follow-up that names no call asks about the call in focus: when the search answers
//! it directly with another call's entry (`quanti soldi aveva?` about WECARE's first
//! measure finds the strategy's total, `quanto vale in tutto?` about A.L.Fa. finds
//! WECARE's), the answer is the focus call's own entry for the same aspect, as the pack
//! marks it ([`crate::knowledge::Knowledge::same_aspect`]), the other entry offered under
//! it. Likewise a question naming a measure (`quante risorse aveva la misura WECARE sul
//! welfare aziendale?`) that the search answers with an entry of one of the measure's
//! calls (that call's own money) gets the measure's entry for that aspect, when the pack
//! has one. Kept apart from the search because it reads only the pack's aspects, the call in
//! focus and what the search decided. The entries of a call for another entry's aspects
//! ([`Engine::aspect_entries`]) serve the re-asks of `pointing` too (`e per alfa?`).

use super::Engine;
use super::pointing::answered_with;
use crate::decide::Decision;
use crate::knowledge::{CallId, CallKind};
use crate::understand::calls::{Relation, relation};

impl Engine<'_> {
    /// The call in `focus`'s entry for an aspect of the entry `decided` answers with,
    /// when the message names no call and that entry is about other calls only; among
    /// several, those asked with a question word of `question` first, then one `decided`
    /// offers. `None` when the message names a call, nothing is in focus, the answer is
    /// not direct, is general or already about the focus call, or the focus call has no
    /// entry for its aspects.
    pub(super) fn focus_aspect_instead(
        &self,
        named: &[CallId],
        focus: Option<&CallId>,
        question: &str,
        decided: &Decision,
    ) -> Option<Decision> {
        let (true, Some(call)) = (named.is_empty(), focus) else {
            return None;
        };
        let Decision::Direct { entry, .. } = decided else {
            return None;
        };
        let from = self.faq_of(*entry)?;
        // An entry of a call inside the focus one (a measure of the strategy in focus)
        // is where the question went: `e la misura sulle imprese a impatto sociale?`.
        let inside = |c: &CallId| {
            matches!(
                relation(self.knowledge, call, c),
                Relation::Same | Relation::Inside
            )
        };
        if from.calls.is_empty() || from.calls.iter().any(inside) {
            return None;
        }
        let offered = decided.offered();
        let chosen = self.aspect_entries(&from.id, call, question);
        let (_, entry) = chosen
            .iter()
            .copied()
            .find(|(_, e)| offered.contains(e))
            .or_else(|| chosen.first().copied())?;
        Some(answered_with(entry, call.clone(), offered))
    }

    /// The named measure's own entry for the main aspect of the entry `decided` answers
    /// with, when that entry is about calls inside the measure only (a call of the
    /// measure: its money is not the measure's); `None` when the message names anything
    /// but one measure, the answer is not direct or already the measure's, or the measure
    /// has no entry for that aspect.
    pub(super) fn named_aspect_instead(
        &self,
        named: &[CallId],
        decided: &Decision,
    ) -> Option<Decision> {
        let ([call], Decision::Direct { entry, .. }) = (named, decided) else {
            return None;
        };
        let k = self.knowledge;
        if k.call(&call.0)?.kind != CallKind::Measure {
            return None;
        }
        let from = self.faq_of(*entry)?;
        let inside = |c: &CallId| relation(k, call, c) == Relation::Inside;
        if from.calls.is_empty() || !from.calls.iter().all(inside) {
            return None;
        }
        let own = k.aspect_entry(call, from.aspects.first()?, Some(&from.id))?;
        let own = self.index.find_faq(&own.id)?;
        Some(answered_with(own, call.clone(), decided.offered()))
    }

    /// The entries of `call` about an aspect of the entry `from` (see
    /// [`crate::knowledge::Knowledge::same_aspect`]), each with its aspect; when there are
    /// several (an overview holds several aspects), only those whose entry asks with a
    /// question word of `question` (`chi poteva partecipare?`: who), unless none does.
    pub(super) fn aspect_entries<'k>(
        &'k self,
        from: &str,
        call: &CallId,
        question: &str,
    ) -> Vec<(&'k str, usize)> {
        let found: Vec<(&str, usize)> = self
            .knowledge
            .same_aspect(from, call)
            .into_iter()
            .filter_map(|(a, f)| Some((a, self.index.find_faq(&f.id)?)))
            .collect();
        if found.len() < 2 {
            return found;
        }
        // The question is read for its question words only when aspects compete.
        let asked: Vec<String> = self.index.with_analysis(question, |a| {
            a.asks_with().into_iter().map(String::from).collect()
        });
        let asks_so = |e: usize| {
            self.index
                .asks_with(e)
                .iter()
                .any(|w| asked.iter().any(|a| a == w))
        };
        let by_words: Vec<(&str, usize)> =
            found.iter().copied().filter(|&(_, e)| asks_so(e)).collect();
        if by_words.is_empty() { found } else { by_words }
    }
}
