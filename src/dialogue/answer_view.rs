//! How an answer looks: the call it is about on the first line (with «Cambia bando»),
//! what the asker's facts mean for that call, the entry with its source and deadline, the
//! other calls in a line each, and «Forse cercavi anche» buttons. Also the «Cambia bando»
//! menu itself, open calls first and marked.

use jiff::Timestamp;

use super::{Engine, button, short_label};
use crate::action::Action;
use crate::knowledge::{Applicant, Call, CallId, CallKind, CallStatus};
use crate::reply::{Button, Reply, Rich};
use crate::search::EntryKind;
use crate::text::Texts;
use crate::understand;

/// Characters of an excerpt shown under an answer.
const EXCERPT_CHARS: usize = 600;
/// Characters of the one-line summary of another call's answer.
const LINE_CHARS: usize = 170;

impl Engine<'_> {
    /// One line per other call: its name, status and the first sentence of its answer.
    pub(super) fn other_calls(&self, tx: &Texts, text: &mut Rich, lines: &[usize], now: Timestamp) {
        text.para().append(tx.t("focus.others", &[]));
        for &e in lines {
            let d = &self.index.entry(e).doc;
            let Some(c) = d.call.as_ref().and_then(|c| self.knowledge.call(&c.0)) else {
                continue;
            };
            // The entry's own question, then its first sentence: «Sì, ma…» alone says
            // nothing.
            text.line()
                .text("• ")
                .bold(&c.short)
                .text(format!(" ({}) – ", status_word(tx, c, now)))
                .italic(&d.title)
                .text(" ")
                .text(first_sentence(&self.pack_text(tx, &d.body)));
        }
    }

    /// The first line of an answer: the call it is about and its status.
    pub(super) fn focus_line(&self, tx: &Texts, call: Option<&Call>, now: Timestamp) -> Rich {
        match call {
            Some(c) => tx.t(
                "focus.line",
                &[("call", &c.short), ("status", &status_word(tx, c, now))],
            ),
            None => tx.t("focus.general", &[]),
        }
    }

    /// A button that makes `c` the call in focus (and answers the last question for it).
    pub(super) fn focus_button(&self, tx: &Texts, c: &Call, now: Timestamp) -> Button {
        let key = match c.status(now) {
            CallStatus::Open => "focus.button.open",
            CallStatus::Closed => "focus.button.closed",
            CallStatus::Unknown => "focus.button.unknown",
        };
        button(
            short_label(&tx.s(key, &[("call", &c.short)])),
            Action::Focus(c.id.clone()),
        )
    }

    /// «Cambia bando»: the calls to talk about, open ones first and marked.
    pub(super) fn focus_menu(&self, tx: &Texts, now: Timestamp) -> Reply {
        let mut calls: Vec<&Call> = self.knowledge.calls.iter().collect();
        calls.sort_by_key(|c| (c.status(now), c.kind != CallKind::Call, c.short.clone()));
        let rows = calls
            .into_iter()
            .map(|c| vec![self.focus_button(tx, c, now)])
            .collect();
        Reply::new(tx.t("focus.menu", &[])).with_buttons(rows)
    }

    /// A button that opens an entry, labelled with its title.
    pub(super) fn entry_button(&self, entry: usize) -> Option<Button> {
        let d = &self.index.entry(entry).doc;
        let action = match d.kind {
            EntryKind::Faq => Action::Faq(d.id.strip_prefix("faq:")?.to_string()),
            EntryKind::Call => Action::Call(d.call.clone()?),
            EntryKind::Section => {
                let (_, sec) = d.id.split_once('#')?;
                Action::Section(d.call.clone()?, sec.to_string())
            }
            EntryKind::Passage => {
                let (doc, n, _) = self.passage_of(entry)?;
                Action::Passage(doc.call.clone(), doc.id.clone(), n)
            }
        };
        let label = match (
            d.kind,
            d.call.as_ref().and_then(|c| self.knowledge.call(&c.0)),
        ) {
            (EntryKind::Section, Some(c)) => format!("{} › {}", c.short, d.title),
            (EntryKind::Call, Some(c)) => c.short.clone(),
            (EntryKind::Passage, _) if !d.title.is_empty() => format!("{} › {}", d.source, d.title),
            (EntryKind::Passage, _) => d.source.clone(),
            _ => d.title.clone(),
        };
        Some(button(short_label(&label), action))
    }

    /// One entry shown as an answer: the call it is about (with «Cambia bando»), what the
    /// asker's facts mean for it, title, text (the matched words marked when a question is
    /// given), source, deadline status, and buttons: «Forse cercavi anche», the call's card,
    /// reminders, the check (prefilled when facts are known).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn entry_reply(
        &self,
        tx: &Texts,
        entry: usize,
        query: Option<&crate::search::Analysed>,
        now: Timestamp,
        also: &[usize],
        described: bool,
        profile: &understand::Profile,
    ) -> Reply {
        let d = &self.index.entry(entry).doc;
        let call = d.call.as_ref().and_then(|c| self.knowledge.call(&c.0));
        let mut text = self.focus_line(tx, call, now);
        text.para();
        if described && let Some(c) = call {
            for line in self.profile_lines(tx, profile, c) {
                text.append(line).para();
            }
        }
        text.bold(&d.title).para();
        let body = self.pack_text(tx, &d.body);
        match query {
            Some(q) => text.append(self.index.excerpt(q, &body, EXCERPT_CHARS)),
            None => text.text(&body),
        };
        text.para();
        if let Some(line) = self.grant_line(tx, entry, call, profile) {
            text.append(line).para();
        }
        let place = match (d.kind, call) {
            (EntryKind::Section, Some(c)) => format!("{} › {}", c.short, d.title),
            (EntryKind::Call, Some(c)) => c.short.clone(),
            (EntryKind::Faq, Some(c)) => format!("{} › {}", c.short, tx.s("faq.section", &[])),
            _ => tx.s("faq.section", &[]),
        };
        text.append(tx.t("answer.source", &[("place", &place), ("source", &d.source)]));
        if let Some(c) = call
            && let Some(line) = self.deadline_status(tx, c, now)
        {
            text.para().append(line);
        }
        let mut rows: Vec<Vec<Button>> = Vec::new();
        let also: Vec<Button> = also.iter().filter_map(|&e| self.entry_button(e)).collect();
        if !also.is_empty() {
            text.para().italic(tx.s("answer.also", &[]));
            rows.extend(also.into_iter().map(|b| vec![b]));
        }
        if let Some(c) = call {
            if d.kind != EntryKind::Call {
                rows.push(vec![button(
                    tx.s("button.call_card", &[("call", &c.short)]),
                    Action::Call(c.id.clone()),
                )]);
            }
            rows.extend(self.reminder_row(tx, c, now));
            // Under an answer about the deadline: follow the call, to hear when it is
            // published or moves.
            if d.id.contains("scadenz") {
                rows.extend(self.follow_row(tx, c, now));
            }
            if let Some(b) = self.eligibility_button_for(tx, c, profile) {
                rows.push(vec![b]);
            }
        }
        rows.push(vec![button(tx.s("focus.change", &[]), Action::FocusMenu)]);
        Reply::new(text).with_buttons(rows)
    }

    /// Under an answer about a call's co-financing or amounts, the asker's own project value in
    /// figures (`su un progetto da 160.000 €…`), from the call's check
    /// ([`crate::eligibility::grant`]). `None` for another answer, without a value, or
    /// for a value the call's rules do not admit (those rules are said instead where the
    /// asker's facts settle them: `profile_lines`).
    fn grant_line(
        &self,
        tx: &Texts,
        entry: usize,
        call: Option<&Call>,
        profile: &understand::Profile,
    ) -> Option<Rich> {
        let about_share = self.faq_of(entry)?.aspects.iter().any(|a| {
            a == crate::knowledge::COFINANCING_ASPECT || a == crate::knowledge::AMOUNT_ASPECT
        });
        let qn = self.knowledge.questionnaire_for(&call?.id)?;
        let g = crate::eligibility::grant::for_value(qn, profile.value.filter(|_| about_share)?)?;
        Some(tx.t(
            "answer.grant",
            &[
                ("value", &tx.number(g.value, Some("€"))),
                ("share", &tx.number(100.0 - g.own_share, Some("%"))),
                ("grant", &tx.number(g.grant, Some("€"))),
                ("own", &tx.number(g.own, Some("€"))),
            ],
        ))
    }

    /// What the asker's facts mean for a call, as far as its data say: whether the sources
    /// list their kind of applicant, and whether the call's territory is theirs.
    pub(super) fn profile_lines(&self, tx: &Texts, p: &understand::Profile, c: &Call) -> Vec<Rich> {
        let mut out = Vec::new();
        if let Some(a) = p.applicant()
            && !c.applicants.is_empty()
        {
            let who = applicant_one(tx, a);
            let key = if c.applicants.contains(&a) {
                "profile.listed"
            } else {
                "profile.not_listed"
            };
            out.push(tx.t(key, &[("who", &who), ("call", &c.short)]));
        }
        // What the call's rules already say with these facts («Il progetto vale meno di
        // 80.000 €…»), before any check.
        if let Some(q) = self.knowledge.questionnaire_for(&c.id) {
            for r in crate::eligibility::settled_by(q, p).into_iter().take(2) {
                out.push(tx.t("profile.rule", &[("reason", &r.reason)]));
            }
        }
        if let (Some(false), Some(t)) = (p.in_piedmont(), c.territory.as_deref()) {
            let region = p.region.clone().unwrap_or_default();
            out.push(tx.t(
                "profile.elsewhere",
                &[("region", &region), ("territory", t), ("call", &c.short)],
            ));
        }
        out
    }
}

/// "aperto", "chiuso", "stato non indicato dalle fonti" (a strategy or measure: its kind).
fn status_word(tx: &Texts, c: &Call, now: Timestamp) -> String {
    match (c.kind, c.status(now)) {
        (_, CallStatus::Open) => tx.s("focus.status.open", &[]),
        (_, CallStatus::Closed) => tx.s("focus.status.closed", &[]),
        (CallKind::Strategy, _) => tx.s("focus.status.strategy", &[]),
        (CallKind::Measure, _) => tx.s("focus.status.measure", &[]),
        (CallKind::Call, CallStatus::Unknown) => tx.s("focus.status.unknown", &[]),
    }
}

/// The first sentence of a text (a line at most), cut to [`LINE_CHARS`].
fn first_sentence(text: &str) -> String {
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    let end = line
        .char_indices()
        .find(|&(i, c)| {
            c == '.'
                && line[i + 1..].starts_with(' ')
                && !line[..i].ends_with(|d: char| d.is_ascii_digit())
        })
        .map_or(line.len(), |(i, _)| i + 1);
    short(&line[..end], LINE_CHARS)
}

fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.trim().to_string()
    } else {
        let cut: String = s.chars().take(max - 1).collect();
        format!("{}…", cut.trim_end())
    }
}

/// One applicant of a kind, in words («grande impresa»).
pub(super) fn applicant_one(tx: &Texts, a: Applicant) -> String {
    let key = match a {
        Applicant::Pmi => "applicant.one.pmi",
        Applicant::GrandeImpresa => "applicant.one.grande_impresa",
        Applicant::TerzoSettore => "applicant.one.terzo_settore",
        Applicant::EntePubblico => "applicant.one.ente_pubblico",
        Applicant::Cittadino => "applicant.one.cittadino",
        Applicant::EnteAggregatore => "applicant.one.ente_aggregatore",
    };
    tx.s(key, &[])
}

impl Engine<'_> {
    /// The call a choice of entries is about: the first entry's, when it is the only
    /// entry or at least one more is about the same call (the words led there twice; a
    /// third choice of another call is a runner-up). General entries (a glossary's
    /// definition) are about no call and do not count against it.
    pub(super) fn one_call(&self, entries: &[usize]) -> Option<CallId> {
        let first = self.index.entry(*entries.first()?).doc.call.clone()?;
        let of_first = entries
            .iter()
            .filter(|&&e| self.index.entry(e).doc.call.as_ref() == Some(&first))
            .count();
        (of_first >= 2 || entries.len() == 1).then_some(first)
    }

    /// "Non ho trovato", never without options: what matched a little, the calls, help
    /// and, when reachable, a person.
    ///
    /// `elsewhere`: the asker's region, when they asked whether they may take part from
    /// outside the calls' territory (the reason there is no sure answer).
    pub(super) fn nothing(
        &self,
        tx: &Texts,
        suggestions: &[usize],
        elsewhere: Option<&str>,
    ) -> Reply {
        let mut text = match elsewhere {
            Some(region) => tx.t(
                "search.elsewhere",
                &[
                    ("region", region),
                    ("territory", crate::understand::profile::HOME_REGION),
                ],
            ),
            None => tx.t("search.nothing", &[]),
        };
        text.para().append(self.help_pointer(tx));
        let mut rows: Vec<Vec<Button>> = Vec::new();
        if !suggestions.is_empty() {
            text.para().append(tx.t("search.maybe", &[]));
            rows.extend(
                suggestions
                    .iter()
                    .filter_map(|&e| self.entry_button(e))
                    .map(|b| vec![b]),
            );
        }
        rows.push(vec![
            button(tx.s("menu.calls", &[]), Action::Calls),
            button(tx.s("menu.help", &[]), Action::Help),
        ]);
        rows.extend(self.operator_row(tx));
        Reply::new(text).with_buttons(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_sentences_stop_at_a_full_stop_not_in_a_number() {
        assert_eq!(
            first_sentence("Il bando vale 2.500.000 €. Poi altro."),
            "Il bando vale 2.500.000 €."
        );
        assert_eq!(first_sentence("Una riga\nun'altra"), "Una riga");
    }
}
