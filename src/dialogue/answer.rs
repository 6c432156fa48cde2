//! Answering a free question: read it ([`crate::understand`]), search, decide with the
//! call in focus ([`crate::decide`]), and say it.
//!
//! Every answer opens with the call it is about and a «Cambia bando» button; a direct
//! answer carries its runners-up as «Forse cercavi anche» buttons; a question whose answer
//! differs from call to call gets the open call's answer and the others in a line each (or
//! «Quale bando?»). The facts an asker gives about themselves stay in the session, are
//! used where the calls' data allow («Come grande impresa, …») and prefill the check.

use jiff::Timestamp;

use super::answer_view::applicant_one;
use super::pointing::strip_call_names;
use super::{Answered, Effect, Engine, MAX_QUESTION, Outcome, button};
use crate::action::Action;
use crate::decide::{Context, Decision, decide_traced};
use crate::knowledge::CallId;
use crate::reply::{Button, Reply};
use crate::search::Confidence;
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
    /// The context a short follow-up was searched in (see `Engine::followed_up`).
    pub follows_up: Option<String>,
    pub results: crate::search::Results,
    pub decision: Decision,
    /// A question asking two things: the second part's own direct answer, given after
    /// the first part's (`decision`) (see `two_parts`).
    pub second: Option<usize>,
    /// How sure the decision was.
    pub trace: crate::decide::Trace,
}

/// Candidates the decision looks at.
const CANDIDATES: usize = 10;
/// How much a word of the asker's description counts in search, against a word of the
/// question itself, per language (chosen on each language's development sets: in English
/// it ordered the entries better but gave one right direct answer less, so it is off).
fn context_share(lang: crate::text::Lang) -> f32 {
    match lang {
        crate::text::Lang::It => 0.4,
        crate::text::Lang::En => 0.0,
    }
}

/// Words a question about applying alone has at most (`noi però siamo da soli, va bene?`).
const SHORT_ALONE: usize = 8;

impl Engine<'_> {
    /// Reads a message with the pack's data and the language's cue words.
    pub fn read(&self, tx: &Texts, text: &str) -> Reading {
        // Remembered only with the loaded-once texts of a language (their address and
        // content never change), see `readings.rs`.
        match self.readings {
            Some(m) if std::ptr::eq(tx, crate::text::texts(tx.lang)) => {
                let with = super::readings::With {
                    knowledge: std::ptr::from_ref(self.knowledge) as usize,
                    index: std::ptr::from_ref(self.index) as usize,
                    lang: tx.lang,
                };
                m.get_or(with, text, || self.read_afresh(tx, text))
            }
            _ => self.read_afresh(tx, text),
        }
    }

    /// Reads a message (see [`Engine::read`]) without the memory of readings.
    fn read_afresh(&self, tx: &Texts, text: &str) -> Reading {
        let content = |w: &str| self.index.weighs(w);
        let cues = Cues {
            content: &content,
            ..Cues::of(tx)
        };
        let text = match tx.lang {
            crate::text::Lang::En => understand::english::italian_figures(text),
            crate::text::Lang::It => text.into(),
        };
        understand::read(self.knowledge, cues, &text)
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
        let pointed = self.pointed(tx, reading, session.topic.as_ref(), now);
        let reading = pointed.as_ref().unwrap_or(reading);
        let mut named = reading.named.clone();
        if let Some(c) = call {
            named = vec![c.clone()];
        }
        // "E per alfa invece?": a call and nothing else asks the previous question again.
        let again = self.elliptic(tx, reading, session.last_question.as_deref());
        let elliptic = again.is_some();
        let mut query = again.unwrap_or_else(|| {
            // Without the words that describe the asker nothing may be left to ask: then
            // the description is the question (`siamo una coop sociale, c'è qualcosa?`).
            if reading.query == reading.query_whole
                || self
                    .index
                    .with_analysis(&reading.query, |a| a.content_weight() > 0.0)
            {
                reading.query.clone()
            } else {
                reading.query_whole.clone()
            }
        });
        // «E in quale bando c'erano?»: which call has what the last question asked about.
        if !elliptic
            && call.is_none()
            && let Some(q) = self.which_call_of(tx, reading, session)
        {
            query = q;
        }
        // Asked again for another call: the names of the first one go.
        if call.is_some() {
            query = strip_call_names(self.knowledge, &understand::words_of(&query)).join(" ");
        }
        let focus = self.focus_of(tx, reading, session.topic.as_ref());
        // Words that only name a call weigh little: the context says which call.
        let lx = &self.knowledge.lexicon;
        let mut light: Vec<&str> = lx.generic.iter().map(String::as_str).collect();
        // Being in Piedmont is what every call expects: it says who asks, not what. (Another
        // region may well be the point of the question.)
        light.extend(understand::profile::home_words().iter().map(String::as_str));
        let qwords = understand::words_of(&query);
        for id in named.iter().chain(focus.iter()) {
            if let Some(c) = self.knowledge.call(&id.0) {
                for a in c.aliases.iter().chain(&c.weak_aliases) {
                    if !a.is_empty() && qwords.windows(a.len()).any(|w| w == &a[..]) {
                        light.extend(a.iter().map(String::as_str));
                    }
                }
            }
        }
        // A follow-up naming no call is about the call in focus, and a question asked
        // again for a chosen call is about that one: read them as if they said so.
        // (A message with nothing to search for is not made into one by the focus; one
        // that asks how much, when or who — `quanto c'era?` — asks it of that call.)
        let bare = self.index.with_analysis(&query, |a| {
            a.content_weight() <= 0.0 && a.asks_with().is_empty()
        });
        let said_for: Vec<&CallId> = if named.is_empty() {
            focus.iter().filter(|_| !bare).collect()
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
                light.extend(name.iter().map(String::as_str));
            }
        }
        // "Possiamo partecipare?": for someone who said what they are, ask it for them;
        // for anyone else it asks who may take part.
        // «Possiamo essere capofila?», «possiamo farlo da soli?»: a yes-or-no question
        // about the asker, from someone who said what they are, is asked for their kind.
        // «Possiamo fare qualcosa per loro?» asks about others (`words.about_them`).
        let first_person = understand::has_phrase(&reading.words, tx.phrases("words.first_person"));
        let about_asker = session.profile.applicant().is_some()
            && first_person
            && !understand::has_phrase(&reading.words, tx.phrases("words.about_them"));
        if (reading.eligibility || about_asker)
            && self
                .index
                .with_analysis(&query, |a| a.asks_with().is_empty())
        {
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
        // «Noi però siamo da soli, va bene?»: a short question whose point is applying
        // without partners asks what the calls say of it.
        if reading.asks
            && !reading.described
            && reading.words.len() <= SHORT_ALONE
            && reading.profile.partners == Some(false)
        {
            query.push(' ');
            query.push_str(&tx.s("words.alone_means", &[]));
        }
        // About a call (named or in focus): other calls' entries, left out later, must not
        // crowd its own out of the candidates.
        let limit = if named.is_empty() && focus.is_none() {
            CANDIDATES
        } else {
            CANDIDATES * 3
        };
        // The plain BM25 second opinion reads the query alone: searched once, whatever
        // context the query is then read in.
        let plain_best = self.index.search_bm25(&query, 1).first().map(|h| h.0);
        // Search and decide, with the words of a context counting a little.
        let search_decide = |context: &str| {
            let results = self.index.search_in_context(
                &query,
                context,
                context_share(tx.lang),
                limit,
                &light,
            );
            let audience = reading.audience.or(session.profile.audience());
            let asks_with = results.query.asks_with();
            let facts = self.facts_asked(tx, &query, &qwords, &results);
            // Folded only for the rare asker from elsewhere who asks whether they may apply.
            let home_words = Self::from_elsewhere(reading, &session.profile)
                .map(|_| crate::fold::phrase(understand::profile::HOME_REGION));
            let (decision, trace) = decide_traced(
                self.knowledge,
                self.index,
                &results,
                &Context {
                    named: &named,
                    focus: focus.as_ref(),
                    audience,
                    applicant: session.profile.applicant(),
                    about: crate::decide::about_not_naming(self.knowledge, reading.about, &named),
                    partners: session.profile.partners,
                    defines: reading.defines || results.query.names_only(),
                    switching: understand::has_phrase(&reading.words, tx.phrases("words.switch")),
                    past: reading.past,
                    described: reading.described,
                    first_person,
                    asks_with: &asks_with,
                    plain_best,
                    define_cues: tx.phrases("words.define"),
                    facts: &facts,
                    from_elsewhere: home_words.as_ref(),
                    now,
                },
            );
            (results, decision, trace)
        };
        // The asker's description of themselves, when a question part was cut out of the
        // message, still tells apart entries the question alone leaves close (a nursery
        // for a cooperative's members). The previous question asked again keeps the
        // context it had (see below).
        let carried = if elliptic || call.is_some() {
            session.follows_up.clone()
        } else {
            None
        };
        let own = match &carried {
            Some(c) => c.as_str(),
            None if !elliptic && call.is_none() => reading.context.as_str(),
            None => "",
        };
        let (mut results, mut decision, mut trace) = search_decide(own);
        // A short follow-up that leaves entries close (`e il minimo?`: of partners or of a
        // project's value) is read again in the context of the question it follows; that
        // reading is kept only when it finds one clear answer.
        let mut follows_up = carried;
        if follows_up.is_none()
            && context_share(tx.lang) > 0.0
            && matches!(decision, Decision::Menu { .. })
            && let Some(c) = self.followed_up(tx, reading, session)
        {
            let (r, d, t) = search_decide(&c);
            if matches!(d, Decision::Direct { .. }) {
                (results, decision, trace) = (r, d, t);
                follows_up = Some(c);
            }
        }
        // A self-description: its question part, read alone (see `memory.rs`).
        let decision = if call.is_none() && !elliptic {
            self.with_question_alone(tx, reading, session, now, decision)
        } else {
            decision
        };
        // «E per alfa?» after a direct answer asks that answer's question of another call:
        // read again as the answer's own phrasing, a reading that answers directly with
        // an entry the menu offers gives the answer; else the entry the pack says answers
        // the same there.
        let decision = match decision {
            Decision::Menu { entries } if elliptic => {
                match self.counterpart(tx, reading, session, call, now) {
                    Some(d @ Decision::Direct { entry, .. }) if entries.contains(&entry) => d,
                    _ => Decision::Menu { entries },
                }
            }
            d => d,
        };
        let decision = match elliptic && call.is_none() {
            true => {
                let decision = self
                    .same_aspect(session, &named, &query, &decision, trace.certain())
                    .unwrap_or(decision);
                let decision = self
                    .overview_instead(session, &named, &decision)
                    .unwrap_or(decision);
                self.measure_card_instead(&named, &decision)
                    .unwrap_or(decision)
            }
            false => decision,
        };
        let decision = self
            .compared(tx, reading, &named, &decision)
            .or_else(|| self.measure_asked(tx, reading, &decision))
            .or_else(|| self.status_asked(tx, reading, &named, &decision))
            .or_else(|| self.name_asked(tx, reading, &named, focus.as_ref(), &decision))
            .or_else(|| self.amount_unknown(tx, reading, &named, focus.as_ref(), &decision))
            .or_else(|| self.deadline_asked_past(tx, reading, &named, &decision))
            .or_else(|| self.measure_named(&named, &decision))
            .or_else(|| self.focus_aspect_instead(&named, focus.as_ref(), &query, &decision))
            .or_else(|| self.named_aspect_instead(&named, &decision))
            .unwrap_or(decision);
        // A question asking two things, each with its own direct answer: both.
        let (decision, second) = match elliptic {
            false => self.both_parts(tx, reading, session, call, now, decision),
            true => (decision, None),
        };
        // The question part finds nothing: what is asked about may be in the description.
        if matches!(decision, Decision::Nothing { .. })
            && !elliptic
            && call.is_none()
            && let Some(again) = self.described_as_question(tx, reading, session, now)
        {
            return again;
        }
        Considered {
            named,
            query,
            follows_up,
            elliptic,
            results,
            decision,
            second,
            trace,
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
        // A message that only says who the asker is (`ciao sn una pmi di asti`) asks
        // nothing yet: the facts are noted, and the answer waits for the question.
        if self.only_describes(tx, &reading) {
            let facts = super::memory::profile_facts(tx, &reading.profile).join(", ");
            out.effects.push(Effect::Asked {
                question: question.chars().take(MAX_QUESTION).collect(),
                best: None,
                confident: false,
                answer: Answered::Nothing,
            });
            out.replies.push(
                Reply::new(tx.t("search.noted", &[("facts", &facts)])).with_buttons(vec![vec![
                    button(tx.s("menu.check", &[]), Action::EligibilityMenu),
                    button(tx.s("menu.calls", &[]), Action::Calls),
                ]]),
            );
            return;
        }
        let Considered {
            named,
            query,
            elliptic,
            follows_up,
            results,
            decision,
            second,
            ..
        } = self.consider(tx, &reading, &out.session, call, now);
        if !elliptic && call.is_none() {
            out.session.last_question = Some(question.chars().take(MAX_QUESTION).collect());
            out.session.follows_up = follows_up.map(|c| c.chars().take(MAX_QUESTION).collect());
        }
        // A message naming a call is never answered with another call's text.
        let passages = self.passages_of(self.passages_for(&query), named.first());
        // No curated answer stands out but the official text answers it squarely: the
        // official text alone, rather than a menu of weak FAQs.
        let text_covers_more = passages.confidence != Confidence::None
            && passages.hits.first().map(|h| h.coverage) > results.hits.first().map(|h| h.coverage);
        let decision = match decision {
            Decision::Menu { entries } if text_covers_more && named.is_empty() => {
                Decision::Nothing {
                    suggestions: entries,
                }
            }
            d => d,
        };
        let id = |e: usize| self.index.entry(e).doc.id.clone();
        out.session.last_answer = match &decision {
            Decision::Direct { entry, .. } => Some(id(*entry)),
            _ => None,
        };
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
                second: second.map(id),
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
                if understand::has_phrase(&reading.words, tx.phrases("words.now_open"))
                    && let Some(to) = self.leads_to(entry)
                {
                    out.session.topic = Some(to);
                }
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
                // The second thing asked, as its own answer.
                if let Some(second) = second {
                    out.replies.push(self.entry_reply(
                        tx,
                        second,
                        Some(&results.query),
                        now,
                        &[],
                        described,
                        &out.session.profile,
                    ));
                }
                let passages = self.passages_of(passages, call.as_ref());
                out.replies
                    .extend(self.passages_reply(tx, &passages, false));
            }
            Decision::Menu { entries } => {
                if let Some(c) = named.first() {
                    out.session.topic = Some(c.clone());
                } else if out.session.topic.is_none()
                    && let Some(c) = self.one_call(&entries)
                {
                    // The choice is mostly about one call: the conversation is about it
                    // now (the menu says so, with «Cambia bando»), and a follow-up that
                    // ignores the choice (`ok e i soldi da dove arrivano?`) asks of it.
                    out.session.topic = Some(c);
                }
                let mut rows: Vec<Vec<Button>> = entries
                    .iter()
                    .filter_map(|&e| self.entry_button(e))
                    .map(|b| vec![b])
                    .collect();
                rows.extend(self.operator_row(tx));
                // The call the choice is about, and the way to another one.
                let about = named
                    .first()
                    .or(out.session.topic.as_ref())
                    .and_then(|c| self.knowledge.call(&c.0));
                // One entry left to offer is a guess to confirm, not a choice.
                let (key, key_call) = if entries.len() == 1 {
                    ("search.choose_one", "search.choose_one_call")
                } else {
                    ("search.choose", "search.choose_call")
                };
                let text = match about {
                    Some(c) => {
                        rows.push(vec![button(tx.s("focus.change", &[]), Action::FocusMenu)]);
                        tx.t(key_call, &[("call", &c.short)])
                    }
                    None => tx.t(key, &[]),
                };
                out.replies.push(Reply::new(text).with_buttons(rows));
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
                let elsewhere = Self::from_elsewhere(&reading, &out.session.profile);
                out.replies.push(self.nothing(tx, &suggestions, elsewhere));
            }
        }
    }
}
