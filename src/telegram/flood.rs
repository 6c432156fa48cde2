//! Per-user flood control: counts each user's updates in a fixed window.
//!
//! It only decides; the adapter acts on the verdict. Nothing here sleeps, so a flooding
//! user never holds up anyone else: their excess updates are simply not handled, and
//! they are told once per window to slow down.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What to do with one update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Within the limit: handle it.
    Pass,
    /// The first update over the limit in this window: drop it and ask to slow down.
    Warn,
    /// Further updates over the limit: drop silently.
    Drop,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    count: u32,
    warned: bool,
}

/// The counters of every user seen recently (in memory only: a restart forgets them).
#[derive(Debug)]
pub struct Flood {
    limit: u32,
    window: Duration,
    users: Mutex<Counters>,
}

#[derive(Debug)]
struct Counters {
    map: HashMap<i64, Window>,
    /// Size at which expired windows are swept, so memory follows active users only.
    sweep_at: usize,
}

const MIN_SWEEP: usize = 1024;

impl Flood {
    /// At most `limit` updates per user in each `window`.
    pub fn new(limit: u32, window: Duration) -> Flood {
        Flood {
            limit: limit.max(1),
            window,
            users: Mutex::new(Counters {
                map: HashMap::new(),
                sweep_at: MIN_SWEEP,
            }),
        }
    }

    /// The window length (told to the user in the "slow down" message).
    pub fn window(&self) -> Duration {
        self.window
    }

    /// Counts one update of `user` at `now`.
    pub fn check(&self, user: i64, now: Instant) -> Verdict {
        let mut c = self.users.lock().unwrap_or_else(|e| e.into_inner());
        if c.map.len() >= c.sweep_at {
            let window = self.window;
            c.map
                .retain(|_, w| now.saturating_duration_since(w.start) < window);
            c.sweep_at = (c.map.len() * 2).max(MIN_SWEEP);
        }
        let w = c.map.entry(user).or_insert(Window {
            start: now,
            count: 0,
            warned: false,
        });
        if now.saturating_duration_since(w.start) >= self.window {
            *w = Window {
                start: now,
                count: 0,
                warned: false,
            };
        }
        w.count = w.count.saturating_add(1);
        if w.count <= self.limit {
            Verdict::Pass
        } else if !w.warned {
            w.warned = true;
            Verdict::Warn
        } else {
            Verdict::Drop
        }
    }

    /// Users currently tracked.
    pub fn tracked(&self) -> usize {
        self.users
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .map
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flooding_user_is_warned_once_and_others_pass() {
        let f = Flood::new(3, Duration::from_secs(5));
        let t0 = Instant::now();
        let got: Vec<Verdict> = (0..6).map(|_| f.check(1, t0)).collect();
        assert_eq!(
            got,
            [
                Verdict::Pass,
                Verdict::Pass,
                Verdict::Pass,
                Verdict::Warn,
                Verdict::Drop,
                Verdict::Drop
            ]
        );
        // Another user in the same instant is not affected.
        assert_eq!(f.check(2, t0), Verdict::Pass);
        // After the window the flooder may write again, and is warned again if needed.
        let t1 = t0 + Duration::from_secs(5);
        assert_eq!(f.check(1, t1), Verdict::Pass);
    }

    #[test]
    fn idle_users_are_forgotten() {
        let f = Flood::new(2, Duration::from_secs(1));
        let t0 = Instant::now();
        for u in 0..(MIN_SWEEP as i64) {
            f.check(u, t0);
        }
        assert_eq!(f.tracked(), MIN_SWEEP);
        f.check(-1, t0 + Duration::from_secs(2));
        assert_eq!(f.tracked(), 1);
    }
}
