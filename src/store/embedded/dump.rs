//! Snapshots of the embedded backend ([`crate::store::dump`]): every tree read back into
//! logical records, and written again from them.
//!
//! An export reads the trees holding the commit gate exclusively
//! ([`EmbeddedStore::quiet`]): every write path of this backend takes it shared
//! ([`EmbeddedStore::writing`]), so no write lands while the trees are read one after the
//! other, and the snapshot is one point in time (a reminder is never in the queue and
//! done at once, a commit never half in it). Writers wait for the scan of the trees, held
//! in memory. The question log, in files that may hold a year of questions, is frozen
//! under the gate (each file's length noted, [`super::question_files::Frozen`]) and read
//! after it, while writers go on: the snapshot holds what the log held at the same point.
//! The export runs on a blocking thread, not on an async worker that serves updates.
//!
//! An import writes into a fresh database created with the export's secret
//! ([`EmbeddedStore::create_restored`]): every record is sealed again with new per-user keys,
//! the derived tree `user_tickets` is rebuilt, and questions are appended to the log's
//! files.

use async_trait::async_trait;
use jiff::Timestamp;

use super::EmbeddedStore;
use super::drafts::COUNTER;
use super::sessions::{HEAD, encode, header};
use super::tickets::{message_key, number_key};
use crate::schedule::Subscription;
use crate::store::dump::{Dump, Exported, Record, Sequence, Sink};
use crate::store::follows::Queued;
use crate::store::shred::{PSEUDONYM, Pseudonym};
use crate::store::{StoreError, UserId};

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
    /// are read under the commit gate, the question log after it, as frozen under it.
    fn export_now(&self, sink: Sink<'_>) -> Result<u64, StoreError> {
        // Buffered, so that the gate is held for the reading alone, not for the sink.
        let mut trees = Vec::new();
        let (mut bad, frozen) = {
            let _quiet = self.quiet();
            let bad = self.export_trees(&mut |r| {
                trees.push(r);
                Ok(())
            })?;
            (bad, self.question_files.frozen()?)
        };
        for r in trees {
            sink(r)?;
        }
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

    /// The trees' records (see [`Self::export_now`]).
    fn export_trees(&self, sink: Sink<'_>) -> Result<u64, StoreError> {
        let mut bad = 0u64;
        let mut put = |r: Option<Record>| -> Result<(), StoreError> {
            match r {
                Some(r) => sink(r),
                None => {
                    bad += 1;
                    Ok(())
                }
            }
        };
        for item in self.sessions.iter() {
            let (k, v) = item?;
            put((|| {
                let (revision, touched) = header(&v)?;
                Some(Record::Session {
                    who: Pseudonym::from_slice(&k)?,
                    revision,
                    touched,
                    bytes: self.open_sealed(v.get(HEAD..)?)?,
                })
            })())?;
        }
        for item in self.subscriptions.iter() {
            let sub = self.open_json::<Subscription>(&item?.1);
            put(sub.map(|sub| Record::Subscription { sub }))?;
        }
        for item in self.reminder_queue.iter() {
            let (k, v) = item?;
            put((|| {
                let due = second(u64_of(&k)? as i64);
                let queued = self.open_json::<Queued>(&v)?;
                Some(Record::Queued { due, queued })
            })())?;
        }
        for item in self.reminders_done.iter() {
            let (k, v) = item?;
            put((|| {
                Some(Record::ReminderDone {
                    who: Pseudonym::from_slice(&k)?,
                    identity: k.get(PSEUDONYM..)?.to_vec(),
                    done: serde_json::from_slice(&v).ok()?,
                })
            })())?;
        }
        for item in self.tickets.iter() {
            let ticket = self.decode_ticket(&item?.1);
            put(ticket.map(|ticket| Record::Ticket { ticket }))?;
        }
        for item in self.ticket_messages.iter() {
            let (k, v) = item?;
            put((|| {
                Some(Record::TicketMessage {
                    chat: UserId::from_key(&k)?.0,
                    message: i32::from_be_bytes(k.get(8..12)?.try_into().ok()?),
                    number: u64_of(&v)?,
                })
            })())?;
        }
        let counters = [
            (Sequence::Tickets, self.ticket_counter.get(b"next")?),
            (Sequence::Drafts, self.db.open_tree(COUNTER)?.get(b"n")?),
        ];
        for (name, v) in counters {
            if let Some(v) = v {
                put(u64_of(&v).map(|last| Record::Sequence { name, last }))?;
            }
        }
        for item in self.outbox.iter() {
            put(self.outbox_record(&item?.1).map(Record::Outbox))?;
        }
        for item in self.applied.iter() {
            let (k, v) = item?;
            put((|| {
                Some(Record::Applied {
                    id: u32::from_be_bytes(k.as_ref().try_into().ok()?),
                    at: second(u64_of(&v)? as i64),
                })
            })())?;
        }
        for item in self.watches.iter() {
            let watch = self.open_watch(&item?.1);
            put(watch.map(|watch| Record::Watch { watch }))?;
        }
        for item in self.profiles.iter() {
            let alert = self.open_profile(&item?.1);
            put(alert.map(|alert| Record::Profile { alert }))?;
        }
        for item in self.drafts.iter() {
            let draft = self.decode_draft(&item?.1);
            put(draft.map(|draft| Record::Draft { draft }))?;
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
