//! Telling users that a message they wait for (a ticket's post in the staff group) is
//! late: at once when the limiter holds its chat back [`HELD`] or more (Telegram's 20
//! posts a minute in a group, a 429's pause of the chat) or a 429 answered to the message
//! itself asks to wait that long (the sender's retry asks [`held_long`]), and in any case
//! once it has waited [`LATE`]. The round's claim notes the chats it was refused; the look at the
//! outbox that follows is cheap to skip, so it runs at most once a second, or within
//! 200 ms when a chat is newly held.

use std::collections::HashSet;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio::time::Instant;

use super::{Hooks, Sender};
use crate::outgoing::Entry;
use crate::store::{Commit, CommitError, StoreError};

/// A message someone waits for (a ticket's post) that has not gone out after this long
/// (the staff group is over its limit, or Telegram is down) makes the app tell them.
const LATE: Duration = Duration::from_secs(5);
/// A message someone waits for, in a chat that the limiter holds back at least this
/// long, is late at once: its user hears it is queued at once, not after [`LATE`].
/// Shorter holds are left alone, so a post that goes within two seconds is not announced
/// as queued first, and private chats (one message a second) never count as held but
/// after a 429.
const HELD: Duration = Duration::from_secs(2);
/// Each look reads the outbox: at most this often, or [`SOON`] for a newly held chat.
const EVERY: Duration = Duration::from_secs(1);
const SOON: Duration = Duration::from_millis(200);

/// Whether a message held back `wait` (by the limiter, or by a 429's `retry_after`
/// before its retry) is late at once.
pub(super) fn held_long(wait: Duration) -> bool {
    wait >= HELD
}

/// What the sender's rounds know about late messages.
pub(super) struct LateWatch {
    checked: Instant,
    /// Chats the limiter holds back for at least [`HELD`], this round and the last.
    held: HashSet<i64>,
    was_held: HashSet<i64>,
}

impl LateWatch {
    pub(super) fn new() -> LateWatch {
        LateWatch {
            checked: Instant::now(),
            held: HashSet::new(),
            was_held: HashSet::new(),
        }
    }

    /// The limiter refused `chat` this round for `wait`.
    pub(super) fn held(&mut self, chat: i64, wait: Duration) {
        if held_long(wait) {
            self.held.insert(chat);
        }
    }

    /// Ends a round: with entries `waiting`, tells the users whose messages are late if
    /// a look is due, and says when to look again.
    pub(super) async fn round<H: Hooks>(
        &mut self,
        sender: &Sender<H>,
        waiting: bool,
    ) -> Option<Duration> {
        let held = std::mem::take(&mut self.held);
        let mut again = None;
        if waiting {
            let newly_held = held.iter().any(|c| !self.was_held.contains(c));
            let every = if newly_held { SOON } else { EVERY };
            if self.checked.elapsed() >= every {
                self.checked = Instant::now();
                if let Err(e) = sender.tell_late(&held).await {
                    tracing::error!("outbox: telling users of a delay failed: {e}");
                }
            }
            again = Some(EVERY);
        }
        self.was_held = held;
        again
    }
}

impl<H: Hooks> Sender<H> {
    /// Tells the users waiting for messages that are late, once each: those in a chat
    /// the limiter holds back (see [`HELD`]), and any stored [`LATE`] ago.
    async fn tell_late(&self, held: &HashSet<i64>) -> Result<(), StoreError> {
        let now = Timestamp::now();
        let before = now - SignedDuration::try_from(LATE).unwrap_or(SignedDuration::from_secs(5));
        let mut late = Vec::new();
        if !held.is_empty() {
            let in_held = |e: &Entry| e.awaited() && held.contains(&e.chat);
            late = self.store.outbox_late(now, &in_held, 64).await?;
        }
        if late.len() < 64 {
            let told: HashSet<Vec<u8>> = late.iter().map(|w| w.key.clone()).collect();
            for w in self.store.outbox_late(before, &Entry::awaited, 64).await? {
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
