//! The webhook that loses no update: Telegram's request is answered `200` only once the
//! update is in the store's inbox ([`crate::store::Inbox`]), as long polling confirms a
//! batch only then ([`super::listen`]).
//!
//! teloxide's own webhook answers `200` as soon as the update is queued for the
//! dispatcher, so a kill before its handler committed lost it: Telegram does not post an
//! answered update again. Here the update is handed to the dispatcher at once and made
//! durable meanwhile; a store that cannot keep it answers `500`, and Telegram posts it
//! again later. A request without the configured secret (compared in constant time) is
//! refused with `401`; one that is not an update is logged and answered `200` (posting
//! it again would not make it one).
//!
//! What an instance that died kept and had not handled is taken over by the running
//! ones ([`super::replay`]).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use subtle::ConstantTimeEq;
use teloxide::RequestError;
use teloxide::stop::{StopFlag, StopToken, mk_stop_token};
use teloxide::types::Update;
use teloxide::update_listeners::{StatefulListener, UpdateListener};
use tokio::sync::mpsc;

use super::listen::{HANDOFF, handed_over, kept, unreadable};
use super::replay::left_over;
use crate::ops::health::Health;
use crate::store::Store;

#[derive(Clone)]
struct Hook {
    store: Store,
    health: Arc<Health>,
    secret: Arc<str>,
    tx: mpsc::Sender<Update>,
    flag: StopFlag,
}

/// The listener, the future that ends when it is stopped (for the server's graceful
/// shutdown), and the router that serves `path`. What a kill left in the inbox is queued
/// first, before anything posted; what was kept `stranded_after` ago and left unhandled
/// is queued too ([`super::replay`]).
pub async fn durable_webhook(
    store: Store,
    health: Arc<Health>,
    path: &str,
    secret: String,
    stranded_after: Duration,
) -> (
    impl UpdateListener<Err = RequestError>,
    StopFlag,
    axum::Router,
) {
    let left = left_over(&store).await;
    let (tx, rx) = mpsc::channel(HANDOFF + left.len());
    for u in left {
        // Room for all of them: the channel was made so.
        let _ = tx.try_send(u);
    }
    let (token, flag) = mk_stop_token();
    tokio::spawn(super::replay::take_over(
        store.clone(),
        stranded_after,
        tx.downgrade(),
        flag.clone(),
    ));
    let hook = Hook {
        store,
        health,
        secret: secret.into(),
        tx,
        flag: flag.clone(),
    };
    let router = axum::Router::new()
        .route(path, post(posted))
        .with_state(hook);
    let listener = StatefulListener::new(
        (Some(rx), token),
        |st: &mut (Option<mpsc::Receiver<Update>>, StopToken)| handed_over(st.0.take()),
        |st: &mut (Option<mpsc::Receiver<Update>>, StopToken)| st.1.clone(),
    );
    (listener, flag, router)
}

async fn posted(
    State(hook): State<Hook>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let given = headers
        .get("x-telegram-bot-api-secret-token")
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !bool::from(given.ct_eq(hook.secret.as_bytes())) {
        return StatusCode::UNAUTHORIZED;
    }
    if hook.flag.is_stopped() {
        // Stopping: Telegram posts it again, to this instance's next start or another.
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let update: Update = match serde_json::from_slice(&body) {
        Ok(u) => u,
        Err(e) => {
            tracing::warn!("a webhook request that is not an update: {e}");
            return StatusCode::OK;
        }
    };
    if unreadable(&update) {
        tracing::warn!(
            id = update.id.0,
            "a webhook request with an update teloxide cannot read"
        );
        return StatusCode::OK;
    }
    let received = match kept(&update) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(id = update.id.0, "an update cannot be kept: {e}");
            return StatusCode::INTERNAL_SERVER_ERROR;
        }
    };
    if let Err(e) = hook.store.receive(std::slice::from_ref(&received)).await {
        return not_kept(&hook, received.id, e);
    }
    // Handled while it is made durable; answered once it is.
    if hook.tx.send(update).await.is_err() {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    match hook.store.sync_received().await {
        Ok(()) => StatusCode::OK,
        Err(e) => not_kept(&hook, received.id, e),
    }
}

/// The store could not keep an update: Telegram posts it again (and `/readyz` says
/// updates fail meanwhile).
fn not_kept(hook: &Hook, id: u32, e: crate::store::StoreError) -> StatusCode {
    hook.health.listener_failed(std::time::Instant::now());
    tracing::error!(id, "keeping an update posted: {e}");
    StatusCode::INTERNAL_SERVER_ERROR
}
