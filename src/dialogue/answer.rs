//! Answering a free question: read it ([`crate::understand`]), search, decide with the
//! call in focus ([`crate::decide`]), and say it.
//!
//! Every answer opens with the call it is about and a «Cambia bando» button; a direct
//! answer carries its runners-up as «Forse cercavi anche» buttons; a question whose answer
//! differs from call to call gets the open call's answer and the others in a line each (or
//! «Quale bando?»). The facts an asker gives about themselves stay in the session, are
//! used where the calls' data allow («Come grande impresa, …») and prefill the check.

use jiff::Timestamp;

use super::{Answered, Effect, Engine, MAX_QUESTION, Outcome, button, short_label};
use crate::action::Action;
use crate::decide::{Context, Decision, decide};
use crate::knowledge::{Applicant, Call, CallId, CallKind, CallStatus};
use crate::reply::{Button, Reply, Rich};
use crate::search::{Confidence, EntryKind};
use crate::text::Texts;
use crate::understand::{self, Cues, Reading};

/// What the engine would answer to a question (see [`Engine::consider`]).
#[derive(Debug, Clone)]
pub struct Considered {
    /// The calls the question is about (named in it, or the one chosen).
    pub named: Vec<CallId>,
    /// What was searched.
    pub query: String,
    /// The question was a short follow-up asking the previous one again.
    pub elliptic: bool,
    pub results: crate::search::Results,
    pub decision: Decision,
}

/// Characters of an excerpt shown under an answer.
const EXCERPT_CHARS: usize = 600;
/// Characters of the one-line summary of another call's answer.
const LINE_CHARS: usize = 170;
/// Candidates the decision looks at.
const CANDIDATES: usize = 15;

impl Engine<'_> {
    /// What staff get for a question (a `/risposta` or a forward): the engine's own
    /// decision for someone with no conversation yet. The best entry, up to two
    /// alternatives, and whether it would be a direct answer (what «Affidabilità: alta»
    /// means).
    pub fn staff_pick(
        &self,
        question: &str,
        now: Timestamp,
    ) -> (Option<usize>, Vec<usize>, Confidence) {
        let tx = crate::text::texts(crate::text::Lang::It);
        let reading = self.read(tx, question);
        let session = super::Session {
            profile: reading.profile.clone(),
            ..super::Session::default()
        };
        match self.consider(tx, &reading, &session, None, now).decision {
            Decision::Direct {
                entry, also, lines, ..
            } => (
                Some(entry),
                also.into_iter().chain(lines).take(2).collect(),
                Confidence::High,
            ),
            Decision::Menu { entries } => {
                let mut e = entries.into_iter();
                (e.next(), e.take(2).collect(), Confidence::Low)
            }
            Decision::WhichCall { calls } => {
                let mut e = calls.into_iter().map(|(_, e)| e);
                (e.next(), e.take(2).collect(), Confidence::Low)
            }
            Decision::Nothing { suggestions } => {
                let mut e = suggestions.into_iter();
                (e.next(), e.take(2).collect(), Confidence::None)
            }
        }
    }

    /// Reads a message with the pack's data and the language's cue words.
    pub fn read(&self, tx: &Texts, text: &str) -> Reading {
        understand::read(
            self.knowledge,
            Cues {
                question: tx.list("words.question"),
                asking: tx.list("words.asking"),
                define: tx.list("words.define"),
                eligibility: tx.list("words.eligibility"),
                intent: tx.list("words.intent"),
                past: tx.list("words.past"),
                past_endings: tx.list("words.past_endings"),
            },
            text,
        )
    }

    /// Answers a free question with search, in the context of the conversation.
    pub(super) fn answer(&self, out: &mut Outcome, tx: &Texts, question: &str, now: Timestamp) {
        self.answer_for(out, tx, question, now, None);
    }

    /// Reads, searches and decides, without changing anything: what the engine would
    /// answer to `question` in `session`; `call`: as if the question named that call.
    pub fn consider(
        &self,
        tx: &Texts,
        reading: &Reading,
        session: &super::Session,
        call: Option<&CallId>,
        now: Timestamp,
    ) -> Considered {
        let mut named = reading.named.clone();
        if let Some(c) = call {
            named = vec![c.clone()];
        }
        // "E per alfa invece?": a call and nothing else asks the previous question again.
        let again = self.elliptic(tx, reading, session.last_question.as_deref());
        let elliptic = again.is_some();
        let mut query = again.unwrap_or_else(|| reading.query.clone());
        // Asked again for another call: the names of the first one go.
        if call.is_some() {
            query = strip_call_names(self.knowledge, &understand::words_of(&query)).join(" ");
        }
        let focus = session.topic.clone();
        // Words that only name a call weigh little: the context says which call.
        let lx = &self.knowledge.lexicon;
        let mut light: Vec<String> = lx.generic.clone();
        // Being in Piedmont is what every call expects: it says who asks, not what. (Another
        // region may well be the point of the question.)
        light.extend(understand::words_of(understand::profile::HOME_REGION));
        let qwords = understand::words_of(&query);
        for id in named.iter().chain(focus.iter()) {
            if let Some(c) = self.knowledge.call(&id.0) {
                for a in c.aliases.iter().chain(&c.weak_aliases) {
                    if !a.is_empty() && qwords.windows(a.len()).any(|w| w == &a[..]) {
                        light.extend(a.iter().cloned());
                    }
                }
            }
        }
        // A follow-up naming no call is about the call in focus, and a question asked
        // again for a chosen call is about that one: read them as if they said so.
        let said_for: Vec<&CallId> = if named.is_empty() {
            focus.iter().collect()
        } else {
            named.iter().collect()
        };
        for id in said_for {
            let Some(c) = self.knowledge.call(&id.0) else {
                continue;
            };
            let names = c.aliases.iter().chain(&c.weak_aliases);
            let mentioned = names
                .clone()
                .any(|a| !a.is_empty() && qwords.windows(a.len()).any(|w| w == &a[..]));
            if !mentioned && let Some(name) = c.aliases.first().or(c.weak_aliases.first()) {
                query.push(' ');
                query.push_str(&name.join(" "));
                light.extend(name.iter().cloned());
            }
        }
        // "Possiamo partecipare?": for someone who said what they are, ask it for them;
        // for anyone else it asks who may take part.
        if reading.eligibility && self.index.analyse(&query).asks_with().is_empty() {
            let said = understand::words_of(&query);
            let names_kind = lx
                .applicants
                .iter()
                .flat_map(|(_, ps)| ps)
                .chain(lx.sizes.iter().flat_map(|(_, ps)| ps))
                .any(|p| !p.is_empty() && said.windows(p.len()).any(|w| w == &p[..]));
            if !names_kind {
                query.push(' ');
                match session.profile.applicant() {
                    Some(a) => query.push_str(&applicant_one(tx, a)),
                    None => query.push_str(&tx.s("words.who", &[])),
                }
            }
        }
        let results = self.index.search_light(&query, CANDIDATES, &light);
        let audience = reading.audience.or(session.profile.audience());
        let asks_with = results.query.asks_with();
        let decision = decide(
            self.knowledge,
            self.index,
            &results,
            &Context {
                named: &named,
                focus: focus.as_ref(),
                audience,
                defines: reading.defines || results.query.names_only(),
                switching: understand::has_phrase(&reading.words, tx.list("words.switch")),
                past: reading.past,
                described: reading.described,
                asks_with: &asks_with,
                define_cues: tx.list("words.define"),
                now,
            },
        );
        Considered {
            named,
            query,
            elliptic,
            results,
            decision,
        }
    }

    /// Answers a question; `call`: answer it for this call (a «Cambia bando» choice).
    pub(super) fn answer_for(
        &self,
        out: &mut Outcome,
        tx: &Texts,
        question: &str,
        now: Timestamp,
        call: Option<&CallId>,
    ) {
        let reading = self.read(tx, question);
        out.session.profile.merge(&reading.profile);
        let Considered {
            named,
            query,
            elliptic,
            results,
            decision,
        } = self.consider(tx, &reading, &out.session, call, now);
        if !elliptic {
            out.session.last_question = Some(question.chars().take(MAX_QUESTION).collect());
        }
        let passages = self.passages_for(&query);
        let id = |e: usize| self.index.entry(e).doc.id.clone();
        let answered = match &decision {
            Decision::Direct {
                entry,
                call,
                also,
                lines,
            } => Answered::Direct {
                entry: id(*entry),
                call: call.clone(),
                also: also.iter().map(|&e| id(e)).collect(),
                lines: lines.iter().map(|&e| id(e)).collect(),
            },
            Decision::Menu { entries } => Answered::Menu {
                entries: entries.iter().map(|&e| id(e)).collect(),
            },
            Decision::WhichCall { calls } => Answered::WhichCall {
                calls: calls.iter().map(|(c, _)| c.clone()).collect(),
                entries: calls.iter().map(|&(_, e)| id(e)).collect(),
            },
            Decision::Nothing { .. } => Answered::Nothing,
        };
        let best = match &decision {
            Decision::Direct { entry, .. } => Some(id(*entry)),
            Decision::Menu { entries } => entries.first().map(|&e| id(e)),
            Decision::WhichCall { calls } => calls.first().map(|&(_, e)| id(e)),
            Decision::Nothing { .. } => passages
                .hits
                .first()
                .map(|h| self.index.entry(h.entry).doc.id.clone()),
        };
        out.effects.push(Effect::Asked {
            question: question.chars().take(MAX_QUESTION).collect(),
            best,
            confident: matches!(decision, Decision::Direct { .. })
                || (matches!(decision, Decision::Nothing { .. })
                    && passages.confidence == Confidence::High),
            answer: answered,
        });
        if results.query.truncated {
            out.replies.push(Reply::new(tx.t("search.truncated", &[])));
        }
        match decision {
            Decision::Direct {
                entry,
                call,
                also,
                lines,
            } => {
                self.move_focus(&mut out.session.topic, call.as_ref(), &named);
                let described = !reading.profile.is_empty();
                let mut reply = self.entry_reply(
                    tx,
                    entry,
                    Some(&results.query),
                    now,
                    &also,
                    described,
                    &out.session.profile,
                );
                if !lines.is_empty() {
                    self.other_calls(tx, &mut reply.text, &lines, now);
                }
                out.replies.push(reply);
                let passages = self.passages_of(passages, call.as_ref());
                out.replies
                    .extend(self.passages_reply(tx, &passages, false));
            }
            Decision::Menu { entries } => {
                if let Some(c) = named.first() {
                    out.session.topic = Some(c.clone());
                }
                let mut rows: Vec<Vec<Button>> = entries
                    .iter()
                    .filter_map(|&e| self.entry_button(e))
                    .map(|b| vec![b])
                    .collect();
                rows.extend(self.operator_row(tx));
                out.replies
                    .push(Reply::new(tx.t("search.choose", &[])).with_buttons(rows));
                out.replies
                    .extend(self.passages_reply(tx, &passages, false));
            }
            Decision::WhichCall { calls } => {
                let rows = calls
                    .iter()
                    .filter_map(|(c, _)| self.knowledge.call(&c.0))
                    .map(|c| vec![self.focus_button(tx, c, now)])
                    .collect();
                out.replies
                    .push(Reply::new(tx.t("focus.which", &[])).with_buttons(rows));
            }
            Decision::Nothing { suggestions } => {
                if let Some(c) = named.first() {
                    out.session.topic = Some(c.clone());
                }
                if let Some(reply) = self.passages_reply(tx, &passages, true) {
                    // The official text answers: its call is the one we talk about now.
                    if let Some(c) = passages
                        .hits
                        .first()
                        .and_then(|h| self.index.entry(h.entry).doc.call.clone())
                    {
                        out.session.topic = Some(c);
                    }
                    out.replies.push(reply);
                    return;
                }
                out.replies.push(self.nothing(tx, &suggestions));
            }
        }
    }

    /// The focus after an answer about `call`: that call, unless it is the measure or
    /// strategy above the call asked about (the narrower call stays in focus); a general
    /// answer leaves the focus where it was.
    fn move_focus(&self, focus: &mut Option<CallId>, call: Option<&CallId>, named: &[CallId]) {
        let asked = named.first().or(focus.as_ref()).cloned();
        match (call, asked) {
            (Some(c), Some(a))
                if understand::relation(self.knowledge, &a, c) == understand::Relation::Above =>
            {
                *focus = Some(a)
            }
            (Some(c), _) => *focus = Some(c.clone()),
            (None, Some(a)) => *focus = Some(a),
            (None, None) => {}
        }
    }

    /// "Non ho trovato", never without options: what matched a little, the calls, help
    /// and, when reachable, a person.
    fn nothing(&self, tx: &Texts, suggestions: &[usize]) -> Reply {
        let mut text = tx.t("search.nothing", &[]);
        if !self.settings.helpdesk_contact.is_empty() {
            text.para().append(tx.t(
                "helpdesk.contact",
                &[("contact", &self.settings.helpdesk_contact)],
            ));
        }
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

    /// The previous question asked again for the call a short follow-up names (`e per
    /// alfa invece?`), with the names of calls taken out of it; `None` when the message
    /// has words of its own.
    fn elliptic(&self, tx: &Texts, reading: &Reading, last: Option<&str>) -> Option<String> {
        let last = last?;
        if reading.named.is_empty() {
            return None;
        }
        let filler: Vec<String> = tx
            .list("words.followup")
            .iter()
            .map(|w| crate::search::fold_str(w))
            .collect();
        let rest = strip_call_names(self.knowledge, &reading.words);
        if !rest.iter().all(|w| filler.contains(w)) {
            return None;
        }
        let before = self.read(tx, last);
        Some(strip_call_names(self.knowledge, &understand::words_of(&before.query)).join(" "))
    }

    /// One line per other call: its name, status and the first sentence of its answer.
    fn other_calls(&self, tx: &Texts, text: &mut Rich, lines: &[usize], now: Timestamp) {
        text.para().append(tx.t("focus.others", &[]));
        for &e in lines {
            let d = &self.index.entry(e).doc;
            let Some(c) = d.call.as_ref().and_then(|c| self.knowledge.call(&c.0)) else {
                continue;
            };
            text.line()
                .text("• ")
                .bold(&c.short)
                .text(format!(" ({}): ", status_word(tx, c, now)))
                .text(first_sentence(&d.body));
        }
    }

    /// The first line of an answer: the call it is about and its status.
    fn focus_line(&self, tx: &Texts, call: Option<&Call>, now: Timestamp) -> Rich {
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
        match query {
            Some(q) => text.append(self.index.excerpt(q, &d.body, EXCERPT_CHARS)),
            None => text.text(&d.body),
        };
        text.para();
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
            if let Some(b) = self.eligibility_button_for(tx, c, profile) {
                rows.push(vec![b]);
            }
        }
        rows.push(vec![button(tx.s("focus.change", &[]), Action::FocusMenu)]);
        Reply::new(text).with_buttons(rows)
    }

    /// What the asker's facts mean for a call, as far as its data say: whether the sources
    /// list their kind of applicant, and whether the call's territory is theirs.
    fn profile_lines(&self, tx: &Texts, p: &understand::Profile, c: &Call) -> Vec<Rich> {
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

/// The folded words of a message without the names of calls in it.
fn strip_call_names(k: &crate::knowledge::Knowledge, words: &[String]) -> Vec<String> {
    let mut keep = vec![true; words.len()];
    for c in &k.calls {
        for a in c.aliases.iter().chain(&c.weak_aliases) {
            if a.is_empty() || a.len() > words.len() {
                continue;
            }
            for i in 0..=words.len() - a.len() {
                if words[i..i + a.len()] == a[..] {
                    keep[i..i + a.len()].iter_mut().for_each(|k| *k = false);
                }
            }
        }
    }
    words
        .iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(w, _)| w.clone())
        .collect()
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
