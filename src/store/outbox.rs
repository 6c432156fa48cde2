//! The outbox's storage and its claim protocol (sled tree `outbox`).
//!
//! Keys are class (1 byte: replies first) ‖ sequence number (u64 big-endian, from sled's
//! id generator), so a scan meets replies before background messages and each chat's
//! entries in the order they were stored. Entries ([`crate::outgoing::Entry`]) are
//! written by [`Store::commit`], in the same transaction as the state change that
//! produced them, and removed by a commit too ([`crate::store::commit::Commit::consume`]).
//!
//! Claim protocol, safe with several senders on one database:
//! - only the oldest entry of a chat can be claimed ("head"), and none while another
//!   entry of that chat is claimed: each chat gets its messages in order;
//! - a claim is a compare-and-swap that records the owner and a lease; an entry whose
//!   lease ran out can be claimed again (its owner died);
//! - delivery ends with a commit that removes the entry only if it is still exactly as
//!   claimed ([`crate::store::commit::Commit::consume`]), together with what follows from it;
//! - a sender that may have sent an entry and died leaves it claimed: it is sent again,
//!   so repeats are bounded by the entries in flight. A backend where one process owns the
//!   database (sled) releases every foreign claim at start ([`Store::outbox_recover`]).
//!
//! Nothing here sends anything, and no sled type appears in a public signature: the
//! methods `outbox_*` (with [`Owner`], [`Claimed`], [`Waiting`], [`Round`]) and
//! [`crate::store::commit::Commit::send`] / `consume` are the surface a storage trait
//! can take over. A backend shared by several instances (PostgreSQL) would claim heads
//! with `FOR UPDATE SKIP LOCKED` and a lease column, and skip `outbox_recover` (claims of
//! a dead instance end with their lease).

use std::time::Duration;

use jiff::Timestamp;

use crate::outgoing::{Class, Entry};
use crate::store::commit::{Op, TreeId};
use crate::store::{Store, StoreError};

/// Who claims entries: one per running sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner(pub u64);

impl Owner {
    /// A fresh owner (random: two processes never share one).
    pub fn new() -> Owner {
        let t = Timestamp::now().as_nanosecond() as u64;
        Owner(t ^ (u64::from(std::process::id()) << 40) ^ 0x9e37_79b9_7f4a_7c15)
    }
}

impl Default for Owner {
    fn default() -> Self {
        Owner::new()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Claim {
    owner: Owner,
    /// Milliseconds since the epoch.
    until: i64,
}

/// An entry's delivery state, stored as a fixed binary header before the entry's JSON:
/// a claim round reads only headers (the sender scans the whole outbox each round), and
/// parses an entry's text only when it claims it. Changing the state rewrites the header
/// and keeps the entry's bytes as they are.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Head {
    chat: i64,
    /// Failed attempts so far (5xx, network); 429s do not count.
    attempts: u32,
    /// Not to be sent before this (milliseconds since the epoch).
    not_before: i64,
    claim: Option<Claim>,
    /// The user was told that this (ticket post) is delayed.
    notified: bool,
    /// When it was stored (milliseconds since the epoch).
    at: i64,
}

const FORMAT: u8 = 1;
const HEAD: usize = 46;

impl Head {
    fn read(v: &[u8]) -> Option<Head> {
        if v.len() < HEAD || v[0] != FORMAT {
            return None;
        }
        let i64_at = |i: usize| i64::from_be_bytes(v[i..i + 8].try_into().unwrap_or_default());
        let flags = v[21];
        Some(Head {
            chat: i64_at(1),
            attempts: u32::from_be_bytes(v[9..13].try_into().ok()?),
            not_before: i64_at(13),
            claim: (flags & 1 != 0).then(|| Claim {
                owner: Owner(i64_at(22) as u64),
                until: i64_at(30),
            }),
            notified: flags & 2 != 0,
            at: i64_at(38),
        })
    }

    /// `v` (a stored value) with this header instead of its own.
    fn write(&self, v: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(v.len().max(HEAD));
        out.push(FORMAT);
        out.extend(self.chat.to_be_bytes());
        out.extend(self.attempts.to_be_bytes());
        out.extend(self.not_before.to_be_bytes());
        out.push(u8::from(self.claim.is_some()) | (u8::from(self.notified) << 1));
        let (owner, until) = self.claim.map_or((0, 0), |c| (c.owner.0, c.until));
        out.extend(owner.to_be_bytes());
        out.extend(until.to_be_bytes());
        out.extend(self.at.to_be_bytes());
        debug_assert_eq!(out.len(), HEAD);
        out.extend_from_slice(v.get(HEAD..).unwrap_or_default());
        out
    }
}

/// The entry of a stored value.
fn entry_of(v: &[u8]) -> Option<Entry> {
    serde_json::from_slice(v.get(HEAD..)?).ok()
}

/// A new entry as stored: never attempted, not claimed.
pub(crate) fn stored(entry: &Entry, now_ms: i64) -> Result<Vec<u8>, StoreError> {
    let head = Head {
        chat: entry.chat,
        attempts: 0,
        not_before: 0,
        claim: None,
        notified: false,
        at: now_ms,
    };
    let mut v = head.write(&[]);
    v.extend(serde_json::to_vec(entry)?);
    Ok(v)
}

pub(crate) fn entry_key(class: Class, seq: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(9);
    k.push(class.byte());
    k.extend(seq.to_be_bytes());
    k
}

/// An entry this sender now owns, until it completes, retries or releases it.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    pub(crate) key: Vec<u8>,
    /// The stored bytes after the claim: later changes compare against them.
    pub(crate) raw: Vec<u8>,
    pub entry: Entry,
    pub attempts: u32,
    pub notified: bool,
    /// When it was stored.
    pub stored_at: Timestamp,
    /// Further entries of the same chat waiting behind it.
    pub behind: usize,
}

/// An unclaimed entry waiting behind a claimed one (see [`Store::outbox_followers`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Waiting {
    key: Vec<u8>,
    raw: Vec<u8>,
    pub entry: Entry,
}

/// What one claim round found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Round {
    pub claimed: Vec<Claimed>,
    /// The earliest moment a head that is waiting for a retry becomes due.
    pub next_due: Option<Timestamp>,
    /// Entries in the outbox (all chats, claimed or not) seen by the round.
    pub len: usize,
    /// The round stopped once `limit` heads were claimed: `len`, `next_due` and
    /// `behind` count only what it saw (a full outbox is not read when it need not be).
    pub partial: bool,
}

fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

fn from_ms(m: i64) -> Timestamp {
    Timestamp::from_millisecond(m).unwrap_or(Timestamp::UNIX_EPOCH)
}

impl Store {
    /// Releases every claim not held by `owner` (claims of a process that stopped).
    /// Only for backends where one process owns the database. Returns how many.
    pub fn outbox_recover(&self, owner: Owner) -> Result<usize, StoreError> {
        let mut n = 0;
        for item in self.outbox.iter() {
            let (k, v) = item?;
            let Some(mut h) = Head::read(&v) else {
                continue;
            };
            if h.claim.is_some_and(|c| c.owner != owner) {
                h.claim = None;
                let new = h.write(&v);
                if self
                    .outbox
                    .compare_and_swap(&k, Some(&v), Some(new))?
                    .is_ok()
                {
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
    pub fn outbox_claim(
        &self,
        owner: Owner,
        now: Timestamp,
        lease: Duration,
        limit: usize,
        skip: &mut dyn FnMut(i64, Class) -> bool,
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
                self.outbox
                    .compare_and_swap(&k, Some(&v), None as Option<&[u8]>)?
                    .ok();
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
            if h.claim.is_some_and(|c| c.until > now_ms) {
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
            if skip(chat, class) {
                continue;
            }
            let Some(entry) = entry_of(&v) else {
                tracing::warn!("dropping an unreadable outbox entry");
                self.outbox
                    .compare_and_swap(&k, Some(&v), None as Option<&[u8]>)?
                    .ok();
                continue;
            };
            h.claim = Some(Claim {
                owner,
                until: now_ms + lease.as_millis() as i64,
            });
            let raw = h.write(&v);
            if self
                .outbox
                .compare_and_swap(&k, Some(&v), Some(raw.clone()))?
                .is_err()
            {
                continue;
            }
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
    pub fn outbox_retry(
        &self,
        c: &Claimed,
        at: Timestamp,
        failed: bool,
        notified: bool,
    ) -> Result<(), StoreError> {
        let Some(mut h) = Head::read(&c.raw) else {
            return Ok(());
        };
        h.claim = None;
        h.not_before = ms(at);
        h.attempts += u32::from(failed);
        h.notified |= notified;
        let new = h.write(&c.raw);
        if self
            .outbox
            .compare_and_swap(&c.key, Some(&c.raw), Some(new))?
            .is_err()
        {
            tracing::warn!("an outbox entry changed while it was being sent");
        }
        Ok(())
    }

    /// Removes a claimed entry (if still as claimed) without anything following from it;
    /// a delivery with consequences completes with [`crate::store::commit::Commit::consume`].
    pub fn outbox_drop(&self, c: &Claimed) -> Result<(), StoreError> {
        self.outbox
            .compare_and_swap(&c.key, Some(&c.raw), None as Option<&[u8]>)?
            .ok();
        Ok(())
    }

    /// The unclaimed entries of `c`'s chat stored after it, oldest first, up to `limit`.
    pub fn outbox_followers(&self, c: &Claimed, limit: usize) -> Result<Vec<Waiting>, StoreError> {
        let mut out = Vec::new();
        for item in self.outbox.range(c.key.as_slice()..) {
            let (k, v) = item?;
            if k.as_ref() == c.key.as_slice() {
                continue;
            }
            let Some(h) = Head::read(&v) else {
                continue;
            };
            if h.chat != c.entry.chat {
                continue;
            }
            if h.claim.is_some() || out.len() >= limit {
                break;
            }
            let Some(entry) = entry_of(&v) else {
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
    pub fn outbox_merge(
        &self,
        c: &Claimed,
        replaced: &[&Waiting],
        merged: Entry,
    ) -> Result<Option<Claimed>, StoreError> {
        use sled::transaction::{ConflictableTransactionError, TransactionError};
        let Some(h) = Head::read(&c.raw) else {
            return Ok(None);
        };
        let mut raw = h.write(&[]);
        raw.extend(serde_json::to_vec(&merged)?);
        let r = self.outbox.transaction(|t| {
            if t.get(c.key.as_slice())?.as_deref() != Some(c.raw.as_slice()) {
                return Err(ConflictableTransactionError::Abort(()));
            }
            for w in replaced {
                if t.get(w.key.as_slice())?.as_deref() != Some(w.raw.as_slice()) {
                    return Err(ConflictableTransactionError::Abort(()));
                }
                t.remove(w.key.as_slice())?;
            }
            t.insert(c.key.as_slice(), raw.as_slice())?;
            Ok(())
        });
        match r {
            Ok(()) => Ok(Some(Claimed {
                raw,
                entry: merged,
                behind: c.behind.saturating_sub(replaced.len()),
                ..c.clone()
            })),
            Err(TransactionError::Abort(())) => Ok(None),
            Err(TransactionError::Storage(e)) => Err(e.into()),
        }
    }

    /// Unclaimed entries stored before `before` whose user was not yet told of a delay,
    /// among those `watch` picks, oldest first (at most `limit`).
    pub fn outbox_late(
        &self,
        before: Timestamp,
        watch: &dyn Fn(&Entry) -> bool,
        limit: usize,
    ) -> Result<Vec<Waiting>, StoreError> {
        let before = ms(before);
        let mut out = Vec::new();
        for item in self.outbox.iter() {
            let (k, v) = item?;
            let Some(h) = Head::read(&v) else {
                continue;
            };
            if h.claim.is_some() || h.notified || h.at >= before {
                continue;
            }
            if let Some(entry) = entry_of(&v).filter(|e| watch(e)) {
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

    /// The changes that record, in a commit, that `w`'s user was told of its delay (the
    /// commit fails with a conflict if `w` changed meanwhile).
    pub(crate) fn outbox_notified_ops(&self, w: &Waiting) -> Result<Vec<Op>, StoreError> {
        let Some(mut h) = Head::read(&w.raw) else {
            return Ok(Vec::new());
        };
        h.notified = true;
        Ok(vec![
            Op::Expect(TreeId::Outbox, w.key.clone(), Some(w.raw.clone())),
            Op::Put(TreeId::Outbox, w.key.clone(), h.write(&w.raw)),
        ])
    }

    /// Entries waiting in the outbox (claimed or not).
    pub fn outbox_len(&self) -> usize {
        self.outbox.len()
    }

    /// Every entry in the outbox, in delivery order (for reports and tests).
    pub fn outbox_entries(&self) -> Result<Vec<Entry>, StoreError> {
        let mut out = Vec::new();
        for item in self.outbox.iter() {
            if let Some(e) = entry_of(&item?.1) {
                out.push(e);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::Rich;
    use crate::store::commit::Commit;

    fn put(st: &Store, chat: i64, class: Class, text: &str) {
        let mut c = Commit::new();
        c.send(Entry::message(chat, class, Rich::plain(text)));
        st.commit(&c).unwrap();
    }

    fn text(e: &Entry) -> String {
        match &e.what {
            crate::outgoing::What::Message { text, .. } => text.to_plain(),
            _ => String::new(),
        }
    }

    const LEASE: Duration = Duration::from_secs(60);

    #[test]
    fn one_head_per_chat_replies_first_and_in_order() {
        let st = Store::temporary().unwrap();
        put(&st, 1, Class::Background, "promemoria");
        put(&st, 1, Class::Reply, "a1");
        put(&st, 2, Class::Reply, "b1");
        put(&st, 1, Class::Reply, "a2");
        let me = Owner(1);
        let now = Timestamp::now();
        let r = st
            .outbox_claim(me, now, LEASE, 10, &mut |_, _| false)
            .unwrap();
        let got: Vec<String> = r.claimed.iter().map(|c| text(&c.entry)).collect();
        assert_eq!(got, ["a1", "b1"]);
        assert_eq!(r.claimed[0].behind, 2);
        // While chat 1's head is claimed, nothing else of chat 1 can be.
        let r2 = st
            .outbox_claim(Owner(2), now, LEASE, 10, &mut |_, _| false)
            .unwrap();
        assert!(r2.claimed.is_empty());
        st.outbox_drop(&r.claimed[0]).unwrap();
        let r3 = st
            .outbox_claim(me, now, LEASE, 10, &mut |_, _| false)
            .unwrap();
        let got: Vec<String> = r3.claimed.iter().map(|c| text(&c.entry)).collect();
        assert_eq!(got, ["a2"]);
    }

    #[test]
    fn late_entries_are_found_once_their_user_is_told() {
        let st = Store::temporary().unwrap();
        put(&st, -5, Class::Reply, "post");
        put(&st, 1, Class::Reply, "reply");
        let later = Timestamp::now() + jiff::SignedDuration::from_secs(10);
        let posts = |e: &Entry| e.chat < 0;
        assert!(
            st.outbox_late(
                Timestamp::now() - jiff::SignedDuration::from_secs(10),
                &posts,
                9
            )
            .unwrap()
            .is_empty(),
            "not late yet"
        );
        let late = st.outbox_late(later, &posts, 9).unwrap();
        assert_eq!(late.len(), 1);
        let mut c = Commit::new();
        c.ops(st.outbox_notified_ops(&late[0]).unwrap());
        st.commit(&c).unwrap();
        assert!(
            st.outbox_late(later, &posts, 9).unwrap().is_empty(),
            "told once"
        );
        // A second notice built from the old state is refused.
        assert!(st.commit(&c).is_err());
    }

    #[test]
    fn claims_expire_retries_wait_and_a_restart_recovers() {
        let st = Store::temporary().unwrap();
        put(&st, 1, Class::Reply, "x");
        let now = Timestamp::from_millisecond(Timestamp::now().as_millisecond()).unwrap();
        let dead = Owner(1);
        let c = st
            .outbox_claim(dead, now, Duration::from_secs(1), 10, &mut |_, _| false)
            .unwrap()
            .claimed
            .remove(0);
        // Another sender takes it over once the lease ran out.
        let later = now + jiff::SignedDuration::from_secs(2);
        let c2 = st
            .outbox_claim(Owner(2), later, LEASE, 10, &mut |_, _| false)
            .unwrap()
            .claimed
            .remove(0);
        // The dead owner's completion no longer removes it.
        st.outbox_drop(&c).unwrap();
        assert_eq!(st.outbox_len(), 1);
        let retry_at = later + jiff::SignedDuration::from_secs(30);
        st.outbox_retry(&c2, retry_at, true, false).unwrap();
        let r = st
            .outbox_claim(Owner(2), later, LEASE, 10, &mut |_, _| false)
            .unwrap();
        assert!(r.claimed.is_empty());
        assert_eq!(r.next_due, Some(retry_at));
        let c3 = st
            .outbox_claim(Owner(3), retry_at, LEASE, 10, &mut |_, _| false)
            .unwrap()
            .claimed
            .remove(0);
        assert_eq!(c3.attempts, 1);
        // A restart (new owner, one process per database) frees the claim at once.
        assert_eq!(st.outbox_recover(Owner(4)).unwrap(), 1);
        assert_eq!(
            st.outbox_claim(Owner(4), retry_at, LEASE, 10, &mut |_, _| false)
                .unwrap()
                .claimed
                .len(),
            1
        );
    }
}
