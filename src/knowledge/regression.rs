//! The pack's regression set, `knowledge/regression.toml`: questions users ask, each with
//! the entries that answer it. It ships with the pack so that the running bot can read
//! it: a FAQ drafted in the staff chat is tried against it before it goes live
//! ([`crate::helpdesk::impact`]), and `sportello check` validates it like any other
//! file (errors name the file and line).
//!
//! Format (the dev sets' `[[q]]` items): `id` (unique), `text`, `expect` (entry ids as the
//! search index names them: `faq:<id>`, `call:<id>`, `call:<id>#<section>`, `cmd:<name>`;
//! empty: the right answer is «non lo so») and `focus` (optional: the call in focus when
//! it is asked). It is not the held-out set the project measures itself on.

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::files::{FileErrors, read};
use super::{Call, CallId, Faq, KnowledgeError};

/// The file, relative to the knowledge directory.
pub const REGRESSION_FILE: &str = "regression.toml";

/// One question of the regression set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegressionQuestion {
    pub id: String,
    pub text: String,
    /// Entry ids that answer it (empty: nothing should).
    pub expect: Vec<String>,
    /// The call in focus when it is asked.
    pub focus: Option<CallId>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSet {
    #[serde(default)]
    q: Vec<RawQuestion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: Spanned<String>,
    text: String,
    #[serde(default)]
    expect: Vec<Spanned<String>>,
    focus: Option<Spanned<String>>,
}

/// Whether `id` names an entry of the pack.
fn known_entry(id: &str, calls: &[Call], faqs: &[Faq]) -> bool {
    if let Some(f) = id.strip_prefix("faq:") {
        return faqs.iter().any(|x| x.id == f);
    }
    if let Some(c) = id.strip_prefix("call:") {
        let (call, section) = match c.split_once('#') {
            Some((call, s)) => (call, Some(s)),
            None => (c, None),
        };
        return calls.iter().any(|x| {
            x.id.0 == call && section.is_none_or(|s| x.sections.iter().any(|y| y.id == s))
        });
    }
    // A request led to a command (`che bandi ci sono` → `cmd:bandi`).
    id.strip_prefix("cmd:")
        .is_some_and(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_lowercase()))
}

/// Reads and validates the regression set of `dir` (none if the file is missing); its
/// problems go to `errors`.
pub(super) fn load_regression(
    dir: &Path,
    calls: &[Call],
    faqs: &[Faq],
    errors: &mut Vec<KnowledgeError>,
) -> Vec<RegressionQuestion> {
    let path = dir.join(REGRESSION_FILE);
    if !path.exists() {
        return Vec::new();
    }
    let Some(src) = read(&path, errors) else {
        return Vec::new();
    };
    let mut fe = FileErrors {
        path: &path,
        src: &src,
        out: errors,
    };
    let raw = match toml::from_str::<RawSet>(&src) {
        Ok(raw) => raw,
        Err(e) => {
            fe.toml(e);
            return Vec::new();
        }
    };
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for q in raw.q {
        let at = q.id.span().start;
        let id = q.id.into_inner();
        if id.trim().is_empty() {
            fe.at(at, "a regression question needs an id");
        } else if !seen.insert(id.clone()) {
            fe.at(at, format!("regression question id «{id}» is used twice"));
        }
        if q.text.trim().is_empty() {
            fe.at(at, format!("regression question «{id}» has no text"));
        }
        for e in &q.expect {
            if !known_entry(e.get_ref(), calls, faqs) {
                fe.at(
                    e.span().start,
                    format!(
                        "unknown entry «{}» (faq:…, call:…, call:…#…, cmd:…)",
                        e.get_ref()
                    ),
                );
            }
        }
        if let Some(f) = &q.focus
            && !calls.iter().any(|c| c.id.0 == *f.get_ref())
        {
            fe.at(f.span().start, format!("unknown call «{}»", f.get_ref()));
        }
        out.push(RegressionQuestion {
            id,
            text: q.text,
            expect: q.expect.into_iter().map(Spanned::into_inner).collect(),
            focus: q.focus.map(|f| CallId(f.into_inner())),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(REGRESSION_FILE),
            "[[q]]\nid = \"a\"\ntext = \"ciao\"\nexpect = []\n\n[[q]]\nid = \"a\"\ntext = \"x\"\nexpect = [\"faq:nessuna\"]\nfocus = \"beta\"\n",
        )
        .unwrap();
        let mut errors = Vec::new();
        let set = load_regression(dir.path(), &[], &[], &mut errors);
        assert_eq!(set.len(), 2);
        let lines: Vec<(usize, bool)> = errors
            .iter()
            .map(|e| (e.line, e.file.ends_with(REGRESSION_FILE)))
            .collect();
        assert_eq!(lines, [(7, true), (9, true), (10, true)], "{errors:?}");
        assert!(errors[1].message.contains("faq:nessuna"));

        std::fs::write(dir.path().join(REGRESSION_FILE), "[[q]]\nid = 3\n").unwrap();
        let mut errors = Vec::new();
        load_regression(dir.path(), &[], &[], &mut errors);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 2);
    }
}
