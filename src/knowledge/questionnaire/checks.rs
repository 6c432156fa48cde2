//! Checks on a whole questionnaire once it is read: every answer is looked at by some
//! rule (coverage), and every question can be reached by some answers (reachability).
//!
//! Both report with file and line, like the rest of loading, so that a questionnaire that
//! would ask for nothing or never ask a question does not load.

use std::collections::HashSet;

use super::{Answer, Answers, Question, QuestionKind, Rule, Test};
use crate::knowledge::files::FileErrors;

/// Every option (and both answers of a yes/no question) appears in some rule, and every
/// question but free text is looked at by some rule: otherwise an answer would be
/// asked for nothing, or a choice would fall through to "da verificare" unnoticed.
pub(super) fn check_coverage(questions: &[Question], rules: &[Rule], fe: &mut FileErrors<'_>) {
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
pub(super) fn check_reachable(questions: &[Question], fe: &mut FileErrors<'_>) {
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
