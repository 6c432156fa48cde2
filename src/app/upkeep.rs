//! Upkeep of the store on a timer: idle sessions expire, the question log keeps only
//! its retention, and applied update ids are forgotten after a day. The adapter's timer
//! calls [`App::upkeep`]; only the app writes to the store.

use jiff::{SignedDuration, Timestamp};

use super::App;

impl App {
    /// Removes sessions idle for more than `idle_days`, questions logged more than
    /// `question_days` ago, and updates applied more than a day before `now`. Each part
    /// that fails is logged and the others still run.
    pub async fn upkeep(&self, now: Timestamp, idle_days: u32, question_days: u32) {
        let cutoff = now - SignedDuration::from_hours(24 * i64::from(idle_days));
        let day = now - SignedDuration::from_hours(24);
        if let Err(e) = self.store.forget_updates(day).await {
            tracing::error!("forgetting applied updates: {e}");
        }
        match self.store.expire_sessions(cutoff).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("removed {n} idle sessions"),
            Err(e) => tracing::error!("expiring sessions: {e}"),
        }
        let before = crate::store::questions::retention_cutoff(now, question_days);
        match self.store.purge_questions(before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("removed {n} questions past the log's retention"),
            Err(e) => tracing::error!("purging the question log: {e}"),
        }
    }
}
