//! Handing a question over to a person (`/operatore`): the button, where a person can
//! be reached for this configuration (staff group, contact, or none), and the ticket
//! effect with the question and the check's answers.

// The engine's names (types, imports, helpers) are the parent module's.
#[allow(unused_imports)]
use super::*;

impl Engine<'_> {
    /// The "talk to a person" button, when a person can be reached through the bot.
    pub(super) fn operator_row(&self, tx: &Texts) -> Option<Vec<Button>> {
        self.settings
            .staff
            .reachable()
            .then(|| vec![button(tx.s("button.operator", &[]), Action::Operator)])
    }

    /// Where a person can be reached, as the configuration says: `/operatore` with a staff
    /// group, the contact with only a contact, otherwise a plain word that this bot has no
    /// help desk and the official page decides. Every "ask a person" sentence ends here.
    pub fn help_pointer(&self, tx: &Texts) -> Rich {
        if self.settings.staff.reachable() {
            tx.t("help.pointer.staff", &[])
        } else if !self.settings.helpdesk_contact.is_empty() {
            tx.t(
                "help.pointer.contact",
                &[("contact", &self.settings.helpdesk_contact)],
            )
        } else {
            tx.t("help.pointer.none", &[])
        }
    }

    /// A text of the pack with its help-desk placeholder filled from the configuration
    /// (see [`crate::knowledge::HELP_DESK`]).
    pub fn pack_text(&self, tx: &Texts, text: &str) -> String {
        crate::knowledge::fill_help_desk(text, &self.help_pointer(tx).to_plain())
    }

    /// `/operatore` when no staff group is set: the contact, or the official page of the
    /// call in focus and a plain word that this bot has no help desk. Never a dead end.
    pub(super) fn no_staff(&self, out: &mut Outcome, tx: &Texts) {
        if !self.settings.helpdesk_contact.is_empty() {
            out.replies.push(Reply::new(tx.t(
                "handover.contact",
                &[("contact", &self.settings.helpdesk_contact)],
            )));
            return;
        }
        let call = out
            .session
            .topic
            .as_ref()
            .and_then(|id| self.knowledge.call(&id.0));
        let mut text = tx.t("handover.none", &[]);
        let mut rows = Vec::new();
        match call.and_then(|c| c.official_page.as_ref().map(|p| (c, p))) {
            Some((c, p)) => {
                text.para().append(tx.t(
                    "handover.none_page",
                    &[("call", &c.short), ("title", &p.title), ("site", &p.site)],
                ));
                rows.push(vec![button(
                    tx.s("button.call_card", &[("call", &short_label(&c.short))]),
                    Action::Call(c.id.clone()),
                )]);
            }
            None => {
                text.para().append(tx.t("handover.none_no_call", &[]));
                rows.push(vec![button(tx.s("menu.calls", &[]), Action::Calls)]);
            }
        }
        out.replies.push(Reply::new(text).with_buttons(rows));
    }

    /// `/operatore [question]` and its button: the question (given, or the last one
    /// typed) becomes a ticket with the call in focus and the check's answers; without
    /// one, the next message does.
    pub(super) fn hand_over(&self, out: &mut Outcome, tx: &Texts, args: &str, view: &UserView) {
        if !self.settings.staff.reachable() {
            return self.no_staff(out, tx);
        }
        if let Some(n) = view.ticket {
            if !args.is_empty() {
                out.effects.push(Effect::FollowUp {
                    ticket: n,
                    text: args.chars().take(MAX_QUESTION).collect(),
                });
            } else {
                out.replies.push(Reply::new(
                    tx.t("handover.already", &[("number", &n.to_string())]),
                ));
            }
            return;
        }
        let question = if args.is_empty() {
            out.session.last_question.take()
        } else {
            Some(args.chars().take(MAX_QUESTION).collect())
        };
        let question = match (question, &out.session.state) {
            (Some(q), _) => q,
            // Help asked in the middle of a check: the answers so far are the question.
            (None, State::Eligibility(p)) => {
                let title = self
                    .knowledge
                    .questionnaire(&p.questionnaire)
                    .map_or(p.questionnaire.clone(), |q| q.title.clone());
                tx.s("handover.during_check", &[("title", &title)])
            }
            (None, _) => {
                out.session.state = State::HandOver;
                out.replies.push(Reply::new(tx.t("handover.ask", &[])));
                return;
            }
        };
        out.session.last_question = None;
        out.session.follows_up = None;
        // The check in progress, or else the one the user finished last.
        let check = match &out.session.state {
            State::Eligibility(p) => Some((p.questionnaire.clone(), p.answers.clone())),
            _ => out
                .session
                .last_check
                .as_ref()
                .map(|c| (c.questionnaire.clone(), c.answers.clone())),
        };
        let answers = check.as_ref().map_or_else(Vec::new, |(q, a)| {
            answers_of(
                self.knowledge,
                q,
                a,
                &tx.s("helpdesk.yes", &[]),
                &tx.s("helpdesk.no", &[]),
                &tx.s("helpdesk.skipped", &[]),
            )
        });
        let call = out.session.topic.clone().or_else(|| {
            check.and_then(|(q, _)| match &self.knowledge.questionnaire(&q)?.target {
                crate::eligibility::Target::Call(c) => Some(c.clone()),
                crate::eligibility::Target::Profile => None,
            })
        });
        out.effects.push(Effect::HandOver {
            question,
            answers,
            call,
        });
    }
}

/// Eligibility answers of `questionnaire`, as (question label, answer label).
fn answers_of(
    knowledge: &crate::knowledge::Knowledge,
    questionnaire: &str,
    answers: &crate::eligibility::Answers,
    yes: &str,
    no: &str,
    skipped: &str,
) -> Vec<(String, String)> {
    use crate::eligibility::Answer;
    let Some(q) = knowledge.questionnaire(questionnaire) else {
        return Vec::new();
    };
    let label = |qid: &str, opt: &str| {
        q.question(qid)
            .and_then(|qq| qq.options.iter().find(|o| o.id == opt))
            .map_or(opt.to_string(), |o| o.label.clone())
    };
    answers
        .iter()
        .map(|(qid, a)| {
            let question = q.question(qid).map_or(qid.clone(), |qq| qq.label.clone());
            let unit = q.question(qid).and_then(|qq| qq.unit.clone());
            let answer = match a {
                Answer::Bool(true) => yes.to_string(),
                Answer::Bool(false) => no.to_string(),
                Answer::Choice(c) => label(qid, c),
                Answer::Multi(v) => v
                    .iter()
                    .map(|c| label(qid, c))
                    .collect::<Vec<_>>()
                    .join(", "),
                Answer::Number(n) => match unit {
                    Some(u) => format!("{n} {u}"),
                    None => n.to_string(),
                },
                Answer::Text(t) => t.clone(),
                Answer::Skipped => skipped.to_string(),
            };
            (question, answer)
        })
        .collect()
}
