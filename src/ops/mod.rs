//! Running Sportello in production: metrics, health and logs.
//!
//! - [`metrics`] names every exported metric and records it (the `metrics` facade; the
//!   Prometheus recorder is installed by `sportello run` only).
//! - [`latency`] pairs an update's arrival with its first reply's delivery.
//! - [`health`] is what `/healthz` and `/readyz` answer from.
//! - [`server`] serves the three endpoints (axum), on `[ops] listen` or under a path of
//!   the webhook's listener.
//! - [`logs`] sets up `tracing` (text or JSON), the one token-redacting writer, and the
//!   salted hash that stands for a user in logs.
//!
//! This is an adapter: it reads the rest through [`health::Probe`] and is called from the
//! edges (the Telegram adapter, the app, the outbox sender); nothing below it knows it.

pub mod health;
pub mod latency;
pub mod logs;
pub mod metrics;
pub mod server;
