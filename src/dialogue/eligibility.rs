//! The eligibility dialogue: one question at a time, a verdict at the end.
//!
//! The questionnaires and their rules are data ([`crate::eligibility`]); this part of
//! the engine only asks, reads answers (buttons or typed text), lets the user go back,
//! start over, cancel or ask something else in the middle, and writes the final message.
//! Buttons carry the dialogue's nonce and the question's index, so a button of an
//! earlier dialogue or an earlier question is recognised instead of being misread.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{Effect, Engine, Outcome, State, button, call_rank, short_label, status_group_key};
use crate::action::{Action, Nonce, Step};
use crate::eligibility::{
    Answer, Answers, Question, QuestionKind, Questionnaire, Rejected, Target, Verdict, Words,
};
use crate::fold::fold_str;
use crate::knowledge::{Applicant, Call, CallKind, CallStatus};
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

    /// Typed text during a dialogue. Returns `false` when the user is not in one.
    pub(super) fn on_eligibility_text(
        &self,
        out: &mut Outcome,
        tx: &Texts,
        text: &str,
        now: Timestamp,
    ) -> bool {
        if !matches!(out.session.state, State::Eligibility(_)) {
            return false;
        }
        let Some((mut p, q)) = self.current(out, tx) else {
            return true;
        };
        let folded = fold_str(text);
        let is = |key: &str| tx.list(key).iter().any(|w| fold_str(w) == folded);
        let words = Words {
            yes: tx.list("words.yes"),
            no: tx.list("words.no"),
            lead_yes: tx.list("words.lead_yes"),
            lead_no: tx.list("words.lead_no"),
            all: tx.list("words.all"),
            lang: tx.lang,
        };
        for (key, step) in [
            ("words.cancel", Step::Cancel),
            ("words.restart", Step::Restart),
            ("words.back", Step::Back),
        ] {
            if is(key) {
                self.step(out, tx, q, p, step, now);
                return true;
            }
        }
        if p.closed_notice {
            if is("words.yes") || is("words.continue") {
                self.step(out, tx, q, p, Step::Continue, now);
            } else if is("words.no") {
                self.step(out, tx, q, p, Step::Cancel, now);
            } else if looks_like_question(tx, text) {
                self.answer(out, tx, text, now);
                self.reshow(out, tx, q, &p, Rich::new());
            } else {
                self.reshow(out, tx, q, &p, Rich::new());
            }
            return true;
        }
        let Some(cur) = q.next_question(&p.answers) else {
            self.finish(out, tx, q, &p, now);
            return true;
        };
        let question = &q.questions[cur];
        if question.optional && is("words.skip") {
            self.record(out, tx, q, p, Answer::Skipped, now);
            return true;
        }
        if question.kind == QuestionKind::Multi && !p.selected.is_empty() && is("words.done") {
            self.step(out, tx, q, p, Step::Done, now);
            return true;
        }
        if is("words.explain") {
            self.step(out, tx, q, p, Step::Help, now);
            return true;
        }
        // A doubt (`non so cosa sia un partenariato`) is a question even without «?».
        let parsed = if doubts(tx, text) {
            Err(Rejected::NotUnderstood)
        } else {
            question
                .parse(text, &words)
                .or_else(|e| self.answer_by_facts(question, text).ok_or(e))
        };
        match parsed {
            Ok(a) => self.record(out, tx, q, p, a, now),
            Err(_) if looks_like_question(tx, text) => {
                // A question in the middle: answer it, then ask the same question again.
                self.answer(out, tx, text, now);
                p.selected.clear();
                out.replies
                    .push(self.ask(tx, q, &p, Some(tx.t("check.resume", &[]))));
                out.session.state = State::Eligibility(p);
            }
            Err(why) => {
                let expected = expected(tx, question);
                let key = if why == Rejected::Invalid {
                    "check.invalid"
                } else {
                    "check.wrong"
                };
                let mut prefix = tx.t(key, &[("expected", &expected)]);
                prefix.para();
                self.reshow(out, tx, q, &p, prefix);
            }
        }
        true
    }

    /// One question as a message: "Domanda 3 di 7", the text, the options as buttons and
    /// the ways out.
    fn ask(&self, tx: &Texts, q: &Questionnaire, p: &Progress, prefix: Option<Rich>) -> Reply {
        let mut text = Rich::new();
        if let Some(pre) = prefix.filter(|p| !p.is_empty()) {
            text.append(pre);
            if !text.to_plain().ends_with('\n') {
                text.para();
            }
        }
        let Some(cur) = q.next_question(&p.answers) else {
            return Reply::new(text);
        };
        let question = &q.questions[cur];
        let (n, total) = q.progress(&p.answers);
        text.append(tx.t(
            "check.counter",
            &[("n", &n.to_string()), ("total", &total.to_string())],
        ))
        .line()
        .bold(&question.text);
        let qi = u8::try_from(cur).unwrap_or(u8::MAX);
        let nonce = &p.nonce;
        let mut rows: Vec<Vec<Button>> = Vec::new();
        let mut typed = false;
        match question.kind {
            QuestionKind::YesNo => rows.push(vec![
                button(
                    tx.s("check.yes", &[]),
                    Action::EligibilityAnswer(nonce.clone(), qi, 0),
                ),
                button(
                    tx.s("check.no", &[]),
                    Action::EligibilityAnswer(nonce.clone(), qi, 1),
                ),
            ]),
            QuestionKind::Choice => {
                for (i, o) in question.options.iter().enumerate() {
                    let oi = u8::try_from(i).unwrap_or(u8::MAX);
                    rows.push(vec![button(
                        short_label(&o.label),
                        Action::EligibilityAnswer(nonce.clone(), qi, oi),
                    )]);
                }
            }
            QuestionKind::Multi => {
                text.line().italic(tx.s("check.multi_hint", &[]));
                for (i, o) in question.options.iter().enumerate() {
                    let oi = u8::try_from(i).unwrap_or(u8::MAX);
                    let mark = if p.selected.contains(&o.id) {
                        "✅"
                    } else {
                        "▫️"
                    };
                    rows.push(vec![button(
                        short_label(&format!("{mark} {}", o.label)),
                        Action::EligibilityToggle(nonce.clone(), qi, oi),
                    )]);
                }
                rows.push(vec![button(
                    tx.s("check.done", &[]),
                    Action::EligibilityStep(nonce.clone(), qi, Step::Done),
                )]);
            }
            QuestionKind::Number | QuestionKind::Text => {
                text.line().italic(expected(tx, question));
                typed = true;
            }
        }
        let mut extra = Vec::new();
        if question.optional {
            extra.push(button(
                tx.s("check.skip", &[]),
                Action::EligibilityStep(nonce.clone(), qi, Step::Skip),
            ));
        }
        if question.help.is_some() {
            extra.push(button(
                tx.s("check.help", &[]),
                Action::EligibilityStep(nonce.clone(), qi, Step::Help),
            ));
        }
        rows.push(extra);
        let mut nav = Vec::new();
        if !p.answers.is_empty() {
            nav.push(button(
                tx.s("check.back", &[]),
                Action::EligibilityStep(nonce.clone(), qi, Step::Back),
            ));
        }
        nav.push(button(
            tx.s("check.restart", &[]),
            Action::EligibilityStep(nonce.clone(), qi, Step::Restart),
        ));
        nav.push(button(
            tx.s("check.cancel", &[]),
            Action::EligibilityStep(nonce.clone(), qi, Step::Cancel),
        ));
        rows.push(nav);
        let mut reply = Reply::new(text).with_buttons(rows);
        reply.typed_answer = typed;
        reply
    }

    /// The final message: answers, verdict with reasons and citations, what would change a
    /// negative verdict, the call's deadline, next steps and the non-binding label.
    fn finish(
        &self,
        out: &mut Outcome,
        tx: &Texts,
        q: &Questionnaire,
        p: &Progress,
        now: Timestamp,
    ) {
        out.session.state = State::Idle;
        out.session.last_check = Some(super::FinishedCheck {
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

/// Whether the stored answers still fit the questionnaire (it may have been edited).
fn fits(q: &Questionnaire, answers: &Answers) -> bool {
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

/// A doubt about the question (`non so cosa sia un partenariato`).
fn doubts(tx: &Texts, text: &str) -> bool {
    crate::understand::has_phrase(
        &crate::understand::words_of(text),
        tx.phrases("words.doubt"),
    )
}

/// A message that asks something rather than answering: a question mark, a question word
/// or a doubt.
fn looks_like_question(tx: &Texts, text: &str) -> bool {
    if text.contains('?') || doubts(tx, text) {
        return true;
    }
    let folded = fold_str(text);
    let first = folded.split_whitespace().next().unwrap_or_default();
    folded.split_whitespace().count() > 1
        && tx
            .list("words.question")
            .iter()
            .any(|w| fold_str(w) == first)
}

/// What a valid answer to `q` looks like.
fn expected(tx: &Texts, q: &Question) -> String {
    if let Some(e) = &q.expected {
        return e.clone();
    }
    match q.kind {
        QuestionKind::YesNo => tx.s("check.expect.yesno", &[]),
        QuestionKind::Choice => tx.s("check.expect.choice", &[]),
        QuestionKind::Multi => tx.s("check.expect.multi", &[]),
        QuestionKind::Number => tx.s("check.expect.number", &[]),
        QuestionKind::Text => tx.s("check.expect.text", &[]),
    }
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
fn closed_notice_row(tx: &Texts, p: &Progress) -> Vec<Button> {
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
