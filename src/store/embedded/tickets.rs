//! Tickets in the embedded store: `tickets` (number → record), `ticket_messages` (staff
//! chat ‖ message id → number), `user_tickets` (user's pseudonym ‖ number → ∅) and the
//! number sequence in `ticket_counter` (an atomic increment: a number is never given
//! twice).
//!
//! A record is format (2) ‖ length ‖ the staff's side in clear (number, times, status,
//! staff message) ‖ the user's side (who, name, question, call, answers, follow-ups)
//! sealed for the user: staff-side changes never open the user's side, and erasing the
//! user leaves the staff's side readable.

use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::EmbeddedStore;
use super::ops::{Op, TreeId};
use crate::store::shred::PSEUDONYM;
use crate::store::{Status, StoreError, Ticket, TicketStore, UserId};

const FORMAT: u8 = 2;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct StaffSide {
    pub number: u64,
    pub opened: Timestamp,
    pub status: Status,
    pub last_reply: Option<Timestamp>,
    pub message: Option<i32>,
    /// The language the user is answered in (not personal: staff see it on the card).
    #[serde(default)]
    pub lang: crate::text::Lang,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct UserSide {
    user: Option<UserId>,
    name: String,
    question: String,
    call: Option<String>,
    answers: Vec<(String, String)>,
    follow_ups: Vec<String>,
}

/// The staff's side of a record and the sealed user's side.
pub(super) fn split(v: &[u8]) -> Option<(StaffSide, &[u8])> {
    if v.first() != Some(&FORMAT) {
        return None;
    }
    let len = u32::from_be_bytes(v.get(1..5)?.try_into().ok()?) as usize;
    let staff = serde_json::from_slice(v.get(5..5 + len)?).ok()?;
    Some((staff, v.get(5 + len..)?))
}

pub(super) fn join(staff: &StaffSide, sealed: &[u8]) -> Result<Vec<u8>, serde_json::Error> {
    let clear = serde_json::to_vec(staff)?;
    let mut v = vec![FORMAT];
    v.extend((clear.len() as u32).to_be_bytes());
    v.extend(clear);
    v.extend_from_slice(sealed);
    Ok(v)
}

pub(super) fn number_key(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

pub(super) fn message_key(chat: i64, message: i32) -> Vec<u8> {
    let mut k = UserId(chat).key().to_vec();
    k.extend(message.to_be_bytes());
    k
}

impl EmbeddedStore {
    pub(super) fn user_ticket_key(&self, user: UserId, n: u64) -> Vec<u8> {
        let mut k = self.who(user).0.to_vec();
        k.extend(n.to_be_bytes());
        k
    }

    /// A ticket as stored; the user's side is empty once the user was erased.
    pub(super) fn decode_ticket(&self, v: &[u8]) -> Option<Ticket> {
        let (staff, sealed) = split(v)?;
        let user: UserSide = self
            .open_sealed(sealed)
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        Some(Ticket {
            number: staff.number,
            user: user.user,
            name: user.name,
            question: user.question,
            call: user.call,
            answers: user.answers,
            follow_ups: user.follow_ups,
            opened: staff.opened,
            status: staff.status,
            last_reply: staff.last_reply,
            message: staff.message,
            lang: staff.lang,
        })
    }

    pub(super) fn encode_ticket(&self, t: &Ticket) -> Result<Vec<u8>, StoreError> {
        let staff = StaffSide {
            number: t.number,
            opened: t.opened,
            status: t.status,
            last_reply: t.last_reply,
            message: t.message,
            lang: t.lang,
        };
        let user = UserSide {
            user: t.user,
            name: t.name.clone(),
            question: t.question.clone(),
            call: t.call.clone(),
            answers: t.answers.clone(),
            follow_ups: t.follow_ups.clone(),
        };
        let sealed = self.seal(t.user, &serde_json::to_vec(&user)?)?;
        Ok(join(&staff, &sealed)?)
    }

    fn ticket_now(&self, n: u64) -> Result<Option<Ticket>, StoreError> {
        Ok(self
            .tickets
            .get(number_key(n))?
            .and_then(|v| self.decode_ticket(&v)))
    }

    /// The user a ticket belongs to.
    pub(super) fn ticket_user(&self, n: u64) -> Result<Option<UserId>, StoreError> {
        Ok(self.ticket_now(n)?.and_then(|t| t.user))
    }

    fn ticket_numbers_of(&self, user: UserId) -> Result<Vec<(Vec<u8>, u64)>, StoreError> {
        let mut out = Vec::new();
        for item in self.user_tickets.scan_prefix(self.who(user).0) {
            let (k, _) = item?;
            if let Some(n) = k
                .get(PSEUDONYM..PSEUDONYM + 8)
                .and_then(|b| b.try_into().ok())
            {
                out.push((k.to_vec(), u64::from_be_bytes(n)));
            }
        }
        Ok(out)
    }

    /// The writes that store `t` (and map its user to it).
    pub(super) fn save_ticket_ops(&self, t: &Ticket) -> Result<Vec<Op>, StoreError> {
        let mut ops = vec![Op::Put(
            TreeId::Tickets,
            number_key(t.number).to_vec(),
            self.encode_ticket(t)?,
        )];
        if let Some(user) = t.user {
            ops.push(Op::Put(
                TreeId::UserTickets,
                self.user_ticket_key(user, t.number),
                Vec::new(),
            ));
        }
        Ok(ops)
    }

    /// The writes that erase the personal fields of the user's tickets and the user →
    /// ticket map.
    pub(super) fn forget_tickets_ops(&self, user: UserId) -> Result<Vec<Op>, StoreError> {
        let mut ops = Vec::new();
        for (key, n) in self.ticket_numbers_of(user)? {
            if let Some(mut t) = self.ticket_now(n)? {
                t.forget_user();
                ops.push(Op::Put(
                    TreeId::Tickets,
                    number_key(n).to_vec(),
                    self.encode_ticket(&t)?,
                ));
            }
            ops.push(Op::Remove(TreeId::UserTickets, key));
        }
        Ok(ops)
    }
}

#[async_trait]
impl TicketStore for EmbeddedStore {
    async fn next_ticket_number(&self) -> Result<u64, StoreError> {
        let _w = self.writing();
        let v = self.ticket_counter.update_and_fetch(b"next", |old| {
            let prev = old
                .and_then(|b| b.try_into().ok())
                .map(u64::from_be_bytes)
                .unwrap_or(0);
            Some((prev + 1).to_be_bytes().to_vec())
        })?;
        v.as_deref()
            .and_then(|b| b.try_into().ok())
            .map(u64::from_be_bytes)
            .ok_or(StoreError::Contended("ticket counter"))
    }

    async fn ticket(&self, n: u64) -> Result<Option<Ticket>, StoreError> {
        self.ticket_now(n)
    }

    async fn tickets(&self) -> Result<Vec<Ticket>, StoreError> {
        let mut out = Vec::new();
        for item in self.tickets.iter() {
            let (_, v) = item?;
            out.extend(self.decode_ticket(&v));
        }
        Ok(out)
    }

    async fn tickets_of(&self, user: UserId) -> Result<Vec<Ticket>, StoreError> {
        let mut out = Vec::new();
        for (_, n) in self.ticket_numbers_of(user)? {
            if let Some(t) = self.ticket_now(n)? {
                out.push(t);
            }
        }
        Ok(out)
    }

    async fn ticket_of_message(
        &self,
        chat: i64,
        message: i32,
    ) -> Result<Option<Ticket>, StoreError> {
        match self.ticket_messages.get(message_key(chat, message))? {
            Some(v) => match v.as_ref().try_into() {
                Ok(b) => self.ticket_now(u64::from_be_bytes(b)),
                Err(_) => Ok(None),
            },
            None => Ok(None),
        }
    }
}
