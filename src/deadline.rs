//! Deadlines as data with a history, and how they read in Europe/Rome. The calls of the
//! pack hold them ([`crate::knowledge`] re-exports this module); it sits below
//! [`crate::text`], which writes their dates, and depends on nothing of the crate.

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

    /// Italian form: `13/09/2019, ore 12:00`, or `27/02/2020` when no time is known.
    pub fn italian(&self) -> String {
        let d = self.date.strftime("%d/%m/%Y").to_string();
        match self.time {
            Some(t) => format!("{d}, ore {}", t.strftime("%H:%M")),
            None => d,
        }
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

/// Time left from `now` to `until`, in Italian words ("3 giorni e 4 ore", "45 minuti").
///
/// Days are calendar days in Europe/Rome: across the spring clock change a deadline a
/// week away is "7 giorni", not "6 giorni e 23 ore" (a day there is 23 hours long).
pub fn italian_time_left(now: Timestamp, until: Timestamp) -> String {
    if until <= now {
        return "0 minuti".to_string();
    }
    let (from, to) = (now.to_zoned(rome()), until.to_zoned(rome()));
    let span = from
        .until((jiff::Unit::Day, &to))
        .unwrap_or_else(|_| jiff::Span::new());
    let days = i64::from(span.get_days());
    let hours = i64::from(span.get_hours());
    let minutes = span.get_minutes();
    let unit = |n: i64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    if days > 0 {
        if hours > 0 && days < 7 {
            format!(
                "{} e {}",
                unit(days, "giorno", "giorni"),
                unit(hours, "ora", "ore")
            )
        } else {
            unit(days, "giorno", "giorni")
        }
    } else if hours > 0 {
        if minutes > 0 {
            format!(
                "{} e {}",
                unit(hours, "ora", "ore"),
                unit(minutes, "minuto", "minuti")
            )
        } else {
            unit(hours, "ora", "ore")
        }
    } else {
        unit(minutes.max(1), "minuto", "minuti")
    }
}

/// A timestamp in Italian form in Europe/Rome: `13/09/2019, ore 12:00`.
pub fn italian_timestamp(t: Timestamp) -> String {
    let z = t.to_zoned(rome());
    format!("{}, ore {}", z.strftime("%d/%m/%Y"), z.strftime("%H:%M"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_forms_and_rejects_others() {
        let a = DeadlineAt::parse("2019-09-13T12:00").unwrap();
        assert_eq!(a.italian(), "13/09/2019, ore 12:00");
        let b = DeadlineAt::parse("2020-02-27").unwrap();
        assert_eq!(b.italian(), "27/02/2020");
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

    #[test]
    fn time_left_reads_naturally() {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let at = |s: i64| Timestamp::from_second(now.as_second() + s).unwrap();
        assert_eq!(
            italian_time_left(now, at(3 * 86_400 + 4 * 3600)),
            "3 giorni e 4 ore"
        );
        assert_eq!(italian_time_left(now, at(86_400)), "1 giorno");
        assert_eq!(italian_time_left(now, at(20 * 86_400 + 3600)), "20 giorni");
        assert_eq!(
            italian_time_left(now, at(2 * 3600 + 60)),
            "2 ore e 1 minuto"
        );
        assert_eq!(italian_time_left(now, at(30)), "1 minuto");
        assert_eq!(italian_time_left(now, at(-5)), "0 minuti");
    }

    #[test]
    fn time_left_counts_calendar_days_across_the_spring_change() {
        // Rome moves its clocks forward on 29/03/2026: that Sunday has 23 hours.
        let now: Timestamp = "2026-03-25T11:00:00Z".parse().unwrap(); // 12:00 CET
        let deadline = DeadlineAt::parse("2026-04-01T12:00").unwrap(); // 12:00 CEST
        let until = deadline.closes_at().timestamp();
        assert_eq!(until.as_second() - now.as_second(), 7 * 86_400 - 3600);
        assert_eq!(italian_time_left(now, until), "7 giorni");
        // The same week before the change is 7 × 24 hours and reads the same.
        let before: Timestamp = "2026-03-11T11:00:00Z".parse().unwrap();
        let until = DeadlineAt::parse("2026-03-18T12:00").unwrap().closes_at();
        assert_eq!(italian_time_left(before, until.timestamp()), "7 giorni");
        // Two days across the change, an hour short in seconds, are still two days.
        let sat: Timestamp = "2026-03-28T11:00:00Z".parse().unwrap(); // Sat 12:00 CET
        let mon = DeadlineAt::parse("2026-03-30T12:00").unwrap().closes_at();
        assert_eq!(italian_time_left(sat, mon.timestamp()), "2 giorni");
    }
}
