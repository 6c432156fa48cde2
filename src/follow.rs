//! Following a call (pure): what a follower was last told about it ([`CallFacts`]), how
//! that compares with the knowledge in force ([`changes`]), and the notice that says what
//! changed, from what to what, with the source ([`notice`]).
//!
//! A follower's stored facts are the state of the comparison: a load (start, `/ricarica`)
//! compares each follower's facts with the call as the pack now describes it, and the
//! notice is stored with the new facts in one atomic step, so each change is told once
//! per follower, and a restart between the change and the notice loses nothing (the old
//! facts are still stored, the comparison is made again).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::action::Action;
use crate::eligibility::{Answers, Questionnaire, Verdict};
use crate::knowledge::{Call, CallId, CallKind, CallStatus, DeadlineAt, Knowledge};
use crate::reply::{Button, Reply};
use crate::text::Texts;

/// What a follower knows of a call: as it was when they started following it, or when
/// they were last told of a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallFacts {
    /// False once the call left the pack.
    pub exists: bool,
    pub status: Status,
    /// The deadline, when the sources state it.
    pub deadline: Option<DeadlineAt>,
    /// The official page, as "title (site)".
    pub page: Option<String>,
}

/// [`CallStatus`] in a stored form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Open,
    Unknown,
    Closed,
}

impl From<CallStatus> for Status {
    fn from(s: CallStatus) -> Status {
        match s {
            CallStatus::Open => Status::Open,
            CallStatus::Unknown => Status::Unknown,
            CallStatus::Closed => Status::Closed,
        }
    }
}

impl CallFacts {
    /// The facts of `call` at `now` (`None`: the call is not in the pack).
    pub fn of(call: Option<&Call>, now: Timestamp) -> CallFacts {
        match call {
            None => CallFacts {
                exists: false,
                status: Status::Unknown,
                deadline: None,
                page: None,
            },
            Some(c) => CallFacts {
                exists: true,
                status: c.status(now).into(),
                deadline: c.deadline.as_ref().and_then(|d| d.known()),
                page: c
                    .official_page
                    .as_ref()
                    .map(|p| format!("«{}» ({})", p.title, p.site)),
            },
        }
    }
}

/// A check result the user chose to keep («💾 Tieni il risultato»): the answers, and the
/// outcome as last told. Each load evaluates the answers again with the questionnaire in
/// force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeptVerdict {
    pub questionnaire: String,
    pub answers: Answers,
    pub verdict: Outcome,
    /// The rules that gave it (their ids), as last told.
    pub rules: Vec<String>,
    /// Their reasons, as last told (a rule reworded is a changed reason).
    #[serde(default)]
    pub reasons: Vec<String>,
    /// The user was already invited to answer a question added since (told once).
    #[serde(default)]
    pub invited: bool,
}

/// [`Verdict`] in a stored form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Eligible,
    ToVerify,
    NotEligible,
}

impl From<Verdict> for Outcome {
    fn from(v: Verdict) -> Outcome {
        match v {
            Verdict::Eligible => Outcome::Eligible,
            Verdict::ToVerify => Outcome::ToVerify,
            Verdict::NotEligible => Outcome::NotEligible,
        }
    }
}

impl KeptVerdict {
    /// The result of `q` with `answers`, as kept now.
    pub fn of(q: &Questionnaire, answers: &Answers) -> KeptVerdict {
        let ev = q.evaluate(answers);
        KeptVerdict {
            questionnaire: q.id.clone(),
            answers: answers.clone(),
            verdict: ev.verdict.into(),
            rules: ev.fired.iter().map(|r| r.id.clone()).collect(),
            reasons: ev.fired.iter().map(|r| r.reason.clone()).collect(),
            invited: false,
        }
    }
}

/// What evaluating a kept result again found.
#[derive(Debug, Clone, PartialEq)]
pub enum Recheck {
    Same,
    /// The outcome or its reasons changed: the new result to keep.
    Changed(KeptVerdict),
    /// The questionnaire now asks something the user never answered: no verdict is
    /// guessed; the user is invited to complete the check (once).
    Incomplete,
}

/// Evaluates `kept` again with `q` (the questionnaire in force).
pub fn recheck(q: &Questionnaire, kept: &KeptVerdict) -> Recheck {
    if q.next_question(&kept.answers).is_some() {
        return if kept.invited {
            Recheck::Same
        } else {
            Recheck::Incomplete
        };
    }
    let now = KeptVerdict::of(q, &kept.answers);
    if now.verdict == kept.verdict && now.rules == kept.rules && now.reasons == kept.reasons {
        Recheck::Same
    } else {
        Recheck::Changed(now)
    }
}

/// The notice of a kept result that changed: the outcome before and now, the reasons
/// with their citations, a button to see the call; or the invitation to complete it.
pub fn verdict_notice(
    tx: &Texts,
    k: &Knowledge,
    call: &CallId,
    name: &str,
    q: &Questionnaire,
    before: &KeptVerdict,
    found: &Recheck,
) -> Option<Reply> {
    let word = |o: Outcome| {
        tx.s(
            match o {
                Outcome::Eligible => "follow.verdict.eligible",
                Outcome::ToVerify => "follow.verdict.to_verify",
                Outcome::NotEligible => "follow.verdict.not_eligible",
            },
            &[],
        )
    };
    let mut rows = vec![vec![Button {
        label: tx.s("follow.button.card", &[]),
        data: Action::Call(call.clone()).encode(),
    }]];
    let text = match found {
        Recheck::Same => return None,
        Recheck::Incomplete => {
            rows.insert(
                0,
                vec![Button {
                    label: tx.s("follow.button.complete", &[]),
                    data: Action::EligibilityStart(q.id.clone()).encode(),
                }],
            );
            tx.t("follow.verdict.incomplete", &[("call", name)])
        }
        Recheck::Changed(now) => {
            let mut t = tx.t(
                "follow.verdict.changed",
                &[
                    ("call", name),
                    ("from", &word(before.verdict)),
                    ("to", &word(now.verdict)),
                ],
            );
            t.para().append(tx.t("follow.verdict.why", &[]));
            for id in &now.rules {
                if let Some(r) = q.rules.iter().find(|r| &r.id == id) {
                    let cite = k
                        .call(&r.cite.call.0)
                        .and_then(|c| {
                            let s = c.sections.iter().find(|s| s.id == r.cite.section)?;
                            Some(tx.s("check.cite", &[("call", &c.short), ("section", &s.title)]))
                        })
                        .unwrap_or_else(|| format!("{}#{}", r.cite.call, r.cite.section));
                    t.line()
                        .text(format!("• {} ", r.reason))
                        .italic(format!("({cite})"));
                }
            }
            t.para().append(tx.t("check.disclaimer", &[]));
            t
        }
    };
    Some(Reply::new(text).with_buttons(rows))
}

/// Whether a call can be followed: one that is open, announced or whose deadline is not
/// known (a closed call has nothing left to tell; a strategy is followed through its
/// calls).
pub fn followable(c: &Call, now: Timestamp) -> bool {
    c.kind != CallKind::Strategy && c.status(now) != CallStatus::Closed
}

/// One thing that changed for a follower.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The sources now give a deadline.
    Published {
        to: DeadlineAt,
    },
    Moved {
        from: DeadlineAt,
        to: DeadlineAt,
    },
    /// The sources no longer give the deadline.
    Withdrawn {
        from: DeadlineAt,
    },
    Status {
        from: Status,
        to: Status,
    },
    Page {
        from: Option<String>,
        to: Option<String>,
    },
    /// The call left the pack.
    Gone,
}

/// What changed between what a follower was told (`seen`) and the facts now.
pub fn changes(seen: &CallFacts, now: &CallFacts) -> Vec<Change> {
    if seen.exists && !now.exists {
        return vec![Change::Gone];
    }
    let mut out = Vec::new();
    match (seen.deadline, now.deadline) {
        (None, Some(to)) => out.push(Change::Published { to }),
        (Some(from), Some(to)) if from != to => out.push(Change::Moved { from, to }),
        (Some(from), None) => out.push(Change::Withdrawn { from }),
        _ => {}
    }
    if seen.status != now.status {
        out.push(Change::Status {
            from: seen.status,
            to: now.status,
        });
    }
    if seen.page != now.page {
        out.push(Change::Page {
            from: seen.page.clone(),
            to: now.page.clone(),
        });
    }
    out
}

fn status_word(tx: &Texts, s: Status) -> String {
    tx.s(
        match s {
            Status::Open => "follow.status.open",
            Status::Unknown => "follow.status.unknown",
            Status::Closed => "follow.status.closed",
        },
        &[],
    )
}

/// The notice of `changes` for `call` (its short name and source): one line per change,
/// from what to what, then the source; buttons to the call's card and to stop following.
/// `planned`: the reminders now planned for a published deadline, in words.
pub fn notice(
    tx: &Texts,
    call: &CallId,
    name: &str,
    source: Option<&str>,
    changes: &[Change],
    planned: Option<&str>,
) -> Reply {
    let mut text = tx.t("follow.notice.title", &[("call", name)]);
    let none = tx.s("follow.none", &[]);
    for c in changes {
        let line = match c {
            Change::Published { to } => tx.t("follow.notice.published", &[("date", &to.italian())]),
            Change::Moved { from, to } => tx.t(
                "follow.notice.moved",
                &[("from", &from.italian()), ("date", &to.italian())],
            ),
            Change::Withdrawn { from } => {
                tx.t("follow.notice.withdrawn", &[("from", &from.italian())])
            }
            Change::Status { from, to } => tx.t(
                "follow.notice.status",
                &[
                    ("from", &status_word(tx, *from)),
                    ("to", &status_word(tx, *to)),
                ],
            ),
            Change::Page { from, to } => tx.t(
                "follow.notice.page",
                &[
                    ("from", from.as_deref().unwrap_or(&none)),
                    ("to", to.as_deref().unwrap_or(&none)),
                ],
            ),
            Change::Gone => tx.t("follow.notice.gone", &[]),
        };
        text.line().text("• ").append(line);
    }
    if let Some(p) = planned {
        text.para()
            .append(tx.t("follow.notice.planned", &[("offsets", p)]));
    }
    if let Some(s) = source {
        text.para()
            .append(tx.t("follow.notice.source", &[("source", s)]));
    }
    let gone = changes.contains(&Change::Gone);
    let mut rows: Vec<Vec<Button>> = Vec::new();
    if !gone {
        rows.push(vec![Button {
            label: tx.s("follow.button.card", &[]),
            data: Action::Call(call.clone()).encode(),
        }]);
        rows.push(vec![Button {
            label: tx.s("follow.button.stop", &[("call", name)]),
            data: Action::Unfollow(call.clone()).encode(),
        }]);
    }
    Reply::new(text).with_buttons(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(deadline: Option<&str>, status: Status, page: &str) -> CallFacts {
        CallFacts {
            exists: true,
            status,
            deadline: deadline.map(|d| DeadlineAt::parse(d).unwrap()),
            page: Some(page.into()),
        }
    }

    #[test]
    fn each_difference_is_one_change_from_what_to_what() {
        let a = facts(None, Status::Open, "p");
        assert!(changes(&a, &a).is_empty());
        let b = facts(Some("2027-01-31"), Status::Open, "p");
        assert_eq!(
            changes(&a, &b),
            [Change::Published {
                to: DeadlineAt::parse("2027-01-31").unwrap()
            }]
        );
        let c = facts(Some("2027-02-28"), Status::Open, "q");
        assert_eq!(changes(&b, &c).len(), 2);
        let d = facts(None, Status::Unknown, "q");
        assert_eq!(
            changes(&c, &d),
            [
                Change::Withdrawn {
                    from: DeadlineAt::parse("2027-02-28").unwrap()
                },
                Change::Status {
                    from: Status::Open,
                    to: Status::Unknown
                }
            ]
        );
        let gone = CallFacts::of(None, Timestamp::UNIX_EPOCH);
        assert_eq!(changes(&d, &gone), [Change::Gone]);
        assert!(changes(&gone, &gone).is_empty());
    }
}
