//! The ticket flow (pure): what happens to a ticket and who is told, as a function of
//! (ticket, event, now) returning the ticket after it and the messages to send.
//!
//! The app reads the ticket through the store's interface ([`crate::store::TicketStore`]),
//! runs [`step`], and commits the changed ticket (compared with the one read, so a ticket
//! changed meanwhile conflicts) with the messages in one write. Numbers are given by the
//! store when a ticket is opened; [`handed_over`] then says what to post. Staff read
//! [`STAFF_LANG`]; the user reads the ticket's language.

use jiff::Timestamp;

use super::settings::STAFF_LANG;
use crate::delivery::Delivery;
use crate::outgoing::ReplyTo;
use crate::reply::{Reply, Rich};
use crate::store::tickets::{Status, Ticket};
use crate::text::texts;

/// What happens to one ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketEvent {
    /// The user wrote again while the ticket takes follow-ups.
    FollowUp(String),
    /// The user withdrew it (`/annulla`).
    Withdraw,
    /// Staff closed it (`/chiudi N`).
    Close,
    /// Staff replied in the group to the ticket's message `message` of `chat`: the reply
    /// is copied to the user (never forwarded: staff stay anonymous).
    StaffReplied { chat: i64, message: i32 },
    /// The copy of a staff reply reached the user (`true`) or did not.
    Copied { delivered: bool },
}

/// The ticket after an event (`None`: there is none by that number), and what to send.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketOutcome {
    pub ticket: Option<Ticket>,
    /// `Here` goes to the chat of the event: the user's for their own events, the staff
    /// chat for staff's.
    pub replies: Vec<Delivery>,
}

/// One event of ticket number `n`, read as `ticket` (`None`: no such ticket).
pub fn step(n: u64, ticket: Option<&Ticket>, event: &TicketEvent, now: Timestamp) -> TicketOutcome {
    let staff = texts(STAFF_LANG);
    let num = n.to_string();
    let mut replies = Vec::new();
    let Some(before) = ticket else {
        match event {
            TicketEvent::Close => replies.push(here(
                staff.t("helpdesk.chiudi.unknown", &[("number", &num)]),
            )),
            TicketEvent::Copied { delivered } => replies.push(here(copied_note(n, "", *delivered))),
            _ => {}
        }
        return TicketOutcome {
            ticket: None,
            replies,
        };
    };
    let mut t = before.clone();
    let user_tx = texts(t.lang);
    match event {
        TicketEvent::FollowUp(text) => {
            t.follow_ups.push(text.clone());
            replies.push(here(
                user_tx.t("ticket.followup_added", &[("number", &num)]),
            ));
            replies.push(to_staff(
                n,
                staff.t(
                    "ticket.followup_staff",
                    &[
                        ("number", &num),
                        ("name", &display(&t.name)),
                        ("text", text),
                    ],
                ),
            ));
        }
        TicketEvent::Withdraw => {
            t.status = Status::Closed;
            replies.push(to_staff(
                n,
                staff.t("ticket.withdrawn_staff", &[("number", &num)]),
            ));
        }
        TicketEvent::Close if t.status == Status::Closed => {
            replies.push(here(
                staff.t("helpdesk.chiudi.already", &[("number", &num)]),
            ));
        }
        TicketEvent::Close => {
            t.status = Status::Closed;
            replies.push(here(staff.t("helpdesk.chiudi.done", &[("number", &num)])));
            if let Some(user) = t.user {
                replies.push(Delivery::ToUser {
                    user,
                    reply: Reply::new(user_tx.t("ticket.closed_user", &[("number", &num)])),
                });
            }
        }
        TicketEvent::StaffReplied { chat, message } => match t.user {
            None => replies.push(here(staff.t("ticket.user_gone", &[("number", &num)]))),
            Some(user) => {
                replies.push(Delivery::ToUser {
                    user,
                    reply: Reply::new(user_tx.t("ticket.answer_header", &[("number", &num)])),
                });
                replies.push(Delivery::CopyToUser {
                    ticket: n,
                    user,
                    from_chat: *chat,
                    message: *message,
                });
            }
        },
        TicketEvent::Copied { delivered } => {
            if *delivered {
                if t.status == Status::Open {
                    t.status = Status::Answered;
                }
                t.last_reply = Some(now);
            }
            replies.push(here(copied_note(n, &display(&t.name), *delivered)));
        }
    }
    TicketOutcome {
        ticket: Some(t),
        replies,
    }
}

/// What to send once the store opened ticket `t`: its card to the staff group, and,
/// once the group accepted it, the user's confirmation.
pub fn handed_over(t: &Ticket) -> Vec<Delivery> {
    let n = t.number.to_string();
    vec![Delivery::ToStaff {
        ticket: t.number,
        reply: Reply::new(ticket_card(t)),
        reply_to: None,
        tell: t.user.map(|user| {
            (
                user,
                Reply::new(texts(t.lang).t("handover.done", &[("number", &n)])),
            )
        }),
    }]
}

/// `/ticket`: the tickets not closed among `tickets`, oldest first, with their age.
pub fn open_list(tickets: &[Ticket], now: Timestamp) -> Rich {
    let tx = texts(STAFF_LANG);
    let mut open: Vec<&Ticket> = tickets
        .iter()
        .filter(|t| t.status != Status::Closed)
        .collect();
    open.sort_by_key(|t| t.number);
    if open.is_empty() {
        return tx.t("helpdesk.tickets.none", &[]);
    }
    let mut r = tx.t(
        "helpdesk.tickets.title",
        &[("count", &open.len().to_string())],
    );
    for t in open {
        let key = if t.status == Status::Open {
            "helpdesk.tickets.waiting"
        } else {
            "helpdesk.tickets.answered"
        };
        let q: String = t.question.chars().take(80).collect();
        r.para().append(tx.t(
            key,
            &[
                ("number", &t.number.to_string()),
                ("name", &display(&t.name)),
                ("age", &tx.time_left(t.opened, now)),
                ("question", &q),
            ],
        ));
    }
    r
}

/// The ticket's message in the staff group.
pub fn ticket_card(t: &Ticket) -> Rich {
    let tx = texts(STAFF_LANG);
    let n = t.number.to_string();
    let mut r = tx.t(
        "ticket.card",
        &[
            ("number", &n),
            ("name", &display(&t.name)),
            (
                "call",
                &t.call
                    .clone()
                    .unwrap_or_else(|| tx.s("ticket.no_call", &[])),
            ),
            ("question", &t.question),
        ],
    );
    if t.lang != STAFF_LANG {
        let language = tx.s(&format!("lang.name.{}", t.lang.code()), &[]);
        r.line()
            .append(tx.t("ticket.language", &[("language", &language)]));
    }
    if !t.answers.is_empty() {
        r.para().append(tx.t("ticket.answers", &[]));
        for (q, a) in &t.answers {
            r.line()
                .append(tx.t("ticket.answer_item", &[("question", q), ("answer", a)]));
        }
    }
    r.para()
        .append(tx.t("ticket.how_to_reply", &[("number", &n)]));
    r
}

/// Staff's note on a copied reply: delivered to `name`, or not.
fn copied_note(n: u64, name: &str, delivered: bool) -> Rich {
    let tx = texts(STAFF_LANG);
    let num = n.to_string();
    if delivered {
        tx.t("ticket.delivered", &[("number", &num), ("name", name)])
    } else {
        tx.t("ticket.not_delivered", &[("number", &num)])
    }
}

/// A name for staff (Telegram may give none).
pub(super) fn display(name: &str) -> String {
    if name.trim().is_empty() {
        texts(STAFF_LANG).s("ticket.anonymous", &[])
    } else {
        name.to_string()
    }
}

fn here(r: Rich) -> Delivery {
    Delivery::Here(Reply::new(r))
}

/// A post under ticket `n`'s message in the staff group.
fn to_staff(n: u64, r: Rich) -> Delivery {
    Delivery::ToStaff {
        ticket: n,
        reply: Reply::new(r),
        reply_to: Some(ReplyTo::Ticket(n)),
        tell: None,
    }
}
