//! Text analysis for the search index: one pipeline for every language.
//!
//! Tokenize, drop long tokens, lower-case, ASCII-fold (before stemming, so `novità` and
//! `novita` stem alike), drop the language's stop words (folded), stem. The unstemmed
//! twin of the pipeline gives the folded words that typo correction works on (edit
//! distance by word length, none for short words), and the analyzer that keeps stop
//! words matches synonym phrases. A language differs only in its stemmer, stop words and
//! question words ([`super::italian`], [`super::english`]) and in its synonym groups,
//! which are data (`knowledge/synonyms.toml`, `knowledge/en/synonyms.toml`).

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer,
};

use super::{english, italian};
use crate::fold::join_acronyms;
use crate::text::Lang;

fn stemmer(lang: Lang) -> Language {
    match lang {
        Lang::It => Language::Italian,
        Lang::En => Language::English,
    }
}

/// The folded stop words of `lang`.
pub(super) fn stop_words(lang: Lang) -> Vec<String> {
    match lang {
        Lang::It => italian::stop_words(),
        Lang::En => english::stop_words(),
    }
}

/// The question words of `lang` that stay searchable (`quando`, `when`).
pub(super) fn question_words(lang: Lang) -> &'static str {
    match lang {
        Lang::It => italian::QUESTION_WORDS,
        Lang::En => english::QUESTION_WORDS,
    }
}

/// The analyzers drop words of this many bytes or more (as written, before folding).
pub(super) const LONG: usize = 40;

/// The folding analyzer that keeps stop words: synonym phrases are matched on it, so
/// that `soldi miei` or `a che ora` are phrases, not the one word left without them.
pub(super) fn all_words_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(LONG))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The stemming analyzer the index and questions use, and the same without stemming
/// (folded words, for typo correction and vocabulary), for `lang`.
pub(super) fn analyzers(lang: Lang) -> (TextAnalyzer, TextAnalyzer) {
    let folded = || {
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(LONG))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .filter(StopWordFilter::remove(stop_words(lang)))
    };
    let stem = folded().filter(Stemmer::new(stemmer(lang))).build();
    (stem, folded().build())
}

pub(super) fn tokens(a: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let text = join_acronyms(text);
    let mut out = Vec::new();
    let mut ts = a.token_stream(&text);
    while let Some(t) = ts.next() {
        out.push(t.text.clone());
    }
    out
}

/// Tokens with their byte offsets in `text`.
pub(super) fn tokens_at(a: &mut TextAnalyzer, text: &str) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let mut ts = a.token_stream(text);
    while let Some(t) = ts.next() {
        out.push((t.text.clone(), t.offset_from, t.offset_to));
    }
    out
}

/// A word of the vocabulary, for typo correction.
#[derive(Debug, Clone)]
pub(super) struct Known {
    pub(super) word: String,
    /// How often it occurs (ties between corrections go to the commoner word).
    pub(super) freq: u32,
    /// Its [`letters`].
    pub(super) letters: u64,
}

/// The letters a word is made of, as bits (a character's code modulo 64): an edit (a
/// substitution, insertion, deletion or transposition) flips at most two of them, so two
/// words whose sets differ in more than `2 * d` bits are more than `d` edits apart, and
/// most of the vocabulary is ruled out without computing the distance.
pub(super) fn letters(word: &str) -> u64 {
    word.chars().fold(0, |m, c| m | 1 << (c as u32 % 64))
}

/// Words this long or shorter are compared on the stack (the analyzers drop tokens over
/// 40 bytes, so every word of the pack and of a question fits).
const SHORT: usize = 48;

/// Edit distance (a transposition counts one), giving up with `max + 1` past `max`.
///
/// Typo correction compares a word with every known word of about its length, for every
/// word the pack does not know: the characters and the three rows live on the stack
/// (no allocation per comparison), and the lengths are checked before anything else.
pub(super) fn levenshtein_within(a: &str, b: &str, max: usize) -> usize {
    let mut ab = ['\0'; SHORT];
    let mut bb = ['\0'; SHORT];
    let (Some(la), Some(lb)) = (chars_into(a, &mut ab), chars_into(b, &mut bb)) else {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        return osa_within(&a, &b, max, &mut vec![0; 3 * (b.len() + 1)]);
    };
    osa_within(&ab[..la], &bb[..lb], max, &mut [0; 3 * (SHORT + 1)])
}

/// The characters of `s` into `buf`, or `None` when they do not fit.
fn chars_into(s: &str, buf: &mut [char; SHORT]) -> Option<usize> {
    let mut n = 0;
    for c in s.chars() {
        *buf.get_mut(n)? = c;
        n += 1;
    }
    Some(n)
}

/// Optimal string alignment distance of `a` and `b` within `max`; `rows` holds at least
/// three rows of `b.len() + 1` cells.
fn osa_within(a: &[char], b: &[char], max: usize, rows: &mut [usize]) -> usize {
    if a.len().abs_diff(b.len()) > max {
        return max + 1;
    }
    let w = b.len() + 1;
    let (before, rest) = rows.split_at_mut(w);
    let (prev, rest) = rest.split_at_mut(w);
    let cur = &mut rest[..w];
    let (mut before, mut prev, mut cur) = (before, prev, cur);
    before.fill(0);
    for (j, p) in prev.iter_mut().enumerate() {
        *p = j;
    }
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(before[j - 2] + 1);
            }
            row_min = row_min.min(cur[j]);
        }
        if row_min > max {
            return max + 1;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()].min(max + 1)
}

/// The edit distance allowed for a word: none for short words, where a distance
/// of one already matches unrelated words.
pub(super) fn fuzzy_distance(word: &str) -> u8 {
    match word.chars().count() {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_and_the_distance_allowed_by_length() {
        assert_eq!(fuzzy_distance("pmi"), 0);
        assert_eq!(fuzzy_distance("bando"), 1);
        assert_eq!(fuzzy_distance("cofinanziamento"), 2);
        assert_eq!(levenshtein_within("scadensa", "scadenza", 1), 1);
        assert_eq!(levenshtein_within("scadenza", "scadnesza", 2), 2);
        assert!(levenshtein_within("bando", "mondo", 1) > 1);
        // Past the stack's room the same distance is computed on the heap.
        let long = "a".repeat(60);
        assert_eq!(levenshtein_within(&long, &format!("{long}b"), 1), 1);
        assert_eq!(levenshtein_within("novità", "novita", 1), 1);
    }

    /// The letters' bound never rules out a word within the distance.
    #[test]
    fn words_within_the_distance_differ_in_few_letters() {
        let words = [
            "scadenza",
            "scadensa",
            "scadnesza",
            "bando",
            "mondo",
            "bandi",
            "novità",
            "novita",
            "impresa",
            "imprese",
            "presidente",
            "presente",
            "ab",
            "ba",
            "",
        ];
        for a in words {
            for b in words {
                let flipped = (letters(a) ^ letters(b)).count_ones() as usize;
                for d in 0..=2 {
                    if levenshtein_within(a, b, d) <= d {
                        assert!(flipped <= 2 * d, "{a} {b} {d}");
                    }
                }
            }
        }
    }

    /// Both languages run the same pipeline: folding, stop words, stemming.
    #[test]
    fn one_pipeline_per_language_differs_only_in_its_words() {
        let (mut it, mut it_fold) = analyzers(Lang::It);
        let (mut en, mut en_fold) = analyzers(Lang::En);
        assert_eq!(
            tokens(&mut it_fold, "Le NOVITÀ del bando"),
            ["novita", "bando"]
        );
        assert_eq!(
            tokens(&mut en_fold, "The NOVITÀ of the call"),
            ["novita", "call"]
        );
        assert_eq!(
            tokens(&mut it, "novità imprese"),
            tokens(&mut it, "novita impresa")
        );
        assert_eq!(
            tokens(&mut en, "deadlines applying"),
            tokens(&mut en, "deadline apply")
        );
        let mut all = all_words_analyzer();
        assert_eq!(tokens(&mut all, "A che ora?"), ["a", "che", "ora"]);
    }
}
