//! Reading and validating `knowledge/questionnaires/*.toml` into [`Questionnaire`]s.
//!
//! Every problem is an error with its file and line: unknown questions or options in
//! conditions, conditions looking ahead, unreachable questions, options no rule covers,
//! bad regexes, citations of sections that do not exist, malformed test cases. Whether a
//! case's expectation holds is not checked here: `sportello check` and `cargo test` run
//! the cases and report failures.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use regex::Regex;
use serde::Deserialize;
use toml::Spanned;

use super::files::{FileErrors, read, toml_files};
use super::{Applicant, Call, CallId, KnowledgeError};
use crate::eligibility::{
    Answer, Answers, Case, Choice, Cite, Condition, Expect, Fact, ProfileField, Question,
    QuestionKind, Questionnaire, Rule, RuleEffect, Target, Test, Validator, Verdict,
};

type RawCondition = Spanned<BTreeMap<String, Spanned<toml::Value>>>;

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

/// A case's TOML value as an answer to `q`.
fn answer_value(q: &Question, v: &toml::Value) -> Result<Answer, String> {
    let option = |s: &str| {
        if q.options.iter().any(|o| o.id == s) {
            Ok(s.to_string())
        } else {
            Err(format!("no option «{s}»"))
        }
    };
    match (q.kind, v) {
        (QuestionKind::YesNo, toml::Value::Boolean(b)) => Ok(Answer::Bool(*b)),
        (QuestionKind::Choice, toml::Value::String(s)) => Ok(Answer::Choice(option(s)?)),
        (QuestionKind::Multi, toml::Value::Array(a)) => {
            let mut ids = Vec::new();
            for x in a {
                ids.push(option(x.as_str().ok_or("expected option ids")?)?);
            }
            if ids.is_empty() {
                return Err("select at least one option".into());
            }
            Ok(Answer::Multi(ids))
        }
        (QuestionKind::Number, toml::Value::Integer(_) | toml::Value::Float(_)) => {
            let n = v
                .as_float()
                .or_else(|| v.as_integer().map(|i| i as f64))
                .unwrap_or_default();
            if q.min.is_some_and(|m| n < m) || q.max.is_some_and(|m| n > m) {
                return Err(format!("{n} is outside the accepted range"));
            }
            Ok(Answer::Number(n))
        }
        (QuestionKind::Text, toml::Value::String(s)) => {
            let pattern_ok = q.pattern.as_ref().is_none_or(|re| re.is_match(s));
            let valid_ok = q.validator.is_none_or(|v| v.accepts(s));
            if pattern_ok && valid_ok {
                Ok(Answer::Text(s.clone()))
            } else {
                Err(format!("«{s}» is not a valid answer"))
            }
        }
        _ => Err(match q.kind {
            QuestionKind::YesNo => "expected true or false",
            QuestionKind::Choice => "expected an option id",
            QuestionKind::Multi => "expected a list of option ids",
            QuestionKind::Number => "expected a number",
            QuestionKind::Text => "expected a string",
        }
        .into()),
    }
}

/// Parses a condition table against the questions defined so far.
fn condition(
    raw: &RawCondition,
    earlier: &[Question],
    fe: &mut FileErrors<'_>,
) -> Option<Condition> {
    let mut out = Vec::new();
    let mut ok = true;
    for (qid, v) in raw.get_ref() {
        let at = v.span().start;
        let Some(q) = earlier.iter().find(|q| &q.id == qid) else {
            fe.at(
                at,
                format!(
                    "unknown question «{qid}» (conditions may only name questions defined above)"
                ),
            );
            ok = false;
            continue;
        };
        match tests(q, v.get_ref()) {
            Ok(ts) => out.extend(ts.into_iter().map(|t| (qid.clone(), t))),
            Err(m) => {
                fe.at(at, format!("condition on «{qid}»: {m}"));
                ok = false;
            }
        }
    }
    ok.then_some(Condition(out))
}

fn tests(q: &Question, v: &toml::Value) -> Result<Vec<Test>, String> {
    let ids = |v: &toml::Value| -> Result<Vec<String>, String> {
        let list: Vec<&toml::Value> = match v {
            toml::Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        let mut out = Vec::new();
        for x in list {
            let s = x.as_str().ok_or("expected option ids")?;
            if !q.options.iter().any(|o| o.id == s) {
                return Err(format!("no option «{s}»"));
            }
            out.push(s.to_string());
        }
        Ok(out)
    };
    let num = |v: &toml::Value| -> Result<f64, String> {
        match v {
            toml::Value::Integer(i) => Ok(*i as f64),
            toml::Value::Float(f) => Ok(*f),
            _ => Err("expected a number".into()),
        }
    };
    let choice = matches!(q.kind, QuestionKind::Choice | QuestionKind::Multi);
    match v {
        toml::Value::Boolean(b) if q.kind == QuestionKind::YesNo => Ok(vec![Test::Is(*b)]),
        toml::Value::String(_) | toml::Value::Array(_) if choice => Ok(vec![Test::Any(ids(v)?)]),
        toml::Value::Table(t) => {
            let mut out = Vec::new();
            for (k, x) in t {
                out.push(match (k.as_str(), q.kind) {
                    ("answered", _) => {
                        Test::Answered(x.as_bool().ok_or("`answered` is true or false")?)
                    }
                    ("any", QuestionKind::Choice | QuestionKind::Multi) => Test::Any(ids(x)?),
                    ("none", QuestionKind::Choice | QuestionKind::Multi) => Test::NoneOf(ids(x)?),
                    ("all", QuestionKind::Multi) => Test::All(ids(x)?),
                    ("ge", QuestionKind::Number) => Test::Ge(num(x)?),
                    ("gt", QuestionKind::Number) => Test::Gt(num(x)?),
                    ("le", QuestionKind::Number) => Test::Le(num(x)?),
                    ("lt", QuestionKind::Number) => Test::Lt(num(x)?),
                    ("matches", QuestionKind::Text) => {
                        let s = x.as_str().ok_or("`matches` is a regex string")?;
                        Test::Matches(Regex::new(s).map_err(|e| {
                            format!(
                                "bad regex: {}",
                                e.to_string().lines().last().unwrap_or_default()
                            )
                        })?)
                    }
                    (k, _) => return Err(format!("`{k}` does not apply to this kind of question")),
                });
            }
            if out.is_empty() {
                return Err("empty test".into());
            }
            Ok(out)
        }
        _ => Err(match q.kind {
            QuestionKind::YesNo => "expected true or false",
            QuestionKind::Choice | QuestionKind::Multi => {
                "expected an option id, a list of them, or { any / none / all = [...] }"
            }
            QuestionKind::Number => "expected { ge / gt / le / lt = number }",
            QuestionKind::Text => "expected { matches = \"regex\" } or { answered = true }",
        }
        .into()),
    }
}

/// Every option (and both answers of a yes/no question) appears in some rule, and every
/// question but free text is looked at by some rule: otherwise an answer would be
/// asked for nothing, or a choice would fall through to "da verificare" unnoticed.
fn check_coverage(questions: &[Question], rules: &[Rule], fe: &mut FileErrors<'_>) {
    for q in questions {
        let tests: Vec<&Test> = rules
            .iter()
            .flat_map(|r| r.when.0.iter())
            .filter(|(id, _)| *id == q.id)
            .map(|(_, t)| t)
            .collect();
        let offset = offset_of_line(fe.src, q.line);
        match q.kind {
            QuestionKind::Choice | QuestionKind::Multi => {
                for o in &q.options {
                    let covered = tests.iter().any(|t| match t {
                        Test::Any(v) | Test::All(v) | Test::NoneOf(v) => v.contains(&o.id),
                        _ => false,
                    });
                    if !covered {
                        fe.at(
                            offset,
                            format!("option «{}» of «{}» is covered by no rule", o.id, q.id),
                        );
                    }
                }
            }
            QuestionKind::YesNo => {
                for b in [true, false] {
                    if !tests.iter().any(|t| matches!(t, Test::Is(x) if *x == b)) {
                        fe.at(
                            offset,
                            format!(
                                "the answer «{}» to «{}» is covered by no rule",
                                if b { "sì" } else { "no" },
                                q.id
                            ),
                        );
                    }
                }
            }
            QuestionKind::Number => {
                if tests.is_empty() {
                    fe.at(offset, format!("question «{}» is used by no rule", q.id));
                }
            }
            QuestionKind::Text => {}
        }
    }
}

fn offset_of_line(src: &str, line: usize) -> usize {
    src.split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum()
}

/// Explores the answers that matter to `ask_if`/`skip_if` (each option, each side of
/// every threshold) and reports questions no combination reaches.
fn check_reachable(questions: &[Question], fe: &mut FileErrors<'_>) {
    let gating: HashSet<&str> = questions
        .iter()
        .flat_map(|q| q.ask_if.iter().chain(q.skip_if.iter()))
        .flat_map(|c| c.questions())
        .collect();
    let domain = |q: &Question| -> Vec<Answer> {
        if !gating.contains(q.id.as_str()) {
            return vec![Answer::Skipped];
        }
        let mut d = match q.kind {
            QuestionKind::YesNo => vec![Answer::Bool(true), Answer::Bool(false)],
            QuestionKind::Choice => q
                .options
                .iter()
                .map(|o| Answer::Choice(o.id.clone()))
                .collect(),
            QuestionKind::Multi => {
                let mut d: Vec<Answer> = q
                    .options
                    .iter()
                    .map(|o| Answer::Multi(vec![o.id.clone()]))
                    .collect();
                d.push(Answer::Multi(
                    q.options.iter().map(|o| o.id.clone()).collect(),
                ));
                d
            }
            QuestionKind::Number => {
                let mut d = vec![Answer::Number(0.0)];
                for c in questions
                    .iter()
                    .flat_map(|x| x.ask_if.iter().chain(x.skip_if.iter()))
                {
                    for (id, t) in &c.0 {
                        if id == &q.id
                            && let Test::Ge(x) | Test::Gt(x) | Test::Le(x) | Test::Lt(x) = t
                        {
                            d.extend([x - 0.5, *x, x + 0.5].map(Answer::Number));
                        }
                    }
                }
                d
            }
            QuestionKind::Text => vec![Answer::Text(String::new())],
        };
        if q.optional {
            d.push(Answer::Skipped);
        }
        d
    };
    let mut reached = vec![false; questions.len()];
    let mut budget: usize = 200_000;
    fn walk(
        i: usize,
        questions: &[Question],
        domain: &dyn Fn(&Question) -> Vec<Answer>,
        answers: &mut Answers,
        reached: &mut [bool],
        budget: &mut usize,
    ) {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        let q = match questions.get(i) {
            Some(q) => q,
            None => return,
        };
        let asked = q.ask_if.as_ref().is_none_or(|c| c.holds(answers))
            && !q.skip_if.as_ref().is_some_and(|c| c.holds(answers));
        if !asked {
            return walk(i + 1, questions, domain, answers, reached, budget);
        }
        reached[i] = true;
        for a in domain(q) {
            answers.push((q.id.clone(), a));
            walk(i + 1, questions, domain, answers, reached, budget);
            answers.pop();
        }
    }
    walk(
        0,
        questions,
        &domain,
        &mut Vec::new(),
        &mut reached,
        &mut budget,
    );
    if budget == 0 {
        return; // too many combinations to be sure: say nothing rather than guess
    }
    for (q, r) in questions.iter().zip(reached) {
        if !r {
            fe.at(
                offset_of_line(fe.src, q.line),
                format!(
                    "question «{}» is unreachable: no answers to the questions above lead to it",
                    q.id
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::knowledge::load_dir;
    use std::path::Path;

    fn write(dir: &Path, rel: &str, body: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }

    const CALL: &str = "id = \"prova\"\nkind = \"call\"\nprogramme = \"P\"\ntitle = \"T\"\nshort = \"Prova\"\nsummary = \"S\"\nsource = \"s\"\n\n[[section]]\nid = \"chi\"\ntitle = \"Chi\"\ntext = \"x\"\nsource = \"s\"\n";

    /// A valid questionnaire; the tests break one thing at a time.
    const Q: &str = r#"id = "prova"
kind = "call"
title = "Requisiti"

[[question]]
id = "tipo"
kind = "choice"
label = "Tipo"
text = "Chi sei?"
options = [{ id = "pmi", label = "PMI" }, { id = "altro", label = "Altro" }]

[[question]]
id = "valore"
kind = "number"
label = "Valore"
text = "Quanto vale?"
unit = "€"
ask_if = { tipo = "pmi" }

[[question]]
id = "ateco"
kind = "text"
label = "ATECO"
text = "Codice ATECO?"
pattern = '^\d{2}\.\d{2}\.\d{2}$'
expected = "un codice come 62.01.00"
optional = true

[[rule]]
id = "ok"
when = { tipo = "pmi", valore = { ge = 10 } }
verdict = "ammissibile"
reason = "Sì."
cite = "prova#chi"

[[rule]]
id = "no"
when = { tipo = "altro" }
verdict = "non-ammissibile"
reason = "No."
cite = "prova#chi"
fix = "Diventa PMI."

[[case]]
name = "PMI"
answers = { tipo = "pmi", valore = 10, ateco = "62.01.00" }
expect = "ammissibile"
"#;

    fn errors(q: &str) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "calls/prova.toml", CALL);
        write(dir.path(), "questionnaires/prova.toml", q);
        match load_dir(dir.path()) {
            Ok(k) => {
                assert_eq!(k.questionnaires.len(), 1);
                Vec::new()
            }
            Err(e) => {
                e.0.iter()
                    .map(|e| format!("{}: {}", e.line, e.message))
                    .collect()
            }
        }
    }

    #[test]
    fn the_valid_questionnaire_loads() {
        assert_eq!(errors(Q), Vec::<String>::new());
    }

    #[test]
    fn malformed_rules_are_errors_with_their_line() {
        let cases = [
            // A rule naming a question that does not exist.
            (
                Q.replace("valore = { ge = 10 } }", "valor = { ge = 10 } }"),
                "31: unknown question «valor»",
            ),
            // A choice no rule covers.
            (
                Q.replace(
                    "when = { tipo = \"altro\" }",
                    "when = { valore = { lt = 10 } }",
                ),
                "6: option «altro» of «tipo» is covered by no rule",
            ),
            // An unreachable question.
            (
                Q.replace(
                    "ask_if = { tipo = \"pmi\" }",
                    "ask_if = { tipo = \"pmi\" }\nskip_if = { tipo = \"pmi\" }",
                ),
                "13: question «valore» is unreachable",
            ),
            // A bad regex.
            (
                Q.replace(r"'^\d{2}\.\d{2}\.\d{2}$'", r"'^\d{2}(\.\d{2}'"),
                "25: bad regex",
            ),
            // A condition looking ahead.
            (
                Q.replace(
                    "ask_if = { tipo = \"pmi\" }",
                    "ask_if = { ateco = { answered = true } }",
                ),
                "18: unknown question «ateco»",
            ),
            // A citation of a missing section.
            (
                Q.replacen("cite = \"prova#chi\"", "cite = \"prova#dove\"", 1),
                "34: cite «prova#dove»",
            ),
            // A negative rule without near-miss guidance.
            (
                Q.replace("fix = \"Diventa PMI.\"\n", ""),
                "37: a «non-ammissibile» rule needs `fix`",
            ),
            // A case answer that the pattern refuses.
            (
                Q.replace("ateco = \"62.01.00\"", "ateco = \"62-01\""),
                "46: answer to «ateco»",
            ),
        ];
        for (src, want) in cases {
            let errs = errors(&src);
            assert!(
                errs.iter().any(|e| e.starts_with(want)),
                "want «{want}», got {errs:#?}"
            );
        }
    }

    #[test]
    fn a_failing_case_is_reported_by_running_the_cases_not_by_loading() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "calls/prova.toml", CALL);
        write(
            dir.path(),
            "questionnaires/prova.toml",
            &Q.replace(
                "answers = { tipo = \"pmi\", valore = 10,",
                "answers = { tipo = \"pmi\", valore = 9,",
            ),
        );
        let k = load_dir(dir.path()).unwrap();
        let (n, failures) = crate::eligibility::run_all_cases(&k);
        assert_eq!(n, 1);
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].line, 45);
        assert!(
            failures[0].message.contains("got «da-verificare»"),
            "{failures:?}"
        );
    }
}
