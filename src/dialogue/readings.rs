//! Readings of messages remembered by a loaded pack ([`Readings`], held by the bot's
//! `Brain` next to its knowledge and index). Reading a message (`understand::read`:
//! chat spellings, figures, the asker's profile, named calls, the question part) was the
//! largest cost of a message whose searches `search/found.rs` remembers, and it is a pure
//! function of the pack (its lexicon and calls), the index (which words weigh in search),
//! the language's cue words and the text: an index and a pack never change once loaded (a
//! reload builds a new `Brain`, with an empty memory). So a message read again (the same
//! text, in the same language, against the same pack and index) takes the reading made
//! the first time. A message never read before gains nothing: it pays for a look-up and
//! for keeping its reading.
//!
//! The key is exact: the addresses of the pack and the index read with (the brain's own
//! or their English views, which live as long as the memory: an engine is given the
//! memory only with the knowledge and index of the same brain, see `Brain::engine`), the
//! language of the cue words (only the two loaded-once `texts(lang)`; other `Texts` are
//! not remembered) and the whole text. The memory is a `crate::kept::Kept`, as the
//! searches' of `search/found.rs`: bounded (at most `KEPT` readings and about `BYTES`
//! bytes, then all are forgotten at once) and shared by the runtime's workers.

use crate::kept::{Kept, Size};
use crate::text::Lang;
use crate::understand::Reading;

#[cfg(test)]
use crate::kept::{BYTES, KEPT};

/// What a reading was made with, besides its text: the pack's and the index's addresses
/// and the cue words' language.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct With {
    pub knowledge: usize,
    pub index: usize,
    pub lang: Lang,
}

/// Readings of messages, by what they were read with and their text.
#[derive(Debug)]
pub struct Readings {
    kept: Kept<Reading>,
}

impl Default for Readings {
    fn default() -> Readings {
        Readings {
            kept: Kept::new("readings"),
        }
    }
}

impl Readings {
    /// The reading of `text` made with `with`, remembered or made now by `read`.
    pub(super) fn get_or(&self, with: With, text: &str, read: impl FnOnce() -> Reading) -> Reading {
        // Fixed-width fields first, the text last: no two inputs share a key.
        let mut key = Vec::with_capacity(2 * size_of::<usize>() + 1 + text.len());
        key.extend_from_slice(&with.knowledge.to_le_bytes());
        key.extend_from_slice(&with.index.to_le_bytes());
        key.push(match with.lang {
            Lang::It => 0,
            Lang::En => 1,
        });
        key.extend_from_slice(text.as_bytes());
        self.kept.get_or(key, read)
    }

    /// How many readings are kept now.
    pub fn len(&self) -> usize {
        self.kept.len()
    }

    /// About how many bytes of texts and readings are kept now.
    pub fn bytes(&self) -> usize {
        self.kept.bytes()
    }

    /// Whether no reading is kept.
    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }
}

impl super::Engine<'_> {
    /// The words of a message, folded, chat spellings rewritten, as its reading has them
    /// (`understand::read` reads them so first): taken from the memory of readings when
    /// the engine remembers Italian readings made with `tx`, so that a message answered
    /// afterwards (read for its answer anyway) or read before is not split and rewritten
    /// once more. An English message is read with its figures rewritten (see
    /// `Engine::read_afresh`): its words are made here.
    pub(super) fn message_words(&self, tx: &crate::text::Texts, text: &str) -> Vec<String> {
        if tx.lang == Lang::It
            && self.readings.is_some()
            && std::ptr::eq(tx, crate::text::texts(tx.lang))
        {
            return self.read(tx, text).words;
        }
        crate::understand::rewrite(&self.knowledge.lexicon, crate::understand::words_of(text))
    }
}

impl Size for Reading {
    /// About the bytes a reading holds (its strings, with their headers).
    fn size(&self) -> usize {
        let s = std::mem::size_of::<String>();
        std::mem::size_of::<Reading>()
            + self.words.iter().map(|w| w.len() + s).sum::<usize>()
            + self.query.len()
            + self.query_whole.len()
            + self.context.len()
            + self.alone.as_ref().map_or(0, String::len)
            + self.named.len() * (s + 16)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(knowledge: usize, lang: Lang) -> With {
        With {
            knowledge,
            index: 7,
            lang,
        }
    }

    fn reading(query: &str) -> Reading {
        Reading {
            query: query.into(),
            ..Reading::default()
        }
    }

    #[test]
    fn a_reading_is_made_once_per_text_and_what_it_is_made_with() {
        let m = Readings::default();
        let mut made = 0;
        for _ in 0..3 {
            let r = m.get_or(with(1, Lang::It), "ciao", || {
                made += 1;
                reading("a")
            });
            assert_eq!(r.query, "a");
        }
        assert_eq!(made, 1);
        // Another text, another pack, another language: read again, each its own.
        let r = m.get_or(with(1, Lang::It), "ciao!", || reading("b"));
        assert_eq!(r.query, "b");
        let r = m.get_or(with(2, Lang::It), "ciao", || reading("c"));
        assert_eq!(r.query, "c");
        let r = m.get_or(with(1, Lang::En), "ciao", || reading("d"));
        assert_eq!(r.query, "d");
        assert_eq!(
            m.get_or(with(1, Lang::It), "ciao", || reading("x")).query,
            "a"
        );
        assert_eq!(m.len(), 4);
    }

    #[test]
    fn the_memory_is_bounded() {
        let m = Readings::default();
        for i in 0..KEPT + 10 {
            m.get_or(with(1, Lang::It), &i.to_string(), || reading("q"));
        }
        assert!(m.len() <= KEPT);
        let long = "x".repeat(BYTES / 4);
        for i in 0..8 {
            m.get_or(with(1, Lang::It), &format!("{i}{long}"), || reading("q"));
        }
        assert!(m.len() <= 4);
    }
}
