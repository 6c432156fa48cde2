//! How an entry's title opens: whether its first words hold one of a list of phrases
//! (the decision's test of an entry that says what something is, `Che cos'è…`, see
//! `decide::entries::defines`). The decision asks it of every candidate, several times a
//! message, always with the loaded locale's `words.define` list: the answer for that list
//! is computed once per entry when the index is built (`Entry::opens_defining`), and any
//! other list is tested afresh, so the answer is the same either way.

use super::SearchIndex;
use crate::fold::{Phrase, has_phrase};

/// How many of a title's first words are read for how it opens.
pub const TITLE_OPENING: usize = 4;

/// The phrases an index answers from its entries' flags: the `words.define` list of the
/// loaded-once locale of the index's language (its address never changes, so an equal
/// address is that very list).
pub(super) fn define_cues(lang: crate::text::Lang) -> &'static [Phrase] {
    crate::text::texts(lang).phrases("words.define")
}

/// Whether the first [`TITLE_OPENING`] words of a title hold one of `cues`.
pub(super) fn opens_with(title_words: &[String], cues: &[Phrase]) -> bool {
    has_phrase(&title_words[..title_words.len().min(TITLE_OPENING)], cues)
}

impl SearchIndex {
    /// Whether the first [`TITLE_OPENING`] words of an entry's title hold one of `cues`
    /// (as [`has_phrase`] reads them).
    pub fn title_opens_with(&self, entry: usize, cues: &[Phrase]) -> bool {
        let e = &self.entries[entry];
        if std::ptr::eq(cues, self.define_cues) {
            e.opens_defining
        } else {
            opens_with(&e.title_words, cues)
        }
    }
}
