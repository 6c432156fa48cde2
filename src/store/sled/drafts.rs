//! FAQ drafts in sled: tree `faq_drafts` (id, big-endian → JSON [`Draft`]) and the id
//! sequence in `faq_draft_counter`. Opened by name on use, so the backend's struct of
//! trees does not change. A swap is sled's `compare_and_swap` on the stored bytes.

use async_trait::async_trait;

use super::SledStore;
use crate::store::StoreError;
use crate::store::drafts::{Draft, DraftStore};

pub(super) const TREE: &str = "faq_drafts";
pub(super) const COUNTER: &str = "faq_draft_counter";

impl SledStore {
    fn drafts_tree(&self) -> Result<sled::Tree, StoreError> {
        Ok(self.db.open_tree(TREE)?)
    }
}

#[async_trait]
impl DraftStore for SledStore {
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
        Ok(match self.drafts_tree()?.get(id.to_be_bytes())? {
            Some(v) => Some(serde_json::from_slice(&v)?),
            None => None,
        })
    }

    async fn drafts(&self) -> Result<Vec<Draft>, StoreError> {
        let mut out = Vec::new();
        for item in self.drafts_tree()?.iter() {
            let (_, v) = item?;
            out.push(serde_json::from_slice(&v)?);
        }
        Ok(out)
    }

    async fn swap_draft(&self, before: Option<&Draft>, new: &Draft) -> Result<bool, StoreError> {
        let _w = self.writing();
        let tree = self.drafts_tree()?;
        let key = new.id.to_be_bytes();
        // Compared with the bytes as stored, so a draft read and re-encoded matches.
        let old = match before {
            Some(b) => match tree.get(key)? {
                Some(v) if serde_json::from_slice::<Draft>(&v).ok().as_ref() == Some(b) => Some(v),
                _ => return Ok(false),
            },
            None => None,
        };
        let swapped = tree.compare_and_swap(key, old, Some(serde_json::to_vec(new)?))?;
        Ok(swapped.is_ok())
    }
}
