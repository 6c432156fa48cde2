//! Dates and spans of time in the words of a locale.
//!
//! The words are the locale's `time.*` keys (units singular and plural, the joiners of two
//! parts and of a list, the zero span, the month names, the date templates): Italian
//! `27/02/2020, ore 12:00`, `3 giorni e 4 ore`; English `27 February 2020, 12:00`,
//! `3 days and 4 hours`. There is no branch per language here, so a third language needs
//! only its locale file, which `check` validates when it is loaded.
//!
//! The arithmetic is [`crate::deadline`]'s (calendar days in Europe/Rome, for every
//! language) and [`crate::schedule`]'s; every deadline is Europe/Rome time in every
//! language (the call's own clock). These are methods of [`Texts`] so that a reply's
//! strings and its dates can never be in two languages.

use jiff::Timestamp;
use jiff::civil::Date;

use super::{HashMap, Texts};
use crate::deadline::{self, DeadlineAt, TimeLeft};
use crate::schedule::{Offset, OffsetUnit};

/// The messages every locale must have, with the placeholders each must use (a template
/// lacking one would drop a part of the date or span without a word).
const MESSAGES: [(&str, &[&str]); 12] = [
    ("time.day.one", &[]),
    ("time.day.many", &[]),
    ("time.hour.one", &[]),
    ("time.hour.many", &[]),
    ("time.minute.one", &[]),
    ("time.minute.many", &[]),
    ("time.zero", &[]),
    ("time.pair", &["first", "second"]),
    ("time.list.sep", &[]),
    ("time.list.last", &["rest", "last"]),
    ("time.date", &[]),
    ("time.date_time", &["date", "time"]),
];

/// The month names, January first.
const MONTHS: &str = "time.months";

/// The placeholders `time.date` may use; each locale picks its own (a numeric month in
/// Italian, a month name in English), so its placeholders differ between locales.
const DATE_PARTS: [&str; 6] = ["d", "dd", "m", "mm", "month", "yyyy"];

/// The keys whose placeholders are the locale's choice (not the same in every locale).
pub(super) const FREE_PLACEHOLDERS: [&str; 1] = ["time.date"];

/// Fails, naming the key, when a locale lacks a time word or a template a placeholder.
pub(super) fn check(
    map: &HashMap<String, String>,
    lists: &HashMap<String, Vec<String>>,
) -> Result<(), String> {
    for (key, needed) in MESSAGES {
        let template = map.get(key).ok_or_else(|| format!("missing {key}"))?;
        let used = placeholders(template);
        if let Some(p) = needed.iter().find(|p| !used.contains(p)) {
            return Err(format!("{key}: lacks the placeholder {{{p}}}"));
        }
        if FREE_PLACEHOLDERS.contains(&key)
            && let Some(p) = used.iter().find(|p| !DATE_PARTS.contains(p))
        {
            return Err(format!(
                "{key}: unknown placeholder {{{p}}} (use {DATE_PARTS:?})"
            ));
        }
    }
    match lists.get(MONTHS) {
        None => Err(format!("missing {MONTHS}")),
        Some(m) if m.len() != 12 => Err(format!("{MONTHS}: {} names, not 12", m.len())),
        Some(_) => Ok(()),
    }
}

/// The `{name}` placeholders of a template.
fn placeholders(template: &str) -> Vec<&str> {
    template
        .split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(name, _)| name))
        .collect()
}

impl Texts {
    /// A deadline: `27/02/2020, ore 12:00` or `27 February 2020, 12:00`.
    pub fn date(&self, at: &DeadlineAt) -> String {
        let day = self.day(at.date);
        match at.time {
            Some(t) => self.s(
                "time.date_time",
                &[("date", &day), ("time", &t.strftime("%H:%M").to_string())],
            ),
            None => day,
        }
    }

    /// A calendar day: `27/02/2020`, `27 February 2020`.
    pub fn day(&self, d: Date) -> String {
        let (day, month) = (d.day(), d.month());
        let name = self
            .list(MONTHS)
            .get(usize::try_from(month - 1).unwrap_or_default())
            .map_or("", String::as_str);
        self.s(
            "time.date",
            &[
                ("d", &day.to_string()),
                ("dd", &format!("{day:02}")),
                ("m", &month.to_string()),
                ("mm", &format!("{month:02}")),
                ("month", name),
                ("yyyy", &format!("{:04}", d.year())),
            ],
        )
    }

    /// The day a moment falls on in Europe/Rome, as [`Texts::day`] writes it.
    pub fn day_of(&self, at: Timestamp) -> String {
        self.day(deadline::rome_date(at))
    }

    /// Time left from `now` to `until`: `3 giorni e 4 ore`, `3 days and 4 hours`.
    ///
    /// Days (calendar days in Europe/Rome) with the hours only under a week; hours with
    /// the minutes; minutes alone under an hour, at least one.
    pub fn time_left(&self, now: Timestamp, until: Timestamp) -> String {
        let Some(TimeLeft {
            days,
            hours,
            minutes,
        }) = deadline::time_left(now, until)
        else {
            return self.s("time.zero", &[]);
        };
        let (first, second) = if days > 0 {
            let hours = (hours > 0 && days < 7).then_some((hours, OffsetUnit::Hours));
            ((days, OffsetUnit::Days), hours)
        } else if hours > 0 {
            let minutes = (minutes > 0).then_some((minutes, OffsetUnit::Minutes));
            ((hours, OffsetUnit::Hours), minutes)
        } else {
            ((minutes.max(1), OffsetUnit::Minutes), None)
        };
        let first = self.amount(first.0, first.1);
        match second {
            Some((n, unit)) => self.s(
                "time.pair",
                &[("first", &first), ("second", &self.amount(n, unit))],
            ),
            None => first,
        }
    }

    /// Reminder offsets in words: `7 giorni, 1 giorno e 2 ore`, `7 days, 1 day and 2 hours`.
    pub fn offsets(&self, offsets: &[Offset]) -> String {
        let words: Vec<String> = offsets
            .iter()
            .map(|o| self.amount(i64::from(o.amount), o.unit))
            .collect();
        match words.as_slice() {
            [] => String::new(),
            [one] => one.clone(),
            [init @ .., last] => self.s(
                "time.list.last",
                &[
                    ("rest", &init.join(self.raw("time.list.sep"))),
                    ("last", last),
                ],
            ),
        }
    }

    /// `n` of a unit: `1 giorno`, `2 ore`, `1 minute` (singular for 1 only).
    fn amount(&self, n: i64, unit: OffsetUnit) -> String {
        let key = match (unit, n == 1) {
            (OffsetUnit::Days, true) => "time.day.one",
            (OffsetUnit::Days, false) => "time.day.many",
            (OffsetUnit::Hours, true) => "time.hour.one",
            (OffsetUnit::Hours, false) => "time.hour.many",
            (OffsetUnit::Minutes, true) => "time.minute.one",
            (OffsetUnit::Minutes, false) => "time.minute.many",
        };
        self.s(key, &[("n", &n.to_string())])
    }
}

/// The `time.*` keys of a locale file, as a locale file of their own (for tests that build
/// small locales, which must have them to load).
#[cfg(test)]
pub(super) fn keys_of(locale: &str) -> String {
    let mut table: toml::Table = toml::from_str(locale).expect("a locale file");
    table.retain(|k, _| k.starts_with("time."));
    toml::to_string(&table).expect("a table of strings")
}

#[cfg(test)]
mod tests;
