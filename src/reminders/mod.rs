//! Deadline reminders: subscriptions, a durable schedule, a rate-limited dispatcher and
//! calendar export.
//!
//! - [`schedule`] is pure: which reminders a subscription has, what to do with one at a
//!   given moment, how a subscription compares with the current deadline.
//! - [`crate::store::follows`] keeps subscriptions, the queue and the record of what
//!   was sent (behind the store's interface).
//! - [`dispatch`] is the task that drains the queue within Telegram's limits, through the
//!   [`dispatch::Outbox`] trait (the bot's outbox in `sportello run`,
//!   [`telegram::BotOutbox`] straight over the Bot API for the benchmark and tests).
//! - [`handoff`] is the dispatcher's outbox in `sportello run`: the bot's own outbox.

pub mod dispatch;
pub mod handoff;
/// The pure schedule lives below the store (which persists what it plans); re-exported
/// here, where it is used.
pub use crate::schedule;
pub mod telegram;

use std::time::Duration;

use jiff::Timestamp;

pub use dispatch::{Clock, Outbox, SendError, Stats, SystemClock, spawn_dispatcher};
pub use schedule::{Offset, Planned, Subscription};

use crate::action::Action;
use crate::knowledge::Call;
use crate::reply::{Button, Reply};
use crate::text::Texts;
use schedule::{EndReason, Kind};

/// How the dispatcher behaves (from `[reminders]` in `config.toml`).
#[derive(Debug, Clone, PartialEq)]
pub struct ReminderSettings {
    /// Offsets before the deadline, earliest reminder first.
    pub offsets: Vec<Offset>,
    /// Messages per second over all chats.
    pub per_second: f64,
    /// Minimum interval between two messages to the same chat.
    pub per_chat_interval: Duration,
    /// Messages claimed but not yet durably marked sent: the most a crash can repeat.
    pub in_flight: usize,
    /// Attempts on server or network errors before an item is put back for later.
    pub attempts: u32,
    /// First backoff after a server or network error (doubled at each attempt).
    pub backoff: Duration,
    /// How long an item that exhausted its attempts waits before trying again.
    pub retry_later: Duration,
    /// How often the queue is looked at when nothing is due sooner.
    pub poll: Duration,
}

impl Default for ReminderSettings {
    fn default() -> Self {
        ReminderSettings {
            offsets: Offset::defaults(),
            per_second: 30.0,
            per_chat_interval: Duration::from_secs(1),
            in_flight: 32,
            attempts: 5,
            backoff: Duration::from_secs(1),
            retry_later: Duration::from_secs(300),
            poll: Duration::from_secs(1),
        }
    }
}

fn button(label: String, action: Action) -> Button {
    Button {
        label,
        data: action.encode(),
    }
}

/// The message for a queued item at `now` (the time left is the real one at sending).
/// `call` is the call as the knowledge in force describes it, if it still exists.
pub fn message(tx: &Texts, call: Option<&Call>, item: &Planned, now: Timestamp) -> Reply {
    let name = call.map_or(item.call.0.clone(), |c| c.short.clone());
    let date = tx.date(&item.deadline);
    let left = tx.time_left(now, item.deadline.closes_at().timestamp());
    let card = |tx: &Texts| {
        vec![button(
            tx.s("reminder.button.check", &[]),
            Action::Call(item.call.clone()),
        )]
    };
    match &item.kind {
        Kind::Reminder { .. } => {
            let mut text = tx.t(
                "reminder.due",
                &[("call", &name), ("date", &date), ("left", &left)],
            );
            if item.deadline.time.is_none() {
                text.text(" ").append(tx.t("deadline.no_time", &[]));
            }
            Reply::new(text).with_buttons(vec![
                card(tx),
                vec![
                    button(
                        tx.s("reminder.button.calendar", &[]),
                        Action::Calendar(item.call.clone()),
                    ),
                    button(
                        tx.s("reminder.button.stop", &[]),
                        Action::Unsubscribe(item.call.clone()),
                    ),
                ],
            ])
        }
        Kind::Moved { from } => Reply::new(tx.t(
            "reminder.moved",
            &[
                ("call", &name),
                ("from", &tx.date(from)),
                ("date", &date),
                ("left", &left),
            ],
        ))
        .with_buttons(vec![
            card(tx),
            vec![button(
                tx.s("reminder.button.calendar", &[]),
                Action::Calendar(item.call.clone()),
            )],
        ]),
        Kind::Ended { from, why } => {
            let key = match why {
                EndReason::Unknown => "reminder.ended.unknown",
                EndReason::Closed => "reminder.ended.closed",
                EndReason::Gone => "reminder.ended.gone",
            };
            let now_at = call
                .and_then(|c| c.deadline.as_ref())
                .and_then(|d| d.known())
                .map(|d| tx.date(&d))
                .unwrap_or_default();
            let reply = Reply::new(tx.t(
                key,
                &[("call", &name), ("from", &tx.date(from)), ("date", &now_at)],
            ));
            if call.is_some() {
                reply.with_buttons(vec![card(tx)])
            } else {
                reply
            }
        }
    }
}
