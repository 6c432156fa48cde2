//! Snapshots of the embedded backend ([`crate::store::dump`]): every tree read back into
//! logical records, and written again from them.
//!
//! An export captures the trees holding the commit gate exclusively
//! ([`EmbeddedStore::quiet`]): every write path of this backend takes it shared
//! ([`EmbeddedStore::writing`]), so no write lands while the trees are taken one after the
//! other, and the snapshot is one point in time (a reminder is never in the queue and
//! done at once, a commit never half in it). Taking them costs a reference count per
//! entry ([`Captured`]); they are opened and decoded after the gate, while writers go on
//! (what is sealed for a user erased meanwhile is left out: their erasure is in the
//! journal a backup marks, and a restore replays it). The question log, in files that may
//! hold a year of questions, is frozen under the gate (each file's length noted,
//! [`super::question_files::Frozen`]) and read after it too: the snapshot holds what the
//! log held at the same point. The export runs on a blocking thread, not on an async
//! worker that serves updates.
//!
//! An import writes into a fresh database created with the export's secret
//! ([`EmbeddedStore::create_restored`]): every record is sealed again with new per-user keys,
//! the derived tree `user_tickets` is rebuilt, and questions are appended to the log's
//! files.

use std::collections::HashSet;

use async_trait::async_trait;
use jiff::Timestamp;

use super::EmbeddedStore;
use super::drafts::COUNTER;
use super::outbox_head::HEAD as OUTBOX_HEAD;
use super::sessions::{HEAD, encode, header};
use super::tickets::{message_key, number_key};
use crate::schedule::Subscription;
use crate::store::dump::{Dump, Exported, Record, Sequence, Sink};
use crate::store::follows::Queued;
use crate::store::shred::{PSEUDONYM, Pseudonym};
use crate::store::{StoreError, UserId};

type Entries = Vec<(kv::IVec, kv::IVec)>;

/// The entries of every tree a snapshot holds, taken under the commit gate: each a
/// shared reference to the tree's bytes, so taking them costs no copy and no opening.
struct Captured {
    sessions: Entries,
    subscriptions: Entries,
    reminder_queue: Entries,
    reminders_done: Entries,
    tickets: Entries,
    ticket_messages: Entries,
    counters: [(Sequence, Option<kv::IVec>); 2],
    outbox: Entries,
    applied: Entries,
    watches: Entries,
    profiles: Entries,
    drafts: Entries,
    /// Who had a key then: a record of theirs that no longer opens because their key is
    /// gone was erased since (left out), not damaged (counted).
    holders: HashSet<Pseudonym>,
}

/// Records read ahead of the sink (the reader's thread waits when it is that far ahead).
const EXPORT_QUEUE: usize = 1024;

fn u64_of(b: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(..8)?.try_into().ok()?))
}

fn second(s: i64) -> Timestamp {
    Timestamp::from_second(s).unwrap_or(Timestamp::UNIX_EPOCH)
}

impl EmbeddedStore {
    /// Every record, in import order; records that cannot be read are counted. The trees
    /// are captured under the commit gate (their entries shared, not copied) and opened
    /// after it, the question log read after it as frozen under it.
    fn export_now(&self, sink: Sink<'_>) -> Result<u64, StoreError> {
        let (captured, frozen) = {
            let _quiet = self.quiet();
            (self.capture()?, self.question_files.frozen()?)
        };
        let mut bad = self.export_trees(&captured, sink)?;
        drop(captured);
        for (_, v) in frozen.records()? {
            // Noise (an erased asker's, or one erased since the gate) is left out, not
            // counted unreadable.
            let Some(plain) = self.question_entry(&v) else {
                continue;
            };
            match serde_json::from_slice(&plain) {
                Ok(question) => sink(Record::Question {
                    asker: EmbeddedStore::owner_of(&v),
                    question,
                })?,
                Err(_) => bad += 1,
            }
        }
        Ok(bad)
    }

    /// Every entry of the trees a snapshot holds, at this point (see [`Captured`]).
    fn capture(&self) -> Result<Captured, StoreError> {
        let all = |t: &kv::Tree| -> Result<Entries, StoreError> {
            Ok(t.iter().collect::<Result<Entries, _>>()?)
        };
        Ok(Captured {
            sessions: all(&self.sessions)?,
            subscriptions: all(&self.subscriptions)?,
            reminder_queue: all(&self.reminder_queue)?,
            reminders_done: all(&self.reminders_done)?,
            tickets: all(&self.tickets)?,
            ticket_messages: all(&self.ticket_messages)?,
            counters: [
                (Sequence::Tickets, self.ticket_counter.get(b"next")?),
                (Sequence::Drafts, self.db.open_tree(COUNTER)?.get(b"n")?),
            ],
            outbox: all(&self.outbox)?,
            applied: all(&self.applied)?,
            watches: all(&self.watches)?,
            profiles: all(&self.profiles)?,
            drafts: all(&self.drafts)?,
            holders: self.keys.holders(),
        })
    }

    /// Whether what is sealed in `sealed` is a user's erased since the trees were
    /// captured: they had a key then and have none now. Left out, like their questions.
    fn erased_since(&self, c: &Captured, sealed: Option<&[u8]>) -> bool {
        sealed
            .and_then(EmbeddedStore::owner_of)
            .is_some_and(|who| c.holders.contains(&who) && self.keys.key(&who).is_none())
    }

    /// The captured trees' records (see [`Self::export_now`]).
    fn export_trees(&self, c: &Captured, sink: Sink<'_>) -> Result<u64, StoreError> {
        let mut bad = 0u64;
        // `sealed`: the part of the entry sealed for its user, if any.
        let mut put = |r: Option<Record>, sealed: Option<&[u8]>| -> Result<(), StoreError> {
            match r {
                Some(r) => sink(r),
                None if self.erased_since(c, sealed) => Ok(()),
                None => {
                    bad += 1;
                    Ok(())
                }
            }
        };
        for (k, v) in &c.sessions {
            let record = (|| {
                let (revision, touched) = header(v)?;
                Some(Record::Session {
                    who: Pseudonym::from_slice(k)?,
                    revision,
                    touched,
                    bytes: self.open_sealed(v.get(HEAD..)?)?,
                })
            })();
            put(record, v.get(HEAD..))?;
        }
        for (_, v) in &c.subscriptions {
            let sub = self.open_json::<Subscription>(v);
            put(sub.map(|sub| Record::Subscription { sub }), Some(v))?;
        }
        for (k, v) in &c.reminder_queue {
            let record = (|| {
                let due = second(u64_of(k)? as i64);
                let queued = self.open_json::<Queued>(v)?;
                Some(Record::Queued { due, queued })
            })();
            put(record, Some(v))?;
        }
        for (k, v) in &c.reminders_done {
            let record = (|| {
                Some(Record::ReminderDone {
                    who: Pseudonym::from_slice(k)?,
                    identity: k.get(PSEUDONYM..)?.to_vec(),
                    done: serde_json::from_slice(v).ok()?,
                })
            })();
            put(record, None)?;
        }
        for (_, v) in &c.tickets {
            // A ticket whose user side does not open keeps its staff side.
            let ticket = self.decode_ticket(v);
            put(ticket.map(|ticket| Record::Ticket { ticket }), None)?;
        }
        for (k, v) in &c.ticket_messages {
            let record = (|| {
                Some(Record::TicketMessage {
                    chat: UserId::from_key(k)?.0,
                    message: i32::from_be_bytes(k.get(8..12)?.try_into().ok()?),
                    number: u64_of(v)?,
                })
            })();
            put(record, None)?;
        }
        for (name, v) in &c.counters {
            if let Some(v) = v {
                let name = *name;
                put(u64_of(v).map(|last| Record::Sequence { name, last }), None)?;
            }
        }
        for (_, v) in &c.outbox {
            let record = self.outbox_record(v).map(Record::Outbox);
            put(record, v.get(OUTBOX_HEAD..))?;
        }
        for (k, v) in &c.applied {
            let record = (|| {
                Some(Record::Applied {
                    id: u32::from_be_bytes(k.as_ref().try_into().ok()?),
                    at: second(u64_of(v)? as i64),
                })
            })();
            put(record, None)?;
        }
        for (_, v) in &c.watches {
            let watch = self.open_watch(v);
            put(watch.map(|watch| Record::Watch { watch }), Some(v))?;
        }
        for (_, v) in &c.profiles {
            let alert = self.open_profile(v);
            put(alert.map(|alert| Record::Profile { alert }), Some(v))?;
        }
        for (_, v) in &c.drafts {
            let draft = self.decode_draft(v);
            put(draft.map(|draft| Record::Draft { draft }), Some(v))?;
        }
        Ok(bad)
    }

    /// Writes one record (into a fresh database: nothing is compared).
    fn import_one(&self, r: Record) -> Result<(), StoreError> {
        match r {
            Record::Session {
                who,
                revision,
                touched,
                bytes,
            } => {
                let sealed = self.seal_as(Some(who), &bytes)?;
                self.sessions
                    .insert(who.0, encode(revision, touched, &sealed))?;
            }
            Record::Subscription { sub } => {
                let v = self.seal(Some(sub.user), &serde_json::to_vec(&sub)?)?;
                self.subscriptions
                    .insert(self.sub_key(sub.user, &sub.call), v)?;
            }
            Record::Queued { due, queued } => {
                let mut k = (due.as_second().max(0) as u64).to_be_bytes().to_vec();
                k.extend(self.identity(&queued.item));
                self.reminder_queue.insert(k, self.seal_queued(&queued)?)?;
            }
            Record::ReminderDone {
                who,
                identity,
                done,
            } => {
                let mut k = who.0.to_vec();
                k.extend(identity);
                self.reminders_done.insert(k, serde_json::to_vec(&done)?)?;
            }
            Record::Ticket { ticket } => {
                self.tickets
                    .insert(number_key(ticket.number), self.encode_ticket(&ticket)?)?;
                if let Some(user) = ticket.user {
                    self.user_tickets
                        .insert(self.user_ticket_key(user, ticket.number), [])?;
                }
            }
            Record::TicketMessage {
                chat,
                message,
                number,
            } => {
                self.ticket_messages
                    .insert(message_key(chat, message), number_key(number))?;
            }
            Record::Question { asker, question } => {
                let sealed = self.seal_as(asker, &serde_json::to_vec(&question)?)?;
                self.question_files
                    .append(question.at.as_second(), &sealed)?;
            }
            Record::Outbox(o) => {
                let (k, v) = self.outbox_value(&o)?;
                self.outbox.insert(k, v)?;
            }
            Record::Applied { id, at } => {
                self.applied
                    .insert(id.to_be_bytes(), at.as_second().to_be_bytes())?;
            }
            Record::Watch { watch } => {
                let sealed = self.seal(Some(watch.user), &serde_json::to_vec(&watch)?)?;
                self.watches
                    .insert(self.watch_key(watch.user, &watch.call), sealed)?;
            }
            Record::Profile { alert } => {
                let sealed = self.seal(Some(alert.user), &serde_json::to_vec(&alert)?)?;
                self.profiles.insert(self.profile_key(alert.user), sealed)?;
            }
            Record::Draft { draft } => {
                // Tickets come first in a snapshot: a draft is sealed for its ticket's user.
                self.drafts
                    .insert(draft.id.to_be_bytes(), self.encode_draft(&draft)?)?;
            }
            Record::Sequence { name, last } => {
                let (tree, key): (kv::Tree, &[u8]) = match name {
                    Sequence::Tickets => (self.ticket_counter.clone(), b"next"),
                    Sequence::Drafts => (self.db.open_tree(COUNTER)?, b"n"),
                };
                tree.insert(key, last.to_be_bytes())?;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Dump for EmbeddedStore {
    fn backend(&self) -> &'static str {
        "embedded"
    }

    async fn export(&self, sink: Sink<'_>) -> Result<Exported, StoreError> {
        // Read on a blocking thread and handed over one record at a time: a year of the
        // question log is tens of MB to read and open.
        let st = self.clone();
        let (tx, mut rx) = tokio::sync::mpsc::channel(EXPORT_QUEUE);
        let reader = tokio::task::spawn_blocking(move || {
            st.export_now(&mut |r| {
                tx.blocking_send(r)
                    .map_err(|_| StoreError::Backend("the export was given up".into()))
            })
        });
        let mut given_up = None;
        while let Some(r) = rx.recv().await {
            if let Err(e) = sink(r) {
                given_up = Some(e);
                break;
            }
        }
        drop(rx);
        let read = reader
            .await
            .map_err(|e| StoreError::Backend(format!("the export's reader failed: {e}")))?;
        if let Some(e) = given_up {
            return Err(e);
        }
        let unreadable = read?;
        Ok(Exported {
            secret: *self.keys.secret(),
            unreadable,
        })
    }

    async fn import(
        &self,
        secret: &[u8; 32],
        records: Vec<Record>,
        force: bool,
    ) -> Result<(), StoreError> {
        // The secret is the key file's header and derives the server's key: a store made
        // with another would hide every imported session from its user.
        if secret != self.keys.secret() {
            return Err(StoreError::Backend(
                "this database was created with another secret: import into one \
                 created for the snapshot"
                    .into(),
            ));
        }
        if !self.is_empty().await? {
            return Err(if force {
                StoreError::Backend(
                    "the embedded store imports only into a new database (a restore \
                     replaces the directory)"
                        .into(),
                )
            } else {
                StoreError::NotEmpty
            });
        }
        {
            let _w = self.writing();
            for r in records {
                self.import_one(r)?;
            }
        }
        self.question_files.sync()?;
        self.flush_shared().await
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        let mut trees = vec![self.db.open_tree(COUNTER)?];
        trees.extend(super::ops::ALL.iter().map(|t| self.tree(*t).clone()));
        Ok(trees.iter().all(|t| t.is_empty()) && self.question_files.is_empty()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Commit, Committer, Revision, SyncMode};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_user_erased_while_a_backup_opens_the_records_is_left_out_not_counted_unreadable() {
        let dir = tempfile::tempdir().unwrap();
        let st = EmbeddedStore::open(dir.path(), 8, SyncMode::default()).unwrap();
        for u in [1, 2] {
            let mut c = Commit::new();
            c.session(
                UserId(u),
                Revision(None),
                Some(b"{}".to_vec()),
                Timestamp::UNIX_EPOCH,
            );
            st.commit(&c).await.unwrap();
        }
        let first = st.who(UserId(1));
        let (st2, rt) = (st.clone(), tokio::runtime::Handle::current());
        let exporting = std::thread::spawn(move || {
            let mut sessions = Vec::new();
            let bad = st2
                .export_now(&mut |r| {
                    if let Record::Session { who, .. } = r {
                        if sessions.is_empty() {
                            // The other user erases their data now: captured, not opened.
                            let other = if who == first { UserId(2) } else { UserId(1) };
                            let mut c = Commit::new();
                            c.erase(other);
                            rt.block_on(async {
                                st2.commit(&c).await.unwrap();
                                st2.flush().await.unwrap();
                            });
                        }
                        sessions.push(who);
                    }
                    Ok(())
                })
                .unwrap();
            (sessions.len(), bad)
        });
        let (sessions, unreadable) = exporting.join().unwrap();
        assert_eq!((sessions, unreadable), (1, 0));
    }
}
