//! A Bot API stand-in on 127.0.0.1 for the benchmark and the tests.
//!
//! It answers `sendMessage` like the Bot API and enforces configurable limits: at most
//! `per_second` messages in any sliding second and one message per chat per
//! `per_chat_interval`, answering 429 with `retry_after` otherwise; chats in `blocked`
//! get 403 "bot was blocked by the user"; every `fail_every`-th request gets a 502.
//! It counts what it accepted per chat, so lost and doubled messages can be measured.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The limits the stand-in enforces.
#[derive(Debug, Clone)]
pub struct Limits {
    pub per_second: u32,
    pub per_chat_interval: Duration,
    pub retry_after: u32,
    pub blocked: HashSet<i64>,
    /// Answer 502 to every n-th request (0: never).
    pub fail_every: u64,
    /// Keep the text of every accepted message (tests; costs memory).
    pub record_texts: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_second: 30,
            per_chat_interval: Duration::from_secs(1),
            retry_after: 1,
            blocked: HashSet::new(),
            fail_every: 0,
            record_texts: false,
        }
    }
}

/// What the stand-in saw.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    pub requests: u64,
    pub too_many: u64,
    pub forbidden: u64,
    pub failed: u64,
    /// Accepted messages per chat.
    pub delivered: HashMap<i64, u32>,
    pub texts: Vec<(i64, String)>,
    pub first_ok: Option<Instant>,
    pub last_ok: Option<Instant>,
}

impl Seen {
    pub fn accepted(&self) -> u64 {
        self.delivered.values().map(|&n| u64::from(n)).sum()
    }

    /// Messages accepted more than once for the same chat.
    pub fn doubled(&self) -> u64 {
        self.delivered
            .values()
            .map(|&n| u64::from(n.saturating_sub(1)))
            .sum()
    }
}

struct State {
    limits: Limits,
    seen: Seen,
    window: VecDeque<Instant>,
    last_per_chat: HashMap<i64, Instant>,
}

/// A running stand-in; stops when dropped.
pub struct Standin {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl Drop for Standin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Standin {
    pub async fn start(limits: Limits) -> std::io::Result<Standin> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            limits,
            seen: Seen::default(),
            window: VecDeque::new(),
            last_per_chat: HashMap::new(),
        }));
        let st = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let st = st.clone();
                tokio::spawn(async move {
                    let _ = serve(sock, st).await;
                });
            }
        });
        Ok(Standin { addr, state, task })
    }

    /// The base URL to give the bot.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn seen(&self) -> Seen {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .seen
            .clone()
    }

    /// Distinct chats that received at least one message.
    pub fn chats_reached(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .seen
            .delivered
            .len()
    }
}

async fn serve(sock: TcpStream, st: Arc<Mutex<State>>) -> std::io::Result<()> {
    let mut rd = BufReader::new(sock);
    loop {
        let mut request_line = String::new();
        if rd.read_line(&mut request_line).await? == 0 {
            return Ok(());
        }
        let path = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_string();
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            if rd.read_line(&mut h).await? == 0 {
                return Ok(());
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; len];
        rd.read_exact(&mut body).await?;
        let (status, answer) = answer(&path, &body, &st);
        let resp = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{answer}",
            answer.len()
        );
        rd.get_mut().write_all(resp.as_bytes()).await?;
    }
}

fn answer(path: &str, body: &[u8], st: &Mutex<State>) -> (&'static str, String) {
    let err = |code: u32, desc: &str, extra: &str| {
        format!("{{\"ok\":false,\"error_code\":{code},\"description\":\"{desc}\"{extra}}}")
    };
    // Method names are case-insensitive in the Bot API (teloxide writes `SendMessage`).
    if !path.to_ascii_lowercase().ends_with("/sendmessage") {
        return ("404 Not Found", err(404, "Not Found: method not found", ""));
    }
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let chat = match &v["chat_id"] {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    };
    let Some(chat) = chat else {
        return (
            "400 Bad Request",
            err(400, "Bad Request: chat not found", ""),
        );
    };
    let text = v["text"].as_str().unwrap_or_default().to_string();
    let mut s = st.lock().unwrap_or_else(|e| e.into_inner());
    s.seen.requests += 1;
    let now = Instant::now();
    if s.limits.fail_every > 0 && s.seen.requests.is_multiple_of(s.limits.fail_every) {
        s.seen.failed += 1;
        return ("502 Bad Gateway", err(502, "Bad Gateway", ""));
    }
    if s.limits.blocked.contains(&chat) {
        s.seen.forbidden += 1;
        return (
            "403 Forbidden",
            err(403, "Forbidden: bot was blocked by the user", ""),
        );
    }
    while s
        .window
        .front()
        .is_some_and(|&t| now.duration_since(t) >= Duration::from_secs(1))
    {
        s.window.pop_front();
    }
    let chat_busy = s
        .last_per_chat
        .get(&chat)
        .is_some_and(|&t| now.duration_since(t) < s.limits.per_chat_interval);
    if s.window.len() >= s.limits.per_second as usize || chat_busy {
        s.seen.too_many += 1;
        let ra = s.limits.retry_after;
        return (
            "429 Too Many Requests",
            err(
                429,
                &format!("Too Many Requests: retry after {ra}"),
                &format!(",\"parameters\":{{\"retry_after\":{ra}}}"),
            ),
        );
    }
    s.window.push_back(now);
    s.last_per_chat.insert(chat, now);
    *s.seen.delivered.entry(chat).or_default() += 1;
    s.seen.first_ok.get_or_insert(now);
    s.seen.last_ok = Some(now);
    let id = s.seen.requests;
    if s.limits.record_texts {
        s.seen.texts.push((chat, text.clone()));
    }
    let result = serde_json::json!({
        "ok": true,
        "result": {
            "message_id": id,
            "date": 1_700_000_000,
            "chat": {"id": chat, "type": "private", "first_name": "Utente"},
            "text": text,
        }
    });
    ("200 OK", result.to_string())
}
