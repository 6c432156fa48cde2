//! Typed text during a check: read as an answer to the current question, or recognised
//! as a doubt about it, a question of its own, or a way out, and answered accordingly.

use jiff::Timestamp;

use super::ask::expected;
use crate::action::Step;
use crate::dialogue::{Engine, Outcome, State};
use crate::eligibility::{Answer, QuestionKind, Rejected, Words};
use crate::fold::fold_str;
use crate::reply::Rich;
use crate::text::Texts;

impl Engine<'_> {
    /// Typed text during a dialogue. Returns `false` when the user is not in one.
    pub(in crate::dialogue) fn on_eligibility_text(
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
}

/// A doubt about the question (`non so cosa sia un partenariato`).
fn doubts(tx: &Texts, text: &str) -> bool {
    crate::understand::has_phrase(
        &crate::understand::words_of(text),
        tx.phrases("words.doubt"),
    )
}

/// A message that asks something rather than answering: a question mark, a doubt, or an
/// opening question word or phrase (`quanto…`, `e se…`, `how much…`).
fn looks_like_question(tx: &Texts, text: &str) -> bool {
    if text.contains('?') || doubts(tx, text) {
        return true;
    }
    let words = crate::understand::words_of(text);
    words.len() > 1
        && tx
            .phrases("words.question")
            .iter()
            .any(|q| !q.is_empty() && words.starts_with(q))
}

#[cfg(test)]
mod tests {
    use super::looks_like_question;
    use crate::text::{Lang, texts};

    #[test]
    fn an_opening_question_phrase_asks_without_a_question_mark() {
        let it = texts(Lang::It);
        assert!(looks_like_question(it, "e se siamo in tre aziende"));
        assert!(looks_like_question(it, "quanto dobbiamo mettere noi"));
        assert!(!looks_like_question(it, "si siamo a cuneo"));
        assert!(!looks_like_question(it, "no, siamo solo noi"));
        // «e» alone opens an answer as often as a question.
        assert!(!looks_like_question(it, "e una srl"));
        let en = texts(Lang::En);
        assert!(looks_like_question(en, "how much do we have to pay"));
        assert!(looks_like_question(en, "what if we are three firms"));
        assert!(!looks_like_question(en, "yes we are in turin"));
    }
}
