//! The folded words of a text as the folding analyzer that keeps stop words
//! ([`super::analysis::all_words_analyzer`]) gives them, without running its chain of
//! boxed token streams for every word: a word of ASCII letters and digits (most words of
//! the pack and of a question) is lower-cased in place; any other word is handed to the
//! analyzer itself, alone. The words are the analyzer's: its tokenizer's (runs of
//! alphanumeric characters), the long ones dropped, lower-cased and folded.

use tantivy::tokenizer::TextAnalyzer;

use super::analysis::LONG;

/// Calls `f` with each folded word of `text` and its byte offsets in `text`, exactly as
/// `all` (the analyzer of [`super::analysis::all_words_analyzer`]) gives them; `all` is
/// cloned only when a word needs it.
pub(super) fn each_folded(all: &TextAnalyzer, text: &str, mut f: impl FnMut(&str, usize, usize)) {
    let mut slow: Option<TextAnalyzer> = None;
    let mut word = String::new();
    let mut at = 0;
    while let Some((from, c)) = next_char(text, at) {
        at = from + c.len_utf8();
        if !c.is_alphanumeric() {
            continue;
        }
        // The tokenizer's word: up to the next character that is not alphanumeric.
        let mut to = at;
        while let Some((_, c)) = next_char(text, to).filter(|(_, c)| c.is_alphanumeric()) {
            to += c.len_utf8();
        }
        at = to;
        let run = &text[from..to];
        // The long-word filter reads the word as written, before folding.
        if run.len() >= LONG {
            continue;
        }
        if run.is_ascii() {
            word.clear();
            word.push_str(run);
            word.make_ascii_lowercase();
            f(&word, from, to);
        } else {
            // The word alone is one token of the analyzer's tokenizer.
            let a = slow.get_or_insert_with(|| all.clone());
            let mut ts = a.token_stream(run);
            while let Some(t) = ts.next() {
                f(&t.text, from + t.offset_from, from + t.offset_to);
            }
        }
    }
}

/// The character at byte `at` of `text` (a character boundary) and `at`; an ASCII byte
/// is read as it is, without decoding.
fn next_char(text: &str, at: usize) -> Option<(usize, char)> {
    let b = *text.as_bytes().get(at)?;
    if b.is_ascii() {
        Some((at, char::from(b)))
    } else {
        text[at..].chars().next().map(|c| (at, c))
    }
}

#[cfg(test)]
mod tests {
    use super::super::analysis::{all_words_analyzer, tokens_at};
    use super::*;

    /// The words and offsets of [`each_folded`] are the analyzer's, whatever the text.
    #[test]
    fn folded_words_are_the_analyzers() {
        let long = "a".repeat(39) + " " + &"b".repeat(40) + " " + &"è".repeat(20);
        let texts = [
            "",
            "Bando WECARE: chi può partecipare? Le PMI, 50.000€ e l'80%.",
            "Perché l'attività è già CHIUSA? Novità!!",
            "ÀÉÎÕÜ ß ﬁne İstanbul ΣΟΦΟΣ straße Ⅻ ²³ ½ x²",
            "emoji 🎉 tra-le—parole, tab\tnewline\nfine",
            "d'Italia dell’Unione «sì» … 1,5 mln; 2021-2027",
            long.as_str(),
            "mixedCASE123abc ÄbC123é",
        ];
        let mut all = all_words_analyzer();
        for text in texts {
            let mut mine = Vec::new();
            each_folded(&all, text, |w, a, b| mine.push((w.to_string(), a, b)));
            assert_eq!(mine, tokens_at(&mut all, text), "{text}");
        }
    }
}
