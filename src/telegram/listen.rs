//! Long polling that loses no update: what is fetched is kept in the store's inbox
//! ([`crate::store::Inbox`]) before Telegram is told it may forget it.
//!
//! **Why not teloxide's `Polling`.** Telegram forgets every update below the offset of
//! the next `getUpdates`. teloxide's listener asks for the next batch as soon as the
//! dispatcher has queued the last one, before any handler committed anything, so a bot
//! killed a few milliseconds after a batch arrived lost the whole of it (26 of 90
//! actions in the crash campaign killed 5 ms after them, BENCHMARKS.md).
//!
//! **What this does instead.** A task fetches: each batch is written to the inbox, handed
//! to the dispatcher at once, and made durable before the next `getUpdates` confirms it
//! (the store waits for a flush that covers the batch, usually its handlers' own, see
//! `store/embedded/inbox.rs`). A handler
//! removes its update when done ([`super::Adapter::handled`]). At start, whatever a kill
//! (or a stop that cut the queues short) left in the inbox is handed out first; an
//! update applied before the kill is recognised by its id and skipped
//! ([`crate::store::UpdateLog`]), one that was only fetched is handled now.
//!
//! What is kept is the update as Telegram sent it, less the text of the messages it
//! quotes (a reply's `reply_to_message`, a button's message): those are the bot's own
//! posts, which may hold another user's question, and the handlers read only their ids.
//!
//! Faults: a failed poll is retried after Telegram's `retry_after` or with capped
//! exponential backoff with jitter, and counted (the call is [`super::poll`]'s, which
//! reports a 5xx at once, where teloxide's held it 10 s); a batch the store cannot keep
//! (a full disk) is not confirmed either, so Telegram hands it out again once the store
//! can, and `/readyz` says updates fail meanwhile.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use backon::BackoffBuilder;
use serde_json::Value;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::stop::{StopFlag, StopToken, mk_stop_token};
use teloxide::types::{AllowedUpdate, MessageKind, Update, UpdateKind};
use teloxide::update_listeners::{StatefulListener, UpdateListener};
use tokio::sync::mpsc;

use super::error_code;
use super::poll::Poll;
use crate::ops::health::Health;
use crate::ops::metrics;
use crate::store::inbox::Received;
use crate::store::{Store, UserId};

/// Updates fetched (or posted) and not yet taken by the dispatcher (it takes them at
/// once: it only queues them by lane).
pub(super) const HANDOFF: usize = 256;
/// How long a stop waits for the last `getUpdates` that confirms what was fetched.
const CONFIRM_AT_STOP: Duration = Duration::from_secs(3);

/// The update as kept: its user, and its JSON without the text of the messages it
/// quotes (see the module documentation).
pub fn kept(update: &Update) -> Result<Received, serde_json::Error> {
    let body = if quotes_nothing(update) {
        serde_json::to_vec(update)?
    } else {
        let mut v = serde_json::to_value(update)?;
        forget_quoted_text(&mut v);
        serde_json::to_vec(&v)?
    };
    Ok(Received {
        id: update.id.0,
        user: update.from().map(|u| UserId(u.id.0 as i64)),
        body,
    })
}

/// An update teloxide could not read (the dispatcher logs and drops it).
pub(super) fn unreadable(update: &Update) -> bool {
    matches!(update.kind, UpdateKind::Error(_))
}

/// A plain message that quotes no other (most of them): kept as it is, without going
/// through a JSON tree.
fn quotes_nothing(update: &Update) -> bool {
    match &update.kind {
        UpdateKind::Message(m) => match &m.kind {
            MessageKind::Common(c) => {
                c.reply_to_message.is_none() && c.external_reply.is_none() && c.quote.is_none()
            }
            _ => false,
        },
        _ => false,
    }
}

/// Blanks the text of the messages an update quotes: a message's `reply_to_message`
/// (and its `quote`, `external_reply`), and a button press's `message`.
fn forget_quoted_text(update: &mut Value) {
    let Some(fields) = update.as_object_mut() else {
        return;
    };
    for (kind, body) in fields.iter_mut() {
        let Some(body) = body.as_object_mut() else {
            continue;
        };
        if kind == "callback_query" {
            if let Some(m) = body.get_mut("message") {
                blank(m);
            }
            continue;
        }
        body.remove("quote");
        body.remove("external_reply");
        if let Some(m) = body.get_mut("reply_to_message") {
            blank(m);
        }
    }
}

/// A quoted message with its text and captions emptied (kept as fields, so that it
/// still reads as the kind of message it was).
fn blank(message: &mut Value) {
    let Some(m) = message.as_object_mut() else {
        return;
    };
    for field in ["text", "caption"] {
        if let Some(t) = m.get_mut(field) {
            *t = Value::String(String::new());
        }
    }
    for field in [
        "entities",
        "caption_entities",
        "reply_to_message",
        "quote",
        "external_reply",
    ] {
        m.remove(field);
    }
}

/// The listener: hands out what a crash left, then polls, as described above.
/// What was kept `stranded_after` ago and left unhandled is handed out too
/// ([`super::replay`]).
pub fn durable_polling(
    bot: Bot,
    store: Store,
    poll: Duration,
    health: Arc<Health>,
    stranded_after: Duration,
) -> impl UpdateListener<Err = RequestError> {
    let (token, flag) = mk_stop_token();
    let state = State {
        stranded_after,
        fetcher: Some(Fetcher {
            poll: Poll::from_bot(&bot),
            store,
            timeout: poll,
            health,
            allowed: vec![AllowedUpdate::Message, AllowedUpdate::CallbackQuery],
        }),
        token,
        flag,
    };
    StatefulListener::new_with_hints(
        state,
        |st: &mut State| {
            let (tx, rx) = mpsc::channel(HANDOFF);
            if let Some(fetcher) = st.fetcher.take() {
                tokio::spawn(super::replay::take_over(
                    fetcher.store.clone(),
                    st.stranded_after,
                    tx.downgrade(),
                    st.flag.clone(),
                ));
                tokio::spawn(fetcher.run(tx, st.flag.clone()));
            }
            handed_over(Some(rx))
        },
        |st: &mut State| st.token.clone(),
        Some(
            |st: &mut State, hint: &mut dyn Iterator<Item = AllowedUpdate>| {
                if let Some(f) = st.fetcher.as_mut() {
                    f.allowed = hint.collect();
                }
            },
        ),
    )
}

struct State {
    /// Taken when the dispatcher asks for the stream.
    fetcher: Option<Fetcher>,
    stranded_after: Duration,
    token: StopToken,
    flag: StopFlag,
}

struct Fetcher {
    poll: Poll,
    store: Store,
    /// How long a poll waits for an update.
    timeout: Duration,
    health: Arc<Health>,
    /// The kinds of update the handlers take (the dispatcher's hint).
    allowed: Vec<AllowedUpdate>,
}

/// The delays between failed polls (and attempts to keep a batch).
fn backoff() -> impl Iterator<Item = Duration> {
    super::http::reconnect_backoff().build()
}

impl Fetcher {
    async fn run(self, tx: mpsc::Sender<Update>, mut stop: StopFlag) {
        let left = super::replay::left_over(&self.store).await;
        let mut again: HashSet<u32> = left.iter().map(|u| u.id.0).collect();
        for u in left {
            if tx.send(u).await.is_err() {
                return;
            }
        }
        let mut offset: Option<i32> = None;
        // Received since the last flush: to be made durable before the next poll.
        let mut unsynced = false;
        let mut delays = backoff();
        let secs = u32::try_from(self.timeout.as_secs()).unwrap_or(u32::MAX);
        loop {
            // What was fetched is durable before Telegram hears it may forget it.
            if unsynced {
                if let Err(e) = self.store.sync_received().await {
                    self.health.listener_failed(std::time::Instant::now());
                    tracing::error!("keeping the updates fetched: {e}");
                    if self.pause(&mut delays, &mut stop).await {
                        break;
                    }
                    continue;
                }
                unsynced = false;
            }
            let res = tokio::select! {
                r = self.poll.updates(offset, None, secs, &self.allowed) => r,
                _ = &mut stop => break,
            };
            let updates = match res {
                Ok(u) => u,
                Err(e) => {
                    self.health.listener_failed(std::time::Instant::now());
                    metrics::telegram_error(&e.code);
                    tracing::warn!("polling for updates failed: {e}");
                    let stopped = match e.retry_after {
                        Some(d) => sleep_or_stop(d, &mut stop).await,
                        None => self.pause(&mut delays, &mut stop).await,
                    };
                    if stopped {
                        break;
                    }
                    continue;
                }
            };
            delays = backoff();
            let Some(last) = updates.last() else {
                continue;
            };
            let next = last.id.as_offset();
            let batch: Vec<Received> = updates
                .iter()
                // One teloxide cannot read is logged and dropped by the dispatcher,
                // never handled: nothing to keep.
                .filter(|u| !again.contains(&u.id.0) && !unreadable(u))
                .filter_map(|u| match kept(u) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        tracing::warn!(id = u.id.0, "an update cannot be kept: {e}");
                        None
                    }
                })
                .collect();
            if let Err(e) = self.store.receive(&batch).await {
                // Not kept, so not confirmed: Telegram hands them out again.
                self.health.listener_failed(std::time::Instant::now());
                tracing::error!("keeping {} update(s) fetched: {e}", batch.len());
                if self.pause(&mut delays, &mut stop).await {
                    break;
                }
                continue;
            }
            unsynced = true;
            offset = Some(next);
            for u in updates {
                // Handed out already from the inbox (fetched before a kill, never
                // confirmed).
                if again.remove(&u.id.0) {
                    continue;
                }
                if tx.send(u).await.is_err() {
                    return;
                }
            }
        }
        self.confirm_at_stop(offset, unsynced).await;
    }

    /// Waits the next backoff delay; true if a stop came first.
    async fn pause(
        &self,
        delays: &mut impl Iterator<Item = Duration>,
        stop: &mut StopFlag,
    ) -> bool {
        let d = delays.next().unwrap_or(Duration::from_secs(30));
        sleep_or_stop(d, stop).await
    }

    /// Tells Telegram what was fetched (once it is durable), so that the next start is
    /// not handed it again. The dispatcher finishes what it queued; what a kill cuts
    /// short is in the inbox.
    async fn confirm_at_stop(&self, offset: Option<i32>, unsynced: bool) {
        let Some(offset) = offset else {
            return;
        };
        if unsynced && let Err(e) = self.store.sync_received().await {
            tracing::error!("keeping the updates fetched: {e}");
            return;
        }
        let req = self.poll.updates(Some(offset), Some(1), 0, &self.allowed);
        match tokio::time::timeout(CONFIRM_AT_STOP, req).await {
            Ok(Ok(_)) => tracing::debug!("updates fetched so far confirmed"),
            Ok(Err(e)) => tracing::debug!("confirming the updates fetched: {e}"),
            Err(_) => tracing::debug!("confirming the updates fetched: no answer in time"),
        }
    }
}

/// The dispatcher's stream of what a listener hands over through `rx` (none: empty).
pub(super) fn handed_over(
    rx: Option<mpsc::Receiver<Update>>,
) -> impl futures::Stream<Item = Result<Update, RequestError>> + Send {
    futures::stream::unfold(rx, |rx| async move {
        let mut rx = rx?;
        rx.recv().await.map(|u| (Ok(u), Some(rx)))
    })
}

/// Sleeps `d`; true if a stop came first.
async fn sleep_or_stop(d: Duration, stop: &mut StopFlag) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => false,
        _ = stop => true,
    }
}

/// Removes the webhook if one is set (polling and a webhook exclude each other).
pub async fn delete_webhook_if_set(bot: &Bot) {
    match bot.get_webhook_info().send().await {
        Ok(info) if info.url.is_some() => {
            if let Err(e) = bot.delete_webhook().send().await {
                metrics::telegram_error(&error_code(&e));
                tracing::error!("deleting the webhook: {e}");
            }
        }
        Ok(_) => {}
        Err(e) => {
            metrics::telegram_error(&error_code(&e));
            tracing::error!("reading the webhook's settings: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As Telegram's bytes are read (teloxide reads an update's kind from borrowed keys,
    /// which a `Value` cannot lend).
    fn update(v: Value) -> Update {
        serde_json::from_str(&v.to_string()).unwrap()
    }

    fn user(id: i64) -> Value {
        serde_json::json!({"id": id, "is_bot": false, "first_name": "Anna"})
    }

    fn bot_post(text: &str) -> Value {
        serde_json::json!({
            "message_id": 10, "date": 1_700_000_000,
            "chat": {"id": -100, "type": "supergroup", "title": "Staff"},
            "from": {"id": 99, "is_bot": true, "first_name": "Sportello"},
            "text": text,
            "entities": [{"type": "bold", "offset": 0, "length": 4}]
        })
    }

    #[test]
    fn a_kept_update_reads_back_as_the_handlers_need_it_without_the_quoted_text() {
        let reply = update(serde_json::json!({
            "update_id": 5,
            "message": {
                "message_id": 11, "date": 1_700_000_001,
                "chat": {"id": -100, "type": "supergroup", "title": "Staff"},
                "from": user(7),
                "text": "Sì, l'impresa rientra",
                "reply_to_message": bot_post("Ticket 3: Mario chiede se la sua ditta rientra")
            }
        }));
        let k = kept(&reply).unwrap();
        assert_eq!((k.id, k.user), (5, Some(UserId(7))));
        let body = String::from_utf8(k.body.clone()).unwrap();
        assert!(!body.contains("Mario"), "{body}");
        let back: Update = serde_json::from_slice(&k.body).unwrap();
        let UpdateKind::Message(m) = &back.kind else {
            panic!("{back:?}")
        };
        assert_eq!(m.text(), Some("Sì, l'impresa rientra"));
        let quoted = m
            .reply_to_message()
            .expect("the reply still names its message");
        assert_eq!(quoted.id.0, 10);
        assert!(quoted.from.as_ref().is_some_and(|f| f.is_bot));
        assert_eq!(quoted.text(), Some(""));

        let plain = update(serde_json::json!({
            "update_id": 4,
            "message": {
                "message_id": 12, "date": 1_700_000_002,
                "chat": {"id": 7, "type": "private", "first_name": "Anna"},
                "from": user(7), "text": "quanto vale il bando?"
            }
        }));
        assert!(quotes_nothing(&plain) && !quotes_nothing(&reply));
        // One teloxide cannot read is never kept (the dispatcher drops it unhandled).
        let garbled = update(serde_json::json!({"update_id": 3, "message": {"text": 1}}));
        assert!(unreadable(&garbled) && !unreadable(&plain));
        let back: Update = serde_json::from_slice(&kept(&plain).unwrap().body).unwrap();
        assert_eq!(back, plain);

        let press = update(serde_json::json!({
            "update_id": 6,
            "callback_query": {
                "id": "q1", "from": user(8), "chat_instance": "c", "data": "1|x|y",
                "message": bot_post("Ticket 4: Lucia chiede la scadenza")
            }
        }));
        let k = kept(&press).unwrap();
        assert_eq!(k.user, Some(UserId(8)));
        assert!(!String::from_utf8_lossy(&k.body).contains("Lucia"));
        let back: Update = serde_json::from_slice(&k.body).unwrap();
        let UpdateKind::CallbackQuery(q) = &back.kind else {
            panic!("{back:?}")
        };
        assert_eq!(q.data.as_deref(), Some("1|x|y"));
        assert_eq!(q.regular_message().map(|m| m.id.0), Some(10));
        assert_eq!(back.chat().map(|c| c.id.0), Some(-100));
    }
}
