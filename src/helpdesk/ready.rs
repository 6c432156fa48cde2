//! Ready-to-send answers for staff (pure): for a forwarded question or `/risposta`, the
//! best entry as text staff can send as it is, then its source, how sure the match is
//! and buttons for up to two alternatives.
//!
//! The choice is the user dialogue's own ([`crate::dialogue::Engine::staff_pick`]), so
//! staff see «alta» exactly when a user would get a direct answer.

use jiff::Timestamp;

use super::settings::STAFF_LANG;
use crate::action::Action;
use crate::delivery::Delivery;
use crate::dialogue::{Engine, Settings};
use crate::knowledge::Knowledge;
use crate::reply::{Button, Reply, Rich};
use crate::search::{Confidence, EntryKind, SearchIndex};
use crate::text::texts;

/// The text staff can send as it is: title, body and source of an entry, plain.
pub fn ready_text(index: &SearchIndex, entry: usize) -> String {
    let d = &index.entry(entry).doc;
    let mut s = String::new();
    if !d.title.is_empty() && d.kind != EntryKind::Passage {
        s.push_str(&d.title);
        s.push_str("\n\n");
    }
    // Staff send it, so a person is reachable through the bot.
    let pointer = texts(STAFF_LANG).s("help.pointer.staff", &[]);
    s.push_str(crate::knowledge::fill_help_desk(&d.body, &pointer).trim());
    s
}

/// The best entry for a question, up to two alternatives, and how sure the match is: the
/// engine's own decision for someone with no conversation yet, so «alta» is given exactly
/// when a user would get a direct answer (and never from a call other than the one named).
pub fn staff_pick(
    knowledge: &Knowledge,
    index: &SearchIndex,
    settings: &Settings,
    question: &str,
    now: Timestamp,
) -> (Option<usize>, Vec<usize>, Confidence) {
    Engine {
        knowledge,
        index,
        settings,
        readings: None,
    }
    .staff_pick(question, now)
}

/// The ready answer to `question`, with source, confidence and alternatives.
pub fn answer(engine: &Engine<'_>, question: &str, now: Timestamp) -> Vec<Delivery> {
    let tx = texts(STAFF_LANG);
    let question = question.trim();
    if question.is_empty() {
        return here(tx.t("helpdesk.risposta.empty", &[]));
    }
    let (best, others, confidence) = engine.staff_pick(question, now);
    let Some(best) = best else {
        return here(tx.t("helpdesk.staff.nothing", &[]));
    };
    let label = match confidence {
        Confidence::High => tx.s("helpdesk.confidence.high", &[]),
        Confidence::Low => tx.s("helpdesk.confidence.low", &[]),
        Confidence::None => tx.s("helpdesk.confidence.none", &[]),
    };
    show(engine.index, best, &label, &others)
}

/// The alternative staff chose by its button (entry id), or a polite word if the index
/// no longer has it.
pub fn chosen(index: &SearchIndex, id: &str) -> Vec<Delivery> {
    let tx = texts(STAFF_LANG);
    match index.find(id) {
        Some(e) => show(index, e, &tx.s("helpdesk.confidence.chosen", &[]), &[]),
        None => here(tx.t("button.stale", &[])),
    }
}

/// An entry as two messages: the text to send as it is, then its source, the confidence
/// and buttons for the alternatives.
pub fn show(
    index: &SearchIndex,
    entry: usize,
    confidence: &str,
    others: &[usize],
) -> Vec<Delivery> {
    let tx = texts(STAFF_LANG);
    let d = &index.entry(entry).doc;
    let mut ready = ready_text(index, entry);
    ready.push_str("\n\n");
    ready.push_str(&tx.s("helpdesk.ready.source", &[("source", &d.source)]));
    let info = tx.t(
        "helpdesk.staff.info",
        &[("source", &d.source), ("confidence", confidence)],
    );
    let rows = others
        .iter()
        .filter_map(|&o| {
            let od = &index.entry(o).doc;
            let action = Action::staff_answer(&od.id)?;
            let title = if od.title.is_empty() {
                &od.source
            } else {
                &od.title
            };
            Some(vec![Button {
                label: short(&tx.s("helpdesk.button.alternative", &[("title", title)])),
                data: action.encode(),
            }])
        })
        .collect();
    vec![
        Delivery::Here(Reply::new(Rich::plain(ready))),
        Delivery::Here(Reply::new(info).with_buttons(rows)),
    ]
}

pub(super) fn here(r: Rich) -> Vec<Delivery> {
    vec![Delivery::Here(Reply::new(r))]
}

/// Button labels fit a phone screen.
pub(super) fn short(s: &str) -> String {
    const MAX: usize = 48;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        format!(
            "{}…",
            s.chars().take(MAX - 1).collect::<String>().trim_end()
        )
    }
}
