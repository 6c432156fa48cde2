//! The anonymous question log of the embedded backend, kept in files by day
//! ([`super::question_files`]) rather than in the store's memory: each entry sealed for
//! whoever asked it, so that erasing them makes their questions noise on disk too
//! (crypto-shredding); nothing in the log names anyone.
//!
//! Reads and purges run on tokio's blocking threads, not on the async workers that
//! handle updates.
//!
//! A commit that logs a question seals it while it is resolved (outside the commits'
//! mutex) and appends it once its own writes are applied, under the same guard, so an
//! export (which freezes the log while it holds every writer off) sees the log and the
//! trees at one point.
//!
//! Older versions kept the log in the store's `questions` tree (asked-at second ‖ id →
//! entry) with `question_askers` to find a user's entries; the first opening moves it
//! into a `moved-*.log` file ([`EmbeddedStore::move_questions`]) and empties both trees.

use std::collections::HashSet;

use async_trait::async_trait;
use jiff::Timestamp;

use super::EmbeddedStore;
use crate::store::{AskedQuestion, QuestionLog, StoreError, UserId};

/// A logged question as its file keeps it: the second it was asked at, and the entry
/// sealed.
pub(super) type Sealed = (i64, Vec<u8>);

impl EmbeddedStore {
    /// `q`, asked by `by`, sealed for the log.
    pub(super) fn seal_question(
        &self,
        by: Option<UserId>,
        q: &AskedQuestion,
    ) -> Result<Sealed, StoreError> {
        Ok((q.at.as_second(), self.seal(by, &serde_json::to_vec(q)?)?))
    }

    /// Appends questions a commit logged, once its writes are applied. A failed append
    /// (a full disk) loses the entry, not the commit: the log is statistics, and the
    /// update it came with is answered.
    pub(super) fn append_questions(&self, sealed: &[Sealed]) {
        for (at, v) in sealed {
            if let Err(e) = self.question_files.append(*at, v) {
                tracing::error!("the question log could not be written: {e}");
            }
        }
    }

    /// The sealed entry `v` opened, unless it is noise: its asker erased, or being
    /// erased (their erasure's commit applied, their key destroyed only by the flush that
    /// makes it durable, `super::erasing`), or erased before and back with a new key (the
    /// record's CRC checked, so what does not open was sealed with a destroyed key).
    pub(super) fn question_entry(&self, v: &[u8]) -> Option<Vec<u8>> {
        let erasing = EmbeddedStore::owner_of(v)
            .is_some_and(|who| self.erasing.get(who.0).ok().flatten().is_some());
        if erasing {
            return None;
        }
        self.open_sealed(v)
    }

    /// [`QuestionLog::questions_since`], in the calling thread.
    fn read_questions(&self, since: Timestamp) -> Result<Vec<AskedQuestion>, StoreError> {
        Ok(self
            .question_files
            .since(since.as_second())?
            .into_iter()
            .filter_map(|(_, v)| {
                self.question_entry(&v)
                    .and_then(|b| serde_json::from_slice(&b).ok())
            })
            .collect())
    }

    /// Moves the question log an older version kept in the store's trees into a file
    /// of the log; returns how many entries. Safe to repeat after a crash: entries a
    /// `moved-*.log` already holds are not written again, and the trees are emptied
    /// only once the file is durable.
    pub(super) fn move_questions(&self) -> Result<usize, StoreError> {
        if self.questions.is_empty() && self.question_askers.is_empty() {
            return Ok(0);
        }
        let have: HashSet<Vec<u8>> = self.question_files.moved()?.into_iter().collect();
        let mut entries = Vec::new();
        let mut keys = Vec::new();
        for item in self.questions.iter() {
            let (k, v) = item?;
            let at = k
                .get(..8)
                .and_then(|b| b.try_into().ok())
                .map_or(0, |b| u64::from_be_bytes(b) as i64);
            if !have.contains(&v[..]) {
                entries.push((at, v.to_vec()));
            }
            keys.push(k);
        }
        if !entries.is_empty() {
            let file = self.question_files.write_moved(&entries)?;
            tracing::info!(
                entries = entries.len(),
                %file,
                "moved the question log out of the store's memory"
            );
        }
        for k in keys {
            self.questions.remove(k)?;
        }
        for item in self.question_askers.iter() {
            self.question_askers.remove(item?.0)?;
        }
        self.db.flush()?;
        Ok(entries.len())
    }
}

/// Runs `read` on tokio's blocking threads: a year of the log is tens of MB to read and
/// open, which on an async worker would hold up every update it serves meanwhile.
async fn off_the_workers<T: Send + 'static>(
    read: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(read)
        .await
        .map_err(|e| StoreError::Backend(format!("the question log's reader failed: {e}")))?
}

#[async_trait]
impl QuestionLog for EmbeddedStore {
    async fn questions_since(&self, since: Timestamp) -> Result<Vec<AskedQuestion>, StoreError> {
        let st = self.clone();
        off_the_workers(move || st.read_questions(since)).await
    }

    async fn purge_questions(&self, before: Timestamp) -> Result<usize, StoreError> {
        let files = self.question_files.clone();
        off_the_workers(move || Ok(files.purge(before.as_second())?)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Commit, Committer, SyncMode};

    fn asked(second: i64, text: &str) -> AskedQuestion {
        AskedQuestion {
            at: Timestamp::from_second(second).unwrap(),
            question: text.into(),
            best: None,
            confident: false,
        }
    }

    /// The questions read back, oldest first.
    async fn asked_texts(st: &EmbeddedStore) -> Vec<String> {
        st.questions_since(Timestamp::UNIX_EPOCH)
            .await
            .unwrap()
            .into_iter()
            .map(|q| q.question)
            .collect()
    }

    /// What an older version wrote: the entry in `questions`, its asker in
    /// `question_askers`.
    fn log_as_before(st: &EmbeddedStore, by: UserId, id: u64, q: &AskedQuestion) {
        let mut key = (q.at.as_second() as u64).to_be_bytes().to_vec();
        key.extend(id.to_be_bytes());
        let mut asker = st.who(by).0.to_vec();
        asker.extend_from_slice(&key);
        st.question_askers.insert(asker, []).unwrap();
        let sealed = st.seal(Some(by), &serde_json::to_vec(q).unwrap()).unwrap();
        st.questions.insert(key, sealed).unwrap();
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_log_is_read_off_the_thread_that_handles_updates() {
        let caller = std::thread::current().id();
        let ran_on = off_the_workers(|| Ok(std::thread::current().id()))
            .await
            .unwrap();
        assert_ne!(ran_on, caller);
    }

    #[tokio::test]
    async fn a_question_the_disk_refuses_is_lost_and_its_update_still_committed() {
        let dir = tempfile::tempdir().unwrap();
        let st = EmbeddedStore::open(dir.path(), 8, SyncMode::default()).unwrap();
        let mut c = Commit::new();
        c.log_question(None, asked(100, "scritta"));
        st.commit(&c).await.unwrap();
        st.question_files.fail_appends(0);
        let mut c = Commit::new();
        c.log_question(None, asked(200, "rifiutata")).session(
            UserId(5),
            crate::store::Revision(None),
            Some(b"{}".to_vec()),
            Timestamp::UNIX_EPOCH,
        );
        st.commit(&c).await.expect("the update's commit stands");
        use crate::store::SessionStore;
        assert!(st.load_session(UserId(5)).await.unwrap().is_some());
        let texts = asked_texts(&st).await;
        assert_eq!(texts, ["scritta"]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_backup_reads_the_question_log_while_writers_go_on_and_keeps_its_point_in_time() {
        let dir = tempfile::tempdir().unwrap();
        let st = EmbeddedStore::open(dir.path(), 8, SyncMode::default()).unwrap();
        let mut c = Commit::new();
        c.log_question(Some(UserId(1)), asked(100, "prima"));
        st.commit(&c).await.unwrap();
        c = Commit::new();
        c.log_question(None, asked(90_000, "seconda"));
        st.commit(&c).await.unwrap();
        let runtime = tokio::runtime::Handle::current();
        let writer = st.clone();
        let mut backed_up = Vec::new();
        let mut wrote_meanwhile = false;
        crate::store::Dump::export(&st, &mut |r| {
            let crate::store::dump::Record::Question { question, .. } = r else {
                return Ok(());
            };
            backed_up.push(question.question);
            if !wrote_meanwhile {
                // A handler's commit, from a thread of its own, while the log is read.
                let (w, rt) = (writer.clone(), runtime.clone());
                let (tx, rx) = std::sync::mpsc::channel();
                std::thread::spawn(move || {
                    let mut c = Commit::new();
                    c.log_question(Some(UserId(2)), asked(100, "durante"));
                    let _ = tx.send(rt.block_on(w.commit(&c)).is_ok());
                });
                let done = rx.recv_timeout(std::time::Duration::from_secs(30));
                assert_eq!(done, Ok(true), "the commit was not held off");
                wrote_meanwhile = true;
            }
            Ok(())
        })
        .await
        .unwrap();
        assert!(wrote_meanwhile);
        assert_eq!(backed_up, ["prima", "seconda"], "the log as it stood");
        assert_eq!(asked_texts(&st).await, ["prima", "durante", "seconda"]);
    }

    #[tokio::test]
    async fn an_older_versions_log_is_moved_out_of_memory_once_even_after_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        let st = EmbeddedStore::open(dir.path(), 8, SyncMode::default()).unwrap();
        log_as_before(&st, UserId(1), 1, &asked(1_000, "vecchia"));
        log_as_before(&st, UserId(2), 2, &asked(2_000, "meno vecchia"));
        st.db.flush().unwrap();
        // A first move cut short after its file was written: the trees still hold it.
        let entries: Vec<Sealed> = st
            .questions
            .iter()
            .map(|i| {
                let (k, v) = i.unwrap();
                (
                    u64::from_be_bytes(k[..8].try_into().unwrap()) as i64,
                    v.to_vec(),
                )
            })
            .collect();
        st.question_files.write_moved(&entries[..1]).unwrap();
        drop(st);
        let st = EmbeddedStore::open(dir.path(), 8, SyncMode::default()).unwrap();
        assert!(st.questions.is_empty() && st.question_askers.is_empty());
        let texts = asked_texts(&st).await;
        assert_eq!(texts, ["vecchia", "meno vecchia"], "each once");
        // New questions go to the day's file, beside the moved ones.
        let mut c = Commit::new();
        c.log_question(Some(UserId(3)), asked(90_000, "nuova"));
        st.commit(&c).await.unwrap();
        assert_eq!(asked_texts(&st).await.len(), 3);
        assert!(st.questions.is_empty(), "nothing kept in memory");
        assert!(dir.path().join("questions/1970-01-02.log").exists());
        // Erased: their question is never read back from the erasure's commit on (its
        // key still there until the flush), and is noise once the key is destroyed.
        c = Commit::new();
        c.erase(UserId(1));
        st.commit(&c).await.unwrap();
        assert_eq!(
            asked_texts(&st).await,
            ["meno vecchia", "nuova"],
            "committed"
        );
        st.flush().await.unwrap();
        assert_eq!(asked_texts(&st).await, ["meno vecchia", "nuova"], "flushed");
        let (_, v) = st.question_files.since(0).unwrap().remove(0);
        assert!(st.open_sealed(&v).is_none(), "noise on disk");
        // They come back (a new key under the same pseudonym): the old entry stays
        // noise, left out of a backup and not counted as unreadable.
        c = Commit::new();
        c.session(
            UserId(1),
            crate::store::Revision(None),
            Some(b"{}".to_vec()),
            Timestamp::UNIX_EPOCH,
        );
        st.commit(&c).await.unwrap();
        assert_eq!(asked_texts(&st).await, ["meno vecchia", "nuova"]);
        let mut backed_up = Vec::new();
        let exported = crate::store::Dump::export(&st, &mut |r| {
            if let crate::store::dump::Record::Question { question, .. } = r {
                backed_up.push(question.question);
            }
            Ok(())
        })
        .await
        .unwrap();
        assert_eq!(exported.unreadable, 0);
        assert_eq!(backed_up, ["meno vecchia", "nuova"]);
    }
}
