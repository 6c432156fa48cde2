//! The sender: the one task that delivers the outbox, under one limiter and one error
//! policy.
//!
//! Each round it claims the chat heads that may be sent now (see
//! [`crate::store::outbox`]), flushes (so that nothing is sent before the state change
//! that produced it is on disk), and gives each claimed entry a *lane*: a small task that
//! waits for an overall slot, makes the call, and completes, retries or drops the entry.
//! A chat waiting for its own rate limit or for a retry is simply not claimed, so it holds
//! up nobody else; a group with replies piling up behind its head gets them merged.
//!
//! Repeats after a crash are bounded by twice [`SenderSettings::lanes`]: the entries
//! claimed (in flight), and the completions not yet on disk, which are at most `lanes`
//! at any time. A round that claims entries makes sure they are on disk (usually a
//! handler's flush already did); it flushes completions only once more than `lanes` of
//! them wait, or when one has waited [`SenderSettings::settle`] (default [`SETTLE`]), so that
//! under load one flush per update, the handler's, carries both, and a quiet bot makes a
//! removal durable a few milliseconds after its send.
//!
//! What follows a delivery (a ticket's message id, the user told, a ticket answered) is
//! decided by the app through [`Hooks`] and committed with the entry's removal.
//! [`Sender::deliver_due`] delivers in the caller's task instead of a background one
//! (tests whose runtime ends with each update).
//!
//! Three parts live beside it: `merging` (a busy group's waiting replies merged into its
//! head), `fallback` (the form a message is sent again in when Telegram refuses one) and
//! `late` (telling users that a message they wait for is held back).

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio::sync::{Notify, oneshot, watch};
use tokio::task::JoinSet;

mod fallback;
mod late;
mod merging;

use fallback::{as_message, is_photo, without_photo};
use late::LateWatch;

use super::limit::Limiter;
use super::policy::{self, Answer, Verdict};
use crate::ops::logs::Pseudo;
use crate::ops::{latency, metrics};
use crate::outgoing::{Class, Entry, Then, What};
use crate::store::outbox::{Claimed, Owner};
use crate::store::{Commit, CommitError, Store, StoreError};

/// Makes one Bot API call for an entry (Telegram over HTTP in production).
pub trait Transport: Send + Sync + 'static {
    /// Sends `what` to `chat`; `plain`: without formatting (after "can't parse entities").
    fn call(&self, chat: i64, what: &What, plain: bool) -> impl Future<Output = Answer> + Send;
}

/// How an entry left the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    Delivered {
        message_id: Option<i32>,
    },
    /// The chat refuses the bot (403): blocked, deactivated, kicked.
    Blocked,
    /// Telegram refused the call for good (a 4xx), or it was too old to send.
    Refused(String),
}

/// What the app does around a delivery.
pub trait Hooks: Send + Sync + 'static {
    /// Fills in what is only known at sending time (the staff-group message of a ticket,
    /// a document's bytes).
    fn prepare(&self, entry: Entry) -> impl Future<Output = Entry> + Send;
    /// Adds to `commit` what follows from `entry`'s end; `commit` also removes the entry.
    fn finished(
        &self,
        entry: &Entry,
        end: &End,
        commit: &mut Commit,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// `entry` failed an attempt and waits for another: adds to `commit` what its user
    /// should be told meanwhile; `true` if anything was added (asked once per entry).
    fn delayed(&self, entry: &Entry, commit: &mut Commit) -> bool;
}

/// How the sender behaves.
#[derive(Debug, Clone, PartialEq)]
pub struct SenderSettings {
    /// Entries in flight at once: also the most a crash can repeat.
    pub lanes: usize,
    /// Of which background messages (reminders) may use at most this many.
    pub background_lanes: usize,
    /// An entry still failing this long after it was stored is dropped (logged).
    pub give_up_after: Duration,
    /// A claim not completed in this time is taken over by another sender.
    pub lease: Duration,
    /// A completion (a sent entry's removal) not yet on disk waits at most this long for
    /// a flush that happens anyway before the sender flushes it: a crash within this
    /// window after a send sends the entry again.
    pub settle: Duration,
}

impl Default for SenderSettings {
    fn default() -> Self {
        SenderSettings {
            lanes: 32,
            background_lanes: 16,
            give_up_after: Duration::from_secs(24 * 3600),
            lease: Duration::from_secs(300),
            settle: SETTLE,
        }
    }
}

/// What the sender did (for logs and tests).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SenderStats {
    pub delivered: u64,
    pub blocked: u64,
    pub refused: u64,
    pub retry_after: u64,
    pub transient: u64,
    pub plain_text: u64,
    pub merged: u64,
}

#[derive(Default)]
struct Counters {
    delivered: AtomicU64,
    blocked: AtomicU64,
    refused: AtomicU64,
    retry_after: AtomicU64,
    transient: AtomicU64,
    plain_text: AtomicU64,
    merged: AtomicU64,
}

/// Delivers the outbox; see the module documentation.
pub struct Sender<H: Hooks> {
    store: Store,
    hooks: Arc<H>,
    limiter: Arc<Limiter>,
    settings: SenderSettings,
    owner: Owner,
    wake: Notify,
    waiters: Mutex<HashMap<u64, oneshot::Sender<End>>>,
    next_waiter: AtomicU64,
    counters: Counters,
}

/// The default of [`SenderSettings::settle`].
pub const SETTLE: Duration = Duration::from_millis(5);
/// Upper bound on one idle wait, so a missed wake-up costs at most this.
const IDLE: Duration = Duration::from_secs(30);

impl<H: Hooks> Sender<H> {
    pub fn new(
        store: Store,
        hooks: Arc<H>,
        limiter: Limiter,
        settings: SenderSettings,
    ) -> Arc<Sender<H>> {
        Arc::new(Sender {
            store,
            hooks,
            limiter: Arc::new(limiter),
            settings,
            owner: Owner::new(),
            wake: Notify::new(),
            waiters: Mutex::new(HashMap::new()),
            next_waiter: AtomicU64::new(1),
            counters: Counters::default(),
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Something new was stored: look at the outbox now.
    pub fn kick(&self) {
        self.wake.notify_one();
    }

    pub fn stats(&self) -> SenderStats {
        let c = &self.counters;
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        SenderStats {
            delivered: l(&c.delivered),
            blocked: l(&c.blocked),
            refused: l(&c.refused),
            retry_after: l(&c.retry_after),
            transient: l(&c.transient),
            plain_text: l(&c.plain_text),
            merged: l(&c.merged),
        }
    }

    /// A token for [`Then::Wake`] and the receiver of that entry's end.
    pub fn waiter(&self) -> (u64, oneshot::Receiver<End>) {
        let token = self.next_waiter.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.waiters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(token, tx);
        (token, rx)
    }

    fn wake_waiter(&self, entry: &Entry, end: &End) {
        if let Some(Then::Wake(token)) = &entry.then
            && let Some(tx) = self
                .waiters
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(token)
        {
            let _ = tx.send(end.clone());
        }
    }

    /// Makes what was claimed durable before it is sent
    /// ([`crate::store::Committer::flush_commits`]), trying again each second while the
    /// disk fails; false if a shutdown came first (a store that failed for good stops the
    /// bot).
    async fn flushed(&self, slack: u64, shutdown: &mut watch::Receiver<bool>) -> bool {
        loop {
            match self.store.flush_commits(slack).await {
                Ok(()) => return true,
                Err(e) => tracing::error!("outbox: flushing before sending failed: {e}"),
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                return false;
            }
        }
    }

    /// Runs until `shutdown` is set, then waits (at most `grace`) for the sends under way.
    pub async fn run<T: Transport>(
        self: Arc<Self>,
        transport: Arc<T>,
        mut shutdown: watch::Receiver<bool>,
        grace: Duration,
    ) -> Result<SenderStats, StoreError> {
        let freed = self.store.outbox_recover(self.owner).await?;
        let waiting = self.store.outbox_len().await?;
        if waiting > 0 {
            tracing::info!(waiting, freed, "outbox: resuming what was not sent");
        }
        let mut lanes: JoinSet<()> = JoinSet::new();
        let mut lane_of: HashMap<tokio::task::Id, (i64, Class)> = HashMap::new();
        let mut busy: HashSet<i64> = HashSet::new();
        let mut background = 0usize;
        // When the oldest completion not known to be on disk was committed.
        let mut loose: Option<tokio::time::Instant> = None;
        let mut rounds = 0u64;
        let mut late = LateWatch::new();
        while !*shutdown.borrow() {
            let now = Timestamp::now();
            let mut chat_wait: Option<Duration> = None;
            let room = self.settings.lanes.saturating_sub(lanes.len());
            let bg_room = self
                .settings
                .background_lanes
                .saturating_sub(background)
                .min(room);
            let mut bg_taken = 0usize;
            // Every lane busy: nothing can be claimed, and the outbox need not be read.
            let round = if room == 0 {
                Ok(crate::store::outbox::Round {
                    partial: true,
                    ..Default::default()
                })
            } else {
                metrics::store_op_async(
                    "outbox_claim",
                    self.store.outbox_claim(
                        self.owner,
                        now,
                        self.settings.lease,
                        room,
                        &mut |chat: i64, class: Class| {
                            if busy.contains(&chat) {
                                return true;
                            }
                            if class == Class::Background && bg_taken >= bg_room {
                                return true;
                            }
                            match self.limiter.chat_ready(chat) {
                                Ok(()) => {
                                    bg_taken += usize::from(class == Class::Background);
                                    false
                                }
                                Err(wait) => {
                                    chat_wait = Some(chat_wait.map_or(wait, |w| w.min(wait)));
                                    let spacing = self.limiter.spacing(chat);
                                    late.held(chat, late::Hold { wait, spacing });
                                    true
                                }
                            }
                        },
                    ),
                )
                .await
            };
            let round = match round {
                Ok(r) => r,
                Err(e) => {
                    // A failing disk must not end delivery for good: try again shortly.
                    tracing::error!("outbox: reading what to send failed: {e}");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                        _ = shutdown.changed() => {}
                    }
                    continue;
                }
            };
            let claimed = self.merge_busy_groups(round.claimed).await;
            let settled = loose.is_some_and(|t| t.elapsed() >= self.settings.settle);
            if !claimed.is_empty() || settled {
                // Entries are sent only once they (and the state change that stored
                // them) are on disk: usually a handler's flush already wrote them (group
                // commit), and then no flush of our own is needed. Completions wait for
                // a flush that happens anyway, up to `lanes` of them or `settle`.
                let slack = if settled {
                    0
                } else {
                    self.settings.lanes as u64
                };
                if !self.flushed(slack, &mut shutdown).await {
                    // Stopping: what was claimed is sent at the next start.
                    break;
                }
                if settled {
                    loose = None;
                }
            }
            for c in claimed {
                busy.insert(c.entry.chat);
                if c.entry.class == Class::Background {
                    background += 1;
                }
                let key = (c.entry.chat, c.entry.class);
                let me = self.clone();
                let t = transport.clone();
                let lane = lanes.spawn(async move { me.deliver(c, &*t).await });
                lane_of.insert(lane.id(), key);
            }
            rounds += 1;
            if rounds.is_multiple_of(1024) {
                self.limiter.tidy();
            }
            let waiting = round.partial || round.len > lanes.len();
            let late_wait = late.round(&self, waiting, round.len).await;
            let until_due = round
                .next_due
                .map(|d| d.duration_since(Timestamp::now()))
                .and_then(|d| Duration::try_from(d).ok());
            let settle_wait = loose.map(|t| self.settings.settle.saturating_sub(t.elapsed()));
            let sleep = [Some(IDLE), chat_wait, until_due, late_wait, settle_wait]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(IDLE)
                .max(Duration::from_millis(1));
            tokio::select! {
                _ = self.wake.notified() => {}
                Some(done) = lanes.join_next_with_id(), if !lanes.is_empty() => {
                    // Every lane that ended meanwhile frees its chat before the next round.
                    let mut done = Some(done);
                    while let Some(d) = done.take().or_else(|| lanes.try_join_next_with_id()) {
                        let id = match d {
                            Ok((id, ())) => id,
                            Err(e) => {
                                // The entry stays claimed until its lease ends or a restart.
                                tracing::error!("an outbox lane failed: {e}");
                                e.id()
                            }
                        };
                        if let Some((chat, class)) = lane_of.remove(&id) {
                            busy.remove(&chat);
                            if class == Class::Background {
                                background -= 1;
                            }
                        }
                    }
                    loose.get_or_insert_with(tokio::time::Instant::now);
                }
                _ = tokio::time::sleep(sleep) => {}
                _ = shutdown.changed() => {}
            }
        }
        let stop = tokio::time::Instant::now() + grace;
        while !lanes.is_empty() {
            match tokio::time::timeout_at(stop, lanes.join_next()).await {
                Ok(_) => {}
                Err(_) => {
                    tracing::warn!(
                        in_flight = lanes.len(),
                        "outbox: sends still under way at shutdown (sent again at start)"
                    );
                    lanes.abort_all();
                    break;
                }
            }
        }
        self.store.flush().await?;
        Ok(self.stats())
    }

    /// Delivers, in the caller's task, every entry due now, chat by chat, until none is
    /// left that may be sent now.
    pub async fn deliver_due<T: Transport>(&self, transport: &T) -> Result<(), StoreError> {
        loop {
            let round = self
                .store
                .outbox_claim(
                    self.owner,
                    Timestamp::now(),
                    self.settings.lease,
                    self.settings.lanes,
                    &mut |chat: i64, _| self.limiter.chat_ready(chat).is_err(),
                )
                .await?;
            if round.claimed.is_empty() {
                return Ok(());
            }
            self.store.flush().await?;
            for c in round.claimed {
                self.deliver(c, transport).await;
            }
        }
    }

    /// One lane: sends a claimed entry and completes, retries or drops it.
    async fn deliver<T: Transport>(&self, mut c: Claimed, transport: &T) {
        let chat = c.entry.chat;
        let who = Pseudo(chat);
        // The entry is moved out, not copied: from here on `c` stands only for the
        // claim (its key and stored bytes), which is all a retry or completion reads.
        let entry = std::mem::replace(
            &mut c.entry,
            Entry::message(chat, Class::Reply, crate::reply::Rich::new()),
        );
        let entry = self.hooks.prepare(entry).await;
        // Copied only when a fallback changes it.
        let mut what = std::borrow::Cow::Borrowed(&entry.what);
        let mut plain = false;
        let end = loop {
            self.limiter.slot(entry.class).await;
            let answer = transport.call(chat, &what, plain).await;
            match &answer {
                Answer::Ok { .. } => {}
                Answer::Error { status, code, .. } => {
                    metrics::telegram_error(&code.unwrap_or(*status).to_string());
                }
                Answer::Network(_) => metrics::telegram_error(metrics::NETWORK),
            }
            let editing = matches!(*what, What::Edit { .. });
            match policy::judge(&answer, editing) {
                Verdict::Accepted { message_id } => break End::Delivered { message_id },
                Verdict::PlainText if !plain => {
                    self.counters.plain_text.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(chat = %who, "Telegram could not parse a reply: sent as plain text");
                    plain = true;
                }
                Verdict::PlainText => break End::Refused("can't parse entities".into()),
                Verdict::SendInstead => {
                    tracing::debug!(chat = %who, "edit refused, sending a new message instead");
                    what = std::borrow::Cow::Owned(as_message(what.into_owned()));
                }
                Verdict::RetryAfter(wait) => {
                    self.counters.retry_after.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(chat = %who, ?wait, "Telegram asked to slow down (429)");
                    self.limiter.pause(chat, wait);
                    self.retry(&c, &entry, wait, false).await;
                    return;
                }
                Verdict::Transient(why) => {
                    self.counters.transient.fetch_add(1, Ordering::Relaxed);
                    let age = Timestamp::now().duration_since(c.stored_at);
                    if age
                        > SignedDuration::try_from(self.settings.give_up_after)
                            .unwrap_or(SignedDuration::MAX)
                    {
                        tracing::error!(chat = %who, %why, "giving up a message stored {age:#} ago");
                        break End::Refused(format!("too old: {why}"));
                    }
                    let wait = policy::backoff(c.attempts);
                    tracing::warn!(chat = %who, attempt = c.attempts + 1, ?wait, %why, "send failed; will retry");
                    self.retry(&c, &entry, wait, true).await;
                    return;
                }
                Verdict::Blocked(why) => {
                    tracing::info!(chat = %who, %why, "the chat refuses the bot (403)");
                    break End::Blocked;
                }
                Verdict::Refused(why) if is_photo(&what) => {
                    // The photo's caption is the message: it goes as text.
                    tracing::warn!(chat = %who, %why, "Telegram refused a photo: its text sent alone");
                    what = std::borrow::Cow::Owned(without_photo(what.into_owned()));
                    if matches!(&*what, What::Message { text, .. } if text.is_empty()) {
                        break End::Refused(why);
                    }
                }
                Verdict::Refused(why) => {
                    tracing::warn!(chat = %who, %why, "Telegram refused a message; dropped");
                    break End::Refused(why);
                }
            }
        };
        match &end {
            End::Delivered { .. } => &self.counters.delivered,
            End::Blocked => &self.counters.blocked,
            End::Refused(_) => &self.counters.refused,
        }
        .fetch_add(1, Ordering::Relaxed);
        if entry.class == Class::Reply {
            latency::reply_done(chat, matches!(end, End::Delivered { .. }));
        }
        self.complete(&c, &entry, &end).await;
    }

    /// Removes the entry with what follows from it, in one commit.
    async fn complete(&self, c: &Claimed, entry: &Entry, end: &End) {
        for attempt in 0..5 {
            let mut commit = Commit::new();
            commit.consume(c);
            if let Err(e) = self.hooks.finished(entry, end, &mut commit).await {
                tracing::error!("after a delivery: {e}");
                commit = Commit::new();
                commit.consume(c);
            }
            match metrics::store_op_async("commit", self.store.commit(&commit)).await {
                Ok(()) => break,
                Err(CommitError::Conflict) if attempt < 4 => continue,
                Err(e) => {
                    tracing::error!("recording a delivery: {e}");
                    break;
                }
            }
        }
        self.wake_waiter(entry, end);
    }

    /// Puts the entry back for another attempt in `wait`; its user (if any waits for it)
    /// is told of the delay when the attempt `failed`, or when Telegram asks to wait long.
    async fn retry(&self, c: &Claimed, entry: &Entry, wait: Duration, failed: bool) {
        let mut told = false;
        if (failed || late::held_long(wait)) && !c.notified {
            let mut commit = Commit::new();
            if self.hooks.delayed(entry, &mut commit) {
                match self.store.commit(&commit).await {
                    Ok(()) => told = true,
                    Err(e) => tracing::error!("telling a user of a delay: {e}"),
                }
            }
        }
        let at = Timestamp::now()
            + SignedDuration::try_from(wait).unwrap_or(SignedDuration::from_secs(60));
        if let Err(e) = self.store.outbox_retry(c, at, failed, told).await {
            tracing::error!("putting a message back for a retry: {e}");
        }
        if told {
            self.kick();
        }
    }
}
