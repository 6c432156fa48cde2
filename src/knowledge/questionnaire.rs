//! Eligibility questionnaires as the pack holds them: questions, the conditions that
//! decide which are asked, rules with their verdicts, reasons and citations, test cases.
//!
//! These are data of the knowledge pack, so they live with it: the loader
//! (`load.rs`, with `rules.rs` for conditions and `checks.rs` for coverage and reachability)
//! builds them, and [`crate::eligibility`] evaluates them. Only what a condition *means*
//! (when a test holds) is defined here, because loading needs it to find unreachable
//! questions.

mod checks;
mod load;
mod rules;
#[cfg(test)]
mod tests;

pub(crate) use load::load_questionnaires;

use std::path::PathBuf;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::{Applicant, CallId};

/// What kind of answer a question expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionKind {
    YesNo,
    Choice,
    Multi,
    Number,
    Text,
}

/// Named validators for what a regex cannot check (e.g. a check digit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validator {
    /// Italian VAT number: 11 digits, the last one a Luhn-style check digit.
    PartitaIva,
}

impl Validator {
    pub fn from_name(name: &str) -> Option<Validator> {
        match name {
            "partita-iva" => Some(Validator::PartitaIva),
            _ => None,
        }
    }

    pub fn accepts(self, text: &str) -> bool {
        match self {
            Validator::PartitaIva => partita_iva_ok(text),
        }
    }
}

/// The check digit of an Italian VAT number (odd positions as they are, even positions
/// doubled with 9 taken off above 9).
pub fn partita_iva_ok(s: &str) -> bool {
    let d: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    if d.len() != 11 || s.chars().count() != 11 {
        return false;
    }
    let mut sum = 0;
    for (i, &x) in d[..10].iter().enumerate() {
        sum += if i % 2 == 0 {
            x
        } else if x * 2 > 9 {
            x * 2 - 9
        } else {
            x * 2
        };
    }
    (10 - sum % 10) % 10 == d[10]
}

/// What a profile question matches against the calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileField {
    Applicants,
    Territory,
}

/// A profile fact (see [`crate::understand::Profile`]) a question can be answered from,
/// so that a check offered after a self-description starts with what the user said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact {
    /// Kind of applicant: the values of `applicants` in call files (`pmi`, `grande-impresa`…).
    Applicant,
    /// Company size: `micro`, `piccola`, `media`, `grande`.
    Size,
    /// Who applies: `impresa` (any firm), `terzo-settore`, `ente-pubblico`, `cittadino`,
    /// `ente-aggregatore`.
    Who,
    /// Operates in Piedmont (yes/no; as a choice: `si`, `no`).
    InPiedmont,
    /// Applies with partner firms (yes/no; as a choice: `si`, `no`).
    Partners,
    /// Project value in euro (number).
    Value,
    /// Co-financing share in percent (number).
    Cofinancing,
}

impl Fact {
    pub const NAMES: [(&'static str, Fact); 7] = [
        ("applicant", Fact::Applicant),
        ("size", Fact::Size),
        ("who", Fact::Who),
        ("in-piedmont", Fact::InPiedmont),
        ("partners", Fact::Partners),
        ("value", Fact::Value),
        ("cofinancing", Fact::Cofinancing),
    ];

    pub fn from_name(s: &str) -> Option<Fact> {
        Fact::NAMES.iter().find(|(n, _)| *n == s).map(|(_, f)| *f)
    }

    /// The values an option of a choice question may stand for.
    pub fn values(self) -> &'static [&'static str] {
        match self {
            Fact::Applicant => &[
                "pmi",
                "grande-impresa",
                "terzo-settore",
                "ente-pubblico",
                "cittadino",
                "ente-aggregatore",
            ],
            Fact::Size => &["micro", "piccola", "media", "grande"],
            Fact::Who => &[
                "impresa",
                "terzo-settore",
                "ente-pubblico",
                "cittadino",
                "ente-aggregatore",
            ],
            Fact::InPiedmont | Fact::Partners => &["si", "no"],
            Fact::Value | Fact::Cofinancing => &[],
        }
    }

    /// Whether a question of this kind can take this fact.
    pub fn fits(self, kind: QuestionKind) -> bool {
        match self {
            Fact::Applicant | Fact::Size | Fact::Who => kind == QuestionKind::Choice,
            Fact::InPiedmont | Fact::Partners => {
                matches!(kind, QuestionKind::YesNo | QuestionKind::Choice)
            }
            Fact::Value | Fact::Cofinancing => kind == QuestionKind::Number,
        }
    }
}

/// One option of a choice question.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub id: String,
    pub label: String,
    /// Values of the question's [`Fact`] this option stands for.
    pub facts: Vec<String>,
    /// Profile questionnaires: the kind of applicant this option stands for.
    pub applicant: Option<Applicant>,
    /// Profile questionnaires: the territory this option stands for (none: elsewhere).
    pub territory: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Question {
    pub id: String,
    pub kind: QuestionKind,
    pub text: String,
    /// Short label for the summary.
    pub label: String,
    /// Explanation shown when the user asks for it.
    pub help: Option<String>,
    pub options: Vec<Choice>,
    /// Unit of a number (`€`, `%`).
    pub unit: Option<String>,
    /// Accepted range of a number (inclusive): a typed value outside it is asked again.
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub pattern: Option<Regex>,
    pub validator: Option<Validator>,
    /// What a valid answer looks like, said after a wrong one.
    pub expected: Option<String>,
    /// The user may skip it.
    pub optional: bool,
    pub ask_if: Option<Condition>,
    pub skip_if: Option<Condition>,
    pub matches: Option<ProfileField>,
    /// The profile fact that answers it, if any.
    pub fact: Option<Fact>,
    pub line: usize,
}

/// One test on one answer; a [`Condition`] holds when all its tests hold.
#[derive(Debug, Clone)]
pub enum Test {
    Is(bool),
    /// Choice: the answer is one of these; multiple choice: at least one is selected.
    Any(Vec<String>),
    /// Multiple choice: all of these are selected.
    All(Vec<String>),
    /// None of these is chosen / selected.
    NoneOf(Vec<String>),
    Ge(f64),
    Gt(f64),
    Le(f64),
    Lt(f64),
    Matches(Regex),
    /// The question was answered (`true`) or skipped / not asked (`false`).
    Answered(bool),
}

/// Tests on earlier answers, all of which must hold.
#[derive(Debug, Clone, Default)]
pub struct Condition(pub Vec<(String, Test)>);

/// A typed answer (option ids, not labels, so a stored dialogue survives label edits).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Answer {
    Bool(bool),
    Choice(String),
    Multi(Vec<String>),
    Number(f64),
    Text(String),
    /// An optional question the user skipped.
    Skipped,
}

/// Answers in the order they were given.
pub type Answers = Vec<(String, Answer)>;

pub(crate) fn get<'a>(answers: &'a [(String, Answer)], id: &str) -> Option<&'a Answer> {
    answers.iter().find(|(q, _)| q == id).map(|(_, a)| a)
}

impl Test {
    /// Whether the test holds for `answer` (`None`: the question was not asked).
    pub fn holds(&self, answer: Option<&Answer>) -> bool {
        let answer = match (self, answer) {
            (Test::Answered(want), a) => {
                return *want == a.is_some_and(|a| *a != Answer::Skipped);
            }
            (_, None | Some(Answer::Skipped)) => return false,
            (_, Some(a)) => a,
        };
        let selected: Vec<&str> = match answer {
            Answer::Choice(c) => vec![c.as_str()],
            Answer::Multi(v) => v.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        };
        let num = match answer {
            Answer::Number(n) => Some(*n),
            _ => None,
        };
        match self {
            Test::Is(b) => *answer == Answer::Bool(*b),
            Test::Any(ids) => selected.iter().any(|s| ids.iter().any(|i| i == s)),
            Test::All(ids) => ids.iter().all(|i| selected.contains(&i.as_str())),
            Test::NoneOf(ids) => {
                !selected.is_empty() && !selected.iter().any(|s| ids.iter().any(|i| i == s))
            }
            Test::Ge(x) => num.is_some_and(|n| n >= *x),
            Test::Gt(x) => num.is_some_and(|n| n > *x),
            Test::Le(x) => num.is_some_and(|n| n <= *x),
            Test::Lt(x) => num.is_some_and(|n| n < *x),
            Test::Matches(re) => matches!(answer, Answer::Text(t) if re.is_match(t)),
            Test::Answered(_) => unreachable!("handled above"),
        }
    }
}

impl Condition {
    /// Definite evaluation: an unanswered question fails every test but `answered = false`.
    pub fn holds(&self, answers: &[(String, Answer)]) -> bool {
        self.0.iter().all(|(q, t)| t.holds(get(answers, q)))
    }

    /// Evaluation while the dialogue is still going: tests on questions not reached yet
    /// (`pending`) are unknown.
    pub(crate) fn maybe(
        &self,
        answers: &[(String, Answer)],
        pending: &dyn Fn(&str) -> bool,
    ) -> Option<bool> {
        let mut unknown = false;
        for (q, t) in &self.0 {
            if pending(q) {
                unknown = true;
            } else if !t.holds(get(answers, q)) {
                return Some(false);
            }
        }
        if unknown { None } else { Some(true) }
    }

    pub fn questions(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(q, _)| q.as_str())
    }
}

/// The outcome of a questionnaire, from the best to the worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    Eligible,
    ToVerify,
    NotEligible,
}

impl Verdict {
    pub fn from_name(s: &str) -> Option<Verdict> {
        match s {
            "ammissibile" => Some(Verdict::Eligible),
            "da-verificare" => Some(Verdict::ToVerify),
            "non-ammissibile" => Some(Verdict::NotEligible),
            _ => None,
        }
    }

    /// The name used in knowledge files.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Eligible => "ammissibile",
            Verdict::ToVerify => "da-verificare",
            Verdict::NotEligible => "non-ammissibile",
        }
    }
}

/// What a rule does when its condition holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleEffect {
    Verdict(Verdict),
    /// Adds a remark (e.g. a priority) without deciding anything.
    Note,
}

/// A part of a call a reason rests on: `call#section`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cite {
    pub call: CallId,
    pub section: String,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub when: Condition,
    pub effect: RuleEffect,
    pub reason: String,
    pub cite: Cite,
    /// Near-miss guidance: what would change a negative verdict.
    pub fix: Option<String>,
    pub line: usize,
}

/// What a test case expects.
#[derive(Debug, Clone)]
pub enum Expect {
    Verdict {
        verdict: Verdict,
        /// When given, exactly these rules must fire (in any order).
        rules: Option<Vec<String>>,
    },
    Calls {
        fit: Vec<CallId>,
        unknown: Option<Vec<CallId>>,
    },
}

#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub answers: Answers,
    pub expect: Expect,
    pub line: usize,
}

/// Whether a questionnaire checks one call or matches a profile against all calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Call(CallId),
    Profile,
}

#[derive(Debug, Clone)]
pub struct Questionnaire {
    pub id: String,
    pub target: Target,
    pub title: String,
    pub intro: Option<String>,
    /// What to do after the verdict (read the call, documents to prepare...).
    pub next_steps: Vec<String>,
    pub questions: Vec<Question>,
    pub rules: Vec<Rule>,
    pub cases: Vec<Case>,
    pub file: PathBuf,
}
