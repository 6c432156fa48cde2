//! The key-level operations a commit of the embedded store is resolved into ([`Op`]) and
//! the trees they touch ([`TreeId`]). Kept apart from the commit path so that the modules
//! which build operations (outbox, tickets, follows…) and the one that applies them
//! ([`super::commit`]) do not import each other.

use jiff::Timestamp;

use crate::store::Ticket;

/// The trees a commit may touch. A tree's index is written in journal records
/// ([`super::journal`]): add new trees at the end, never reorder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TreeId {
    Sessions,
    Questions,
    QuestionAskers,
    Subscriptions,
    ReminderQueue,
    RemindersDone,
    Tickets,
    TicketMessages,
    UserTickets,
    TicketCounter,
    Outbox,
    Applied,
    Watches,
    Profiles,
    Drafts,
    Erasing,
}

pub(super) const TREES: usize = 16;

pub(super) const ALL: [TreeId; TREES] = [
    TreeId::Sessions,
    TreeId::Questions,
    TreeId::QuestionAskers,
    TreeId::Subscriptions,
    TreeId::ReminderQueue,
    TreeId::RemindersDone,
    TreeId::Tickets,
    TreeId::TicketMessages,
    TreeId::UserTickets,
    TreeId::TicketCounter,
    TreeId::Outbox,
    TreeId::Applied,
    TreeId::Watches,
    TreeId::Profiles,
    TreeId::Drafts,
    TreeId::Erasing,
];

impl TreeId {
    pub(super) fn index(self) -> usize {
        self as usize
    }

    pub(super) fn from_index(i: usize) -> Option<TreeId> {
        ALL.get(i).copied()
    }
}

/// One key-level change of a commit, checked and resolved into writes by
/// [`super::EmbeddedStore::check`].
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Op {
    Put(TreeId, Vec<u8>, Vec<u8>),
    Remove(TreeId, Vec<u8>),
    /// Queues a reminder unless its identity is already done or its key already queued.
    QueueReminder {
        key: Vec<u8>,
        identity: Vec<u8>,
        value: Vec<u8>,
    },
    /// The whole commit conflicts unless the key holds exactly this value (`None`:
    /// absent).
    Expect(TreeId, Vec<u8>, Option<Vec<u8>>),
    /// The whole commit conflicts unless ticket `n` is (decoded) exactly this.
    ExpectTicket(u64, Option<Box<Ticket>>),
    /// The whole commit conflicts unless the profile alert under this key is (opened)
    /// exactly this.
    ExpectProfile(Vec<u8>, Option<Box<crate::store::profiles::ProfileAlert>>),
    /// The whole commit conflicts unless the follow under this key is (opened) exactly
    /// this.
    ExpectWatch(Vec<u8>, Option<Box<crate::store::Watch>>),
    /// A staff message about ticket `number` is recorded; the first becomes its own.
    TicketPosted {
        number: u64,
        chat: i64,
        message: i32,
    },
    /// Saves a session unless its revision moved on (`expect`), with the next revision.
    Session {
        key: Vec<u8>,
        expect: Option<u64>,
        /// Last activity and the sealed bytes.
        new: Option<(Timestamp, Vec<u8>)>,
    },
}
