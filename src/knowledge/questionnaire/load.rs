//! Reading and validating `knowledge/questionnaires/*.toml` into [`Questionnaire`]s:
//! the files' raw shapes and their conversion, question by question, rule by rule, case
//! by case.
//!
//! Every problem is an error with its file and line: unknown questions or options in
//! conditions, conditions looking ahead, unreachable questions, options no rule covers,
//! bad regexes, citations of sections that do not exist, malformed test cases. Conditions
//! are read by [`super::rules`], the whole questionnaire checked by [`super::checks`].
//! Whether a case's expectation holds is not checked here: `sportello check` and `cargo
//! test` run the cases and report failures.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use regex::Regex;
use serde::Deserialize;
use toml::Spanned;

use super::checks::{check_coverage, check_reachable};
use super::rules::{RawCondition, answer_value, condition};
use super::{
    Answers, Case, Choice, Cite, Expect, Fact, ProfileField, Question, QuestionKind, Questionnaire,
    Rule, RuleEffect, Target, Validator, Verdict,
};
use crate::knowledge::files::{FileErrors, read, toml_files};
use crate::knowledge::{Applicant, Call, CallId, KnowledgeError};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestionnaire {
    id: Spanned<String>,
    kind: Spanned<String>,
    title: String,
    intro: Option<String>,
    #[serde(default)]
    next_steps: Vec<String>,
    #[serde(default)]
    question: Vec<RawQuestion>,
    #[serde(default)]
    rule: Vec<RawRule>,
    #[serde(default)]
    case: Vec<RawCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: Spanned<String>,
    kind: Spanned<String>,
    text: String,
    label: String,
    help: Option<String>,
    #[serde(default)]
    options: Vec<RawOption>,
    unit: Option<String>,
    min: Option<f64>,
    max: Option<f64>,
    pattern: Option<Spanned<String>>,
    validate: Option<Spanned<String>>,
    expected: Option<String>,
    #[serde(default)]
    optional: bool,
    ask_if: Option<RawCondition>,
    skip_if: Option<RawCondition>,
    matches: Option<Spanned<String>>,
    fact: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOption {
    id: Spanned<String>,
    label: String,
    applicant: Option<Applicant>,
    territory: Option<String>,
    #[serde(default)]
    facts: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    when: RawCondition,
    verdict: Spanned<String>,
    reason: String,
    cite: Spanned<String>,
    fix: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    name: Spanned<String>,
    answers: BTreeMap<String, Spanned<toml::Value>>,
    expect: Option<Spanned<String>>,
    rules: Option<Vec<String>>,
    calls: Option<Vec<Spanned<String>>>,
    unknown: Option<Vec<Spanned<String>>>,
}

/// Longest question and option ids: they never reach button data (indices do), but
/// they appear in summaries for maintainers and in stored sessions.
const MAX_ID: usize = 32;

fn id_ok(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID
        && id.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Loads every questionnaire of `dir/questionnaires`, checking references against `calls`.
pub(crate) fn load_questionnaires(
    dir: &Path,
    calls: &[Call],
    errors: &mut Vec<KnowledgeError>,
) -> Vec<Questionnaire> {
    let mut out: Vec<Questionnaire> = Vec::new();
    for path in toml_files(&dir.join("questionnaires")) {
        let Some(src) = read(&path, errors) else {
            continue;
        };
        let mut fe = FileErrors {
            path: &path,
            src: &src,
            out: errors,
        };
        match toml::from_str::<RawQuestionnaire>(&src) {
            Ok(raw) => {
                let before = fe.out.len();
                let q = convert(raw, &mut fe, calls);
                if fe.out.len() == before
                    && let Some(q) = q
                {
                    if out
                        .iter()
                        .any(|o| o.target == q.target && q.target != Target::Profile)
                    {
                        fe.at(0, "another questionnaire already checks this call");
                    } else {
                        out.push(q);
                    }
                }
            }
            Err(e) => fe.toml(e),
        }
    }
    out
}

fn convert(
    raw: RawQuestionnaire,
    fe: &mut FileErrors<'_>,
    calls: &[Call],
) -> Option<Questionnaire> {
    let stem = fe
        .path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_string();
    let id = raw.id.get_ref().clone();
    if id != stem {
        fe.at(
            raw.id.span().start,
            format!("id «{id}» must equal the file name «{stem}»"),
        );
    }
    let target = match raw.kind.get_ref().as_str() {
        "call" => {
            if calls.iter().all(|c| c.id.0 != id) {
                fe.at(
                    raw.id.span().start,
                    format!(
                        "no call has the id «{id}»: a call questionnaire is named after its call"
                    ),
                );
            }
            Target::Call(CallId(id.clone()))
        }
        "profile" => Target::Profile,
        other => {
            fe.at(
                raw.kind.span().start,
                format!("kind «{other}»: use \"call\" or \"profile\""),
            );
            return None;
        }
    };
    if id.len() > MAX_ID || !id_ok(&id) {
        fe.at(
            raw.id.span().start,
            format!(
                "invalid id «{id}» (lower-case words joined by -, at most {MAX_ID} characters)"
            ),
        );
    }
    if raw.question.is_empty() {
        fe.at(0, "a questionnaire needs at least one [[question]]");
        return None;
    }

    // Questions first (conditions may only look at earlier ones).
    let mut questions: Vec<Question> = Vec::new();
    let mut seen = HashSet::new();
    for rq in raw.question {
        let at = rq.id.span().start;
        let qid = rq.id.get_ref().clone();
        if !id_ok(&qid) {
            fe.at(at, format!("invalid question id «{qid}»"));
        }
        if !seen.insert(qid.clone()) {
            fe.at(at, format!("question id «{qid}» is used twice"));
        }
        let kind = match rq.kind.get_ref().as_str() {
            "yes-no" => QuestionKind::YesNo,
            "choice" => QuestionKind::Choice,
            "multiple-choice" => QuestionKind::Multi,
            "number" => QuestionKind::Number,
            "text" => QuestionKind::Text,
            other => {
                fe.at(rq.kind.span().start, format!("question kind «{other}»: use yes-no, choice, multiple-choice, number or text"));
                continue;
            }
        };
        let has_options = matches!(kind, QuestionKind::Choice | QuestionKind::Multi);
        if has_options && rq.options.len() < 2 {
            fe.at(at, "a choice needs at least two options");
        }
        if !has_options && !rq.options.is_empty() {
            fe.at(at, "only choice questions have options");
        }
        // Buttons carry option indices as small numbers.
        if rq.options.len() > 20 {
            fe.at(at, "at most 20 options");
        }
        let fact = rq.fact.as_ref().and_then(|f| {
            let found = Fact::from_name(f.get_ref());
            match found {
                None => fe.at(
                    f.span().start,
                    format!(
                        "unknown fact «{}»: use {}",
                        f.get_ref(),
                        Fact::NAMES.map(|(n, _)| n).join(", ")
                    ),
                ),
                Some(x) if !x.fits(kind) => fe.at(
                    f.span().start,
                    format!(
                        "fact «{}» does not fit a {} question",
                        f.get_ref(),
                        rq.kind.get_ref()
                    ),
                ),
                Some(_) => {}
            }
            found.filter(|x| x.fits(kind))
        });
        let mut options = Vec::new();
        let mut opt_ids = HashSet::new();
        for o in rq.options {
            if !id_ok(o.id.get_ref()) {
                fe.at(
                    o.id.span().start,
                    format!("invalid option id «{}»", o.id.get_ref()),
                );
            }
            if !opt_ids.insert(o.id.get_ref().clone()) {
                fe.at(
                    o.id.span().start,
                    format!("option id «{}» is used twice", o.id.get_ref()),
                );
            }
            if o.label.chars().count() > 60 {
                fe.at(
                    o.id.span().start,
                    "an option label is a button: keep it within 60 characters",
                );
            }
            match fact {
                Some(f) if !f.values().is_empty() => {
                    for v in &o.facts {
                        if !f.values().contains(&v.as_str()) {
                            fe.at(
                                o.id.span().start,
                                format!("fact value «{v}»: use {}", f.values().join(", ")),
                            );
                        }
                    }
                }
                _ if !o.facts.is_empty() => {
                    fe.at(o.id.span().start, "`facts` needs a `fact` on the question");
                }
                _ => {}
            }
            options.push(Choice {
                id: o.id.into_inner(),
                label: o.label,
                facts: o.facts,
                applicant: o.applicant,
                territory: o.territory,
            });
        }
        let pattern = rq
            .pattern
            .as_ref()
            .and_then(|p| match Regex::new(p.get_ref()) {
                Ok(re) => Some(re),
                Err(e) => {
                    fe.at(
                        p.span().start,
                        format!(
                            "bad regex: {}",
                            e.to_string().lines().last().unwrap_or_default()
                        ),
                    );
                    None
                }
            });
        let validator = rq.validate.as_ref().and_then(|v| {
            let found = Validator::from_name(v.get_ref());
            if found.is_none() {
                fe.at(
                    v.span().start,
                    format!("unknown validator «{}»: known: partita-iva", v.get_ref()),
                );
            }
            found
        });
        if kind != QuestionKind::Text && (rq.pattern.is_some() || rq.validate.is_some()) {
            fe.at(at, "`pattern` and `validate` are for text questions");
        }
        if kind != QuestionKind::Number
            && (rq.min.is_some() || rq.max.is_some() || rq.unit.is_some())
        {
            fe.at(at, "`unit`, `min` and `max` are for number questions");
        }
        if kind == QuestionKind::Text && rq.expected.is_none() {
            fe.at(
                at,
                "a text question needs `expected` (what a valid answer looks like)",
            );
        }
        let matches = rq
            .matches
            .as_ref()
            .and_then(|m| match m.get_ref().as_str() {
                "applicants" => Some(ProfileField::Applicants),
                "territory" => Some(ProfileField::Territory),
                other => {
                    fe.at(
                        m.span().start,
                        format!("matches «{other}»: use \"applicants\" or \"territory\""),
                    );
                    None
                }
            });
        if matches.is_some() && target != Target::Profile {
            fe.at(at, "`matches` is for profile questionnaires");
        }
        if matches.is_some() && kind != QuestionKind::Choice {
            fe.at(
                at,
                "a profile question with `matches` must be a single choice",
            );
        }
        if matches == Some(ProfileField::Applicants)
            && options.iter().any(|o| o.applicant.is_none())
        {
            fe.at(
                at,
                "every option of an applicants question needs `applicant`",
            );
        }
        let ask_if = rq
            .ask_if
            .as_ref()
            .and_then(|c| condition(c, &questions, fe));
        let skip_if = rq
            .skip_if
            .as_ref()
            .and_then(|c| condition(c, &questions, fe));
        questions.push(Question {
            id: qid,
            kind,
            text: rq.text,
            label: rq.label,
            help: rq.help,
            options,
            unit: rq.unit,
            min: rq.min,
            max: rq.max,
            pattern,
            validator,
            expected: rq.expected,
            optional: rq.optional,
            ask_if,
            skip_if,
            matches,
            fact,
            line: line_of(fe.src, at),
        });
    }

    let mut rules = Vec::new();
    let mut rule_ids = HashSet::new();
    for r in raw.rule {
        let at = r.id.span().start;
        if !rule_ids.insert(r.id.get_ref().clone()) {
            fe.at(at, format!("rule id «{}» is used twice", r.id.get_ref()));
        }
        let effect = match r.verdict.get_ref().as_str() {
            "nota" => RuleEffect::Note,
            v => {
                match Verdict::from_name(v) {
                    Some(v) => RuleEffect::Verdict(v),
                    None => {
                        fe.at(r.verdict.span().start, format!("verdict «{v}»: use ammissibile, non-ammissibile, da-verificare or nota"));
                        continue;
                    }
                }
            }
        };
        if effect == RuleEffect::Verdict(Verdict::NotEligible) && r.fix.is_none() {
            fe.at(
                at,
                "a «non-ammissibile» rule needs `fix`: what would change the verdict",
            );
        }
        let cite = match r.cite.get_ref().split_once('#') {
            Some((c, s))
                if calls
                    .iter()
                    .any(|k| k.id.0 == c && k.sections.iter().any(|x| x.id == s)) =>
            {
                Cite {
                    call: CallId(c.to_string()),
                    section: s.to_string(),
                }
            }
            _ => {
                fe.at(
                    r.cite.span().start,
                    format!("cite «{}»: no such call#section", r.cite.get_ref()),
                );
                continue;
            }
        };
        let Some(when) = condition(&r.when, &questions, fe) else {
            continue;
        };
        if when.0.is_empty() {
            fe.at(r.when.span().start, "a rule needs at least one condition");
        }
        rules.push(Rule {
            id: r.id.into_inner(),
            when,
            effect,
            reason: r.reason,
            cite,
            fix: r.fix,
            line: line_of(fe.src, at),
        });
    }
    if target == Target::Profile {
        if !rules.is_empty() {
            fe.at(0, "a profile questionnaire matches calls: it has no rules");
        }
        for f in [ProfileField::Applicants, ProfileField::Territory] {
            if questions.iter().filter(|q| q.matches == Some(f)).count() > 1 {
                fe.at(0, "at most one question per `matches` field");
            }
        }
        if !questions
            .iter()
            .any(|q| q.matches == Some(ProfileField::Applicants))
        {
            fe.at(
                0,
                "a profile questionnaire needs a question with matches = \"applicants\"",
            );
        }
    } else {
        check_coverage(&questions, &rules, fe);
    }
    check_reachable(&questions, fe);

    let mut cases = Vec::new();
    for c in raw.case {
        let at = c.name.span().start;
        let mut answers: Answers = Vec::new();
        for (qid, v) in &c.answers {
            let Some(q) = questions.iter().find(|q| &q.id == qid) else {
                fe.at(
                    v.span().start,
                    format!("case answers unknown question «{qid}»"),
                );
                continue;
            };
            match answer_value(q, v.get_ref()) {
                Ok(a) => answers.push((qid.clone(), a)),
                Err(m) => fe.at(v.span().start, format!("answer to «{qid}»: {m}")),
            }
        }
        let expect = match (&target, &c.expect, &c.calls) {
            (Target::Call(_), Some(e), None) => match Verdict::from_name(e.get_ref()) {
                Some(verdict) => {
                    for r in c.rules.iter().flatten() {
                        if !rules.iter().any(|x| &x.id == r) {
                            fe.at(at, format!("case expects unknown rule «{r}»"));
                        }
                    }
                    Expect::Verdict {
                        verdict,
                        rules: c.rules.clone(),
                    }
                }
                None => {
                    fe.at(
                        e.span().start,
                        format!(
                            "expect «{}»: use ammissibile, non-ammissibile or da-verificare",
                            e.get_ref()
                        ),
                    );
                    continue;
                }
            },
            (Target::Profile, None, Some(fit)) => {
                let ids = |v: &[Spanned<String>], fe: &mut FileErrors<'_>| {
                    v.iter()
                        .map(|s| {
                            if calls.iter().all(|k| &k.id.0 != s.get_ref()) {
                                fe.at(s.span().start, format!("unknown call «{}»", s.get_ref()));
                            }
                            CallId(s.get_ref().clone())
                        })
                        .collect::<Vec<_>>()
                };
                let fit = ids(fit, fe);
                let unknown = c.unknown.as_ref().map(|u| ids(u, fe));
                Expect::Calls { fit, unknown }
            }
            (Target::Call(_), _, _) => {
                fe.at(
                    at,
                    "a case of a call questionnaire needs `expect` (and no `calls`)",
                );
                continue;
            }
            (Target::Profile, _, _) => {
                fe.at(
                    at,
                    "a case of a profile questionnaire needs `calls` (and no `expect`)",
                );
                continue;
            }
        };
        cases.push(Case {
            name: c.name.into_inner(),
            answers,
            expect,
            line: line_of(fe.src, at),
        });
    }
    if cases.is_empty() {
        fe.at(0, "a questionnaire needs test cases ([[case]])");
    }
    Some(Questionnaire {
        id,
        target,
        title: raw.title,
        intro: raw.intro,
        next_steps: raw.next_steps,
        questions,
        rules,
        cases,
        file: fe.path.to_path_buf(),
    })
}

fn line_of(src: &str, offset: usize) -> usize {
    src[..offset.min(src.len())].matches('\n').count() + 1
}
