//! The HTTP side: the axum handler that answers every Bot API method (faults and limits
//! first, then the record of the call, then Telegram's answer) and getUpdates' long polling.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::body::{form_fields, multipart_fields};
use super::faults::{Fault, api_error, cut, json_error, over_limit, too_many};
use super::updates::{chat_json, now_unix};
use super::{BOT_ID, BOT_USERNAME, Call, Shared};

fn ok(result: Value) -> Response {
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        json!({"ok": true, "result": result}).to_string(),
    )
        .into_response()
}

pub(super) async fn serve(
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
        Some(Fault::RetryAfter(secs)) => return too_many(secs),
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
