//! Questions that compare the calls they name (`che differenza c'è tra il bando del 2022
//! e quello del 2023?`). Search reads such a question as a bag of words and finds the
//! entries that share its comparing word (a glossary's «differenza tra ATI e ATS»), not
//! what the calls are. Unless the pack has an entry written for that comparison (about
//! those calls together, as A.L.Fa. against the old WECARE call), the answer is the entry
//! about one named call, with one line for each other named call: the counterpart of the
//! same aspect when the question asks one (`che differenza c'è nelle scadenze…?`), else
//! what each call is (its overview). The locale lists the comparing words
//! (`words.compare`).

use super::Engine;
use crate::decide::Decision;
use crate::knowledge::CallId;
use crate::text::Texts;
use crate::understand::{self, Reading, Relation};

impl Engine<'_> {
    /// The decision for a question comparing the calls in `named` (see the module's doc);
    /// `None` when the message compares nothing, names fewer than two calls (a measure
    /// and a sibling it names by number count as two), or `decided` already answers with
    /// an entry about several of them.
    pub(super) fn compared(
        &self,
        tx: &Texts,
        reading: &Reading,
        named: &[CallId],
        decided: &Decision,
    ) -> Option<Decision> {
        if named.is_empty() || !understand::has_phrase(&reading.words, tx.phrases("words.compare"))
        {
            return None;
        }
        // `tra la misura 1 e la 2`: the second measure is named by its number alone.
        let with_sibling: Vec<CallId>;
        let named = match named {
            [one] => {
                let other = understand::pointers::sibling_named(
                    self.knowledge,
                    &reading.words,
                    one,
                    tx.list("words.number_lead"),
                    tx.list("words.followup"),
                )?;
                with_sibling = vec![one.clone(), other];
                &with_sibling[..]
            }
            _ => named,
        };
        let first = match decided {
            Decision::Direct { entry, .. } => Some(*entry),
            Decision::Menu { entries } => entries.first().copied(),
            _ => None,
        };
        let k = self.knowledge;
        let doc = |e: usize| &self.index.entry(e).doc;
        // An entry written for the comparison: about two of the named calls or more (or
        // calls inside them: A.L.Fa. against WECARE's call for firms answers «A.L.Fa.
        // against WECARE»).
        let about = |e: usize, c: &CallId| {
            doc(e)
                .calls
                .iter()
                .any(|d| understand::relation(k, c, d) != Relation::Other)
        };
        // (An entry about more calls than those, as the deadlines of all WECARE's
        // measures, is not about the comparison.)
        let only_named = |e: usize| {
            doc(e).calls.iter().all(|d| {
                named
                    .iter()
                    .any(|c| understand::relation(k, c, d) != Relation::Other)
            })
        };
        if first.is_some_and(|e| named.iter().filter(|c| about(e, c)).count() >= 2 && only_named(e))
        {
            return None;
        }
        // The question asks one aspect of one named call: the same aspect of the others.
        // (Only when it asks something beyond the comparison: `che differenza c'è tra il
        // bando del 2022 e quello del 2023?` asks what each is, whatever entry its words
        // found first.)
        if let Some(e) = first
            && self.asks_beyond(&reading.words, tx.phrases("words.compare"))
            && let Some(its_call) = doc(e).call.clone().filter(|c| named.contains(c))
            && let Some(faq) = doc(e).id.strip_prefix("faq:")
        {
            // In the order the calls are named.
            let each: Option<Vec<usize>> = named
                .iter()
                .map(|c| {
                    if *c == its_call {
                        Some(e)
                    } else {
                        k.same_aspect(faq, c)
                            .first()
                            .and_then(|(_, f)| self.index.find_faq(&f.id))
                    }
                })
                .collect();
            if let Some(each) = each {
                return one_for_each(named, each);
            }
        }
        // Else what each named call is.
        let overviews: Option<Vec<usize>> = named.iter().map(|c| self.overview_entry(c)).collect();
        one_for_each(named, overviews?)
    }
}

/// The first named call's entry as the answer, a line for each other's.
fn one_for_each(named: &[CallId], each: Vec<usize>) -> Option<Decision> {
    let mut each = each.into_iter();
    Some(Decision::Direct {
        entry: each.next()?,
        call: Some(named.first()?.clone()),
        also: Vec::new(),
        lines: each.collect(),
    })
}
