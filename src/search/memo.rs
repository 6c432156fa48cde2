//! The stems of texts recently stemmed on this thread ([`SearchIndex::stems_of`] is a
//! pure function of the index and the text): one message asks for the stems of the same
//! words many times, and each time meant cloning the analyzer chain and running the
//! stemmer again.
//!
//! The words that only name a call which the stem table lacks (see
//! `SearchIndex::search_in_context`) are kept apart, with their tokens through the
//! stemming analyzer: the same few at every search.
//!
//! The stems of the one-word phrases of a locale's static lists (`words.facts`: 48 of its
//! 173 phrases, looked at for every search) are kept apart, per list and index: a list's
//! words cost one look-up, not one each.
//!
//! [`SearchIndex::stems_of`]: super::SearchIndex::stems_of

use std::cell::RefCell;

use super::HashMap;

/// At most this many texts are kept per thread (then all are forgotten at once).
const KEPT: usize = 512;
/// Texts of at most this many indexes are kept (the pack's and its English view's).
const INDEXES: usize = 4;
/// Longer texts are stemmed every time (they are rarely asked for twice).
const LONGEST: usize = 256;

thread_local! {
    /// (index serial, text) -> stems.
    static STEMS: RefCell<HashMap<u64, HashMap<String, Vec<String>>>> =
        RefCell::new(HashMap::default());
}

thread_local! {
    /// (index serial, word, its tokens), newest last.
    static LIGHT: RefCell<Vec<(u64, String, Vec<String>)>> = const { RefCell::new(Vec::new()) };
}

/// Light words kept per thread (the oldest forgotten first).
const LIGHT_KEPT: usize = 64;

/// The tokens of the light word `word` in the index numbered `serial` (from `make` the
/// first time), added to `out`.
pub(super) fn light_tokens(
    serial: u64,
    word: &str,
    out: &mut Vec<String>,
    make: impl FnOnce() -> Vec<String>,
) {
    LIGHT.with_borrow_mut(|kept| {
        if let Some((_, _, t)) = kept.iter().find(|(s, w, _)| *s == serial && w == word) {
            out.extend(t.iter().cloned());
            return;
        }
        let t = make();
        out.extend(t.iter().cloned());
        if kept.len() >= LIGHT_KEPT {
            kept.remove(0);
        }
        kept.push((serial, word.to_string(), t));
    });
}

/// The stems of `text` in the index numbered `serial` (from `stem` the first time), lent
/// to `f` (which must not ask for stems again: the memory is borrowed meanwhile).
pub(super) fn with_stems<R>(
    serial: u64,
    text: &str,
    stem: impl FnOnce() -> Vec<String>,
    f: impl FnOnce(&[String]) -> R,
) -> R {
    if text.len() > LONGEST {
        return f(&stem());
    }
    let mut f = Some(f);
    let kept = STEMS.with_borrow(|m| {
        let s = m.get(&serial).and_then(|t| t.get(text))?;
        f.take().map(|f| f(s))
    });
    if let Some(r) = kept {
        return r;
    }
    let s = stem();
    let r = f.take().map(|f| f(&s));
    STEMS.with_borrow_mut(|m| {
        // Indexes replaced by a reload are forgotten with the others.
        if !m.contains_key(&serial) && m.len() >= INDEXES {
            m.clear();
        }
        let kept = m.entry(serial).or_default();
        if kept.len() >= KEPT {
            kept.clear();
        }
        kept.insert(text.to_string(), s);
    });
    r.expect("`f` is called once, here or with the kept stems")
}

/// Per phrase of a list: the stems of its word when it is one word, `None` otherwise.
pub type WordStems = std::rc::Rc<[Option<Vec<String>>]>;

/// A list in an index: (index serial, list address, list length).
type ListKey = (u64, usize, usize);

thread_local! {
    /// Each list's key and the stems of its one-word phrases.
    static LISTS: RefCell<Vec<(ListKey, WordStems)>> = const { RefCell::new(Vec::new()) };
}

/// Lists kept per thread (then all are forgotten at once): a few lists of two languages.
const LISTS_KEPT: usize = 16;

/// The stems of each one-word phrase of `list` in the index numbered `serial` (from
/// `stem` the first time, per word). `list` is static, so its address names it.
pub(super) fn word_stems(
    serial: u64,
    list: &'static [crate::fold::Phrase],
    stem: impl Fn(&str) -> Vec<String>,
) -> WordStems {
    let key = (serial, list.as_ptr() as usize, list.len());
    if let Some(w) =
        LISTS.with_borrow(|l| l.iter().find(|(k, _)| *k == key).map(|(_, w)| w.clone()))
    {
        return w;
    }
    let w: WordStems = list
        .iter()
        .map(|p| match p.as_slice() {
            [word] => Some(stem(word)),
            _ => None,
        })
        .collect();
    LISTS.with_borrow_mut(|l| {
        if l.len() >= LISTS_KEPT {
            l.clear();
        }
        l.push((key, w.clone()));
    });
    w
}
