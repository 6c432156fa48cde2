//! Amounts as each language writes them: Italian `60.000 €`, `19,5%`; English `€60,000`,
//! `19.5%`. Dates and spans of time are [`super::time`]'s, in the words of the locale.
//! These are methods of [`Texts`] so that a reply's strings and its numbers can never be
//! in two languages.

use super::{Lang, Texts};

impl Texts {
    /// An amount with its unit: `100.000 €` / `€100,000`, `19,5%` / `19.5%`.
    pub fn number(&self, n: f64, unit: Option<&str>) -> String {
        match self.lang {
            Lang::It => italian_number(n, unit),
            Lang::En => english_number(n, unit),
        }
    }
}

/// `100000` → `100.000 €`, `19.5` → `19,5%`.
pub fn italian_number(n: f64, unit: Option<&str>) -> String {
    let neg = n < 0.0;
    let a = n.abs();
    let int = a.trunc() as u64;
    let frac = ((a - a.trunc()) * 100.0).round() as u64;
    let digits = int.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(c);
    }
    let mut s = format!("{}{}", if neg { "-" } else { "" }, grouped);
    if frac > 0 {
        let f = format!("{frac:02}");
        s.push(',');
        s.push_str(f.trim_end_matches('0'));
    }
    match unit {
        Some("%") => format!("{s}%"),
        Some(u) => format!("{s} {u}"),
        None => s,
    }
}

/// `60000` → `60,000`; `€` goes before the figure, `%` right after it.
fn english_number(n: f64, unit: Option<&str>) -> String {
    let a = n.abs();
    let int = a.trunc() as u64;
    let frac = ((a - a.trunc()) * 100.0).round() as u64;
    let digits = int.to_string();
    let mut s = String::from(if n < 0.0 { "-" } else { "" });
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            s.push(',');
        }
        s.push(c);
    }
    if frac > 0 {
        s.push('.');
        s.push_str(format!("{frac:02}").trim_end_matches('0'));
    }
    match unit {
        Some("€") => format!("€{s}"),
        Some("%") => format!("{s}%"),
        Some(u) => format!("{s} {u}"),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::texts;

    #[test]
    fn numbers_are_shown_the_italian_way() {
        assert_eq!(italian_number(100_000.0, Some("€")), "100.000 €");
        assert_eq!(italian_number(19.5, Some("%")), "19,5%");
        assert_eq!(italian_number(999.0, None), "999");
    }

    #[test]
    fn amounts_and_shares_are_grouped_the_english_way() {
        let en = texts(Lang::En);
        assert_eq!(en.number(60_000.0, Some("€")), "€60,000");
        assert_eq!(en.number(1_250_000.5, Some("€")), "€1,250,000.5");
        assert_eq!(en.number(19.5, Some("%")), "19.5%");
        assert_eq!(en.number(999.0, None), "999");
        assert_eq!(texts(Lang::It).number(60_000.0, Some("€")), "60.000 €");
    }
}
