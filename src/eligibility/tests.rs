//! Reading typed answers (numbers, choices, yes/no, codes), showing numbers, the VAT
//! check digit, and tests on unanswered questions.

use super::*;
use regex::Regex;

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
fn vat_check_digit() {
    assert!(partita_iva_ok("12345678903"));
    assert!(!partita_iva_ok("12345678901"));
    assert!(!partita_iva_ok("1234567890"));
    assert!(!partita_iva_ok("1234567890３"));
    assert!(!partita_iva_ok("abcdefghijk"));
}

/// A question of `kind` with these options (also for `grant`'s tests).
pub(super) fn q(kind: QuestionKind, options: &[&str]) -> Question {
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
        !Test::NoneOf(vec!["a".into()]).holds(Some(&Answer::Multi(vec!["a".into(), "b".into()])))
    );
}
