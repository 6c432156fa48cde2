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
//! (Telegram's JSON errors), [`StandIn::drop_next`] (the connection is cut before the
//! call is processed), [`StandIn::hold_next`] (the call waits for [`StandIn::release`]:
//! a barrier), and [`StandIn::limit`] (Telegram's overall, per-chat and per-group limits,
//! 429 with `retry_after` beyond them; blocked users; a 502 every n-th send).
//!
//! [`StandIn::seen`] counts what was accepted per chat, so lost and doubled messages can be
//! measured; [`StandIn::keep_calls`] turns off the record of every call for long runs.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::Notify;

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

/// A fault to answer a call with instead of processing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// The old-style faults of [`StandIn::fail_next`].
    Status(u16),
    /// Telegram's JSON error with this code.
    Json(u16),
    /// The connection is cut before anything is processed.
    Drop,
    /// The call waits for [`StandIn::release`], then is cut without being processed.
    Hold,
    /// The call is processed as usual (it only takes its place among queued faults).
    Pass,
}

/// Telegram's send limits, enforced by the stand-in when set.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Minimum gap between two messages to one private chat.
    pub private_gap: Duration,
    /// Messages a group may get in any 60 seconds.
    pub group_per_minute: usize,
    /// Messages all chats together may get in any second (`None`: no overall limit).
    pub per_second: Option<usize>,
    /// Chats that blocked the bot: sends to them get 403.
    pub blocked: HashSet<i64>,
    /// Answer every n-th send with Telegram's JSON 502 (0: never).
    pub fail_every: u64,
}

impl Default for Limits {
    /// Telegram's: 1 message a second per private chat, 20 a minute per group, 30 a
    /// second overall.
    fn default() -> Self {
        Limits {
            private_gap: Duration::from_secs(1),
            group_per_minute: 20,
            per_second: Some(30),
            blocked: HashSet::new(),
            fail_every: 0,
        }
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

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn private_chat(user: i64) -> Value {
    json!({"id": user, "type": "private", "first_name": format!("Utente {user}")})
}

fn group_chat(chat: i64) -> Value {
    json!({"id": chat, "type": "supergroup", "title": "Gruppo"})
}

/// A chat as Telegram describes it in a message the bot sent.
fn chat_json(chat: i64) -> Value {
    if chat < 0 {
        group_chat(chat)
    } else {
        private_chat(chat)
    }
}

fn user(user: i64) -> Value {
    json!({"id": user, "is_bot": false, "first_name": format!("Utente {user}")})
}

fn ok(result: Value) -> Response {
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        json!({"ok": true, "result": result}).to_string(),
    )
        .into_response()
}

fn api_error(status: u16, description: &str) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = if status == 429 {
        json!({"ok": false, "error_code": 429, "description": description,
               "parameters": {"retry_after": 1}})
    } else {
        json!({"ok": false, "error_code": status, "description": description})
    };
    (
        code,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
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
        self.push(|id, _| {
            json!({"update_id": id, "callback_query": {
                "id": format!("cq{id}"), "from": user(from), "chat_instance": "ci",
                "data": data,
                "message": {"message_id": message_id, "date": now_unix(),
                            "chat": private_chat(from),
                            "from": {"id": BOT_ID, "is_bot": true, "first_name": "Sportello",
                                     "username": BOT_USERNAME},
                            "text": "…"}}})
        })
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

async fn serve(
    State(sh): State<Arc<Shared>>,
    Path((bot, method)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    if bot.strip_prefix("bot") != Some(sh.token.as_str()) {
        return api_error(401, "Unauthorized");
    }
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut body: Value = if body.is_empty() {
        json!({})
    } else if let Some(boundary) = content_type.split("boundary=").nth(1) {
        multipart_fields(&body, boundary)
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        form_fields(&body)
    } else {
        serde_json::from_slice(&body).unwrap_or(json!({"__raw": true}))
    };
    let method_lc = method.to_ascii_lowercase();
    let mut sent_id = 0;
    let fault = sh
        .inner
        .lock()
        .unwrap()
        .faults
        .get_mut(&method_lc)
        .and_then(VecDeque::pop_front);
    match fault {
        None | Some(Fault::Status(_) | Fault::Pass) => {}
        Some(Fault::Json(code)) => return json_error(code),
        Some(Fault::Drop) => return cut(),
        Some(Fault::Hold) => {
            let seen = {
                let mut g = sh.inner.lock().unwrap();
                g.held += 1;
                g.releases
            };
            sh.called.notify_waiters();
            loop {
                let notified = sh.called.notified();
                if sh.inner.lock().unwrap().releases > seen {
                    break;
                }
                notified.await;
            }
            return cut();
        }
    }
    if is_send(&method_lc)
        && let Some(r) = over_limit(&sh, body.get("chat_id").and_then(Value::as_i64))
    {
        return r;
    }
    {
        let mut g = sh.inner.lock().unwrap();
        if let Some(Fault::Status(status)) = fault {
            drop(g);
            return if status == 200 {
                // A garbled answer through a misbehaving proxy.
                (StatusCode::OK, "<html>proxy</html>").into_response()
            } else if status >= 500 {
                (
                    StatusCode::from_u16(status).unwrap(),
                    "<html>Bad Gateway</html>",
                )
                    .into_response()
            } else {
                api_error(status, "Too Many Requests: retry after 1")
            };
        }
        if method_lc != "getupdates" {
            // The id a sent message gets is stored with the call, so tests can press
            // buttons under it.
            if matches!(
                method_lc.as_str(),
                "sendmessage" | "senddocument" | "sendphoto" | "copymessage"
            ) {
                sent_id = g.next_message_id;
                g.next_message_id += 1;
                body["__message_id"] = json!(sent_id);
            }
            // teloxide writes `SendMessage`, the documentation `sendMessage`: keep the latter.
            let mut canonical = method.clone();
            if let Some(first) = canonical.get_mut(..1) {
                first.make_ascii_lowercase();
            }
            let call = Call {
                method: canonical,
                body: body.clone(),
                at: Instant::now(),
            };
            if is_send(&method_lc) {
                let chat = call.chat().unwrap_or(0);
                let now = call.at;
                *g.seen.delivered.entry(chat).or_default() += 1;
                g.seen.first_ok.get_or_insert(now);
                g.seen.last_ok = Some(now);
            }
            sh.taps
                .lock()
                .unwrap()
                .retain(|t| t.send(call.clone()).is_ok());
            if !g.forget_calls {
                g.calls.push(call);
            }
        }
    }
    if method_lc != "getupdates" {
        sh.called.notify_waiters();
    }
    match method_lc.as_str() {
        "getme" => ok(json!({
            "id": BOT_ID, "is_bot": true, "first_name": "Sportello", "username": BOT_USERNAME,
            "can_join_groups": true, "can_read_all_group_messages": false,
            "supports_inline_queries": false, "can_connect_to_business": false,
            "has_main_web_app": false})),
        "getupdates" => get_updates(&sh, &body).await,
        "copymessage" => ok(json!({"message_id": sent_id})),
        "sendmessage" | "senddocument" | "sendphoto" => {
            let chat = body.get("chat_id").and_then(Value::as_i64).unwrap_or(0);
            let mut msg = json!({
                "message_id": sent_id, "date": now_unix(), "chat": chat_json(chat),
                "from": {"id": BOT_ID, "is_bot": true, "first_name": "Sportello",
                         "username": BOT_USERNAME},
                "text": body.get("text").cloned().unwrap_or(json!(""))});
            if let Some(kb) = body.get("reply_markup") {
                msg["reply_markup"] = kb.clone();
            }
            ok(msg)
        }
        "editmessagetext" => {
            let chat = body.get("chat_id").and_then(Value::as_i64).unwrap_or(0);
            let mid = body.get("message_id").and_then(Value::as_i64).unwrap_or(0);
            ok(json!({
                "message_id": mid, "date": now_unix(), "chat": chat_json(chat),
                "from": {"id": BOT_ID, "is_bot": true, "first_name": "Sportello",
                         "username": BOT_USERNAME},
                "text": body.get("text").cloned().unwrap_or(json!(""))}))
        }
        "answercallbackquery" | "setmycommands" | "deletewebhook" | "setwebhook" => ok(json!(true)),
        "getwebhookinfo" => ok(json!({"url": "", "has_custom_certificate": false,
                                      "pending_update_count": 0})),
        _ => api_error(404, "Not Found: method not found"),
    }
}

/// Methods that post a message in a chat (counted by Telegram's limits).
fn is_send(method_lc: &str) -> bool {
    matches!(
        method_lc,
        "sendmessage" | "senddocument" | "sendphoto" | "copymessage" | "forwardmessage"
    )
}

/// A refusal (502 by `fail_every`, 403 blocked, 429 over the limits) if a message to
/// `chat` now is not to be accepted; otherwise counts it.
fn over_limit(sh: &Shared, chat: Option<i64>) -> Option<Response> {
    let chat = chat?;
    let mut guard = sh.inner.lock().unwrap();
    let g = &mut *guard;
    let limits = g.limits.as_ref()?;
    g.seen.requests += 1;
    if limits.fail_every > 0 && g.seen.requests.is_multiple_of(limits.fail_every) {
        g.seen.failed += 1;
        return Some(json_error(502));
    }
    if limits.blocked.contains(&chat) {
        g.seen.forbidden += 1;
        return Some(json_error(403));
    }
    let now = Instant::now();
    while g
        .window
        .front()
        .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
    {
        g.window.pop_front();
    }
    let overall = limits
        .per_second
        .filter(|&n| g.window.len() >= n)
        .map(|_| Duration::from_secs(1) - now.duration_since(g.window[0]));
    let q = g.sent_at.entry(chat).or_default();
    let refuse = if chat < 0 {
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
        {
            q.pop_front();
        }
        (q.len() >= limits.group_per_minute).then(|| {
            let oldest = *q.front().unwrap();
            Duration::from_secs(60).saturating_sub(now.duration_since(oldest))
        })
    } else {
        q.back()
            .filter(|t| now.duration_since(**t) < limits.private_gap)
            .map(|t| limits.private_gap - now.duration_since(*t))
    };
    match refuse.or(overall) {
        Some(wait) => {
            g.limited += 1;
            g.seen.too_many += 1;
            let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
            let body = json!({"ok": false, "error_code": 429,
                "description": format!("Too Many Requests: retry after {secs}"),
                "parameters": {"retry_after": secs}});
            Some(
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("content-type", "application/json")],
                    body.to_string(),
                )
                    .into_response(),
            )
        }
        None => {
            q.push_back(now);
            if q.len() > 100 {
                q.pop_front();
            }
            g.window.push_back(now);
            None
        }
    }
}

/// Telegram's JSON error for `code`.
fn json_error(code: u16) -> Response {
    let description = match code {
        429 => "Too Many Requests: retry after 1",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        403 => "Forbidden: bot was blocked by the user",
        _ => "Bad Request: something is wrong",
    };
    let mut body = json!({"ok": false, "error_code": code, "description": description});
    if code == 429 {
        body["parameters"] = json!({"retry_after": 1});
    }
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// A connection cut before an answer: headers may go out, the body never completes.
fn cut() -> Response {
    let stream = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("connection cut"))
    });
    (StatusCode::OK, axum::body::Body::from_stream(stream)).into_response()
}

/// The text fields of a multipart/form-data body (files are kept as their length).
fn multipart_fields(body: &[u8], boundary: &str) -> Value {
    let text = String::from_utf8_lossy(body);
    let mut out = serde_json::Map::new();
    for part in text.split(&format!("--{}", boundary.trim_matches('"'))) {
        let Some((head, value)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let Some(name) = head
            .split("name=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
        else {
            continue;
        };
        let value = value.strip_suffix("\r\n").unwrap_or(value);
        let parsed = serde_json::from_str(value).unwrap_or_else(|_| json!(value));
        out.insert(name.to_string(), parsed);
    }
    Value::Object(out)
}

/// The fields of a form-encoded body (python-telegram-bot posts these), each read as
/// JSON when it is (numbers, keyboards), else as a string.
fn form_fields(body: &[u8]) -> Value {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let mut out = serde_json::Map::new();
    for (k, v) in pairs {
        let parsed = serde_json::from_str(&v).unwrap_or(Value::String(v));
        out.insert(k, parsed);
    }
    Value::Object(out)
}

/// Posts `body` to `http://{addr}{path}` as Telegram posts to a webhook; returns the
/// HTTP status.
pub async fn post_update(addr: SocketAddr, path: &str, secret: Option<&str>, body: &Value) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = body.to_string();
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if let Some(s) = secret {
        req.push_str(&format!("X-Telegram-Bot-Api-Secret-Token: {s}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(&body);
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut resp = Vec::new();
    stream.read_to_end(&mut resp).await.unwrap();
    let head = String::from_utf8_lossy(&resp);
    head.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// A press of the button `data` under the bot's message `message_id`, as Telegram
/// would post it to a webhook.
pub fn button_update(update_id: i64, from: i64, message_id: i64, data: &str) -> Value {
    json!({"update_id": update_id, "callback_query": {
        "id": format!("cq{update_id}"), "from": user(from), "chat_instance": "ci",
        "data": data,
        "message": {"message_id": message_id, "date": now_unix(),
                    "chat": private_chat(from),
                    "from": {"id": BOT_ID, "is_bot": true, "first_name": "Sportello",
                             "username": BOT_USERNAME},
                    "text": "…"}}})
}

/// A text update as Telegram would send it (for webhooks).
pub fn text_update(update_id: i64, from: i64, text: &str) -> Value {
    json!({"update_id": update_id, "message": {
        "message_id": update_id, "date": now_unix(), "chat": private_chat(from),
        "from": user(from), "text": text}})
}

/// Long polling as Telegram does it: `offset` confirms (forgets) every earlier update;
/// with nothing pending the request waits up to `timeout` seconds.
async fn get_updates(sh: &Shared, body: &Value) -> Response {
    let offset = body.get("offset").and_then(Value::as_i64).unwrap_or(0);
    let timeout = body.get("timeout").and_then(Value::as_u64).unwrap_or(0);
    let limit = body
        .get("limit")
        .and_then(Value::as_u64)
        .unwrap_or(100)
        .clamp(1, 100) as usize;
    let end = tokio::time::Instant::now() + Duration::from_secs(timeout);
    loop {
        let notified = sh.updated.notified();
        {
            let mut g = sh.inner.lock().unwrap();
            if offset > 0 {
                while g
                    .updates
                    .front()
                    .and_then(|u| u["update_id"].as_i64())
                    .is_some_and(|id| id < offset)
                {
                    g.updates.pop_front();
                }
                if offset > g.confirmed {
                    g.confirmed = offset;
                    sh.called.notify_waiters();
                }
            }
            if !g.updates.is_empty() {
                let batch: Vec<Value> = g.updates.iter().take(limit).cloned().collect();
                return ok(Value::Array(batch));
            }
        }
        if tokio::time::timeout_at(end, notified).await.is_err() {
            if timeout > 0 {
                sh.inner.lock().unwrap().idle_polls += 1;
                sh.called.notify_waiters();
            }
            return ok(json!([]));
        }
    }
}
