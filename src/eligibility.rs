//! Eligibility questionnaires as data: the model, typed answers and their pure evaluation.
//!
//! A questionnaire (read from `knowledge/questionnaires/` by the loader) is an ordered
//! list of questions, conditions that decide which questions are asked, rules that turn
//! answers into a verdict with reasons, and test cases. Nothing here knows about the
//! dialogue or the clock: the engine asks the questions, this module decides.

mod prefill;

pub use prefill::{answer_from, prefill, settled_by};

use std::path::PathBuf;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::knowledge::{Applicant, Call, CallId, CallKind};

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

fn get<'a>(answers: &'a [(String, Answer)], id: &str) -> Option<&'a Answer> {
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
    fn maybe(&self, answers: &[(String, Answer)], pending: &dyn Fn(&str) -> bool) -> Option<bool> {
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

/// Words the parser of typed answers needs (from the locale).
pub struct Words<'a> {
    /// Words that open a yes or a no followed by more (`no, siamo solo noi`).
    pub lead_yes: &'a [String],
    pub lead_no: &'a [String],
    pub yes: &'a [String],
    pub no: &'a [String],
    pub all: &'a [String],
    /// How numbers are written (`60.000` / `60,000`, `60 mila` / `60k`).
    pub lang: crate::text::Lang,
}

/// Reads a number written the Italian way: `100.000 €`, `100000`, `19,5%`, `60 mila`,
/// `1,5 milioni`, `cinquantamila`, `circa 50 mila`. A dot followed by groups of exactly
/// three digits is a thousands separator; a comma is the decimal mark, but `2, 3` (a comma
/// and a space) is two numbers, so no answer (see [`crate::numbers`]).
pub fn parse_number(text: &str) -> Option<f64> {
    // `,5` or `.5` is a typo more often than a fraction: ask again.
    if text.trim_start().starts_with([',', '.']) {
        return None;
    }
    crate::numbers::parse_amount(text)
}

/// Why a typed answer was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejected {
    NotUnderstood,
    /// A text answer failing its pattern or validator.
    Invalid,
}

impl Question {
    /// Finds an option by its number (1-based), id or label; a unique option whose label
    /// contains the typed words also counts.
    pub fn find_option(&self, text: &str) -> Option<usize> {
        let folded = crate::fold::fold_str(text);
        if folded.is_empty() {
            return None;
        }
        if let Ok(n) = text.trim().trim_end_matches(['.', ')']).parse::<usize>() {
            return (n >= 1 && n <= self.options.len()).then(|| n - 1);
        }
        let labels: Vec<String> = self
            .options
            .iter()
            .map(|o| crate::fold::fold_str(&o.label))
            .collect();
        if let Some(i) = self
            .options
            .iter()
            .enumerate()
            .position(|(i, o)| labels[i] == folded || crate::fold::fold_str(&o.id) == folded)
        {
            return Some(i);
        }
        let padded = format!(" {folded} ");
        let hits: Vec<usize> = labels
            .iter()
            .enumerate()
            .filter(|(_, l)| format!(" {l} ").contains(&padded))
            .map(|(i, _)| i)
            .collect();
        (hits.len() == 1).then(|| hits[0])
    }

    /// Turns typed text into an answer for this question.
    pub fn parse(&self, text: &str, words: &Words<'_>) -> Result<Answer, Rejected> {
        let folded = crate::fold::fold_str(text);
        match self.kind {
            QuestionKind::YesNo => {
                let first = folded.split_whitespace().next().unwrap_or_default();
                let is =
                    |list: &[String], w: &str| list.iter().any(|x| crate::fold::fold_str(x) == w);
                if is(words.yes, &folded) || is(words.lead_yes, first) {
                    Ok(Answer::Bool(true))
                } else if is(words.no, &folded) || is(words.lead_no, first) {
                    Ok(Answer::Bool(false))
                } else {
                    Err(Rejected::NotUnderstood)
                }
            }
            QuestionKind::Choice => self
                .find_option(text)
                .map(|i| Answer::Choice(self.options[i].id.clone()))
                .ok_or(Rejected::NotUnderstood),
            QuestionKind::Multi => {
                if words.all.iter().any(|w| crate::fold::fold_str(w) == folded) {
                    return Ok(Answer::Multi(
                        self.options.iter().map(|o| o.id.clone()).collect(),
                    ));
                }
                let mut chosen: Vec<usize> = Vec::new();
                let parts = text
                    .split([',', ';', '+', '/'])
                    .flat_map(|p| p.split(" e "))
                    .flat_map(|p| p.split(" and "))
                    .map(str::trim)
                    .filter(|p| !p.is_empty());
                for p in parts {
                    // "1 3" as well as "1, 3".
                    let numbers: Vec<&str> = p.split_whitespace().collect();
                    if numbers.len() > 1 && numbers.iter().all(|n| n.parse::<usize>().is_ok()) {
                        for n in numbers {
                            chosen.push(self.find_option(n).ok_or(Rejected::NotUnderstood)?);
                        }
                    } else {
                        chosen.push(self.find_option(p).ok_or(Rejected::NotUnderstood)?);
                    }
                }
                if chosen.is_empty() {
                    return Err(Rejected::NotUnderstood);
                }
                // Keep the options' order so answers compare equal however typed.
                Ok(Answer::Multi(
                    self.options
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| chosen.contains(i))
                        .map(|(_, o)| o.id.clone())
                        .collect(),
                ))
            }
            QuestionKind::Number => {
                let n = match words.lang {
                    crate::text::Lang::It => parse_number(text),
                    crate::text::Lang::En => {
                        crate::numbers::english::parse_number(text).or_else(|| parse_number(text))
                    }
                }
                .ok_or(Rejected::NotUnderstood)?;
                if self.min.is_some_and(|m| n < m) || self.max.is_some_and(|m| n > m) {
                    return Err(Rejected::Invalid);
                }
                Ok(Answer::Number(n))
            }
            QuestionKind::Text => {
                let t = text.trim();
                let pattern_ok = self.pattern.as_ref().is_none_or(|re| re.is_match(t));
                let valid_ok = self.validator.is_none_or(|v| v.accepts(t));
                if t.is_empty() {
                    Err(Rejected::NotUnderstood)
                } else if pattern_ok && valid_ok {
                    Ok(Answer::Text(t.to_string()))
                } else {
                    Err(Rejected::Invalid)
                }
            }
        }
    }

    /// The answer as the user would read it in a summary (`yes`/`no` words given).
    pub fn show(
        &self,
        answer: &Answer,
        yes: &str,
        no: &str,
        skipped: &str,
        lang: crate::text::Lang,
    ) -> String {
        let label = |id: &str| {
            self.options
                .iter()
                .find(|o| o.id == id)
                .map(|o| o.label.clone())
                .unwrap_or_else(|| id.to_string())
        };
        match answer {
            Answer::Bool(true) => yes.to_string(),
            Answer::Bool(false) => no.to_string(),
            Answer::Choice(c) => label(c),
            Answer::Multi(v) => v.iter().map(|c| label(c)).collect::<Vec<_>>().join(", "),
            Answer::Number(n) => crate::text::texts(lang).number(*n, self.unit.as_deref()),
            Answer::Text(t) => t.clone(),
            Answer::Skipped => skipped.to_string(),
        }
    }
}

/// `100000` → `100.000 €`, `19.5` → `19,5%`.
pub fn format_number(n: f64, unit: Option<&str>) -> String {
    let neg = n < 0.0;
    let a = n.abs();
    let int = a.trunc() as u64;
    let frac = ((a - a.trunc()) * 100.0).round() as u64;
    let digits = int.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(c);
    }
    let mut s = format!("{}{}", if neg { "-" } else { "" }, grouped);
    if frac > 0 {
        let f = format!("{frac:02}");
        s.push(',');
        s.push_str(f.trim_end_matches('0'));
    }
    match unit {
        Some("%") => format!("{s}%"),
        Some(u) => format!("{s} {u}"),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn italian_numbers_are_read() {
        for (t, n) in [
            ("100.000 €", 100_000.0),
            ("100000", 100_000.0),
            ("59.999", 59_999.0),
            ("200.001 euro", 200_001.0),
            ("1.000.000", 1_000_000.0),
            ("25%", 25.0),
            ("19,5 %", 19.5),
            ("19.5", 19.5),
            ("60 mila", 60_000.0),
            ("1,5 milioni", 1_500_000.0),
            ("100.000,50 €", 100_000.5),
        ] {
            assert_eq!(parse_number(t), Some(n), "{t}");
        }
        for t in ["", "tanti", "1.2.3", "100.00.0", "12 mele", ",5", "🙂"] {
            assert_eq!(parse_number(t), None, "{t}");
        }
    }

    #[test]
    fn numbers_are_shown_the_italian_way() {
        assert_eq!(format_number(100_000.0, Some("€")), "100.000 €");
        assert_eq!(format_number(19.5, Some("%")), "19,5%");
        assert_eq!(format_number(999.0, None), "999");
    }

    #[test]
    fn vat_check_digit() {
        assert!(partita_iva_ok("12345678903"));
        assert!(!partita_iva_ok("12345678901"));
        assert!(!partita_iva_ok("1234567890"));
        assert!(!partita_iva_ok("1234567890３"));
        assert!(!partita_iva_ok("abcdefghijk"));
    }

    fn q(kind: QuestionKind, options: &[&str]) -> Question {
        Question {
            id: "q".into(),
            kind,
            text: String::new(),
            label: String::new(),
            help: None,
            options: options
                .iter()
                .map(|l| Choice {
                    id: crate::fold::fold_str(l).replace(' ', "-"),
                    label: l.to_string(),
                    facts: Vec::new(),
                    applicant: None,
                    territory: None,
                })
                .collect(),
            unit: None,
            min: None,
            max: None,
            pattern: None,
            validator: None,
            expected: None,
            optional: false,
            ask_if: None,
            skip_if: None,
            matches: None,
            fact: None,
            line: 1,
        }
    }

    #[test]
    fn typed_choices_are_matched_by_number_id_label_or_unique_word() {
        let yes = ["si".to_string(), "sì".into(), "s".into()];
        let no = ["no".to_string()];
        let all = ["tutte".to_string()];
        let w = Words {
            yes: &yes,
            no: &no,
            lead_yes: &[],
            lead_no: &[],
            all: &all,
            lang: crate::text::Lang::It,
        };
        let c = q(
            QuestionKind::Choice,
            &["Micro impresa", "Piccola impresa", "Grande impresa"],
        );
        assert_eq!(
            c.parse("2", &w),
            Ok(Answer::Choice("piccola-impresa".into()))
        );
        assert_eq!(
            c.parse("grande", &w),
            Ok(Answer::Choice("grande-impresa".into()))
        );
        assert_eq!(
            c.parse("Piccola Impresa", &w),
            Ok(Answer::Choice("piccola-impresa".into()))
        );
        assert_eq!(
            c.parse("impresa", &w),
            Err(Rejected::NotUnderstood),
            "ambiguous"
        );
        assert_eq!(c.parse("4", &w), Err(Rejected::NotUnderstood));
        let y = q(QuestionKind::YesNo, &[]);
        assert_eq!(y.parse("Sì", &w), Ok(Answer::Bool(true)));
        assert_eq!(y.parse("s", &w), Ok(Answer::Bool(true)));
        assert_eq!(y.parse("NO", &w), Ok(Answer::Bool(false)));
        assert_eq!(y.parse("forse", &w), Err(Rejected::NotUnderstood));
        let m = q(
            QuestionKind::Multi,
            &["Conciliazione", "Pari opportunità", "Benessere"],
        );
        assert_eq!(
            m.parse("3, 1", &w),
            Ok(Answer::Multi(vec![
                "conciliazione".into(),
                "benessere".into()
            ]))
        );
        assert_eq!(
            m.parse("pari opportunita e benessere", &w),
            Ok(Answer::Multi(vec![
                "pari-opportunita".into(),
                "benessere".into()
            ]))
        );
        assert_eq!(
            m.parse("tutte", &w)
                .map(|a| matches!(a, Answer::Multi(v) if v.len() == 3)),
            Ok(true)
        );
        assert_eq!(m.parse("1, 7", &w), Err(Rejected::NotUnderstood));
        let mut t = q(QuestionKind::Text, &[]);
        t.pattern = Some(Regex::new(r"^\d{2}\.\d{2}(\.\d{2})?$").unwrap());
        assert_eq!(t.parse("62.01.00", &w), Ok(Answer::Text("62.01.00".into())));
        assert_eq!(t.parse("62-01", &w), Err(Rejected::Invalid));
        t.pattern = Some(Regex::new(r"^\d{11}$").unwrap());
        t.validator = Some(Validator::PartitaIva);
        assert_eq!(
            t.parse(" 12345678903 ", &w),
            Ok(Answer::Text("12345678903".into()))
        );
        assert_eq!(t.parse("12345678901", &w), Err(Rejected::Invalid));
    }

    #[test]
    fn tests_on_unanswered_questions_fail_except_answered_false() {
        assert!(!Test::Is(true).holds(None));
        assert!(!Test::Lt(20.0).holds(Some(&Answer::Skipped)));
        assert!(Test::Answered(false).holds(None));
        assert!(Test::Answered(false).holds(Some(&Answer::Skipped)));
        assert!(Test::Answered(true).holds(Some(&Answer::Number(1.0))));
        assert!(Test::Ge(60_000.0).holds(Some(&Answer::Number(60_000.0))));
        assert!(!Test::Ge(60_000.0).holds(Some(&Answer::Number(59_999.0))));
        assert!(Test::NoneOf(vec!["a".into()]).holds(Some(&Answer::Multi(vec!["b".into()]))));
        assert!(
            !Test::NoneOf(vec!["a".into()])
                .holds(Some(&Answer::Multi(vec!["a".into(), "b".into()])))
        );
    }
}
