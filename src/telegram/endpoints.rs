//! The ops endpoints of `sportello run`: the Prometheus recorder, the probe that reads
//! the store for `/healthz` and the gauges, and where the endpoints are served (`[ops]
//! listen`, and under `[ops] webhook_path` of the webhook's listener).

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;

use crate::app::App;
use crate::config::OpsConfig;
use crate::helpdesk::Status;
use crate::ops::health::{Health, Probe};
use crate::ops::metrics;
use crate::ops::server::{self, Ops};
use crate::store::UserId;

/// Reads the store for the ops endpoints.
struct AppProbe(Arc<App>);

#[async_trait::async_trait]
impl Probe for AppProbe {
    async fn store_ok(&self) -> bool {
        // Any read will do: user 0 never exists, so this reads one missing key.
        metrics::store_op_async("probe", self.0.store.load_session(UserId(0)))
            .await
            .is_ok()
    }

    async fn refresh_gauges(&self) {
        let store = &self.0.store;
        match metrics::store_op_async("scan_reminders", store.queued_reminders()).await {
            Ok(q) => metrics::reminder_queue_depth(q.len()),
            Err(e) => tracing::warn!("metrics: reading the reminder queue: {e}"),
        }
        match metrics::store_op_async("scan_tickets", store.tickets()).await {
            Ok(tickets) => {
                let now = Timestamp::now();
                let open: Vec<_> = tickets
                    .iter()
                    .filter(|t| t.status == Status::Open)
                    .collect();
                let oldest = open
                    .iter()
                    .map(|t| now.duration_since(t.opened))
                    .max()
                    .and_then(|d| Duration::try_from(d).ok())
                    .unwrap_or_default();
                metrics::tickets_open(open.len(), oldest);
            }
            Err(e) => tracing::warn!("metrics: reading the tickets: {e}"),
        }
    }
}

/// The ops endpoints, started: what the webhook's listener should add, and the
/// dedicated listener's task.
pub struct Started {
    pub ops: Arc<Ops>,
    pub listener: Option<tokio::task::JoinHandle<()>>,
}

/// How often the metrics recorder folds histogram samples into buckets between scrapes.
const METRICS_UPKEEP: std::time::Duration = std::time::Duration::from_secs(5);

/// Installs the metrics recorder when some endpoint serves it, and starts the dedicated
/// listener if `[ops] listen` is set. `None`: no endpoint at all.
pub async fn start(
    app: Arc<App>,
    cfg: &OpsConfig,
    health: Arc<Health>,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<Option<Started>, super::error::RunError> {
    if !cfg.metrics_on() {
        return Ok(None);
    }
    let metrics = match metrics::install() {
        Ok(h) => {
            // Histograms keep every sample until an upkeep folds them into their
            // buckets; a scrape does one, but nobody may scrape for days.
            let kept = h.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(METRICS_UPKEEP);
                loop {
                    tick.tick().await;
                    kept.run_upkeep();
                }
            });
            Some(h)
        }
        Err(e) => {
            // Only one recorder per process: a second bot in one process (tests) goes on
            // without metrics rather than failing.
            tracing::warn!("metrics recorder not installed: {e}");
            None
        }
    };
    let ops = Arc::new(Ops {
        health,
        metrics,
        probe: Arc::new(AppProbe(app)),
    });
    let listener = if cfg.listen.is_empty() {
        None
    } else {
        let addr = cfg
            .listen
            .parse()
            .map_err(|e| super::error::RunError::Ops(format!("ops.listen: {e}")))?;
        let task = server::serve(addr, server::router(ops.clone(), ""), stop)
            .await
            .map_err(|e| super::error::RunError::Ops(format!("ops.listen {addr}: {e}")))?;
        Some(task)
    };
    Ok(Some(Started { ops, listener }))
}
