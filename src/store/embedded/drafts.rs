//! FAQ drafts in the embedded store: tree `faq_drafts` (id, big-endian → sealed JSON
//! [`Draft`]) and the id sequence in `faq_draft_counter`. A swap is the store's
//! `compare_and_swap` on the stored bytes.
//!
//! A draft copies a user's question from their ticket, so until it is published it is
//! that user's data: it is sealed for the ticket's user (like the ticket itself), and
//! erasing the user removes it and leaves its old versions as noise. Once published (or
//! withdrawn after publication) it is staff-edited knowledge, in the knowledge files for
//! anyone to read: it is sealed with the server's key and outlives the user. Drafts of no
//! ticket (written from `/statistiche`) are sealed with the server's key too.

use async_trait::async_trait;

use super::EmbeddedStore;
use super::ops::{Op, TreeId};
use crate::store::StoreError;
use crate::store::drafts::{Draft, DraftStore};

pub(super) const TREE: &str = "faq_drafts";
pub(super) const COUNTER: &str = "faq_draft_counter";

impl EmbeddedStore {
    /// The user a draft is sealed for: the user of its ticket until it is published.
    fn draft_owner(&self, d: &Draft) -> Result<Option<crate::store::UserId>, StoreError> {
        match d.ticket {
            Some(n) if d.status.personal() => self.ticket_user(n),
            _ => Ok(None),
        }
    }

    pub(super) fn encode_draft(&self, d: &Draft) -> Result<Vec<u8>, StoreError> {
        let owner = self.draft_owner(d)?;
        self.seal(owner, &serde_json::to_vec(d)?)
    }

    /// A draft as stored; `None` once its user was erased. (Drafts written before they
    /// were sealed are plain JSON; they are sealed at their next change.)
    pub(super) fn decode_draft(&self, v: &[u8]) -> Option<Draft> {
        match self.open_sealed(v) {
            Some(plain) => serde_json::from_slice(&plain).ok(),
            None => serde_json::from_slice(v).ok(),
        }
    }

    /// The writes that remove the drafts sealed for `user` (unpublished, from their
    /// tickets).
    pub(super) fn drafts_of(&self, user: crate::store::UserId) -> Result<Vec<Op>, StoreError> {
        let who = Some(self.who(user));
        let mut ops = Vec::new();
        for item in self.drafts.iter() {
            let (k, v) = item?;
            if EmbeddedStore::owner_of(&v) == who {
                ops.push(Op::Remove(TreeId::Drafts, k.to_vec()));
            }
        }
        Ok(ops)
    }
}

#[async_trait]
impl DraftStore for EmbeddedStore {
    async fn next_draft_id(&self) -> Result<u64, StoreError> {
        let _w = self.writing();
        let tree = self.db.open_tree(COUNTER)?;
        // An atomic increment: a number is never given twice, and they are consecutive
        // for staff typing them (`/faq ritira 3`).
        let v = tree.update_and_fetch(b"n", |old| {
            let n = old
                .and_then(|b| b.try_into().ok())
                .map_or(0, u64::from_be_bytes);
            Some((n + 1).to_be_bytes().to_vec())
        })?;
        Ok(v.and_then(|b| b.as_ref().try_into().ok())
            .map_or(1, u64::from_be_bytes))
    }

    async fn draft(&self, id: u64) -> Result<Option<Draft>, StoreError> {
        Ok(self
            .drafts
            .get(id.to_be_bytes())?
            .and_then(|v| self.decode_draft(&v)))
    }

    async fn drafts(&self) -> Result<Vec<Draft>, StoreError> {
        let mut out = Vec::new();
        for item in self.drafts.iter() {
            let (_, v) = item?;
            out.extend(self.decode_draft(&v));
        }
        Ok(out)
    }

    async fn swap_draft(&self, before: Option<&Draft>, new: &Draft) -> Result<bool, StoreError> {
        let _w = self.writing();
        let key = new.id.to_be_bytes();
        // Compared with the bytes as stored (sealing is not deterministic), so a draft
        // read and changed matches what it was read from.
        let old = match before {
            Some(b) => match self.drafts.get(key)? {
                Some(v) if self.decode_draft(&v).as_ref() == Some(b) => Some(v),
                _ => return Ok(false),
            },
            None => None,
        };
        let swapped = self
            .drafts
            .compare_and_swap(key, old, Some(self.encode_draft(new)?))?;
        Ok(swapped.is_ok())
    }
}
