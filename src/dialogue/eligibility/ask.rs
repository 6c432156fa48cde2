//! One question of a check as a message: where the user is ("Domanda 3 di 7"), the
//! question, its options as buttons, the ways out, and what a valid typed answer looks
//! like.

use super::Progress;
use crate::action::{Action, Step};
use crate::dialogue::{Engine, button, short_label};
use crate::eligibility::{Question, QuestionKind, Questionnaire};
use crate::reply::{Button, Reply, Rich};
use crate::text::Texts;

impl Engine<'_> {
    /// One question as a message: "Domanda 3 di 7", the text, the options as buttons and
    /// the ways out.
    pub(super) fn ask(
        &self,
        tx: &Texts,
        q: &Questionnaire,
        p: &Progress,
        prefix: Option<Rich>,
    ) -> Reply {
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
}

/// What a valid answer to `q` looks like.
pub(super) fn expected(tx: &Texts, q: &Question) -> String {
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
