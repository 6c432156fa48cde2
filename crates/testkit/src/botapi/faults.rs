//! Telegram's refusals: its JSON errors, the cut connection, the faults a test queues
//! and the send limits ([`Limits`]) the stand-in enforces when asked to.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::Shared;

/// A fault to answer a call with instead of processing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fault {
    /// The old-style faults of [`StandIn::fail_next`](super::StandIn::fail_next).
    Status(u16),
    /// Telegram's JSON error with this code.
    Json(u16),
    /// Telegram's 429 asking to retry after this many seconds.
    RetryAfter(u64),
    /// The connection is cut before anything is processed.
    Drop,
    /// The call waits for [`StandIn::release`](super::StandIn::release), then is cut without
    /// being processed.
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

pub(super) fn api_error(status: u16, description: &str) -> Response {
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

/// A refusal (502 by `fail_every`, 403 blocked, 429 over the limits) if a message to
/// `chat` now is not to be accepted; otherwise counts it.
pub(super) fn over_limit(sh: &Shared, chat: Option<i64>) -> Option<Response> {
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
            Some(too_many(wait.as_secs_f64().ceil().max(1.0) as u64))
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

/// Telegram's 429: retry after `secs` seconds.
pub(super) fn too_many(secs: u64) -> Response {
    let body = json!({"ok": false, "error_code": 429,
        "description": format!("Too Many Requests: retry after {secs}"),
        "parameters": {"retry_after": secs}});
    (
        StatusCode::TOO_MANY_REQUESTS,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Telegram's JSON error for `code`.
pub(super) fn json_error(code: u16) -> Response {
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
pub(super) fn cut() -> Response {
    let stream = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("connection cut"))
    });
    (StatusCode::OK, axum::body::Body::from_stream(stream)).into_response()
}
