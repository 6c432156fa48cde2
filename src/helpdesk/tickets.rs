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
use crate::text::{Lang, texts};

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
                t.lang,
            ));
        }
        TicketEvent::Withdraw => {
            t.status = Status::Closed;
            replies.push(to_staff(
                n,
                staff.t("ticket.withdrawn_staff", &[("number", &num)]),
                t.lang,
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
        lang: t.lang,
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
fn to_staff(n: u64, r: Rich, lang: Lang) -> Delivery {
    Delivery::ToStaff {
        ticket: n,
        reply: Reply::new(r),
        reply_to: Some(ReplyTo::Ticket(n)),
        tell: None,
        lang,
    }
}

/// What the user of ticket `n` is told while its post waits for Telegram's limits.
pub fn post_queued(n: u64, lang: Lang) -> Rich {
    texts(lang).t("handover.queued", &[("number", &n.to_string())])
}

/// What the user of ticket `n` is told when the staff group refused its post, with the
/// help desk's other contact when there is one.
pub fn post_failed(n: u64, lang: Lang, contact: &str) -> Rich {
    let tx = texts(lang);
    let mut r = tx.t("handover.failed", &[("number", &n.to_string())]);
    if !contact.is_empty() {
        r.para()
            .append(tx.t("helpdesk.contact", &[("contact", contact)]));
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;

    /// The clock of every test: a fixed instant, never today's.
    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_764_633_600 + s).unwrap()
    }

    fn ticket(n: u64, lang: Lang) -> Ticket {
        Ticket {
            number: n,
            user: Some(UserId(5)),
            name: "Anna".into(),
            question: "Posso pagare lo yoga?".into(),
            call: None,
            answers: vec![],
            follow_ups: vec![],
            opened: at(0),
            status: Status::Open,
            last_reply: None,
            message: Some(40),
            lang,
        }
    }

    fn plain(d: &Delivery) -> String {
        match d {
            Delivery::Here(r) | Delivery::ToUser { reply: r, .. } => r.text.to_plain(),
            Delivery::ToStaff { reply, .. } => reply.text.to_plain(),
            other => panic!("not a text: {other:?}"),
        }
    }

    #[test]
    fn a_follow_up_is_kept_and_posted_under_the_ticket() {
        let t = ticket(7, Lang::En);
        let out = step(
            7,
            Some(&t),
            &TicketEvent::FollowUp("e il pilates?".into()),
            at(60),
        );
        let after = out.ticket.unwrap();
        assert_eq!(after.follow_ups, ["e il pilates?"]);
        assert_eq!(after.status, Status::Open);
        assert_eq!(out.replies.len(), 2);
        // The user reads English; staff read Italian, under the ticket's message.
        assert!(
            plain(&out.replies[0]).contains("request no. 7"),
            "{}",
            plain(&out.replies[0])
        );
        assert!(matches!(
            &out.replies[1],
            Delivery::ToStaff {
                ticket: 7,
                reply_to: Some(ReplyTo::Ticket(7)),
                tell: None,
                ..
            }
        ));
        assert!(plain(&out.replies[1]).contains("e il pilates?"));
        assert!(plain(&out.replies[1]).contains("Anna aggiunge"));
    }

    #[test]
    fn events_of_a_ticket_that_is_gone_change_nothing() {
        for e in [TicketEvent::FollowUp("x".into()), TicketEvent::Withdraw] {
            let out = step(9, None, &e, at(0));
            assert_eq!(out.ticket, None);
            assert!(out.replies.is_empty(), "{e:?}");
        }
        let out = step(9, None, &TicketEvent::Close, at(0));
        assert_eq!(plain(&out.replies[0]), "Non esiste una richiesta n. 9.");
    }

    #[test]
    fn withdrawing_closes_and_tells_staff() {
        let out = step(3, Some(&ticket(3, Lang::It)), &TicketEvent::Withdraw, at(0));
        assert_eq!(out.ticket.unwrap().status, Status::Closed);
        assert_eq!(out.replies.len(), 1);
        assert!(matches!(
            out.replies[0],
            Delivery::ToStaff { ticket: 3, .. }
        ));
        assert!(plain(&out.replies[0]).contains("ritirata dall'utente"));
    }

    #[test]
    fn closing_tells_the_user_in_their_language_once() {
        let t = ticket(12, Lang::En);
        let out = step(12, Some(&t), &TicketEvent::Close, at(0));
        let closed = out.ticket.unwrap();
        assert_eq!(closed.status, Status::Closed);
        assert_eq!(
            plain(&out.replies[0]),
            "Richiesta n. 12 chiusa; l'utente è stato avvisato."
        );
        let Delivery::ToUser { user, reply } = &out.replies[1] else {
            panic!("{:?}", out.replies[1]);
        };
        assert_eq!(*user, UserId(5));
        assert!(
            reply.text.to_plain().starts_with("Your request no. 12"),
            "{}",
            reply.text.to_plain()
        );
        // Again: nothing changes and nobody else is told.
        let again = step(12, Some(&closed), &TicketEvent::Close, at(10));
        assert_eq!(again.ticket.as_ref(), Some(&closed));
        assert_eq!(again.replies.len(), 1);
        assert_eq!(plain(&again.replies[0]), "La richiesta n. 12 è già chiusa.");
    }

    #[test]
    fn a_staff_reply_is_copied_to_the_user_or_staff_hear_they_are_gone() {
        let t = ticket(4, Lang::It);
        let event = TicketEvent::StaffReplied {
            chat: -100,
            message: 77,
        };
        let out = step(4, Some(&t), &event, at(0));
        assert_eq!(
            out.ticket.as_ref(),
            Some(&t),
            "replying changes nothing yet"
        );
        assert!(matches!(
            out.replies[0],
            Delivery::ToUser {
                user: UserId(5),
                ..
            }
        ));
        assert_eq!(
            out.replies[1],
            Delivery::CopyToUser {
                ticket: 4,
                user: UserId(5),
                from_chat: -100,
                message: 77
            }
        );
        let mut gone = t.clone();
        gone.forget_user();
        let out = step(4, Some(&gone), &event, at(0));
        assert_eq!(out.replies.len(), 1);
        assert!(plain(&out.replies[0]).contains("ha cancellato i suoi dati"));
    }

    #[test]
    fn a_delivered_copy_marks_the_ticket_answered_at_now() {
        let t = ticket(5, Lang::It);
        let out = step(
            5,
            Some(&t),
            &TicketEvent::Copied { delivered: true },
            at(3600),
        );
        let after = out.ticket.unwrap();
        assert_eq!(after.status, Status::Answered);
        assert_eq!(after.last_reply, Some(at(3600)));
        assert_eq!(
            plain(&out.replies[0]),
            "✅ Risposta inviata a Anna (richiesta n. 5)."
        );
        // Follow-ups stop a day after that reply, by the injected clock.
        assert!(after.takes_follow_ups(at(3600 + 23 * 3600)));
        assert!(!after.takes_follow_ups(at(3600 + 25 * 3600)));

        let failed = step(
            5,
            Some(&t),
            &TicketEvent::Copied { delivered: false },
            at(3600),
        );
        assert_eq!(failed.ticket.as_ref(), Some(&t));
        assert!(plain(&failed.replies[0]).starts_with("⚠️ Non sono riuscito"));
    }

    #[test]
    fn a_new_ticket_is_posted_to_staff_and_the_user_told_after() {
        let mut t = ticket(8, Lang::En);
        t.answers = vec![("Sede in Piemonte".into(), "sì".into())];
        let out = handed_over(&t);
        let [
            Delivery::ToStaff {
                ticket: 8,
                reply,
                reply_to: None,
                tell: Some((user, told)),
                lang: Lang::En,
            },
        ] = out.as_slice()
        else {
            panic!("{out:?}");
        };
        assert_eq!(*user, UserId(5));
        assert!(told.text.to_plain().contains("8"));
        let card = reply.text.to_plain();
        assert!(card.contains("• Sede in Piemonte: sì"), "{card}");
        assert!(
            card.contains("inglese"),
            "the card says the user writes English: {card}"
        );
    }

    #[test]
    fn the_open_list_skips_closed_tickets_and_tells_their_age() {
        let mut closed = ticket(1, Lang::It);
        closed.status = Status::Closed;
        let mut answered = ticket(3, Lang::It);
        answered.status = Status::Answered;
        let waiting = ticket(2, Lang::It);
        let list = open_list(&[closed, answered, waiting], at(2 * 86_400)).to_plain();
        assert!(!list.contains("n. 1 "), "{list}");
        let (two, three) = (list.find("n. 2 ").unwrap(), list.find("n. 3 ").unwrap());
        assert!(two < three, "oldest first: {list}");
        assert!(list.contains("da 2 giorni"), "{list}");
        assert_eq!(
            open_list(&[], at(0)).to_plain(),
            "Nessuna richiesta aperta."
        );
    }

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    #[test]
    fn follow_ups_stop_when_closed_or_a_day_after_the_last_reply() {
        let mut tk = Ticket {
            number: 1,
            user: Some(UserId(5)),
            name: "A".into(),
            question: "q".into(),
            call: None,
            answers: vec![],
            follow_ups: vec![],
            opened: t(0),
            status: Status::Open,
            last_reply: None,
            message: None,
            lang: Lang::It,
        };
        assert!(tk.takes_follow_ups(t(10_000_000)));
        tk.status = Status::Answered;
        tk.last_reply = Some(t(1000));
        assert!(tk.takes_follow_ups(t(1000 + 3600)));
        assert!(!tk.takes_follow_ups(t(1000 + 25 * 3600)));
        tk.status = Status::Closed;
        assert!(!tk.takes_follow_ups(t(1001)));
    }

    #[test]
    fn a_user_hears_of_a_delayed_or_refused_post_in_their_language() {
        let queued = post_queued(6, Lang::En).to_plain();
        assert_eq!(
            queued,
            texts(Lang::En)
                .t("handover.queued", &[("number", "6")])
                .to_plain()
        );
        assert_ne!(queued, post_queued(6, Lang::It).to_plain());
        let failed = post_failed(6, Lang::En, "desk@example.org").to_plain();
        assert!(failed.contains("desk@example.org"), "{failed}");
        assert!(
            !post_failed(6, Lang::En, "")
                .to_plain()
                .contains("desk@example.org")
        );
    }
}
