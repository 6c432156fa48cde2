//! The Bot API stand-in on 127.0.0.1 speaking real HTTP/1.1 (axum): the one the tests
//! run the real `sportello` binary against, and the one every benchmark measures against.
//!
//! It answers as Telegram does: getMe, getUpdates (long polling with offset
//! confirmation; an idle poll is held for its whole timeout), sendMessage, sendDocument,
//! sendPhoto, copyMessage, editMessageText, answerCallbackQuery, setMyCommands,
//! deleteWebhook and getWebhookInfo; any other method gets a 404 Bot API error. Errors are Telegram's JSON
//! bodies (`error_code`, `description`, `parameters.retry_after`).
//!
//! Tests queue updates with [`StandIn::push_text`] / [`StandIn::push_group_text`] /
//! [`StandIn::push_button`], read what the bot did with [`StandIn::calls`] /
//! [`StandIn::wait_for`] (only calls the stand-in *processed* are recorded), and inject
//! faults: [`StandIn::fail_next`] (HTML 5xx, 429, garbled), [`StandIn::fail_next_json`]
//! (Telegram's JSON errors), [`StandIn::retry_after_next`] (a 429 with its own
//! `retry_after`), [`StandIn::drop_next`] (the connection is cut before the
//! call is processed), [`StandIn::hold_next`] (the call waits for [`StandIn::release`]:
//! a barrier), and [`StandIn::limit`] (Telegram's overall, per-chat and per-group limits,
//! 429 with `retry_after` beyond them; blocked users; a 502 every n-th send).
//!
//! [`StandIn::seen`] counts what was accepted per chat, so lost and doubled messages can be
//! measured; [`StandIn::keep_calls`] turns off the record of every call for long runs.

mod body;
mod faults;
mod server;
mod updates;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use serde_json::{Value, json};
use tokio::sync::Notify;

use faults::Fault;
pub use faults::Limits;
use server::serve;
pub use updates::{button_update, post_update, text_update};
use updates::{group_chat, now_unix, private_chat, user};

pub const BOT_ID: i64 = 4242;
pub const BOT_USERNAME: &str = "sportello_test_bot";

/// One Bot API call the bot made.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub body: Value,
    pub at: Instant,
}

impl Call {
    /// The `chat_id` of the call, if it has one.
    pub fn chat(&self) -> Option<i64> {
        self.body.get("chat_id").and_then(Value::as_i64)
    }

    /// The id the stand-in gave to the message of a sendMessage call.
    pub fn message_id(&self) -> Option<i64> {
        self.body.get("__message_id").and_then(Value::as_i64)
    }

    pub fn text(&self) -> &str {
        self.body.get("text").and_then(Value::as_str).unwrap_or("")
    }

    /// The callback data of every inline button of the call, row by row.
    pub fn button_data(&self) -> Vec<String> {
        self.body
            .pointer("/reply_markup/inline_keyboard")
            .and_then(Value::as_array)
            .map(|rows| {
                rows.iter()
                    .flat_map(|r| r.as_array().cloned().unwrap_or_default())
                    .filter_map(|b| b.get("callback_data")?.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// What the stand-in accepted and refused of the sends (`sendMessage`, `sendDocument`,
/// `copyMessage`, `forwardMessage`).
#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// Sends that reached the limits' check.
    pub requests: u64,
    /// Refused with 429 by the limits.
    pub too_many: u64,
    /// Refused with 403 (blocked).
    pub forbidden: u64,
    /// Answered 502 by `fail_every`.
    pub failed: u64,
    /// Accepted sends per chat.
    pub delivered: HashMap<i64, u32>,
    pub first_ok: Option<Instant>,
    pub last_ok: Option<Instant>,
}

impl Seen {
    /// Sends accepted in all.
    pub fn accepted(&self) -> u64 {
        self.delivered.values().map(|&n| u64::from(n)).sum()
    }

    /// Sends accepted more than once for the same chat.
    pub fn doubled(&self) -> u64 {
        self.delivered
            .values()
            .map(|&n| u64::from(n.saturating_sub(1)))
            .sum()
    }
}

#[derive(Default)]
struct Inner {
    /// Updates not yet confirmed by an offset, in id order.
    updates: VecDeque<Value>,
    next_update_id: i64,
    next_message_id: i64,
    calls: Vec<Call>,
    /// Update id -> when it was queued (for latency measurements).
    pushed_at: HashMap<i64, Instant>,
    /// Method -> faults to answer with before serving it normally.
    faults: HashMap<String, VecDeque<Fault>>,
    limits: Option<Limits>,
    /// Chat -> when it got its messages (for the limits).
    sent_at: HashMap<i64, VecDeque<Instant>>,
    /// When the sends of the last second were accepted (the overall limit).
    window: VecDeque<Instant>,
    /// Calls refused with a 429 by the limits.
    limited: usize,
    seen: Seen,
    /// Do not keep every call (long benchmark runs).
    forget_calls: bool,
    /// Calls parked by `hold_next`, and a release counter.
    held: usize,
    releases: usize,
    /// getUpdates calls answered empty after waiting their whole timeout.
    idle_polls: usize,
    /// Highest offset the bot confirmed.
    confirmed: i64,
}

struct Shared {
    inner: Mutex<Inner>,
    /// Woken on every new update (long polls) and every call (waiting tests).
    updated: Notify,
    called: Notify,
    token: String,
    /// Receivers of every call as it happens (benchmarks).
    taps: Mutex<Vec<tokio::sync::mpsc::UnboundedSender<Call>>>,
}

/// The running stand-in; it stops when dropped.
pub struct StandIn {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl StandIn {
    /// Starts serving on a free port of 127.0.0.1, accepting only `token`.
    pub async fn start(token: &str) -> StandIn {
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                next_update_id: 1,
                next_message_id: 1,
                ..Inner::default()
            }),
            updated: Notify::new(),
            called: Notify::new(),
            token: token.to_string(),
            taps: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/{bot}/{method}", axum::routing::post(serve).get(serve))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        StandIn { addr, shared, task }
    }

    /// The base URL to give the bot (`TELOXIDE_API_URL`).
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    fn push(&self, make: impl FnOnce(i64, i64) -> Value) -> i64 {
        let mut g = self.shared.inner.lock().unwrap();
        let id = g.next_update_id;
        g.next_update_id += 1;
        let mid = g.next_message_id;
        g.next_message_id += 1;
        let update = make(id, mid);
        g.updates.push_back(update);
        g.pushed_at.insert(id, Instant::now());
        drop(g);
        self.shared.updated.notify_waiters();
        id
    }

    /// Queues a text message from `from` in their private chat; returns the update id.
    pub fn push_text(&self, from: i64, text: &str) -> i64 {
        self.push(|id, mid| {
            json!({"update_id": id, "message": {
                "message_id": mid, "date": now_unix(), "chat": private_chat(from),
                "from": user(from), "text": text}})
        })
    }

    /// Queues a press of the button `data` under the bot's message `message_id`.
    pub fn push_button(&self, from: i64, message_id: i64, data: &str) -> i64 {
        self.push(|id, _| button_update(id, from, message_id, data))
    }

    /// Every later call, as it happens.
    pub fn tap(&self) -> tokio::sync::mpsc::UnboundedReceiver<Call> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        self.shared.taps.lock().unwrap().push(tx);
        rx
    }

    /// When update `id` was queued.
    pub fn pushed_at(&self, id: i64) -> Option<Instant> {
        self.shared
            .inner
            .lock()
            .unwrap()
            .pushed_at
            .get(&id)
            .copied()
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.inner.lock().unwrap().calls.clone()
    }

    /// Number of calls so far (cheap).
    pub fn call_count(&self) -> usize {
        self.shared.inner.lock().unwrap().calls.len()
    }

    /// Calls made after the first `from` ones.
    pub fn calls_since(&self, from: usize) -> Vec<Call> {
        let g = self.shared.inner.lock().unwrap();
        g.calls
            .get(from..)
            .map(<[Call]>::to_vec)
            .unwrap_or_default()
    }

    /// The highest update offset the bot has confirmed (all ids below it are handled).
    pub fn confirmed_offset(&self) -> i64 {
        self.shared.inner.lock().unwrap().confirmed
    }

    /// Answers the next `times` calls of `method` (lower case) with HTTP `status`: a 5xx
    /// with an HTML page (teloxide then waits 10 s before reporting it), 429 with
    /// `retry_after: 1`, or 200 with a body that is not JSON.
    pub fn fail_next(&self, method: &str, status: u16, times: usize) {
        self.fault(method, Fault::Status(status), times);
    }

    fn fault(&self, method: &str, f: Fault, times: usize) {
        let mut g = self.shared.inner.lock().unwrap();
        g.faults
            .entry(method.to_string())
            .or_default()
            .extend(std::iter::repeat_n(f, times));
    }

    /// Answers the next `times` calls of `method` with Telegram's JSON error `code`
    /// (`{"ok":false,"error_code":500,"description":"Internal Server Error"}`; a 429
    /// carries `parameters.retry_after: 1`), without processing them.
    pub fn fail_next_json(&self, method: &str, code: u16, times: usize) {
        self.fault(method, Fault::Json(code), times);
    }

    /// Answers the next call of `method` with Telegram's 429 asking to retry after
    /// `secs` seconds, without processing it.
    pub fn retry_after_next(&self, method: &str, secs: u64) {
        self.fault(method, Fault::RetryAfter(secs), 1);
    }

    /// Cuts the connection of the next `times` calls of `method` before processing them.
    pub fn drop_next(&self, method: &str, times: usize) {
        self.fault(method, Fault::Drop, times);
    }

    /// Parks the next call of `method` until [`StandIn::release`]; it is then cut without
    /// being processed. [`StandIn::wait_held`] tells when it arrived.
    pub fn hold_next(&self, method: &str) {
        self.fault(method, Fault::Hold, 1);
    }

    /// Lets the next `times` calls of `method` be processed as usual, so that a fault
    /// queued after them meets the call after those (faults of one method are taken in
    /// the order they were asked for, one per call).
    pub fn pass_next(&self, method: &str, times: usize) {
        self.fault(method, Fault::Pass, times);
    }

    /// Waits until `n` calls have been parked by [`StandIn::hold_next`].
    pub async fn wait_held(&self, n: usize, limit: Duration) -> bool {
        self.wait_until(limit, |g| g.held >= n).await
    }

    /// Lets the parked calls go (cut, unprocessed).
    pub fn release(&self) {
        self.shared.inner.lock().unwrap().releases += 1;
        self.shared.called.notify_waiters();
    }

    /// Enforces Telegram's limits (and the blocked chats, and `fail_every`) from now on.
    pub fn limit(&self, limits: Limits) {
        self.shared.inner.lock().unwrap().limits = Some(limits);
    }

    /// Keeps (the default) or stops keeping every call for [`StandIn::calls`]; taps and
    /// [`StandIn::seen`] work either way.
    pub fn keep_calls(&self, keep: bool) {
        self.shared.inner.lock().unwrap().forget_calls = !keep;
    }

    /// What was accepted and refused of the sends so far.
    pub fn seen(&self) -> Seen {
        self.shared.inner.lock().unwrap().seen.clone()
    }

    /// Distinct chats that got at least one message.
    pub fn chats_reached(&self) -> usize {
        self.shared.inner.lock().unwrap().seen.delivered.len()
    }

    /// Calls refused with a 429 by [`StandIn::limit`].
    pub fn limited(&self) -> usize {
        self.shared.inner.lock().unwrap().limited
    }

    /// Waits until the bot confirmed every update up to `id` (it fetched them all).
    pub async fn wait_confirmed(&self, id: i64, limit: Duration) -> bool {
        self.wait_until(limit, |g| g.confirmed > id).await
    }

    /// Waits until `n` long polls ended empty after their whole timeout.
    pub async fn wait_idle_polls(&self, n: usize, limit: Duration) -> bool {
        self.wait_until(limit, |g| g.idle_polls >= n).await
    }

    async fn wait_until(&self, limit: Duration, pred: impl Fn(&Inner) -> bool) -> bool {
        let end = tokio::time::Instant::now() + limit;
        loop {
            let notified = self.shared.called.notified();
            if pred(&self.shared.inner.lock().unwrap()) {
                return true;
            }
            if tokio::time::timeout_at(end, notified).await.is_err() {
                return false;
            }
        }
    }

    /// Queues a text message from `from` in group `chat`; returns the update id.
    pub fn push_group_text(&self, chat: i64, from: i64, text: &str) -> i64 {
        self.push(|id, mid| {
            json!({"update_id": id, "message": {
                "message_id": mid, "date": now_unix(), "chat": group_chat(chat),
                "from": user(from), "text": text}})
        })
    }

    /// Queues a text message from `from` in group `chat` that replies to the bot's
    /// message `to` (as staff answer a ticket's post); returns the update id.
    pub fn push_group_reply(&self, chat: i64, from: i64, to: i64, text: &str) -> i64 {
        self.push(|id, mid| {
            json!({"update_id": id, "message": {
                "message_id": mid, "date": now_unix(), "chat": group_chat(chat),
                "from": user(from), "text": text,
                "reply_to_message": {"message_id": to, "date": now_unix(),
                    "chat": group_chat(chat),
                    "from": {"id": BOT_ID, "is_bot": true, "first_name": "Sportello",
                             "username": BOT_USERNAME},
                    "text": "…"}}})
        })
    }

    /// Waits for a call (made after the first `from` calls) that satisfies `pred`.
    pub async fn wait_for(
        &self,
        from: usize,
        limit: Duration,
        pred: impl Fn(&Call) -> bool,
    ) -> Option<Call> {
        let end = tokio::time::Instant::now() + limit;
        loop {
            let notified = self.shared.called.notified();
            if let Some(c) = self.calls_since(from).into_iter().find(|c| pred(c)) {
                return Some(c);
            }
            if tokio::time::timeout_at(end, notified).await.is_err() {
                return None;
            }
        }
    }
}
