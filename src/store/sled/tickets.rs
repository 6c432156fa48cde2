//! Tickets in sled: `tickets` (number → [`Ticket`]), `ticket_messages` (staff chat ‖
//! message id → number), `user_tickets` (user ‖ number → ∅) and the number sequence in
//! `ticket_counter` (an atomic increment: a number is never given twice).

use async_trait::async_trait;

use super::SledStore;
use super::commit::{Op, TreeId};
use crate::store::{StoreError, Ticket, TicketStore, UserId};

pub(super) fn number_key(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

pub(super) fn message_key(chat: i64, message: i32) -> Vec<u8> {
    let mut k = UserId(chat).key().to_vec();
    k.extend(message.to_be_bytes());
    k
}

fn user_ticket_key(user: UserId, n: u64) -> Vec<u8> {
    let mut k = user.key().to_vec();
    k.extend(n.to_be_bytes());
    k
}

impl SledStore {
    fn ticket_now(&self, n: u64) -> Result<Option<Ticket>, StoreError> {
        Ok(match self.tickets.get(number_key(n))? {
            Some(v) => Some(serde_json::from_slice(&v)?),
            None => None,
        })
    }

    fn ticket_numbers_of(&self, user: UserId) -> Result<Vec<(Vec<u8>, u64)>, StoreError> {
        let mut out = Vec::new();
        for item in self.user_tickets.scan_prefix(user.key()) {
            let (k, _) = item?;
            if let Some(n) = k.get(8..16).and_then(|b| b.try_into().ok()) {
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
            serde_json::to_vec(t)?,
        )];
        if let Some(user) = t.user {
            ops.push(Op::Put(
                TreeId::UserTickets,
                user_ticket_key(user, t.number),
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
                    serde_json::to_vec(&t)?,
                ));
            }
            ops.push(Op::Remove(TreeId::UserTickets, key));
        }
        Ok(ops)
    }
}

#[async_trait]
impl TicketStore for SledStore {
    async fn next_ticket_number(&self) -> Result<u64, StoreError> {
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
            out.push(serde_json::from_slice(&v)?);
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
