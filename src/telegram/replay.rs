//! The inbox's updates handed out again: what a stop or a crash left, at a start
//! ([`left_over`]), and what stays there unhandled while the bot runs ([`take_over`]).
//!
//! An update can stay in the inbox, unhandled, while the bot keeps running: its
//! instance died behind a load balancer and was not started again, or its handling
//! failed (the database refused writes) and so did the apology, so it was not removed.
//! Telegram does not deliver it again, and [`left_over`] reads the inbox back only at
//! a start. So the listener looks every half of `stranded_after` for updates kept
//! longer ago than that ([`crate::store::Inbox::stranded`], which leases each to one
//! taker) and hands them to the dispatcher with the others. If one was only slow, the
//! second run is a no-op: it waits for the user's turn and finds the update applied.

use std::time::Duration;

use teloxide::stop::StopFlag;
use teloxide::types::Update;
use tokio::sync::mpsc;

use crate::ops::metrics;
use crate::store::Store;

/// What a kill (or a stop that cut the dispatcher's queues short) left in the inbox, to
/// be handed out before anything new. An update that cannot be read is dropped.
pub(super) async fn left_over(store: &Store) -> Vec<Update> {
    let left = match store.unhandled().await {
        Ok(left) => left,
        Err(e) => {
            tracing::error!("reading the updates a stop or crash left: {e}");
            return Vec::new();
        }
    };
    if !left.is_empty() {
        tracing::warn!(
            count = left.len(),
            "handing out again the updates fetched before the last stop and not handled"
        );
    }
    readable(store, left).await
}

/// The updates of `kept` (id, body, from the inbox) that read as updates; one that does
/// not is dropped from the inbox, with an error logged.
async fn readable(store: &Store, kept: Vec<(u32, Vec<u8>)>) -> Vec<Update> {
    let mut out = Vec::with_capacity(kept.len());
    for (id, body) in kept {
        match serde_json::from_slice::<Update>(&body) {
            Ok(u) => out.push(u),
            Err(e) => {
                tracing::error!(id, "an update kept cannot be read, dropped: {e}");
                if let Err(e) = store.handled(id).await {
                    tracing::warn!("dropping it: {e}");
                }
            }
        }
    }
    out
}

/// Every half of `after` until the stop: the updates kept more than `after` ago and not
/// handled, handed to the dispatcher through `tx`.
///
/// It holds the dispatcher's channel weakly, so that the listener's stream still ends
/// when the listener's own sender goes, and reads the stop with
/// [`StopFlag::is_stopped`] only: a flag's clones share one waker, which the listener
/// (or the webhook server's graceful shutdown) waits on.
pub(super) async fn take_over(
    store: Store,
    after: Duration,
    tx: mpsc::WeakSender<Update>,
    flag: StopFlag,
) {
    loop {
        tokio::time::sleep(after / 2).await;
        if flag.is_stopped() || tx.strong_count() == 0 {
            return;
        }
        let taken = match store.stranded(after).await {
            Ok(taken) => taken,
            Err(e) => {
                tracing::error!("reading the updates kept and left unhandled: {e}");
                continue;
            }
        };
        if taken.is_empty() {
            continue;
        }
        metrics::updates_left("taken_over", taken.len() as u64);
        tracing::warn!(
            count = taken.len(),
            waited_secs = after.as_secs(),
            "handling the updates kept and left unhandled (an instance that stopped, or \
             a failure of the database)"
        );
        for u in readable(&store, taken).await {
            let Some(tx) = tx.upgrade() else {
                return;
            };
            if flag.is_stopped() || tx.send(u).await.is_err() {
                return;
            }
        }
    }
}
