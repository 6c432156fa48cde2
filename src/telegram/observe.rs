//! What the adapter tells about each update: a `tracing` span around its handling, the
//! count of updates by kind, and the health's "an update arrived".
//!
//! The span (`update`) is opened by teloxide's own instrumentation around the whole
//! update tree ([`super::schema`]) with the update id, the user as a salted hash
//! ([`Pseudo`]), never the id or the name, and the kind; the handler fills in the outcome
//! and the milliseconds ([`done`]), and the app the answer's kind (`answer`). Every event
//! logged while the update is handled carries these fields.

use std::sync::Arc;
use std::time::Instant;

use teloxide::types::{Update, UpdateKind as Tg};
use tracing::Span;
use tracing::field::Empty;

use super::Adapter;
use crate::ops::logs::Pseudo;
use crate::ops::metrics::{self, UpdateKind};

/// The span of one update; counts it and marks it arrived.
pub(super) fn update_span(u: Update, ad: Arc<Adapter>) -> Span {
    let kind = kind(&u, ad.app.settings.staff.chat);
    metrics::update(kind);
    ad.health.update_arrived(Instant::now());
    let user = u.from().map(|f| Pseudo(f.id.0 as i64));
    tracing::info_span!(
        "update",
        id = u.id.0,
        user = user.map(tracing::field::display),
        kind = kind.as_str(),
        outcome = Empty,
        answer = Empty,
        ms = Empty,
    )
}

/// Records how the update ended and how long it took, and logs one line for it.
pub(super) fn done(outcome: &'static str, received: Instant) {
    let span = Span::current();
    let ms = u64::try_from(received.elapsed().as_millis()).unwrap_or(u64::MAX);
    span.record("outcome", outcome);
    span.record("ms", ms);
    tracing::info!(outcome, ms, "update handled");
}

/// What an update is, for the metrics: a staff reply is any reply in the staff group to
/// one of the bot's messages that is not a command.
pub fn kind(u: &Update, staff_chat: Option<i64>) -> UpdateKind {
    match &u.kind {
        Tg::CallbackQuery(_) => UpdateKind::Button,
        Tg::Message(m) => {
            let text = m.text().map(str::trim_start);
            let command = text.is_some_and(|t| t.starts_with('/'));
            if m.forward_origin().is_some() {
                UpdateKind::Forward
            } else if staff_chat == Some(m.chat.id.0)
                && !command
                && m.reply_to_message()
                    .is_some_and(|r| r.from.as_ref().is_some_and(|f| f.is_bot))
            {
                UpdateKind::StaffReply
            } else if command {
                UpdateKind::Command
            } else if text.is_some() {
                UpdateKind::Text
            } else {
                UpdateKind::Other
            }
        }
        _ => UpdateKind::Other,
    }
}
