//! The end of a check: the answers, the verdict with its reasons and citations, what
//! would change a negative verdict, the call's deadline, next steps and the non-binding
//! label.

use jiff::Timestamp;

use super::{Progress, applicant_name};
use crate::action::Action;
use crate::dialogue::{
    Effect, Engine, FinishedCheck, Outcome, State, button, call_rank, short_label, status_group_key,
};
use crate::eligibility::{Questionnaire, Target, Verdict};
use crate::knowledge::{Call, CallKind, CallStatus};
use crate::reply::{Button, Reply, Rich};
use crate::text::Texts;

impl Engine<'_> {
    /// The final message: answers, verdict with reasons and citations, what would change a
    /// negative verdict, the call's deadline, next steps and the non-binding label.
    pub(super) fn finish(
        &self,
        out: &mut Outcome,
        tx: &Texts,
        q: &Questionnaire,
        p: &Progress,
        now: Timestamp,
    ) {
        out.session.state = State::Idle;
        out.session.last_check = Some(FinishedCheck {
            questionnaire: q.id.clone(),
            answers: p.answers.clone(),
        });
        let mut text = Rich::new();
        text.bold(&q.title)
            .para()
            .append(tx.t("check.summary", &[]));
        let yes = tx.s("check.yes", &[]);
        let no = tx.s("check.no", &[]);
        let skipped = tx.s("check.skipped", &[]);
        for (id, a) in &p.answers {
            if let Some(question) = q.question(id) {
                text.line()
                    .text(format!("• {}: ", question.label))
                    .text(question.show(a, &yes, &no, &skipped, tx.lang));
            }
        }
        let mut rows: Vec<Vec<Button>> = Vec::new();
        // A closed call is judged in the past tense, and its next steps lead to the open
        // calls: nobody should prepare an application that can no longer be sent.
        let mut closed = false;
        match &q.target {
            Target::Call(call_id) => {
                let ev = q.evaluate(&p.answers);
                out.effects.push(Effect::CheckFinished {
                    questionnaire: q.id.clone(),
                    verdict: Some(ev.verdict),
                });
                closed = self
                    .knowledge
                    .call(&call_id.0)
                    .is_some_and(|c| c.status(now) == CallStatus::Closed);
                let key = match (ev.verdict, closed) {
                    (Verdict::Eligible, false) => "check.verdict.eligible",
                    (Verdict::NotEligible, false) => "check.verdict.not_eligible",
                    (Verdict::ToVerify, false) => "check.verdict.to_verify",
                    (Verdict::Eligible, true) => "check.verdict.closed_eligible",
                    (Verdict::NotEligible, true) => "check.verdict.closed_not_eligible",
                    (Verdict::ToVerify, true) => "check.verdict.closed_to_verify",
                };
                text.para().append(tx.t(key, &[]));
                if !ev.fired.is_empty() {
                    text.para().append(tx.t("check.reasons", &[]));
                    for r in &ev.fired {
                        text.line()
                            .text(format!("• {} ", r.reason))
                            .italic(format!("({})", self.cite(tx, r)));
                    }
                }
                if ev.undecided && !closed {
                    text.para()
                        .append(tx.t("check.undecided", &[]))
                        .text(" ")
                        .append(self.help_pointer(tx));
                }
                let fixes: Vec<&str> = ev.fired.iter().filter_map(|r| r.fix.as_deref()).collect();
                if ev.verdict == Verdict::NotEligible && !fixes.is_empty() {
                    let key = if closed {
                        "check.fixes_closed"
                    } else {
                        "check.fixes"
                    };
                    text.para().append(tx.t(key, &[]));
                    for f in fixes {
                        text.line().text(format!("• {f}"));
                    }
                }
                if let Some(c) = self.knowledge.call(&call_id.0) {
                    if let Some(s) = self.deadline_status(tx, c, now) {
                        text.para().append(s);
                    }
                    rows.push(vec![button(
                        tx.s("button.call_card", &[("call", &c.short)]),
                        Action::Call(c.id.clone()),
                    )]);
                }
            }
            Target::Profile => {
                out.effects.push(Effect::CheckFinished {
                    questionnaire: q.id.clone(),
                    verdict: None,
                });
                let mut m = q.match_profile(&p.answers, &self.knowledge.calls);
                m.fit.sort_by_key(|c| (call_rank(c, now), c.short.clone()));
                if m.fit.is_empty() {
                    text.para().append(tx.t("check.profile.none", &[]));
                } else {
                    text.para().append(tx.t("check.profile.fit", &[]));
                    let mut group = None;
                    for c in &m.fit {
                        let rank = call_rank(c, now);
                        if group != Some(rank) {
                            group = Some(rank);
                            text.para().append(tx.t(status_group_key(rank), &[]));
                        }
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
                        if let Some(s) = self.deadline_status(tx, c, now) {
                            text.line().append(s);
                        }
                        let mut row =
                            vec![button(short_label(&c.short), Action::Call(c.id.clone()))];
                        if let Some(b) = self.eligibility_button(tx, c) {
                            row.push(b);
                        }
                        rows.push(row);
                    }
                }
                if !m.unknown.is_empty() {
                    let names: Vec<&str> = m.unknown.iter().map(|c| c.short.as_str()).collect();
                    text.para()
                        .append(tx.t("check.profile.unknown", &[("calls", &names.join("; "))]))
                        .text(" ")
                        .append(self.help_pointer(tx));
                }
            }
        }
        if closed {
            self.next_steps_closed(tx, &mut text, &mut rows, now);
        } else if !q.next_steps.is_empty() {
            text.para().append(tx.t("check.next", &[]));
            for s in &q.next_steps {
                text.line().text(format!("• {}", self.pack_text(tx, s)));
            }
        }
        if !self.settings.helpdesk_contact.is_empty() {
            text.line().append(tx.t(
                "helpdesk.contact",
                &[("contact", &self.settings.helpdesk_contact)],
            ));
        }
        text.para().append(tx.t("check.disclaimer", &[]));
        if matches!(q.target, Target::Call(_)) {
            rows.push(vec![button(
                tx.s("follow.button.keep", &[]),
                Action::KeepVerdict,
            )]);
        }
        if let Some(row) = self.profile_alert_row(tx, q, &p.answers) {
            rows.push(row);
        }
        rows.push(vec![button(
            tx.s("check.again", &[]),
            Action::EligibilityStart(q.id.clone()),
        )]);
        out.replies.push(Reply::new(text).with_buttons(rows));
    }

    /// After the verdict on a closed call: the calls open at `now`, each with a button,
    /// or a plain word that none is open.
    fn next_steps_closed(
        &self,
        tx: &Texts,
        text: &mut Rich,
        rows: &mut Vec<Vec<Button>>,
        now: Timestamp,
    ) {
        let mut open: Vec<&Call> = self
            .knowledge
            .calls
            .iter()
            .filter(|c| c.kind != CallKind::Strategy && c.status(now) == CallStatus::Open)
            .collect();
        open.sort_by_key(|c| c.short.clone());
        if open.is_empty() {
            text.para().append(tx.t("check.next_closed_none", &[]));
            return;
        }
        text.para().append(tx.t("check.next_closed", &[]));
        for c in open {
            text.line().text("• ").bold(&c.short);
            if let Some(s) = self.deadline_brief(tx, c, now) {
                text.text(" – ").append(s);
            }
            rows.push(vec![button(
                short_label(&c.short),
                Action::Call(c.id.clone()),
            )]);
        }
    }

    /// "WECARE – welfare aziendale › Chi può presentare domanda".
    fn cite(&self, tx: &Texts, r: &crate::eligibility::Rule) -> String {
        let call = self.knowledge.call(&r.cite.call.0);
        let section = call.and_then(|c| c.sections.iter().find(|s| s.id == r.cite.section));
        match (call, section) {
            (Some(c), Some(s)) => tx.s("check.cite", &[("call", &c.short), ("section", &s.title)]),
            _ => format!("{}#{}", r.cite.call, r.cite.section),
        }
    }
}
