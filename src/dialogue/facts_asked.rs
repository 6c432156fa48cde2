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
        stems.sort_unstable();
        stems.dedup();
        let asked =
            |own: &[String]| !own.is_empty() && own.iter().all(|s| stems.binary_search(s).is_ok());
        // The words' bits rule out, with one test per word, the phrases of several
        // words the question cannot hold (most of over a hundred).
        let bits = crate::fold::WordBits::of(qwords);
        let several = |p: &Phrase| {
            bits.may_hold_all(p)
                && crate::fold::has_phrase_loosely(qwords, p, |w| {
                    !self.index.weighs(w) || auxiliary.iter().any(|a| a.iter().any(|x| x == w))
                })
        };
        // The loaded-once strings: their one-word phrases' stems are kept per list, so
        // that the list costs one look-up (`SearchIndex::word_stems`).
        let statics = crate::text::texts(tx.lang);
        if std::ptr::eq(tx, statics) {
            let list = statics.phrases("words.facts");
            let words = self.index.word_stems(list);
            return list
                .iter()
                .zip(words.iter())
                .filter(|(p, own)| match own {
                    Some(own) => asked(own),
                    None => several(p),
                })
                .map(|(p, _)| p.clone())
                .collect();
        }
        tx.phrases("words.facts")
            .iter()
            .filter(|p| match p.as_slice() {
                [word] => self.index.with_stems_of(word, asked),
                _ => several(p),
            })
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::dialogue::{Engine, Settings};
    use crate::search::SearchIndex;
    use crate::text::{Lang, Texts, texts};

    /// The loaded-once strings take their one-word phrases' stems from the index's
    /// memory; any other strings look each word up: the same facts either way.
    #[test]
    fn the_kept_stems_find_the_facts_the_words_do() {
        let k = crate::knowledge::shipped();
        let ix = SearchIndex::from_knowledge(&k).unwrap();
        let settings = Settings::default();
        let engine = Engine {
            knowledge: &k,
            index: &ix,
            settings: &settings,
            readings: None,
        };
        let statics = texts(Lang::It);
        let parsed = Texts::parse(include_str!("../../locales/it.toml")).unwrap();
        assert!(!std::ptr::eq(statics, &parsed));
        let mut asked = 0;
        for q in [
            "quando pagano il contributo?",
            "ci sono graduatorie pubblicate?",
            "le erogazioni quando arrivano?",
            "chi ha vinto, c'è una graduatoria?",
            "il contributo è tassato?",
            "serve la pec per fare domanda?",
            "quali imprese hanno avuto il contributo?",
            "come si partecipa al bando?",
            "entro quando si presenta la domanda",
        ] {
            let results = ix.search(q, 5);
            let words = crate::understand::words_of(q);
            let kept = engine.facts_asked(statics, q, &words, &results);
            let looked_up = engine.facts_asked(&parsed, q, &words, &results);
            assert_eq!(kept, looked_up, "{q}");
            asked += usize::from(!kept.is_empty());
        }
        assert!((5..9).contains(&asked), "{asked} of 9 ask a fact");
        // Phrases of several words, as written in the question.
        let q = "quali imprese hanno avuto il contributo?";
        let words = crate::understand::words_of(q);
        let found = engine.facts_asked(statics, q, &words, &ix.search(q, 5));
        for phrase in [
            "quali imprese hanno",
            "hanno avuto il contributo",
            "avuto il contributo",
        ] {
            assert!(found.contains(&crate::fold::phrase(phrase)), "{phrase}");
        }
        assert!(!found.contains(&crate::fold::phrase("ha avuto il contributo")));
    }
}
