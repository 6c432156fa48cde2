//! The sentences of a message, for finding its question part: where one ends (a question
//! or exclamation mark, a semicolon, a line break, a full stop before a blank, a colon
//! after a description of the asker) and where it does not (a time's colon, the dot of
//! an abbreviation inside a sentence).

/// The sentences of a message: each text and whether it ends with a question mark. A
/// colon ends one when `ends_at_colon` says so of the text before it and the text after.
pub(super) fn sentences(
    text: &str,
    ends_at_colon: &dyn Fn(&str, &str) -> bool,
) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let next_blank = chars.get(i + 1).is_none_or(|n| n.is_whitespace());
        let boundary = match c {
            '?' | '!' | ';' | '\n' => true,
            // Not the last dot of an abbreviation inside a sentence (`A.L.Fa. per il
            // welfare`): a word already holding a dot, and the next word in lower case.
            '.' => {
                next_blank
                    && !(cur
                        .split_whitespace()
                        .last()
                        .is_some_and(|w| w.contains('.'))
                        && chars[i + 1..]
                            .iter()
                            .find(|n| !n.is_whitespace())
                            .is_some_and(|n| n.is_lowercase()))
            }
            // Not the colon of a time (`12:30`).
            ':' => next_blank && ends_at_colon(&cur, &chars[i + 1..].iter().collect::<String>()),
            _ => false,
        };
        if boundary {
            if c != '\n' {
                cur.push(c);
            }
            if !cur.trim().is_empty() {
                out.push((cur.trim().to_string(), c == '?'));
            }
            cur.clear();
        } else {
            cur.push(c);
        }
    }
    if !cur.trim().is_empty() {
        out.push((cur.trim().to_string(), false));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::sentences;

    #[test]
    fn an_abbreviation_with_dots_does_not_end_a_sentence() {
        let never = |_: &str, _: &str| false;
        let texts =
            |t: &str| -> Vec<String> { sentences(t, &never).into_iter().map(|(s, _)| s).collect() };
        assert_eq!(
            texts("Ho 8 operai. Da sola posso chiedere i fondi di A.L.Fa. per il welfare?"),
            [
                "Ho 8 operai.",
                "Da sola posso chiedere i fondi di A.L.Fa. per il welfare?"
            ]
        );
        // At the end of a sentence, or before a capital, it still ends one.
        assert_eq!(
            texts("Parlo di A.L.Fa. Possiamo partecipare?"),
            ["Parlo di A.L.Fa.", "Possiamo partecipare?"]
        );
        // Chat style: a plain word and a lower-case next sentence are two sentences.
        assert_eq!(
            texts("siamo una pmi di asti. possiamo partecipare?"),
            ["siamo una pmi di asti.", "possiamo partecipare?"]
        );
    }
}
