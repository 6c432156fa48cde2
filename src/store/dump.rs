//! A backend-neutral snapshot of every kind of data: what `sportello backup` writes,
//! `sportello restore` reads, and what moving a deployment from one backend to another
//! is made of (export from one, import into the other).
//!
//! A [`Record`] is one stored thing in its *logical* form, as the traits in this module's
//! siblings hand it out: a session's bytes in clear, a ticket as a [`Ticket`], a queued
//! reminder as a [`Queued`]. Nothing in it is a backend's encoding, its sealing or its
//! keys, so any backend can write what another exported. What is derived from other
//! records (the embedded store's user → ticket and asker → question maps) is not
//! exported: the importer rebuilds it.
//!
//! **Users appear by pseudonym where the backend keeps no id.** A session is found under
//! the user's [`Pseudonym`] (the store never learns the id from the engine's bytes), and
//! the question log names its askers only by pseudonym. Pseudonyms are HMACs under the
//! server secret, so a snapshot carries that secret ([`Exported::secret`]) and the
//! importing backend must use it ([`Dump::import`] takes it: the embedded store is
//! created with it, PostgreSQL adopts it): otherwise nobody would find their session
//! again, and erasure would miss their questions.
//!
//! **Consistency.** [`Dump::export`] sees one point in time across every kind: no commit
//! is half in it (the embedded store holds its commit gate and every other write path
//! while it scans; a SQL backend reads in one repeatable-read transaction).

use std::collections::{BTreeMap, HashSet};

use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::drafts::Draft;
use super::follows::{Done, Queued};
use super::profiles::ProfileAlert;
use super::shred::Pseudonym;
use super::watches::Watch;
use super::{AskedQuestion, StoreError, Ticket, UserId};
use crate::outgoing::Entry;
use crate::schedule::Subscription;

/// One stored thing, in its logical form (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// A user's session: the engine's bytes with their revision and last activity.
    Session {
        who: Pseudonym,
        revision: u64,
        touched: Timestamp,
        bytes: Vec<u8>,
    },
    /// A user following a call's deadline.
    Subscription { sub: Subscription },
    /// A reminder waiting in the queue (claims are not kept: a restored queue is free),
    /// due at `due` (a retried item's due time moves on from its plan's).
    Queued { due: Timestamp, queued: Queued },
    /// A reminder that left the queue, so it is never queued again. `identity` is
    /// [`crate::schedule::Planned::identity`] without its leading user id.
    ReminderDone {
        who: Pseudonym,
        identity: Vec<u8>,
        done: Done,
    },
    /// A help-desk ticket (the user's side empty once they were erased).
    Ticket { ticket: Ticket },
    /// A staff-chat message about ticket `number`.
    TicketMessage {
        chat: i64,
        message: i32,
        number: u64,
    },
    /// A question in the anonymous log; `asker` only so erasing them erases it.
    Question {
        asker: Option<Pseudonym>,
        question: AskedQuestion,
    },
    /// A message waiting in the outbox, in delivery order (claims are not kept).
    Outbox(OutboxRecord),
    /// A Telegram update already applied (so a redelivery is not applied twice).
    Applied { id: u32, at: Timestamp },
    /// A user following a call («🔔 Avvisami»).
    Watch { watch: Watch },
    /// A user's profile alert («Avvisami se esce un bando adatto a me»).
    Profile { alert: ProfileAlert },
    /// A FAQ draft written by staff.
    Draft { draft: Draft },
    /// The last number a sequence gave (the next one is above it).
    Sequence { name: Sequence, last: u64 },
}

/// A message waiting in the outbox, with its delivery state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxRecord {
    /// Whose key sealed it (`None`: the server's, e.g. the confirmation of an erasure).
    pub owner: Option<Pseudonym>,
    pub entry: Entry,
    pub attempts: u32,
    /// Not to be sent before this.
    pub not_before: Option<Timestamp>,
    /// Its user was told it is delayed.
    pub notified: bool,
    pub stored_at: Timestamp,
}

/// The unique sequences a backend keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sequence {
    Tickets,
    Drafts,
}

impl Record {
    /// The kind's name, as reported and counted.
    pub fn kind(&self) -> &'static str {
        match self {
            Record::Session { .. } => "sessions",
            Record::Subscription { .. } => "subscriptions",
            Record::Queued { .. } => "queued reminders",
            Record::ReminderDone { .. } => "reminders done",
            Record::Ticket { .. } => "tickets",
            Record::TicketMessage { .. } => "ticket messages",
            Record::Question { .. } => "logged questions",
            Record::Outbox(_) => "outbox messages",
            Record::Applied { .. } => "applied updates",
            Record::Watch { .. } => "follows",
            Record::Profile { .. } => "profile alerts",
            Record::Draft { .. } => "faq drafts",
            Record::Sequence { .. } => "sequences",
        }
    }

    /// Whether this record is (about) one of the `erased` users, pseudonyms under
    /// `secret`: what erasing them would remove.
    pub fn is_about(&self, erased: &HashSet<Pseudonym>, secret: &[u8; 32]) -> bool {
        let user = |u: UserId| erased.contains(&Pseudonym::of(secret, u));
        match self {
            Record::Session { who, .. } | Record::ReminderDone { who, .. } => erased.contains(who),
            Record::Subscription { sub } => user(sub.user),
            Record::Queued { queued, .. } => user(queued.item.user),
            Record::Ticket { ticket } => ticket.user.is_some_and(user),
            Record::Question { asker, .. } => asker.is_some_and(|a| erased.contains(&a)),
            Record::Outbox(o) => {
                o.owner.is_some_and(|a| erased.contains(&a))
                    || (o.entry.chat > 0 && user(UserId(o.entry.chat)))
            }
            Record::Watch { watch } => user(watch.user),
            Record::Profile { alert } => user(alert.user),
            Record::TicketMessage { .. }
            | Record::Applied { .. }
            | Record::Draft { .. }
            | Record::Sequence { .. } => false,
        }
    }

    /// What is left of this record once the users in `erased` are erased: `None` when
    /// it goes whole, a ticket without its personal fields (as [`Ticket::forget_user`]).
    pub fn erase(self, erased: &HashSet<Pseudonym>, secret: &[u8; 32]) -> Option<Record> {
        if !self.is_about(erased, secret) {
            return Some(self);
        }
        match self {
            Record::Ticket { mut ticket } => {
                ticket.forget_user();
                Some(Record::Ticket { ticket })
            }
            _ => None,
        }
    }
}

/// Records counted per kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts(pub BTreeMap<String, u64>);

impl Counts {
    pub fn add(&mut self, r: &Record) {
        *self.0.entry(r.kind().to_string()).or_default() += 1;
    }

    pub fn of<'a>(records: impl IntoIterator<Item = &'a Record>) -> Counts {
        let mut c = Counts::default();
        for r in records {
            c.add(r);
        }
        c
    }

    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("nothing");
        }
        let parts: Vec<String> = self.0.iter().map(|(k, n)| format!("{n} {k}")).collect();
        f.write_str(&parts.join(", "))
    }
}

/// What an export found besides its records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    /// The secret pseudonyms are made with (see the module documentation).
    pub secret: [u8; 32],
    /// Records that could not be read (a key lost, a foreign format) and were left out.
    pub unreadable: u64,
}

/// Receives exported records one at a time, in the order they are to be imported.
pub type Sink<'a> = &'a mut (dyn FnMut(Record) -> Result<(), StoreError> + Send);

#[async_trait]
pub trait Dump: Send + Sync {
    /// The backend's name, as a backup's header records it (`embedded`, `postgres`;
    /// backups written before issue 11 say `sled`).
    fn backend(&self) -> &'static str;

    /// Hands every record to `sink`, one point in time across every kind (commits wait
    /// meanwhile; keep `sink` quick: it only buffers).
    async fn export(&self, sink: Sink<'_>) -> Result<Exported, StoreError>;

    /// Writes `records` (a whole export, in its order) into this store, whose pseudonyms
    /// must then be made with `secret` (the export's). A store that holds data is refused
    /// ([`StoreError::NotEmpty`]) unless `force`, which replaces its content where the
    /// backend can: PostgreSQL empties its tables and adopts `secret` in the import's
    /// one transaction; the embedded store imports only into a database created empty
    /// with `secret` ([`crate::store::Store::create_restored`]; a restore replaces the
    /// directory).
    async fn import(
        &self,
        secret: &[u8; 32],
        records: Vec<Record>,
        force: bool,
    ) -> Result<(), StoreError>;

    /// Whether the store holds no record at all.
    async fn is_empty(&self) -> Result<bool, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Status;

    fn ticket(user: Option<i64>) -> Ticket {
        Ticket {
            number: 1,
            user: user.map(UserId),
            name: "Zebedeo".into(),
            question: "posso?".into(),
            call: None,
            answers: vec![],
            follow_ups: vec![],
            opened: Timestamp::UNIX_EPOCH,
            status: Status::Open,
            last_reply: None,
            message: Some(4),
            lang: Default::default(),
        }
    }

    #[test]
    fn erasing_drops_a_users_records_and_keeps_their_tickets_numbers_only() {
        let secret = [3; 32];
        let erased: HashSet<_> = [Pseudonym::of(&secret, UserId(7))].into();
        let session = |u| Record::Session {
            who: Pseudonym::of(&secret, UserId(u)),
            revision: 1,
            touched: Timestamp::UNIX_EPOCH,
            bytes: b"x".to_vec(),
        };
        assert_eq!(session(7).erase(&erased, &secret), None);
        assert_eq!(session(8).erase(&erased, &secret), Some(session(8)));
        let Some(Record::Ticket { ticket: t }) = (Record::Ticket {
            ticket: ticket(Some(7)),
        })
        .erase(&erased, &secret) else {
            panic!("a ticket stays");
        };
        assert_eq!((t.number, t.user, t.name.as_str()), (1, None, ""));
        assert_eq!(t.status, Status::Closed);
        let other = Record::Ticket {
            ticket: ticket(Some(8)),
        };
        assert_eq!(other.clone().erase(&erased, &secret), Some(other));
    }

    #[test]
    fn records_survive_their_encoding() {
        let r = Record::Sequence {
            name: Sequence::Tickets,
            last: 41,
        };
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<Record>(&json).unwrap(), r);
        assert!(json.contains("\"kind\":\"sequence\""));
    }
}
