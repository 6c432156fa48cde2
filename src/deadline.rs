//! Deadlines as data with a history, and the arithmetic of their moments in Europe/Rome.
//! The calls of the pack hold them ([`crate::knowledge`] re-exports this module); it sits
//! below [`crate::text`], which writes their dates and spans in the words of a locale
//! (nothing here returns words), and depends on nothing of the crate.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use serde::{Deserialize, Serialize};

/// The time zone every deadline of the pack is expressed in.
pub const ZONE: &str = "Europe/Rome";

pub fn rome() -> TimeZone {
    // The bundled database always has Europe/Rome; a missing zone is a build defect.
    TimeZone::get(ZONE).expect("Europe/Rome in the time zone database")
}

/// A deadline moment as the sources state it: a local date, with a time when they give one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DeadlineAt {
    pub date: Date,
    pub time: Option<Time>,
}

impl DeadlineAt {
    /// Parses `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM` (Europe/Rome local time).
    pub fn parse(s: &str) -> Result<DeadlineAt, String> {
        let s = s.trim();
        if let Ok(date) = s.parse::<Date>()
            && s.len() == 10
        {
            return Ok(DeadlineAt { date, time: None });
        }
        match s.parse::<DateTime>() {
            Ok(dt) if s.len() == 16 => Ok(DeadlineAt {
                date: dt.date(),
                time: Some(dt.time()),
            }),
            _ => Err(format!(
                "«{s}» is not a date: write YYYY-MM-DD or YYYY-MM-DDTHH:MM (Europe/Rome time)"
            )),
        }
    }

    /// The last moment applications may still arrive. Without a stated time the whole
    /// day counts, so the bot never calls a call closed before its day is over.
    pub fn closes_at(&self) -> Zoned {
        let time = self.time.unwrap_or(Time::constant(23, 59, 59, 0));
        self.date
            .to_datetime(time)
            .to_zoned(rome())
            .expect("a valid Rome date-time")
    }

    /// The moment reminders count back from. Without a stated time, the start of the day,
    /// so a reminder is never late.
    pub fn reminder_anchor(&self) -> Zoned {
        let time = self.time.unwrap_or(Time::midnight());
        self.date
            .to_datetime(time)
            .to_zoned(rome())
            .expect("a valid Rome date-time")
    }
}

/// Whether the sources state the deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineStatus {
    Known,
    Unknown,
}

/// An earlier deadline and the act that moved it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineChange {
    pub at: DeadlineAt,
    pub changed_by: String,
    pub source: String,
}

/// A call's deadline: the current one and the earlier ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    pub status: DeadlineStatus,
    pub at: Option<DeadlineAt>,
    /// A day on which the sources say the call was open (e.g. the date of the article
    /// announcing its opening). With an unknown deadline, this is what makes a call
    /// "open"; without it, a call whose deadline is unknown is never called open.
    pub open_by: Option<Date>,
    pub note: Option<String>,
    pub source: String,
    pub history: Vec<DeadlineChange>,
}

impl Deadline {
    /// The current deadline when it is known.
    pub fn known(&self) -> Option<DeadlineAt> {
        match self.status {
            DeadlineStatus::Known => self.at,
            DeadlineStatus::Unknown => None,
        }
    }

    /// True when the deadline is known and passed at `now`.
    pub fn is_closed(&self, now: Timestamp) -> bool {
        self.known()
            .is_some_and(|at| at.closes_at().timestamp() < now)
    }

    /// Open, closed, or not stated by the sources, at `now`.
    pub fn status_at(&self, now: Timestamp) -> CallStatus {
        if self.is_closed(now) {
            return CallStatus::Closed;
        }
        let opened = self
            .open_by
            .is_some_and(|d| d.to_zoned(rome()).is_ok_and(|z| z.timestamp() <= now));
        match (self.known(), opened) {
            // A known deadline ahead: open, unless the sources date the opening later.
            (Some(_), _) if self.open_by.is_none() || opened => CallStatus::Open,
            (None, true) => CallStatus::Open,
            _ => CallStatus::Unknown,
        }
    }
}

/// Whether applications can be sent at a given moment, as far as the sources say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CallStatus {
    Open,
    /// The sources do not say (no deadline, or an unknown one and no opening date).
    Unknown,
    Closed,
}

/// A span of time as whole days, hours and minutes (seconds dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeLeft {
    pub days: i64,
    pub hours: i64,
    pub minutes: i64,
}

/// Time left from `now` to `until`; `None` once `until` is reached.
///
/// Days are calendar days in Europe/Rome: across the spring clock change a deadline a
/// week away is 7 days, not 6 days and 23 hours (a day there is 23 hours long). The
/// words are [`crate::text::Texts::time_left`]'s.
pub fn time_left(now: Timestamp, until: Timestamp) -> Option<TimeLeft> {
    if until <= now {
        return None;
    }
    let (from, to) = (now.to_zoned(rome()), until.to_zoned(rome()));
    let span = from
        .until((jiff::Unit::Day, &to))
        .unwrap_or_else(|_| jiff::Span::new());
    Some(TimeLeft {
        days: i64::from(span.get_days()),
        hours: i64::from(span.get_hours()),
        minutes: span.get_minutes(),
    })
}

/// The calendar day of a moment in Europe/Rome.
pub fn rome_date(t: Timestamp) -> Date {
    t.to_zoned(rome()).date()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_forms_and_rejects_others() {
        let a = DeadlineAt::parse("2019-09-13T12:00").unwrap();
        assert_eq!(a.date, jiff::civil::date(2019, 9, 13));
        assert_eq!(a.time, Some(Time::constant(12, 0, 0, 0)));
        let b = DeadlineAt::parse("2020-02-27").unwrap();
        assert_eq!((b.date, b.time), (jiff::civil::date(2020, 2, 27), None));
        for bad in [
            "13/09/2019",
            "2019-13-01",
            "2019-09-13 12:00:00",
            "",
            "domani",
        ] {
            assert!(DeadlineAt::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rome_offsets_follow_daylight_saving() {
        // 12:00 in September is CEST (UTC+2), in February CET (UTC+1).
        let sep = DeadlineAt::parse("2019-09-13T12:00").unwrap().closes_at();
        assert_eq!(sep.timestamp().to_string(), "2019-09-13T10:00:00Z");
        let feb = DeadlineAt::parse("2020-02-27").unwrap();
        assert_eq!(
            feb.closes_at().timestamp().to_string(),
            "2020-02-27T22:59:59Z"
        );
        assert_eq!(
            feb.reminder_anchor().timestamp().to_string(),
            "2020-02-26T23:00:00Z"
        );
    }

    fn left(days: i64, hours: i64, minutes: i64) -> Option<TimeLeft> {
        Some(TimeLeft {
            days,
            hours,
            minutes,
        })
    }

    #[test]
    fn time_left_splits_into_days_hours_and_minutes() {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let at = |s: i64| Timestamp::from_second(now.as_second() + s).unwrap();
        assert_eq!(time_left(now, at(3 * 86_400 + 4 * 3600)), left(3, 4, 0));
        assert_eq!(time_left(now, at(86_400)), left(1, 0, 0));
        assert_eq!(time_left(now, at(20 * 86_400 + 3600)), left(20, 1, 0));
        assert_eq!(time_left(now, at(2 * 3600 + 60 + 59)), left(0, 2, 1));
        assert_eq!(time_left(now, at(30)), left(0, 0, 0));
        assert_eq!(time_left(now, now), None);
        assert_eq!(time_left(now, at(-5)), None);
    }

    #[test]
    fn time_left_counts_calendar_days_across_the_spring_change() {
        // Rome moves its clocks forward on 29/03/2026: that Sunday has 23 hours.
        let now: Timestamp = "2026-03-25T11:00:00Z".parse().unwrap(); // 12:00 CET
        let deadline = DeadlineAt::parse("2026-04-01T12:00").unwrap(); // 12:00 CEST
        let until = deadline.closes_at().timestamp();
        assert_eq!(until.as_second() - now.as_second(), 7 * 86_400 - 3600);
        assert_eq!(time_left(now, until), left(7, 0, 0));
        // The same week before the change is 7 × 24 hours and counts the same.
        let before: Timestamp = "2026-03-11T11:00:00Z".parse().unwrap();
        let until = DeadlineAt::parse("2026-03-18T12:00").unwrap().closes_at();
        assert_eq!(time_left(before, until.timestamp()), left(7, 0, 0));
        // Two days across the change, an hour short in seconds, are still two days.
        let sat: Timestamp = "2026-03-28T11:00:00Z".parse().unwrap(); // Sat 12:00 CET
        let mon = DeadlineAt::parse("2026-03-30T12:00").unwrap().closes_at();
        assert_eq!(time_left(sat, mon.timestamp()), left(2, 0, 0));
    }

    #[test]
    fn a_moment_falls_on_its_rome_day() {
        // 23:30 UTC on 31/01 is already 1 February in Rome (CET, UTC+1).
        let t: Timestamp = "2026-01-31T23:30:00Z".parse().unwrap();
        assert_eq!(rome_date(t), jiff::civil::date(2026, 2, 1));
    }
}
