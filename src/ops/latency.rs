//! Update-to-reply latency: before an update is handled, the adapter notes the moment
//! it arrived for its chat (taken back if it stores no reply); when the outbox sender gets the first reply to
//! that chat accepted by Telegram, the time since is recorded.
//!
//! The notes live in memory, in one process-wide table like the metrics recorder itself
//! (the adapter and the sender are built apart and share nothing else): a restart loses
//! them, and those replies are simply not measured. A chat keeps its earliest unanswered
//! arrival, so a burst is measured from its first message. The table is bounded: when it
//! is full, new arrivals are not measured rather than memory growing.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

/// Chats waiting for a reply at most (a burst of this many chats at once is already an
/// outage the other metrics show).
const MAX_WAITING: usize = 10_000;

fn table() -> &'static Mutex<HashMap<i64, Instant>> {
    static T: OnceLock<Mutex<HashMap<i64, Instant>>> = OnceLock::new();
    T.get_or_init(|| Mutex::new(HashMap::new()))
}

/// An update arrived at `at` in `chat` and is about to be handled. Noted *before* its
/// replies are stored, because the sender may deliver them before the handler returns.
/// Returns whether this arrival is the chat's earliest unanswered one (then
/// [`no_reply`] takes it back if the update stores nothing to send).
pub fn arrived(chat: i64, at: Instant) -> bool {
    let mut t = table().lock().unwrap_or_else(|e| e.into_inner());
    if t.contains_key(&chat) || t.len() >= MAX_WAITING {
        return false;
    }
    t.insert(chat, at);
    true
}

/// The update that arrived at `at` stored nothing to send: it is not waiting for a reply
/// (an earlier arrival of the chat still is).
pub fn no_reply(chat: i64, at: Instant) {
    let mut t = table().lock().unwrap_or_else(|e| e.into_inner());
    if t.get(&chat) == Some(&at) {
        t.remove(&chat);
    }
}

/// A reply to `chat` left the outbox: `delivered` records the latency; either way the
/// chat is no longer waiting.
pub fn reply_done(chat: i64, delivered: bool) {
    let at = table()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&chat);
    if let (Some(at), true) = (at, delivered) {
        super::metrics::update_reply(at.elapsed());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chat_is_measured_from_its_first_unanswered_update_and_once() {
        let chat = -987_654_321;
        let first = Instant::now();
        let later = first + std::time::Duration::from_secs(5);
        assert!(arrived(chat, first));
        assert!(!arrived(chat, later));
        // The later update stored nothing: the first still waits.
        no_reply(chat, later);
        assert_eq!(table().lock().unwrap().get(&chat), Some(&first));
        reply_done(chat, true);
        assert!(!table().lock().unwrap().contains_key(&chat));
    }

    #[test]
    fn an_update_without_replies_leaves_no_note() {
        let chat = -987_654_322;
        let at = Instant::now();
        assert!(arrived(chat, at));
        no_reply(chat, at);
        assert!(!table().lock().unwrap().contains_key(&chat));
    }
}
