//! FAQ drafts as text: the staff FAQ file they become (TOML in the same shape a person
//! writes in `knowledge/faq/`), the card staff review in the chat, and the small button
//! data of the teach flow (`f|verb|id[|n]`, at most 64 bytes, parsed strictly).

use std::collections::BTreeMap;

use crate::reply::{Button, Reply, Rich};
use crate::store::{Draft, DraftStatus, RegressionChange};
use crate::text::texts;

use super::settings::STAFF_LANG;
use super::stats::Group;
use super::teach::status_name;

/// The staff FAQ file, relative to the knowledge directory.
pub const STAFF_FILE: &str = "faq/staff.toml";

pub use super::settings::FaqFile;

/// The file (relative to the knowledge directory) entry `d` is written to.
pub fn file_of(d: &Draft, layout: FaqFile) -> String {
    match (layout, &d.call) {
        (FaqFile::PerCall, Some(call)) => format!("faq/staff-{call}.toml"),
        _ => STAFF_FILE.to_string(),
    }
}

/// Whether `name` (a file name inside `faq/`) is one the help desk writes.
pub fn is_staff_file(name: &str) -> bool {
    name == "staff.toml" || (name.starts_with("staff-") && name.ends_with(".toml"))
}

/// Every staff FAQ file with these live entries, by path relative to the knowledge
/// directory.
pub fn staff_files(live: &[&Draft], layout: FaqFile) -> BTreeMap<String, String> {
    let mut by_file: BTreeMap<String, Vec<&Draft>> = BTreeMap::new();
    for d in live {
        by_file.entry(file_of(d, layout)).or_default().push(d);
    }
    by_file
        .into_iter()
        .filter_map(|(file, ds)| Some((file, staff_file(&ds)?)))
        .collect()
}

/// The staff FAQ file with these entries (by id); `None` when there is none (an empty
/// FAQ file is an error for the loader, so the file is removed instead).
pub fn staff_file(drafts: &[&Draft]) -> Option<String> {
    if drafts.is_empty() {
        return None;
    }
    let mut sorted: Vec<&&Draft> = drafts.iter().collect();
    sorted.sort_by_key(|d| d.id);
    let mut s = String::from(
        "# FAQ scritte dagli operatori dell'help desk dalla chat di Sportello.\n\
         # Il bot riscrive questo file a ogni pubblicazione: per cambiarle usa /faq.\n\
         # Ogni modifica è registrata in staff-audit.log.\n",
    );
    for d in sorted {
        s.push_str(&entry(d));
    }
    Some(s)
}

/// One `[[faq]]` entry.
pub fn entry(d: &Draft) -> String {
    let mut s = format!("\n[[faq]]\nid = {}\n", quote(&d.faq_id()));
    let calls: Vec<String> = d.call.iter().map(|c| quote(c)).collect();
    s.push_str(&format!("calls = [{}]\n", calls.join(", ")));
    s.push_str(&format!("question = {}\n", quote(&d.question)));
    let kept: Vec<&str> = d.kept().collect();
    if !kept.is_empty() {
        s.push_str("alternatives = [\n");
        for a in kept {
            s.push_str(&format!("  {},\n", quote(a)));
        }
        s.push_str("]\n");
    }
    s.push_str(&format!("answer = {}\n", long(&d.answer)));
    s.push_str(&format!("source = {}\n", quote(&d.source)));
    s
}

/// A TOML basic string (escaped by the toml crate).
fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A long text as a person writes it (`"""…"""`) when that is safe, else quoted.
fn long(s: &str) -> String {
    let safe = s.contains('\n')
        && !s.contains("\"\"\"")
        && !s.contains('\\')
        && !s.ends_with('"')
        && !s.chars().any(|c| c.is_control() && c != '\n');
    if safe {
        format!("\"\"\"{s}\"\"\"")
    } else {
        quote(s)
    }
}

/// What a teach button asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TeachButton {
    /// Save an offered answer as a draft.
    Save(u64),
    /// Keep or drop an alternative.
    Toggle(u64, usize),
    Check(u64),
    Publish(u64),
    Discard(u64),
    Restore(u64),
    /// Open a draft's card.
    Open(u64),
    /// Write a FAQ for the /statistiche group whose first question has this hash.
    Write(u32),
}

const PREFIX: &str = "f|";

impl TeachButton {
    pub fn encode(&self) -> String {
        match self {
            TeachButton::Save(id) => format!("{PREFIX}s|{id}"),
            TeachButton::Toggle(id, i) => format!("{PREFIX}k|{id}|{i}"),
            TeachButton::Check(id) => format!("{PREFIX}v|{id}"),
            TeachButton::Publish(id) => format!("{PREFIX}p|{id}"),
            TeachButton::Discard(id) => format!("{PREFIX}x|{id}"),
            TeachButton::Restore(id) => format!("{PREFIX}r|{id}"),
            TeachButton::Open(id) => format!("{PREFIX}o|{id}"),
            TeachButton::Write(h) => format!("{PREFIX}w|{h:08x}"),
        }
    }

    /// `None` for data that is not a teach button; `Some(None)` for a malformed one.
    pub fn decode(data: &str) -> Option<Option<TeachButton>> {
        let rest = data.strip_prefix(PREFIX)?;
        let parts: Vec<&str> = rest.split('|').collect();
        let id = |i: usize| parts.get(i).and_then(|p| p.parse::<u64>().ok());
        Some(match parts.as_slice() {
            ["s", _] => id(1).map(TeachButton::Save),
            ["k", _, i] => id(1)
                .zip(i.parse().ok())
                .map(|(a, b)| TeachButton::Toggle(a, b)),
            ["v", _] => id(1).map(TeachButton::Check),
            ["p", _] => id(1).map(TeachButton::Publish),
            ["x", _] => id(1).map(TeachButton::Discard),
            ["r", _] => id(1).map(TeachButton::Restore),
            ["o", _] => id(1).map(TeachButton::Open),
            ["w", h] if h.len() == 8 => u32::from_str_radix(h, 16).ok().map(TeachButton::Write),
            _ => None,
        })
    }
}

/// A stable short hash of a question (FNV-1a), to find its group again from a button.
pub fn group_hash(text: &str) -> u32 {
    text.trim().bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// Button labels fit a phone screen.
pub fn short(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        format!(
            "{}…",
            s.chars().take(MAX - 1).collect::<String>().trim_end()
        )
    }
}

/// «✍️ Scrivi la FAQ» buttons for the groups `/statistiche` shows.
pub fn write_buttons(groups: &[Group]) -> Vec<Vec<Button>> {
    let tx = texts(STAFF_LANG);
    groups
        .iter()
        .filter_map(|g| g.examples.first())
        .map(|q| {
            vec![Button {
                label: short(&tx.s("teach.button.write", &[("question", q)])),
                data: TeachButton::Write(group_hash(q)).encode(),
            }]
        })
        .collect()
}

/// The card staff review: every field, the validation, the impact, and the buttons.
pub fn card(d: &Draft, double_review: bool) -> Reply {
    let tx = texts(STAFF_LANG);
    let id = d.id.to_string();
    let mut r = tx.t(
        "teach.card.title",
        &[("id", &id), ("author", &d.author_name)],
    );
    r.line()
        .append(tx.t("teach.card.status", &[("status", &status_name(d.status))]));
    r.para()
        .append(tx.t("teach.card.question", &[("question", &d.question)]));
    r.line().append(if d.answer.trim().is_empty() {
        tx.t("teach.card.no_answer", &[])
    } else {
        tx.t("teach.card.answer", &[("answer", &d.answer)])
    });
    r.line().append(match &d.call {
        Some(c) => tx.t("teach.card.call", &[("call", c)]),
        None => tx.t("teach.card.no_call", &[]),
    });
    r.line()
        .append(tx.t("teach.card.source", &[("source", &d.source)]));
    let mut rows: Vec<Vec<Button>> = Vec::new();
    let open = d.status == DraftStatus::Open;
    if !d.alternatives.is_empty() {
        r.para().append(tx.t("teach.card.alternatives", &[]));
        for (i, a) in d.alternatives.iter().enumerate() {
            let mark = tx.s(
                if a.keep {
                    "teach.mark.keep"
                } else {
                    "teach.mark.drop"
                },
                &[],
            );
            r.line().append(tx.t(
                "teach.card.alternative",
                &[("mark", &mark), ("text", &a.text)],
            ));
            if open {
                let key = if a.keep {
                    "teach.button.drop"
                } else {
                    "teach.button.keep"
                };
                rows.push(vec![Button {
                    label: short(&tx.s(key, &[("text", &a.text)])),
                    data: TeachButton::Toggle(d.id, i).encode(),
                }]);
            }
        }
    }
    r.para().append(validation(d));
    if open {
        r.para().append(tx.t("teach.card.edit_help", &[]));
        if double_review {
            r.line().append(tx.t("teach.card.review_double", &[]));
        }
        let mut last = vec![Button {
            label: tx.s("teach.button.check", &[]),
            data: TeachButton::Check(d.id).encode(),
        }];
        // A draft that failed validation (or was changed since) has no «Pubblica».
        if d.errors.as_ref().is_some_and(Vec::is_empty) {
            last.push(Button {
                label: tx.s("teach.button.publish", &[]),
                data: TeachButton::Publish(d.id).encode(),
            });
        }
        last.push(Button {
            label: tx.s("teach.button.discard", &[]),
            data: TeachButton::Discard(d.id).encode(),
        });
        rows.push(last);
    }
    Reply::new(r).with_buttons(rows)
}

/// The validation result and the impact, as shown on the card.
fn validation(d: &Draft) -> Rich {
    let tx = texts(STAFF_LANG);
    match &d.errors {
        None => tx.t("teach.card.unchecked", &[]),
        Some(errors) if !errors.is_empty() => {
            let mut r = tx.t(
                "teach.card.invalid",
                &[("count", &errors.len().to_string())],
            );
            for e in errors.iter().take(10) {
                r.line().text(format!("• {e}"));
            }
            r
        }
        Some(_) => {
            let mut r = tx.t("teach.card.valid", &[]);
            if d.would_answer.is_empty() {
                r.line().append(tx.t("teach.card.would_answer_none", &[]));
            } else {
                r.line().append(tx.t("teach.card.would_answer", &[]));
                for q in &d.would_answer {
                    r.line().text(format!("• «{q}»"));
                }
            }
            r.line().append(regression(&d.regression));
            r
        }
    }
}

/// Most regression changes listed on a card.
const REGRESSION_SHOWN: usize = 10;

/// The questions of the regression set the draft answers differently.
fn regression(changes: &[RegressionChange]) -> Rich {
    let tx = texts(STAFF_LANG);
    if changes.is_empty() {
        return tx.t("teach.card.regression_none", &[]);
    }
    let mut r = tx.t("teach.card.regression", &[]);
    // Answers the draft would break first.
    let mut sorted: Vec<&RegressionChange> = changes.iter().collect();
    sorted.sort_by_key(|c| !c.broken);
    for c in sorted.iter().take(REGRESSION_SHOWN) {
        r.line().append(tx.t(
            "teach.card.regression_item",
            &[
                ("question", &c.question),
                ("id", &c.id),
                ("before", &c.before),
                ("after", &c.after),
            ],
        ));
        if c.broken {
            r.text(" ")
                .append(tx.t("teach.card.regression_broken", &[]));
        }
    }
    if changes.len() > REGRESSION_SHOWN {
        r.line().append(tx.t(
            "teach.card.regression_more",
            &[("count", &(changes.len() - REGRESSION_SHOWN).to_string())],
        ));
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::drafts::Alternative;

    fn draft() -> Draft {
        Draft {
            id: 12,
            status: DraftStatus::Open,
            chat: -1,
            ticket: None,
            question: "Lo \"yoga\" è ammesso?".into(),
            answer: "Sì.\n\nCon il modulo B.".into(),
            call: Some("alfa-2026".into()),
            source: "Anna, help desk, 01/12/2026".into(),
            alternatives: vec![
                Alternative {
                    text: "yoga ammesso".into(),
                    keep: true,
                },
                Alternative {
                    text: "corsi sportivi".into(),
                    keep: false,
                },
            ],
            author: 1,
            author_name: "Anna".into(),
            created: jiff::Timestamp::UNIX_EPOCH,
            errors: None,
            would_answer: Vec::new(),
            regression: Vec::new(),
            replaces: None,
            reason: String::new(),
        }
    }

    #[test]
    fn the_file_reads_back_as_the_draft_with_only_kept_phrasings() {
        let d = draft();
        let text = staff_file(&[&d]).unwrap();
        assert!(
            text.contains("answer = \"\"\"Sì.\n\nCon il modulo B.\"\"\""),
            "{text}"
        );
        let v: toml::Value = toml::from_str(&text).unwrap();
        let f = &v["faq"][0];
        assert_eq!(f["id"].as_str(), Some("staff-12"));
        assert_eq!(f["question"].as_str(), Some(d.question.as_str()));
        assert_eq!(f["answer"].as_str(), Some(d.answer.as_str()));
        assert_eq!(f["calls"][0].as_str(), Some("alfa-2026"));
        let alts = f["alternatives"].as_array().unwrap();
        assert_eq!(alts.len(), 1);
        assert_eq!(alts[0].as_str(), Some("yoga ammesso"));
        assert_eq!(staff_file(&[]), None);
    }

    #[test]
    fn per_call_files_hold_their_call_and_the_general_file_the_rest() {
        let a = draft();
        let mut b = draft();
        b.id = 13;
        b.call = None;
        let mut c = draft();
        c.id = 14;
        let files = staff_files(&[&a, &b, &c], FaqFile::PerCall);
        let names: Vec<&str> = files.keys().map(String::as_str).collect();
        assert_eq!(names, ["faq/staff-alfa-2026.toml", "faq/staff.toml"]);
        let ids = |text: &str| -> Vec<String> {
            let v: toml::Value = toml::from_str(text).unwrap();
            v["faq"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["id"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(
            ids(&files["faq/staff-alfa-2026.toml"]),
            ["staff-12", "staff-14"]
        );
        assert_eq!(ids(&files["faq/staff.toml"]), ["staff-13"]);
        let single = staff_files(&[&a, &b, &c], FaqFile::Single);
        assert_eq!(single.len(), 1);
        assert_eq!(ids(&single[STAFF_FILE]).len(), 3);
        assert!(is_staff_file("staff-alfa-2026.toml") && !is_staff_file("wecare.toml"));
    }

    #[test]
    fn buttons_round_trip_and_forged_ones_are_refused() {
        for b in [
            TeachButton::Save(1),
            TeachButton::Toggle(3, 4),
            TeachButton::Publish(99),
            TeachButton::Write(group_hash("rimborso spese")),
        ] {
            let data = b.encode();
            assert!(data.len() <= 64);
            assert_eq!(TeachButton::decode(&data), Some(Some(b)));
        }
        assert_eq!(TeachButton::decode("1|o"), None);
        assert_eq!(TeachButton::decode("f|p|x"), Some(None));
        assert_eq!(TeachButton::decode("f|p|1|2"), Some(None));
    }

    #[test]
    fn publish_is_offered_only_for_a_validated_draft() {
        let datas = |d: &Draft| -> Vec<String> {
            card(d, true)
                .buttons
                .iter()
                .flatten()
                .map(|b| b.data.clone())
                .collect()
        };
        let mut d = draft();
        assert!(!datas(&d).contains(&"f|p|12".to_string()));
        d.errors = Some(vec!["x".into()]);
        assert!(!datas(&d).contains(&"f|p|12".to_string()));
        d.errors = Some(Vec::new());
        assert!(datas(&d).contains(&"f|p|12".to_string()));
    }
}
