//! What an update did that the metrics count (answers by kind, checks, reminders
//! queued), gathered from the engine's effects and counted only once the update is
//! committed: an update run again after a conflict is counted once.

use jiff::Timestamp;

use crate::dialogue::Effect;
use crate::ops::metrics;
use crate::schedule::Subscription;
use crate::store::UserId;

/// What an update did that the metrics count, counted once it is committed (an update
/// run again after a conflict is counted once).
#[derive(Debug, Default)]
pub(super) struct Seen {
    answers: Vec<&'static str>,
    checks_started: u64,
    checks_finished: Vec<&'static str>,
    reminders_queued: u64,
}

impl Seen {
    pub(super) fn of(
        effects: &[Effect],
        user: UserId,
        now: Timestamp,
        offsets: &[crate::schedule::Offset],
    ) -> Seen {
        use crate::dialogue::Answered;
        use crate::eligibility::Verdict;
        let mut seen = Seen::default();
        for e in effects {
            match e {
                Effect::Asked { answer, .. } => seen.answers.push(match answer {
                    Answered::Direct { .. } => "direct",
                    Answered::Menu { .. } => "menu",
                    Answered::WhichCall { .. } => "which_call",
                    Answered::Routed { .. } => "routed",
                    Answered::Nothing => "not_found",
                }),
                Effect::HandOver { .. } => seen.answers.push("handed_over"),
                Effect::CheckStarted { .. } => seen.checks_started += 1,
                Effect::CheckFinished { verdict, .. } => seen.checks_finished.push(match verdict {
                    Some(Verdict::Eligible) => "eligible",
                    Some(Verdict::NotEligible) => "not_eligible",
                    Some(Verdict::ToVerify) => "to_verify",
                    None => "profile",
                }),
                Effect::Subscribe { call, deadline } => {
                    let sub = Subscription {
                        user,
                        call: call.clone(),
                        deadline: *deadline,
                        planned_from: now,
                    };
                    seen.reminders_queued += crate::schedule::plan(&sub, offsets).len() as u64;
                }
                _ => {}
            }
        }
        seen
    }

    /// Counts it, and names the answer in the update's span (see `telegram::observe`).
    pub(super) fn record(self) {
        for a in &self.answers {
            metrics::answer(a);
        }
        if let Some(a) = self.answers.first() {
            tracing::Span::current().record("answer", *a);
        }
        for _ in 0..self.checks_started {
            metrics::check_started();
        }
        for v in self.checks_finished {
            metrics::check_finished(v);
        }
        if self.reminders_queued > 0 {
            metrics::reminders_queued(self.reminders_queued);
        }
    }
}
