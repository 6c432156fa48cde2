//! Profile alerts in the dialogue: «Avvisami se esce un bando adatto a me» at the end of
//! «Quali bandi fanno per me?» and of a check, the consent it records, the stop button in
//! `/promemoria`, and (pure, for the app) what a load finds for a stored profile and the
//! notice that tells it, with the same reasons as the profile match.
//!
//! The profile kept is a set of answers to the profile questionnaire: those the user gave
//! to it, or, after a check of a call, the answers of the check that say the same thing
//! (questions with the same profile fact, e.g. «Chi sei?» and «Dove operi?»). A check
//! that says nothing of who the user is offers no alert (no call could ever fit it).
//! The tap is the consent: nothing is stored before it, and the reply says so.

use jiff::Timestamp;

use super::eligibility::applicant_name;
use super::{Effect, Engine, Outcome, UserView, button, deadline_brief, short_label};
use crate::action::Action;
use crate::eligibility::{Answer, Answers, ProfileField, Questionnaire, Target};
use crate::knowledge::{Call, CallId, CallStatus, Knowledge};
use crate::reply::{Button, Reply, Rich};
use crate::text::Texts;

/// The profile questionnaire of the pack («Quali bandi fanno per me?»).
pub fn profile_questionnaire(k: &Knowledge) -> Option<&Questionnaire> {
    k.questionnaires
        .iter()
        .find(|q| q.target == Target::Profile)
}

/// The answers to keep for profile alerts after `check` was answered with `answers`:
/// the profile questionnaire's id and its answers, or `None` when they do not say who
/// the user is.
pub fn profile_answers(
    k: &Knowledge,
    check: &Questionnaire,
    answers: &Answers,
) -> Option<(String, Answers)> {
    let profile = profile_questionnaire(k)?;
    let kept: Answers = if check.id == profile.id {
        answers.clone()
    } else {
        profile
            .questions
            .iter()
            .filter_map(|pq| {
                let fact = pq.fact?;
                // What the check's answer to the same fact stands for.
                let values: Vec<String> = check
                    .questions
                    .iter()
                    .filter(|cq| cq.fact == Some(fact))
                    .find_map(|cq| {
                        let (_, a) = answers.iter().find(|(id, _)| *id == cq.id)?;
                        match a {
                            Answer::Choice(c) => {
                                Some(cq.options.iter().find(|o| &o.id == c)?.facts.clone())
                            }
                            Answer::Bool(b) => Some(vec![if *b { "si" } else { "no" }.into()]),
                            _ => None,
                        }
                    })?;
                // One option of the profile question, and one only, says the same.
                let mut same = pq
                    .options
                    .iter()
                    .filter(|o| o.facts.iter().any(|f| values.contains(f)));
                match (same.next(), same.next()) {
                    (Some(o), None) => Some((pq.id.clone(), Answer::Choice(o.id.clone()))),
                    _ => None,
                }
            })
            .collect()
    };
    let says_who = profile.questions.iter().any(|q| {
        q.matches == Some(ProfileField::Applicants) && kept.iter().any(|(id, _)| *id == q.id)
    });
    says_who.then(|| (profile.id.clone(), kept))
}

/// The ids of every call in the pack: what a profile is compared with from now on.
pub fn call_ids(k: &Knowledge) -> Vec<CallId> {
    k.calls.iter().map(|c| c.id.clone()).collect()
}

/// What a load found for a stored profile.
#[derive(Debug, Clone, PartialEq)]
pub struct News<'k> {
    /// New calls the profile fits, still open or of unknown status (a call already
    /// closed has nothing to apply for).
    pub fit: Vec<&'k Call>,
    /// Every call of the pack: the profile's new list of calls seen.
    pub seen: Vec<CallId>,
}

/// The calls of `k` not in `seen` that the profile (`questionnaire`, `answers`) fits at
/// `now`; `None` when no call is new (nothing to store, nothing to tell).
pub fn news<'k>(
    k: &'k Knowledge,
    questionnaire: &str,
    answers: &Answers,
    seen: &[CallId],
    now: Timestamp,
) -> Option<News<'k>> {
    let new: Vec<&CallId> = k
        .calls
        .iter()
        .map(|c| &c.id)
        .filter(|id| !seen.contains(id))
        .collect();
    if new.is_empty() {
        return None;
    }
    let fit = k
        .questionnaire(questionnaire)
        .filter(|q| q.target == Target::Profile)
        .map(|q| q.match_profile(answers, &k.calls).fit)
        .unwrap_or_default()
        .into_iter()
        .filter(|c| new.contains(&&c.id) && c.status(now) != CallStatus::Closed)
        .collect();
    Some(News {
        fit,
        seen: call_ids(k),
    })
}

/// The profile in words: «Chi sei: Una PMI; Dove operi: In Piemonte».
fn profile_words(tx: &Texts, q: &Questionnaire, answers: &Answers) -> String {
    let yes = tx.s("check.yes", &[]);
    let no = tx.s("check.no", &[]);
    let skipped = tx.s("check.skipped", &[]);
    answers
        .iter()
        .filter_map(|(id, a)| {
            let question = q.question(id)?;
            Some(format!(
                "{}: {}",
                question.label,
                question.show(a, &yes, &no, &skipped, tx.lang)
            ))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The notice of new calls that fit a profile, in `k`'s language (`k`: the pack as the
/// user reads it): each call with who may apply and where, as the profile match says it,
/// and its deadline; why the user hears of it; buttons to each card and to stop.
pub fn notice(
    tx: &Texts,
    k: &Knowledge,
    questionnaire: &str,
    answers: &Answers,
    calls: &[CallId],
    now: Timestamp,
) -> Option<Reply> {
    let calls: Vec<&Call> = calls.iter().filter_map(|id| k.call(&id.0)).collect();
    if calls.is_empty() {
        return None;
    }
    let mut text = tx.t(
        if calls.len() == 1 {
            "profile_alert.notice.title"
        } else {
            "profile_alert.notice.title_many"
        },
        &[],
    );
    let mut rows: Vec<Vec<Button>> = Vec::new();
    for c in &calls {
        let who: Vec<String> = c
            .applicants
            .iter()
            .map(|a| applicant_name(tx, *a))
            .collect();
        text.para().bold(&c.short).line().append(tx.t(
            "check.profile.why",
            &[
                ("who", &who.join(", ")),
                ("where", c.territory.as_deref().unwrap_or("-")),
            ],
        ));
        if let Some(d) = deadline_brief(tx, c, now) {
            text.line().append(d);
        }
        let mut row = vec![button(short_label(&c.short), Action::Call(c.id.clone()))];
        if let Some(q) = k.questionnaire_for(&c.id) {
            row.push(button(
                tx.s("profile_alert.button.check", &[]),
                Action::EligibilityStart(q.id.clone()),
            ));
        }
        rows.push(row);
    }
    if let Some(q) = k.questionnaire(questionnaire) {
        text.para().append(tx.t(
            "profile_alert.notice.why",
            &[("profile", &profile_words(tx, q, answers))],
        ));
    }
    text.para().append(tx.t("check.disclaimer", &[]));
    rows.push(vec![button(
        tx.s("profile_alert.button.stop", &[]),
        Action::ProfileAlertStop,
    )]);
    Some(Reply::new(text).with_buttons(rows))
}

impl Engine<'_> {
    /// «Avvisami se esce un bando adatto a me» under the final message of `q`, when its
    /// answers say who the user is.
    pub(super) fn profile_alert_row(
        &self,
        tx: &Texts,
        q: &Questionnaire,
        answers: &Answers,
    ) -> Option<Vec<Button>> {
        profile_answers(self.knowledge, q, answers).map(|_| {
            vec![button(
                tx.s("profile_alert.button.start", &[]),
                Action::ProfileAlert,
            )]
        })
    }

    /// The tap: the profile of the check just finished is kept (that is the consent),
    /// and compared with every call added from now on.
    pub(super) fn profile_alert(&self, out: &mut Outcome, tx: &Texts, view: &UserView) {
        let kept = out.session.last_check.as_ref().and_then(|c| {
            let q = self.knowledge.questionnaire(&c.questionnaire)?;
            profile_answers(self.knowledge, q, &c.answers)
        });
        let Some((questionnaire, answers)) = kept else {
            out.replies.push(Reply::new(tx.t("button.stale", &[])));
            return;
        };
        let words = self
            .knowledge
            .questionnaire(&questionnaire)
            .map(|q| profile_words(tx, q, &answers))
            .unwrap_or_default();
        out.effects.push(Effect::ProfileAlert {
            questionnaire,
            answers,
            seen: call_ids(self.knowledge),
        });
        let key = if view.profile_alert {
            "profile_alert.updated"
        } else {
            "profile_alert.done"
        };
        out.replies.push(
            Reply::new(tx.t(key, &[("profile", &words)])).with_buttons(vec![vec![button(
                tx.s("profile_alert.button.stop", &[]),
                Action::ProfileAlertStop,
            )]]),
        );
    }

    /// Stops profile alerts: the profile is forgotten.
    pub(super) fn profile_alert_stop(&self, out: &mut Outcome, tx: &Texts, view: &UserView) {
        if view.profile_alert {
            out.effects.push(Effect::ProfileAlertStop);
            out.replies
                .push(Reply::new(tx.t("profile_alert.stopped", &[])));
        } else {
            out.replies
                .push(Reply::new(tx.t("profile_alert.not_active", &[])));
        }
    }

    /// The part of `/promemoria` about profile alerts: on, with a stop button.
    pub(super) fn profile_alert_part(
        &self,
        tx: &Texts,
        text: &mut Rich,
        rows: &mut Vec<Vec<Button>>,
        view: &UserView,
    ) {
        if view.profile_alert {
            text.para().append(tx.t("profile_alert.yours", &[]));
            rows.push(vec![button(
                tx.s("profile_alert.button.stop", &[]),
                Action::ProfileAlertStop,
            )]);
        }
    }
}
