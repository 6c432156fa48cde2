//! Reading the bot's ops endpoints over plain HTTP/1.1, and the Prometheus text they
//! return.

use std::net::SocketAddr;
use std::time::Duration;

/// GET `path` on `addr`: the status and the body (0 and empty when nothing answers).
pub async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else {
        return (0, String::new());
    };
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(req.as_bytes()).await.is_err() {
        return (0, String::new());
    }
    let mut resp = Vec::new();
    let _ = stream.read_to_end(&mut resp).await;
    let resp = String::from_utf8_lossy(&resp).to_string();
    let status = resp
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = resp
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// Asks `path` until it answers `status`, for at most `limit` (the listener starts with
/// the bot); the last answer.
pub async fn wait_status(
    addr: SocketAddr,
    path: &str,
    status: u16,
    limit: Duration,
) -> (u16, String) {
    let end = tokio::time::Instant::now() + limit;
    loop {
        let r = get(addr, path).await;
        if r.0 == status || tokio::time::Instant::now() >= end {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `/metrics` once `series` reads `want` (or at `limit`). A reply is recorded by the
/// sender only when Telegram's answer to it comes back, which is after the stand-in saw
/// the request: a scrape right after a reply may not have it yet.
#[allow(dead_code)]
pub async fn wait_value(addr: SocketAddr, series: &str, want: f64, limit: Duration) -> String {
    let end = tokio::time::Instant::now() + limit;
    loop {
        let (_, body) = get(addr, "/metrics").await;
        if value(&body, series) == Some(want) || tokio::time::Instant::now() >= end {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The value of one series, written as in the exposition (`name` or `name{labels}`).
pub fn value(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|l| {
        let rest = l.strip_prefix(series)?;
        rest.strip_prefix(' ')?.trim().parse().ok()
    })
}

/// The sum of every series of metric `name`, whatever its labels.
pub fn sum(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|r| r.starts_with(' ') || r.starts_with('{'))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// A free port on 127.0.0.1 (bound and released: another process may take it first).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
