//! The conversation engine: `(session, event, now) -> (session', replies, effects)`.
//!
//! It is pure: no clock, no disk, no network. Adapters (Telegram, console) turn what
//! arrives into an [`Event`], load the user's [`Session`], call [`Engine::handle`], then
//! store the new session, carry out the [`Effect`]s and send the replies. Everything a
//! dialogue needs to know about the world comes in through [`Engine`] (knowledge, index,
//! settings) and `now`.

mod answer;
mod answer_view;
mod eligibility;
mod follow;
mod language;
mod memory;
mod prefilled;

pub use answer::Considered;
pub use eligibility::Progress;
pub use language::{command_name, reply_lang};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::action::{Action, Step};
use crate::knowledge::{Call, CallId, CallKind, CallStatus, DeadlineAt, Knowledge};
use crate::reminders::{Offset, Subscription, ics};
use crate::reply::{Button, Document, Reply, Rich};
use crate::search::{Confidence, SearchIndex};
use crate::text::{Lang, Texts, texts};
use crate::understand::Profile;

/// The version of [`Session`]'s stored form. A stored session of another version is
/// replaced by a fresh one (with a polite word) instead of being misread.
pub const SESSION_VERSION: u32 = 1;

/// What the engine remembers about one user between messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub version: u32,
    pub lang: Lang,
    /// The user chose `lang` with `/lingua`: Telegram's language code no longer sets it.
    #[serde(default)]
    pub lang_chosen: bool,
    pub state: State,
    /// The call in focus: the one the conversation is about (named in a message, the call
    /// of the last answer, or of a check in progress or just finished). Follow-ups that
    /// name no call are answered for it.
    pub topic: Option<CallId>,
    /// When the user last wrote (for idle expiry).
    pub last_seen: Option<Timestamp>,
    /// The last question searched, so that "talk to a person" can hand it over and a
    /// follow-up (`e per alfa?`) can ask it again.
    #[serde(default)]
    pub last_question: Option<String>,
    /// What the user said about themselves (size, place, partners…): used in answers and
    /// to prefill the eligibility check; shown in `/privacy`, erased by `/cancellami`.
    #[serde(default, skip_serializing_if = "Profile::is_empty")]
    pub profile: Profile,
    /// The check the user finished last (questionnaire and answers): a ticket carries its
    /// answers; erased by `/cancellami` with the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_check: Option<FinishedCheck>,
}

/// A finished eligibility check, as the user answered it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinishedCheck {
    pub questionnaire: String,
    pub answers: crate::eligibility::Answers,
}

impl Default for Session {
    fn default() -> Self {
        Session {
            version: SESSION_VERSION,
            lang: Lang::It,
            lang_chosen: false,
            state: State::Idle,
            topic: None,
            last_seen: None,
            last_question: None,
            profile: Profile::default(),
            last_check: None,
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
    /// In an eligibility dialogue (`/verifica`).
    Eligibility(Progress),
    /// `/operatore` without a question: the next text is handed over to a person.
    HandOver,
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
    /// A question was asked (for the help desk's statistics, and for measuring answers).
    Asked {
        question: String,
        best: Option<String>,
        confident: bool,
        /// What the engine did with it, as data.
        answer: Answered,
    },
    /// Follow `call`'s deadline `deadline` (the adapter stores the subscription and
    /// queues its reminders).
    Subscribe { call: CallId, deadline: DeadlineAt },
    /// Stop the reminders of `call`, or of every call with `None`.
    Unsubscribe { call: Option<CallId> },
    /// Follow `call`; `facts` is what the user was told of it now (later loads compare
    /// the knowledge with it).
    Follow {
        call: CallId,
        facts: crate::follow::CallFacts,
        /// A check result to keep with it («💾 Tieni il risultato»).
        verdict: Option<crate::follow::KeptVerdict>,
    },
    /// Stop following `call`, or every call with `None`.
    Unfollow { call: Option<CallId> },
    /// Send an official document's file as a document message (the engine cannot read
    /// files; the app reads it and adds the reply, or says politely that it cannot).
    SendDocument {
        file: std::path::PathBuf,
        file_name: String,
        caption: Rich,
    },
    /// Open a help-desk ticket with this question (the app numbers it, posts it to the
    /// staff group and tells the user).
    HandOver {
        question: String,
        /// Eligibility answers given so far: (question label, answer).
        answers: Vec<(String, String)>,
        /// The call in focus (or of the check), for staff.
        call: Option<CallId>,
    },
    /// Add the user's message to their open ticket.
    FollowUp { ticket: u64, text: String },
    /// The user withdrew their open ticket.
    Withdraw { ticket: u64 },
    /// An eligibility check began (for the metrics; nothing to store).
    CheckStarted { questionnaire: String },
    /// An eligibility check reached its final message: the verdict on a call, or `None`
    /// for «Quali bandi fanno per me?» (for the metrics; nothing to store).
    CheckFinished {
        questionnaire: String,
        verdict: Option<crate::eligibility::Verdict>,
    },
}

/// What the engine did with a question: the kind of answer and the entries it rests on,
/// so that tests and statistics measure behaviour without reading rendered text.
#[derive(Debug, Clone, PartialEq)]
pub enum Answered {
    /// One entry answered directly, for `call`; `also`: runners-up offered under it;
    /// `lines`: entries of other calls summed up in one line each.
    Direct {
        entry: String,
        call: Option<CallId>,
        also: Vec<String>,
        lines: Vec<String>,
    },
    /// A choice between entries that answer different questions.
    Menu { entries: Vec<String> },
    /// "Quale bando?": the question has a different answer for each of these calls.
    WhichCall {
        calls: Vec<CallId>,
        entries: Vec<String>,
    },
    /// A request written as text, led where the command leads (`che bandi ci sono` →
    /// `bandi`).
    Routed { command: String },
    /// Nothing fits.
    Nothing,
}

impl Answered {
    /// The entries considered, the answer first (for hit@k).
    pub fn ranked(&self) -> Vec<&str> {
        match self {
            Answered::Direct { entry, also, .. } => std::iter::once(entry.as_str())
                .chain(also.iter().map(String::as_str))
                .collect(),
            Answered::Menu { entries } | Answered::WhichCall { entries, .. } => {
                entries.iter().map(String::as_str).collect()
            }
            Answered::Routed { .. } | Answered::Nothing => Vec::new(),
        }
    }
}

/// What the store knows about the user that a reply may need (loaded by the app; the
/// engine never reads the store).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserView {
    pub subscriptions: Vec<Subscription>,
    /// The calls the user follows («🔔 Avvisami»).
    pub follows: Vec<CallId>,
    /// The open ticket the user's messages go to (see `helpdesk::Ticket::takes_follow_ups`).
    pub ticket: Option<u64>,
    /// The user's tickets (number, status), for `/privacy`.
    pub tickets: Vec<(u64, crate::helpdesk::Status)>,
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
    /// When reminders go out before a deadline (also the alarms of calendar files).
    pub reminder_offsets: Vec<Offset>,
    /// The help desk's staff (a staff group makes hand-over possible).
    pub staff: crate::helpdesk::Staff,
    /// Who approves a FAQ written from the chat (`[helpdesk] review`).
    pub review: crate::helpdesk::teach::Review,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            session_idle_days: 30,
            helpdesk_contact: String::new(),
            reminder_offsets: Offset::defaults(),
            staff: crate::helpdesk::Staff::default(),
            review: crate::helpdesk::teach::Review::default(),
        }
    }
}

/// The engine: read-only references to what it needs.
pub struct Engine<'a> {
    pub knowledge: &'a Knowledge,
    pub index: &'a SearchIndex,
    pub settings: &'a Settings,
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
                if let Some((cmd, args)) = parse_command(text) {
                    this.on_command(&mut out, tx, &cmd, args, now, view);
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
            },
            _ => Engine {
                knowledge: self.knowledge,
                index: self.index,
                settings: self.settings,
            },
        }
    }

    fn on_command(
        &self,
        out: &mut Outcome,
        tx: &Texts,
        cmd: &str,
        args: &str,
        now: Timestamp,
        view: &UserView,
    ) {
        match command_name(cmd) {
            "lingua" => self.language_command(out, args),
            "start" => {
                out.session.state = State::Idle;
                out.replies.push(self.welcome(tx));
            }
            "aiuto" | "help" => out.replies.push(self.help(tx)),
            "bandi" => out.replies.push(self.calls(tx, now)),
            "scadenze" => out.replies.push(self.deadlines(tx, now)),
            "promemoria" => out.replies.push(self.reminders_menu(tx, now, view)),
            "cerca" => {
                if args.trim().is_empty() {
                    out.replies.push(Reply::new(tx.t("search.empty", &[])));
                } else {
                    self.answer(out, tx, args, now);
                }
            }
            "annulla" if out.session.state == State::Idle && view.ticket.is_some() => {
                let n = view.ticket.unwrap_or_default().to_string();
                out.effects.push(Effect::Withdraw {
                    ticket: view.ticket.unwrap_or_default(),
                });
                out.replies
                    .push(Reply::new(tx.t("ticket.withdrawn", &[("number", &n)])));
            }
            "operatore" => self.hand_over(out, tx, args, view),
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
            "privacy" => out.replies.push(self.privacy(tx, view, &out.session)),
            "verifica" => self.eligibility_command(out, tx, args, now),
            "indietro" => self.eligibility_step_command(out, tx, Step::Back, now),
            "ricomincia" => self.eligibility_step_command(out, tx, Step::Restart, now),
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
            Action::Unfollow(id) => self.unfollow(out, tx, &id, view),
            Action::Faq(id) => match self.index.find(&format!("faq:{id}")) {
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
            let folded = crate::search::fold_str(text);
            if tx.list("words.yes").contains(&folded) {
                return self.on_action(out, tx, Action::EraseConfirm, now, &UserView::default());
            }
            if tx.list("words.no").contains(&folded) {
                return self.on_action(out, tx, Action::EraseAbort, now, &UserView::default());
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
        // A request written as text leads where its command leads.
        if let Some(cmd) = self.request(tx, text) {
            out.effects.push(Effect::Asked {
                question: text.chars().take(MAX_QUESTION).collect(),
                best: None,
                confident: true,
                answer: Answered::Routed {
                    command: cmd.to_string(),
                },
            });
            // «avvisami quando esce la scadenza di alfa»: straight to following alfa.
            if cmd == "promemoria"
                && let Some(offer) = self.follow_offer(tx, text, now, view)
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
    fn request(&self, tx: &Texts, text: &str) -> Option<&'static str> {
        let words =
            crate::understand::rewrite(&self.knowledge.lexicon, crate::understand::words_of(text));
        for (cmd, key) in [
            ("promemoria", "request.promemoria"),
            ("operatore", "request.operatore"),
        ] {
            if crate::fold::has_phrase(&words, tx.phrases(key)) {
                return Some(cmd);
            }
        }
        let filler = |w: &String| {
            tx.phrases("words.filler")
                .iter()
                .any(|f| f.len() == 1 && f[0] == *w)
        };
        let core: Vec<&String> = words.iter().filter(|w| !filler(w)).collect();
        for (cmd, key) in [("bandi", "request.bandi"), ("scadenze", "request.scadenze")] {
            let whole = tx.phrases(key).iter().any(|p| {
                let p: Vec<&String> = p.iter().filter(|w| !filler(w)).collect();
                !p.is_empty() && p == core
            });
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
        let reply = self.entry_reply(tx, entry, None, now, &[], false, &out.session.profile);
        out.replies.push(reply);
    }

    /// The status line of a call's deadline at `now`, if the call has a deadline table.
    pub fn deadline_status(&self, tx: &Texts, c: &Call, now: Timestamp) -> Option<Rich> {
        let d = c.deadline.as_ref()?;
        let history = if d.history.is_empty() {
            String::new()
        } else {
            let dates: Vec<String> = d.history.iter().map(|h| tx.date(&h.at)).collect();
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
                &[("date", &tx.date(&at)), ("history", &history)],
            ),
            Some(at) => {
                let left = tx.time_left(now, at.closes_at().timestamp());
                let mut r = tx.t(
                    "deadline.open",
                    &[
                        ("date", &tx.date(&at)),
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
                let page = official_page_hint(tx, c);
                let key = if c.status(now) == CallStatus::Open {
                    "deadline.unknown_open"
                } else {
                    "deadline.unknown"
                };
                let mut r = tx.t(key, &[("page", &page)]);
                r.text(" ").append(self.help_pointer(tx));
                r
            }
        })
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
        Reply::new(tx.t("help", &[]))
    }

    fn privacy(&self, tx: &Texts, view: &UserView, session: &Session) -> Reply {
        let mut text = tx.t(
            "privacy",
            &[("days", &self.settings.session_idle_days.to_string())],
        );
        if let Some(m) = self.memory(tx, session) {
            text.para().append(m);
        }
        if !view.tickets.is_empty() {
            text.para().append(tx.t("privacy.tickets", &[]));
            for (n, status) in &view.tickets {
                let key = match status {
                    crate::helpdesk::Status::Closed => "privacy.ticket_closed",
                    _ => "privacy.ticket_open",
                };
                text.line().append(tx.t(key, &[("number", &n.to_string())]));
            }
        }
        Reply::new(text)
    }

    /// The "talk to a person" button, when a person can be reached through the bot.
    fn operator_row(&self, tx: &Texts) -> Option<Vec<Button>> {
        self.settings
            .staff
            .reachable()
            .then(|| vec![button(tx.s("button.operator", &[]), Action::Operator)])
    }

    /// Where a person can be reached, as the configuration says: `/operatore` with a staff
    /// group, the contact with only a contact, otherwise a plain word that this bot has no
    /// help desk and the official page decides. Every "ask a person" sentence ends here.
    pub fn help_pointer(&self, tx: &Texts) -> Rich {
        if self.settings.staff.reachable() {
            tx.t("help.pointer.staff", &[])
        } else if !self.settings.helpdesk_contact.is_empty() {
            tx.t(
                "help.pointer.contact",
                &[("contact", &self.settings.helpdesk_contact)],
            )
        } else {
            tx.t("help.pointer.none", &[])
        }
    }

    /// A text of the pack with its help-desk placeholder filled from the configuration
    /// (see [`crate::knowledge::HELP_DESK`]).
    pub fn pack_text(&self, tx: &Texts, text: &str) -> String {
        crate::knowledge::fill_help_desk(text, &self.help_pointer(tx).to_plain())
    }

    /// `/operatore` when no staff group is set: the contact, or the official page of the
    /// call in focus and a plain word that this bot has no help desk. Never a dead end.
    fn no_staff(&self, out: &mut Outcome, tx: &Texts) {
        if !self.settings.helpdesk_contact.is_empty() {
            out.replies.push(Reply::new(tx.t(
                "handover.contact",
                &[("contact", &self.settings.helpdesk_contact)],
            )));
            return;
        }
        let call = out
            .session
            .topic
            .as_ref()
            .and_then(|id| self.knowledge.call(&id.0));
        let mut text = tx.t("handover.none", &[]);
        let mut rows = Vec::new();
        match call.and_then(|c| c.official_page.as_ref().map(|p| (c, p))) {
            Some((c, p)) => {
                text.para().append(tx.t(
                    "handover.none_page",
                    &[("call", &c.short), ("title", &p.title), ("site", &p.site)],
                ));
                rows.push(vec![button(
                    tx.s("button.call_card", &[("call", &short_label(&c.short))]),
                    Action::Call(c.id.clone()),
                )]);
            }
            None => {
                text.para().append(tx.t("handover.none_no_call", &[]));
                rows.push(vec![button(tx.s("menu.calls", &[]), Action::Calls)]);
            }
        }
        out.replies.push(Reply::new(text).with_buttons(rows));
    }

    /// `/operatore [question]` and its button: the question (given, or the last one
    /// typed) becomes a ticket with the call in focus and the check's answers; without
    /// one, the next message does.
    fn hand_over(&self, out: &mut Outcome, tx: &Texts, args: &str, view: &UserView) {
        if !self.settings.staff.reachable() {
            return self.no_staff(out, tx);
        }
        if let Some(n) = view.ticket {
            if !args.is_empty() {
                out.effects.push(Effect::FollowUp {
                    ticket: n,
                    text: args.chars().take(MAX_QUESTION).collect(),
                });
            } else {
                out.replies.push(Reply::new(
                    tx.t("handover.already", &[("number", &n.to_string())]),
                ));
            }
            return;
        }
        let question = if args.is_empty() {
            out.session.last_question.take()
        } else {
            Some(args.chars().take(MAX_QUESTION).collect())
        };
        let question = match (question, &out.session.state) {
            (Some(q), _) => q,
            // Help asked in the middle of a check: the answers so far are the question.
            (None, State::Eligibility(p)) => {
                let title = self
                    .knowledge
                    .questionnaire(&p.questionnaire)
                    .map_or(p.questionnaire.clone(), |q| q.title.clone());
                tx.s("handover.during_check", &[("title", &title)])
            }
            (None, _) => {
                out.session.state = State::HandOver;
                out.replies.push(Reply::new(tx.t("handover.ask", &[])));
                return;
            }
        };
        out.session.last_question = None;
        // The check in progress, or else the one the user finished last.
        let check = match &out.session.state {
            State::Eligibility(p) => Some((p.questionnaire.clone(), p.answers.clone())),
            _ => out
                .session
                .last_check
                .as_ref()
                .map(|c| (c.questionnaire.clone(), c.answers.clone())),
        };
        let answers = check.as_ref().map_or_else(Vec::new, |(q, a)| {
            crate::helpdesk::answers_of(
                self.knowledge,
                q,
                a,
                &tx.s("helpdesk.yes", &[]),
                &tx.s("helpdesk.no", &[]),
                &tx.s("helpdesk.skipped", &[]),
            )
        });
        let call = out.session.topic.clone().or_else(|| {
            check.and_then(|(q, _)| match &self.knowledge.questionnaire(&q)?.target {
                crate::eligibility::Target::Call(c) => Some(c.clone()),
                crate::eligibility::Target::Profile => None,
            })
        });
        out.effects.push(Effect::HandOver {
            question,
            answers,
            call,
        });
    }

    /// One short line of a call's deadline for lists (the card and answers say more).
    fn deadline_brief(&self, tx: &Texts, c: &Call, now: Timestamp) -> Option<Rich> {
        let d = c.deadline.as_ref()?;
        Some(match d.known() {
            Some(at) if d.is_closed(now) => {
                tx.t("deadline.brief_closed", &[("date", &tx.date(&at))])
            }
            Some(at) => {
                let left = tx.time_left(now, at.closes_at().timestamp());
                tx.t(
                    "deadline.brief_open",
                    &[("date", &tx.date(&at)), ("left", &left)],
                )
            }
            None if c.status(now) == CallStatus::Open => tx.t("deadline.brief_unknown_open", &[]),
            None => tx.t("deadline.brief_unknown", &[]),
        })
    }

    /// The list of calls, open ones first, each with its status.
    fn calls(&self, tx: &Texts, now: Timestamp) -> Reply {
        let mut calls: Vec<&Call> = self.knowledge.calls.iter().collect();
        calls.sort_by_key(|c| (call_rank(c, now), c.short.clone()));
        let mut text = tx.t("calls.title", &[]);
        let mut rows = Vec::new();
        let mut group = None;
        for c in calls {
            // A heading per status: a call whose status is unknown never reads as open.
            let rank = call_rank(c, now);
            if group != Some(rank) {
                group = Some(rank);
                text.para().append(tx.t(status_group_key(rank), &[]));
            }
            text.para().bold(&c.short);
            if let Some(b) = &c.budget {
                text.text(format!(" · {b}"));
            }
            if let Some(s) = self.deadline_brief(tx, c, now) {
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
            if let Some(s) = self.deadline_brief(tx, c, now) {
                text.para().bold(&c.short).line().append(s);
            }
        }
        if list
            .iter()
            .any(|(c, _)| c.deadline.as_ref().is_some_and(|d| d.known().is_none()))
        {
            text.para()
                .append(tx.t("deadlines.unknown_hint", &[]))
                .text(" ")
                .append(self.help_pointer(tx));
        }
        if list.is_empty() {
            text.para().append(tx.t("deadlines.none", &[]));
        }
        let rows = if self.subscribable(now).next().is_some() {
            vec![vec![button(
                tx.s("reminders.button.menu", &[]),
                Action::Reminders,
            )]]
        } else {
            Vec::new()
        };
        Reply::new(text).with_buttons(rows)
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
        let mut rows: Vec<Vec<Button>> = Vec::new();
        if let Some(b) = self.eligibility_button(tx, c) {
            rows.push(vec![b]);
        }
        rows.extend(c.sections.iter().map(|s| {
            vec![button(
                short_label(&s.title),
                Action::Section(c.id.clone(), s.id.clone()),
            )]
        }));
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
        rows.extend(self.reminder_row(tx, c, now));
        rows.extend(self.follow_row(tx, c, now));
        Reply::new(text).with_buttons(rows)
    }
}

/// Deadline reminders: subscribing, listing, stopping, calendar files.
impl Engine<'_> {
    /// The deadline of `c` if reminders can follow it (known and still ahead), otherwise
    /// the sentence that says why not.
    fn open_deadline(&self, tx: &Texts, c: &Call, now: Timestamp) -> Result<DeadlineAt, Rich> {
        match c
            .deadline
            .as_ref()
            .and_then(|d| d.known().map(|at| (d, at)))
        {
            Some((d, at)) if !d.is_closed(now) => Ok(at),
            Some((_, at)) => Err(tx.t(
                "reminders.cannot.closed",
                &[("call", &c.short), ("date", &tx.date(&at))],
            )),
            None => {
                let page = official_page_hint(tx, c);
                Err(tx.t(
                    "reminders.cannot.unknown",
                    &[("call", &c.short), ("page", &page)],
                ))
            }
        }
    }

    /// Calls with a known deadline still ahead, soonest first.
    fn subscribable(&self, now: Timestamp) -> impl Iterator<Item = (&Call, DeadlineAt)> {
        let mut v: Vec<(&Call, DeadlineAt)> = self
            .knowledge
            .calls_with_deadline()
            .filter(|(_, d)| !d.is_closed(now))
            .filter_map(|(c, d)| d.known().map(|at| (c, at)))
            .collect();
        v.sort_by_key(|(c, at)| (at.closes_at().timestamp(), c.short.clone()));
        v.into_iter()
    }

    /// The "🔔 Promemoria" row under an answer or a card of a call reminders can follow.
    fn reminder_row(&self, tx: &Texts, c: &Call, now: Timestamp) -> Option<Vec<Button>> {
        let d = c.deadline.as_ref()?;
        (d.known().is_some() && !d.is_closed(now)).then(|| {
            vec![
                button(
                    tx.s("reminders.button.subscribe", &[]),
                    Action::Subscribe(c.id.clone()),
                ),
                button(
                    tx.s("reminders.button.calendar", &[]),
                    Action::Calendar(c.id.clone()),
                ),
            ]
        })
    }

    fn call_name(&self, id: &CallId) -> String {
        self.knowledge
            .call(&id.0)
            .map_or(id.0.clone(), |c| c.short.clone())
    }

    /// `/promemoria`: what reminders are, the user's subscriptions, a button per call
    /// that can be followed, and why the others cannot.
    fn reminders_menu(&self, tx: &Texts, now: Timestamp, view: &UserView) -> Reply {
        let offsets = tx.offsets(&self.settings.reminder_offsets);
        let mut text = tx.t("reminders.intro", &[("offsets", &offsets)]);
        if !view.subscriptions.is_empty() {
            text.para().append(tx.t("reminders.yours", &[]));
            for s in &view.subscriptions {
                text.line().text(format!(
                    "• {} – {}",
                    self.call_name(&s.call),
                    tx.date(&s.deadline)
                ));
            }
        }
        let open: Vec<(&Call, DeadlineAt)> = self.subscribable(now).collect();
        let mut rows = Vec::new();
        for (c, _) in &open {
            let followed = view.subscriptions.iter().any(|s| s.call == c.id);
            rows.push(vec![if followed {
                button(
                    tx.s(
                        "reminders.button.stop_call",
                        &[("call", &short_label(&c.short))],
                    ),
                    Action::Unsubscribe(c.id.clone()),
                )
            } else {
                button(
                    tx.s(
                        "reminders.button.follow",
                        &[("call", &short_label(&c.short))],
                    ),
                    Action::Subscribe(c.id.clone()),
                )
            }]);
        }
        if open.is_empty() {
            text.para().append(tx.t("reminders.nothing_open", &[]));
        } else {
            text.para().append(tx.t("reminders.choose", &[]));
        }
        self.follows_part(tx, &mut text, &mut rows, now, view);
        // Say plainly why the other calls cannot be followed.
        let mut others: Vec<&Call> = self
            .knowledge
            .calls_with_deadline()
            .map(|(c, _)| c)
            .filter(|c| c.kind != CallKind::Strategy && !open.iter().any(|(o, _)| o.id == c.id))
            .collect();
        others.sort_by_key(|c| c.short.clone());
        if !others.is_empty() {
            text.para().append(tx.t("reminders.not_possible", &[]));
            for c in others {
                if let Err(why) = self.open_deadline(tx, c, now) {
                    text.line().text("• ").append(why);
                }
            }
        }
        if !view.subscriptions.is_empty() {
            rows.push(vec![
                button(tx.s("reminders.button.mine", &[]), Action::MyReminders),
                button(
                    tx.s("reminders.button.stop_all", &[]),
                    Action::UnsubscribeAll,
                ),
            ]);
        }
        Reply::new(text).with_buttons(rows)
    }

    /// The user's subscriptions with the time left, and buttons to stop them.
    fn my_reminders(&self, tx: &Texts, now: Timestamp, view: &UserView) -> Reply {
        if view.subscriptions.is_empty() {
            return Reply::new(tx.t("reminders.none", &[])).with_buttons(vec![vec![button(
                tx.s("reminders.button.menu", &[]),
                Action::Reminders,
            )]]);
        }
        let mut subs: Vec<&Subscription> = view.subscriptions.iter().collect();
        subs.sort_by_key(|s| s.closes_at());
        let mut text = tx.t("reminders.yours", &[]);
        let mut rows = Vec::new();
        for s in subs {
            let name = self.call_name(&s.call);
            let left = tx.time_left(now, s.closes_at());
            text.para().bold(&name).line().append(tx.t(
                "reminders.item",
                &[("date", &tx.date(&s.deadline)), ("left", &left)],
            ));
            rows.push(vec![
                button(
                    tx.s(
                        "reminders.button.stop_call",
                        &[("call", &short_label(&name))],
                    ),
                    Action::Unsubscribe(s.call.clone()),
                ),
                button(
                    tx.s("reminders.button.calendar", &[]),
                    Action::Calendar(s.call.clone()),
                ),
            ]);
        }
        rows.push(vec![button(
            tx.s("reminders.button.stop_all", &[]),
            Action::UnsubscribeAll,
        )]);
        Reply::new(text).with_buttons(rows)
    }

    fn subscribe(
        &self,
        out: &mut Outcome,
        tx: &Texts,
        id: &CallId,
        now: Timestamp,
        view: &UserView,
    ) {
        let Some(c) = self.knowledge.call(&id.0) else {
            out.replies.push(Reply::new(tx.t("button.stale", &[])));
            return;
        };
        let at = match self.open_deadline(tx, c, now) {
            Ok(at) => at,
            Err(why) => {
                out.replies
                    .push(Reply::new(why).with_buttons(vec![vec![button(
                        tx.s("button.call_card", &[("call", &short_label(&c.short))]),
                        Action::Call(c.id.clone()),
                    )]]));
                return;
            }
        };
        let date = tx.date(&at);
        let left = tx.time_left(now, at.closes_at().timestamp());
        let rows = vec![
            vec![button(
                tx.s("reminders.button.calendar", &[]),
                Action::Calendar(c.id.clone()),
            )],
            vec![button(
                tx.s("reminders.button.mine", &[]),
                Action::MyReminders,
            )],
        ];
        if view
            .subscriptions
            .iter()
            .any(|s| s.call == c.id && s.deadline == at)
        {
            out.replies.push(
                Reply::new(tx.t("reminders.already", &[("call", &c.short), ("date", &date)]))
                    .with_buttons(rows),
            );
            return;
        }
        out.effects.push(Effect::Subscribe {
            call: c.id.clone(),
            deadline: at,
        });
        let upcoming: Vec<Offset> = self
            .settings
            .reminder_offsets
            .iter()
            .copied()
            .filter(|o| o.before(&at) > now)
            .collect();
        let text = if upcoming.is_empty() {
            tx.t(
                "reminders.subscribed_late",
                &[("call", &c.short), ("date", &date), ("left", &left)],
            )
        } else {
            tx.t(
                "reminders.subscribed",
                &[
                    ("call", &c.short),
                    ("date", &date),
                    ("left", &left),
                    ("offsets", &tx.offsets(&upcoming)),
                ],
            )
        };
        out.replies.push(Reply::new(text).with_buttons(rows));
    }

    /// The `.ics` file of a call's deadline, with alarms at the reminder offsets.
    fn calendar(&self, tx: &Texts, id: &CallId, now: Timestamp) -> Reply {
        let Some(c) = self.knowledge.call(&id.0) else {
            return Reply::new(tx.t("button.stale", &[]));
        };
        match self.open_deadline(tx, c, now) {
            Err(why) => Reply::new(why),
            Ok(at) => {
                let summary = tx.s("calendar.summary", &[("call", &c.short)]);
                let description = tx.s(
                    "calendar.description",
                    &[
                        ("title", &c.title),
                        ("date", &tx.date(&at)),
                        ("source", &c.source),
                    ],
                );
                let body = ics::calendar(
                    c,
                    &at,
                    &self.settings.reminder_offsets,
                    &summary,
                    &description,
                    now,
                );
                Reply {
                    document: Some(Document {
                        file_name: ics::file_name(c),
                        bytes: body.into_bytes(),
                        caption: Some(tx.t(
                            "calendar.caption",
                            &[("call", &c.short), ("date", &tx.date(&at))],
                        )),
                        photo: false,
                    }),
                    ..Reply::default()
                }
            }
        }
    }
}

/// Characters of the excerpt of each passage shown under an answer.
const PASSAGE_EXCERPT_CHARS: usize = 450;
/// At most this many passages are shown under an answer.
const MAX_PASSAGES: usize = 2;

/// Passages of the official documents in answers.
impl Engine<'_> {
    /// The passages that match a question (none searched when no document is loaded).
    fn passages_for(&self, question: &str) -> crate::search::Results {
        if self.knowledge.documents.is_empty() {
            return crate::search::Results {
                hits: Vec::new(),
                confidence: Confidence::None,
                query: Default::default(),
            };
        }
        self.index.search_passages(question, 5)
    }

    /// Only the passages of `call` and of the calls right above or below it: under an
    /// answer about one call, the text of another call would mislead.
    fn passages_of(
        &self,
        mut results: crate::search::Results,
        call: Option<&CallId>,
    ) -> crate::search::Results {
        let Some(call) = call else { return results };
        let parent_of = |id: &CallId| self.knowledge.call(&id.0).and_then(|c| c.parent.clone());
        results.hits.retain(|h| {
            self.index
                .entry(h.entry)
                .doc
                .call
                .as_ref()
                .is_some_and(|p| {
                    p == call
                        || parent_of(p).as_ref() == Some(call)
                        || parent_of(call).as_ref() == Some(p)
                })
        });
        results
    }

    /// Resolves a passage entry to its document, number and passage.
    fn passage_of(
        &self,
        entry: usize,
    ) -> Option<(
        &crate::documents::OfficialDocument,
        u32,
        &crate::documents::Passage,
    )> {
        let id = self.index.entry(entry).doc.id.strip_prefix("doc:")?;
        let (path, n) = id.rsplit_once('#')?;
        let (call, doc) = path.split_once('/')?;
        let n: u32 = n.parse().ok()?;
        let d = self.knowledge.document(call, doc)?;
        Some((d, n, d.passages.get(n as usize)?))
    }

    /// The best passages with their citation and the matched words marked, and buttons to
    /// read each passage whole and to get the documents. `alone`: no curated answer above.
    fn passages_reply(
        &self,
        tx: &Texts,
        results: &crate::search::Results,
        alone: bool,
    ) -> Option<Reply> {
        let shown = shown_passages(results);
        if shown.is_empty() {
            return None;
        }
        let mut text = tx.t(
            if alone {
                "passages.alone"
            } else {
                "passages.below"
            },
            &[],
        );
        let mut read_rows = Vec::new();
        let mut doc_rows: Vec<Vec<Button>> = Vec::new();
        let mut sent_docs = Vec::new();
        for entry in shown {
            let Some((doc, n, p)) = self.passage_of(entry) else {
                continue;
            };
            let citation = cite(tx, doc, p);
            text.para().bold(passage_title(tx, doc, p)).line();
            let excerpt = self
                .index
                .excerpt(&results.query, &p.text, PASSAGE_EXCERPT_CHARS);
            let cut = excerpt.to_plain().chars().count() < p.text.chars().count();
            text.append(excerpt)
                .line()
                .append(tx.t("passage.source", &[("citation", &citation)]));
            if cut {
                read_rows.push(vec![button(
                    short_label(&tx.s("button.passage", &[("citation", &citation)])),
                    Action::Passage(doc.call.clone(), doc.id.clone(), n),
                )]);
            }
            if !sent_docs.contains(&(&doc.call, &doc.id)) {
                sent_docs.push((&doc.call, &doc.id));
                doc_rows.push(vec![button(
                    short_label(&tx.s("button.document", &[("title", &doc.title)])),
                    Action::Document(doc.call.clone(), doc.id.clone()),
                )]);
            }
        }
        read_rows.extend(doc_rows);
        Some(Reply::new(text).with_buttons(read_rows))
    }

    /// A whole passage, with its citation and a button for the document.
    fn passage_full(&self, tx: &Texts, entry: usize) -> Reply {
        let Some((doc, _, p)) = self.passage_of(entry) else {
            return Reply::new(tx.t("button.stale", &[]));
        };
        let mut text = Rich::new();
        text.bold(passage_title(tx, doc, p))
            .para()
            .text(&p.text)
            .para()
            .append(tx.t("passage.source", &[("citation", &cite(tx, doc, p))]));
        let mut rows = vec![vec![button(
            short_label(&tx.s("button.document", &[("title", &doc.title)])),
            Action::Document(doc.call.clone(), doc.id.clone()),
        )]];
        if let Some(c) = self.knowledge.call(&doc.call.0) {
            rows.push(vec![button(
                tx.s("button.call_card", &[("call", &c.short)]),
                Action::Call(c.id.clone()),
            )]);
        }
        Reply::new(text).with_buttons(rows)
    }

    fn send_document(&self, tx: &Texts, doc: &crate::documents::OfficialDocument) -> Effect {
        let call = self
            .knowledge
            .call(&doc.call.0)
            .map(|c| c.short.clone())
            .unwrap_or_else(|| doc.call.0.clone());
        Effect::SendDocument {
            file: doc.file.clone(),
            file_name: doc.file_name(),
            caption: tx.t(
                "document.caption",
                &[("title", &doc.title), ("call", &call)],
            ),
        }
    }
}

/// The passage hits worth showing: those close to the best one, at most [`MAX_PASSAGES`].
fn shown_passages(results: &crate::search::Results) -> Vec<usize> {
    if results.confidence == Confidence::None {
        return Vec::new();
    }
    let Some(top) = results.hits.first() else {
        return Vec::new();
    };
    results
        .hits
        .iter()
        .filter(|h| h.coverage >= top.coverage - 0.15)
        .take(MAX_PASSAGES)
        .map(|h| h.entry)
        .collect()
}

/// "Art. 5 – Soggetti beneficiari", or the document's title for passages outside articles.
fn passage_title(
    tx: &Texts,
    doc: &crate::documents::OfficialDocument,
    p: &crate::documents::Passage,
) -> String {
    match (&p.article, &p.heading) {
        (Some(a), Some(h)) => tx.s("passage.article_titled", &[("number", a), ("title", h)]),
        (Some(a), None) => tx.s("passage.article", &[("number", a)]),
        (None, _) => doc.title.clone(),
    }
}

/// The citation of a passage: "Bando, art. 5, par. 5.1, pag. 7".
pub fn cite(
    tx: &Texts,
    doc: &crate::documents::OfficialDocument,
    p: &crate::documents::Passage,
) -> String {
    let mut parts = vec![doc.title.clone()];
    if let Some(a) = &p.article {
        parts.push(tx.s("cite.article", &[("number", a)]));
    }
    if let Some(n) = &p.paragraph {
        parts.push(tx.s("cite.paragraph", &[("number", n)]));
    }
    match (p.page, p.last_page) {
        (Some(a), Some(b)) if b > a => parts.push(tx.s(
            "cite.pages",
            &[("from", &a.to_string()), ("to", &b.to_string())],
        )),
        (Some(a), _) => parts.push(tx.s("cite.page", &[("page", &a.to_string())])),
        _ => {}
    }
    parts.join(", ")
}

/// " Verifica sulla pagina ufficiale «…» (site)." for a call that names its page, else "".
fn official_page_hint(tx: &Texts, c: &Call) -> String {
    c.official_page
        .as_ref()
        .map(|p| tx.s("deadline.page", &[("title", &p.title), ("site", &p.site)]))
        .unwrap_or_default()
}

/// Open calls first, then those whose status the sources do not give, then closed, then
/// strategies (no deadline at all).
fn call_rank(c: &Call, now: Timestamp) -> u8 {
    match (&c.deadline, c.status(now)) {
        (None, _) => 3,
        (_, CallStatus::Open) => 0,
        (_, CallStatus::Unknown) => 1,
        (_, CallStatus::Closed) => 2,
    }
}

/// The heading of a group of calls of one [`call_rank`].
fn status_group_key(rank: u8) -> &'static str {
    match rank {
        0 => "status.group.open",
        1 => "status.group.unknown",
        2 => "status.group.closed",
        _ => "status.group.strategy",
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
