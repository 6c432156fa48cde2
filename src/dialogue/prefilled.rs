//! The eligibility check started from what the user already said: the answers their
//! profile facts give ([`crate::eligibility::prefill`]) are filled in, shown at the start
//! («Dal tuo messaggio ho già preso: …») with a «Correggi» button that takes them back,
//! and the check asks from the first question they leave open. Typed answers that
//! describe rather than answer (`siamo a Cuneo` to «Operi in Piemonte?») are read the
//! same way.

use super::eligibility::Progress;
use super::{Engine, Outcome, button};
use crate::action::{Action, Step};
use crate::eligibility::{Answer, Question, Questionnaire, answer_from, prefill};
use crate::reply::Rich;
use crate::text::Texts;
use crate::understand;

impl Engine<'_> {
    /// Fills what the session's facts answer; returns the lines that say so (empty when
    /// nothing was taken).
    pub(super) fn prefill_start(
        &self,
        out: &Outcome,
        tx: &Texts,
        q: &Questionnaire,
        p: &mut Progress,
    ) -> Rich {
        if p.no_prefill {
            return Rich::new();
        }
        let added = prefill(q, &out.session.profile, &p.answers);
        if added.is_empty() {
            return Rich::new();
        }
        let mut text = tx.t("check.prefilled", &[]);
        let (yes, no, skipped) = (
            tx.s("check.yes", &[]),
            tx.s("check.no", &[]),
            tx.s("check.skipped", &[]),
        );
        for (id, a) in &added {
            if let Some(question) = q.question(id) {
                text.line()
                    .text(format!("• {}: ", question.label))
                    .bold(question.show(a, &yes, &no, &skipped, tx.lang));
            }
            p.prefilled.push(id.clone());
        }
        text.line().italic(tx.s("check.prefilled_hint", &[]));
        p.answers.extend(added);
        text
    }

    /// After an answer, the facts may answer questions that only now are asked.
    pub(super) fn refill(&self, out: &Outcome, q: &Questionnaire, p: &mut Progress) {
        if p.no_prefill {
            return;
        }
        let added = prefill(q, &out.session.profile, &p.answers);
        p.prefilled.extend(added.iter().map(|(id, _)| id.clone()));
        p.answers.extend(added);
    }

    /// «Correggi»: the answers taken from the user's words go, and are not taken again.
    pub(super) fn unfill(p: &mut Progress) {
        let taken = std::mem::take(&mut p.prefilled);
        p.answers.retain(|(id, _)| !taken.contains(id));
        p.no_prefill = true;
    }

    /// The «Correggi» button of a check with answers taken from the user's words.
    pub(super) fn correct_row(
        &self,
        tx: &Texts,
        p: &Progress,
        qi: u8,
    ) -> Vec<crate::reply::Button> {
        if p.prefilled.is_empty() {
            return Vec::new();
        }
        vec![button(
            tx.s("check.correct", &[]),
            Action::EligibilityStep(p.nonce.clone(), qi, Step::Correct),
        )]
    }

    /// A typed answer that describes instead of answering (`si siamo a cuneo`, `siamo una
    /// grande azienda`, `da soli`): the facts it gives, when they answer this question.
    pub(super) fn answer_by_facts(&self, question: &Question, text: &str) -> Option<Answer> {
        let words = understand::rewrite(&self.knowledge.lexicon, understand::words_of(text));
        let amounts = crate::numbers::amounts(&words);
        let found = understand::profile::read(&self.knowledge.lexicon, &words, &amounts);
        let mut facts = found.profile;
        // An answer speaks of the asker: a kind named in it is theirs.
        if facts.applicant.is_none()
            && let Some(a) = found.mentioned
        {
            facts.applicant = Some(a);
        }
        answer_from(question, &facts)
    }
}
