//! What `/healthz` and `/readyz` answer from.
//!
//! Liveness is the process answering plus a store read ([`Probe::store_ok`]). Readiness
//! is the knowledge loaded and updates flowing: the Bot API answered `getMe` and the
//! update source (long polling or the webhook) is set up, and it has not failed since
//! the last update arrived, or its last failure is older than [`RECOVERED_AFTER`]. Long
//! polling reports failures only (an idle poll that succeeds says nothing), so a failure
//! counts until an update arrives or that much time passes without another.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A listener failure older than this, with none since, no longer makes the bot unready
/// (teloxide retries a failing poll after at most about a minute).
pub const RECOVERED_AFTER: Duration = Duration::from_secs(120);

/// What the bot reports about itself; shared by the adapter and the ops listener.
#[derive(Debug)]
pub struct Health {
    start: Instant,
    knowledge: AtomicBool,
    listening: AtomicBool,
    /// Milliseconds since `start` + 1 (0: never).
    last_update: AtomicU64,
    last_failure: AtomicU64,
}

impl Default for Health {
    fn default() -> Self {
        Health {
            start: Instant::now(),
            knowledge: AtomicBool::new(false),
            listening: AtomicBool::new(false),
            last_update: AtomicU64::new(0),
            last_failure: AtomicU64::new(0),
        }
    }
}

/// Why the bot is not ready (the body of a 503 from `/readyz`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotReady {
    Knowledge,
    NotListening,
    UpdatesFailing,
}

impl NotReady {
    pub fn as_str(self) -> &'static str {
        match self {
            NotReady::Knowledge => "knowledge not loaded",
            NotReady::NotListening => "not yet receiving updates",
            NotReady::UpdatesFailing => "receiving updates fails",
        }
    }
}

impl Health {
    fn stamp(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.start).as_millis()).unwrap_or(u64::MAX) + 1
    }

    pub fn knowledge_loaded(&self) {
        self.knowledge.store(true, Ordering::Relaxed);
    }

    /// The Bot API answered and polling or the webhook is set up.
    pub fn listening(&self, yes: bool) {
        self.listening.store(yes, Ordering::Relaxed);
    }

    pub fn update_arrived(&self, at: Instant) {
        self.last_update.store(self.stamp(at), Ordering::Relaxed);
    }

    /// Receiving updates failed (a poll, the webhook listener).
    pub fn listener_failed(&self, at: Instant) {
        self.last_failure.store(self.stamp(at), Ordering::Relaxed);
    }

    /// Ready at `now`, or why not.
    pub fn ready(&self, now: Instant) -> Result<(), NotReady> {
        if !self.knowledge.load(Ordering::Relaxed) {
            return Err(NotReady::Knowledge);
        }
        if !self.listening.load(Ordering::Relaxed) {
            return Err(NotReady::NotListening);
        }
        let failure = self.last_failure.load(Ordering::Relaxed);
        let update = self.last_update.load(Ordering::Relaxed);
        let recent = self.stamp(now).saturating_sub(failure)
            < u64::try_from(RECOVERED_AFTER.as_millis()).unwrap_or(u64::MAX);
        if failure > 0 && failure > update && recent {
            return Err(NotReady::UpdatesFailing);
        }
        Ok(())
    }
}

/// What the ops listener asks the rest of the bot (the store is async: the backends
/// move blocking work off the async workers themselves).
#[async_trait::async_trait]
pub trait Probe: Send + Sync + 'static {
    /// The store answers a read.
    async fn store_ok(&self) -> bool;
    /// Refreshes the gauges read from the store (queue depth, open tickets) just before
    /// a scrape, so that they are exact when read.
    async fn refresh_gauges(&self);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_needs_knowledge_a_listener_and_no_fresh_failure() {
        let h = Health::default();
        let t0 = h.start;
        assert_eq!(h.ready(t0), Err(NotReady::Knowledge));
        h.knowledge_loaded();
        assert_eq!(h.ready(t0), Err(NotReady::NotListening));
        h.listening(true);
        assert_eq!(h.ready(t0), Ok(()));
        let fail = t0 + Duration::from_secs(10);
        h.listener_failed(fail);
        assert_eq!(h.ready(fail), Err(NotReady::UpdatesFailing));
        // An update after the failure: updates flow again.
        h.update_arrived(fail + Duration::from_secs(1));
        assert_eq!(h.ready(fail + Duration::from_secs(1)), Ok(()));
        // A later failure with no update since, until it is old enough.
        let again = fail + Duration::from_secs(20);
        h.listener_failed(again);
        assert_eq!(
            h.ready(again + Duration::from_secs(60)),
            Err(NotReady::UpdatesFailing)
        );
        assert_eq!(h.ready(again + RECOVERED_AFTER), Ok(()));
    }
}
