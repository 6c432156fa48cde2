//! The outbox in the embedded store (tree `outbox`) and its claim protocol (see
//! [`crate::store::outbox`]).
//!
//! Keys are class (1 byte: replies first) ‖ sequence number (u64 big-endian, from the
//! store's id generator, which only grows, across restarts too), so a scan meets replies
//! before background messages and each chat's entries in the order they were stored. A
//! value is a fixed header (`outbox_head`: delivery state, and a keyed tag of the chat
//! instead of its id) then the entry, sealed for the user it is about (see
//! [`EmbeddedStore::subject`]). A claim is held in memory, not written
//! ([`super::claims`]): the embedded store belongs to one process, so claims of a
//! previous process are released at start anyway (those written by earlier versions
//! too).

use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;

use super::EmbeddedStore;
use super::claims::Claim;
use super::ops::{Op, TreeId};
use super::outbox_head::{HEAD, Head, claim_in, entry_key, same_entry};
use crate::outgoing::{Class, Entry, ReplyTo, Then, What};
use crate::store::dump::OutboxRecord;
use crate::store::outbox::{Claimed, OutboxStore, Owner, Round, Skip, Waiting, Watch};
use crate::store::shred::Domain;
use crate::store::{StoreError, UserId};

impl EmbeddedStore {
    /// Whether `now` (what `key` holds) is still the entry `raw` claimed: the same sealed
    /// entry, and the claim written in `raw`'s header still held. Returns that claim.
    pub(super) fn still_claimed(
        &self,
        key: &[u8],
        now: Option<&[u8]>,
        raw: &[u8],
    ) -> Option<Claim> {
        let claim = claim_in(raw)?;
        let now = now?;
        let same = same_entry(now, raw);
        (same && self.claims.get(key) == Some(claim)).then_some(claim)
    }
}

fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

fn from_ms(m: i64) -> Timestamp {
    Timestamp::from_millisecond(m).unwrap_or(Timestamp::UNIX_EPOCH)
}

impl EmbeddedStore {
    /// The keyed tag that stands for `chat` in headers.
    fn chat_tag(&self, chat: i64) -> i64 {
        let p = self.tags.get(Domain::Chat, chat);
        i64::from_be_bytes(p.0[..8].try_into().expect("16 bytes"))
    }

    /// The entry of a stored value (`None`: unreadable, or its user was erased).
    fn entry_of(&self, v: &[u8]) -> Option<Entry> {
        serde_json::from_slice(&self.open_sealed(v.get(HEAD..)?)?).ok()
    }

    /// Keeps `entry`, just stored under `key` as `v`, for the claim round
    /// ([`super::fresh`]).
    pub(super) fn keep_fresh(&self, key: &[u8], v: &[u8], entry: &Entry) {
        if let Some(sealed) = v.get(HEAD..) {
            self.fresh.keep(key, sealed, entry);
        }
    }

    /// The entry of the stored value `v` under `key`: the one kept when it was stored if
    /// `v` still holds that sealing, else read from `v` ([`EmbeddedStore::entry_of`]).
    fn entry_at(&self, key: &[u8], v: &[u8]) -> Option<Entry> {
        v.get(HEAD..)
            .and_then(|sealed| {
                let entry = self.fresh.take(key, sealed)?;
                // As on disk: an entry whose owner's key is gone is unreadable.
                match EmbeddedStore::owner_of(sealed) {
                    Some(who) if self.keys.key(&who).is_none() => None,
                    _ => Some(entry),
                }
            })
            .or_else(|| self.entry_of(v))
    }

    /// The user an entry is about, whose key seals it: the private chat it goes to, or
    /// the user of the ticket a staff post is about. `None` (the server's key): other
    /// posts to groups.
    fn subject(&self, entry: &Entry) -> Result<Option<UserId>, StoreError> {
        if entry.chat > 0 {
            return Ok(Some(UserId(entry.chat)));
        }
        if let Some(Then::TicketPosted { user, .. }) = &entry.then {
            return Ok(Some(UserId(*user)));
        }
        if let What::Message {
            reply_to: Some(ReplyTo::Ticket(n)),
            ..
        } = &entry.what
        {
            return self.ticket_user(*n);
        }
        Ok(None)
    }

    /// A new entry as stored: never attempted, not claimed. Entries about a user erased
    /// in the same commit (the confirmation) are sealed with the server's key, since the
    /// user's is destroyed with the commit.
    pub(super) fn stored_entry(
        &self,
        entry: &Entry,
        now_ms: i64,
        erased: &[UserId],
    ) -> Result<Vec<u8>, StoreError> {
        let head = Head {
            chat: self.chat_tag(entry.chat),
            attempts: 0,
            not_before: 0,
            claim: None,
            notified: false,
            at: now_ms,
        };
        let subject = self.subject(entry)?.filter(|u| !erased.contains(u));
        let mut v = head.write(&[]);
        v.extend(self.seal(subject, &serde_json::to_vec(entry)?)?);
        Ok(v)
    }

    /// An entry stored by a version that did not seal (chat id in the header, the entry
    /// in clear), as this version stores it; `None` if `v` is not one.
    pub(super) fn reseal_legacy_entry(&self, v: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(mut h) = Head::read(v) else {
            return Ok(None);
        };
        let Ok(entry) = serde_json::from_slice::<Entry>(v.get(HEAD..).unwrap_or_default()) else {
            return Ok(None);
        };
        h.chat = self.chat_tag(entry.chat);
        let mut out = h.write(&[]);
        out.extend(self.seal(self.subject(&entry)?, &serde_json::to_vec(&entry)?)?);
        Ok(Some(out))
    }

    /// A stored value in its logical form (claims are left out); `None`: unreadable.
    pub(super) fn outbox_record(&self, v: &[u8]) -> Option<OutboxRecord> {
        let h = Head::read(v)?;
        Some(OutboxRecord {
            owner: v.get(HEAD..).and_then(EmbeddedStore::owner_of),
            entry: self.entry_of(v)?,
            attempts: h.attempts,
            not_before: (h.not_before != 0).then(|| from_ms(h.not_before)),
            notified: h.notified,
            stored_at: from_ms(h.at),
        })
    }

    /// An exported entry as stored here, not claimed: key and value.
    pub(super) fn outbox_value(&self, r: &OutboxRecord) -> Result<(Vec<u8>, Vec<u8>), StoreError> {
        let head = Head {
            chat: self.chat_tag(r.entry.chat),
            attempts: r.attempts,
            not_before: r.not_before.map_or(0, ms),
            claim: None,
            notified: r.notified,
            at: ms(r.stored_at),
        };
        let mut v = head.write(&[]);
        v.extend(self.seal_as(r.owner, &serde_json::to_vec(&r.entry)?)?);
        Ok((entry_key(r.entry.class, self.db.generate_id()?), v))
    }

    /// Removes a claimed entry (key and `raw` of its [`Claimed`]) if it is still as
    /// claimed, and lets its claim go; with nothing following from it. The caller holds
    /// [`EmbeddedStore::writing`].
    pub(super) fn complete_alone(&self, key: &[u8], raw: &[u8]) -> Result<(), StoreError> {
        let now = self.outbox.get(key)?;
        match self.still_claimed(key, now.as_deref(), raw) {
            Some(claim) => {
                self.outbox.remove(key)?;
                self.claims.release(key, claim);
            }
            // Removed meanwhile (its user erased): the claim guards nothing now.
            None if now.is_none() => self.let_go(key, raw),
            None => {}
        }
        Ok(())
    }

    /// Claims the entry at `key` if it still holds `v`, the value the claimer read.
    ///
    /// Two senders of one process may claim at once (in the test adapter every handler
    /// delivers what it stored, and chats are handled side by side). The claim is taken in one step ([`super::claims::Claims::take`]), and
    /// the entry read again after it: a read may be stale, the entry completed (or put
    /// back) and its claim let go since. Every completion changes or removes the entry
    /// before it lets go of the claim, so the entry read after taking the claim is
    /// either still `v`, and ours to send, or no longer to be sent by this claim.
    pub(super) fn claim_as_read(
        &self,
        key: &[u8],
        v: &[u8],
        claim: Claim,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        if !self.claims.take(key, claim, now_ms) {
            return Ok(false);
        }
        if self.outbox.get(key)?.as_deref() == Some(v) {
            return Ok(true);
        }
        self.claims.release(key, claim);
        Ok(false)
    }

    /// Lets go of the claim `raw` was made with, if it is still held.
    pub(super) fn let_go(&self, key: &[u8], raw: &[u8]) {
        if let Some(claim) = claim_in(raw) {
            self.claims.release(key, claim);
        }
    }

    /// The changes that record that `w`'s user was told of its delay (the commit
    /// conflicts if `w` changed meanwhile).
    pub(super) fn outbox_notified_ops(&self, w: &Waiting) -> Vec<Op> {
        let Some(mut h) = Head::read(&w.raw) else {
            return Vec::new();
        };
        h.notified = true;
        vec![
            Op::Expect(TreeId::Outbox, w.key.clone(), Some(w.raw.clone())),
            Op::Put(TreeId::Outbox, w.key.clone(), h.write(&w.raw)),
        ]
    }

    /// The keys of the entries waiting to go to `user`, or about them.
    pub(super) fn outbox_keys_of(&self, user: UserId) -> Result<Vec<Vec<u8>>, StoreError> {
        let (tag, who) = (self.chat_tag(user.0), self.who(user));
        let mut out = Vec::new();
        for item in self.outbox.iter() {
            let (k, v) = item?;
            let about = v.get(HEAD..).and_then(EmbeddedStore::owner_of) == Some(who);
            if about || Head::read(&v).is_some_and(|h| h.chat == tag) {
                out.push(k.to_vec());
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl OutboxStore for EmbeddedStore {
    /// Releases every claim not held by `owner` (claims of a process that stopped).
    /// Only for backends where one process owns the database. Returns how many.
    async fn outbox_recover(&self, owner: Owner) -> Result<usize, StoreError> {
        let mut n = self.claims.release_others(owner);
        // Claims written by earlier versions.
        for item in self.outbox.iter() {
            let (k, v) = item?;
            let Some(mut h) = Head::read(&v) else {
                continue;
            };
            if h.claim.is_some_and(|c| c.owner != owner) {
                h.claim = None;
                if self.cas(&self.outbox, &k, Some(&v), Some(h.write(&v)))? {
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    /// Claims up to `limit` chat heads that are due at `now`, replies first. `skip` is
    /// asked about each candidate's chat and class (e.g. a chat over its rate limit) and
    /// may refuse it; a
    /// refused head keeps its chat waiting. Unreadable entries are removed (logged).
    async fn outbox_claim(
        &self,
        owner: Owner,
        now: Timestamp,
        lease: Duration,
        limit: usize,
        skip: Skip<'_>,
    ) -> Result<Round, StoreError> {
        let now_ms = ms(now);
        let mut seen: std::collections::HashMap<i64, Option<usize>> =
            std::collections::HashMap::new();
        let mut round = Round::default();
        for item in self.outbox.iter() {
            if round.claimed.len() >= limit {
                round.partial = true;
                break;
            }
            let (k, v) = item?;
            round.len += 1;
            let Some(mut h) = Head::read(&v) else {
                tracing::warn!("dropping an unreadable outbox entry");
                self.cas(&self.outbox, &k, Some(&v), None)?;
                continue;
            };
            let chat = h.chat;
            if let Some(head) = seen.get(&chat) {
                if let Some(i) = head {
                    round.claimed[*i].behind += 1;
                }
                continue;
            }
            seen.insert(chat, None);
            let held = self.claims.get(&k).or(h.claim);
            if held.is_some_and(|c| c.until > now_ms) {
                continue;
            }
            if h.not_before > now_ms {
                let due = from_ms(h.not_before);
                round.next_due = Some(round.next_due.map_or(due, |d| d.min(due)));
                continue;
            }
            let class = if k.first() == Some(&Class::Reply.byte()) {
                Class::Reply
            } else {
                Class::Background
            };
            let Some(entry) = self.entry_at(&k, &v) else {
                tracing::warn!("dropping an unreadable outbox entry");
                self.cas(&self.outbox, &k, Some(&v), None)?;
                continue;
            };
            let sealed = v.get(HEAD..).unwrap_or_default();
            if skip(entry.chat, class) {
                self.fresh.put_back(&k, sealed, entry);
                continue;
            }
            let claim = Claim {
                owner,
                until: now_ms + lease.as_millis() as i64,
            };
            if !self.claim_as_read(&k, &v, claim, now_ms)? {
                continue;
            }
            h.claim = Some(claim);
            // `raw` carries the claim; the stored entry is left as it is.
            let raw = h.write(&v);
            seen.insert(chat, Some(round.claimed.len()));
            round.claimed.push(Claimed {
                key: k.to_vec(),
                raw,
                stored_at: from_ms(h.at),
                attempts: h.attempts,
                notified: h.notified,
                entry,
                behind: 0,
            });
        }
        Ok(round)
    }

    /// Puts a claimed entry back, to be sent again not before `at`, with one more failed
    /// attempt when `failed`; `notified` records that its user was told of the delay.
    async fn outbox_retry(
        &self,
        c: &Claimed,
        at: Timestamp,
        failed: bool,
        notified: bool,
    ) -> Result<(), StoreError> {
        let _w = self.writing();
        let Some(mut h) = Head::read(&c.raw) else {
            return Ok(());
        };
        let now = self.outbox.get(&c.key)?;
        let Some(claim) = self.still_claimed(&c.key, now.as_deref(), &c.raw) else {
            tracing::warn!("an outbox entry changed while it was being sent");
            return Ok(());
        };
        h.claim = None;
        h.not_before = ms(at);
        h.attempts += u32::from(failed);
        h.notified |= notified;
        self.outbox.insert(&c.key, h.write(&c.raw))?;
        self.claims.release(&c.key, claim);
        Ok(())
    }

    /// Removes a claimed entry (if still as claimed) without anything following from it;
    /// a delivery with consequences completes with [`crate::store::commit::Commit::consume`].
    async fn outbox_drop(&self, c: &Claimed) -> Result<(), StoreError> {
        let _w = self.writing();
        self.complete_alone(&c.key, &c.raw)
    }

    /// The unclaimed entries of `c`'s chat stored after it, oldest first, up to `limit`.
    async fn outbox_followers(
        &self,
        c: &Claimed,
        limit: usize,
    ) -> Result<Vec<Waiting>, StoreError> {
        let mut out = Vec::new();
        for item in self.outbox.range(c.key.as_slice()..) {
            let (k, v) = item?;
            if k.as_ref() == c.key.as_slice() {
                continue;
            }
            let Some(h) = Head::read(&v) else {
                continue;
            };
            if h.chat != self.chat_tag(c.entry.chat) {
                continue;
            }
            if h.claim.is_some() || self.claims.get(&k).is_some() || out.len() >= limit {
                break;
            }
            let Some(entry) = self.entry_of(&v) else {
                continue;
            };
            out.push(Waiting {
                key: k.to_vec(),
                raw: v.to_vec(),
                entry,
            });
        }
        Ok(out)
    }

    /// Replaces the claimed head `c` by `merged` and removes `replaced` (entries of the
    /// same chat behind it, still unclaimed), in one transaction. Returns the new claim,
    /// or `None` when something changed meanwhile (nothing is changed then).
    async fn outbox_merge(
        &self,
        c: &Claimed,
        replaced: &[&Waiting],
        merged: Entry,
    ) -> Result<Option<Claimed>, StoreError> {
        let _w = self.writing();
        use kv::transaction::{ConflictableTransactionError, TransactionError};
        let Some(h) = Head::read(&c.raw) else {
            return Ok(None);
        };
        let owner = c.raw.get(HEAD..).and_then(EmbeddedStore::owner_of);
        // Stored without the claim (held in memory); `raw` carries it, as claimed.
        let mut stored = Head { claim: None, ..h }.write(&[]);
        stored.extend(self.seal_as(owner, &serde_json::to_vec(&merged)?)?);
        let raw = h.write(&stored);
        if replaced.iter().any(|w| self.claims.get(&w.key).is_some()) {
            return Ok(None);
        }
        let r = self.outbox.transaction(|t| {
            let now = t.get(c.key.as_slice())?;
            if self.still_claimed(&c.key, now.as_deref(), &c.raw).is_none() {
                return Err(ConflictableTransactionError::Abort(()));
            }
            for w in replaced {
                if t.get(w.key.as_slice())?.as_deref() != Some(w.raw.as_slice()) {
                    return Err(ConflictableTransactionError::Abort(()));
                }
                t.remove(w.key.as_slice())?;
            }
            t.insert(c.key.as_slice(), stored.as_slice())?;
            Ok(())
        });
        match r {
            Ok(()) => {
                for w in replaced {
                    self.fresh.forget(&w.key);
                }
                Ok(Some(Claimed {
                    raw,
                    entry: merged,
                    behind: c.behind.saturating_sub(replaced.len()),
                    ..c.clone()
                }))
            }
            Err(TransactionError::Abort(())) => Ok(None),
            Err(TransactionError::Storage(e)) => Err(e.into()),
        }
    }

    /// Unclaimed entries stored before `before` whose user was not yet told of a delay,
    /// among those `watch` picks, oldest first (at most `limit`).
    async fn outbox_late(
        &self,
        before: Timestamp,
        chats: Option<&HashSet<i64>>,
        watch: Watch<'_>,
        limit: usize,
    ) -> Result<Vec<Waiting>, StoreError> {
        let before = ms(before);
        // Headers name a chat by its tag: the other chats' entries are never opened.
        let tags: Option<HashSet<i64>> =
            chats.map(|cs| cs.iter().map(|c| self.chat_tag(*c)).collect());
        // Unclaimed entries seen so far, per chat: how many wait ahead of the next.
        let mut queued: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
        let mut out = Vec::new();
        for item in self.outbox.iter() {
            let (k, v) = item?;
            let Some(h) = Head::read(&v) else {
                continue;
            };
            if h.claim.is_some() || self.claims.get(&k).is_some() {
                continue;
            }
            if tags.as_ref().is_some_and(|t| !t.contains(&h.chat)) {
                continue;
            }
            let n = queued.entry(h.chat).or_insert(0);
            let ahead = *n;
            *n += 1;
            if h.notified || h.at >= before {
                continue;
            }
            if let Some(entry) = self.entry_of(&v).filter(|e| watch(e, ahead)) {
                out.push(Waiting {
                    key: k.to_vec(),
                    raw: v.to_vec(),
                    entry,
                });
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// Entries waiting in the outbox (claimed or not).
    async fn outbox_len(&self) -> Result<usize, StoreError> {
        Ok(self.outbox.len())
    }

    /// Every entry in the outbox, in delivery order (for reports and tests).
    async fn outbox_entries(&self) -> Result<Vec<Entry>, StoreError> {
        let mut out = Vec::new();
        for item in self.outbox.iter() {
            if let Some(e) = self.entry_of(&item?.1) {
                out.push(e);
            }
        }
        Ok(out)
    }
}
