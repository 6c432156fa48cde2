//! The one limiter of everything the bot sends, sized to Telegram's limits (`governor`).
//!
//! - overall: `per_second` messages a second (Telegram: about 30);
//! - a private chat: one message per `private_interval` (Telegram: about 1 a second);
//! - a group: `group_per_minute` messages a minute (Telegram: 20), spaced evenly, so
//!   that no 60-second window ever holds more;
//! - a 429 pauses its chat for `retry_after`, and everything when it came from a private
//!   chat (whose own limit is rarely the cause: the bot as a whole was too fast).
//!
//! Per-chat limits are checked without waiting ([`Limiter::chat_ready`]): a chat that
//! must wait is simply not picked, so it never holds up another. Only the overall budget
//! is waited for, and there replies go first: a background message waits while a reply is
//! waiting ([`Limiter::slot`]).

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Jitter, Quota, RateLimiter};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::outgoing::Class;

/// Telegram's limits, as configured.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    pub per_second: u32,
    pub private_interval: Duration,
    pub group_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_second: 30,
            private_interval: Duration::from_secs(1),
            group_per_minute: 20,
        }
    }
}

struct Gates {
    global: DefaultDirectRateLimiter,
    private: DefaultKeyedRateLimiter<i64>,
    groups: DefaultKeyedRateLimiter<i64>,
    /// The time between two messages to one private chat, and to one group.
    private_spacing: Duration,
    group_spacing: Duration,
}

/// The limiter shared by every send (see the module documentation).
pub struct Limiter {
    /// `None`: no limits (benchmarks against a local stand-in, tests).
    gates: Option<Gates>,
    clock: DefaultClock,
    /// 429 pauses: per chat, and for everything (key `None`).
    paused: Mutex<HashMap<Option<i64>, Instant>>,
    /// Replies waiting for an overall slot: background messages let them pass.
    replies_waiting: AtomicUsize,
    replies_done: Notify,
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

impl Limiter {
    pub fn new(l: &Limits) -> Limiter {
        let private_spacing = l.private_interval.max(Duration::from_millis(1));
        let private = Quota::with_period(private_spacing).unwrap_or(Quota::per_second(nz(1)));
        // Evenly spaced, with a little margin: Telegram counts over sliding minutes.
        let spacing =
            Duration::from_secs(60) / l.group_per_minute.max(1) + Duration::from_millis(50);
        let groups = Quota::with_period(spacing).unwrap_or(Quota::per_minute(nz(20)));
        Limiter {
            gates: Some(Gates {
                global: RateLimiter::direct(Quota::per_second(nz(l.per_second))),
                private: RateLimiter::keyed(private),
                groups: RateLimiter::keyed(groups),
                private_spacing,
                group_spacing: spacing,
            }),
            clock: DefaultClock::default(),
            paused: Mutex::new(HashMap::new()),
            replies_waiting: AtomicUsize::new(0),
            replies_done: Notify::new(),
        }
    }

    /// No limits at all.
    pub fn unlimited() -> Limiter {
        Limiter {
            gates: None,
            clock: DefaultClock::default(),
            paused: Mutex::new(HashMap::new()),
            replies_waiting: AtomicUsize::new(0),
            replies_done: Notify::new(),
        }
    }

    fn pauses(&self) -> std::sync::MutexGuard<'_, HashMap<Option<i64>, Instant>> {
        self.paused.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `chat` may get a message now (its share is taken if so), or how long it
    /// must wait. Never waits.
    pub fn chat_ready(&self, chat: i64) -> Result<(), Duration> {
        let now = Instant::now();
        if let Some(until) = self.pauses().get(&Some(chat)).copied()
            && until > now
        {
            return Err(until - now);
        }
        let Some(g) = &self.gates else {
            return Ok(());
        };
        let limiter = if chat < 0 { &g.groups } else { &g.private };
        limiter
            .check_key(&chat)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// The time between two messages to `chat` (zero without limits): each message queued
    /// behind the one `chat_ready` refused waits that much longer.
    pub fn spacing(&self, chat: i64) -> Duration {
        match &self.gates {
            None => Duration::ZERO,
            Some(g) if chat < 0 => g.group_spacing,
            Some(g) => g.private_spacing,
        }
    }

    /// Waits for a slot of the overall budget. Background messages wait while replies do.
    pub async fn slot(&self, class: Class) {
        loop {
            let pause = self.pauses().get(&None).copied();
            if let Some(until) = pause
                && until > Instant::now()
            {
                tokio::time::sleep_until(until).await;
                continue;
            }
            break;
        }
        let Some(g) = &self.gates else {
            return;
        };
        match class {
            Class::Reply => {
                self.replies_waiting.fetch_add(1, Ordering::SeqCst);
                g.global
                    .until_ready_with_jitter(Jitter::up_to(Duration::from_millis(5)))
                    .await;
                self.replies_waiting.fetch_sub(1, Ordering::SeqCst);
                self.replies_done.notify_waiters();
            }
            Class::Background => loop {
                let turn = self.replies_done.notified();
                if self.replies_waiting.load(Ordering::SeqCst) > 0 {
                    // Checked again at least every 50 ms in case a wake-up was missed.
                    let _ = tokio::time::timeout(Duration::from_millis(50), turn).await;
                    continue;
                }
                match g.global.check() {
                    Ok(()) => return,
                    Err(not_until) => {
                        let wait = not_until.wait_time_from(self.clock.now());
                        tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
                    }
                }
            },
        }
    }

    /// Telegram answered 429 for `chat`: pause it, and everything if it is a private chat.
    pub fn pause(&self, chat: i64, retry_after: Duration) {
        let until = Instant::now() + retry_after;
        let mut p = self.pauses();
        let now = Instant::now();
        p.retain(|_, t| *t > now);
        let e = p.entry(Some(chat)).or_insert(until);
        *e = (*e).max(until);
        if chat > 0 {
            let e = p.entry(None).or_insert(until);
            *e = (*e).max(until);
        }
    }

    /// Forgets per-chat state of chats that have been quiet (memory follows active chats).
    pub fn tidy(&self) {
        if let Some(g) = &self.gates {
            g.private.retain_recent();
            g.groups.retain_recent();
            g.private.shrink_to_fit();
            g.groups.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_chat_gets_one_message_a_second_and_others_are_not_held() {
        let l = Limiter::new(&Limits::default());
        assert!(l.chat_ready(1).is_ok());
        let wait = l.chat_ready(1).unwrap_err();
        assert!(wait > Duration::from_millis(900) && wait <= Duration::from_secs(1));
        assert!(l.chat_ready(2).is_ok(), "another chat is not affected");
    }

    #[test]
    fn a_group_gets_at_most_twenty_messages_a_minute() {
        let l = Limiter::new(&Limits::default());
        assert!(l.chat_ready(-100).is_ok());
        let wait = l.chat_ready(-100).unwrap_err();
        assert!(wait >= Duration::from_secs(3), "{wait:?}");
        assert_eq!(l.spacing(-100), Duration::from_millis(3050));
        assert_eq!(l.spacing(1), Duration::from_secs(1));
        assert_eq!(Limiter::unlimited().spacing(-100), Duration::ZERO);
    }

    #[tokio::test]
    async fn a_429_pauses_the_chat_and_for_a_private_chat_everything() {
        let l = Limiter::new(&Limits::default());
        l.pause(-100, Duration::from_secs(30));
        assert!(l.chat_ready(-100).is_err());
        assert!(
            l.pauses().get(&None).is_none(),
            "a group's 429 stays with the group"
        );
        l.pause(7, Duration::from_millis(30));
        assert!(l.pauses().get(&None).is_some());
        let t0 = Instant::now();
        l.slot(Class::Reply).await;
        assert!(t0.elapsed() >= Duration::from_millis(25));
        assert!(Limiter::unlimited().chat_ready(1).is_ok());
    }
}
