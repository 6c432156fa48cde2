//! The eligibility dialogue: one question at a time, a verdict at the end.
//!
//! The questionnaires and their rules are data ([`crate::eligibility`]); this part of
//! the engine only asks, reads answers (buttons or typed text), lets the user go back,
//! start over, cancel or ask something else in the middle, and writes the final message.
//! Buttons carry the dialogue's nonce and the question's index, so a button of an
//! earlier dialogue or an earlier question is recognised instead of being misread.

mod ask;
mod typed;
mod verdict;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{Effect, Engine, Outcome, State, button, short_label};
use crate::action::{Action, Nonce, Step};
use crate::eligibility::{Answer, Answers, QuestionKind, Questionnaire, Target};
use crate::fold::fold_str;
use crate::knowledge::{Applicant, Call};
use crate::reply::{Button, Reply, Rich};
use crate::text::Texts;

/// Where a user is in an eligibility dialogue (stored in the session).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub questionnaire: String,
    pub nonce: Nonce,
    /// Answers in the order given; going back removes the last one.
    pub answers: Answers,
    /// Options ticked so far in the current multiple-choice question.
    pub selected: Vec<String>,
    /// The call is closed: waiting for the user to confirm going on.
    pub closed_notice: bool,
    /// Questions answered from the user's own words (profile facts), not by the user.
    #[serde(default)]
    pub prefilled: Vec<String>,
    /// The user took those answers back («Correggi»): do not fill any more.
    #[serde(default)]
    pub no_prefill: bool,
}

impl Engine<'_> {
    /// `/verifica [id]`: starts a questionnaire, or offers the choice.
    pub(super) fn eligibility_command(
        &self,
        out: &mut Outcome,
        tx: &Texts,
        args: &str,
        now: Timestamp,
    ) {
        let wanted = fold_str(args).replace(' ', "-");
        if wanted.is_empty() {
            out.replies.push(self.eligibility_menu(tx));
            return;
        }
        let found = self
            .knowledge
            .questionnaires
            .iter()
            .find(|q| q.id == wanted || q.id.starts_with(&wanted));
        match found {
            Some(q) => self.eligibility_start(out, tx, &q.id.clone(), now),
            None => {
                let mut r = self.eligibility_menu(tx);
                let mut text = tx.t("check.not_found", &[]);
                text.para().append(r.text);
                r.text = text;
                out.replies.push(r);
            }
        }
    }

    /// The list of what can be checked: the profile first, then each call's requirements.
    pub(super) fn eligibility_menu(&self, tx: &Texts) -> Reply {
        let mut rows = Vec::new();
        for q in self
            .knowledge
            .questionnaires
            .iter()
            .filter(|q| q.target == Target::Profile)
        {
            rows.push(vec![button(
                short_label(&format!("🧭 {}", q.title)),
                Action::EligibilityStart(q.id.clone()),
            )]);
        }
        for q in &self.knowledge.questionnaires {
            if let Target::Call(c) = &q.target {
                let label = self
                    .knowledge
                    .call(&c.0)
                    .map(|c| c.short.clone())
                    .unwrap_or_else(|| q.title.clone());
                rows.push(vec![button(
                    short_label(&tx.s("check.menu_call", &[("call", &label)])),
                    Action::EligibilityStart(q.id.clone()),
                )]);
            }
        }
        if rows.is_empty() {
            return Reply::new(tx.t("check.none_available", &[]));
        }
        Reply::new(tx.t("check.menu", &[])).with_buttons(rows)
    }

    /// A "check the requirements" button for a call, if it has a questionnaire.
    pub(super) fn eligibility_button(&self, tx: &Texts, call: &Call) -> Option<Button> {
        self.eligibility_button_for(tx, call, &crate::understand::Profile::default())
    }

    /// The same button, saying so when the check will start with the user's facts.
    pub(super) fn eligibility_button_for(
        &self,
        tx: &Texts,
        call: &Call,
        profile: &crate::understand::Profile,
    ) -> Option<Button> {
        let q = self.knowledge.questionnaire_for(&call.id)?;
        let key = if crate::eligibility::prefill(q, profile, &Vec::new()).is_empty() {
            "check.button"
        } else {
            "check.button_prefilled"
        };
        Some(button(
            tx.s(key, &[]),
            Action::EligibilityStart(q.id.clone()),
        ))
    }

    pub(super) fn eligibility_start(
        &self,
        out: &mut Outcome,
        tx: &Texts,
        id: &str,
        now: Timestamp,
    ) {
        let Some(q) = self.knowledge.questionnaire(id) else {
            out.replies.push(Reply::new(tx.t("button.stale", &[])));
            return;
        };
        let prev = match &out.session.state {
            State::Eligibility(p) => Some(p.nonce.clone()),
            _ => None,
        };
        let seed = u64::try_from(now.as_millisecond()).unwrap_or_default();
        let mut p = Progress {
            questionnaire: q.id.clone(),
            nonce: Nonce::derive(seed, prev.as_ref()),
            answers: Vec::new(),
            selected: Vec::new(),
            closed_notice: false,
            prefilled: Vec::new(),
            no_prefill: false,
        };
        let mut head = Rich::new();
        head.bold(&q.title);
        if let Some(i) = &q.intro {
            head.line().text(i);
        }
        let taken = self.prefill_start(out, tx, q, &mut p);
        if !taken.is_empty() {
            head.para().append(taken);
        }
        out.effects.push(Effect::CheckStarted {
            questionnaire: q.id.clone(),
        });
        let call = match &q.target {
            Target::Call(c) => self.knowledge.call(&c.0),
            Target::Profile => None,
        };
        if let Some(c) = call {
            out.session.topic = Some(c.id.clone());
            if c.deadline.as_ref().is_some_and(|d| d.is_closed(now)) {
                p.closed_notice = true;
                if let Some(s) = self.deadline_status(tx, c, now) {
                    head.para().append(s);
                }
                head.para().append(tx.t("check.closed", &[]));
                let mut rows = vec![closed_notice_row(tx, &p), self.correct_row(tx, &p, 0)];
                for other in c
                    .see_also
                    .iter()
                    .filter_map(|id| self.knowledge.questionnaire_for(id))
                {
                    let label = match &other.target {
                        Target::Call(id) => self.knowledge.call(&id.0).map(|k| k.short.clone()),
                        Target::Profile => None,
                    }
                    .unwrap_or_else(|| other.title.clone());
                    rows.push(vec![button(
                        short_label(&tx.s("check.instead", &[("call", &label)])),
                        Action::EligibilityStart(other.id.clone()),
                    )]);
                }
                out.replies.push(Reply::new(head).with_buttons(rows));
                out.session.state = State::Eligibility(p);
                return;
            }
        }
        let mut first = self.ask(tx, q, &p, Some(head));
        let qi = q
            .next_question(&p.answers)
            .and_then(|i| u8::try_from(i).ok())
            .unwrap_or_default();
        let row = self.correct_row(tx, &p, qi);
        if !row.is_empty() {
            first.buttons.insert(0, row);
        }
        out.replies.push(first);
        out.session.state = State::Eligibility(p);
        if q.next_question(&self.current_answers(out)).is_none() {
            // Everything was in the user's words: the verdict at once.
            if let Some((p, q)) = self.current(out, tx) {
                self.finish(out, tx, q, &p, now);
            }
        }
    }

    fn current_answers(&self, out: &Outcome) -> crate::eligibility::Answers {
        match &out.session.state {
            State::Eligibility(p) => p.answers.clone(),
            _ => Vec::new(),
        }
    }

    /// The current progress and its questionnaire, if the user is in a dialogue whose
    /// questionnaire still exists and still fits the stored answers (knowledge may have
    /// been reloaded in between).
    fn current(&self, out: &mut Outcome, tx: &Texts) -> Option<(Progress, &Questionnaire)> {
        let State::Eligibility(p) = &out.session.state else {
            return None;
        };
        let p = p.clone();
        match self.knowledge.questionnaire(&p.questionnaire) {
            Some(q) if fits(q, &p.answers) => Some((p, q)),
            _ => {
                out.session.state = State::Idle;
                out.replies.push(Reply::new(tx.t("check.changed", &[])));
                None
            }
        }
    }

    pub(super) fn on_eligibility_action(
        &self,
        out: &mut Outcome,
        tx: &Texts,
        action: Action,
        now: Timestamp,
    ) {
        let (nonce, qi) = match &action {
            Action::EligibilityMenu => return out.replies.push(self.eligibility_menu(tx)),
            Action::EligibilityStart(id) => return self.eligibility_start(out, tx, id, now),
            Action::EligibilityAnswer(n, q, _)
            | Action::EligibilityToggle(n, q, _)
            | Action::EligibilityStep(n, q, _) => (n.clone(), *q as usize),
            _ => return,
        };
        if !matches!(out.session.state, State::Eligibility(_)) {
            out.replies.push(Reply::new(tx.t("check.stale", &[])));
            return;
        }
        let Some((mut p, q)) = self.current(out, tx) else {
            return;
        };
        if p.nonce != nonce {
            let mut prefix = tx.t("check.stale_other", &[]);
            prefix.para();
            return self.reshow(out, tx, q, &p, prefix);
        }
        if let Action::EligibilityStep(
            _,
            _,
            step @ (Step::Restart | Step::Cancel | Step::Correct),
        ) = action
        {
            return self.step(out, tx, q, p, step, now);
        }
        if p.closed_notice {
            if let Action::EligibilityStep(_, _, Step::Continue) = action {
                return self.step(out, tx, q, p, Step::Continue, now);
            }
            return self.reshow(out, tx, q, &p, Rich::new());
        }
        let Some(cur) = q.next_question(&p.answers) else {
            return self.finish(out, tx, q, &p, now);
        };
        if qi != cur {
            let mut prefix = tx.t("check.not_current", &[]);
            prefix.para();
            return self.reshow(out, tx, q, &p, prefix);
        }
        let question = &q.questions[cur];
        match action {
            Action::EligibilityAnswer(_, _, o) => {
                let o = o as usize;
                let answer = match question.kind {
                    QuestionKind::YesNo if o < 2 => Answer::Bool(o == 0),
                    QuestionKind::Choice if o < question.options.len() => {
                        Answer::Choice(question.options[o].id.clone())
                    }
                    _ => return out.replies.push(Reply::new(tx.t("button.stale", &[]))),
                };
                self.record(out, tx, q, p, answer, now);
            }
            Action::EligibilityToggle(_, _, o) => {
                let o = o as usize;
                if question.kind != QuestionKind::Multi || o >= question.options.len() {
                    return out.replies.push(Reply::new(tx.t("button.stale", &[])));
                }
                let id = question.options[o].id.clone();
                if let Some(i) = p.selected.iter().position(|s| *s == id) {
                    p.selected.remove(i);
                } else {
                    p.selected.push(id);
                }
                out.replies.push(self.ask(tx, q, &p, None).editing());
                out.session.state = State::Eligibility(p);
            }
            Action::EligibilityStep(_, _, step) => self.step(out, tx, q, p, step, now),
            _ => {}
        }
    }

    /// `/indietro`, `/ricomincia` (and the same words typed during a dialogue).
    pub(super) fn eligibility_step_command(
        &self,
        out: &mut Outcome,
        tx: &Texts,
        step: Step,
        now: Timestamp,
    ) {
        if !matches!(out.session.state, State::Eligibility(_)) {
            out.replies.push(Reply::new(tx.t("check.no_dialogue", &[])));
            return;
        }
        if let Some((p, q)) = self.current(out, tx) {
            self.step(out, tx, q, p, step, now);
        }
    }

    fn step(
        &self,
        out: &mut Outcome,
        tx: &Texts,
        q: &Questionnaire,
        mut p: Progress,
        step: Step,
        now: Timestamp,
    ) {
        let selected = std::mem::take(&mut p.selected);
        match step {
            Step::Cancel => {
                out.session.state = State::Idle;
                out.replies.push(Reply::new(tx.t("check.cancelled", &[])));
            }
            Step::Correct => {
                Self::unfill(&mut p);
                p.closed_notice = false;
                out.replies
                    .push(self.ask(tx, q, &p, Some(tx.t("check.corrected", &[]))));
                out.session.state = State::Eligibility(p);
            }
            Step::Restart => {
                p.answers.clear();
                p.prefilled.clear();
                p.no_prefill = true;
                p.closed_notice = false;
                let seed = u64::try_from(now.as_millisecond()).unwrap_or_default();
                p.nonce = Nonce::derive(seed, Some(&p.nonce));
                out.replies
                    .push(self.ask(tx, q, &p, Some(tx.t("check.restarted", &[]))));
                out.session.state = State::Eligibility(p);
            }
            Step::Continue => {
                p.closed_notice = false;
                out.replies.push(self.ask(tx, q, &p, None));
                out.session.state = State::Eligibility(p);
            }
            Step::Back => {
                let prefix = if p.closed_notice {
                    Rich::new()
                } else if p.answers.pop().is_some() {
                    tx.t("check.went_back", &[])
                } else {
                    tx.t("check.first", &[])
                };
                self.reshow(out, tx, q, &p, prefix);
            }
            Step::Skip => match q.next_question(&p.answers) {
                Some(cur) if q.questions[cur].optional => {
                    self.record(out, tx, q, p, Answer::Skipped, now)
                }
                _ => self.reshow(out, tx, q, &p, tx.t("check.not_optional", &[])),
            },
            Step::Help => {
                let cur = q.next_question(&p.answers);
                match cur.and_then(|i| q.questions[i].help.as_ref()) {
                    Some(h) => {
                        let mut prefix = Rich::plain(h);
                        prefix.para();
                        self.reshow(out, tx, q, &p, prefix)
                    }
                    None => self.reshow(out, tx, q, &p, tx.t("check.no_help", &[])),
                }
            }
            Step::Done => {
                let cur = q.next_question(&p.answers);
                match cur.map(|i| &q.questions[i]) {
                    Some(question) if question.kind == QuestionKind::Multi => {
                        let chosen: Vec<String> = question
                            .options
                            .iter()
                            .filter(|o| selected.contains(&o.id))
                            .map(|o| o.id.clone())
                            .collect();
                        if chosen.is_empty() {
                            let mut prefix = tx.t("check.select_one", &[]);
                            prefix.para();
                            self.reshow(out, tx, q, &p, prefix)
                        } else {
                            self.record(out, tx, q, p, Answer::Multi(chosen), now)
                        }
                    }
                    _ => self.reshow(out, tx, q, &p, Rich::new()),
                }
            }
        }
    }

    /// Shows the current question again (or the closed-call notice), keeping the state.
    fn reshow(&self, out: &mut Outcome, tx: &Texts, q: &Questionnaire, p: &Progress, prefix: Rich) {
        if p.closed_notice {
            let mut text = prefix;
            text.append(tx.t("check.closed", &[]));
            out.replies
                .push(Reply::new(text).with_buttons(vec![closed_notice_row(tx, p)]));
        } else {
            out.replies.push(self.ask(tx, q, p, Some(prefix)));
        }
        out.session.state = State::Eligibility(p.clone());
    }

    fn record(
        &self,
        out: &mut Outcome,
        tx: &Texts,
        q: &Questionnaire,
        mut p: Progress,
        answer: Answer,
        now: Timestamp,
    ) {
        let Some(cur) = q.next_question(&p.answers) else {
            return self.finish(out, tx, q, &p, now);
        };
        p.answers.push((q.questions[cur].id.clone(), answer));
        p.selected.clear();
        self.refill(out, q, &mut p);
        if q.next_question(&p.answers).is_some() {
            out.replies.push(self.ask(tx, q, &p, None));
            out.session.state = State::Eligibility(p);
        } else {
            self.finish(out, tx, q, &p, now);
        }
    }
}

/// Whether the stored answers still fit the questionnaire (it may have been edited).
pub(super) fn fits(q: &Questionnaire, answers: &Answers) -> bool {
    answers.iter().all(|(id, a)| {
        q.question(id).is_some_and(|question| match a {
            Answer::Choice(c) => question.options.iter().any(|o| &o.id == c),
            Answer::Multi(v) => v
                .iter()
                .all(|c| question.options.iter().any(|o| &o.id == c)),
            Answer::Bool(_) => question.kind == QuestionKind::YesNo,
            Answer::Number(_) => question.kind == QuestionKind::Number,
            Answer::Text(_) => question.kind == QuestionKind::Text,
            Answer::Skipped => question.optional,
        })
    })
}

pub(super) fn applicant_name(tx: &Texts, a: Applicant) -> String {
    match a {
        Applicant::Pmi => tx.s("applicant.pmi", &[]),
        Applicant::GrandeImpresa => tx.s("applicant.grande_impresa", &[]),
        Applicant::TerzoSettore => tx.s("applicant.terzo_settore", &[]),
        Applicant::EntePubblico => tx.s("applicant.ente_pubblico", &[]),
        Applicant::Cittadino => tx.s("applicant.cittadino", &[]),
        Applicant::EnteAggregatore => tx.s("applicant.ente_aggregatore", &[]),
    }
}

/// "Go on anyway" / "cancel" under the notice that a call is closed.
pub(super) fn closed_notice_row(tx: &Texts, p: &Progress) -> Vec<Button> {
    vec![
        button(
            tx.s("check.continue", &[]),
            Action::EligibilityStep(p.nonce.clone(), 0, Step::Continue),
        ),
        button(
            tx.s("check.cancel", &[]),
            Action::EligibilityStep(p.nonce.clone(), 0, Step::Cancel),
        ),
    ]
}
