//! The conversation engine: `(session, event, now) -> (session', replies, effects)`.
//!
//! It is pure: no clock, no disk, no network. Adapters (Telegram, console) turn what
//! arrives into an [`Event`], load the user's [`Session`], call [`Engine::handle`], then
//! store the new session, carry out the [`Effect`]s and send the replies. Everything a
//! dialogue needs to know about the world comes in through [`Engine`] (knowledge, index,
//! settings) and `now`.
//!
//! This file routes: a command, a button or a text to the part that handles it. The
//! parts, one job each: `types` (session, events, effects, settings), `answer` and
//! `answer_view` (a free question), `facts_asked` (the precise facts a question asks),
//! `compare` (questions comparing calls), `pointing` (follow-ups that point at a call),
//! `focus_aspect` (a follow-up's aspect asked of the call in focus), `status` (what is asked
//! of one named call: open, once in time, its name), `two_parts` (two questions in one),
//! `readings` (repeated messages' readings), `calls` (`/bandi`, `/scadenze`, call cards),
//! `reminders`, `follow`, `profile_alert`, `eligibility` and `prefilled` (the check),
//! `handover` (`/operatore`), `staff_pick` (what staff get for a question), `passages` (official documents in answers), `language`,
//! `memory` (what `/privacy` shows).

mod answer;
mod answer_view;
mod calls;
mod compare;
mod eligibility;
mod facts_asked;
mod focus_aspect;
mod follow;
mod handover;
mod language;
mod memory;
mod passages;
mod pointing;
mod prefilled;
pub mod profile_alert;
mod readings;
mod reminders;
mod staff_pick;
mod status;
mod two_parts;
mod types;

pub use crate::command::parse_command;
pub use answer::Considered;
pub use eligibility::Progress;
pub use language::reply_lang;
pub use passages::cite;
pub use readings::Readings;
pub use types::{
    Answered, Effect, Event, FinishedCheck, From, Outcome, SESSION_VERSION, Session, Settings,
    State, UserView,
};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::action::{Action, Step};
use crate::command::Command;
use crate::ics;
use crate::knowledge::{Call, CallId, CallKind, CallStatus, DeadlineAt, Knowledge};
use crate::reply::{Button, Document, Reply, Rich};
use crate::schedule::{Offset, Subscription};
use crate::search::{Confidence, SearchIndex};
use crate::text::{Lang, Texts, texts};
use crate::understand::Profile;

use calls::{call_rank, deadline_brief, official_page_hint, status_group_key};

/// The engine: read-only references to what it needs.
pub struct Engine<'a> {
    pub knowledge: &'a Knowledge,
    pub index: &'a SearchIndex,
    pub settings: &'a Settings,
    /// Readings of messages remembered for this knowledge and index (see [`Readings`]):
    /// only the memory of the brain they belong to, else `None`.
    pub readings: Option<&'a Readings>,
}

/// Characters of a question kept (in the session, the log and tickets).
const MAX_QUESTION: usize = 500;

impl Engine<'_> {
    /// Handles one event for one user at `now`.
    pub fn handle(&self, session: Session, event: &Event, now: Timestamp) -> Outcome {
        self.handle_with(session, event, now, &UserView::default())
    }

    /// Handles one event with what the store knows about the user.
    pub fn handle_with(
        &self,
        session: Session,
        event: &Event,
        now: Timestamp,
        view: &UserView,
    ) -> Outcome {
        let mut out = Outcome {
            session,
            replies: Vec::new(),
            effects: Vec::new(),
        };
        out.session.last_seen = Some(now);
        let lang = reply_lang(&out.session, event);
        let tx = texts(lang);
        // The same engine over the pack and index of the reply's language.
        let this = self.in_lang(lang);
        match event {
            Event::Button(data) => match Action::decode(data) {
                Some(a) => this.on_action(&mut out, tx, a, now, view),
                None => out.replies.push(Reply::new(tx.t("button.stale", &[]))),
            },
            Event::Text(text) => {
                let text = text.trim();
                if let Some(typed) = crate::command::parse(text) {
                    match typed.command {
                        Some(c) => this.on_command(&mut out, tx, c, typed.args, now, view),
                        None => this.unknown_command(&mut out, tx, &typed.name),
                    }
                } else {
                    this.on_text(&mut out, tx, text, now, view);
                }
            }
        }
        out
    }

    /// This engine over the pack and index of `lang` (itself when there is no such view).
    pub fn in_lang(&self, lang: Lang) -> Engine<'_> {
        match (
            lang,
            self.knowledge.english.as_deref(),
            self.index.english(),
        ) {
            (Lang::En, Some(knowledge), Some(index)) => Engine {
                knowledge,
                index,
                settings: self.settings,
                readings: self.readings,
            },
            _ => Engine {
                knowledge: self.knowledge,
                index: self.index,
                settings: self.settings,
                readings: self.readings,
            },
        }
    }

    fn on_command(
        &self,
        out: &mut Outcome,
        tx: &Texts,
        cmd: Command,
        args: &str,
        now: Timestamp,
        view: &UserView,
    ) {
        match cmd {
            Command::Language => self.language_command(out, args),
            Command::Start => {
                out.session.state = State::Idle;
                out.replies.push(self.welcome(tx));
            }
            Command::Help => out.replies.push(self.help(tx)),
            Command::Calls => out.replies.push(self.calls(tx, now)),
            Command::Deadlines => out.replies.push(self.deadlines(tx, now)),
            Command::Reminders => out.replies.push(self.reminders_menu(tx, now, view)),
            Command::Search => {
                if args.trim().is_empty() {
                    out.replies.push(Reply::new(tx.t("search.empty", &[])));
                } else {
                    self.answer(out, tx, args, now);
                }
            }
            Command::Cancel if out.session.state == State::Idle && view.ticket.is_some() => {
                let n = view.ticket.unwrap_or_default().to_string();
                out.effects.push(Effect::Withdraw {
                    ticket: view.ticket.unwrap_or_default(),
                });
                out.replies
                    .push(Reply::new(tx.t("ticket.withdrawn", &[("number", &n)])));
            }
            Command::Operator => self.hand_over(out, tx, args, view),
            Command::Cancel => {
                let was_idle = out.session.state == State::Idle;
                out.session.state = State::Idle;
                let key = if was_idle {
                    "cancel.nothing"
                } else {
                    "cancel.done"
                };
                out.replies.push(Reply::new(tx.t(key, &[])));
            }
            Command::Privacy => out.replies.push(self.privacy(tx, view, &out.session)),
            Command::Check => self.eligibility_command(out, tx, args, now),
            Command::Back => self.eligibility_step_command(out, tx, Step::Back, now),
            Command::Restart => self.eligibility_step_command(out, tx, Step::Restart, now),
            Command::EraseMe => {
                out.session.state = State::ConfirmErase;
                out.replies
                    .push(Reply::new(tx.t("erase.ask", &[])).with_buttons(vec![vec![
                        button(tx.s("erase.yes", &[]), Action::EraseConfirm),
                        button(tx.s("erase.no", &[]), Action::EraseAbort),
                    ]]));
            }
            // Staff commands are handled by the app before the engine, for staff only.
            Command::Answer
            | Command::Tickets
            | Command::Close
            | Command::Statistics
            | Command::Reload
            | Command::Faq => self.unknown_command(out, tx, cmd.id()),
        }
    }

    fn unknown_command(&self, out: &mut Outcome, tx: &Texts, name: &str) {
        out.replies
            .push(Reply::new(tx.t("command.unknown", &[("command", name)])));
    }

    fn on_action(
        &self,
        out: &mut Outcome,
        tx: &Texts,
        action: Action,
        now: Timestamp,
        view: &UserView,
    ) {
        match action {
            Action::Reminders => out.replies.push(self.reminders_menu(tx, now, view)),
            Action::MyReminders => out.replies.push(self.my_reminders(tx, now, view)),
            Action::Subscribe(id) => self.subscribe(out, tx, &id, now, view),
            Action::Unsubscribe(id) => {
                let had = view.subscriptions.iter().any(|s| s.call == id);
                let name = self
                    .knowledge
                    .call(&id.0)
                    .map_or(id.0.clone(), |c| c.short.clone());
                if had {
                    out.effects.push(Effect::Unsubscribe {
                        call: Some(id.clone()),
                    });
                    out.replies
                        .push(Reply::new(tx.t("reminders.stopped", &[("call", &name)])));
                } else {
                    out.replies.push(Reply::new(
                        tx.t("reminders.not_subscribed", &[("call", &name)]),
                    ));
                }
            }
            Action::UnsubscribeAll => {
                if view.subscriptions.is_empty() {
                    out.replies.push(Reply::new(tx.t("reminders.none", &[])));
                } else {
                    out.effects.push(Effect::Unsubscribe { call: None });
                    out.replies.push(Reply::new(tx.t(
                        "reminders.stopped_all",
                        &[("count", &view.subscriptions.len().to_string())],
                    )));
                }
            }
            Action::Calendar(id) => out.replies.push(self.calendar(tx, &id, now)),
            Action::Follow(id) => self.follow(out, tx, &id, now, view),
            Action::KeepVerdict => self.keep_verdict(out, tx, now),
            Action::ProfileAlert => self.profile_alert(out, tx, view),
            Action::ProfileAlertStop => self.profile_alert_stop(out, tx, view),
            Action::Unfollow(id) => self.unfollow(out, tx, &id, view),
            Action::Faq(id) => match self.index.find_faq(&id) {
                Some(i) => self.show_entry(out, tx, i, now),
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
                Some(i) => self.show_entry(out, tx, i, now),
                None => out.replies.push(Reply::new(tx.t("button.stale", &[]))),
            },
            Action::FocusMenu => out.replies.push(self.focus_menu(tx, now)),
            Action::Focus(id) => match self.knowledge.call(&id.0) {
                Some(c) => {
                    out.session.topic = Some(c.id.clone());
                    match out.session.last_question.clone() {
                        Some(q) => self.answer_for(out, tx, &q, now, Some(&c.id)),
                        None => out.replies.push(self.call_card(tx, c, now)),
                    }
                }
                None => out.replies.push(Reply::new(tx.t("button.stale", &[]))),
            },
            Action::Passage(c, d, n) => match self.index.find(&format!("doc:{c}/{d}#{n}")) {
                Some(i) => out.replies.push(self.passage_full(tx, i)),
                None => out.replies.push(Reply::new(tx.t("button.stale", &[]))),
            },
            Action::Document(c, d) => match self.knowledge.document(&c.0, &d) {
                Some(doc) => out.effects.push(self.send_document(tx, doc)),
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
                    lang_chosen: out.session.lang_chosen,
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
            Action::EligibilityMenu
            | Action::EligibilityStart(_)
            | Action::EligibilityAnswer(..)
            | Action::EligibilityToggle(..)
            | Action::EligibilityStep(..) => self.on_eligibility_action(out, tx, action, now),
            Action::Operator => self.hand_over(out, tx, "", view),
            // Staff buttons are handled by the app before the engine, for staff only.
            Action::StaffAnswer(_) => out.replies.push(Reply::new(tx.t("button.stale", &[]))),
        }
    }

    fn on_text(&self, out: &mut Outcome, tx: &Texts, text: &str, now: Timestamp, view: &UserView) {
        if text.is_empty() {
            out.replies.push(Reply::new(tx.t("text.empty", &[])));
            return;
        }
        if self.on_eligibility_text(out, tx, text, now) {
            return;
        }
        if out.session.state == State::HandOver {
            out.session.state = State::Idle;
            out.session.last_question = Some(text.chars().take(MAX_QUESTION).collect());
            return self.hand_over(out, tx, "", view);
        }
        if out.session.state == State::Idle
            && let Some(ticket) = view.ticket
        {
            out.effects.push(Effect::FollowUp {
                ticket,
                text: text.chars().take(MAX_QUESTION).collect(),
            });
            return;
        }
        if out.session.state == State::ConfirmErase {
            // Typed answers to the confirmation count like the buttons.
            let folded = crate::fold::fold_str(text);
            if tx.list("words.yes").contains(&folded) {
                return self.on_action(out, tx, Action::EraseConfirm, now, &UserView::default());
            }
            if tx.list("words.no").contains(&folded) {
                return self.on_action(out, tx, Action::EraseAbort, now, &UserView::default());
            }
            out.session.state = State::Idle;
        }
        let folded = crate::fold::fold_str(text);
        if tx.list("words.greetings").contains(&folded) {
            out.replies.push(self.welcome(tx));
            return;
        }
        if tx.list("words.thanks").contains(&folded) {
            out.replies.push(Reply::new(tx.t("thanks", &[])));
            return;
        }
        // A request written as text leads where its command leads.
        if let Some(cmd) = self.request(tx, text) {
            out.effects.push(Effect::Asked {
                question: text.chars().take(MAX_QUESTION).collect(),
                best: None,
                confident: true,
                answer: Answered::Routed {
                    command: cmd.id().to_string(),
                },
            });
            // «avvisami quando esce la scadenza di alfa»: straight to following alfa (or
            // the call in focus, when the request names none).
            if cmd == Command::Reminders
                && let Some(offer) =
                    self.follow_offer(tx, text, now, view, out.session.topic.as_ref())
            {
                out.replies.push(offer);
                return;
            }
            return self.on_command(out, tx, cmd, "", now, view);
        }
        self.answer(out, tx, text, now);
    }

    /// The command a message asks for in words (`vorrei un promemoria…` → `promemoria`,
    /// `che bandi ci sono` → `bandi`): reminders and a person wherever the words appear,
    /// lists only when the message is just that request.
    fn request(&self, tx: &Texts, text: &str) -> Option<Command> {
        let words = self.message_words(tx, text);
        for (cmd, key) in [
            (Command::Reminders, "request.promemoria"),
            (Command::Operator, "request.operatore"),
        ] {
            if crate::fold::has_phrase(&words, tx.phrases(key)) {
                return Some(cmd);
            }
        }
        // The filler words looked up once, not once per word.
        let fillers = tx.phrases("words.filler");
        let kept = |w: &&String| !fillers.iter().any(|f| f.len() == 1 && f[0] == **w);
        let core: Vec<&String> = words.iter().filter(kept).collect();
        if core.is_empty() {
            return None;
        }
        for (cmd, key) in [
            (Command::Calls, "request.bandi"),
            (Command::Deadlines, "request.scadenze"),
        ] {
            // A phrase shorter than the message's words cannot be all of them; a phrase's
            // words compared with the message's as they come, without a copy.
            let whole = tx
                .phrases(key)
                .iter()
                .any(|p| p.len() >= core.len() && p.iter().filter(kept).eq(core.iter().copied()));
            if whole {
                return Some(cmd);
            }
        }
        None
    }

    /// An entry chosen with a button: shown whole, its call becomes the focus.
    fn show_entry(&self, out: &mut Outcome, tx: &Texts, entry: usize, now: Timestamp) {
        if let Some(c) = self.index.entry(entry).doc.call.clone() {
            out.session.topic = Some(c);
        }
        out.session.last_answer = Some(self.index.entry(entry).doc.id.clone());
        let reply = self.entry_reply(tx, entry, None, now, &[], false, &out.session.profile);
        out.replies.push(reply);
    }

    fn welcome(&self, tx: &Texts) -> Reply {
        Reply::new(tx.t("welcome", &[])).with_buttons(vec![
            vec![
                button(tx.s("menu.calls", &[]), Action::Calls),
                button(tx.s("menu.deadlines", &[]), Action::Deadlines),
            ],
            vec![button(tx.s("menu.check", &[]), Action::EligibilityMenu)],
            vec![button(tx.s("menu.help", &[]), Action::Help)],
        ])
    }

    fn help(&self, tx: &Texts) -> Reply {
        Reply::new(crate::command::help(tx))
    }

    fn privacy(&self, tx: &Texts, view: &UserView, session: &Session) -> Reply {
        let mut text = tx.t(
            "privacy",
            &[("days", &self.settings.session_idle_days.to_string())],
        );
        if let Some(m) = self.memory(tx, session) {
            text.para().append(m);
        }
        if view.profile_alert {
            text.para().append(tx.t("privacy.profile_alert", &[]));
        }
        if !view.tickets.is_empty() {
            text.para().append(tx.t("privacy.tickets", &[]));
            for (n, status) in &view.tickets {
                let key = match status {
                    crate::store::tickets::Status::Closed => "privacy.ticket_closed",
                    _ => "privacy.ticket_open",
                };
                text.line().append(tx.t(key, &[("number", &n.to_string())]));
            }
        }
        Reply::new(text)
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
