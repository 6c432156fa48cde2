//! One atomic step per update: the session (compared with the revision that was read),
//! the data of the effects (subscriptions, follows, profile alerts, tickets, the question
//! log, erasure), the
//! update's id and the outgoing messages.
//!
//! A [`Commit`] is plain data describing *what* changes, built without reading the store;
//! each backend applies it whole or not at all ([`Committer::commit`]): the embedded
//! store as one journal record applied to its trees (replayed at open if a crash cut it
//! short), a SQL backend in one transaction. Whatever a change must read (the old
//! subscription, the ticket a message is about) the backend reads while applying it.

use async_trait::async_trait;
use jiff::Timestamp;

use super::outbox::{Claimed, Waiting};
use super::profiles::ProfileAlert;
use super::watches::Watch;
use super::{AskedQuestion, Revision, StoreError, Ticket, UserId};
use crate::knowledge::CallId;
use crate::outgoing::Entry;
use crate::schedule::{Offset, Subscription};

/// A session to save (`bytes: None`: to delete) if the stored one is still `expect`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionWrite {
    pub user: UserId,
    pub expect: Revision,
    pub bytes: Option<Vec<u8>>,
    /// The user's last activity (for expiry).
    pub touched: Timestamp,
}

/// One change inside a commit, besides the session and the outbox.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Update `id` is applied; the commit conflicts if it was already.
    Applied { id: u32, at: Timestamp },
    /// A question for the anonymous log; `by` is who asked (kept only so that their
    /// entries can be erased with them, never shown).
    LogQuestion {
        by: Option<UserId>,
        question: AskedQuestion,
    },
    /// Subscribe (or re-subscribe to a changed deadline) and queue the reminders.
    Subscribe {
        sub: Subscription,
        offsets: Vec<Offset>,
    },
    /// End one subscription (or all the user's, `call: None`) and its queued reminders.
    Unsubscribe {
        user: UserId,
        call: Option<CallId>,
        offsets: Vec<Offset>,
    },
    /// Store `ticket`; the commit conflicts unless the stored one is still `expect`
    /// (`None`: no ticket with that number yet).
    SaveTicket {
        expect: Option<Ticket>,
        ticket: Ticket,
    },
    /// Staff-chat message `message` in `chat` is about ticket `number`; the first such
    /// message becomes the ticket's own.
    TicketPosted {
        number: u64,
        chat: i64,
        message: i32,
    },
    /// Erase everything stored about the user (the session too, whatever else says).
    Erase(UserId),
    /// The user of a waiting entry was told of its delay; conflicts if it changed.
    Notified(Waiting),
    /// A user follows a call (or is following it again, with what they know now).
    Follow(Watch),
    /// A follower was told of a change: `new` replaces `old`; conflicts unless `old` is
    /// still stored as is.
    Refollow { old: Watch, new: Watch },
    /// Stop following one call (or all, `call: None`).
    Unfollow { user: UserId, call: Option<CallId> },
    /// A user asked for profile alerts (or asked again, with a new profile).
    SaveProfile(ProfileAlert),
    /// A profile was compared with new calls: `new` replaces `old`; conflicts unless
    /// `old` is still stored as is.
    Reprofile {
        old: ProfileAlert,
        new: ProfileAlert,
    },
    /// Stop profile alerts and forget the profile.
    DropProfile(UserId),
}

/// Everything one update (or one delivery) changes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Commit {
    pub(crate) session: Option<SessionWrite>,
    pub(crate) changes: Vec<Change>,
    pub(crate) outbox: Vec<Entry>,
    /// An outbox entry whose delivery this commit completes (removed if still as claimed).
    pub(crate) done: Option<Claimed>,
}

/// Why a commit was not applied.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// Something read before the commit changed meanwhile (a session saved by another
    /// update, a ticket changed, an update applied): read again and retry.
    #[error("changed meanwhile")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl CommitError {
    /// For writes that read nothing first and so cannot conflict.
    pub fn into_store(self) -> StoreError {
        match self {
            CommitError::Store(e) => e,
            CommitError::Conflict => StoreError::Contended("unexpected conflict"),
        }
    }
}

impl From<serde_json::Error> for CommitError {
    fn from(e: serde_json::Error) -> Self {
        CommitError::Store(StoreError::Encode(e))
    }
}

impl Commit {
    pub fn new() -> Commit {
        Commit::default()
    }

    /// Saves the session's bytes (`None`: deletes it) if the stored one is still
    /// `expect`; `touched` is the user's last activity.
    pub fn session(
        &mut self,
        user: UserId,
        expect: Revision,
        bytes: Option<Vec<u8>>,
        touched: Timestamp,
    ) -> &mut Self {
        self.session = Some(SessionWrite {
            user,
            expect,
            bytes,
            touched,
        });
        self
    }

    /// Records that update `id` is applied (the commit conflicts if it was already).
    pub fn applied(&mut self, id: u32) -> &mut Self {
        self.change(Change::Applied {
            id,
            at: Timestamp::now(),
        })
    }

    pub fn log_question(&mut self, by: Option<UserId>, question: AskedQuestion) -> &mut Self {
        self.change(Change::LogQuestion { by, question })
    }

    pub fn subscribe(&mut self, sub: Subscription, offsets: &[Offset]) -> &mut Self {
        self.change(Change::Subscribe {
            sub,
            offsets: offsets.to_vec(),
        })
    }

    pub fn unsubscribe(
        &mut self,
        user: UserId,
        call: Option<CallId>,
        offsets: &[Offset],
    ) -> &mut Self {
        self.change(Change::Unsubscribe {
            user,
            call,
            offsets: offsets.to_vec(),
        })
    }

    pub fn save_ticket(&mut self, expect: Option<Ticket>, ticket: Ticket) -> &mut Self {
        self.change(Change::SaveTicket { expect, ticket })
    }

    pub fn ticket_posted(&mut self, number: u64, chat: i64, message: i32) -> &mut Self {
        self.change(Change::TicketPosted {
            number,
            chat,
            message,
        })
    }

    pub fn erase(&mut self, user: UserId) -> &mut Self {
        self.change(Change::Erase(user))
    }

    pub fn follow(&mut self, w: Watch) -> &mut Self {
        self.change(Change::Follow(w))
    }

    pub fn refollow(&mut self, old: Watch, new: Watch) -> &mut Self {
        self.change(Change::Refollow { old, new })
    }

    pub fn unfollow(&mut self, user: UserId, call: Option<CallId>) -> &mut Self {
        self.change(Change::Unfollow { user, call })
    }

    pub fn save_profile(&mut self, p: ProfileAlert) -> &mut Self {
        self.change(Change::SaveProfile(p))
    }

    pub fn reprofile(&mut self, old: ProfileAlert, new: ProfileAlert) -> &mut Self {
        self.change(Change::Reprofile { old, new })
    }

    pub fn drop_profile(&mut self, user: UserId) -> &mut Self {
        self.change(Change::DropProfile(user))
    }

    pub fn notified(&mut self, w: &Waiting) -> &mut Self {
        self.change(Change::Notified(w.clone()))
    }

    fn change(&mut self, c: Change) -> &mut Self {
        self.changes.push(c);
        self
    }

    /// Stores a message to send.
    pub fn send(&mut self, entry: Entry) -> &mut Self {
        self.outbox.push(entry);
        self
    }

    pub fn send_all(&mut self, entries: impl IntoIterator<Item = Entry>) -> &mut Self {
        self.outbox.extend(entries);
        self
    }

    /// Completes the delivery of a claimed entry: it leaves the outbox with this commit.
    pub fn consume(&mut self, claimed: &Claimed) -> &mut Self {
        self.done = Some(claimed.clone());
        self
    }

    /// The messages this commit stores.
    pub fn entries(&self) -> &[Entry] {
        &self.outbox
    }

    /// The changes besides session and messages.
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    pub fn session_write(&self) -> Option<&SessionWrite> {
        self.session.as_ref()
    }

    pub fn is_empty(&self) -> bool {
        self.session.is_none()
            && self.changes.is_empty()
            && self.outbox.is_empty()
            && self.done.is_none()
    }
}

#[async_trait]
pub trait Committer: Send + Sync {
    /// Applies `c` whole or not at all (durable only after [`Committer::flush`]).
    async fn commit(&self, c: &Commit) -> Result<(), CommitError>;

    /// Makes every write so far durable: nothing may be sent before the state change
    /// that produced it is. Concurrent callers may share one flush.
    async fn flush(&self) -> Result<(), StoreError>;

    /// Makes durable every commit that stored messages (what the outbox sender needs
    /// before sending what it read), and the other commits (outbox completions) once more
    /// than `slack` of them are not: a completion lost in a crash sends its entry again,
    /// so `slack` adds to the repeats a crash may cause. A backend may skip the flush when
    /// one since covered them.
    async fn flush_commits(&self, _slack: u64) -> Result<(), StoreError> {
        self.flush().await
    }

    /// Resolves, with the reason, once this process can make no write durable any more:
    /// the backend failed in a way it does not recover from while open (the embedded
    /// store, after its log could not be written: a full or failing disk). The bot then
    /// stops, so that its service manager starts it again. A backend that recovers by
    /// itself (PostgreSQL reconnects) never resolves it.
    async fn unrecoverable(&self) -> String {
        std::future::pending().await
    }
}
