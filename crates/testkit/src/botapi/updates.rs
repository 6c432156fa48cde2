//! Users, chats and updates as Telegram writes them in JSON: the pieces the stand-in's
//! queued updates are made of, and whole updates for posting to a bot's webhook.

use std::net::SocketAddr;

use serde_json::{Value, json};

use super::{BOT_ID, BOT_USERNAME};

pub(super) fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub(super) fn private_chat(user: i64) -> Value {
    json!({"id": user, "type": "private", "first_name": format!("Utente {user}")})
}

pub(super) fn group_chat(chat: i64) -> Value {
    json!({"id": chat, "type": "supergroup", "title": "Gruppo"})
}

/// A chat as Telegram describes it in a message the bot sent.
pub(super) fn chat_json(chat: i64) -> Value {
    if chat < 0 {
        group_chat(chat)
    } else {
        private_chat(chat)
    }
}

pub(super) fn user(user: i64) -> Value {
    json!({"id": user, "is_bot": false, "first_name": format!("Utente {user}")})
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
