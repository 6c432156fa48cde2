//! Eligibility questionnaires evaluated: which question comes next, the verdict with its
//! reasons, a profile matched against the calls, test cases run; typed answers are read in
//! `typed.rs`, answers taken from a profile in `prefill.rs`, what a project of a given
//! value would get in `grant.rs`.
//!
//! A questionnaire (its shapes in [`crate::knowledge::questionnaire`], read from
//! `knowledge/questionnaires/` by the loader) is an ordered list of questions, conditions
//! that decide which questions are asked, rules that turn answers into a verdict with
//! reasons, and test cases. Nothing here knows about the dialogue or the clock: the engine
//! asks the questions, this module decides.

pub mod grant;
mod prefill;
#[cfg(test)]
mod tests;
mod typed;

pub use prefill::{answer_from, prefill, settled_by};
pub use typed::{Rejected, Words, parse_number};

// The questionnaires' shapes belong to the pack (`knowledge::questionnaire`); named here
// too, since every user of a questionnaire also evaluates it.
pub use crate::knowledge::questionnaire::{
    Answer, Answers, Case, Choice, Cite, Condition, Expect, Fact, ProfileField, Question,
    QuestionKind, Questionnaire, Rule, RuleEffect, Target, Test, Validator, Verdict,
    partita_iva_ok,
};

use std::path::PathBuf;

use crate::knowledge::questionnaire::get;
use crate::knowledge::{Call, CallId, CallKind};

/// The verdict of a call questionnaire and the rules behind it.
#[derive(Debug, Clone)]
pub struct Evaluation<'a> {
    pub verdict: Verdict,
    /// Rules that fired, the decisive ones (those giving `verdict`) first.
    pub fired: Vec<&'a Rule>,
    /// No rule decided: the sources do not settle this combination of answers.
    pub undecided: bool,
}

/// A profile matched against the calls.
#[derive(Debug, Clone, Default)]
pub struct ProfileMatch<'a> {
    /// Calls whose declared applicants and territory fit.
    pub fit: Vec<&'a Call>,
    /// Calls for which the sources do not say who may apply.
    pub unknown: Vec<&'a Call>,
}

impl Questionnaire {
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.questions.iter().position(|q| q.id == id)
    }

    /// Whether question `i` is asked given the answers so far.
    pub fn is_asked(&self, i: usize, answers: &[(String, Answer)]) -> bool {
        let q = &self.questions[i];
        q.ask_if.as_ref().is_none_or(|c| c.holds(answers))
            && !q.skip_if.as_ref().is_some_and(|c| c.holds(answers))
    }

    /// The next question to ask, or `None` when the questionnaire is complete.
    pub fn next_question(&self, answers: &[(String, Answer)]) -> Option<usize> {
        (0..self.questions.len())
            .find(|&i| get(answers, &self.questions[i].id).is_none() && self.is_asked(i, answers))
    }

    /// "Question `n` of `total`": `total` counts the questions still possibly asked.
    pub fn progress(&self, answers: &[(String, Answer)]) -> (usize, usize) {
        let Some(next) = self.next_question(answers) else {
            return (answers.len(), answers.len());
        };
        let pending = |id: &str| self.index_of(id).is_some_and(|j| j >= next);
        let remaining = (next..self.questions.len())
            .filter(|&i| {
                let q = &self.questions[i];
                let ask = q
                    .ask_if
                    .as_ref()
                    .map_or(Some(true), |c| c.maybe(answers, &pending));
                let skip = q
                    .skip_if
                    .as_ref()
                    .map_or(Some(false), |c| c.maybe(answers, &pending));
                ask != Some(false) && skip != Some(true)
            })
            .count();
        (answers.len() + 1, answers.len() + remaining)
    }

    /// Applies the rules: the worst verdict among the rules that fire wins; when no rule
    /// decides, the verdict is "da verificare" (a verdict never claims more than the rules).
    pub fn evaluate(&self, answers: &[(String, Answer)]) -> Evaluation<'_> {
        let fired: Vec<&Rule> = self
            .rules
            .iter()
            .filter(|r| r.when.holds(answers))
            .collect();
        let worst = fired
            .iter()
            .filter_map(|r| match r.effect {
                RuleEffect::Verdict(v) => Some(v),
                RuleEffect::Note => None,
            })
            .max();
        let verdict = worst.unwrap_or(Verdict::ToVerify);
        let mut ordered: Vec<&Rule> = fired
            .iter()
            .copied()
            .filter(|r| r.effect == RuleEffect::Verdict(verdict))
            .collect();
        // Notes go with a positive verdict; with a negative one only the failing
        // conditions and their remedies matter.
        if verdict != Verdict::NotEligible {
            ordered.extend(
                fired
                    .iter()
                    .copied()
                    .filter(|r| r.effect != RuleEffect::Verdict(verdict)),
            );
        }
        Evaluation {
            verdict,
            fired: ordered,
            undecided: worst.is_none(),
        }
    }

    /// Matches a profile (the answers to a profile questionnaire) against the calls.
    pub fn match_profile<'c>(
        &self,
        answers: &[(String, Answer)],
        calls: &'c [Call],
    ) -> ProfileMatch<'c> {
        let chosen = |field: ProfileField| {
            self.questions
                .iter()
                .filter(|q| q.matches == Some(field))
                .filter_map(|q| match get(answers, &q.id) {
                    Some(Answer::Choice(c)) => q.options.iter().find(|o| &o.id == c),
                    _ => None,
                })
                .next()
        };
        let applicant = chosen(ProfileField::Applicants).and_then(|o| o.applicant);
        let territory_q = chosen(ProfileField::Territory);
        let mut out = ProfileMatch::default();
        for c in calls.iter().filter(|c| c.kind != CallKind::Strategy) {
            let place_ok = match (&c.territory, territory_q) {
                (None, _) | (_, None) => true,
                (Some(t), Some(o)) => o
                    .territory
                    .as_ref()
                    .is_some_and(|u| u.to_lowercase() == t.to_lowercase()),
            };
            if !place_ok {
                continue;
            }
            if c.applicants.is_empty() {
                out.unknown.push(c);
            } else if applicant.is_some_and(|a| c.applicants.contains(&a)) {
                out.fit.push(c);
            }
        }
        out
    }

    /// Replays a case through the question flow and checks its expectation. `Err` says
    /// what differs, in words for the maintainer.
    pub fn run_case(&self, case: &Case, calls: &[Call]) -> Result<(), String> {
        let mut answers: Answers = Vec::new();
        while let Some(i) = self.next_question(&answers) {
            let q = &self.questions[i];
            match get(&case.answers, &q.id) {
                Some(a) => answers.push((q.id.clone(), a.clone())),
                None if q.optional => answers.push((q.id.clone(), Answer::Skipped)),
                None => {
                    return Err(format!(
                        "question «{}» is asked but the case does not answer it",
                        q.id
                    ));
                }
            }
        }
        for (q, _) in &case.answers {
            if get(&answers, q).is_none() {
                return Err(format!(
                    "the case answers «{q}», but that question is not asked with these answers"
                ));
            }
        }
        match &case.expect {
            Expect::Verdict { verdict, rules } => {
                let ev = self.evaluate(&answers);
                let fired: Vec<&str> = ev.fired.iter().map(|r| r.id.as_str()).collect();
                if ev.verdict != *verdict {
                    return Err(format!(
                        "expected «{}», got «{}» (rules fired: {})",
                        verdict.name(),
                        ev.verdict.name(),
                        if fired.is_empty() {
                            "none".into()
                        } else {
                            fired.join(", ")
                        }
                    ));
                }
                if let Some(want) = rules {
                    let mut a: Vec<&str> = want.iter().map(String::as_str).collect();
                    let mut b = fired.clone();
                    a.sort_unstable();
                    b.sort_unstable();
                    if a != b {
                        return Err(format!(
                            "expected rules [{}], fired [{}]",
                            a.join(", "),
                            b.join(", ")
                        ));
                    }
                }
                Ok(())
            }
            Expect::Calls { fit, unknown } => {
                let m = self.match_profile(&answers, calls);
                let ids = |v: &[&Call]| {
                    let mut v: Vec<String> = v.iter().map(|c| c.id.0.clone()).collect();
                    v.sort();
                    v
                };
                let want = |v: &[CallId]| {
                    let mut v: Vec<String> = v.iter().map(|c| c.0.clone()).collect();
                    v.sort();
                    v
                };
                if ids(&m.fit) != want(fit) {
                    return Err(format!(
                        "expected calls [{}], got [{}]",
                        want(fit).join(", "),
                        ids(&m.fit).join(", ")
                    ));
                }
                if let Some(u) = unknown
                    && ids(&m.unknown) != want(u)
                {
                    return Err(format!(
                        "expected undecided calls [{}], got [{}]",
                        want(u).join(", "),
                        ids(&m.unknown).join(", ")
                    ));
                }
                Ok(())
            }
        }
    }
}

/// A test case whose expectation does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}: case «{case}»: {message}", file.display())]
pub struct CaseFailure {
    pub file: PathBuf,
    pub line: usize,
    pub case: String,
    pub message: String,
}

/// Runs every case of every questionnaire; returns how many ran and the failures.
pub fn run_all_cases(k: &crate::knowledge::Knowledge) -> (usize, Vec<CaseFailure>) {
    let mut n = 0;
    let mut failures = Vec::new();
    for q in &k.questionnaires {
        for c in &q.cases {
            n += 1;
            if let Err(message) = q.run_case(c, &k.calls) {
                failures.push(CaseFailure {
                    file: q.file.clone(),
                    line: c.line,
                    case: c.name.clone(),
                    message,
                });
            }
        }
    }
    (n, failures)
}
