//! Staff teach the bot, the pure part: how a FAQ draft changes with each staff event
//! (save, edit, keep or drop a phrasing, approve, discard, withdraw, restore) and what the
//! edge must then do (validate, write the staff FAQ file, log it). A function of
//! (draft, event, who, rules, now) with no I/O, so every rule of the review is tested
//! without a disk or a network: drafts never go live without an approval, a draft that
//! failed validation cannot be approved, and in double review the author cannot approve.

use jiff::Timestamp;

use super::settings::STAFF_LANG;
use crate::reply::Rich;
use crate::store::{Draft, DraftStatus};
use crate::text::texts;

pub use super::settings::Review;

/// A field staff can edit by writing «campo: valore».
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Question,
    Answer,
    Call,
    Source,
}

/// «domanda: …», «risposta: …», «bando: …», «fonte: …» (any case, spaces around the
/// colon allowed); `None` for any other text.
pub fn parse_edit(text: &str) -> Option<(Field, String)> {
    let (head, value) = text.trim().split_once(':')?;
    let head = head.trim().to_lowercase();
    let tx = texts(STAFF_LANG);
    let field = [
        ("words.faq.field.question", Field::Question),
        ("words.faq.field.answer", Field::Answer),
        ("words.faq.field.call", Field::Call),
        ("words.faq.field.source", Field::Source),
    ]
    .into_iter()
    .find(|(key, _)| tx.list(key).contains(&head))?
    .1;
    Some((field, value.trim().to_string()))
}

/// What happened to a draft.
#[derive(Debug, Clone, PartialEq)]
pub enum TeachEvent {
    /// «📌 Salva come FAQ» or «✍️ Scrivi la FAQ»: an offered draft becomes a draft under
    /// review, with the proposed alternative phrasings.
    Save {
        alternatives: Vec<String>,
    },
    Edit(Field, String),
    /// Keep or drop alternative number `0`.
    Toggle(usize),
    /// The result of validating the draft (errors, recent questions it would answer).
    Checked {
        errors: Vec<String>,
        would_answer: Vec<String>,
        regression: Vec<crate::store::RegressionChange>,
    },
    Approve,
    Discard,
    Withdraw(String),
    Restore,
}

/// A staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: i64,
    pub name: String,
}

/// What the edge does after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeachEffect {
    /// Validate the draft with the knowledge loader and feed back [`TeachEvent::Checked`].
    Validate,
    /// Rewrite the staff FAQ file with every live draft, then reload the knowledge.
    Write,
    /// Log the change in the audit file (action name).
    Audit(&'static str),
}

/// The draft after a step, and what follows.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub draft: Draft,
    pub effects: Vec<TeachEffect>,
}

/// How many alternative phrasings are proposed.
pub const MAX_ALTERNATIVES: usize = 5;

/// One step of a draft's life; `Err`: refused, with the text for staff.
pub fn step(
    draft: &Draft,
    event: &TeachEvent,
    by: &Actor,
    review: Review,
    now: Timestamp,
) -> Result<Outcome, Rich> {
    let tx = texts(STAFF_LANG);
    let id = draft.id.to_string();
    let mut d = draft.clone();
    let not = |d: &Draft| {
        tx.t(
            "teach.not_open",
            &[("id", &id), ("status", &status_name(d.status))],
        )
    };
    let changed = |d: &mut Draft| {
        d.errors = None;
        d.would_answer.clear();
        d.regression.clear();
    };
    let effects = match event {
        TeachEvent::Save { alternatives } => {
            if d.status != DraftStatus::Offered {
                return Err(not(&d));
            }
            d.status = DraftStatus::Open;
            d.author = by.id;
            d.author_name = by.name.clone();
            d.created = now;
            d.source = default_source(&by.name, now);
            d.alternatives = alternatives
                .iter()
                .filter(|a| a.trim() != d.question.trim())
                .take(MAX_ALTERNATIVES)
                .map(|a| crate::store::drafts::Alternative {
                    text: a.clone(),
                    keep: true,
                })
                .collect();
            changed(&mut d);
            vec![TeachEffect::Validate, TeachEffect::Audit("draft")]
        }
        TeachEvent::Edit(field, value) => {
            if d.status != DraftStatus::Open {
                return Err(not(&d));
            }
            match field {
                Field::Question => d.question = value.clone(),
                Field::Answer => d.answer = value.clone(),
                Field::Source => d.source = value.clone(),
                Field::Call => {
                    let v = value.trim();
                    let none = texts(STAFF_LANG).list("words.faq.no_call");
                    d.call = (!none.contains(&v.to_lowercase())).then(|| v.to_string());
                }
            }
            changed(&mut d);
            vec![TeachEffect::Validate]
        }
        TeachEvent::Toggle(i) => {
            if d.status != DraftStatus::Open {
                return Err(not(&d));
            }
            if let Some(a) = d.alternatives.get_mut(*i) {
                a.keep = !a.keep;
            }
            changed(&mut d);
            vec![TeachEffect::Validate]
        }
        TeachEvent::Checked {
            errors,
            would_answer,
            regression,
        } => {
            d.errors = Some(errors.clone());
            d.would_answer = would_answer.clone();
            d.regression = regression.clone();
            Vec::new()
        }
        TeachEvent::Approve => {
            if d.status != DraftStatus::Open {
                return Err(not(&d));
            }
            match &d.errors {
                None => return Err(tx.t("teach.approve.unchecked", &[])),
                Some(e) if !e.is_empty() => {
                    return Err(tx.t("teach.approve.invalid", &[("id", &id)]));
                }
                Some(_) => {}
            }
            if review == Review::Double && by.id == d.author {
                return Err(tx.t("teach.approve.second", &[]));
            }
            d.status = DraftStatus::Publishing;
            vec![TeachEffect::Write, TeachEffect::Audit("publish")]
        }
        TeachEvent::Discard => {
            if !matches!(d.status, DraftStatus::Open | DraftStatus::Offered) {
                return Err(not(&d));
            }
            d.status = DraftStatus::Discarded;
            vec![TeachEffect::Audit("discard")]
        }
        TeachEvent::Withdraw(reason) => {
            if d.status != DraftStatus::Published {
                return Err(not(&d));
            }
            if reason.trim().is_empty() {
                return Err(tx.t("teach.withdraw.reason", &[]));
            }
            d.status = DraftStatus::Withdrawn;
            d.reason = reason.trim().to_string();
            vec![TeachEffect::Write, TeachEffect::Audit("withdraw")]
        }
        TeachEvent::Restore => {
            if d.status != DraftStatus::Withdrawn {
                return Err(not(&d));
            }
            d.status = DraftStatus::Publishing;
            d.reason.clear();
            vec![TeachEffect::Write, TeachEffect::Audit("restore")]
        }
    };
    Ok(Outcome { draft: d, effects })
}

/// The status as staff read it.
pub fn status_name(s: DraftStatus) -> String {
    texts(STAFF_LANG).s(&format!("teach.status.{s:?}"), &[])
}

/// «Nome, help desk, 02/12/2026» (the date in Italy).
pub fn default_source(name: &str, now: Timestamp) -> String {
    texts(STAFF_LANG).s(
        "teach.source",
        &[("name", name), ("date", &staff_date(now))],
    )
}

/// The day of `at` in Europe/Rome, as staff read dates (`02/12/2026`).
pub fn staff_date(at: Timestamp) -> String {
    texts(STAFF_LANG).day_of(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    fn offered() -> Draft {
        Draft {
            id: 7,
            status: DraftStatus::Offered,
            chat: -1,
            ticket: Some(3),
            question: "Posso pagare lo yoga?".into(),
            answer: "Sì.".into(),
            call: Some("alfa-2026".into()),
            source: String::new(),
            alternatives: Vec::new(),
            author: 1,
            author_name: "A".into(),
            created: t(0),
            errors: None,
            would_answer: Vec::new(),
            regression: Vec::new(),
            replaces: None,
            reason: String::new(),
        }
    }

    fn anna() -> Actor {
        Actor {
            id: 1,
            name: "Anna".into(),
        }
    }

    fn bruno() -> Actor {
        Actor {
            id: 2,
            name: "Bruno".into(),
        }
    }

    fn go(d: &Draft, e: TeachEvent, by: &Actor) -> Result<Outcome, Rich> {
        step(d, &e, by, Review::Double, t(1_764_633_600))
    }

    fn open() -> Draft {
        let alts = vec![
            "Posso pagare lo yoga?".to_string(),
            "lo yoga si può pagare".into(),
        ];
        go(&offered(), TeachEvent::Save { alternatives: alts }, &anna())
            .unwrap()
            .draft
    }

    #[test]
    fn saving_opens_a_draft_with_the_saver_as_author_and_validates_it() {
        let o = go(
            &offered(),
            TeachEvent::Save {
                alternatives: (0..9).map(|i| format!("variante {i}")).collect(),
            },
            &anna(),
        )
        .unwrap();
        assert_eq!(o.draft.status, DraftStatus::Open);
        assert_eq!(o.draft.author_name, "Anna");
        assert_eq!(o.draft.alternatives.len(), MAX_ALTERNATIVES);
        assert_eq!(o.draft.source, "Anna, help desk, 02/12/2025");
        assert_eq!(o.effects[0], TeachEffect::Validate);
        // The question itself is not proposed again as an alternative.
        assert_eq!(open().alternatives.len(), 1);
    }

    #[test]
    fn edits_reset_the_validation_and_parse_italian_field_names() {
        assert_eq!(
            parse_edit(" Risposta : No, mai."),
            Some((Field::Answer, "No, mai.".into()))
        );
        assert_eq!(parse_edit("ciao: come va"), None);
        let mut d = open();
        d.errors = Some(Vec::new());
        let o = go(&d, TeachEvent::Edit(Field::Call, "nessuno".into()), &anna()).unwrap();
        assert_eq!(o.draft.call, None);
        assert_eq!(o.draft.errors, None);
        let o = go(&d, TeachEvent::Toggle(0), &anna()).unwrap();
        assert!(!o.draft.alternatives[0].keep);
    }

    #[test]
    fn only_a_validated_draft_is_approved_and_never_by_its_author_in_double_review() {
        let d = open();
        assert!(go(&d, TeachEvent::Approve, &bruno()).is_err(), "unchecked");
        let mut bad = d.clone();
        bad.errors = Some(vec!["faq/staff.toml:3: unknown call «x»".into()]);
        assert!(go(&bad, TeachEvent::Approve, &bruno()).is_err(), "invalid");
        let mut good = d.clone();
        good.errors = Some(Vec::new());
        assert!(go(&good, TeachEvent::Approve, &anna()).is_err(), "author");
        let single = step(&good, &TeachEvent::Approve, &anna(), Review::Single, t(0)).unwrap();
        assert_eq!(single.draft.status, DraftStatus::Publishing);
        let o = go(&good, TeachEvent::Approve, &bruno()).unwrap();
        assert_eq!(o.draft.status, DraftStatus::Publishing);
        assert!(o.effects.contains(&TeachEffect::Write));
        // Approved once: a second approval of the published draft is refused.
        assert!(go(&o.draft, TeachEvent::Approve, &bruno()).is_err());
    }

    #[test]
    fn withdrawal_needs_a_reason_and_restore_brings_it_back() {
        let mut d = open();
        d.status = DraftStatus::Published;
        assert!(go(&d, TeachEvent::Withdraw("  ".into()), &anna()).is_err());
        let w = go(&d, TeachEvent::Withdraw("superata".into()), &anna()).unwrap();
        assert_eq!(w.draft.status, DraftStatus::Withdrawn);
        assert_eq!(w.draft.reason, "superata");
        assert!(
            go(
                &w.draft,
                TeachEvent::Edit(Field::Answer, "x".into()),
                &anna()
            )
            .is_err()
        );
        let r = go(&w.draft, TeachEvent::Restore, &bruno()).unwrap();
        assert_eq!(r.draft.status, DraftStatus::Publishing);
        assert!(r.effects.contains(&TeachEffect::Write));
    }
}
