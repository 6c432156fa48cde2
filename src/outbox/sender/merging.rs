//! Busy groups: when a group's replies pile up behind its head (Telegram lets a bot post
//! 20 messages a minute there), the head is replaced by one message merging those that
//! can be merged ([`crate::outbox::policy::merge`] says how), in one store write.

use std::sync::atomic::Ordering;

use super::{Hooks, Sender};
use crate::ops::logs::Pseudo;
use crate::outbox::policy;
use crate::store::outbox::Claimed;

impl<H: Hooks> Sender<H> {
    /// Replaces the head of each group whose replies pile up by one merged message.
    pub(super) async fn merge_busy_groups(&self, claimed: Vec<Claimed>) -> Vec<Claimed> {
        let mut out = Vec::with_capacity(claimed.len());
        for c in claimed {
            if c.behind == 0 || !c.entry.mergeable() {
                out.push(c);
                continue;
            }
            let waiting = match self.store.outbox_followers(&c, 200).await {
                Ok(w) => w,
                Err(e) => {
                    tracing::error!("outbox: reading a group's replies failed: {e}");
                    out.push(c);
                    continue;
                }
            };
            let run: Vec<_> = waiting.iter().take_while(|w| w.entry.mergeable()).collect();
            let mut all = vec![c.entry.clone()];
            all.extend(run.iter().map(|w| w.entry.clone()));
            let Some(m) = policy::merge(&all) else {
                out.push(c);
                continue;
            };
            if !m.used.contains(&0) {
                out.push(c);
                continue;
            }
            let replaced: Vec<_> = m
                .used
                .iter()
                .filter(|&&i| i > 0)
                .map(|&i| run[i - 1])
                .collect();
            match self.store.outbox_merge(&c, &replaced, m.entry).await {
                Ok(Some(merged)) => {
                    self.counters
                        .merged
                        .fetch_add(replaced.len() as u64, Ordering::Relaxed);
                    tracing::info!(
                        chat = %Pseudo(c.entry.chat),
                        replies = replaced.len() + 1,
                        "busy group: replies merged into one message"
                    );
                    out.push(merged);
                }
                Ok(None) => out.push(c),
                Err(e) => {
                    tracing::error!("outbox: merging a group's replies failed: {e}");
                    out.push(c);
                }
            }
        }
        out
    }
}
