//! The anonymous question log in the `questions` tree: asked-at second (u64
//! big-endian) ‖ a unique id → the entry, so a range scan reads a period and a purge
//! removes a prefix of the tree. `question_askers` (user key ‖ question key → ∅) only
//! serves erasure.

use async_trait::async_trait;
use jiff::Timestamp;

use super::SledStore;
use super::commit::{Op, TreeId};
use crate::store::{AskedQuestion, QuestionLog, StoreError, UserId};

fn time_key(t: Timestamp) -> [u8; 8] {
    (t.as_second().max(0) as u64).to_be_bytes()
}

impl SledStore {
    /// The key and value of a new entry.
    pub(super) fn question_entry(
        &self,
        q: &AskedQuestion,
    ) -> Result<(Vec<u8>, Vec<u8>), StoreError> {
        let mut key = time_key(q.at).to_vec();
        key.extend(self.db.generate_id()?.to_be_bytes());
        Ok((key, serde_json::to_vec(q)?))
    }

    /// The writes that remove the questions `user` asked.
    pub(super) fn questions_of(&self, user: UserId) -> Result<Vec<Op>, StoreError> {
        let mut ops = Vec::new();
        for item in self.question_askers.scan_prefix(user.key()) {
            let (k, _) = item?;
            ops.push(Op::Remove(TreeId::Questions, k[8..].to_vec()));
            ops.push(Op::Remove(TreeId::QuestionAskers, k.to_vec()));
        }
        Ok(ops)
    }
}

#[async_trait]
impl QuestionLog for SledStore {
    async fn questions_since(&self, since: Timestamp) -> Result<Vec<AskedQuestion>, StoreError> {
        let mut out = Vec::new();
        for item in self.questions.range(time_key(since)..) {
            let (_, v) = item?;
            if let Ok(q) = serde_json::from_slice(&v) {
                out.push(q);
            }
        }
        Ok(out)
    }

    async fn purge_questions(&self, before: Timestamp) -> Result<usize, StoreError> {
        let mut n = 0;
        let cut = time_key(before);
        for item in self.questions.range(..cut) {
            let (k, _) = item?;
            self.questions.remove(k)?;
            n += 1;
        }
        for item in self.question_askers.iter() {
            let (k, _) = item?;
            if k.get(8..16).is_some_and(|t| t < &cut[..]) {
                self.question_askers.remove(k)?;
            }
        }
        Ok(n)
    }
}
