//! The words of dates and spans, in both locales and in a made-up third one; every clock
//! is injected (fixed timestamps), never today's.

use jiff::Timestamp;

use super::*;
use crate::text::{Lang, texts};

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// `s` seconds after `now`.
fn after(now: Timestamp, s: i64) -> Timestamp {
    Timestamp::from_second(now.as_second() + s).unwrap()
}

#[test]
fn dates_read_as_each_language_writes_them() {
    let (it, en) = (texts(Lang::It), texts(Lang::En));
    let at = DeadlineAt::parse("2020-02-27T12:00").unwrap();
    assert_eq!(en.date(&at), "27 February 2020, 12:00");
    assert_eq!(it.date(&at), "27/02/2020, ore 12:00");
    let sep = DeadlineAt::parse("2019-09-13T12:00").unwrap();
    assert_eq!(it.date(&sep), "13/09/2019, ore 12:00");
    let day = DeadlineAt::parse("2020-02-27").unwrap();
    assert_eq!(it.date(&day), "27/02/2020");
    let day = DeadlineAt::parse("2026-03-05").unwrap();
    assert_eq!(en.date(&day), "5 March 2026");
    assert_eq!(it.date(&day), "05/03/2026");
}

#[test]
fn a_moment_is_dated_by_its_day_in_rome() {
    // 23:30 UTC on 31/12 is already New Year's Day in Rome.
    let t = ts("2025-12-31T23:30:00Z");
    assert_eq!(texts(Lang::It).day_of(t), "01/01/2026");
    assert_eq!(texts(Lang::En).day_of(t), "1 January 2026");
}

#[test]
fn units_are_singular_for_one_only() {
    let now = ts("2026-01-01T00:00:00Z");
    for (lang, one, many) in [
        (
            Lang::It,
            ["1 giorno", "1 ora", "1 minuto"],
            ["2 giorni", "2 ore", "2 minuti"],
        ),
        (
            Lang::En,
            ["1 day", "1 hour", "1 minute"],
            ["2 days", "2 hours", "2 minutes"],
        ),
    ] {
        let tx = texts(lang);
        for (i, unit) in [86_400, 3600, 60].into_iter().enumerate() {
            assert_eq!(tx.time_left(now, after(now, unit)), one[i]);
            assert_eq!(tx.time_left(now, after(now, 2 * unit)), many[i]);
        }
    }
}

#[test]
fn time_left_reads_as_one_or_two_parts() {
    let now = ts("2026-01-01T00:00:00Z");
    let it = texts(Lang::It);
    let at = |s| after(now, s);
    assert_eq!(
        it.time_left(now, at(3 * 86_400 + 4 * 3600)),
        "3 giorni e 4 ore"
    );
    assert_eq!(it.time_left(now, at(86_400)), "1 giorno");
    assert_eq!(it.time_left(now, at(20 * 86_400 + 3600)), "20 giorni");
    assert_eq!(it.time_left(now, at(2 * 3600 + 60)), "2 ore e 1 minuto");
    assert_eq!(it.time_left(now, at(30)), "1 minuto");
    let en = texts(Lang::En);
    assert_eq!(
        en.time_left(now, at(3 * 86_400 + 4 * 3600)),
        "3 days and 4 hours"
    );
    assert_eq!(en.time_left(now, at(3600 + 60)), "1 hour and 1 minute");
    assert_eq!(en.time_left(now, at(20 * 86_400 + 3600)), "20 days");
    // The epoch, as the former English test had it.
    let epoch = Timestamp::from_second(0).unwrap();
    assert_eq!(en.time_left(epoch, after(epoch, 86_400)), "1 day");
}

#[test]
fn nothing_left_is_the_zero_span() {
    let now = ts("2026-01-01T00:00:00Z");
    for (lang, zero) in [(Lang::It, "0 minuti"), (Lang::En, "0 minutes")] {
        assert_eq!(texts(lang).time_left(now, after(now, -5)), zero);
        assert_eq!(texts(lang).time_left(now, now), zero);
    }
}

/// Rome moves its clocks forward on 29/03/2026: that Sunday has 23 hours, and a day
/// across it is still a day (in English too, which counted 24-hour days before).
#[test]
fn a_day_across_the_spring_change_is_a_day() {
    let sat = ts("2026-03-28T11:00:00Z"); // Saturday 12:00 CET
    let sun = DeadlineAt::parse("2026-03-29T12:00").unwrap(); // Sunday 12:00 CEST
    let until = sun.closes_at().timestamp();
    assert_eq!(until.as_second() - sat.as_second(), 23 * 3600);
    assert_eq!(texts(Lang::It).time_left(sat, until), "1 giorno");
    assert_eq!(texts(Lang::En).time_left(sat, until), "1 day");
    let week = DeadlineAt::parse("2026-04-01T12:00").unwrap();
    let wed = ts("2026-03-25T11:00:00Z"); // Wednesday 12:00 CET
    let until = week.closes_at().timestamp();
    assert_eq!(texts(Lang::It).time_left(wed, until), "7 giorni");
    assert_eq!(texts(Lang::En).time_left(wed, until), "7 days");
    let mon = DeadlineAt::parse("2026-03-30T12:00").unwrap();
    let until = mon.closes_at().timestamp();
    assert_eq!(texts(Lang::It).time_left(sat, until), "2 giorni");
}

#[test]
fn offsets_read_as_a_list() {
    let (it, en) = (texts(Lang::It), texts(Lang::En));
    let three = Offset::defaults();
    assert_eq!(it.offsets(&three), "7 giorni, 1 giorno e 2 ore");
    assert_eq!(en.offsets(&three), "7 days, 1 day and 2 hours");
    let two = [Offset::days(7), Offset::days(1)];
    assert_eq!(it.offsets(&two), "7 giorni e 1 giorno");
    assert_eq!(en.offsets(&two), "7 days and 1 day");
    assert_eq!(it.offsets(&[Offset::minutes(1)]), "1 minuto");
    assert_eq!(en.offsets(&[Offset::minutes(30)]), "30 minutes");
    assert_eq!(en.offsets(&[]), "");
}

/// A third language is only a locale file: these French words, and no code.
const FRENCH: &str = r#"
"time.day.one" = "{n} jour"
"time.day.many" = "{n} jours"
"time.hour.one" = "{n} heure"
"time.hour.many" = "{n} heures"
"time.minute.one" = "{n} minute"
"time.minute.many" = "{n} minutes"
"time.zero" = "plus rien"
"time.pair" = "{first} et {second}"
"time.list.sep" = ", "
"time.list.last" = "{rest} et {last}"
"time.date" = "{d} {month} {yyyy}"
"time.date_time" = "{date} à {time}"
"time.months" = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"]
"#;

#[test]
fn a_third_language_needs_only_its_locale() {
    let fr = Texts::parse(FRENCH).unwrap();
    let at = DeadlineAt::parse("2026-08-07T09:30").unwrap();
    assert_eq!(fr.date(&at), "7 août 2026 à 09:30");
    let now = ts("2026-01-01T00:00:00Z");
    assert_eq!(
        fr.time_left(now, after(now, 86_400 + 3600)),
        "1 jour et 1 heure"
    );
    assert_eq!(fr.time_left(now, now), "plus rien");
    assert_eq!(
        fr.offsets(&Offset::defaults()),
        "7 jours, 1 jour et 2 heures"
    );
}

/// A locale lacking a time word, or a template lacking what the code fills in, does not
/// load, and the error names the key.
#[test]
fn a_locale_lacking_a_time_word_is_rejected() {
    let it = keys_of(include_str!("../../../locales/it.toml"));
    assert!(Texts::parse(&it).is_ok());
    let without = |key: &str| {
        let kept: Vec<&str> = it
            .lines()
            .filter(|l| !l.starts_with(&format!("\"{key}\" =")))
            .collect();
        assert_eq!(kept.len() + 1, it.lines().count(), "{key} not found");
        kept.join("\n")
    };
    for (key, _) in MESSAGES {
        let err = Texts::parse(&without(key)).unwrap_err();
        assert_eq!(err, format!("missing {key}"));
    }
    assert_eq!(
        Texts::parse(&without("time.months")).unwrap_err(),
        "missing time.months"
    );
    let short = it.replace("\"dicembre\"", "");
    let short = short.replace(", ]", "]");
    assert!(
        Texts::parse(&short)
            .unwrap_err()
            .starts_with("time.months: 11 names")
    );
    let pair = it.replace("{first} e {second}", "{first} e");
    assert_eq!(
        Texts::parse(&pair).unwrap_err(),
        "time.pair: lacks the placeholder {second}"
    );
    let date = it.replace("{dd}/{mm}/{yyyy}", "{dd}/{mm}/{year}");
    assert!(
        Texts::parse(&date)
            .unwrap_err()
            .starts_with("time.date: unknown placeholder {year}")
    );
}
