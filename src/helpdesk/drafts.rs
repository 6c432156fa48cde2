//! FAQ drafts as text: the staff FAQ file they become (TOML in the same shape a person
//! writes in `knowledge/faq/`), the card staff review in the chat, and the small button
//! data of the teach flow (`f|verb|id[|n]`, at most 64 bytes, parsed strictly).

use crate::reply::{Button, Reply, Rich};
use crate::store::{Draft, DraftStatus};
use crate::text::{Lang, texts};

use super::teach::status_name;

/// The staff FAQ file, relative to the knowledge directory.
pub const STAFF_FILE: &str = "faq/staff.toml";

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

/// The card staff review: every field, the validation, the impact, and the buttons.
pub fn card(d: &Draft, double_review: bool) -> Reply {
    let tx = texts(Lang::It);
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
            let mark = if a.keep { "✓" } else { "✗" };
            r.line().append(tx.t(
                "teach.card.alternative",
                &[("mark", mark), ("text", &a.text)],
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
    let tx = texts(Lang::It);
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
            r
        }
    }
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
