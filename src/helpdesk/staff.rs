//! The staff engine (pure): a staff member's event in, as a function of (desk, event,
//! now) returning the desk after it, the replies and the effects the app carries out —
//! the help desk's counterpart of the user dialogue ([`crate::dialogue`]).
//!
//! [`read`] tells a staff event from anyone's (a forward, a staff command, a staff
//! button, a draft edit); [`needs`] says which tickets the app must read for it; [`step`]
//! answers it. What needs I/O is an effect: reloading the knowledge, drawing
//! `/statistiche` from the question log, and the teach flow (drafts, validation, the
//! staff FAQ file), which the app drives around the pure [`super::teach::step`]. Tickets
//! changed here are committed by the app against the ones it read.

use jiff::Timestamp;

use super::drafts::TeachButton;
use super::ready;
use super::settings::STAFF_LANG;
use super::teach::{Field, parse_edit};
use super::tickets::{self, TicketEvent};
use crate::action::Action;
use crate::command::{Command, Who};
use crate::delivery::Delivery;
use crate::dialogue::{Engine, Event};
use crate::reply::Rich;
use crate::store::tickets::Ticket;
use crate::text::texts;

/// What a staff member did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffEvent {
    /// A forwarded question, or `/risposta domanda`: the ready answer.
    Ask(String),
    /// An alternative of a ready answer, chosen by its button (entry id).
    Chosen(String),
    /// `/ticket`: the open tickets.
    Tickets,
    /// `/chiudi N` (`None`: no number given).
    Close(Option<u64>),
    /// `/statistiche`.
    Statistics,
    /// `/ricarica`.
    Reload,
    /// The teach flow: `/faq …`, a teach button, a «campo: valore» edit.
    Teach(TeachRequest),
    /// A button of the help desk that is malformed or out of date.
    Stale,
}

/// What staff ask of the teach flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TeachRequest {
    Faq(FaqCommand),
    Button(TeachButton),
    /// A field of the newest open draft of the chat (when there is none, the text is
    /// anyone's message).
    Edit(Field, String),
}

/// `/faq`, `/faq modifica N`, `/faq ritira N motivo`, `/faq ripristina N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaqCommand {
    List,
    Edit(u64),
    Withdraw { id: u64, reason: String },
    Restore(u64),
    Usage,
}

/// What the app does for a step (results come back as replies it adds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffEffect {
    /// Reload the knowledge everywhere, then tell staff with [`reloaded`].
    Reload,
    /// Read the question log and send `/statistiche` ([`super::statistics`]).
    Statistics,
    /// Run the teach flow.
    Teach(TeachRequest),
}

/// Which tickets the app reads for an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Nothing,
    /// Ticket number `n`.
    Ticket(u64),
    /// Every ticket.
    Tickets,
}

/// The help desk as the engine sees it: the tickets read for the event.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Desk {
    pub tickets: Vec<Ticket>,
}

impl Desk {
    pub fn ticket(&self, n: u64) -> Option<&Ticket> {
        self.tickets.iter().find(|t| t.number == n)
    }
}

/// The desk after a step, what to send and what the app must do.
#[derive(Debug, Clone, PartialEq)]
pub struct StaffOutcome {
    pub desk: Desk,
    pub replies: Vec<Delivery>,
    pub effects: Vec<StaffEffect>,
}

/// A staff member's event, if it is one of theirs; `None`: handle it like anyone's.
/// `forwarded`: the message was forwarded (a question to answer for someone else).
pub fn read(event: &Event, forwarded: bool) -> Option<StaffEvent> {
    match event {
        Event::Text(t) if forwarded => Some(StaffEvent::Ask(t.clone())),
        Event::Text(t) => match crate::command::parse(t.trim()) {
            Some(typed) => match typed.command? {
                Command::Faq => Some(StaffEvent::Teach(TeachRequest::Faq(faq_command(
                    typed.args,
                )))),
                c if c.who() == Who::Staff => Some(match c {
                    Command::Answer => StaffEvent::Ask(typed.args.to_string()),
                    Command::Tickets => StaffEvent::Tickets,
                    Command::Close => StaffEvent::Close(
                        typed
                            .args
                            .trim_start_matches(['n', '.', '#', ' '])
                            .parse::<u64>()
                            .ok(),
                    ),
                    Command::Statistics => StaffEvent::Statistics,
                    Command::Reload => StaffEvent::Reload,
                    // A staff command this engine does not know yet: nothing to say.
                    _ => return None,
                }),
                _ => None,
            },
            None => parse_edit(t).map(|(f, v)| StaffEvent::Teach(TeachRequest::Edit(f, v))),
        },
        Event::Button(data) => match TeachButton::decode(data) {
            Some(Some(b)) => Some(StaffEvent::Teach(TeachRequest::Button(b))),
            Some(None) => Some(StaffEvent::Stale),
            None => match Action::decode(data) {
                Some(Action::StaffAnswer(id)) => Some(StaffEvent::Chosen(id)),
                _ => None,
            },
        },
    }
}

/// The arguments of `/faq`; the verbs are staff's words (`locales/`, `words.faq.*`).
pub fn faq_command(args: &str) -> FaqCommand {
    let tx = texts(STAFF_LANG);
    let mut words = args.split_whitespace();
    let Some(verb) = words.next().map(str::to_lowercase) else {
        return FaqCommand::List;
    };
    let Some(id) = words
        .next()
        .and_then(|w| w.trim_start_matches(['n', '.', '#']).parse::<u64>().ok())
    else {
        return FaqCommand::Usage;
    };
    let reason = words.collect::<Vec<_>>().join(" ");
    let is = |key: &str| tx.list(key).contains(&verb);
    if is("words.faq.withdraw") {
        FaqCommand::Withdraw { id, reason }
    } else if is("words.faq.restore") {
        FaqCommand::Restore(id)
    } else if is("words.faq.edit") {
        FaqCommand::Edit(id)
    } else {
        FaqCommand::Usage
    }
}

/// The tickets the app reads before [`step`].
pub fn needs(event: &StaffEvent) -> Need {
    match event {
        StaffEvent::Tickets => Need::Tickets,
        StaffEvent::Close(Some(n)) => Need::Ticket(*n),
        _ => Need::Nothing,
    }
}

/// One staff event. `engine` is the knowledge in force (ready answers are the user
/// dialogue's own choice); `desk` holds what [`needs`] asked for.
pub fn step(engine: &Engine<'_>, desk: Desk, event: &StaffEvent, now: Timestamp) -> StaffOutcome {
    let tx = texts(STAFF_LANG);
    let mut out = StaffOutcome {
        desk,
        replies: Vec::new(),
        effects: Vec::new(),
    };
    match event {
        StaffEvent::Ask(question) => out.replies = ready::answer(engine, question, now),
        StaffEvent::Chosen(id) => out.replies = ready::chosen(engine.index, id),
        StaffEvent::Tickets => {
            out.replies = ready::here(tickets::open_list(&out.desk.tickets, now));
        }
        StaffEvent::Close(None) => out.replies = ready::here(tx.t("helpdesk.chiudi.usage", &[])),
        StaffEvent::Close(Some(n)) => {
            let closed = tickets::step(*n, out.desk.ticket(*n), &TicketEvent::Close, now);
            if let Some(after) = closed.ticket {
                out.desk.tickets.retain(|t| t.number != *n);
                out.desk.tickets.push(after);
            }
            out.replies = closed.replies;
        }
        StaffEvent::Statistics => out.effects.push(StaffEffect::Statistics),
        StaffEvent::Reload => out.effects.push(StaffEffect::Reload),
        StaffEvent::Teach(request) => out.effects.push(StaffEffect::Teach(request.clone())),
        StaffEvent::Stale => out.replies = ready::here(tx.t("button.stale", &[])),
    }
    out
}

/// What a knowledge reload did, in numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reloaded {
    pub calls: usize,
    pub faqs: usize,
    pub warnings: usize,
}

/// Errors shown after a failed reload (the count says how many there were).
const ERRORS_SHOWN: usize = 20;

/// The note for staff after `/ricarica`: the new numbers, or the errors (the knowledge
/// in force stays).
pub fn reloaded(result: &Result<Reloaded, Vec<String>>) -> Rich {
    let tx = texts(STAFF_LANG);
    match result {
        Ok(r) => tx.t(
            "helpdesk.reload.done",
            &[
                ("calls", &r.calls.to_string()),
                ("faqs", &r.faqs.to_string()),
                ("warnings", &r.warnings.to_string()),
            ],
        ),
        Err(errors) => {
            let mut r = tx.t(
                "helpdesk.reload.failed",
                &[("count", &errors.len().to_string())],
            );
            for e in errors.iter().take(ERRORS_SHOWN) {
                r.line()
                    .append(tx.t("helpdesk.reload.error_item", &[("error", e)]));
            }
            r
        }
    }
}
