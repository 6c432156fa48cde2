//! End-to-end benchmark of `sportello run` against the Bot API stand-in on 127.0.0.1.
//!
//! `cargo build --release -p sportello -p sportello-tools &&
//! ./target/release/bench-telegram` (options: `--users N`, `--rounds N`,
//! `--sessions 10000,1000000`; `$SPORTELLO_BIN` to measure another `sportello` binary). It measures:
//! - updates/s and update→reply latency with `--users` distinct users, each sending its
//!   next message as soon as its reply arrives (closed loop), send limits lifted;
//! - the latency of one user alone (no queueing);
//! - resident memory of the bot and sled's size on disk with N stored sessions, and the
//!   bytes on disk per session beyond its content.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use sportello::dialogue::{Session, State};
use sportello::knowledge::CallId;
use sportello::store::{Store, UserId};
use sportello_testkit::botapi::StandIn;
use sportello_tools::process::{knowledge_dir, rss_kib, sibling_exe};

const TOKEN: &str = "42:BENCH";
const MESSAGES: [&str; 4] = [
    "/cerca quanto vale la strategia wecare",
    "/scadenze",
    "da dove viene il nome wecare",
    "/annulla",
];

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_string())
}

fn start_bot(api: &StandIn, dir: &Path) -> Child {
    let cfg = dir.join("bench.toml");
    std::fs::write(
        &cfg,
        format!(
            "[knowledge]\ndir = \"{}\"\n[data]\ndir = \"{}\"\n\
             [telegram]\nunthrottled = true\nin_flight = 256\nflood_messages = 1000000\nflood_window_secs = 1\n",
            knowledge_dir().display(),
            dir.join("data").display()
        ),
    )
    .unwrap();
    Command::new(sibling_exe("sportello"))
        .arg("--config")
        .arg(&cfg)
        .arg("run")
        .env("TELOXIDE_TOKEN", TOKEN)
        .env("TELOXIDE_API_URL", api.url())
        .env(
            "RUST_LOG",
            std::env::var("BENCH_LOG").unwrap_or_else(|_| "error".into()),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

fn dir_bytes(p: &Path) -> u64 {
    let mut total = 0;
    for e in std::fs::read_dir(p).unwrap().flatten() {
        let m = e.metadata().unwrap();
        total += if m.is_dir() {
            dir_bytes(&e.path())
        } else {
            m.len()
        };
    }
    total
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

async fn ready(api: &StandIn) {
    api.wait_for(0, Duration::from_secs(60), |c| c.method == "setMyCommands")
        .await
        .expect("the bot did not start");
}

/// Closed loop: every user has one message in flight; returns (updates/s, latencies).
async fn closed_loop(api: &StandIn, users: i64, rounds: usize) -> (f64, Vec<Duration>) {
    let mut tap = api.tap();
    let mut left: HashMap<i64, usize> = (1..=users).map(|u| (u, rounds)).collect();
    let mut sent_at: HashMap<i64, Instant> = HashMap::new();
    let start = Instant::now();
    for u in 1..=users {
        sent_at.insert(u, Instant::now());
        api.push_text(u, MESSAGES[0]);
    }
    let mut lat = Vec::with_capacity(users as usize * rounds);
    let mut done = 0usize;
    while done < users as usize * rounds {
        let call = tokio::time::timeout(Duration::from_secs(60), tap.recv())
            .await
            .expect("replies stopped")
            .unwrap();
        if call.method != "sendMessage" {
            continue;
        }
        let u = call.chat().unwrap();
        let Some(t) = sent_at.remove(&u) else {
            continue;
        };
        lat.push(call.at - t);
        done += 1;
        let l = left.get_mut(&u).unwrap();
        *l -= 1;
        if *l > 0 {
            sent_at.insert(u, Instant::now());
            api.push_text(u, MESSAGES[(rounds - *l) % MESSAGES.len()]);
        }
    }
    let secs = start.elapsed().as_secs_f64();
    lat.sort();
    (done as f64 / secs, lat)
}

fn session(i: i64, now: Timestamp) -> Session {
    Session {
        state: if i % 10 == 0 {
            State::ConfirmErase
        } else {
            State::Idle
        },
        topic: (i % 3 == 0).then(|| CallId("wecare-welfare-aziendale".into())),
        last_seen: Some(now),
        ..Session::default()
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let users: i64 = arg("--users", "1000").parse().unwrap();
    let rounds: usize = arg("--rounds", "10").parse().unwrap();
    let counts: Vec<u64> = arg("--sessions", "10000,1000000")
        .split(',')
        .map(|s| s.parse().unwrap())
        .collect();
    println!(
        "machine: {} cores",
        std::thread::available_parallelism().unwrap()
    );

    // 1. Throughput and latency.
    {
        let api = StandIn::start(TOKEN).await;
        let dir = tempfile::tempdir().unwrap();
        let mut bot = start_bot(&api, dir.path());
        ready(&api).await;
        // Warm-up: every user gets a session.
        closed_loop(&api, users, 1).await;
        let (rate, lat) = closed_loop(&api, users, rounds).await;
        println!(
            "closed loop, {users} users x {rounds} messages: {rate:.0} updates/s, \
             latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            pct(&lat, 0.5).as_secs_f64() * 1e3,
            pct(&lat, 0.99).as_secs_f64() * 1e3,
            lat.last().unwrap().as_secs_f64() * 1e3
        );
        let (_, alone) = closed_loop(&api, 1, 500).await;
        println!(
            "one user alone, 500 messages: latency p50 {:.2} ms, p99 {:.2} ms",
            pct(&alone, 0.5).as_secs_f64() * 1e3,
            pct(&alone, 0.99).as_secs_f64() * 1e3
        );
        println!("bot RSS after the run: {} MiB", rss_kib(bot.id()) / 1024);
        bot.kill().unwrap();
        bot.wait().unwrap();
    }

    // 2. Memory and disk with many stored sessions.
    for n in counts {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let now = Timestamp::now();
        let t = Instant::now();
        let mut content = 0u64;
        {
            let store = Store::open(&data, 64).unwrap();
            for i in 0..n as i64 {
                let s = session(i, now);
                content += 8 + serde_json::to_vec(&s).unwrap().len() as u64;
                let mut c = sportello::store::Commit::new();
                c.session(
                    UserId(1_000_000 + i),
                    sportello::store::Revision(None),
                    Some(serde_json::to_vec(&s).unwrap()),
                    now,
                );
                store.commit(&c).await.unwrap();
            }
            store.flush().await.unwrap();
        }
        let fill = t.elapsed();
        let disk = dir_bytes(&data);
        let api = StandIn::start(TOKEN).await;
        let mut bot = start_bot(&api, dir.path());
        ready(&api).await;
        let idle = rss_kib(bot.id());
        // 1,000 of the stored users come back.
        let mut tap = api.tap();
        for u in 0..1000 {
            api.push_text(1_000_000 + u * (n as i64 / 1000).max(1), "/annulla");
        }
        let mut got = 0;
        while got < 1000 {
            let c = tokio::time::timeout(Duration::from_secs(60), tap.recv())
                .await
                .unwrap()
                .unwrap();
            if c.method == "sendMessage" {
                got += 1;
            }
        }
        let busy = rss_kib(bot.id());
        println!(
            "{n} sessions: filled in {:.1} s; sled on disk {:.1} MiB ({:.0} B/session, \
             content {:.0} B/session, overhead {:.0} B/session); bot RSS at start {} MiB, \
             after 1,000 returning users {} MiB",
            fill.as_secs_f64(),
            disk as f64 / 1048576.0,
            disk as f64 / n as f64,
            content as f64 / n as f64,
            (disk as f64 - content as f64) / n as f64,
            idle / 1024,
            busy / 1024
        );
        bot.kill().unwrap();
        bot.wait().unwrap();
    }
}
