//! The anonymous question log in the `questions` tree: asked-at second (u64
//! big-endian) ‖ a unique id → the entry, so a range scan reads a period and a purge
//! removes a prefix of the tree. An entry is sealed for whoever asked it, so that erasing
//! them erases their questions on disk too; `question_askers` (asker's pseudonym ‖
//! question key → ∅) finds them.

use async_trait::async_trait;
use jiff::Timestamp;

use super::EmbeddedStore;
use super::ops::{Op, TreeId};
use crate::store::shred::PSEUDONYM;
use crate::store::{AskedQuestion, QuestionLog, StoreError, UserId};

pub(super) fn time_key(t: Timestamp) -> [u8; 8] {
    (t.as_second().max(0) as u64).to_be_bytes()
}

impl EmbeddedStore {
    /// The writes that log `q`, asked by `by`.
    pub(super) fn log_question_ops(
        &self,
        by: Option<UserId>,
        q: &AskedQuestion,
    ) -> Result<Vec<Op>, StoreError> {
        let mut key = time_key(q.at).to_vec();
        key.extend(self.db.generate_id()?.to_be_bytes());
        let mut ops = Vec::new();
        if let Some(by) = by {
            let mut asker = self.who(by).0.to_vec();
            asker.extend_from_slice(&key);
            ops.push(Op::Put(TreeId::QuestionAskers, asker, Vec::new()));
        }
        let sealed = self.seal(by, &serde_json::to_vec(q)?)?;
        ops.push(Op::Put(TreeId::Questions, key, sealed));
        Ok(ops)
    }

    /// The writes that remove the questions `user` asked.
    pub(super) fn questions_of(&self, user: UserId) -> Result<Vec<Op>, StoreError> {
        let mut ops = Vec::new();
        for item in self.question_askers.scan_prefix(self.who(user).0) {
            let (k, _) = item?;
            ops.push(Op::Remove(TreeId::Questions, k[PSEUDONYM..].to_vec()));
            ops.push(Op::Remove(TreeId::QuestionAskers, k.to_vec()));
        }
        Ok(ops)
    }
}

#[async_trait]
impl QuestionLog for EmbeddedStore {
    async fn questions_since(&self, since: Timestamp) -> Result<Vec<AskedQuestion>, StoreError> {
        let mut out = Vec::new();
        for item in self.questions.range(time_key(since)..) {
            let (_, v) = item?;
            if let Some(q) = self
                .open_sealed(&v)
                .and_then(|b| serde_json::from_slice(&b).ok())
            {
                out.push(q);
            }
        }
        Ok(out)
    }

    async fn purge_questions(&self, before: Timestamp) -> Result<usize, StoreError> {
        let mut n = 0;
        let cut = time_key(before);
        // The guard for each removal, not for the scan: commits go on meanwhile.
        for item in self.questions.range(..cut) {
            let (k, _) = item?;
            let _w = self.writing();
            self.questions.remove(k)?;
            n += 1;
        }
        for item in self.question_askers.iter() {
            let (k, _) = item?;
            if k.get(PSEUDONYM..PSEUDONYM + 8)
                .is_some_and(|t| t < &cut[..])
            {
                let _w = self.writing();
                self.question_askers.remove(k)?;
            }
        }
        Ok(n)
    }
}
