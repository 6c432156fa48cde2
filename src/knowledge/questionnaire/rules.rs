//! The rule language of questionnaires: a condition table (`{ tipo = "pmi", valore = {
//! ge = 10 } }`) read into [`Condition`]s against the questions defined above it, and a
//! test case's TOML value read as a typed [`Answer`].
//!
//! What a test means (when it holds) is defined with the types, in the parent module;
//! here is only how the files write it, with a message for each way of writing it wrong.

use std::collections::BTreeMap;

use regex::Regex;
use toml::Spanned;

use super::{Answer, Condition, Question, QuestionKind, Test};
use crate::knowledge::files::FileErrors;

/// A condition table as written, with its position for errors.
pub(super) type RawCondition = Spanned<BTreeMap<String, Spanned<toml::Value>>>;

/// A case's TOML value as an answer to `q`.
pub(super) fn answer_value(q: &Question, v: &toml::Value) -> Result<Answer, String> {
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
pub(super) fn condition(
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
