//! Loading questionnaires: a valid file loads, each kind of mistake is an error with its
//! line, and a failing case is found by running the cases, not by loading.

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
