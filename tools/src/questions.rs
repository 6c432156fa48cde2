//! Applicants' questions for load: every `text` of the retrieval sets in
//! `tests/retrieval/` (the old set, the development set and the Italian held-out set),
//! dealt to users in a fixed order, so every run and every bot gets the same messages.

use std::path::Path;

/// The sets read, relative to the repository's root.
pub const SETS: [&str; 3] = [
    "tests/retrieval/questions.toml",
    "tests/retrieval/dev.toml",
    "tests/retrieval/heldout_it.toml",
];

/// Every `text = "…"` of the sets, at any depth (single questions and conversation
/// turns), in file order.
pub fn load(repo: &Path) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for set in SETS {
        let raw = std::fs::read_to_string(repo.join(set))?;
        let value: toml::Value = toml::from_str(&raw)?;
        collect(&value, &mut out);
    }
    anyhow::ensure!(!out.is_empty(), "no questions in {SETS:?}");
    Ok(out)
}

fn collect(v: &toml::Value, out: &mut Vec<String>) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                match v {
                    toml::Value::String(s) if k == "text" && !s.trim().is_empty() => {
                        out.push(s.clone())
                    }
                    _ => collect(v, out),
                }
            }
        }
        toml::Value::Array(a) => a.iter().for_each(|v| collect(v, out)),
        _ => {}
    }
}

/// The `k`-th question of user `u` (of `per_user`), spread so that neighbours differ.
pub fn of_user(questions: &[String], u: usize, k: usize, per_user: usize) -> &str {
    let i = (u * per_user + k) * 7919 % questions.len();
    &questions[i]
}
