//! The fixed binary header before each outbox entry in the embedded store (see
//! `outbox.rs`): the delivery state a claim round reads without opening the sealed entry
//! behind it, and the entries' keys.

use crate::outgoing::Class;
use crate::store::outbox::Owner;

use super::claims::Claim;

/// An entry's delivery state, stored as a fixed binary header before the entry's JSON:
/// a claim round reads only headers (the sender scans the whole outbox each round), and
/// parses an entry's text only when it claims it. Changing the state rewrites the header
/// and keeps the entry's bytes as they are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Head {
    pub(super) chat: i64,
    /// Failed attempts so far (5xx, network); 429s do not count.
    pub(super) attempts: u32,
    /// Not to be sent before this (milliseconds since the epoch).
    pub(super) not_before: i64,
    pub(super) claim: Option<Claim>,
    /// The user was told that this (ticket post) is delayed.
    pub(super) notified: bool,
    /// When it was stored (milliseconds since the epoch).
    pub(super) at: i64,
}

const FORMAT: u8 = 1;
/// The header's length: the sealed entry starts there.
pub(super) const HEAD: usize = 46;

impl Head {
    pub(super) fn read(v: &[u8]) -> Option<Head> {
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
    pub(super) fn write(&self, v: &[u8]) -> Vec<u8> {
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

pub(super) fn entry_key(class: Class, seq: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(9);
    k.push(class.byte());
    k.extend(seq.to_be_bytes());
    k
}

/// The claim a [`crate::store::outbox::Claimed`]'s `raw` was made with (written in its header).
pub(super) fn claim_in(raw: &[u8]) -> Option<Claim> {
    Head::read(raw)?.claim
}

/// Whether two stored values hold the same entry, as sealed (headers aside).
pub(super) fn same_entry(a: &[u8], b: &[u8]) -> bool {
    a.len() >= HEAD && a.get(HEAD..) == b.get(HEAD..)
}
