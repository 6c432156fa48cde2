//! Reminders through the outbox: the reminder dispatcher keeps its own queue and claims
//! (and so its bound on repeats), but its messages are stored in the outbox and sent by
//! the one sender, under the one limiter, after the replies.
//!
//! [`Handoff::send`] stores the reminder as a background entry, flushes, and waits for
//! the sender to report how it ended, so the dispatcher still learns of a 403 (the
//! subscriptions end) and counts what was sent; the metrics count it here too. With a
//! store several instances share, the entry may go out from another instance's sender,
//! which cannot wake this one: there the reminder counts as sent once it is stored.

use std::sync::Arc;

use super::{Outbox, SendError};
use crate::ops::metrics;
use crate::outbox::sender::{End, Hooks, Sender};
use crate::outgoing::{Class, Target, Then, plan};
use crate::reply::Reply;
use crate::store::{Commit, CommitError, UserId};

/// The dispatcher's [`Outbox`] in production.
pub struct Handoff<H: Hooks> {
    pub sender: Arc<Sender<H>>,
}

impl<H: Hooks> Outbox for Handoff<H> {
    fn paced(&self) -> bool {
        true
    }

    async fn send(&self, chat: UserId, reply: &Reply) -> Result<(), SendError> {
        let to = Target {
            chat: chat.0,
            ..Target::default()
        };
        let mut entries = plan(std::slice::from_ref(reply), &to, Class::Background);
        let Some(last) = entries.last_mut() else {
            return Ok(());
        };
        let store = self.sender.store();
        // With several instances, another one's sender may deliver the entry, and only
        // this process could be woken: the outbox takes the reminder over once stored
        // (it sends it once; a 403 ends the user's subscriptions there, see the app's
        // `finished` hook).
        let waiter = (!store.shared()).then(|| self.sender.waiter());
        if let Some((token, _)) = &waiter {
            last.then = Some(Then::Wake(*token));
        }
        let mut commit = Commit::new();
        commit.send_all(entries);
        store.commit(&commit).await.map_err(|e| match e {
            CommitError::Conflict => SendError::Transient("conflict".into()),
            CommitError::Store(e) => SendError::Transient(e.to_string()),
        })?;
        store
            .flush()
            .await
            .map_err(|e| SendError::Transient(e.to_string()))?;
        self.sender.kick();
        let Some((_, ended)) = waiter else {
            metrics::reminder_sent();
            return Ok(());
        };
        match ended.await {
            Ok(End::Delivered { .. }) => {
                metrics::reminder_sent();
                Ok(())
            }
            Ok(End::Blocked) => {
                metrics::reminder_failed("blocked");
                Err(SendError::Blocked)
            }
            Ok(End::Refused(why)) => {
                metrics::reminder_failed("refused");
                Err(SendError::Permanent(why))
            }
            // The sender stopped first: the entry stays stored and goes out at start.
            Err(_) => std::future::pending().await,
        }
    }
}
