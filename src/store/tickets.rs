//! Help-desk tickets: what a ticket holds, and how they are kept. Changes to a ticket go
//! through a [`crate::store::Commit`] that compares it with the ticket as read (a ticket
//! changed meanwhile makes the commit conflict); numbers come from one unique sequence
//! ([`TicketStore::next_ticket_number`]), so two instances never give one number twice.
//! A staff-chat message is mapped to its ticket: the *only* way from a staff reply to a
//! user.

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::{StoreError, UserId};
use crate::text::Lang;

/// After a staff reply, the user's messages still go to the ticket for this long; then
/// the bot answers them again (the ticket stays listed until `/chiudi`).
pub const FOLLOW_UP_WINDOW: SignedDuration = SignedDuration::from_hours(24);

/// Where a ticket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    /// Waiting for staff.
    Open,
    /// Staff replied at least once; follow-ups are still welcome.
    Answered,
    /// Closed by staff (`/chiudi`) or withdrawn by the user (`/annulla`).
    Closed,
}

/// A question handed over to a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub number: u64,
    /// `None` once the user erased their data: replies then reach nobody.
    pub user: Option<UserId>,
    /// The user's name as Telegram shows it (empty after erasure).
    pub name: String,
    pub question: String,
    /// The call being discussed, by its short name.
    pub call: Option<String>,
    /// Eligibility answers given so far: (question label, answer).
    pub answers: Vec<(String, String)>,
    pub follow_ups: Vec<String>,
    pub opened: Timestamp,
    pub status: Status,
    /// The last staff reply delivered to the user.
    pub last_reply: Option<Timestamp>,
    /// The ticket's first message in the staff group (follow-ups reply to it).
    pub message: Option<i32>,
    /// The language the user is answered in: what the bot tells them about the ticket
    /// is in it; staff always see Italian, with a note when the user writes another.
    #[serde(default)]
    pub lang: Lang,
}

impl Ticket {
    /// Whether the user's messages go to this ticket rather than to the bot.
    pub fn takes_follow_ups(&self, now: Timestamp) -> bool {
        match self.status {
            Status::Closed => false,
            Status::Open => true,
            Status::Answered => self
                .last_reply
                .is_none_or(|t| now.duration_since(t) < FOLLOW_UP_WINDOW),
        }
    }

    /// Drops every personal field (for `/cancellami`); number, times and status stay so
    /// that staff see the ticket is gone.
    pub fn forget_user(&mut self) {
        self.user = None;
        self.name.clear();
        self.question.clear();
        self.call = None;
        self.answers.clear();
        self.follow_ups.clear();
        self.status = Status::Closed;
    }
}

/// What a new ticket holds before it has a number.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTicket {
    pub user: UserId,
    pub name: String,
    pub question: String,
    pub call: Option<String>,
    pub answers: Vec<(String, String)>,
    pub lang: Lang,
}

impl NewTicket {
    /// The ticket it becomes with number `n`, opened at `now`.
    pub fn numbered(self, n: u64, now: Timestamp) -> Ticket {
        Ticket {
            number: n,
            user: Some(self.user),
            name: self.name,
            question: self.question,
            call: self.call,
            answers: self.answers,
            follow_ups: Vec::new(),
            opened: now,
            status: Status::Open,
            last_reply: None,
            message: None,
            lang: self.lang,
        }
    }
}

#[async_trait]
pub trait TicketStore: Send + Sync {
    /// Takes the next number of the sequence (never given twice, even if the ticket is
    /// never stored).
    async fn next_ticket_number(&self) -> Result<u64, StoreError>;

    async fn ticket(&self, n: u64) -> Result<Option<Ticket>, StoreError>;

    /// Every ticket, oldest first.
    async fn tickets(&self) -> Result<Vec<Ticket>, StoreError>;

    /// The user's tickets, oldest first.
    async fn tickets_of(&self, user: UserId) -> Result<Vec<Ticket>, StoreError>;

    /// The ticket a staff-chat message belongs to.
    async fn ticket_of_message(
        &self,
        chat: i64,
        message: i32,
    ) -> Result<Option<Ticket>, StoreError>;

    /// The user's newest ticket that still takes follow-ups.
    async fn following_ticket(
        &self,
        user: UserId,
        now: Timestamp,
    ) -> Result<Option<Ticket>, StoreError> {
        Ok(self
            .tickets_of(user)
            .await?
            .into_iter()
            .rev()
            .find(|t| t.takes_follow_ups(now)))
    }
}
