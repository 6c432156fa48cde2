//! Telling users that a message they wait for (a ticket's post in the staff group) is
//! late: at once when it will wait [`HELD`] or more, and in any case once it has waited
//! [`LATE`]. A message will wait that long when the limiter holds its chat back that long
//! (a 429's pause of the chat), when a 429 answered to the message itself asks to wait
//! that long (the sender's retry asks [`held_long`]), or when it is queued behind others
//! in a chat the limiter spaces that far apart (Telegram's 20 posts a minute in a group:
//! the second in line waits at least 3 s). The round's claim notes the chats it was
//! refused and for how long; the look at the outbox that follows reads only those chats'
//! entries (and, for [`LATE`], every chat's), at most once a second, or within 200 ms
//! when a chat is newly held or a round sees more entries than the last while one is
//! (entries that came as many others left wait for the next second's look).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio::time::Instant;

use super::{Hooks, Sender};
use crate::outgoing::Entry;
use crate::store::{Commit, CommitError, StoreError};

/// A message someone waits for (a ticket's post) that has not gone out after this long
/// (the staff group is over its limit, or Telegram is down) makes the app tell them.
const LATE: Duration = Duration::from_secs(5);
/// A message someone waits for that will wait at least this long (the limiter's hold on
/// its chat, plus the chat's spacing for each message ahead of it) is late at once: its
/// user hears it is queued at once, not after [`LATE`]. Shorter waits are left alone, so
/// a post that goes within two seconds is not announced as queued first, and a private
/// chat's messages (one a second) rarely count.
const HELD: Duration = Duration::from_secs(2);
/// Each look reads the outbox: at most this often, or [`SOON`] for a newly held chat.
const EVERY: Duration = Duration::from_secs(1);
const SOON: Duration = Duration::from_millis(200);

/// Whether a message held back `wait` (by the limiter, or by a 429's `retry_after`
/// before its retry) is late at once.
pub(super) fn held_long(wait: Duration) -> bool {
    wait >= HELD
}

/// How long the limiter holds a chat back, and how far apart it spaces the chat's
/// messages.
#[derive(Debug, Clone, Copy)]
pub(super) struct Hold {
    pub(super) wait: Duration,
    pub(super) spacing: Duration,
}

impl Hold {
    /// Whether a message with `ahead` others queued before it in the chat will wait
    /// [`HELD`].
    fn late(self, ahead: usize) -> bool {
        let ahead = u32::try_from(ahead).unwrap_or(u32::MAX);
        held_long(self.wait.saturating_add(self.spacing.saturating_mul(ahead)))
    }

    /// Whether the chat's entries are worth a look: it is held back [`HELD`] (a 429), or
    /// spaces its messages that far apart (a group), so anyone behind its next message
    /// waits that long. A private chat's usual second is not.
    fn matters(self) -> bool {
        held_long(self.wait) || held_long(self.spacing)
    }
}

/// What the sender's rounds know about late messages.
pub(super) struct LateWatch {
    /// When the last look was.
    checked: Instant,
    /// When the next one is due: [`EVERY`] after the last, or [`SOON`] after it once a
    /// chat is newly held or a round sees more entries than the last while one is.
    due: Instant,
    /// Chats the limiter refused this round, where a message may wait [`HELD`].
    held: HashMap<i64, Hold>,
    /// The chats held in the last round, and how many entries it saw.
    was_held: HashSet<i64>,
    was_len: usize,
}

impl LateWatch {
    pub(super) fn new() -> LateWatch {
        let now = Instant::now();
        LateWatch {
            checked: now,
            due: now + EVERY,
            held: HashMap::new(),
            was_held: HashSet::new(),
            was_len: 0,
        }
    }

    /// The limiter refused `chat` this round.
    pub(super) fn held(&mut self, chat: i64, hold: Hold) {
        if hold.matters() {
            self.held.insert(chat, hold);
        }
    }

    /// Ends a round that saw `len` entries: with entries `waiting`, tells the users whose
    /// messages are late if a look is due, and says when to look again. A look is due
    /// soon when a chat is newly held, or when the round saw more entries than the last
    /// while one is (a ticket queued in a held group; one that came as another left is
    /// looked at within [`EVERY`]).
    pub(super) async fn round<H: Hooks>(
        &mut self,
        sender: &Sender<H>,
        waiting: bool,
        len: usize,
    ) -> Option<Duration> {
        let held = std::mem::take(&mut self.held);
        let mut again = None;
        if waiting {
            let newly_held = held.keys().any(|c| !self.was_held.contains(c));
            if newly_held || (!held.is_empty() && len > self.was_len) {
                self.due = self.due.min(self.checked + SOON);
            }
            let now = Instant::now();
            if now >= self.due {
                self.checked = now;
                self.due = now + EVERY;
                if let Err(e) = sender.tell_late(&held).await {
                    tracing::error!("outbox: telling users of a delay failed: {e}");
                }
            }
            again = Some(self.due.saturating_duration_since(Instant::now()));
        }
        self.was_held = held.into_keys().collect();
        self.was_len = len;
        again
    }
}

impl<H: Hooks> Sender<H> {
    /// Tells the users waiting for messages that are late, once each: those that will
    /// wait [`HELD`] in a chat the limiter holds back (each entry's place in its chat's
    /// queue counted), and any stored [`LATE`] ago.
    async fn tell_late(&self, held: &HashMap<i64, Hold>) -> Result<(), StoreError> {
        let now = Timestamp::now();
        let before = now - SignedDuration::try_from(LATE).unwrap_or(SignedDuration::from_secs(5));
        let mut late = Vec::new();
        if !held.is_empty() {
            let chats: HashSet<i64> = held.keys().copied().collect();
            let in_held = |e: &Entry, ahead: usize| {
                e.awaited() && held.get(&e.chat).is_some_and(|h| h.late(ahead))
            };
            late = self
                .store
                .outbox_late(now, Some(&chats), &in_held, 64)
                .await?;
        }
        if late.len() < 64 {
            let told: HashSet<Vec<u8>> = late.iter().map(|w| w.key.clone()).collect();
            let awaited = |e: &Entry, _: usize| e.awaited();
            for w in self.store.outbox_late(before, None, &awaited, 64).await? {
                if !told.contains(&w.key) && late.len() < 64 {
                    late.push(w);
                }
            }
        }
        for w in late {
            let mut commit = Commit::new();
            if !self.hooks.delayed(&w.entry, &mut commit) {
                continue;
            }
            commit.notified(&w);
            match self.store.commit(&commit).await {
                Ok(()) => self.kick(),
                Err(CommitError::Conflict) => {}
                Err(CommitError::Store(e)) => return Err(e),
            }
        }
        Ok(())
    }
}
