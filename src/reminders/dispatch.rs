//! The dispatcher: a task that drains the reminder queue within Telegram's limits.
//!
//! Delivery protocol, per item ([`crate::store::follows`]): list it from the queue,
//! decide with the pure [`decide`], claim it (marked in flight, with a lease), send it,
//! then take it out of the queue and record it as done in one atomic step. Completions are flushed to disk before more than
//! [`ReminderSettings::in_flight`] items can be claimed-but-not-durably-done, so a crash
//! repeats at most that many messages; a clean shutdown waits for the sends under way and
//! repeats none. Items found in flight at start are sent again (never lost): the first
//! drain releases the claims of a previous process where the backend allows it.
//!
//! Limits: a global pace of `per_second` messages and `per_chat_interval` between two
//! messages to one chat; a 429 pauses every send for its `retry_after`; server and
//! network errors are retried with exponential backoff, then the item is put back for
//! later; a 403 (bot blocked, user deactivated) ends all the user's subscriptions.
//! In `sportello run` the [`Outbox`] is the bot's outbox ([`crate::reminders::handoff`]),
//! which paces, retries and classifies every message the bot sends with one limiter
//! and one policy: the dispatcher's own pacing is then off ([`Outbox::paced`]).

use crate::ops::logs::Pseudo;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use super::schedule::{Decision, Kind, decide};
use super::{ReminderSettings, message};
use crate::app::Brain;
use crate::knowledge::{CallId, DeadlineAt, Knowledge};
use crate::reply::Reply;
use crate::store::follows::{DoneHow, Queued, ReminderKey};
use crate::store::{Store, StoreError, UserId};
use crate::text::{Lang, texts};

/// Where "now" comes from (injected so tests and benchmarks control time).
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock moved by hand.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<Timestamp>>);

impl ManualClock {
    pub fn new(t: Timestamp) -> ManualClock {
        ManualClock(Arc::new(Mutex::new(t)))
    }

    pub fn set(&self, t: Timestamp) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = t;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Why a send failed, as far as the dispatcher cares.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// 429: wait this many seconds, then retry.
    #[error("rate limited: retry after {0} s")]
    RetryAfter(u32),
    /// 403: the user blocked the bot or no longer exists.
    #[error("the user blocked the bot")]
    Blocked,
    /// 5xx or a network error: retry later.
    #[error("transient: {0}")]
    Transient(String),
    /// Anything else: retrying will not help.
    #[error("permanent: {0}")]
    Permanent(String),
}

/// Sends one reply to one chat (the bot's outbox in production, a recorder in tests).
pub trait Outbox: Send + Sync + 'static {
    fn send(
        &self,
        chat: UserId,
        reply: &Reply,
    ) -> impl Future<Output = Result<(), SendError>> + Send;

    /// Whether sends are paced by the outbox itself (`sportello run`: one limiter for
    /// everything the bot sends); the dispatcher's own pacing is then skipped.
    fn paced(&self) -> bool {
        false
    }
}

/// What a dispatcher did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub sent: u64,
    pub notices: u64,
    pub expired: u64,
    pub superseded: u64,
    pub obsolete: u64,
    pub blocked: u64,
    pub failed: u64,
    pub retried_later: u64,
    /// 429 answers honoured.
    pub retry_after: u64,
    pub transient_errors: u64,
    /// Items found in flight (claimed before a stop) and sent again.
    pub resent_after_restart: u64,
}

/// Pacing: one global schedule of send slots, one per chat, and a pause after a 429.
struct Limiter {
    interval: Duration,
    chat_interval: Duration,
    state: Mutex<LimiterState>,
}

struct LimiterState {
    next: Instant,
    paused_until: Instant,
    chats: HashMap<UserId, Instant>,
}

impl Limiter {
    fn new(per_second: f64, chat_interval: Duration) -> Limiter {
        let now = Instant::now();
        Limiter {
            interval: Duration::from_secs_f64(1.0 / per_second.max(0.001)),
            chat_interval,
            state: Mutex::new(LimiterState {
                next: now,
                paused_until: now,
                chats: HashMap::new(),
            }),
        }
    }

    /// Waits for a send slot for `chat`.
    async fn acquire(&self, chat: UserId) {
        loop {
            let slot = {
                let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                if st.chats.len() > 50_000 {
                    st.chats.retain(|_, t| *t > now);
                }
                let chat_next = st.chats.get(&chat).copied().unwrap_or(now);
                let slot = now.max(st.next).max(st.paused_until).max(chat_next);
                st.next = slot + self.interval;
                st.chats.insert(chat, slot + self.chat_interval);
                slot
            };
            tokio::time::sleep_until(slot).await;
            // A 429 that arrived while waiting moves every slot after the pause.
            let paused = self
                .state
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .paused_until;
            if paused <= Instant::now() {
                return;
            }
        }
    }

    fn pause(&self, secs: u32) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let until = Instant::now() + Duration::from_secs(u64::from(secs.max(1)));
        st.paused_until = st.paused_until.max(until);
    }
}

#[derive(Default)]
struct Counters {
    retry_after: AtomicU64,
    transient: AtomicU64,
}

enum Delivery {
    Sent,
    Blocked,
    Failed(String),
    GaveUp,
}

/// Most 429s honoured for one message before it is put back for later.
const MAX_RETRY_AFTER: u32 = 50;

async fn deliver<O: Outbox>(
    outbox: Arc<O>,
    limiter: Arc<Limiter>,
    counters: Arc<Counters>,
    chat: UserId,
    reply: Reply,
    attempts: u32,
    backoff: Duration,
) -> Delivery {
    let mut transient = 0u32;
    let mut limited = 0u32;
    loop {
        if !outbox.paced() {
            limiter.acquire(chat).await;
        }
        match outbox.send(chat, &reply).await {
            Ok(()) => return Delivery::Sent,
            Err(SendError::RetryAfter(s)) => {
                counters.retry_after.fetch_add(1, Ordering::Relaxed);
                limiter.pause(s);
                limited += 1;
                if limited >= MAX_RETRY_AFTER {
                    return Delivery::GaveUp;
                }
            }
            Err(SendError::Blocked) => return Delivery::Blocked,
            Err(SendError::Permanent(e)) => return Delivery::Failed(e),
            Err(SendError::Transient(e)) => {
                counters.transient.fetch_add(1, Ordering::Relaxed);
                transient += 1;
                tracing::debug!(user = %Pseudo(chat.0), "reminder: {e} (attempt {transient})");
                if transient >= attempts {
                    return Delivery::GaveUp;
                }
                tokio::time::sleep(backoff * 2u32.saturating_pow(transient - 1)).await;
            }
        }
    }
}

/// A call's current deadline and whether the call left the pack.
pub fn deadline_of(k: &Knowledge, id: &CallId) -> (Option<DeadlineAt>, bool) {
    match k.call(&id.0) {
        Some(c) => (c.deadline.as_ref().and_then(|d| d.known()), false),
        None => (None, true),
    }
}

type BrainFn = dyn Fn() -> Arc<Brain> + Send + Sync;

/// Drains the reminder queue; see the module documentation for the protocol.
pub struct Dispatcher<O: Outbox, C: Clock> {
    store: Store,
    brain: Box<BrainFn>,
    outbox: Arc<O>,
    clock: C,
    settings: ReminderSettings,
    limiter: Arc<Limiter>,
    counters: Arc<Counters>,
    stats: Stats,
    seen_brain: Option<Arc<Brain>>,
    /// Claims of a previous process were released (first drain).
    recovered: bool,
}

/// How long a claim holds: a dispatcher that died holding items leaves them to others
/// after this (a shared backend; one process per database releases them at start).
const CLAIM_LEASE: jiff::SignedDuration = jiff::SignedDuration::from_hours(1);

impl<O: Outbox, C: Clock> Dispatcher<O, C> {
    pub fn new(
        store: Store,
        brain: impl Fn() -> Arc<Brain> + Send + Sync + 'static,
        outbox: O,
        clock: C,
        settings: ReminderSettings,
    ) -> Self {
        Dispatcher {
            limiter: Arc::new(Limiter::new(
                settings.per_second,
                settings.per_chat_interval,
            )),
            store,
            brain: Box::new(brain),
            outbox: Arc::new(outbox),
            clock,
            settings,
            counters: Arc::new(Counters::default()),
            stats: Stats::default(),
            seen_brain: None,
            recovered: false,
        }
    }

    pub fn stats(&self) -> Stats {
        let mut s = self.stats.clone();
        s.retry_after = self.counters.retry_after.load(Ordering::Relaxed);
        s.transient_errors = self.counters.transient.load(Ordering::Relaxed);
        s
    }

    /// The outbox (tests inspect what it recorded).
    pub fn outbox(&self) -> &O {
        &self.outbox
    }

    /// Compares every subscription with the knowledge, if the knowledge changed since the
    /// last look (at start, and after each reload).
    async fn resync_if_changed(&mut self) -> Result<(), StoreError> {
        let brain = (self.brain)();
        if self
            .seen_brain
            .as_ref()
            .is_some_and(|b| Arc::ptr_eq(b, &brain))
        {
            return Ok(());
        }
        let k = &brain.knowledge;
        // Followers of a changed call first (notices through the outbox, reminders for a
        // deadline just published); then the subscriptions, which tell of moved deadlines.
        let f = crate::app::follows::sync(&self.store, k, &self.settings.offsets, self.clock.now())
            .await?;
        tracing::info!(
            "follows: {} followed calls, {} followers told, {} reminders planned, {} left for the next load",
            f.follows,
            f.told,
            f.planned,
            f.skipped
        );
        // Then the profiles: new calls that fit them.
        let p = crate::app::profile_alerts::sync(&self.store, k, self.clock.now()).await?;
        tracing::info!(
            "profile alerts: {} profiles, {} users told of new calls, {} left for the next load",
            p.profiles,
            p.told,
            p.skipped
        );
        let r = self
            .store
            .sync_reminders(
                &|id| deadline_of(k, id),
                &self.settings.offsets,
                self.clock.now(),
            )
            .await?;
        crate::ops::metrics::reminders_queued(r.queued as u64);
        tracing::info!(
            "reminders: {} subscriptions, {} moved, {} ended, {} finished, {} reminders queued",
            r.subscriptions,
            r.moved,
            r.ended,
            r.finished,
            r.queued
        );

        self.seen_brain = Some(brain);
        Ok(())
    }

    /// Sends everything due now, then returns; stops claiming when `shutdown` is set and
    /// waits for the sends under way, so a clean stop repeats nothing.
    pub async fn drain(&mut self, shutdown: &watch::Receiver<bool>) -> Result<(), StoreError> {
        let k = self.settings.in_flight.max(1);
        let mut tasks: JoinSet<(ReminderKey, Queued, Delivery)> = JoinSet::new();
        let mut busy: HashSet<ReminderKey> = HashSet::new();
        let mut unflushed = 0usize;
        if !self.recovered {
            let n = self.store.recover_reminders().await?;
            if n > 0 {
                tracing::info!("reminders: {n} left in flight by a previous run, sent again");
            }
            self.recovered = true;
        }
        loop {
            self.resync_if_changed().await?;
            let stopping = *shutdown.borrow();
            let mut progressed = 0usize;
            if !stopping && tasks.len() + unflushed < k {
                let now = self.clock.now();
                let room = k - tasks.len() - unflushed;
                let batch = self.store.due_reminders(now, room, &busy).await?;
                let brain = (self.brain)();
                for due in batch {
                    let q = due.queued.clone();
                    let key = due.key.clone();
                    let sub = self.store.subscription(q.item.user, &q.item.call).await?;
                    let how = match decide(&q.item, sub.as_ref(), &self.settings.offsets, now) {
                        Decision::Wait => continue,
                        Decision::Send => None,
                        Decision::Expired => {
                            self.stats.expired += 1;
                            Some(DoneHow::Expired)
                        }
                        Decision::Superseded => {
                            self.stats.superseded += 1;
                            Some(DoneHow::Superseded)
                        }
                        Decision::Obsolete => {
                            self.stats.obsolete += 1;
                            Some(DoneHow::Obsolete)
                        }
                    };
                    progressed += 1;
                    if let Some(how) = how {
                        self.store
                            .complete_reminder(&key, &q.item, how, now)
                            .await?;
                        if how == DoneHow::Expired {
                            // The deadline is past: the subscription has nothing left to do.
                            self.store
                                .unsubscribe(q.item.user, &q.item.call, &self.settings.offsets)
                                .await?;
                        }
                        unflushed += 1;
                        continue;
                    }
                    if !self.store.claim_reminder(&due, now + CLAIM_LEASE).await? {
                        continue;
                    }
                    if q.in_flight {
                        self.stats.resent_after_restart += 1;
                    }
                    // In the user's language, with the call as that language's pack
                    // names it (a session that cannot be read: Italian).
                    let lang = match self.store.load_session(q.item.user).await {
                        Ok(s) => crate::app::session::decode(s.as_ref()).into_session().lang,
                        Err(_) => Lang::It,
                    };
                    let call = brain.knowledge.in_lang(lang).call(&q.item.call.0);
                    let reply = message(texts(lang), call, &q.item, now);
                    busy.insert(key.clone());
                    let (outbox, limiter, counters) = (
                        self.outbox.clone(),
                        self.limiter.clone(),
                        self.counters.clone(),
                    );
                    let (attempts, backoff) = (self.settings.attempts, self.settings.backoff);
                    tasks.spawn(async move {
                        let chat = q.item.user;
                        let d = deliver(outbox, limiter, counters, chat, reply, attempts, backoff)
                            .await;
                        (key, q, d)
                    });
                }
            }
            if tasks.is_empty() {
                if unflushed > 0 {
                    self.store.flush().await?;
                    unflushed = 0;
                }
                if progressed == 0 || stopping {
                    return Ok(());
                }
                continue;
            }
            if unflushed > 0 && (progressed == 0 || tasks.len() + unflushed >= k) {
                self.store.flush().await?;
                unflushed = 0;
                continue;
            }
            let Some(joined) = tasks.join_next().await else {
                continue;
            };
            let (key, q, delivery) = match joined {
                Ok(r) => r,
                Err(e) => {
                    // The item stays in flight and is sent again after a restart.
                    tracing::error!("a reminder send task failed: {e}");
                    continue;
                }
            };
            busy.remove(&key);
            let now = self.clock.now();
            match delivery {
                Delivery::Sent => {
                    match q.item.kind {
                        Kind::Reminder { .. } => self.stats.sent += 1,
                        _ => self.stats.notices += 1,
                    }
                    self.store
                        .complete_reminder(&key, &q.item, DoneHow::Sent, now)
                        .await?;
                }
                Delivery::Blocked => {
                    self.stats.blocked += 1;
                    self.store
                        .complete_reminder(&key, &q.item, DoneHow::Blocked, now)
                        .await?;
                    let n = self
                        .store
                        .unsubscribe_all(q.item.user, &self.settings.offsets)
                        .await?;
                    tracing::info!(
                        user = %Pseudo(q.item.user.0),
                        "the user blocked the bot: {n} subscription(s) removed"
                    );
                }
                Delivery::Failed(e) => {
                    self.stats.failed += 1;
                    tracing::warn!(user = %Pseudo(q.item.user.0), "reminder not deliverable: {e}");
                    self.store
                        .complete_reminder(&key, &q.item, DoneHow::Failed, now)
                        .await?;
                }
                Delivery::GaveUp => {
                    self.stats.retried_later += 1;
                    let later = now.as_second() + self.settings.retry_later.as_secs().max(1) as i64;
                    let later = Timestamp::from_second(later).unwrap_or(now);
                    self.store.release_reminder(&key, &q, later).await?;
                }
            }
            unflushed += 1;
        }
    }

    /// Drains the queue whenever something is due until `shutdown` is set.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) -> Result<Stats, StoreError> {
        loop {
            if *shutdown.borrow() {
                break;
            }
            self.drain(&shutdown).await?;
            if *shutdown.borrow() {
                break;
            }
            let now = self.clock.now();
            let wait = match self.store.next_reminder_due().await? {
                Some(t) if t > now => {
                    let secs = (t.as_second() - now.as_second()).max(0) as u64;
                    Duration::from_secs(secs).min(self.settings.poll)
                }
                _ => self.settings.poll,
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                r = shutdown.changed() => if r.is_err() { break },
            }
        }
        Ok(self.stats())
    }
}

/// Starts the dispatcher as a tokio task. `brain` returns the knowledge in force (e.g.
/// `move || app.brain()`): when it changes (a reload), subscriptions are compared with it
/// and subscribers are told of moved deadlines. Set `shutdown` to `true` to stop cleanly.
pub fn spawn_dispatcher<O: Outbox, C: Clock>(
    store: Store,
    brain: impl Fn() -> Arc<Brain> + Send + Sync + 'static,
    outbox: O,
    clock: C,
    settings: ReminderSettings,
    shutdown: watch::Receiver<bool>,
) -> JoinHandle<Result<Stats, StoreError>> {
    let d = Dispatcher::new(store, brain, outbox, clock, settings);
    tokio::spawn(d.run(shutdown))
}
