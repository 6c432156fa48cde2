//! The reminder schedule as a pure function of (subscriptions, deadlines, offsets, now).
//!
//! Nothing here reads a clock or a disk: the store persists what [`plan`] and
//! `changes` compute, and the dispatcher asks [`decide`] what to do with a queued item
//! at the moment it could send it.
//!
//! It sits below both: the store ([`crate::store::follows`]) persists its plans and the
//! dispatcher ([`crate::reminders`], which re-exports it as `reminders::schedule`) acts
//! on them, so the store never imports the reminders module.

use std::fmt;
use std::str::FromStr;

use jiff::{Span, Timestamp};
use serde::{Deserialize, Serialize};

use crate::deadline::DeadlineAt;
use crate::ids::CallId;
use crate::ids::UserId;

/// How long before a deadline a reminder goes out (in words: [`crate::text::Texts::offsets`]).
///
/// Days are calendar days in Europe/Rome ("1 day before 12:00" is 12:00 the day before,
/// whatever daylight saving did overnight); hours and minutes are elapsed time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Offset {
    pub amount: u32,
    pub unit: OffsetUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OffsetUnit {
    Days,
    Hours,
    Minutes,
}

/// The longest offset accepted (a reminder a season ahead is not a reminder).
pub const MAX_OFFSET_DAYS: u32 = 90;

impl Offset {
    pub const fn days(amount: u32) -> Offset {
        Offset {
            amount,
            unit: OffsetUnit::Days,
        }
    }

    pub const fn hours(amount: u32) -> Offset {
        Offset {
            amount,
            unit: OffsetUnit::Hours,
        }
    }

    pub const fn minutes(amount: u32) -> Offset {
        Offset {
            amount,
            unit: OffsetUnit::Minutes,
        }
    }

    /// The defaults: 7 days, 1 day and 2 hours before.
    pub fn defaults() -> Vec<Offset> {
        vec![Offset::days(7), Offset::days(1), Offset::hours(2)]
    }

    fn span(self) -> Span {
        let n = i64::from(self.amount);
        match self.unit {
            OffsetUnit::Days => Span::new().days(n),
            OffsetUnit::Hours => Span::new().hours(n),
            OffsetUnit::Minutes => Span::new().minutes(n),
        }
    }

    /// Rough length, only for ordering offsets from the earliest reminder to the latest.
    pub fn approx_seconds(self) -> i64 {
        i64::from(self.amount)
            * match self.unit {
                OffsetUnit::Days => 86_400,
                OffsetUnit::Hours => 3600,
                OffsetUnit::Minutes => 60,
            }
    }

    /// The moment of the reminder for `deadline`, computed in Europe/Rome.
    pub fn before(self, deadline: &DeadlineAt) -> Timestamp {
        let anchor = deadline.reminder_anchor();
        anchor
            .checked_sub(self.span())
            .map(|z| z.timestamp())
            // Only reachable near the end of jiff's range: fall back to elapsed time.
            .unwrap_or_else(|_| {
                Timestamp::from_second(anchor.timestamp().as_second() - self.approx_seconds())
                    .unwrap_or(Timestamp::MIN)
            })
    }
}

impl fmt::Display for Offset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let u = match self.unit {
            OffsetUnit::Days => 'd',
            OffsetUnit::Hours => 'h',
            OffsetUnit::Minutes => 'm',
        };
        write!(f, "{}{u}", self.amount)
    }
}

impl FromStr for Offset {
    type Err = String;

    /// `7d`, `1d`, `2h`, `30m`.
    fn from_str(s: &str) -> Result<Offset, String> {
        let s = s.trim();
        let bad = || format!("«{s}» is not an offset: write e.g. \"7d\", \"2h\" or \"30m\"");
        let unit = match s.chars().last() {
            Some('d') => OffsetUnit::Days,
            Some('h') => OffsetUnit::Hours,
            Some('m') => OffsetUnit::Minutes,
            _ => return Err(bad()),
        };
        let amount: u32 = s[..s.len() - 1].parse().map_err(|_| bad())?;
        let o = Offset { amount, unit };
        if amount == 0 {
            return Err(format!("offset «{s}» must be positive"));
        }
        if o.approx_seconds() > i64::from(MAX_OFFSET_DAYS) * 86_400 {
            return Err(format!(
                "offset «{s}» is longer than {MAX_OFFSET_DAYS} days"
            ));
        }
        Ok(o)
    }
}

/// Sorts offsets from the earliest reminder (longest offset) to the latest, without repeats.
pub fn normalise(mut offsets: Vec<Offset>) -> Vec<Offset> {
    offsets.sort_by_key(|o| std::cmp::Reverse(o.approx_seconds()));
    // "2d" and "48h" differ across a time change: only exact repeats go.
    let mut seen = Vec::new();
    offsets.retain(|o| {
        let new = !seen.contains(o);
        seen.push(*o);
        new
    });
    offsets
}

/// A user following a call's deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub user: UserId,
    pub call: CallId,
    /// The deadline as it was when the user subscribed (or was last told of a change).
    pub deadline: DeadlineAt,
    /// Reminders due before this moment are not planned: subscribing three days ahead
    /// does not produce an immediate "seven days left" message.
    pub planned_from: Timestamp,
}

impl Subscription {
    /// The instant applications close.
    pub fn closes_at(&self) -> Timestamp {
        self.deadline.closes_at().timestamp()
    }
}

/// What a queued message is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// The reminder at `offset` before the deadline.
    Reminder { offset: Offset },
    /// The deadline moved from `from` to the subscription's (new) deadline.
    Moved { from: DeadlineAt },
    /// The subscription ended because the deadline is no longer usable.
    Ended { from: DeadlineAt, why: EndReason },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EndReason {
    /// The sources no longer state a deadline.
    Unknown,
    /// The deadline moved to a moment already past.
    Closed,
    /// The call left the knowledge pack.
    Gone,
}

/// One message to send: its identity is (user, call, deadline instant, kind), so a moved
/// deadline gives new reminders and the old ones no longer match any subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Planned {
    pub user: UserId,
    pub call: CallId,
    /// The deadline the message speaks of (for `Ended`, the one that was followed).
    pub deadline: DeadlineAt,
    pub kind: Kind,
    pub due: Timestamp,
}

impl Planned {
    /// The identity bytes: user, call, deadline instant, kind.
    pub fn identity(&self) -> Vec<u8> {
        let mut k = self.user.key().to_vec();
        k.extend_from_slice(self.call.0.as_bytes());
        k.push(0);
        let closes = self.deadline.closes_at().timestamp().as_second();
        k.extend_from_slice(&closes.to_be_bytes());
        match &self.kind {
            Kind::Reminder { offset } => k.extend_from_slice(format!("r{offset}").as_bytes()),
            Kind::Moved { from } => {
                k.extend_from_slice(b"m");
                k.extend_from_slice(&from.closes_at().timestamp().as_second().to_be_bytes());
            }
            Kind::Ended { .. } => k.extend_from_slice(b"e"),
        }
        k
    }

    /// The queue key: due second (big-endian, so the queue is in time order), then identity.
    pub fn queue_key(&self) -> Vec<u8> {
        let mut k = (self.due.as_second().max(0) as u64).to_be_bytes().to_vec();
        k.extend(self.identity());
        k
    }
}

/// The reminders of one subscription: one per offset whose moment is after
/// `planned_from`, earliest first.
pub fn plan(sub: &Subscription, offsets: &[Offset]) -> Vec<Planned> {
    let mut out: Vec<Planned> = offsets
        .iter()
        .map(|&offset| Planned {
            user: sub.user,
            call: sub.call.clone(),
            deadline: sub.deadline,
            kind: Kind::Reminder { offset },
            due: offset.before(&sub.deadline),
        })
        .filter(|p| p.due >= sub.planned_from)
        .collect();
    out.sort_by_key(|p| p.due);
    out
}

/// What to do with a queued item at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Its moment has not come.
    Wait,
    Send,
    /// The deadline is past: a reminder would be useless.
    Expired,
    /// A later reminder of the same subscription is also due (after downtime): only the
    /// latest is sent, so the user gets one message saying the real time left.
    Superseded,
    /// It no longer matches the subscription (unsubscribed, deadline moved, offsets
    /// changed in the configuration).
    Obsolete,
}

/// Decides about `item` given the user's current subscription to its call.
pub fn decide(
    item: &Planned,
    sub: Option<&Subscription>,
    offsets: &[Offset],
    now: Timestamp,
) -> Decision {
    if item.due > now {
        return Decision::Wait;
    }
    match &item.kind {
        // The subscription is already gone: the notice stands on its own.
        Kind::Ended { .. } => Decision::Send,
        Kind::Moved { .. } => match sub {
            Some(s) if s.deadline == item.deadline => Decision::Send,
            _ => Decision::Obsolete,
        },
        Kind::Reminder { offset } => {
            let Some(s) = sub.filter(|s| s.deadline == item.deadline) else {
                return Decision::Obsolete;
            };
            if !offsets.contains(offset) {
                return Decision::Obsolete;
            }
            if s.closes_at() <= now {
                return Decision::Expired;
            }
            if plan(s, offsets)
                .iter()
                .any(|p| p.due > item.due && p.due <= now)
            {
                return Decision::Superseded;
            }
            Decision::Send
        }
    }
}

/// How a subscription's deadline compares with the knowledge in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Moved to a deadline still ahead: follow it.
    Moved { to: DeadlineAt },
    /// The subscription ends (the deadline is unknown, past, or the call is gone).
    Ended(EndReason),
    /// The deadline passed as planned: the subscription is done, no message.
    Finished,
}

/// Compares a subscription with the current deadline of its call (`None` with `gone`
/// when the call left the pack).
pub fn change(
    sub: &Subscription,
    current: Option<DeadlineAt>,
    gone: bool,
    now: Timestamp,
) -> Option<Change> {
    match current {
        _ if gone => Some(Change::Ended(EndReason::Gone)),
        None => Some(Change::Ended(EndReason::Unknown)),
        Some(at) if at == sub.deadline => (sub.closes_at() <= now).then_some(Change::Finished),
        Some(at) if at.closes_at().timestamp() <= now => {
            // Moved but already past: if the old one is past too, nothing to tell.
            if sub.closes_at() <= now {
                Some(Change::Finished)
            } else {
                Some(Change::Ended(EndReason::Closed))
            }
        }
        Some(to) => Some(Change::Moved { to }),
    }
}

/// The schedule at `now`: which reminders of `subs` are due and should be sent, given the
/// current deadlines. `deadline_of` returns `(deadline, gone)` for a call.
pub fn due(
    subs: &[Subscription],
    deadline_of: &dyn Fn(&CallId) -> (Option<DeadlineAt>, bool),
    offsets: &[Offset],
    now: Timestamp,
) -> Vec<Planned> {
    let mut out = Vec::new();
    for s in subs {
        let (current, gone) = deadline_of(&s.call);
        if change(s, current, gone, now).is_some() {
            continue;
        }
        for p in plan(s, offsets) {
            if decide(&p, Some(s), offsets, now) == Decision::Send {
                out.push(p);
            }
        }
    }
    out.sort_by_key(|p| p.due);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn sub(at: &str, from: &str) -> Subscription {
        Subscription {
            user: UserId(7),
            call: CallId("prova".into()),
            deadline: DeadlineAt::parse(at).unwrap(),
            planned_from: ts(from),
        }
    }

    #[test]
    fn offsets_parse_and_reject_nonsense() {
        assert_eq!("7d".parse::<Offset>(), Ok(Offset::days(7)));
        assert_eq!(" 2h".parse::<Offset>(), Ok(Offset::hours(2)));
        assert_eq!("30m".parse::<Offset>(), Ok(Offset::minutes(30)));
        for bad in [
            "",
            "d",
            "0d",
            "7",
            "7w",
            "-1d",
            "1.5h",
            "91d",
            "🙂",
            "9999999999h",
        ] {
            assert!(bad.parse::<Offset>().is_err(), "{bad}");
        }
        assert_eq!(Offset::days(7).to_string(), "7d");
        assert_eq!(
            normalise(vec![
                Offset::hours(2),
                Offset::days(7),
                Offset::hours(2),
                Offset::days(2)
            ]),
            vec![Offset::days(7), Offset::days(2), Offset::hours(2)]
        );
    }

    #[test]
    fn each_default_offset_in_summer() {
        // 12:00 CEST = 10:00Z, no time change within the week before.
        let s = sub("2026-06-15T12:00", "2026-01-01T00:00Z");
        let p = plan(&s, &Offset::defaults());
        let dues: Vec<String> = p.iter().map(|p| p.due.to_string()).collect();
        assert_eq!(
            dues,
            [
                "2026-06-08T10:00:00Z",
                "2026-06-14T10:00:00Z",
                "2026-06-15T08:00:00Z"
            ]
        );
    }

    #[test]
    fn a_date_without_time_counts_back_from_the_start_of_the_day() {
        let s = sub("2026-06-15", "2026-01-01T00:00Z");
        let p = plan(&s, &[Offset::days(1)]);
        // Midnight of 14/06 in Rome is 22:00Z on 13/06.
        assert_eq!(p[0].due, ts("2026-06-13T22:00:00Z"));
    }

    #[test]
    fn spring_time_change_keeps_wall_clock_for_days_and_elapsed_time_for_hours() {
        // Clocks go forward on Sunday 29/03/2026 at 02:00 (CET → CEST).
        let s = sub("2026-03-30T12:00", "2026-01-01T00:00Z");
        let p = plan(&s, &Offset::defaults());
        assert_eq!(p[0].due, ts("2026-03-23T11:00:00Z")); // 12:00 CET
        assert_eq!(p[1].due, ts("2026-03-29T10:00:00Z")); // 12:00 CEST
        assert_eq!(p[2].due, ts("2026-03-30T08:00:00Z")); // 10:00 CEST
        // A deadline right after the jump: 2 hours of real time are 3 on the wall clock.
        let early = sub("2026-03-29T04:00", "2026-01-01T00:00Z");
        let p = plan(&early, &[Offset::hours(2), Offset::days(1)]);
        assert_eq!(p[1].due, ts("2026-03-29T00:00:00Z")); // 01:00 CET
        assert_eq!(p[0].due, ts("2026-03-28T03:00:00Z")); // 04:00 CET the day before
        assert_eq!(p[1].due.to_zoned(crate::deadline::rome()).hour(), 1);
    }

    #[test]
    fn autumn_time_change() {
        // Clocks go back on Sunday 25/10/2026 at 03:00 (CEST → CET).
        let s = sub("2026-10-26T12:00", "2026-01-01T00:00Z");
        let p = plan(&s, &Offset::defaults());
        assert_eq!(p[0].due, ts("2026-10-19T10:00:00Z")); // 12:00 CEST
        assert_eq!(p[1].due, ts("2026-10-25T11:00:00Z")); // 12:00 CET
        assert_eq!(p[2].due, ts("2026-10-26T09:00:00Z")); // 10:00 CET
        // A deadline in the repeated hour's morning: 2 h before 03:30 (CET) is 02:30 CEST.
        let s = sub("2026-10-25T03:30", "2026-01-01T00:00Z");
        let p = plan(&s, &[Offset::hours(2)]);
        assert_eq!(p[0].due, ts("2026-10-25T00:30:00Z"));
    }

    #[test]
    fn reminders_before_subscribing_are_not_planned() {
        let s = sub("2026-06-15T12:00", "2026-06-10T00:00Z");
        let p = plan(&s, &Offset::defaults());
        assert_eq!(p.len(), 2);
        assert!(p.iter().all(|p| p.kind
            != Kind::Reminder {
                offset: Offset::days(7)
            }));
    }

    #[test]
    fn catch_up_sends_only_the_latest_due_and_nothing_after_the_deadline() {
        let s = sub("2026-06-15T12:00", "2026-01-01T00:00Z");
        let offs = Offset::defaults();
        let p = plan(&s, &offs);
        // Down from before the 7-day reminder until after the 1-day one.
        let now = ts("2026-06-14T18:00:00Z");
        assert_eq!(decide(&p[0], Some(&s), &offs, now), Decision::Superseded);
        assert_eq!(decide(&p[1], Some(&s), &offs, now), Decision::Send);
        assert_eq!(decide(&p[2], Some(&s), &offs, now), Decision::Wait);
        let late = ts("2026-06-15T10:00:01Z");
        assert_eq!(decide(&p[2], Some(&s), &offs, late), Decision::Expired);
        let only = due(
            std::slice::from_ref(&s),
            &|_| (Some(s.deadline), false),
            &offs,
            now,
        );
        assert_eq!(only, vec![p[1].clone()]);
    }

    #[test]
    fn a_moved_deadline_obsoletes_old_reminders_and_plans_new_ones() {
        let old = sub("2026-06-15T12:00", "2026-01-01T00:00Z");
        let offs = Offset::defaults();
        let old_plan = plan(&old, &offs);
        let to = DeadlineAt::parse("2026-07-01T12:00").unwrap();
        let now = ts("2026-06-01T00:00:00Z");
        assert_eq!(
            change(&old, Some(to), false, now),
            Some(Change::Moved { to })
        );
        let moved = Subscription {
            deadline: to,
            planned_from: now,
            ..old.clone()
        };
        let later = ts("2026-06-09T00:00:00Z");
        assert_eq!(
            decide(&old_plan[0], Some(&moved), &offs, later),
            Decision::Obsolete
        );
        let new_plan = plan(&moved, &offs);
        assert!(
            new_plan
                .iter()
                .all(|n| old_plan.iter().all(|o| o.identity() != n.identity()))
        );
        assert_eq!(new_plan[0].due, ts("2026-06-24T10:00:00Z"));
        assert_eq!(
            change(&old, None, false, now),
            Some(Change::Ended(EndReason::Unknown))
        );
        assert_eq!(
            change(&old, Some(to), true, now),
            Some(Change::Ended(EndReason::Gone))
        );
        let past = DeadlineAt::parse("2026-05-01T12:00").unwrap();
        assert_eq!(
            change(&old, Some(past), false, now),
            Some(Change::Ended(EndReason::Closed))
        );
        assert_eq!(change(&old, Some(old.deadline), false, now), None);
        assert_eq!(
            change(&old, Some(old.deadline), false, ts("2026-07-01T00:00:00Z")),
            Some(Change::Finished)
        );
    }

    #[test]
    fn queue_keys_sort_by_due_time_first() {
        let a = sub("2026-06-15T12:00", "2026-01-01T00:00Z");
        let mut b = a.clone();
        b.user = UserId(-5);
        b.deadline = DeadlineAt::parse("2026-06-16T12:00").unwrap();
        let pa = plan(&a, &[Offset::days(1)]);
        let pb = plan(&b, &[Offset::days(1)]);
        assert!(pa[0].queue_key() < pb[0].queue_key());
    }
}
