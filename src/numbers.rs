//! Numbers as Italians write them in a chat: `50.000`, `50 mila`, `50k`, `cinquantamila`,
//! `un milione`, `circa 50 mila`, `più o meno 60.000`, `25%`, `25 per cento`; English
//! numbers in [`english`].
//!
//! Two uses: a whole typed answer read as one number ([`parse_amount`], for the questions
//! of the eligibility check), and every amount found in a longer message with the words
//! right after it ([`amounts`], for the profile facts). Approximations (`circa`, `più o
//! meno`) are read as the number they approximate. Pure functions over strings, below
//! both [`crate::understand`] and [`crate::eligibility`], which both read numbers.
//!
//! The words of a message as the engine reads them ([`words_of`]: numbers kept whole,
//! accents folded, acronyms joined) are here too, so that the pack's audit
//! ([`crate::knowledge`]) reads sentences as the engine does without importing it.

pub mod english;

/// Number words, longest first so that `ottanta` wins over `otto` and `diciassette` over
/// `dieci`; elided forms (`vent`, `trent`) cover `ventuno`, `trentotto`.
const WORDS: &[(&str, u64)] = &[
    ("diciassette", 17),
    ("diciannove", 19),
    ("quattordici", 14),
    ("cinquanta", 50),
    ("cinquant", 50),
    ("quaranta", 40),
    ("quarant", 40),
    ("sessanta", 60),
    ("sessant", 60),
    ("settanta", 70),
    ("settant", 70),
    ("diciotto", 18),
    ("quindici", 15),
    ("quattro", 4),
    ("ottanta", 80),
    ("ottant", 80),
    ("novanta", 90),
    ("novant", 90),
    ("tredici", 13),
    ("cinque", 5),
    ("dodici", 12),
    ("undici", 11),
    ("sedici", 16),
    ("trenta", 30),
    ("trent", 30),
    ("venti", 20),
    ("vent", 20),
    ("dieci", 10),
    ("sette", 7),
    ("cento", 100),
    ("cent", 100),
    ("mille", 1000),
    ("mila", 1000),
    ("otto", 8),
    ("nove", 9),
    ("due", 2),
    ("tre", 3),
    ("sei", 6),
    ("uno", 1),
    ("una", 1),
    ("un", 1),
];

/// A number written in words (`centocinquantamila`, `ventitre`), or `None`.
pub fn number_word(word: &str) -> Option<u64> {
    let w = word.trim();
    if w.is_empty() {
        return None;
    }
    let (mut total, mut current) = (0u64, 0u64);
    let mut rest = w;
    while !rest.is_empty() {
        let (m, v) = WORDS.iter().find(|(m, _)| rest.starts_with(m))?;
        rest = &rest[m.len()..];
        match v {
            100 => current = current.max(1) * 100,
            1000 => {
                total += current.max(1) * 1000;
                current = 0;
            }
            _ => current += v,
        }
    }
    Some(total + current)
}

/// Multipliers written after a number.
fn multiplier(word: &str) -> Option<f64> {
    match word {
        "mila" | "mille" | "k" => Some(1e3),
        "milione" | "milioni" | "mln" | "mio" => Some(1e6),
        _ => None,
    }
}

/// Words that only say the number is approximate.
const APPROX: &[&str] = &[
    "circa", "quasi", "intorno", "verso", "oltre", "sui", "sugli",
];

/// A number in digits the Italian way: `1.200`, `1.200,50`, `12,5`, `60000`; `2, 3` is
/// not one number (the caller sees two).
fn digits(tok: &str) -> Option<f64> {
    let t = tok.trim_matches(|c: char| !c.is_ascii_digit());
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return None;
    }
    let normal = match t.split_once(',') {
        Some((int, dec)) if !dec.contains(['.', ',']) && thousands_or_plain(int) => {
            format!("{}.{}", int.replace('.', ""), dec)
        }
        Some(_) => return None,
        None if t.contains('.') && thousands_or_plain(t) => t.replace('.', ""),
        // `12.5` written with a point: a decimal.
        None if t.matches('.').count() == 1 => t.to_string(),
        None if t.contains('.') => return None,
        None => t.to_string(),
    };
    normal.parse().ok()
}

/// `1.234.567` (groups of three after the first) or plain digits.
fn thousands_or_plain(s: &str) -> bool {
    if !s.contains('.') {
        return s.chars().all(|c| c.is_ascii_digit());
    }
    let mut parts = s.split('.');
    let first = parts.next().unwrap_or_default();
    !first.is_empty()
        && first.len() <= 3
        && parts.all(|p| p.len() == 3 && p.chars().all(|c| c.is_ascii_digit()))
}

/// One amount found in a message.
#[derive(Debug, Clone, PartialEq)]
pub struct Amount {
    pub value: f64,
    /// Written as a percentage (`25%`, `25 per cento`).
    pub percent: bool,
    /// Written in euro (`€`, `euro`, `mila euro`, `50k`).
    pub euro: bool,
    /// Index in the word list of the first word after the number (and its unit).
    pub next: usize,
    /// Index of the word where the number starts.
    pub start: usize,
}

/// How many short texts' words a thread keeps for [`words_of`]: one message has its
/// words read several times (is it a request? its reading, its search's query, the home
/// region's name).
const WORDS_KEPT: usize = 4;

/// Texts longer than this (in bytes) are read afresh, not kept.
const WORDS_KEPT_LEN: usize = 512;

thread_local! {
    /// The last short texts read by [`words_of`] on this thread with their words, newest
    /// last.
    static RECENT_WORDS: std::cell::RefCell<Vec<(String, Vec<String>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Lower-case words of a text, accents folded, dotted acronyms joined (`A.L.Fa.` →
/// `alfa`), numbers kept whole (`50.000`) and `%`, `€` as words. A short text read
/// lately on this thread is not read again: its words are copied.
pub fn words_of(text: &str) -> Vec<String> {
    if text.len() > WORDS_KEPT_LEN {
        return words_of_afresh(text);
    }
    RECENT_WORDS.with(|r| {
        if let Some((_, w)) = r.borrow().iter().rev().find(|(t, _)| t == text) {
            return w.clone();
        }
        let w = words_of_afresh(text);
        let mut r = r.borrow_mut();
        if r.len() == WORDS_KEPT {
            r.remove(0);
        }
        r.push((text.to_string(), w.clone()));
        w
    })
}

fn words_of_afresh(text: &str) -> Vec<String> {
    let words = words(&crate::fold::join_acronyms(text));
    let mut out = Vec::with_capacity(words.len());
    for mut w in words {
        if w.chars().any(|c| c.is_ascii_digit()) || w == "%" || w == "€" {
            out.push(w);
        } else if !w.is_empty() && w.bytes().all(|b| b.is_ascii_alphabetic()) {
            // Plain ASCII letters fold to themselves in lower case (most words: the
            // folding analyzer is for accents, apostrophes and the like); in place, no
            // copy.
            w.make_ascii_lowercase();
            out.push(w);
        } else {
            out.extend(
                crate::fold::fold_str(&w)
                    .split_whitespace()
                    .map(String::from),
            );
        }
    }
    out
}

/// Splits a message into lower-case words, keeping digits with their separators and `%`
/// and `€` as words of their own (`50.000€` → `50.000`, `€`).
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, out: &mut Vec<String>| {
        let w = cur.trim_end_matches(['.', ',']).to_string();
        if !w.is_empty() {
            out.push(w);
        }
        cur.clear();
    };
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let digit_sep = (c == '.' || c == ',')
            && cur.chars().last().is_some_and(|p| p.is_ascii_digit())
            && chars.peek().is_some_and(|n| n.is_ascii_digit());
        if c.is_alphanumeric() || digit_sep {
            // A number glued to letters (`50k`, `50mila`) becomes two words.
            if let Some(p) = cur.chars().last()
                && ((p.is_ascii_digit() && c.is_alphabetic())
                    || (p.is_alphabetic() && c.is_ascii_digit()))
            {
                flush(&mut cur, &mut out);
            }
            if c.is_ascii() {
                cur.push(c.to_ascii_lowercase());
            } else {
                cur.extend(c.to_lowercase());
            }
        } else {
            flush(&mut cur, &mut out);
            if c == '%' || c == '€' {
                out.push(c.to_string());
            }
        }
    }
    flush(&mut cur, &mut out);
    out
}

/// A word as compared here: symbols and numbers as they are, letters folded.
fn norm(w: &str) -> String {
    if w == "%" || w == "€" || w.chars().any(|c| c.is_ascii_digit()) {
        w.to_string()
    } else {
        crate::fold::fold_str(w)
    }
}

/// Every amount in a list of words (see [`words`]), in order.
pub fn amounts(words: &[String]) -> Vec<Amount> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = norm(&words[i]);
        let base = digits(&w).or_else(|| {
            // Words alone: only from ten up, or with a multiplier after them, so that
            // `una grande impresa` or `sei una PMI?` are not numbers.
            number_word(&w)
                .filter(|&n| {
                    n >= 10
                        || words
                            .get(i + 1)
                            .is_some_and(|n| multiplier(&norm(n)).is_some())
                })
                .map(|n| n as f64)
        });
        let Some(mut value) = base else {
            i += 1;
            continue;
        };
        let start = if i > 0 && words[i - 1] == "€" {
            i - 1
        } else {
            i
        };
        let mut euro = start < i;
        let mut j = i + 1;
        // `un milione e mezzo` is rare: the multiplier and its unit are enough.
        while let Some(m) = words.get(j).and_then(|n| multiplier(&norm(n))) {
            if words[j] == "k" {
                euro = true;
            }
            value *= m;
            j += 1;
        }
        let mut percent = false;
        match words.get(j).map(|s| norm(s)).as_deref() {
            Some("%") | Some("percento") => {
                percent = true;
                j += 1;
            }
            Some("per") if words.get(j + 1).is_some_and(|w| w == "cento") => {
                percent = true;
                j += 2;
            }
            Some("€") | Some("euro") | Some("eur") => {
                euro = true;
                j += 1;
            }
            _ => {}
        }
        out.push(Amount {
            value,
            percent,
            euro,
            next: j,
            start,
        });
        i = j;
    }
    out
}

/// A whole typed answer read as one amount: `100.000 €`, `cinquantamila`, `50k`,
/// `circa 50 mila`, `più o meno 60.000`, `25%`. `None` when the text holds something else
/// as well, or two numbers (`2, 3`).
pub fn parse_amount(text: &str) -> Option<f64> {
    let ws = words(text);
    let found = amounts(&ws);
    let [a] = found.as_slice() else {
        return None;
    };
    // Everything else must be approximation words, a leading sign or units.
    let sign = if text.trim_start().starts_with('-') {
        -1.0
    } else {
        1.0
    };
    let others_ok = ws.iter().enumerate().all(|(i, w)| {
        (a.start..a.next).contains(&i)
            || APPROX.contains(&norm(w).as_str())
            || matches!(
                norm(w).as_str(),
                "piu" | "o" | "meno" | "a" | "di" | "euro" | "eur" | "€"
            )
    });
    others_ok.then_some(sign * a.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_words() {
        for (w, n) in [
            ("cinquantamila", 50_000),
            ("centocinquantamila", 150_000),
            ("duecentomila", 200_000),
            ("ventitre", 23),
            ("ventotto", 28),
            ("trentuno", 31),
            ("milleduecento", 1200),
            ("ottanta", 80),
            ("dodici", 12),
            ("sessantamila", 60_000),
        ] {
            assert_eq!(number_word(w), Some(n), "{w}");
        }
        assert_eq!(number_word("casa"), None);
        assert_eq!(number_word("settembre"), None);
    }

    #[test]
    fn typed_amounts() {
        for (t, n) in [
            ("100.000 €", 100_000.0),
            ("€ 80.000", 80_000.0),
            ("cinquantamila", 50_000.0),
            ("50 mila", 50_000.0),
            ("50mila", 50_000.0),
            ("50k", 50_000.0),
            ("circa 50 mila", 50_000.0),
            ("più o meno 60.000", 60_000.0),
            ("25%", 25.0),
            ("25 per cento", 25.0),
            ("12,5", 12.5),
            ("1.200.000", 1_200_000.0),
            ("un milione", 1_000_000.0),
            ("2 milioni", 2_000_000.0),
            ("-5", -5.0),
        ] {
            assert_eq!(parse_amount(t), Some(n), "{t}");
        }
        for t in ["2, 3", "1 e 3", "forse", "", "100 o 200", "boh 30 credo"] {
            assert_eq!(parse_amount(t), None, "{t}");
        }
    }

    #[test]
    fn amounts_in_a_message() {
        let ws = words("Siamo in 1200 dipendenti, progetto da 150k e cofinanziamo il 25%.");
        let a = amounts(&ws);
        assert_eq!(a.len(), 3, "{a:?}");
        assert_eq!((a[0].value, a[0].euro), (1200.0, false));
        assert_eq!(ws[a[0].next], "dipendenti");
        assert_eq!((a[1].value, a[1].euro), (150_000.0, true));
        assert_eq!((a[2].value, a[2].percent), (25.0, true));
        assert!(amounts(&words("sei una PMI? una grande impresa")).is_empty());
    }
}
