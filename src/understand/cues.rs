//! The word lists the reader takes from the language's locale ([`Cues`]): question words,
//! request openings, definition and eligibility phrases, past-tense cues. Kept apart from
//! the reader so that the lists a language must provide are in one place.

use crate::fold::{Phrase, has_phrase};

/// Word lists the reader needs from the language (locale): question words and phrases
/// that open a request (`vorrei sapere`).
/// All of them folded phrases ([`crate::text::Texts::phrases`]).
#[derive(Clone, Copy)]
pub struct Cues<'a> {
    /// Whether a (folded) word can carry a question's topic; by default a word of four
    /// letters or more, the engine asks its search index (a word it weighs).
    pub content: &'a dyn Fn(&str) -> bool,
    pub question: &'a [Phrase],
    pub asking: &'a [Phrase],
    /// Phrases that ask what something is (`cos'è`, `cosa vuol dire`, `parlami di`).
    pub define: &'a [Phrase],
    /// Phrases that ask whether one may take part (`possiamo partecipare`).
    pub eligibility: &'a [Phrase],
    /// Words saying something is allowed (`ammesse`) and words for what a project pays
    /// for (`spese`, `costi`): together they ask about expenses, not about taking part.
    pub admitted: &'a [Phrase],
    pub expenses: &'a [Phrase],
    /// Phrases that say what the asker wants to do (`vorrei offrire`): part of the
    /// question even without a question mark.
    pub intent: &'a [Phrase],
    /// Words of a question that point back at what was said before it (`tutte e due le
    /// cose`, `entrambe`): the sentence with the wish is read with it.
    pub refers_back: &'a [Phrase],
    /// Words of a question that point at people named in the sentence before it (`per
    /// loro`): that sentence is read with the question.
    pub about_them: &'a [Phrase],
    /// What turns a question to another call at its end (`e in`, `e per`): `in WECARE
    /// c'era il de minimis, e in A.L.Fa.?` asks about A.L.Fa. only.
    pub turns_to: &'a [Phrase],
    /// Past-tense words (`c'era`, `era`) and endings of the imperfect (`-avano`).
    pub past: &'a [Phrase],
    pub past_endings: &'a [String],
    /// Courtesy imperfects (`volevo sapere`): past endings that do not speak of the past.
    pub polite: &'a [String],
}

impl<'a> Cues<'a> {
    /// The cue lists of a language.
    pub fn of(tx: &'a crate::text::Texts) -> Cues<'a> {
        Cues {
            content: &|w: &str| w.chars().count() >= 4,
            question: tx.phrases("words.question"),
            asking: tx.phrases("words.asking"),
            define: tx.phrases("words.define"),
            eligibility: tx.phrases("words.eligibility"),
            admitted: tx.phrases("words.admitted"),
            expenses: tx.phrases("words.expenses"),
            intent: tx.phrases("words.intent"),
            refers_back: tx.phrases("words.refers_back"),
            about_them: tx.phrases("words.about_them"),
            turns_to: tx.phrases("words.turns_to"),
            past: tx.phrases("words.past"),
            past_endings: tx.list("words.past_endings"),
            polite: tx.list("words.polite"),
        }
    }
}

impl Cues<'_> {
    /// Whether a sentence (its folded words) opens like a question or a request.
    pub(super) fn opens_question(&self, words: &[String]) -> bool {
        self.starts_with_question_word(words) || has_phrase(words, self.asking)
    }

    /// Whether the words open with a question word or phrase (`quanto…`, `e se…`).
    pub(super) fn starts_with_question_word(&self, words: &[String]) -> bool {
        self.question
            .iter()
            .any(|q| !q.is_empty() && words.starts_with(q))
    }
}
