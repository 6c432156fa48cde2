//! Which facts of a precise kind a question asks (a ranking, a payment, a tax, how many
//! firms took part: the locale's `words.facts`). Search finds entries *near* such a
//! question; the decision then answers it only with an entry whose text states that fact
//! ([`crate::decide::Context::facts`]). Kept apart from the answer's flow because reading
//! the terms takes the index's stems and the question's folded words, nothing else.

use super::Engine;
use crate::fold::Phrase;
use crate::search::Results;
use crate::text::Texts;

impl Engine<'_> {
    /// The terms of `words.facts` that `query` (folded into `qwords`, searched into
    /// `results`) asks: a word in any form (its stem among the question's, as written or
    /// as corrected), a phrase as written (`progetti finanziati` asks what was funded,
    /// `progetto finanziato` does not), maybe with an auxiliary between (`progetti sono
    /// stati finanziati`: words that do not weigh in search, or of the past tense's,
    /// `words.past`; not `venivano`).
    pub(super) fn facts_asked(
        &self,
        tx: &Texts,
        query: &str,
        qwords: &[String],
        results: &Results,
    ) -> Vec<Phrase> {
        let auxiliary = tx.phrases("words.past");
        let mut stems: Vec<String> = self.index.stems_of(query);
        stems.extend(results.query.stems());
        tx.phrases("words.facts")
            .iter()
            .filter(|p| match p.as_slice() {
                [word] => self.index.with_stems_of(word, |own| {
                    !own.is_empty() && own.iter().all(|s| stems.contains(s))
                }),
                _ => crate::fold::has_phrase_loosely(qwords, p, |w| {
                    !self.index.weighs(w) || auxiliary.iter().any(|a| a.iter().any(|x| x == w))
                }),
            })
            .cloned()
            .collect()
    }
}
