//! Following a call in the dialogue: «🔔 Avvisami» (on cards, in `/promemoria`, under
//! answers about a call), the list of followed calls with a stop button each, and a
//! request in words («avvisami quando esce la scadenza di alfa»).
//!
//! The engine only decides: following is an [`Effect::Follow`] carrying the facts the
//! user is told now (the app stores them); the comparison on each load and the notices
//! live in [`crate::follow`] and the app.

use jiff::Timestamp;

use super::{Effect, Engine, Outcome, UserView, button, short_label};
use crate::action::Action;
use crate::follow::{CallFacts, followable};
use crate::knowledge::{Call, CallId};
use crate::reply::{Button, Reply, Rich};
use crate::text::Texts;

impl Engine<'_> {
    /// «🔔 Avvisami» under a call that can be followed (pressed again, it says the call
    /// is already followed and offers to stop).
    pub(super) fn follow_row(&self, tx: &Texts, c: &Call, now: Timestamp) -> Option<Vec<Button>> {
        followable(c, now).then(|| {
            vec![button(
                tx.s("follow.button.follow", &[]),
                Action::Follow(c.id.clone()),
            )]
        })
    }

    /// Follows `id`: the facts told now are what later loads compare against.
    pub(super) fn follow(
        &self,
        out: &mut Outcome,
        tx: &Texts,
        id: &CallId,
        now: Timestamp,
        view: &UserView,
    ) {
        let Some(c) = self.knowledge.call(&id.0) else {
            out.replies.push(Reply::new(tx.t("button.stale", &[])));
            return;
        };
        if !followable(c, now) {
            out.replies.push(
                Reply::new(tx.t("follow.cannot", &[("call", &c.short)])).with_buttons(vec![vec![
                    button(
                        tx.s("button.call_card", &[("call", &short_label(&c.short))]),
                        Action::Call(c.id.clone()),
                    ),
                ]]),
            );
            return;
        }
        let stop = vec![vec![button(
            tx.s("follow.button.stop", &[("call", &short_label(&c.short))]),
            Action::Unfollow(c.id.clone()),
        )]];
        if view.follows.contains(&c.id) {
            out.replies
                .push(Reply::new(tx.t("follow.already", &[("call", &c.short)])).with_buttons(stop));
            return;
        }
        out.effects.push(Effect::Follow {
            call: c.id.clone(),
            facts: CallFacts::of(Some(c), now),
            verdict: None,
        });
        let mut text = tx.t("follow.done", &[("call", &c.short)]);
        let now_line = match c.deadline.as_ref().and_then(|d| d.known()) {
            Some(at) => tx.t("follow.done.deadline", &[("date", &tx.date(&at))]),
            None => tx.t("follow.done.no_deadline", &[]),
        };
        text.para().append(now_line);
        text.para().append(tx.t("follow.done.how", &[]));
        let mut rows = stop;
        // A deadline already known and ahead: reminders too, with one more tap.
        if let Some(r) = self.reminder_row(tx, c, now) {
            rows.push(r);
        }
        out.replies.push(Reply::new(text).with_buttons(rows));
    }

    pub(super) fn unfollow(&self, out: &mut Outcome, tx: &Texts, id: &CallId, view: &UserView) {
        let name = self.call_name(id);
        if view.follows.contains(id) {
            out.effects.push(Effect::Unfollow {
                call: Some(id.clone()),
            });
            out.replies
                .push(Reply::new(tx.t("follow.stopped", &[("call", &name)])));
        } else {
            out.replies
                .push(Reply::new(tx.t("follow.not_following", &[("call", &name)])));
        }
    }

    /// The part of `/promemoria` about followed calls: the list with a stop button each,
    /// then a «🔔 Avvisami» per call that can still be followed.
    pub(super) fn follows_part(
        &self,
        tx: &Texts,
        text: &mut Rich,
        rows: &mut Vec<Vec<Button>>,
        now: Timestamp,
        view: &UserView,
    ) {
        if !view.follows.is_empty() {
            text.para().append(tx.t("follow.yours", &[]));
            for id in &view.follows {
                let name = self.call_name(id);
                text.line().text(format!("• {name}"));
                rows.push(vec![button(
                    tx.s("follow.button.stop", &[("call", &short_label(&name))]),
                    Action::Unfollow(id.clone()),
                )]);
            }
        }
        let mut can: Vec<&Call> = self
            .knowledge
            .calls
            .iter()
            .filter(|c| followable(c, now) && !view.follows.contains(&c.id))
            .collect();
        can.sort_by_key(|c| (super::call_rank(c, now), c.short.clone()));
        if !can.is_empty() {
            text.para().append(tx.t("follow.choose", &[]));
            for c in can {
                rows.push(vec![button(
                    tx.s(
                        "follow.button.follow_call",
                        &[("call", &short_label(&c.short))],
                    ),
                    Action::Follow(c.id.clone()),
                )]);
            }
        }
    }

    /// A request to be told about a call in words: the offer to follow the call it names
    /// (read in the conversation about `focus`, as questions are), or, when it names none,
    /// the call in focus (`vorrei un promemoria per la scadenza` after questions on
    /// A.L.Fa.); `None` when that gives no call that can be followed (then `/promemoria`).
    pub(super) fn follow_offer(
        &self,
        tx: &Texts,
        text: &str,
        now: Timestamp,
        view: &UserView,
        focus: Option<&CallId>,
    ) -> Option<Reply> {
        let words =
            crate::understand::rewrite(&self.knowledge.lexicon, crate::understand::words_of(text));
        let named = match focus {
            Some(f) => crate::understand::calls::named_calls_in_focus(self.knowledge, &words, f),
            None => crate::understand::named_calls(self.knowledge, &words),
        };
        let id = match (named.as_slice(), focus) {
            ([id], _) => id,
            ([], Some(f)) => f,
            _ => return None,
        };
        let c = self.knowledge.call(&id.0)?;
        if !followable(c, now) {
            return None;
        }
        let mut body = tx.t("follow.offer", &[("call", &c.short)]);
        if let Some(s) = self.deadline_status(tx, c, now) {
            body.para().append(s);
        }
        let rows = match self
            .follow_row(tx, c, now)
            .filter(|_| !view.follows.contains(&c.id))
        {
            Some(r) => vec![r],
            None => vec![vec![button(
                tx.s("follow.button.stop", &[("call", &short_label(&c.short))]),
                Action::Unfollow(c.id.clone()),
            )]],
        };
        Some(Reply::new(body).with_buttons(rows))
    }

    /// «💾 Tieni il risultato» after a check: the result is kept with the call (followed
    /// too), and evaluated again whenever the call or its questionnaire changes.
    pub(super) fn keep_verdict(&self, out: &mut Outcome, tx: &Texts, now: Timestamp) {
        let kept = out.session.last_check.as_ref().and_then(|c| {
            let q = self.knowledge.questionnaire(&c.questionnaire)?;
            match &q.target {
                crate::eligibility::Target::Call(id) => Some((
                    self.knowledge.call(&id.0)?,
                    crate::follow::KeptVerdict::of(q, &c.answers),
                )),
                crate::eligibility::Target::Profile => None,
            }
        });
        let Some((c, kept)) = kept else {
            out.replies.push(Reply::new(tx.t("button.stale", &[])));
            return;
        };
        out.effects.push(Effect::Follow {
            call: c.id.clone(),
            facts: CallFacts::of(Some(c), now),
            verdict: Some(kept),
        });
        out.replies.push(
            Reply::new(tx.t("follow.kept", &[("call", &c.short)])).with_buttons(vec![vec![
                button(
                    tx.s("follow.button.stop", &[("call", &short_label(&c.short))]),
                    Action::Unfollow(c.id.clone()),
                ),
            ]]),
        );
    }
}
