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
//! not remembered) and the whole text. Bounded: at most [`KEPT`] readings and about
//! [`BYTES`] bytes, then all are forgotten at once (the pattern of `search/found.rs`).
//! Shared by the runtime's workers behind one lock, taken once for a remembered reading
//! and twice for a new one.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::text::Lang;
use crate::understand::Reading;

/// At most this many readings are kept (then all are forgotten at once).
const KEPT: usize = 2048;
/// At most about this many bytes of texts and readings are kept.
const BYTES: usize = 1024 * 1024;

type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// What a reading was made with, besides its text: the pack's and the index's addresses
/// and the cue words' language.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct With {
    pub knowledge: usize,
    pub index: usize,
    pub lang: Lang,
}

/// Readings of messages, by what they were read with and their text.
#[derive(Default)]
pub struct Readings {
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    /// By what they were read with (one or two entries: the pack and its English view),
    /// then by text.
    by: Vec<(With, Map<Box<str>, Reading>)>,
    bytes: usize,
    readings: usize,
}

impl std::fmt::Debug for Readings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Readings").finish_non_exhaustive()
    }
}

impl Readings {
    /// The reading of `text` made with `with`, remembered or made now by `read`.
    pub(super) fn get_or(&self, with: With, text: &str, read: impl FnOnce() -> Reading) -> Reading {
        {
            let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(r) = kept
                .by
                .iter()
                .find(|(w, _)| *w == with)
                .and_then(|(_, m)| m.get(text))
            {
                return r.clone();
            }
        }
        let r = read();
        let size = text.len() + size_of(&r);
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if kept.readings >= KEPT || kept.bytes + size > BYTES {
            *kept = Kept::default();
        }
        let at = match kept.by.iter().position(|(w, _)| *w == with) {
            Some(i) => i,
            None => {
                kept.by.push((with, Map::default()));
                kept.by.len() - 1
            }
        };
        if kept.by[at].1.insert(text.into(), r.clone()).is_none() {
            kept.readings += 1;
            kept.bytes += size;
        }
        r
    }

    /// How many readings are kept now.
    pub fn len(&self) -> usize {
        self.kept.lock().unwrap_or_else(|e| e.into_inner()).readings
    }

    /// About how many bytes of texts and readings are kept now.
    pub fn bytes(&self) -> usize {
        self.kept.lock().unwrap_or_else(|e| e.into_inner()).bytes
    }

    /// Whether no reading is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// About the bytes a reading holds (its strings, with their headers).
fn size_of(r: &Reading) -> usize {
    let s = std::mem::size_of::<String>();
    std::mem::size_of::<Reading>()
        + r.words.iter().map(|w| w.len() + s).sum::<usize>()
        + r.query.len()
        + r.query_whole.len()
        + r.context.len()
        + r.alone.as_ref().map_or(0, String::len)
        + r.named.len() * (s + 16)
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
