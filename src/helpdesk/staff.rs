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
use super::teach::{Actor, Field, parse_edit};
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

/// A staff reply in the staff group to one of the bot's messages.
#[derive(Debug, Clone, PartialEq)]
pub struct StaffReply {
    pub chat: i64,
    /// The bot's message replied to.
    pub replied_to: i32,
    /// The staff member's message (copied to the user).
    pub message: i32,
    /// Its text, if it is a text: offered as a FAQ.
    pub text: Option<String>,
    pub by: Actor,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialogue::Settings;
    use crate::ids::UserId;
    use crate::knowledge::Knowledge;
    use crate::search::SearchIndex;
    use crate::store::tickets::Status;
    use crate::text::Lang;

    /// The clock of every test: a fixed instant, never today's.
    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_764_633_600 + s).unwrap()
    }

    fn text(s: &str) -> Event {
        Event::Text(s.into())
    }

    fn ticket(n: u64, status: Status) -> Ticket {
        Ticket {
            number: n,
            user: Some(UserId(50 + n as i64)),
            name: String::new(),
            question: format!("domanda {n}"),
            call: None,
            answers: vec![],
            follow_ups: vec![],
            opened: at(0),
            status,
            last_reply: None,
            message: None,
            lang: Lang::It,
        }
    }

    /// An engine over an empty pack: what staff ask finds nothing.
    fn with_empty_pack<T>(f: impl FnOnce(&Engine<'_>) -> T) -> T {
        let knowledge = Knowledge::default();
        let index = SearchIndex::from_knowledge(&knowledge).unwrap();
        let settings = Settings::default();
        f(&Engine {
            knowledge: &knowledge,
            index: &index,
            settings: &settings,
            readings: None,
        })
    }

    fn plain(out: &StaffOutcome) -> Vec<String> {
        out.replies
            .iter()
            .map(|d| match d {
                Delivery::Here(r) | Delivery::ToUser { reply: r, .. } => r.text.to_plain(),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn staff_events_are_told_from_anyones() {
        assert_eq!(
            read(&text("quando scade?"), true),
            Some(StaffEvent::Ask("quando scade?".into()))
        );
        assert_eq!(
            read(&text("/risposta quando scade?"), false),
            Some(StaffEvent::Ask("quando scade?".into()))
        );
        assert_eq!(
            read(&text("/chiudi n.12"), false),
            Some(StaffEvent::Close(Some(12)))
        );
        assert_eq!(
            read(&text("/chiudi #4"), false),
            Some(StaffEvent::Close(Some(4)))
        );
        assert_eq!(read(&text("/chiudi"), false), Some(StaffEvent::Close(None)));
        assert_eq!(read(&text("/ticket"), false), Some(StaffEvent::Tickets));
        assert_eq!(
            read(&text("/statistiche"), false),
            Some(StaffEvent::Statistics)
        );
        assert_eq!(read(&text("/ricarica"), false), Some(StaffEvent::Reload));
        assert_eq!(
            read(&text("Risposta: sì, con il modulo B"), false),
            Some(StaffEvent::Teach(TeachRequest::Edit(
                Field::Answer,
                "sì, con il modulo B".into()
            )))
        );
        // A user's command and a plain message are anyone's.
        assert_eq!(read(&text("/aiuto"), false), None);
        assert_eq!(read(&text("quando scade?"), false), None);
        assert_eq!(read(&text("ciao: come va"), false), None);
    }

    #[test]
    fn faq_arguments_use_staffs_words() {
        let faq = |a: &str| read(&text(&format!("/faq {a}")), false);
        let teach = |c| Some(StaffEvent::Teach(TeachRequest::Faq(c)));
        assert_eq!(faq(""), teach(FaqCommand::List));
        assert_eq!(
            faq("ritira n.3 superata dal bando"),
            teach(FaqCommand::Withdraw {
                id: 3,
                reason: "superata dal bando".into()
            })
        );
        assert_eq!(faq("RIPRISTINA 3"), teach(FaqCommand::Restore(3)));
        assert_eq!(faq("modifica #7"), teach(FaqCommand::Edit(7)));
        assert_eq!(faq("ritira"), teach(FaqCommand::Usage));
        assert_eq!(faq("cancella 3"), teach(FaqCommand::Usage));
    }

    #[test]
    fn buttons_of_the_desk_and_stale_ones() {
        let save = TeachButton::Save(9).encode();
        assert_eq!(
            read(&Event::Button(save), false),
            Some(StaffEvent::Teach(TeachRequest::Button(TeachButton::Save(
                9
            ))))
        );
        assert_eq!(
            read(&Event::Button("f|zz".into()), false),
            Some(StaffEvent::Stale)
        );
        let pick = Action::staff_answer("faq:wa-scadenza").unwrap().encode();
        assert_eq!(
            read(&Event::Button(pick), false),
            Some(StaffEvent::Chosen("faq:wa-scadenza".into()))
        );
    }

    #[test]
    fn each_event_asks_only_for_the_tickets_it_needs() {
        assert_eq!(needs(&StaffEvent::Tickets), Need::Tickets);
        assert_eq!(needs(&StaffEvent::Close(Some(3))), Need::Ticket(3));
        assert_eq!(needs(&StaffEvent::Close(None)), Need::Nothing);
        assert_eq!(needs(&StaffEvent::Ask("x".into())), Need::Nothing);
        assert_eq!(needs(&StaffEvent::Statistics), Need::Nothing);
    }

    #[test]
    fn closing_changes_the_desk_and_tells_staff_and_the_user() {
        with_empty_pack(|engine| {
            let desk = Desk {
                tickets: vec![ticket(3, Status::Answered)],
            };
            let out = step(engine, desk, &StaffEvent::Close(Some(3)), at(60));
            assert_eq!(out.desk.tickets.len(), 1);
            assert_eq!(out.desk.tickets[0].status, Status::Closed);
            assert!(out.effects.is_empty());
            let said = plain(&out);
            assert_eq!(said[0], "Richiesta n. 3 chiusa; l'utente è stato avvisato.");
            assert!(matches!(
                out.replies[1],
                Delivery::ToUser {
                    user: UserId(53),
                    ..
                }
            ));

            // A number nobody has: the desk stays as it was.
            let out = step(engine, Desk::default(), &StaffEvent::Close(Some(8)), at(60));
            assert_eq!(out.desk, Desk::default());
            assert_eq!(plain(&out), ["Non esiste una richiesta n. 8."]);
            let out = step(engine, Desk::default(), &StaffEvent::Close(None), at(60));
            assert!(plain(&out)[0].contains("/chiudi 12"));
        });
    }

    #[test]
    fn the_ticket_list_reads_the_desk_at_now() {
        with_empty_pack(|engine| {
            let desk = Desk {
                tickets: vec![ticket(1, Status::Closed), ticket(2, Status::Open)],
            };
            let out = step(engine, desk.clone(), &StaffEvent::Tickets, at(3 * 86_400));
            assert_eq!(out.desk, desk, "listing changes nothing");
            let said = plain(&out);
            assert!(said[0].contains("(1)"), "{}", said[0]);
            assert!(
                said[0].contains("n. 2 ") && said[0].contains("da 3 giorni"),
                "{}",
                said[0]
            );
        });
    }

    #[test]
    fn io_is_left_to_the_app_as_effects() {
        with_empty_pack(|engine| {
            for (event, effect) in [
                (StaffEvent::Reload, StaffEffect::Reload),
                (StaffEvent::Statistics, StaffEffect::Statistics),
                (
                    StaffEvent::Teach(TeachRequest::Faq(FaqCommand::List)),
                    StaffEffect::Teach(TeachRequest::Faq(FaqCommand::List)),
                ),
            ] {
                let out = step(engine, Desk::default(), &event, at(0));
                assert_eq!(out.effects, [effect]);
                assert!(out.replies.is_empty(), "{event:?}");
            }
        });
    }

    #[test]
    fn ready_answers_need_a_question_and_an_entry() {
        with_empty_pack(|engine| {
            let out = step(
                engine,
                Desk::default(),
                &StaffEvent::Ask("  ".into()),
                at(0),
            );
            assert!(plain(&out)[0].starts_with("Scrivi la domanda dopo il comando"));
            let out = step(
                engine,
                Desk::default(),
                &StaffEvent::Ask("quando scade?".into()),
                at(0),
            );
            assert!(
                plain(&out)[0].starts_with("Non ho nessuna risposta"),
                "{:?}",
                plain(&out)
            );
            let out = step(
                engine,
                Desk::default(),
                &StaffEvent::Chosen("faq:gone".into()),
                at(0),
            );
            assert_eq!(
                plain(&out),
                [texts(STAFF_LANG).t("button.stale", &[]).to_plain()]
            );
            let out = step(engine, Desk::default(), &StaffEvent::Stale, at(0));
            assert_eq!(
                plain(&out),
                [texts(STAFF_LANG).t("button.stale", &[]).to_plain()]
            );
        });
    }

    #[test]
    fn a_reload_note_counts_every_error_and_shows_twenty() {
        let ok = reloaded(&Ok(Reloaded {
            calls: 4,
            faqs: 31,
            warnings: 1,
        }))
        .to_plain();
        assert!(ok.contains("4 bandi, 31 FAQ (1 avvisi"), "{ok}");
        let errors: Vec<String> = (0..25).map(|i| format!("faq/x.toml:{i}: boh")).collect();
        let failed = reloaded(&Err(errors)).to_plain();
        assert!(failed.contains("(25 errori)"), "{failed}");
        assert_eq!(failed.matches("• faq/x.toml:").count(), 20);
        assert!(failed.contains("• faq/x.toml:19: boh") && !failed.contains("x.toml:20:"));
    }
}
