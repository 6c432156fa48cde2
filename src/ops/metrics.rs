//! Every metric Sportello exports: its name, its labels and the one function that records
//! it, so that a dashboard can be written from this file alone.
//!
//! Recording goes through the `metrics` facade: without an installed recorder (tests of
//! the library, the console, `ask`) every call is a no-op costing an atomic load. `sportello
//! run` installs the Prometheus recorder ([`install`]) when `[ops] listen` or
//! `webhook_path` is set, and [`super::server`] renders it as Prometheus text.
//!
//! Callers sit at the edges only: the Telegram adapter (updates), the app (answers,
//! checks, tickets, reloads, store latency through [`store_op`]), the outbox sender
//! (Telegram errors, update-to-reply latency) and the reminder hand-off.

use std::time::{Duration, Instant};

use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};

pub const UPDATES: &str = "sportello_updates_total";
pub const UPDATE_REPLY_SECONDS: &str = "sportello_update_reply_seconds";
pub const ANSWERS: &str = "sportello_answers_total";
pub const CHECKS_STARTED: &str = "sportello_checks_started_total";
pub const CHECKS_FINISHED: &str = "sportello_checks_finished_total";
pub const REMINDERS_QUEUED: &str = "sportello_reminders_queued_total";
pub const REMINDERS_SENT: &str = "sportello_reminders_sent_total";
pub const REMINDERS_FAILED: &str = "sportello_reminders_failed_total";
pub const REMINDER_QUEUE_DEPTH: &str = "sportello_reminder_queue_depth";
pub const TICKETS_OPEN: &str = "sportello_tickets_open";
pub const TICKET_OLDEST_OPEN_SECONDS: &str = "sportello_ticket_oldest_open_age_seconds";
pub const TELEGRAM_ERRORS: &str = "sportello_telegram_api_errors_total";
pub const KNOWLEDGE_RELOADS: &str = "sportello_knowledge_reloads_total";
pub const UPDATES_LEFT: &str = "sportello_updates_left_unhandled_total";
pub const STORE_OP_SECONDS: &str = "sportello_store_op_seconds";

/// Histogram buckets, in seconds: from a fast read of the embedded store (0.1 ms) to a
/// reply that waited for Telegram's limits (a minute).
const BUCKETS: &[f64] = &[
    0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0,
];

/// Installs the Prometheus recorder for the whole process (once: a second call fails)
/// and describes every metric.
pub fn install() -> Result<PrometheusHandle, BuildError> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)?
        .install_recorder()?;
    describe();
    Ok(handle)
}

fn describe() {
    describe_counter!(
        UPDATES,
        "Updates handled, by kind (one handed out again from the inbox counts again)"
    );
    describe_histogram!(
        UPDATE_REPLY_SECONDS,
        Unit::Seconds,
        "From an update's arrival to Telegram accepting its first reply"
    );
    describe_counter!(ANSWERS, "Questions answered, by outcome");
    describe_counter!(CHECKS_STARTED, "Eligibility checks started");
    describe_counter!(CHECKS_FINISHED, "Eligibility checks finished, by verdict");
    describe_counter!(REMINDERS_QUEUED, "Deadline reminders put on the queue");
    describe_counter!(REMINDERS_SENT, "Deadline reminders Telegram accepted");
    describe_counter!(
        REMINDERS_FAILED,
        "Deadline reminders not delivered, by reason"
    );
    describe_gauge!(REMINDER_QUEUE_DEPTH, "Reminders waiting in the queue");
    describe_gauge!(TICKETS_OPEN, "Help-desk tickets not yet answered or closed");
    describe_gauge!(
        TICKET_OLDEST_OPEN_SECONDS,
        Unit::Seconds,
        "Age of the oldest open ticket (0 without open tickets)"
    );
    describe_counter!(TELEGRAM_ERRORS, "Bot API calls that failed, by error code");
    describe_counter!(KNOWLEDGE_RELOADS, "Knowledge reloads, by result");
    describe_counter!(
        UPDATES_LEFT,
        "Updates left unhandled in the inbox (nothing could be stored), and taken over again"
    );
    describe_histogram!(
        STORE_OP_SECONDS,
        Unit::Seconds,
        "Store operations, by operation"
    );
}

/// What an update was, for [`update`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateKind {
    /// A text message that is not a command.
    Text,
    /// A `/command`.
    Command,
    /// A button press (callback query).
    Button,
    /// A forwarded message.
    Forward,
    /// A staff member's reply to a ticket in the staff group.
    StaffReply,
    /// Anything else (photos, stickers, group chatter, edits, other update types).
    Other,
}

impl UpdateKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UpdateKind::Text => "text",
            UpdateKind::Command => "command",
            UpdateKind::Button => "button",
            UpdateKind::Forward => "forward",
            UpdateKind::StaffReply => "staff_reply",
            UpdateKind::Other => "other",
        }
    }
}

pub fn update(kind: UpdateKind) {
    counter!(UPDATES, "kind" => kind.as_str()).increment(1);
}

pub fn update_reply(latency: Duration) {
    histogram!(UPDATE_REPLY_SECONDS).record(latency.as_secs_f64());
}

/// `outcome`: `direct`, `menu`, `which_call`, `routed`, `not_found` or `handed_over`.
pub fn answer(outcome: &'static str) {
    counter!(ANSWERS, "outcome" => outcome).increment(1);
}

pub fn check_started() {
    counter!(CHECKS_STARTED).increment(1);
}

/// `verdict`: `eligible`, `not_eligible`, `to_verify`, or `profile` for «Quali bandi fanno
/// per me?».
pub fn check_finished(verdict: &'static str) {
    counter!(CHECKS_FINISHED, "verdict" => verdict).increment(1);
}

pub fn reminders_queued(n: u64) {
    counter!(REMINDERS_QUEUED).increment(n);
}

pub fn reminder_sent() {
    counter!(REMINDERS_SENT).increment(1);
}

/// `reason`: `blocked` (403), `refused` (another 4xx) or `transient` (to be retried).
pub fn reminder_failed(reason: &'static str) {
    counter!(REMINDERS_FAILED, "reason" => reason).increment(1);
}

pub fn reminder_queue_depth(n: usize) {
    gauge!(REMINDER_QUEUE_DEPTH).set(n as f64);
}

pub fn tickets_open(n: usize, oldest: Duration) {
    gauge!(TICKETS_OPEN).set(n as f64);
    gauge!(TICKET_OLDEST_OPEN_SECONDS).set(oldest.as_secs_f64());
}

/// The `code` of a Bot API call that got no answer (the connection failed or timed out).
pub const NETWORK: &str = "network";
/// The `code` of a Bot API answer that is not Telegram's JSON.
pub const INVALID_JSON: &str = "invalid_json";

/// A failed Bot API call: `code` is Telegram's `error_code` (`429`, `403`, `500`…), the
/// HTTP status when the body had none, [`NETWORK`] or [`INVALID_JSON`].
pub fn telegram_error(code: &str) {
    counter!(TELEGRAM_ERRORS, "code" => code.to_string()).increment(1);
}

/// An update left in the inbox unhandled (`left`), or handed out again because it stayed
/// there too long (`taken_over`, by count).
pub fn updates_left(event: &'static str, n: u64) {
    counter!(UPDATES_LEFT, "event" => event).increment(n);
}

pub fn knowledge_reload(ok: bool) {
    counter!(KNOWLEDGE_RELOADS, "result" => if ok { "ok" } else { "error" }).increment(1);
}

/// Runs one store operation and records how long it took: the one place store latency
/// is measured (`op`: `load`, `commit`, `flush`, `claim`…).
pub fn store_op<T>(op: &'static str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    histogram!(STORE_OP_SECONDS, "op" => op).record(start.elapsed().as_secs_f64());
    out
}

/// [`store_op`] for an operation that awaits (a flush).
pub async fn store_op_async<T>(op: &'static str, f: impl Future<Output = T>) -> T {
    let start = Instant::now();
    let out = f.await;
    histogram!(STORE_OP_SECONDS, "op" => op).record(start.elapsed().as_secs_f64());
    out
}
