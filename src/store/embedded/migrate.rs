//! Sealing a database written by a version that did not seal (before crypto-shredding):
//! user ids in keys, records in clear. Run once, when the key file is new; a record that
//! does not read as the old format is left as it is.
//!
//! Old plaintext versions of the records stay in the store's log until a compaction
//! rewrites it (and in `sled-before-store/`, for a data directory sled wrote): erasure is
//! real on disk for what is written from now on.

use super::EmbeddedStore;
use super::sessions::encode;
use crate::schedule::Subscription;
use crate::store::follows::Queued;
use crate::store::{AskedQuestion, StoreError, Ticket, UserId};

const OLD_USER_KEY: usize = 8;

impl EmbeddedStore {
    /// Rewrites every record of the old format; returns how many.
    pub(super) fn seal_legacy(&self) -> Result<usize, StoreError> {
        let mut n = 0;
        // Sessions: user key → the session's JSON (or, briefly, a revision header and it).
        for item in self.sessions.iter() {
            let (k, v) = item?;
            let Some(user) = (k.len() == OLD_USER_KEY)
                .then(|| UserId::from_key(&k))
                .flatten()
            else {
                continue;
            };
            let json = match v.first() {
                Some(1) if v.len() >= 17 => &v[17..],
                _ => &v[..],
            };
            let touched = serde_json::from_slice::<serde_json::Value>(json)
                .ok()
                .and_then(|j| j.get("last_seen")?.as_str()?.parse().ok())
                .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
            let sealed = self.seal(Some(user), json)?;
            self.sessions
                .insert(self.session_key(user), encode(1, touched, &sealed))?;
            self.sessions.remove(k)?;
            n += 1;
        }
        for item in self.subscriptions.iter() {
            let (k, v) = item?;
            if let Ok(sub) = serde_json::from_slice::<Subscription>(&v) {
                let sealed = self.seal(Some(sub.user), &v)?;
                self.subscriptions
                    .insert(self.sub_key(sub.user, &sub.call), sealed)?;
                self.subscriptions.remove(k)?;
                n += 1;
            }
        }
        for item in self.reminder_queue.iter() {
            let (k, v) = item?;
            if let Ok(q) = serde_json::from_slice::<Queued>(&v) {
                self.reminder_queue
                    .insert(self.queue_key(&q.item), self.seal_queued(&q)?)?;
                if self.queue_key(&q.item) != k.as_ref() {
                    self.reminder_queue.remove(k)?;
                }
                n += 1;
            }
        }
        // What was sent: keyed by an identity that starts with the user key (all of
        // them are old when the key file is new; read first, the new keys would look
        // the same).
        let done: Vec<_> = self.reminders_done.iter().collect::<Result<_, _>>()?;
        for (k, v) in done {
            if let Some(user) = UserId::from_key(&k) {
                let mut new = self.who(user).0.to_vec();
                new.extend_from_slice(&k[OLD_USER_KEY..]);
                self.reminders_done.insert(new, v)?;
                self.reminders_done.remove(k)?;
                n += 1;
            }
        }
        for item in self.tickets.iter() {
            let (k, v) = item?;
            if let Ok(t) = serde_json::from_slice::<Ticket>(&v) {
                self.tickets.insert(k, self.encode_ticket(&t)?)?;
                n += 1;
            }
        }
        for item in self.user_tickets.iter() {
            let (k, v) = item?;
            if k.len() == OLD_USER_KEY + 8
                && let (Some(user), Ok(num)) = (UserId::from_key(&k), k[8..].try_into())
            {
                self.user_tickets
                    .insert(self.user_ticket_key(user, u64::from_be_bytes(num)), v)?;
                self.user_tickets.remove(k)?;
                n += 1;
            }
        }
        // The log never named who asked: sealed with the server's key.
        for item in self.questions.iter() {
            let (k, v) = item?;
            if serde_json::from_slice::<AskedQuestion>(&v).is_ok() {
                self.questions.insert(k, self.seal(None, &v)?)?;
                n += 1;
            }
        }
        for item in self.outbox.iter() {
            let (k, v) = item?;
            if let Some(new) = self.reseal_legacy_entry(&v)? {
                self.outbox.insert(k, new)?;
                n += 1;
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::{CallId, DeadlineAt};
    use crate::schedule::{Offset, plan};
    use crate::store::follows::{Done, DoneHow};
    use crate::store::{Erasure, FollowStore, QuestionLog, SessionStore, Status, TicketStore};
    use jiff::Timestamp;

    #[tokio::test]
    async fn records_of_an_older_version_are_sealed_at_the_first_open() {
        let dir = tempfile::tempdir().unwrap();
        let u = UserId(4242);
        let session = br#"{"last_seen":"2026-03-01T10:00:00Z","name":"Ofelia"}"#;
        let sub = Subscription {
            user: u,
            call: CallId("alfa".into()),
            deadline: DeadlineAt::parse("2099-06-15T12:00").unwrap(),
            planned_from: "2026-01-01T00:00:00Z".parse().unwrap(),
        };
        let items = plan(&sub, &Offset::defaults());
        let ticket = Ticket {
            number: 3,
            user: Some(u),
            name: "Ofelia Rossi".into(),
            question: "una domanda".into(),
            call: None,
            answers: vec![],
            follow_ups: vec![],
            opened: Timestamp::UNIX_EPOCH,
            status: Status::Open,
            last_reply: None,
            message: Some(9),
            lang: crate::text::Lang::It,
        };
        let asked = AskedQuestion {
            at: "2026-03-01T10:00:00Z".parse().unwrap(),
            question: "quando scade?".into(),
            best: None,
            confident: false,
        };
        {
            // As the older version wrote them (in sled, moved into the store at open).
            let db = sled::open(dir.path()).unwrap();
            let tree = |n: &str| db.open_tree(n).unwrap();
            tree("sessions").insert(u.key(), session.to_vec()).unwrap();
            let mut k = u.key().to_vec();
            k.extend_from_slice(b"alfa");
            tree("subscriptions").insert(k, json(&sub)).unwrap();
            let queued = Queued {
                item: items[1].clone(),
                attempts: 0,
                in_flight: false,
                lease_until: None,
            };
            tree("reminder_queue")
                .insert(items[1].queue_key(), json(&queued))
                .unwrap();
            let done = Done {
                at: Timestamp::UNIX_EPOCH,
                how: DoneHow::Sent,
            };
            tree("reminders_done")
                .insert(items[0].identity(), json(&done))
                .unwrap();
            tree("tickets")
                .insert(3u64.to_be_bytes(), json(&ticket))
                .unwrap();
            let mut k = u.key().to_vec();
            k.extend(3u64.to_be_bytes());
            tree("user_tickets").insert(k, vec![]).unwrap();
            tree("questions").insert([0u8; 16], json(&asked)).unwrap();
            db.flush().unwrap();
        }
        let st = EmbeddedStore::open(dir.path(), 8, crate::store::SyncMode::default()).unwrap();
        let s = st.load_session(u).await.unwrap().unwrap();
        assert_eq!(s.bytes, session);
        assert_eq!(s.touched, "2026-03-01T10:00:00Z".parse().unwrap());
        assert_eq!(st.subscriptions_of(u).await.unwrap(), [sub]);
        assert_eq!(st.queued_reminders().await.unwrap().len(), 1);
        assert!(st.reminder_done(&items[0]).await.unwrap().is_some());
        assert_eq!(st.tickets_of(u).await.unwrap(), [ticket]);
        assert_eq!(
            st.questions_since(Timestamp::UNIX_EPOCH).await.unwrap(),
            [asked]
        );
        // Sealed once (the key file exists now): a second open reads the same, and
        // erasure reaches all of it.
        drop(st);
        let st = EmbeddedStore::open(dir.path(), 8, crate::store::SyncMode::default()).unwrap();
        assert!(st.reminder_done(&items[0]).await.unwrap().is_some());
        assert_eq!(st.load_session(u).await.unwrap().unwrap().bytes, session);
        st.erase_user(u).await.unwrap();
        assert_eq!(st.load_session(u).await.unwrap(), None);
        assert!(st.subscriptions_of(u).await.unwrap().is_empty());
        assert!(st.queued_reminders().await.unwrap().is_empty());
        assert_eq!(st.ticket(3).await.unwrap().unwrap().user, None);
    }

    /// A record as the older version wrote it.
    fn json(v: &impl serde::Serialize) -> Vec<u8> {
        serde_json::to_vec(v).unwrap()
    }
}
