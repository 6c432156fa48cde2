//! `sportello run`: the bot in production.
//!
//! Registers the commands, starts the outbox sender and the reminder dispatcher, then
//! receives updates by long polling (the default) or by webhook, until SIGINT or SIGTERM,
//! or until the store can keep nothing more (the embedded store after a failed write of
//! its log: a full disk), when it stops with that error so that the service manager
//! starts it again.
//! The HTTP client's timeout is above the long-polling timeout ([`super::http::client`]),
//! so an idle poll ends with Telegram's empty answer, never with a client timeout and a
//! back-off. Polling faults (5xx, 429, network) are retried by the polling listener
//! (`telegram/listen.rs`), which confirms a batch to Telegram only once the store's inbox
//! keeps it, so no update is lost, not even to a kill. Updates are handed to handlers by
//! user (one user's in order, different users' in parallel).
//!
//! In webhook mode any number of instances may share a PostgreSQL store behind a load
//! balancer: the webhook's secret is configured, one instance sets the webhook and none
//! deletes it, a user's updates take turns through the store, and a reload on one is
//! announced to all (`follow_reloads`). See the README, "Several instances".
//!
//! Stop order: updates in progress finish, the dispatcher stops claiming reminders, the
//! sender finishes the sends under way (what is left goes out at the next start), the
//! database is flushed. The ops endpoints (`[ops]`, see `super::endpoints`) start first
//! and stop last, so `/healthz` answers for the whole life of the process; in webhook
//! mode the webhook's listener may serve them too, under `[ops] webhook_path`.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use backon::Retryable;
use jiff::Timestamp;
use teloxide::RequestError;
use teloxide::dispatching::Dispatcher;
use teloxide::error_handlers::ErrorHandler;
use teloxide::payloads::SetWebhookSetters;
use teloxide::prelude::*;
use teloxide::stop::StopToken;
use teloxide::update_listeners::UpdateListener;
use tokio::sync::watch;

use crate::app::App;
use crate::config::{DataConfig, Mode, OpsConfig, TelegramConfig};
use crate::ops::health::Health;
use crate::ops::metrics;
use crate::outbox::{Limiter, Sender, SenderSettings};
use crate::reminders::handoff::Handoff;
use crate::reminders::{ReminderSettings, SystemClock};
use crate::store::Store;

use super::endpoints::Started;
use super::http::{self, HttpTransport};
use super::{Adapter, error_code, schema};

pub use super::error::RunError;

/// How often idle sessions are looked for.
const EXPIRY_EVERY: Duration = Duration::from_secs(3600);
/// Lanes that updates are handled in: a user's updates always take the same lane, in
/// arrival order; the lanes run in parallel. A fixed number rather than one per user:
/// teloxide keeps a worker for every key it has seen while busy, each with its queue of
/// updates, and the updates and commits in flight in all of them were the larger part of
/// the bot's memory in a burst from 1,000 users (BENCHMARKS.md, "Memory"). An update is
/// handled in about a millisecond and waits on nothing but the store, so a lane usually
/// holds up its other users by that much; a staff action that takes seconds
/// (`/ricarica`, checking a FAQ draft) holds its lane that long (the app's per-user locks
/// are shared the same way, by 256 stripes).
const LANES: u64 = 32;
/// Updates a lane may queue. teloxide stops fetching for everyone when one worker's queue
/// is full, and a lane gathers the updates of many users while a slow action holds it
/// (at 1,800 updates/s, 3 s hold about 170 per lane): room for far more than that, taken
/// only when used (the queue grows by blocks of 32).
const LANE_QUEUE: usize = 1024;

/// The lane of the user with this Telegram id: always the same one.
fn lane(user: u64) -> u64 {
    user % LANES
}
/// How long sends under way may take to finish at shutdown.
const GRACE: Duration = Duration::from_secs(10);

/// Runs the bot until a signal. `token` must be non-empty (checked by the caller, who
/// also hid it from the logs).
pub async fn run(
    app: Arc<App>,
    cfg: &TelegramConfig,
    ops: &OpsConfig,
    token: &str,
    data: &DataConfig,
    reminders: ReminderSettings,
) -> Result<(), RunError> {
    // Listened for from here on: a signal that came while the bot was still starting
    // (connecting, publishing its menus) would otherwise be caught and never heard.
    let (stop, failed) = stop_requested(&app.store);
    // The knowledge was loaded before the app was built.
    let health = Arc::new(Health::default());
    health.knowledge_loaded();
    let (stop_ops, stop_ops_rx) = tokio::sync::watch::channel(false);
    let stopped = async move {
        let mut rx = stop_ops_rx;
        let _ = rx.wait_for(|s| *s).await;
    };
    let started = super::endpoints::start(app.clone(), ops, health.clone(), stopped).await?;
    // `sportello backup` asks this process for snapshots while it holds the database.
    let _control = crate::backup::control::serve(&data.dir, app.store.clone())
        .inspect_err(|e| {
            tracing::warn!(error = %e, "no control socket: `sportello backup` cannot run while the bot does")
        })
        .ok();
    let poll = Duration::from_secs(cfg.poll_timeout_secs.into());
    let mut bot = Bot::with_client(token, http::client(poll));
    if !cfg.api_url.is_empty() {
        let url = url::Url::parse(&cfg.api_url).map_err(|e| RunError::Api(e.to_string()))?;
        bot = bot.set_api_url(url);
    }
    let limiter = if cfg.unthrottled {
        tracing::warn!(
            "Telegram's send limits are lifted (telegram.unthrottled): local tests only"
        );
        Limiter::unlimited()
    } else {
        Limiter::new(&cfg.limits())
    };
    let sender = Sender::new(
        app.store.clone(),
        app.clone(),
        limiter,
        SenderSettings {
            lanes: cfg.in_flight.max(1),
            background_lanes: (cfg.in_flight / 2).max(1),
            settle: Duration::from_millis(cfg.settle_ms),
            ..SenderSettings::default()
        },
    );
    let (stop_sender, sender_rx) = tokio::sync::watch::channel(false);
    let sending = tokio::spawn(sender.clone().run(
        Arc::new(HttpTransport::from_bot(&bot)),
        sender_rx,
        GRACE,
    ));
    let adapter = Adapter::background(
        app.clone(),
        cfg.flood_messages,
        Duration::from_secs(cfg.flood_window_secs.into()),
        sender.clone(),
        health.clone(),
    );
    let reloads = tokio::spawn(follow_reloads(app.clone()));
    let expiry = tokio::spawn(expire_loop(
        app.clone(),
        data.session_idle_days,
        data.question_log_days,
    ));
    // Reminders keep their queue and claims; their messages go through the outbox.
    let (stop_reminders, stop_rx) = tokio::sync::watch::channel(false);
    let dispatcher = {
        let app = app.clone();
        crate::reminders::spawn_dispatcher(
            app.store.clone(),
            move || app.brain(),
            Handoff {
                sender: sender.clone(),
            },
            SystemClock,
            reminders,
            stop_rx,
        )
    };
    let webhook_ops = started
        .as_ref()
        .filter(|_| !ops.webhook_path.is_empty())
        .map(|s| crate::ops::server::router(s.ops.clone(), &ops.webhook_path));
    // On a runtime worker, not on the thread that called `block_on`: the dispatcher
    // receives every update (the long poll's answer is read on a worker) and hands each to
    // its lane's task; run from outside the workers, each of those steps wakes another
    // thread (BENCHMARKS.md, "The reply's path").
    let result = match tokio::spawn(serve(bot, adapter, cfg.clone(), poll, webhook_ops, stop)).await
    {
        Ok(r) => r,
        Err(e) => Err(RunError::Api(format!("the dispatcher's task ended: {e}"))),
    };
    expiry.abort();
    reloads.abort();
    let _ = stop_reminders.send(true);
    match tokio::time::timeout(GRACE, dispatcher).await {
        Ok(Ok(Ok(stats))) => tracing::info!("reminders stopped: {stats:?}"),
        Ok(Ok(Err(e))) => tracing::error!("reminders: {e}"),
        Ok(Err(e)) => tracing::error!("reminders task: {e}"),
        Err(_) => tracing::warn!("reminders still sending at shutdown"),
    }
    let _ = stop_sender.send(true);
    match tokio::time::timeout(GRACE * 2, sending).await {
        Ok(Ok(Ok(stats))) => tracing::info!("outbox stopped: {stats:?}"),
        Ok(Ok(Err(e))) => tracing::error!("outbox: {e}"),
        Ok(Err(e)) => tracing::error!("outbox task: {e}"),
        Err(_) => tracing::warn!("outbox still sending at shutdown"),
    }
    if failed.get().is_some() {
        // Nothing can be written any more: no final flush, and the store is left as it
        // is for the process's exit (one reference kept, so it is never dropped). That
        // was for sled, the store before issue 11, which flushed each tree as it was
        // dropped and logged the error already reported, once per tree; the embedded
        // store writes nothing at drop once its log failed.
        std::mem::forget(app.store.clone());
    } else if let Err(e) = app.store.flush().await {
        tracing::error!("final flush: {e}");
    }
    // Stopped because the store failed: an error, so that the service manager restarts
    // the bot (and the open replays what is needed, once the disk has room).
    let result = match failed.get() {
        Some(why) if result.is_ok() => Err(RunError::Store(why.clone())),
        _ => result,
    };
    let _ = stop_ops.send(true);
    if let Some(Started {
        listener: Some(task),
        ..
    }) = started
    {
        let _ = tokio::time::timeout(GRACE, task).await;
    }
    result
}

async fn serve(
    bot: Bot,
    adapter: Arc<Adapter>,
    cfg: TelegramConfig,
    poll: Duration,
    webhook_ops: Option<axum::Router>,
    stop: watch::Receiver<bool>,
) -> Result<(), RunError> {
    if !wait_for_api(&bot, stop.clone()).await? {
        return Ok(());
    }
    super::menus::publish(&bot, &adapter.app.settings.staff).await;
    // Loading is done: the code that only loading ran need not stay mapped.
    let released = crate::resident::release_code();
    tracing::debug!(
        bytes = released,
        "executable's pages let go of after loading"
    );
    let health = adapter.health.clone();
    let app = adapter.app.clone();
    let mut dispatcher = Dispatcher::builder(bot.clone(), schema::<Bot>())
        .dependencies(dptree::deps![adapter.clone()])
        // An update no handler takes is handled all the same: out of the inbox.
        .default_handler(move |u: Arc<Update>| {
            let ad = adapter.clone();
            async move { ad.handled(&u).await }
        })
        .error_handler(Arc::new(LogErrors))
        // One user's updates in arrival order, whatever chat they come from; users in
        // [`LANES`] parallel lanes (a busy group's members spread over them).
        .distribution_function(|u: &Update| u.from().map(|f| lane(f.id.0)))
        .worker_queue_size(LANE_QUEUE)
        .build();
    let token = dispatcher.shutdown_token();
    let stop_listener = stop.clone();
    tokio::spawn(async move {
        stopped(stop).await;
        tracing::info!("stopping: finishing the updates in progress");
        // Before the dispatcher runs (it is still calling getMe) a shutdown is refused:
        // ask again until it is accepted.
        loop {
            match token.shutdown() {
                Ok(f) => {
                    f.await;
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
    // Updates left unhandled in the inbox while the bot runs ([`super::replay`]).
    let stranded_after = Duration::from_secs(cfg.stranded_after_secs.into());
    match cfg.mode {
        Mode::Polling => {
            // Polling removes any webhook: the next start in webhook mode sets it again.
            if let Err(e) = app.store.forget_duty(WEBHOOK_DUTY).await {
                tracing::warn!("forgetting the webhook's record: {e}");
            }
            super::listen::delete_webhook_if_set(&bot).await;
            let mut listener = super::listen::durable_polling(
                bot.clone(),
                app.store.clone(),
                poll,
                health.clone(),
                stranded_after,
            );
            stop_listening_at(stop_listener, listener.stop_token());
            tracing::info!("listening with long polling ({poll:?} per poll)");
            health.listening(true);
            dispatcher
                .try_dispatch_with_listener(listener, Arc::new(LogErrors))
                .await
                .map_err(|e| RunError::Api(e.to_string()))
        }
        Mode::Webhook => {
            let addr: std::net::SocketAddr = cfg
                .webhook_listen
                .parse()
                .map_err(|e| RunError::Webhook(format!("webhook_listen: {e}")))?;
            let url = url::Url::parse(&cfg.webhook_url)
                .map_err(|e| RunError::Webhook(format!("webhook_url: {e}")))?;
            // The secret is configured (validated with the configuration), the same on
            // every instance: any of them accepts what Telegram posts. The router
            // rejects a request without the matching X-Telegram-Bot-Api-Secret-Token
            // header and answers one only once its update is kept ([`super::webhook`]);
            // we serve it ourselves, so that the ops endpoints can share the port. The
            // webhook is set by one instance and never deleted at a stop: the others
            // are still serving it, and Telegram keeps updates for a restart.
            let secret = cfg.webhook_secret.clone();
            set_webhook_once(&bot, &app, &url, &secret).await?;
            let path = match url.path() {
                "" => "/",
                p => p,
            };
            let (mut listener, stop_flag, router) = super::webhook::durable_webhook(
                app.store.clone(),
                health.clone(),
                path,
                secret,
                stranded_after,
            )
            .await;
            stop_listening_at(stop_listener, listener.stop_token());
            let router = match webhook_ops {
                Some(ops) => router.merge(ops),
                None => router,
            };
            let tcp = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| RunError::Webhook(format!("webhook_listen {addr}: {e}")))?;
            let server = tokio::spawn(async move {
                if let Err(e) = axum::serve(tcp, router)
                    .with_graceful_shutdown(stop_flag)
                    .await
                {
                    tracing::error!("webhook listener: {e}");
                }
            });
            tracing::info!("listening for webhooks on {addr}");
            health.listening(true);
            let r = dispatcher
                .try_dispatch_with_listener(listener, Arc::new(LogErrors))
                .await
                .map_err(|e| RunError::Api(e.to_string()));
            let _ = tokio::time::timeout(GRACE, server).await;
            r
        }
    }
}

/// The duty of setting the webhook ([`crate::store::Instances::claim_duty`]).
const WEBHOOK_DUTY: &str = "webhook";

/// Sets the webhook unless an instance sharing the store already set it with the same
/// URL and secret (only a fingerprint of them is stored). A failure is fatal, and
/// forgotten so that the next start tries again.
async fn set_webhook_once(
    bot: &Bot,
    app: &App,
    url: &url::Url,
    secret: &str,
) -> Result<(), RunError> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(url.as_str().as_bytes());
    h.update([0]);
    h.update(secret.as_bytes());
    let fingerprint: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let store = &app.store;
    let mine = store
        .claim_duty(WEBHOOK_DUTY, &fingerprint)
        .await
        .map_err(|e| RunError::Webhook(format!("recording the webhook: {e}")))?;
    if !mine {
        tracing::info!("the webhook is set already (by another instance)");
        return Ok(());
    }
    let set = bot
        .set_webhook(url.clone())
        .secret_token(secret.to_string())
        .send()
        .await;
    if let Err(e) = set {
        metrics::telegram_error(&error_code(&e));
        if let Err(f) = store.forget_duty(WEBHOOK_DUTY).await {
            tracing::warn!("forgetting the webhook's record: {f}");
        }
        return Err(RunError::Webhook(format!("setWebhook: {e}")));
    }
    tracing::info!("webhook set");
    Ok(())
}

/// Reloads the knowledge whenever another instance sharing the store announces that it
/// reloaded (`/ricarica` there, a published FAQ); nothing to do where one process owns
/// the data. The reminders follow the new knowledge by themselves.
async fn follow_reloads(app: Arc<App>) {
    let mut heard = match app.store.reload_announcements().await {
        Ok(Some(rx)) => rx,
        Ok(None) => return,
        Err(e) => {
            tracing::error!("cannot hear the other instances' reloads: {e}");
            return;
        }
    };
    while heard.recv().await.is_some() {
        match app.reload().await {
            Ok(b) => tracing::info!(
                calls = b.knowledge.calls.len(),
                "knowledge reloaded, as another instance did"
            ),
            Err(e) => tracing::error!("reload announced by another instance: {e}"),
        }
    }
}

/// Whether retrying a request that failed with `e` can help.
fn transient(e: &RequestError) -> bool {
    match e {
        RequestError::RetryAfter(_)
        | RequestError::Network(_)
        | RequestError::Io(_)
        | RequestError::InvalidJson { .. } => true,
        RequestError::Api(teloxide::ApiError::Unknown(d)) => [
            "Internal Server Error",
            "Bad Gateway",
            "Service Unavailable",
            "Gateway Timeout",
        ]
        .iter()
        .any(|p| d.starts_with(p)),
        _ => false,
    }
}

/// Waits until the Bot API answers getMe, with backoff; a refused token is fatal.
/// `Ok(false)`: a stop signal came first.
async fn wait_for_api(bot: &Bot, stop: watch::Receiver<bool>) -> Result<bool, RunError> {
    let get_me = || async { bot.get_me().send().await };
    let attempts = get_me
        .retry(http::reconnect_backoff())
        .when(transient)
        .notify(|e, d| {
            metrics::telegram_error(&error_code(e));
            tracing::warn!("Bot API not reachable ({e}); retrying in {d:?}")
        });
    tokio::select! {
        r = attempts => match r {
            Ok(me) => {
                tracing::info!("connected as @{}", me.username());
                Ok(true)
            }
            Err(e) => {
                metrics::telegram_error(&error_code(&e));
                Err(RunError::Api(e.to_string()))
            }
        },
        _ = stopped(stop) => Ok(false),
    }
}

/// Stops the listener itself once a stop is asked for. The dispatcher's shutdown asks
/// it too, but only when it wakes waiting for the next update: teloxide notifies that
/// wait only if it is under way at that instant, so a shutdown that comes while the
/// dispatcher hands an update over is missed, and with no update coming (a store that
/// keeps nothing more fetches nothing) the bot never stopped. With the listener's
/// stream ended, the dispatcher finishes its updates in progress and returns.
fn stop_listening_at(stop: watch::Receiver<bool>, listener: StopToken) {
    tokio::spawn(async move {
        stopped(stop).await;
        listener.stop();
    });
}

/// Starts listening for SIGINT and SIGTERM, and for the store failing beyond what this
/// process can repair ([`crate::store::Committer::unrecoverable`]: nothing could be kept
/// any more, so updates would only pile up unconfirmed); the receiver turns `true` at
/// the first. The store's reason, if it was that, is set in the cell.
fn stop_requested(store: &Store) -> (watch::Receiver<bool>, Arc<OnceLock<String>>) {
    let (tx, rx) = watch::channel(false);
    let failed = Arc::new(OnceLock::new());
    let (store, why) = (store.clone(), failed.clone());
    tokio::spawn(async move {
        tokio::select! {
            _ = stop_signal() => {}
            reason = store.unrecoverable() => {
                tracing::error!(
                    "stopping: the store can keep nothing more ({reason}); what Telegram \
                     was not told to forget comes again at the next start"
                );
                let _ = why.set(reason);
            }
        }
        let _ = tx.send(true);
    });
    (rx, failed)
}

/// Until a stop was asked for (at once if it already was).
async fn stopped(mut stop: watch::Receiver<bool>) {
    if stop.wait_for(|s| *s).await.is_err() {
        // The listener is gone (the runtime is ending): no signal can come any more.
        std::future::pending::<()>().await;
    }
}

/// SIGINT or SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Removes sessions idle for more than `idle_days`, questions logged more than
/// `question_days` ago, and forgets updates applied more than a day ago, at start and
/// then every hour.
async fn expire_loop(app: Arc<App>, idle_days: u32, question_days: u32) {
    let mut tick = tokio::time::interval(EXPIRY_EVERY);
    loop {
        tick.tick().await;
        app.upkeep(Timestamp::now(), idle_days, question_days).await;
    }
}

/// Logs handler errors (and the webhook listener's) with `tracing`; never stops anything.
struct LogErrors;

impl<E: std::fmt::Debug + Send + 'static> ErrorHandler<E> for LogErrors {
    fn handle_error(self: Arc<Self>, error: E) -> futures_like::BoxFuture<'static, ()> {
        let line = format!("{error:?}");
        Box::pin(async move { tracing::warn!("{line}") })
    }
}

mod futures_like {
    pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_keeps_one_lane_and_users_spread_over_all_lanes() {
        assert_eq!(lane(7_100_123), lane(7_100_123));
        let used: std::collections::HashSet<u64> = (1_000..1_000 + LANES).map(lane).collect();
        assert_eq!(used.len() as u64, LANES, "consecutive ids take every lane");
        assert!((0..10_000).map(lane).all(|l| l < LANES));
    }
}
