//! Answers a check can take from what the user already said about themselves.
//!
//! A question names the profile fact that answers it (`fact = "size"` in the
//! questionnaire file) and each option the values it stands for (`facts = ["grande"]`).
//! Only questions asked given the answers so far are filled, in file order, so a check
//! offered after «Siamo una grande azienda di Torino…» starts at the first question the
//! message did not answer.

use super::{Answer, Answers, Fact, Question, QuestionKind, Questionnaire};
use crate::knowledge::Applicant;
use crate::understand::Profile;

/// The name of an applicant kind as in the knowledge files.
fn applicant_name(a: Applicant) -> &'static str {
    match a {
        Applicant::Pmi => "pmi",
        Applicant::GrandeImpresa => "grande-impresa",
        Applicant::TerzoSettore => "terzo-settore",
        Applicant::EntePubblico => "ente-pubblico",
        Applicant::Cittadino => "cittadino",
        Applicant::EnteAggregatore => "ente-aggregatore",
    }
}

/// What the profile says for a fact: a value name, a yes/no, or a number.
enum Said {
    Name(&'static str),
    Bool(bool),
    Number(f64),
}

fn said(f: Fact, p: &Profile) -> Option<Said> {
    Some(match f {
        Fact::Applicant => Said::Name(applicant_name(p.applicant()?)),
        Fact::Size => Said::Name(match p.size? {
            crate::knowledge::Size::Micro => "micro",
            crate::knowledge::Size::Piccola => "piccola",
            crate::knowledge::Size::Media => "media",
            crate::knowledge::Size::Grande => "grande",
        }),
        Fact::Who => match p.applicant() {
            Some(Applicant::Pmi | Applicant::GrandeImpresa) => Said::Name("impresa"),
            Some(a) => Said::Name(applicant_name(a)),
            None if p.firm => Said::Name("impresa"),
            None => return None,
        },
        Fact::InPiedmont => Said::Bool(p.in_piedmont()?),
        Fact::Partners => Said::Bool(p.partners?),
        Fact::Value => Said::Number(p.value?),
        Fact::Cofinancing => Said::Number(p.cofinancing?),
    })
}

/// The answer the profile gives to one question, if any.
pub fn answer_from(q: &Question, p: &Profile) -> Option<Answer> {
    let f = q.fact?;
    let value = said(f, p)?;
    match (q.kind, value) {
        (QuestionKind::YesNo, Said::Bool(b)) => Some(Answer::Bool(b)),
        (QuestionKind::Choice, v) => {
            let name = match v {
                Said::Name(n) => n,
                Said::Bool(true) => "si",
                Said::Bool(false) => "no",
                Said::Number(_) => return None,
            };
            q.options
                .iter()
                .find(|o| o.facts.iter().any(|x| x == name))
                .map(|o| Answer::Choice(o.id.clone()))
        }
        (QuestionKind::Number, Said::Number(n))
            if q.min.is_none_or(|m| n >= m) && q.max.is_none_or(|m| n <= m) =>
        {
            Some(Answer::Number(n))
        }
        _ => None,
    }
}

/// The answers the profile adds to `answers`: each question now asked and unanswered
/// that the profile answers, in order (a filled answer may open later questions).
pub fn prefill(qn: &Questionnaire, p: &Profile, answers: &Answers) -> Answers {
    let mut all = answers.clone();
    let mut added = Vec::new();
    for (i, q) in qn.questions.iter().enumerate() {
        if all.iter().any(|(id, _)| *id == q.id) || !qn.is_asked(i, &all) {
            continue;
        }
        if let Some(a) = answer_from(q, p) {
            all.push((q.id.clone(), a.clone()));
            added.push((q.id.clone(), a));
        }
    }
    added
}

/// The rules that the facts alone already decide against the asker: a "non ammissibile" or
/// "da verificare" rule whose every condition is on a question the facts answer, and
/// holds (`un progetto da 60.000 €` under A.L.Fa.'s minimum). What the facts allow to
/// say before any check.
pub fn settled_by<'q>(qn: &'q Questionnaire, p: &Profile) -> Vec<&'q super::Rule> {
    let answers = prefill(qn, p, &Vec::new());
    if answers.is_empty() {
        return Vec::new();
    }
    let answered = |id: &str| answers.iter().any(|(q, _)| q == id);
    qn.rules
        .iter()
        .filter(|r| {
            matches!(
                r.effect,
                super::RuleEffect::Verdict(super::Verdict::NotEligible | super::Verdict::ToVerify)
            )
        })
        .filter(|r| r.when.questions().all(answered) && r.when.holds(&answers))
        .collect()
}
