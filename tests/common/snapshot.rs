//! Data of every kind a store holds, and a store's content by kind, for the snapshot
//! tests (conformance round trip, backup and restore).

use std::collections::{BTreeMap, HashSet};

use jiff::Timestamp;
use sportello::follow::{CallFacts, Status as CallStatus};
use sportello::knowledge::{CallId, DeadlineAt};
use sportello::outgoing::{Class, Entry};
use sportello::reminders::schedule::{Offset, Subscription};
use sportello::reply::Rich;
use sportello::store::drafts::{Draft, DraftStatus};
use sportello::store::dump::Record;
use sportello::store::follows::DoneHow;
use sportello::store::{AskedQuestion, Commit, NewTicket, Revision, Store, UserId, Watch};

pub fn t(secs: i64) -> Timestamp {
    Timestamp::from_second(secs).unwrap()
}

/// The reminder offsets the fillers subscribe with.
pub fn offsets() -> Vec<Offset> {
    Offset::defaults()
}

/// Stores data of every kind about `user` (a positive id): a session, a subscription
/// with its queued reminders (one of them done), a ticket posted to the staff chat, a
/// logged question, an outgoing message, a follow, an applied update and a FAQ draft.
pub async fn fill_user(st: &Store, user: i64) {
    let u = UserId(user);
    let call = CallId(format!("bando-{}", user % 3));
    let mut c = Commit::new();
    c.session(
        u,
        Revision(None),
        Some(format!("{{\"name\":\"Utente{user}\"}}").into_bytes()),
        t(1_000 + user),
    );
    c.applied(user as u32);
    c.log_question(
        Some(u),
        AskedQuestion {
            at: t(2_000 + user),
            question: format!("domanda segreta di {user}"),
            best: Some("faq-1".into()),
            confident: user % 2 == 0,
        },
    );
    c.subscribe(
        Subscription {
            user: u,
            call: call.clone(),
            deadline: DeadlineAt::parse("2030-03-31T12:00").unwrap(),
            planned_from: t(0),
        },
        &offsets(),
    );
    c.follow(Watch {
        user: u,
        call: call.clone(),
        seen: CallFacts {
            exists: true,
            status: CallStatus::Open,
            deadline: None,
            page: Some(format!("pagina {user}")),
        },
        since: t(3_000 + user),
        verdict: None,
    });
    c.send(Entry::message(
        user,
        Class::Reply,
        Rich::plain(format!("risposta per {user}")),
    ));
    st.commit(&c).await.unwrap();
    let ticket = st
        .open_ticket(
            NewTicket {
                user: u,
                name: format!("Nome{user}"),
                question: format!("aiuto per {user}"),
                call: Some(call.0.clone()),
                answers: vec![("Dipendenti".into(), user.to_string())],
                lang: sportello::text::Lang::It,
            },
            t(4_000 + user),
        )
        .await
        .unwrap();
    st.ticket_posted(ticket.number, -100, user as i32)
        .await
        .unwrap();
    // One reminder leaves the queue as sent: it is never queued again.
    let first = st
        .due_reminders(t(i64::from(i32::MAX) * 2), 1_000, &HashSet::new())
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.queued.item.user == u)
        .unwrap();
    st.complete_reminder(&first.key, &first.queued.item, DoneHow::Sent, t(5_000))
        .await
        .unwrap();
    let id = st.next_draft_id().await.unwrap();
    let draft = Draft {
        id,
        status: DraftStatus::Open,
        chat: -100,
        ticket: Some(ticket.number),
        question: format!("faq da {user}"),
        answer: "Sì.".into(),
        call: None,
        source: "help desk".into(),
        alternatives: Vec::new(),
        author: 1,
        author_name: "Anna".into(),
        created: t(6_000 + user),
        errors: None,
        would_answer: Vec::new(),
        replaces: None,
        reason: String::new(),
    };
    assert!(st.swap_draft(None, &draft).await.unwrap());
}

/// Everything a store holds, by kind, each kind's records in a stable order (the
/// outbox's in delivery order), with the server secret.
pub async fn content(st: &Store) -> (BTreeMap<String, Vec<String>>, [u8; 32]) {
    let mut records = Vec::new();
    let ex = st
        .export(&mut |r| {
            records.push(r);
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(ex.unreadable, 0, "every record reads");
    let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in &records {
        by.entry(r.kind().to_string())
            .or_default()
            .push(serde_json::to_string(r).unwrap());
    }
    for (kind, v) in by.iter_mut() {
        if kind != "outbox messages" {
            v.sort();
        }
    }
    (by, ex.secret)
}

/// The records of a store, in export order.
pub async fn records(st: &Store) -> Vec<Record> {
    let mut out = Vec::new();
    st.export(&mut |r| {
        out.push(r);
        Ok(())
    })
    .await
    .unwrap();
    out
}

/// The kinds [`fill_user`] makes.
pub const KINDS: [&str; 12] = [
    "applied updates",
    "faq drafts",
    "follows",
    "logged questions",
    "outbox messages",
    "queued reminders",
    "reminders done",
    "sequences",
    "sessions",
    "subscriptions",
    "ticket messages",
    "tickets",
];
