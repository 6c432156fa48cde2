//! Tickets in sled: `tickets` (number → [`Ticket`]), `ticket_messages` (staff chat ‖
//! message id → number: the *only* way from a staff reply to a user), `user_tickets`
//! (user ‖ number → ∅) and the counter in `ticket_counter`.
//!
//! Each write comes in two forms: a method that writes at once, and one that adds the
//! same change to a [`Commit`], so that a ticket is stored in the same atomic write as
//! the update that opened it and the messages about it.

use jiff::Timestamp;

use super::{NewTicket, Status, Ticket};
use crate::store::commit::{Commit, CommitError, Op, TreeId};
use crate::store::{Store, StoreError, UserId};

pub(crate) fn number_key(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

pub(crate) fn message_key(chat: i64, message: i32) -> Vec<u8> {
    let mut k = UserId(chat).key().to_vec();
    k.extend(message.to_be_bytes());
    k
}

pub(crate) fn user_ticket_key(user: UserId, n: u64) -> Vec<u8> {
    let mut k = user.key().to_vec();
    k.extend(n.to_be_bytes());
    k
}

/// Ticket operations on the shared database.
impl Store {
    fn next_ticket_number(&self) -> Result<(Option<Vec<u8>>, u64), StoreError> {
        let old = self.ticket_counter.get(b"next")?.map(|v| v.to_vec());
        let prev = old
            .as_deref()
            .and_then(|b| b.try_into().ok())
            .map(u64::from_be_bytes)
            .unwrap_or(0);
        Ok((old, prev + 1))
    }

    /// Adds a new ticket with the next number to `commit`; the commit fails with a
    /// conflict if another ticket takes that number first (read again and retry).
    pub(crate) fn open_ticket_in(
        &self,
        commit: &mut Commit,
        t: NewTicket,
        now: Timestamp,
    ) -> Result<Ticket, StoreError> {
        let (old, n) = self.next_ticket_number()?;
        let ticket = Ticket {
            number: n,
            user: Some(t.user),
            name: t.name,
            question: t.question,
            call: t.call,
            answers: t.answers,
            follow_ups: Vec::new(),
            opened: now,
            status: Status::Open,
            last_reply: None,
            message: None,
            lang: t.lang,
        };
        commit
            .op(Op::Expect(TreeId::TicketCounter, b"next".to_vec(), old))
            .op(Op::Put(
                TreeId::TicketCounter,
                b"next".to_vec(),
                n.to_be_bytes().to_vec(),
            ))
            .op(self.save_ticket_op(&ticket)?)
            .op(Op::Put(
                TreeId::UserTickets,
                user_ticket_key(t.user, n),
                Vec::new(),
            ));
        Ok(ticket)
    }

    /// Creates a ticket with the next number.
    pub fn open_ticket(&self, t: NewTicket, now: Timestamp) -> Result<Ticket, StoreError> {
        loop {
            let mut c = Commit::new();
            let ticket = self.open_ticket_in(&mut c, t.clone(), now)?;
            match self.commit(&c) {
                Ok(()) => return Ok(ticket),
                Err(CommitError::Conflict) => continue,
                Err(CommitError::Store(e)) => return Err(e),
            }
        }
    }

    pub fn ticket(&self, n: u64) -> Result<Option<Ticket>, StoreError> {
        Ok(match self.tickets.get(number_key(n))? {
            Some(v) => Some(serde_json::from_slice(&v)?),
            None => None,
        })
    }

    pub(crate) fn save_ticket_op(&self, t: &Ticket) -> Result<Op, StoreError> {
        Ok(Op::Put(
            TreeId::Tickets,
            number_key(t.number).to_vec(),
            serde_json::to_vec(t)?,
        ))
    }

    pub fn save_ticket(&self, t: &Ticket) -> Result<(), StoreError> {
        self.tickets
            .insert(number_key(t.number), serde_json::to_vec(t)?)?;
        Ok(())
    }

    /// Every ticket, oldest first.
    pub fn tickets(&self) -> Result<Vec<Ticket>, StoreError> {
        let mut out = Vec::new();
        for item in self.tickets.iter() {
            let (_, v) = item?;
            out.push(serde_json::from_slice(&v)?);
        }
        Ok(out)
    }

    /// The user's tickets, oldest first.
    pub fn tickets_of(&self, user: UserId) -> Result<Vec<Ticket>, StoreError> {
        let mut out = Vec::new();
        for item in self.user_tickets.scan_prefix(user.key()) {
            let (k, _) = item?;
            let Some(n) = k.get(8..16).and_then(|b| b.try_into().ok()) else {
                continue;
            };
            if let Some(t) = self.ticket(u64::from_be_bytes(n))? {
                out.push(t);
            }
        }
        Ok(out)
    }

    /// The user's newest ticket that still takes follow-ups.
    pub fn following_ticket(
        &self,
        user: UserId,
        now: Timestamp,
    ) -> Result<Option<Ticket>, StoreError> {
        Ok(self
            .tickets_of(user)?
            .into_iter()
            .rev()
            .find(|t| t.takes_follow_ups(now)))
    }

    /// The changes recording that staff-chat message `message` is about ticket `n`; the
    /// first such message becomes the ticket's own.
    pub(crate) fn ticket_posted_ops(
        &self,
        n: u64,
        chat: i64,
        message: i32,
    ) -> Result<Vec<Op>, StoreError> {
        let mut ops = vec![Op::Put(
            TreeId::TicketMessages,
            message_key(chat, message),
            number_key(n).to_vec(),
        )];
        if let Some(mut t) = self.ticket(n)?
            && t.message.is_none()
        {
            t.message = Some(message);
            ops.push(self.save_ticket_op(&t)?);
        }
        Ok(ops)
    }

    /// Records that staff-chat message `message` is about ticket `n`; the first such
    /// message becomes the ticket's own.
    pub fn ticket_posted(&self, n: u64, chat: i64, message: i32) -> Result<(), StoreError> {
        let mut c = Commit::new();
        c.ops(self.ticket_posted_ops(n, chat, message)?);
        self.commit(&c).map_err(CommitError::into_store)
    }

    /// The ticket a staff-chat message belongs to.
    pub fn ticket_of_message(&self, chat: i64, message: i32) -> Result<Option<Ticket>, StoreError> {
        match self.ticket_messages.get(message_key(chat, message))? {
            Some(v) => match v.as_ref().try_into() {
                Ok(b) => self.ticket(u64::from_be_bytes(b)),
                Err(_) => Ok(None),
            },
            None => Ok(None),
        }
    }

    /// The changes that erase the personal fields of the user's tickets and the user →
    /// ticket map.
    pub(crate) fn forget_tickets_ops(&self, user: UserId) -> Result<Vec<Op>, StoreError> {
        let mut ops = Vec::new();
        for mut t in self.tickets_of(user)? {
            t.forget_user();
            ops.push(self.save_ticket_op(&t)?);
        }
        for item in self.user_tickets.scan_prefix(user.key()) {
            ops.push(Op::Remove(TreeId::UserTickets, item?.0.to_vec()));
        }
        Ok(ops)
    }

    /// Erases the personal fields of the user's tickets and the user → ticket map.
    pub fn forget_tickets_of(&self, user: UserId) -> Result<(), StoreError> {
        let mut c = Commit::new();
        c.ops(self.forget_tickets_ops(user)?);
        self.commit(&c).map_err(CommitError::into_store)
    }
}
