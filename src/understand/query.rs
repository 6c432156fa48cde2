//! The words search reads of a message: what describes the asker taken out (headcounts,
//! spent spans), amounts read as what they stand for, places as their region, and the
//! counts an asker offers as guesses dropped. Kept apart from the reader, which decides
//! *which* words are the question; this decides how they are searched.

use super::{content_words, profile, words_of};
use crate::knowledge::Knowledge;
use crate::knowledge::lexicon::Lexicon;

/// The words search reads: headcounts dropped (`12 dipendenti` says who asks, not what),
/// places replaced by their region (`un'azienda di Milano` asks about being outside
/// Piedmont).
pub(super) fn query_words(
    lx: &Lexicon,
    words: &[String],
    found: &profile::Found,
    k: &Knowledge,
) -> String {
    let q = query_without(lx, words, &found.spent, &found.amounts);
    // «Siamo una coop sociale, c'è qualcosa per noi?»: without the words that describe
    // the asker nothing would be asked, so they stay.
    if content_words(&words_of(&q), k, &|w: &str| w.chars().count() >= 4) == 0 {
        return without_guessed_counts(&query_without(lx, words, &[], &found.amounts));
    }
    without_guessed_counts(&q)
}

/// Small numbers offered as the answer to a «how many» (`quante misure erano, 4 o 5?`)
/// are the asker's guesses, not a measure or a call to search for: dropped.
fn without_guessed_counts(q: &str) -> String {
    // Most messages ask no «how many»: they are not split again.
    if !q.contains("quant") && !q.contains("many") {
        return q.to_string();
    }
    let w = words_of(q);
    if !w.iter().any(|x| x.starts_with("quant") || x == "many") {
        return q.to_string();
    }
    let small = |s: &str| s.parse::<u32>().is_ok_and(|n| (1..=20).contains(&n));
    let mut out: Vec<&str> = Vec::with_capacity(w.len());
    let mut i = 0;
    while i < w.len() {
        if i + 2 < w.len()
            && small(&w[i])
            && ["o", "oppure", "or"].contains(&w[i + 1].as_str())
            && small(&w[i + 2])
        {
            i += 3;
            continue;
        }
        out.push(&w[i]);
        i += 1;
    }
    out.join(" ")
}

/// The words without the spent spans, amounts read as what they stand for (`60.000 €` →
/// `importo del progetto`), places as their region.
pub(super) fn query_without(
    lx: &Lexicon,
    words: &[String],
    spans: &[(usize, usize)],
    amounts: &[(usize, usize, String)],
) -> String {
    let mut spent = vec![false; words.len()];
    for &(a, b) in spans {
        let b = b.min(words.len());
        if a < b {
            spent[a..b].iter_mut().for_each(|s| *s = true);
        }
    }
    // Only the places opening with a word of the message can be in it: each region's
    // list narrowed to those once, not scanned whole at every word.
    let said = crate::fold::WordBits::of(words);
    let regions: Vec<(
        &crate::knowledge::lexicon::Region,
        Vec<&crate::fold::Phrase>,
    )> = lx
        .regions
        .iter()
        .map(|r| {
            let places = r.places.iter().filter(|p| said.may_hold(p)).collect();
            (r, places)
        })
        .collect();
    let mut out = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        if let Some((_, end, means)) = amounts.iter().find(|(a, _, _)| *a == i) {
            out.extend(words_of(means));
            i = (*end).max(i + 1);
            continue;
        }
        if spent[i] {
            i += 1;
            continue;
        }
        let place = regions.iter().find_map(|(r, places)| {
            places
                .iter()
                .filter(|p| words[i..].starts_with(p))
                .max_by_key(|p| p.len())
                .map(|p| (r, p.len()))
        });
        match place {
            Some((r, len)) => {
                out.extend(words_of(&r.name));
                i += len;
            }
            None => {
                out.push(words[i].clone());
                i += 1;
            }
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::without_guessed_counts;

    #[test]
    fn counts_offered_as_guesses_are_not_searched() {
        assert_eq!(
            without_guessed_counts("quante misure aveva wecare 4 o 5"),
            "quante misure aveva wecare"
        );
        assert_eq!(
            without_guessed_counts("how many measures 4 or 5"),
            "how many measures"
        );
        // Without a «how many», or with no alternative, numbers stay (`misura 4`).
        assert_eq!(
            without_guessed_counts("la misura 4 o 5 di wecare"),
            "la misura 4 o 5 di wecare"
        );
        assert_eq!(
            without_guessed_counts("quanto dava la misura 4"),
            "quanto dava la misura 4"
        );
        // Large numbers are amounts or years, not guessed counts.
        assert_eq!(
            without_guessed_counts("quanti erano 2019 o 2022"),
            "quanti erano 2019 o 2022"
        );
    }
}
