//! How text is compared: lower case, accents folded, dotted acronyms joined, words split
//! at anything that is not a letter or a digit. Search, the reading of messages, the
//! knowledge loader and the locale's word lists all fold the same way, so `perché`,
//! `perche` and `PERCHÉ` are one word and `A.L.Fa.` is `alfa`.

use tantivy::tokenizer::{AsciiFoldingFilter, LowerCaser, SimpleTokenizer, TextAnalyzer};

/// A phrase as folded words.
pub type Phrase = Vec<String>;

/// Lower-cases and folds accents of a string (the same folding the analyzers use).
pub fn fold_str(s: &str) -> String {
    thread_local! {
        // Building an analyzer costs more than folding a short message: keep one per thread.
        static FOLD: std::cell::RefCell<TextAnalyzer> = std::cell::RefCell::new(
            TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(LowerCaser)
                .filter(AsciiFoldingFilter)
                .build(),
        );
    }
    FOLD.with(|a| {
        let mut a = a.borrow_mut();
        let mut out = String::with_capacity(s.len());
        let mut ts = a.token_stream(s);
        while let Some(t) = ts.next() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&t.text);
        }
        out
    })
}

/// Joins dotted acronyms (`D.G.R.`, `A.L.Fa.`, `we.ca.re`) into one word, as people
/// write them both ways: a word of groups of at most three letters separated by at least
/// two dots loses its dots. A hand-written scan: a Unicode-aware regex with word
/// boundaries cost a tenth of the indexing time.
pub fn join_acronyms(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('.') {
        return std::borrow::Cow::Borrowed(text);
    }
    let is_acronym = |core: &str| {
        let groups: Vec<&str> = core.split('.').collect();
        let (last, rest) = groups.split_last().unwrap_or((&"", &[]));
        groups.len() >= 3
            && rest
                .iter()
                .all(|g| (1..=3).contains(&g.chars().count()) && g.chars().all(char::is_alphabetic))
            && last.chars().count() <= 3
            && last.chars().all(char::is_alphabetic)
    };
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    for piece in text.split_inclusive(char::is_whitespace) {
        let start = piece.find(char::is_alphabetic).unwrap_or(piece.len());
        let end = piece
            .char_indices()
            .rev()
            .find(|(_, c)| c.is_alphabetic() || *c == '.')
            .map_or(start, |(i, c)| i + c.len_utf8())
            .max(start);
        let core = &piece[start..end];
        if core.contains('.') && is_acronym(core) {
            out.push_str(&piece[..start]);
            out.extend(core.chars().filter(|c| *c != '.'));
            out.push_str(&piece[end..]);
            changed = true;
        } else {
            out.push_str(piece);
        }
    }
    if changed {
        std::borrow::Cow::Owned(out)
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// The folded words of a phrase, the way messages are compared (`S.r.l.` → `srl`,
/// `nessun'altra` → `nessun altra`).
pub fn phrase(s: &str) -> Phrase {
    fold_str(&join_acronyms(s))
        .split_whitespace()
        .map(String::from)
        .collect()
}

/// One of 64 bits for a word, from its length and its first and last bytes: the bits of
/// a message's words rule out, with one test, most phrases that open with a word the
/// message does not have (equal words have equal bits; other words may share one).
pub(crate) fn word_bit(w: &str) -> u64 {
    let b = w.as_bytes();
    let (first, last) = (
        b.first().copied().unwrap_or(0),
        b.last().copied().unwrap_or(0),
    );
    let k = (b.len() as u64)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .wrapping_add(u64::from(first) << 8 | u64::from(last));
    1 << (k.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 58)
}

/// The [`word_bit`]s of a message's words: what rules out, with one test each, the words
/// and phrases the message cannot hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WordBits(u64);

impl WordBits {
    pub(crate) fn of(words: &[String]) -> WordBits {
        WordBits(words.iter().fold(0, |m, w| m | word_bit(w)))
    }

    /// False: `word` is not among the words (true: it may be).
    pub(crate) fn may_have(self, word: &str) -> bool {
        self.0 & word_bit(word) != 0
    }

    /// False: `phrase` cannot occur in the words, since its first word is not among them
    /// (an empty phrase may).
    pub(crate) fn may_hold(self, phrase: &[String]) -> bool {
        phrase.first().is_none_or(|w| self.may_have(w))
    }

    /// False: some word of `phrase` is not among the words, so it cannot occur in them,
    /// whole or with words between its own ([`has_phrase_loosely`]).
    pub(crate) fn may_hold_all(self, phrase: &[String]) -> bool {
        phrase.iter().all(|w| self.may_have(w))
    }
}

/// The entries of `list` whose phrase the words may hold (see [`WordBits`]), in order.
pub(crate) fn maybe_held<'a, T>(words: &[String], list: &'a [(Phrase, T)]) -> Vec<&'a (Phrase, T)> {
    let bits = WordBits::of(words);
    list.iter().filter(|(p, _)| bits.may_hold(p)).collect()
}

/// Whether any of the phrases occurs in the words, as whole words.
pub fn has_phrase(words: &[String], phrases: &[Phrase]) -> bool {
    // The words' bits rule out, with one test each, most phrases before any comparison
    // (lists of tens of phrases are tried against every message, several times).
    let bits = WordBits::of(words);
    phrases
        .iter()
        .any(|p| !p.is_empty() && bits.may_hold(p) && words.windows(p.len()).any(|w| w == &p[..]))
}

/// Words between two of a phrase's that still make it (`domande sono arrivate` for
/// `domande arrivate`).
pub const PHRASE_GAP: usize = 2;

/// Whether `phrase` occurs in `words` in its order, each word at most [`PHRASE_GAP`]
/// words after the one before, every word between them one that `gap` lets in (an
/// auxiliary, `sono stati`, not a verb of its own, `venivano`).
pub fn has_phrase_loosely(words: &[String], phrase: &[String], gap: impl Fn(&str) -> bool) -> bool {
    let Some((first, rest)) = phrase.split_first() else {
        return false;
    };
    words
        .iter()
        .enumerate()
        .filter(|(_, w)| *w == first)
        .any(|(i, _)| {
            let mut at = i;
            rest.iter().all(|p| {
                let next = words
                    .iter()
                    .enumerate()
                    .skip(at + 1)
                    .take(PHRASE_GAP + 1)
                    .take_while(|(_, w)| *w == p || gap(w))
                    .find(|(_, w)| *w == p);
                next.map(|(j, _)| at = j).is_some()
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bits never rule out a phrase the words hold, loosely or not, and rule out one
    /// whose later word is missing.
    #[test]
    fn the_bits_keep_every_phrase_the_words_hold() {
        let w = |t: &str| t.split(' ').map(String::from).collect::<Vec<_>>();
        let aux = |x: &str| ["sono", "stati", "state"].contains(&x);
        let texts = [
            "quanti progetti sono stati finanziati nel 2020",
            "progetti finanziati",
            "le domande sono arrivate tutte",
            "quante imprese hanno partecipato al bando",
        ];
        let phrases = [
            "progetti finanziati",
            "domande arrivate",
            "imprese partecipato",
            "hanno partecipato",
            "bando",
            "progetti approvati",
        ];
        let mut held = 0;
        for t in texts {
            let bits = WordBits::of(&w(t));
            for p in phrases {
                if has_phrase_loosely(&w(t), &w(p), aux) || has_phrase(&w(t), &[w(p)]) {
                    held += 1;
                    assert!(bits.may_hold_all(&w(p)), "{t} / {p}");
                }
            }
        }
        assert_eq!(held, 5);
        // A phrase whose first word is there and whose second is not (a word whose bit
        // no word of the message has): the first word's bit lets it through, all its
        // words' bits do not.
        let bits = WordBits::of(&w("quanti progetti sono stati finanziati"));
        let missing = ["approvati", "ammessi", "respinti", "pagati", "liquidati"]
            .into_iter()
            .find(|x| !bits.may_have(x))
            .expect("a word with a bit of its own");
        let p = w(&format!("progetti {missing}"));
        assert!(bits.may_hold(&p));
        assert!(!bits.may_hold_all(&p));
    }

    /// A phrase is found with an auxiliary between its words, not with a verb of its own.
    #[test]
    fn a_phrase_is_found_with_an_auxiliary_between() {
        let w = |t: &str| t.split(' ').map(String::from).collect::<Vec<_>>();
        let aux = |x: &str| ["sono", "stati", "state"].contains(&x);
        let p = w("progetti finanziati");
        assert!(has_phrase_loosely(
            &w("quanti progetti finanziati"),
            &p,
            aux
        ));
        assert!(has_phrase_loosely(
            &w("quanti progetti sono stati finanziati"),
            &p,
            aux
        ));
        assert!(!has_phrase_loosely(
            &w("quali progetti venivano finanziati"),
            &p,
            aux
        ));
        assert!(!has_phrase_loosely(&w("finanziati progetti"), &p, aux));
        assert!(!has_phrase_loosely(
            &w("progetti sono stati poi finanziati"),
            &p,
            |_| true
        ));
    }

    /// The bits only rule out: a word of the message always has its bit among them.
    #[test]
    fn a_words_bit_is_among_the_bits_of_any_message_holding_it() {
        let words: Vec<String> = ["siamo", "una", "pmi", "di", "asti", "e", "l", "novita", ""]
            .map(String::from)
            .to_vec();
        let bits = WordBits::of(&words);
        for w in &words {
            assert_eq!(word_bit(w).count_ones(), 1);
            assert!(bits.may_have(w), "{w}");
        }
        let asti = String::from("asti");
        assert_eq!(word_bit("asti"), word_bit(asti.as_str()));
        assert_eq!(WordBits::of(&[]), WordBits(0));
        assert!(!WordBits::of(&[]).may_have("asti"));
        assert!(bits.may_hold(&[]));
        assert!(bits.may_hold(&["asti".into(), "e".into()]));
    }
}
