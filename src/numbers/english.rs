//! Numbers as English speakers write them: `60,000`, `€60,000`, `60k`, `1.5 million`.
//!
//! Read for the typed answers of the eligibility check in English; next to the Italian
//! reader (the parent module) so that eligibility and understanding share it from below.

/// Reads a number written the English way: `60,000`, `€60,000`, `60k`, `60 k`,
/// `1.5 million`, `60 thousand`, `25%`, `19.5`. A comma followed by groups of exactly
/// three digits is a thousands separator, the dot the decimal mark. `None` when the text
/// holds no number or more than one.
pub fn parse_number(text: &str) -> Option<f64> {
    let t = crate::fold::fold_str(text)
        .replace(['€', '$'], " ")
        .replace("euros", " ")
        .replace("euro", " ")
        .replace("eur", " ")
        .replace("about", " ")
        .replace("around", " ")
        .replace("approximately", " ")
        .replace("roughly", " ")
        .replace('%', " ");
    let t = t.trim();
    // fold_str splits at punctuation: read the raw text's figure instead.
    let raw: String = text
        .chars()
        .filter(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | ' '))
        .collect();
    let figures: Vec<&str> = raw
        .split_whitespace()
        .filter(|w| w.chars().any(|c| c.is_ascii_digit()))
        .collect();
    let [figure] = figures.as_slice() else {
        return None;
    };
    let figure = figure.trim_end_matches(['.', ',']);
    let groups: Vec<&str> = figure.split(',').collect();
    let plain = if groups.len() > 1 {
        // `60,000` and `1,250,000.50`: every group after the first has three digits.
        let (last, rest) = groups.split_last()?;
        let last_int = last.split('.').next().unwrap_or_default();
        if rest[1..].iter().any(|g| g.len() != 3) || last_int.len() != 3 || rest[0].is_empty() {
            return None;
        }
        groups.concat()
    } else {
        figure.to_string()
    };
    if plain.matches('.').count() > 1 {
        return None;
    }
    let n: f64 = plain.parse().ok()?;
    // The words after the figure: a multiplier, or nothing else that is a word.
    let words: Vec<&str> = t
        .split_whitespace()
        .filter(|w| !w.chars().all(|c| c.is_ascii_digit()))
        .collect();
    let scale = match words.as_slice() {
        [] => 1.0,
        ["k"] | ["thousand"] => 1e3,
        ["m"] | ["mln"] | ["million"] | ["millions"] => 1e6,
        _ => {
            // `60k` is one word after folding.
            let joined = t.replace(' ', "");
            let suffix = joined.trim_start_matches(|c: char| c.is_ascii_digit());
            match suffix {
                "k" => 1e3,
                "m" | "mln" => 1e6,
                _ => return None,
            }
        }
    };
    Some(n * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_numbers_are_read() {
        for (t, n) in [
            ("60k", 60_000.0),
            ("60 k", 60_000.0),
            ("60,000", 60_000.0),
            ("€60,000", 60_000.0),
            ("60,000 euros", 60_000.0),
            ("1,250,000.50", 1_250_000.5),
            ("1.5 million", 1_500_000.0),
            ("60 thousand", 60_000.0),
            ("25%", 25.0),
            ("19.5", 19.5),
            ("about 100000", 100_000.0),
        ] {
            assert_eq!(parse_number(t), Some(n), "{t}");
        }
        for t in ["", "lots", "60,00", "1.2.3", "12 apples", "1, 3"] {
            assert_eq!(parse_number(t), None, "{t}");
        }
    }
}
