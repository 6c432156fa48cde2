//! A call's deadline as an iCalendar file (RFC 5545) the user can import.
//!
//! Times are written in UTC (`Z`), so no VTIMEZONE is needed and every calendar agrees on
//! the instant; a deadline without a stated time is an all-day event. The alarms are
//! absolute (`TRIGGER;VALUE=DATE-TIME`) at exactly the moments of the bot's own
//! reminders, computed in Europe/Rome by [`Offset::before`]. The UID depends only on
//! the call and the deadline, so importing the file twice updates one event, and a moved
//! deadline gives a new event.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::knowledge::{Call, DeadlineAt};
use crate::schedule::Offset;

fn utc(t: Timestamp) -> String {
    t.to_zoned(TimeZone::UTC)
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string()
}

/// Escapes a TEXT value (RFC 5545 §3.3.11).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets (never inside a UTF-8 character) and ends it with CRLF.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        // Continuation lines start with a space, which counts towards their 75 octets.
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

/// The calendar file for `call`'s deadline `at`, with alarms at `offsets`; `now` is the
/// file's DTSTAMP. `summary` and `description` are the user-facing words.
pub fn calendar(
    call: &Call,
    at: &DeadlineAt,
    offsets: &[Offset],
    summary: &str,
    description: &str,
    now: Timestamp,
) -> String {
    let closes = at.closes_at().timestamp();
    let mut lines: Vec<String> = vec![
        "BEGIN:VCALENDAR".into(),
        "VERSION:2.0".into(),
        "PRODID:-//Sportello//Promemoria scadenze//IT".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
        "BEGIN:VEVENT".into(),
        format!("UID:{}-{}@sportello", call.id, closes.as_second()),
        format!("DTSTAMP:{}", utc(now)),
    ];
    match at.time {
        Some(_) => {
            lines.push(format!("DTSTART:{}", utc(closes)));
            lines.push(format!("DTEND:{}", utc(closes)));
        }
        None => {
            let next = at.date.tomorrow().unwrap_or(at.date);
            lines.push(format!("DTSTART;VALUE=DATE:{}", at.date.strftime("%Y%m%d")));
            lines.push(format!("DTEND;VALUE=DATE:{}", next.strftime("%Y%m%d")));
        }
    }
    lines.push(format!("SUMMARY:{}", escape(summary)));
    lines.push(format!("DESCRIPTION:{}", escape(description)));
    if let Some(p) = &call.official_page
        && (p.site.starts_with("https://") || p.site.starts_with("http://"))
    {
        lines.push(format!("URL:{}", p.site));
    }
    lines.push("TRANSP:TRANSPARENT".into());
    for o in offsets {
        lines.push("BEGIN:VALARM".into());
        lines.push("ACTION:DISPLAY".into());
        lines.push(format!("TRIGGER;VALUE=DATE-TIME:{}", utc(o.before(at))));
        lines.push(format!("DESCRIPTION:{}", escape(summary)));
        lines.push("END:VALARM".into());
    }
    lines.push("END:VEVENT".into());
    lines.push("END:VCALENDAR".into());
    let mut out = String::new();
    for l in &lines {
        fold(l, &mut out);
    }
    out
}

/// A safe file name for the calendar file of `call`.
pub fn file_name(call: &Call) -> String {
    format!("scadenza-{}.ics", call.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_keeps_lines_short_and_characters_whole() {
        let mut out = String::new();
        fold(&format!("DESCRIPTION:{}", "è".repeat(100)), &mut out);
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{l}");
        }
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(unfolded, format!("DESCRIPTION:{}\r\n", "è".repeat(100)));
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }
}
