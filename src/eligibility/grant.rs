//! What a project of a given value would get from a call, as far as the call's check says.
//!
//! The check's rules already hold the call's numbers: an eligible verdict needs the
//! project's value within bounds (the question answered by the `value` fact, its `ge` /
//! `le` tests) and a co-financing share of at least so much (the `cofinancing` question,
//! its `ge` test). The smallest share any eligible rule accepts for the value is the
//! largest part the grant can cover. Reading them from the rules, rather than from numbers
//! written a second time in the call file, keeps one place for each fact: the check and
//! this figure cannot disagree. Used to put the asker's own figure into an answer about
//! co-financing (`un progetto da 160.000 €: quanto ci danno?`).

use super::{Fact, Questionnaire, RuleEffect, Test, Verdict};

/// The split of a project's value that the call's rules allow at most for the grant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grant {
    /// The project's value, in euro.
    pub value: f64,
    /// The smallest co-financing share an eligible project has, in percent.
    pub own_share: f64,
    /// The most the grant can cover, in euro.
    pub grant: f64,
    /// The least the applicants pay themselves, in euro.
    pub own: f64,
}

/// The grant for a project worth `value`: `None` when the questionnaire asks neither the
/// value nor the co-financing, or when no eligible rule admits that value (a value
/// outside the call's limits: the rules that say so are shown instead, see
/// [`super::settled_by`]).
pub fn for_value(qn: &Questionnaire, value: f64) -> Option<Grant> {
    let asked = |fact: Fact| {
        qn.questions
            .iter()
            .find(|q| q.fact == Some(fact))
            .map(|q| q.id.as_str())
    };
    let (value_q, share_q) = (asked(Fact::Value)?, asked(Fact::Cofinancing)?);
    let own_share = qn
        .rules
        .iter()
        .filter(|r| r.effect == RuleEffect::Verdict(Verdict::Eligible))
        .filter(|r| {
            r.when
                .0
                .iter()
                .filter(|(q, _)| q == value_q)
                .all(|(_, t)| admits(t, value))
        })
        .filter_map(|r| {
            r.when
                .0
                .iter()
                .filter(|(q, _)| q == share_q)
                .find_map(|(_, t)| match t {
                    Test::Ge(x) => Some(*x),
                    _ => None,
                })
        })
        .reduce(f64::min)?;
    let own = value * own_share / 100.0;
    Some(Grant {
        value,
        own_share,
        grant: value - own,
        own,
    })
}

/// Whether a number test holds for `x` (a test of another kind says nothing about it).
fn admits(t: &Test, x: f64) -> bool {
    match t {
        Test::Ge(b) => x >= *b,
        Test::Gt(b) => x > *b,
        Test::Le(b) => x <= *b,
        Test::Lt(b) => x < *b,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::CallId;
    use crate::knowledge::questionnaire::{Cite, Condition, Question, QuestionKind, Rule};

    fn question(id: &str, fact: Fact) -> Question {
        Question {
            id: id.into(),
            fact: Some(fact),
            ..crate::eligibility::tests::q(QuestionKind::Number, &[])
        }
    }

    fn rule(verdict: Verdict, tests: Vec<(&str, Test)>) -> Rule {
        Rule {
            id: String::new(),
            when: Condition(tests.into_iter().map(|(q, t)| (q.to_string(), t)).collect()),
            effect: RuleEffect::Verdict(verdict),
            reason: String::new(),
            cite: Cite {
                call: CallId("x".into()),
                section: String::new(),
            },
            fix: None,
            line: 0,
        }
    }

    fn check(rules: Vec<Rule>) -> Questionnaire {
        Questionnaire {
            id: "x".into(),
            target: crate::knowledge::questionnaire::Target::Call(CallId("x".into())),
            title: String::new(),
            intro: None,
            next_steps: Vec::new(),
            questions: vec![
                question("valore", Fact::Value),
                question("quota", Fact::Cofinancing),
            ],
            rules,
            cases: Vec::new(),
            file: "questionnaires/x.toml".into(),
        }
    }

    #[test]
    fn the_smallest_share_an_eligible_rule_accepts_for_the_value() {
        let qn = check(vec![
            rule(
                Verdict::Eligible,
                vec![
                    ("valore", Test::Ge(80_000.0)),
                    ("valore", Test::Le(250_000.0)),
                    ("quota", Test::Ge(25.0)),
                ],
            ),
            // Another kind of applicant with a larger share: the smaller one is the limit.
            rule(
                Verdict::Eligible,
                vec![("valore", Test::Le(250_000.0)), ("quota", Test::Ge(30.0))],
            ),
            // A rule that refuses says nothing about what is allowed.
            rule(Verdict::NotEligible, vec![("quota", Test::Lt(10.0))]),
        ]);
        assert_eq!(
            for_value(&qn, 160_000.0),
            Some(Grant {
                value: 160_000.0,
                own_share: 25.0,
                grant: 120_000.0,
                own: 40_000.0
            })
        );
        // Below the first rule's minimum only the second admits the value.
        assert_eq!(for_value(&qn, 50_000.0).map(|g| g.own_share), Some(30.0));
        // Above every maximum: nothing to compute.
        assert_eq!(for_value(&qn, 300_000.0), None);
    }

    #[test]
    fn a_check_that_asks_no_share_gives_no_figure() {
        let mut qn = check(vec![rule(
            Verdict::Eligible,
            vec![("valore", Test::Ge(1.0)), ("quota", Test::Ge(20.0))],
        )]);
        qn.questions.pop();
        assert_eq!(for_value(&qn, 100_000.0), None);
        // Eligible rules that never test the share: no figure either.
        let qn = check(vec![rule(
            Verdict::Eligible,
            vec![("valore", Test::Ge(1.0))],
        )]);
        assert_eq!(for_value(&qn, 100_000.0), None);
    }
}
