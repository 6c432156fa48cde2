//! Dates, spans of time and amounts as each language writes them.
//!
//! Italian: `27/02/2020, ore 12:00`, `3 giorni e 4 ore`, `60.000 €`, `19,5%`.
//! English: `27 February 2020, 12:00`, `3 days and 4 hours`, `€60,000`, `19.5%`.
//! Every deadline is Europe/Rome time in both languages (the call's own clock).
//! These are methods of [`Texts`] so that a reply's strings and its numbers can never be
//! in two languages.

use jiff::Timestamp;

use super::{Lang, Texts};
use crate::deadline::{self, DeadlineAt};
use crate::schedule::Offset;
use crate::schedule::OffsetUnit;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl Texts {
    /// A deadline: `27/02/2020, ore 12:00` or `27 February 2020, 12:00`.
    pub fn date(&self, at: &DeadlineAt) -> String {
        match self.lang {
            Lang::It => at.italian(),
            Lang::En => {
                let d = format!(
                    "{} {} {}",
                    at.date.day(),
                    MONTHS[(at.date.month() - 1) as usize],
                    at.date.year()
                );
                match at.time {
                    Some(t) => format!("{d}, {}", t.strftime("%H:%M")),
                    None => d,
                }
            }
        }
    }

    /// Time left from `now` to `until`: `3 giorni e 4 ore`, `3 days and 4 hours`.
    pub fn time_left(&self, now: Timestamp, until: Timestamp) -> String {
        match self.lang {
            Lang::It => deadline::italian_time_left(now, until),
            Lang::En => english_time_left(now, until),
        }
    }

    /// Reminder offsets in words: `7 giorni e 1 giorno`, `7 days and 1 day`.
    pub fn offsets(&self, offsets: &[Offset]) -> String {
        match self.lang {
            Lang::It => crate::schedule::offsets_italian(offsets),
            Lang::En => {
                let words: Vec<String> = offsets
                    .iter()
                    .map(|o| {
                        let unit = match o.unit {
                            OffsetUnit::Days => "day",
                            OffsetUnit::Hours => "hour",
                            OffsetUnit::Minutes => "minute",
                        };
                        plural(i64::from(o.amount), unit)
                    })
                    .collect();
                list(&words)
            }
        }
    }

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

fn plural(n: i64, unit: &str) -> String {
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

fn list(words: &[String]) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn english_time_left(now: Timestamp, until: Timestamp) -> String {
    let secs = until.as_second() - now.as_second();
    if secs <= 0 {
        return "0 minutes".to_string();
    }
    let (days, hours, minutes) = (secs / 86_400, (secs % 86_400) / 3600, (secs % 3600) / 60);
    if days > 0 {
        if hours > 0 && days < 7 {
            format!("{} and {}", plural(days, "day"), plural(hours, "hour"))
        } else {
            plural(days, "day")
        }
    } else if hours > 0 {
        if minutes > 0 {
            format!(
                "{} and {}",
                plural(hours, "hour"),
                plural(minutes, "minute")
            )
        } else {
            plural(hours, "hour")
        }
    } else {
        plural(minutes.max(1), "minute")
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
    fn dates_read_as_each_language_writes_them() {
        let at = DeadlineAt::parse("2020-02-27T12:00").unwrap();
        assert_eq!(texts(Lang::En).date(&at), "27 February 2020, 12:00");
        assert_eq!(texts(Lang::It).date(&at), "27/02/2020, ore 12:00");
        let day = DeadlineAt::parse("2026-03-05").unwrap();
        assert_eq!(texts(Lang::En).date(&day), "5 March 2026");
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

    #[test]
    fn time_left_and_offsets_in_english_words() {
        let en = texts(Lang::En);
        let now = Timestamp::from_second(0).unwrap();
        let t = |s: i64| Timestamp::from_second(s).unwrap();
        assert_eq!(
            en.time_left(now, t(3 * 86_400 + 4 * 3600)),
            "3 days and 4 hours"
        );
        assert_eq!(en.time_left(now, t(86_400)), "1 day");
        assert_eq!(en.time_left(now, t(3600 + 60)), "1 hour and 1 minute");
        assert_eq!(en.time_left(now, t(-5)), "0 minutes");
        let o = |amount, unit| Offset { amount, unit };
        assert_eq!(
            en.offsets(&[
                o(7, OffsetUnit::Days),
                o(1, OffsetUnit::Days),
                o(2, OffsetUnit::Hours)
            ]),
            "7 days, 1 day and 2 hours"
        );
    }
}
