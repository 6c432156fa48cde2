//! The English words of the English index's analysis (see [`crate::knowledge::english`]
//! for the English view of the pack): the stop list and the question words kept out of
//! it. The pipeline ([`super::analysis`]: folding, stop words, the English Snowball
//! stemmer), typo correction and synonym phrases are the Italian ones.
//!
//! Question words that tell questions apart (`who`, `when`, `how much`) stay searchable,
//! as `chi`, `quando`, `quanto` do in Italian. Italian terms used in English questions
//! (`bando`, `de minimis`, `ATI`) are words like any other: the English synonym groups
//! (`knowledge/en/synonyms.toml`) tie them to the English ones.

/// Question words kept out of the stop list.
pub(super) const QUESTION_WORDS: &str = "who when where how why much many";

/// English stop words (Snowball list, apostrophes split as the tokenizer splits them),
/// without the question words above, plus the politeness and filler words of questions
/// put to a bot.
const STOP_WORDS: &str = "\
    i me my myself we our ours ourselves you your yours yourself yourselves he him his \
    himself she her hers herself it its itself they them their theirs themselves what which \
    whom this that these those am is are was were be been being have has had having do does \
    did doing would should could ought s t d ll m re ve don doesn didn isn aren wasn weren \
    hasn haven hadn won wouldn shan shouldn can cannot couldn mustn let a an the and but if \
    or because as until while of at by for with about against between into through during \
    before after above below to from up down in out on off over under again further then \
    once here there all any both each few more most other some such no nor not only own same \
    so than too very will shall may might must \
    please hi hello hey thanks thank kindly dear tell know like want wondering wonder \
    question questions ask asking also anyone someone something anything just \
    currently actually really basically exactly simply briefly quick quickly pls plz thx \
    ok okay yes yeah sorry one";

/// The stop list of the English analysis.
pub(super) fn stop_words() -> Vec<String> {
    STOP_WORDS.split_whitespace().map(String::from).collect()
}

#[cfg(test)]
mod tests {
    use super::super::{Doc, EntryKind, SearchIndex};
    use crate::text::Lang;

    fn doc(id: &str, title: &str, body: &str) -> Doc {
        Doc {
            id: id.into(),
            kind: EntryKind::Faq,
            call: None,
            calls: vec![],
            audience: None,
            askers: Vec::new(),
            alone: false,
            for_anyone: false,
            title: title.into(),
            alt: String::new(),
            body: body.into(),
            source: String::new(),
        }
    }

    fn index() -> SearchIndex {
        SearchIndex::build_in(
            Lang::En,
            vec![
                doc(
                    "deadline",
                    "What was the deadline of the company welfare call?",
                    "Applications closed on 27 February 2020 after two extensions.",
                ),
                doc(
                    "cofinancing",
                    "How much co-financing do companies have to provide?",
                    "At least 20% of the total cost of the project.",
                ),
                doc(
                    "state-aid",
                    "Is the grant given under the de minimis rules?",
                    "Yes: Regulation (EU) 1407/2013 applies to the grants.",
                ),
            ],
            &[vec!["call".into(), "bando".into(), "grant".into()]],
        )
        .unwrap()
    }

    fn best(ix: &SearchIndex, q: &str) -> Option<String> {
        ix.search(q, 3)
            .hits
            .first()
            .map(|h| ix.entry(h.entry).doc.id.clone())
    }

    #[test]
    fn english_inflections_stop_words_and_typos() {
        let ix = index();
        assert_eq!(
            best(&ix, "deadlines for applying").as_deref(),
            Some("deadline")
        );
        assert_eq!(
            best(&ix, "When did the dedline close?").as_deref(),
            Some("deadline")
        );
        assert_eq!(
            best(&ix, "How much co-financing?").as_deref(),
            Some("cofinancing")
        );
        assert_eq!(best(&ix, "DE MINIMIS").as_deref(), Some("state-aid"));
        // An Italian term in an English question, through a synonym group.
        assert_eq!(
            best(&ix, "deadline of the welfare bando").as_deref(),
            Some("deadline")
        );
        assert!(ix.analyse("the of and what").is_empty());
    }
}
