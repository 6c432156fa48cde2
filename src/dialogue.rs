//! The conversation engine: `(session, event, now) -> (session', replies, effects)`.
//!
//! It is pure: no clock, no disk, no network. Adapters (Telegram, console) turn what
//! arrives into an [`Event`], load the user's [`Session`], call [`Engine::handle`], then
//! store the new session, carry out the [`Effect`]s and send the replies. Everything a
//! dialogue needs to know about the world comes in through [`Engine`] (knowledge, index,
//! settings) and `now`.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::action::Action;
use crate::knowledge::{Call, CallId, CallKind, Knowledge, deadline};
use crate::reply::{Button, Reply, Rich};
use crate::search::{Confidence, EntryKind, SearchIndex};
use crate::text::{Lang, Texts, texts};

/// The version of [`Session`]'s stored form. A stored session of another version is
/// replaced by a fresh one (with a polite word) instead of being misread.
pub const SESSION_VERSION: u32 = 1;

/// What the engine remembers about one user between messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub version: u32,
    pub lang: Lang,
    pub state: State,
    /// The call the conversation is about, if any (used to put follow-ups in context).
    pub topic: Option<CallId>,
    /// When the user last wrote (for idle expiry).
    pub last_seen: Option<Timestamp>,
}

impl Default for Session {
    fn default() -> Self {
        Session {
            version: SESSION_VERSION,
            lang: Lang::It,
            state: State::Idle,
            topic: None,
            last_seen: None,
        }
    }
}

/// Where the user is in a conversation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub enum State {
    /// No open question: free text is a question for search.
    #[default]
    Idle,
    /// `/cancellami` asked for confirmation.
    ConfirmErase,
}

/// Who sent an event (adapters fill it; the engine uses only what it needs for replies).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct From {
    pub display_name: String,
}

/// Something the user did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A message. Commands are messages starting with `/`.
    Text(String),
    /// A button press with the button's data.
    Button(String),
}

/// Side effects the adapter must carry out (the engine itself does no I/O).
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Delete everything stored about this user.
    EraseUser,
    /// A question was asked (for the help desk's statistics).
    Asked {
        question: String,
        best: Option<String>,
        confident: bool,
    },
}

/// What the engine decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub session: Session,
    pub replies: Vec<Reply>,
    pub effects: Vec<Effect>,
}

/// Settings the engine needs (from `config.toml`).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Sessions idle longer than this are removed (stated in `/privacy`).
    pub session_idle_days: u32,
    /// How the help desk can be reached besides the bot (free text, may be empty).
    pub helpdesk_contact: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            session_idle_days: 30,
            helpdesk_contact: String::new(),
        }
    }
}

/// The engine: read-only references to what it needs.
pub struct Engine<'a> {
    pub knowledge: &'a Knowledge,
    pub index: &'a SearchIndex,
    pub settings: &'a Settings,
}

/// Characters of an excerpt shown under an answer.
const EXCERPT_CHARS: usize = 600;

impl Engine<'_> {
    /// Handles one event for one user at `now`.
    pub fn handle(&self, session: Session, event: &Event, now: Timestamp) -> Outcome {
        let mut out = Outcome {
            session,
            replies: Vec::new(),
            effects: Vec::new(),
        };
        out.session.last_seen = Some(now);
        let tx = texts(out.session.lang);
        match event {
            Event::Button(data) => match Action::decode(data) {
                Some(a) => self.on_action(&mut out, tx, a, now),
                None => out.replies.push(Reply::new(tx.t("button.stale", &[]))),
            },
            Event::Text(text) => {
                let text = text.trim();
                if let Some((cmd, args)) = parse_command(text) {
                    self.on_command(&mut out, tx, &cmd, args, now);
                } else {
                    self.on_text(&mut out, tx, text, now);
                }
            }
        }
        out
    }

    fn on_command(&self, out: &mut Outcome, tx: &Texts, cmd: &str, args: &str, now: Timestamp) {
        match cmd {
            "start" => {
                out.session.state = State::Idle;
                out.replies.push(self.welcome(tx));
            }
            "aiuto" | "help" => out.replies.push(self.help(tx)),
            "bandi" => out.replies.push(self.calls(tx, now)),
            "scadenze" => out.replies.push(self.deadlines(tx, now)),
            "cerca" => {
                if args.trim().is_empty() {
                    out.replies.push(Reply::new(tx.t("search.empty", &[])));
                } else {
                    self.answer(out, tx, args, now);
                }
            }
            "annulla" => {
                let was_idle = out.session.state == State::Idle;
                out.session.state = State::Idle;
                let key = if was_idle {
                    "cancel.nothing"
                } else {
                    "cancel.done"
                };
                out.replies.push(Reply::new(tx.t(key, &[])));
            }
            "privacy" => out.replies.push(self.privacy(tx)),
            "cancellami" => {
                out.session.state = State::ConfirmErase;
                out.replies
                    .push(Reply::new(tx.t("erase.ask", &[])).with_buttons(vec![vec![
                        button(tx.s("erase.yes", &[]), Action::EraseConfirm),
                        button(tx.s("erase.no", &[]), Action::EraseAbort),
                    ]]));
            }
            _ => out
                .replies
                .push(Reply::new(tx.t("command.unknown", &[("command", cmd)]))),
        }
    }

    fn on_action(&self, out: &mut Outcome, tx: &Texts, action: Action, now: Timestamp) {
        match action {
            Action::Faq(id) => match self.index.find(&format!("faq:{id}")) {
                Some(i) => out.replies.push(self.entry_reply(tx, i, None, now, &[])),
                None => out.replies.push(Reply::new(tx.t("button.stale", &[]))),
            },
            Action::Call(id) => match self.knowledge.call(&id.0) {
                Some(c) => {
                    out.session.topic = Some(c.id.clone());
                    out.replies.push(self.call_card(tx, c, now));
                }
                None => out.replies.push(Reply::new(tx.t("button.stale", &[]))),
            },
            Action::Section(c, s) => match self.index.find(&format!("call:{c}#{s}")) {
                Some(i) => out.replies.push(self.entry_reply(tx, i, None, now, &[])),
                None => out.replies.push(Reply::new(tx.t("button.stale", &[]))),
            },
            Action::Calls => out.replies.push(self.calls(tx, now)),
            Action::Deadlines => out.replies.push(self.deadlines(tx, now)),
            Action::Help => out.replies.push(self.help(tx)),
            Action::EraseConfirm | Action::EraseAbort
                if out.session.state != State::ConfirmErase =>
            {
                out.replies.push(Reply::new(tx.t("button.stale", &[])));
            }
            Action::EraseConfirm => {
                out.effects.push(Effect::EraseUser);
                out.session = Session {
                    lang: out.session.lang,
                    ..Session::default()
                };
                out.replies
                    .push(Reply::new(tx.t("erase.done", &[])).editing());
            }
            Action::EraseAbort => {
                out.session.state = State::Idle;
                out.replies
                    .push(Reply::new(tx.t("erase.kept", &[])).editing());
            }
        }
    }

    fn on_text(&self, out: &mut Outcome, tx: &Texts, text: &str, now: Timestamp) {
        if text.is_empty() {
            out.replies.push(Reply::new(tx.t("text.empty", &[])));
            return;
        }
        if out.session.state == State::ConfirmErase {
            // Typed answers to the confirmation count like the buttons.
            let folded = crate::search::fold_str(text);
            if tx.list("words.yes").contains(&folded) {
                return self.on_action(out, tx, Action::EraseConfirm, now);
            }
            if tx.list("words.no").contains(&folded) {
                return self.on_action(out, tx, Action::EraseAbort, now);
            }
            out.session.state = State::Idle;
        }
        let folded = crate::search::fold_str(text);
        if tx.list("words.greetings").contains(&folded) {
            out.replies.push(self.welcome(tx));
            return;
        }
        if tx.list("words.thanks").contains(&folded) {
            out.replies.push(Reply::new(tx.t("thanks", &[])));
            return;
        }
        self.answer(out, tx, text, now);
    }

    /// Answers a free question with search.
    fn answer(&self, out: &mut Outcome, tx: &Texts, question: &str, now: Timestamp) {
        let results = self.index.search(question, 3);
        let best = results
            .hits
            .first()
            .map(|h| self.index.entry(h.entry).doc.id.clone());
        out.effects.push(Effect::Asked {
            question: question.chars().take(500).collect(),
            best: best.clone(),
            confident: results.confidence == Confidence::High,
        });
        let mut replies = Vec::new();
        if results.query.truncated {
            replies.push(Reply::new(tx.t("search.truncated", &[])));
        }
        match results.confidence {
            Confidence::High => {
                let top = &results.hits[0];
                let others: Vec<usize> =
                    results.hits[1..].iter().take(2).map(|h| h.entry).collect();
                if let Some(c) = self.index.entry(top.entry).doc.call.clone() {
                    out.session.topic = Some(c);
                }
                replies.push(self.entry_reply(tx, top.entry, Some(&results.query), now, &others));
            }
            Confidence::Low => {
                let rows = results
                    .hits
                    .iter()
                    .take(3)
                    .filter_map(|h| self.entry_button(h.entry))
                    .map(|b| vec![b])
                    .collect();
                replies.push(Reply::new(tx.t("search.choose", &[])).with_buttons(rows));
            }
            Confidence::None => {
                let mut text = tx.t("search.nothing", &[]);
                if !self.settings.helpdesk_contact.is_empty() {
                    text.para().append(tx.t(
                        "helpdesk.contact",
                        &[("contact", &self.settings.helpdesk_contact)],
                    ));
                }
                replies.push(Reply::new(text).with_buttons(vec![vec![
                    button(tx.s("menu.calls", &[]), Action::Calls),
                    button(tx.s("menu.help", &[]), Action::Help),
                ]]));
            }
        }
        out.replies.extend(replies);
    }

    /// A button that opens an entry, labelled with its title.
    fn entry_button(&self, entry: usize) -> Option<Button> {
        let d = &self.index.entry(entry).doc;
        let action = match d.kind {
            EntryKind::Faq => Action::Faq(d.id.strip_prefix("faq:")?.to_string()),
            EntryKind::Call => Action::Call(d.call.clone()?),
            EntryKind::Section => {
                let (_, sec) = d.id.split_once('#')?;
                Action::Section(d.call.clone()?, sec.to_string())
            }
        };
        let label = match (
            d.kind,
            d.call.as_ref().and_then(|c| self.knowledge.call(&c.0)),
        ) {
            (EntryKind::Section, Some(c)) => format!("{} › {}", c.short, d.title),
            (EntryKind::Call, Some(c)) => c.short.clone(),
            _ => d.title.clone(),
        };
        Some(button(short_label(&label), action))
    }

    /// One entry shown as an answer: title, text (marked when a question is given),
    /// source, deadline status of its call, and buttons for alternatives.
    fn entry_reply(
        &self,
        tx: &Texts,
        entry: usize,
        query: Option<&crate::search::Analysed>,
        now: Timestamp,
        others: &[usize],
    ) -> Reply {
        let d = &self.index.entry(entry).doc;
        let call = d.call.as_ref().and_then(|c| self.knowledge.call(&c.0));
        let mut text = Rich::new();
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
        let mut rows: Vec<Vec<Button>> = others
            .iter()
            .filter_map(|&e| self.entry_button(e))
            .map(|b| vec![b])
            .collect();
        if let Some(c) = call
            && d.kind != EntryKind::Call
        {
            rows.push(vec![button(
                tx.s("button.call_card", &[("call", &c.short)]),
                Action::Call(c.id.clone()),
            )]);
        }
        Reply::new(text).with_buttons(rows)
    }

    /// The status line of a call's deadline at `now`, if the call has a deadline table.
    pub fn deadline_status(&self, tx: &Texts, c: &Call, now: Timestamp) -> Option<Rich> {
        let d = c.deadline.as_ref()?;
        let history = if d.history.is_empty() {
            String::new()
        } else {
            let dates: Vec<String> = d.history.iter().map(|h| h.at.italian()).collect();
            tx.s(
                "deadline.extended",
                &[
                    ("dates", &dates.join(" → ")),
                    ("count", &d.history.len().to_string()),
                ],
            )
        };
        Some(match d.known() {
            Some(at) if d.is_closed(now) => tx.t(
                "deadline.closed",
                &[("date", &at.italian()), ("history", &history)],
            ),
            Some(at) => {
                let left = deadline::italian_time_left(now, at.closes_at().timestamp());
                let mut r = tx.t(
                    "deadline.open",
                    &[
                        ("date", &at.italian()),
                        ("left", &left),
                        ("history", &history),
                    ],
                );
                if at.time.is_none() {
                    r.text(" ").append(tx.t("deadline.no_time", &[]));
                }
                r
            }
            None => {
                let page = c
                    .official_page
                    .as_ref()
                    .map(|p| tx.s("deadline.page", &[("title", &p.title), ("site", &p.site)]))
                    .unwrap_or_default();
                tx.t("deadline.unknown", &[("page", &page)])
            }
        })
    }

    fn welcome(&self, tx: &Texts) -> Reply {
        Reply::new(tx.t("welcome", &[])).with_buttons(vec![
            vec![
                button(tx.s("menu.calls", &[]), Action::Calls),
                button(tx.s("menu.deadlines", &[]), Action::Deadlines),
            ],
            vec![button(tx.s("menu.help", &[]), Action::Help)],
        ])
    }

    fn help(&self, tx: &Texts) -> Reply {
        Reply::new(tx.t("help", &[]))
    }

    fn privacy(&self, tx: &Texts) -> Reply {
        Reply::new(tx.t(
            "privacy",
            &[("days", &self.settings.session_idle_days.to_string())],
        ))
    }

    /// The list of calls, open ones first, each with its status.
    fn calls(&self, tx: &Texts, now: Timestamp) -> Reply {
        let mut calls: Vec<&Call> = self.knowledge.calls.iter().collect();
        calls.sort_by_key(|c| (call_rank(c, now), c.short.clone()));
        let mut text = tx.t("calls.title", &[]);
        let mut rows = Vec::new();
        for c in calls {
            text.para().bold(&c.short);
            if let Some(b) = &c.budget {
                text.text(format!(" · {b}"));
            }
            if let Some(s) = self.deadline_status(tx, c, now) {
                text.line().append(s);
            }
            rows.push(vec![button(
                short_label(&c.short),
                Action::Call(c.id.clone()),
            )]);
        }
        Reply::new(text).with_buttons(rows)
    }

    /// The known deadlines, soonest first, with the time left; closed and unknown after.
    fn deadlines(&self, tx: &Texts, now: Timestamp) -> Reply {
        let mut list: Vec<(&Call, Option<Timestamp>)> = self
            .knowledge
            .calls_with_deadline()
            .map(|(c, d)| (c, d.known().map(|a| a.closes_at().timestamp())))
            .collect();
        list.sort_by_key(|(c, at)| match at {
            Some(t) if *t >= now => (0, t.as_second(), c.short.clone()),
            None => (1, 0, c.short.clone()),
            Some(t) => (2, -t.as_second(), c.short.clone()),
        });
        let mut text = tx.t("deadlines.title", &[]);
        for (c, _) in &list {
            if let Some(s) = self.deadline_status(tx, c, now) {
                text.para().bold(&c.short).line().append(s);
            }
        }
        if list.is_empty() {
            text.para().append(tx.t("deadlines.none", &[]));
        }
        Reply::new(text)
    }

    /// A call's card: what it is, money, who may apply, deadline, where to read more.
    fn call_card(&self, tx: &Texts, c: &Call, now: Timestamp) -> Reply {
        let mut text = Rich::new();
        text.bold(&c.title)
            .line()
            .italic(&c.programme)
            .para()
            .text(&c.summary);
        if let Some(b) = &c.budget {
            text.para().append(tx.t("call.budget", &[("budget", b)]));
        }
        if !c.funds.is_empty() {
            text.line()
                .append(tx.t("call.funds", &[("funds", &c.funds.join(", "))]));
        }
        if let Some(s) = self.deadline_status(tx, c, now) {
            text.para().append(s);
        }
        if let Some(p) = &c.official_page {
            text.para()
                .append(tx.t("call.page", &[("title", &p.title), ("site", &p.site)]));
        }
        text.line().append(tx.t(
            "answer.source",
            &[("place", &c.short), ("source", &c.source)],
        ));
        let mut rows: Vec<Vec<Button>> = c
            .sections
            .iter()
            .map(|s| {
                vec![button(
                    short_label(&s.title),
                    Action::Section(c.id.clone(), s.id.clone()),
                )]
            })
            .collect();
        let children = self
            .knowledge
            .calls
            .iter()
            .filter(|k| k.parent.as_ref() == Some(&c.id));
        let related = c
            .see_also
            .iter()
            .filter_map(|id| self.knowledge.call(&id.0));
        let parent = c.parent.as_ref().and_then(|p| self.knowledge.call(&p.0));
        for k in children.chain(related).chain(parent) {
            rows.push(vec![button(
                format!("→ {}", short_label(&k.short)),
                Action::Call(k.id.clone()),
            )]);
        }
        if c.kind != CallKind::Strategy
            && c.deadline.as_ref().is_some_and(|d| d.is_closed(now))
            && !c.see_also.is_empty()
        {
            text.para().append(tx.t("call.see_also", &[]));
        }
        Reply::new(text).with_buttons(rows)
    }
}

/// Open calls first, then those with unknown deadline, then closed, then the rest.
fn call_rank(c: &Call, now: Timestamp) -> u8 {
    match &c.deadline {
        Some(d) if d.known().is_some() && !d.is_closed(now) => 0,
        Some(d) if d.known().is_none() => 1,
        Some(_) => 2,
        None => 3,
    }
}

fn button(label: String, action: Action) -> Button {
    Button {
        label,
        data: action.encode(),
    }
}

/// Button labels are cut to fit a phone screen.
fn short_label(s: &str) -> String {
    const MAX: usize = 48;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let cut: String = s.chars().take(MAX - 1).collect();
        format!("{}…", cut.trim_end())
    }
}

/// Splits `/cmd@bot args` into (`cmd`, `args`); `None` when the text is not a command.
pub fn parse_command(text: &str) -> Option<(String, &str)> {
    let rest = text.strip_prefix('/')?;
    let (head, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let name = head.split('@').next().unwrap_or_default().to_lowercase();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    Some((name, args.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_parsed_with_bot_suffix_and_args() {
        assert_eq!(
            parse_command("/cerca@SportelloBot ati  formata"),
            Some(("cerca".into(), "ati  formata"))
        );
        assert_eq!(parse_command("/START"), Some(("start".into(), "")));
        assert_eq!(parse_command("/"), None);
        assert_eq!(parse_command("/(AND"), None);
        assert_eq!(parse_command("ciao /start"), None);
    }
}
