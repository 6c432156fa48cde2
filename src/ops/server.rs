//! The ops endpoints over HTTP (axum): `/healthz`, `/readyz` and `/metrics`.
//!
//! [`router`] serves them on their own listener (`[ops] listen`) or, in webhook mode,
//! under a path of the webhook's listener (`[ops] webhook_path`), next to the route
//! Telegram posts updates to. Nothing here needs the token or user data.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;

use super::health::{Health, Probe};

/// What the endpoints read.
pub struct Ops {
    pub health: Arc<Health>,
    /// The Prometheus recorder's handle (`None`: `/metrics` answers 404).
    pub metrics: Option<PrometheusHandle>,
    pub probe: Arc<dyn Probe>,
}

/// The endpoints, under `prefix` (`""` or a path such as `/ops`).
pub fn router(ops: Arc<Ops>, prefix: &str) -> Router {
    let routes = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(ops);
    let prefix = prefix.trim_end_matches('/');
    if prefix.is_empty() {
        routes
    } else {
        Router::new().nest(prefix, routes)
    }
}

/// Serves `router` on `addr` until `stop` resolves. Binding fails at once (a port in
/// use is a configuration error the operator must see).
pub async fn serve(
    addr: SocketAddr,
    router: Router,
    stop: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "ops endpoints listening (/healthz, /readyz, /metrics)");
    Ok(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router)
            .with_graceful_shutdown(stop)
            .await
        {
            tracing::error!("ops listener: {e}");
        }
    }))
}

fn text(status: StatusCode, body: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

async fn healthz(State(ops): State<Arc<Ops>>) -> Response {
    match ops.probe.store_ok().await {
        true => text(StatusCode::OK, "ok\n"),
        false => text(StatusCode::SERVICE_UNAVAILABLE, "store not answering\n"),
    }
}

async fn readyz(State(ops): State<Arc<Ops>>) -> Response {
    match ops.health.ready(Instant::now()) {
        Ok(()) => text(StatusCode::OK, "ready\n"),
        Err(why) => text(StatusCode::SERVICE_UNAVAILABLE, why.as_str()),
    }
}

async fn metrics(State(ops): State<Arc<Ops>>) -> Response {
    let Some(handle) = ops.metrics.clone() else {
        return text(StatusCode::NOT_FOUND, "metrics are off\n");
    };
    // Gauges read from the store are refreshed just before the scrape.
    ops.probe.refresh_gauges().await;
    handle.run_upkeep();
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
        .into_response()
}
