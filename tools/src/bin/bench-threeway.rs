//! Three bots side by side on one loopback Bot API stand-in, in one run: Sportello
//! (`sportello run`, send limits lifted), a bare teloxide echo bot (`echo-bot`) and
//! python-telegram-bot answering the same FAQ entries with rank-bm25 (`tools/faq_bot.py`).
//!
//! For each bot, on a fresh stand-in:
//! 1. start it and wait for the answer to one message; resident memory 2 s later is the
//!    *idle RSS*;
//! 2. closed loop: `--users` users send `--questions` applicants' questions in all, each
//!    user its next one as soon as its reply arrives: *updates/s*, *bot CPU per update*
//!    (user + system time of the bot process from `/proc`, over the burst), *peak RSS*
//!    (`VmHWM`);
//! 3. open loop: `--open` questions at `--rate` updates/s from the same users: the
//!    update-to-reply latency (queued on the stand-in → the reply's `sendMessage`
//!    reaching it), p50 and p99.
//!
//! Every run prints one `RESULT` line per bot; `--summarize FILE` prints the medians of
//! the `RESULT` lines of a file (repeated runs: `farm-bench -n 3 -- sh -c 'exec
//! ./target/release/bench-threeway >>FILE 2>&1'`). Build first with
//! `cargo build --release --workspace`; the python bot needs
//! `pip install python-telegram-bot rank-bm25` (by hand; no test runs it).
//! `--latencies FILE` also appends every open-loop update (when it was queued, its
//! latency, its user) to FILE, to see where in time the slowest ones sit.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;
use sportello_testkit::botapi::{Call, StandIn};
use sportello_tools::process::{
    cpu_time, knowledge_dir, peak_rss_kib, repo_dir, rss_kib, sibling_exe,
};
use sportello_tools::questions;

const TOKEN: &str = "4242:THREEWAY";

#[derive(Parser)]
struct Args {
    /// Distinct users.
    #[arg(long, default_value_t = 1000)]
    users: usize,
    /// Questions in the closed-loop burst (the same number from every user).
    #[arg(long, default_value_t = 10_000)]
    questions: usize,
    /// Open-loop rate, updates per second.
    #[arg(long, default_value_t = 300)]
    rate: u32,
    /// Questions in the open-loop run.
    #[arg(long, default_value_t = 3000)]
    open: usize,
    /// Bots to measure, in this order; `sportello=PATH` measures another build of the
    /// bot (a baseline) under the name `sportello=PATH`.
    #[arg(long, value_delimiter = ',', default_value = "sportello,echo,python")]
    bots: Vec<String>,
    /// Print the medians of the RESULT lines of this file, then exit.
    #[arg(long)]
    summarize: Option<PathBuf>,
    /// Append each open-loop update's time (ms since the open loop began), latency (ms)
    /// and user to this file, one tab-separated line each after a `# BOT` line: where
    /// the tail sits in time.
    #[arg(long)]
    latencies: Option<PathBuf>,
}

struct Figures {
    updates_per_s: f64,
    cpu_us: f64,
    peak_mib: f64,
    idle_mib: f64,
    p50_ms: f64,
    p99_ms: f64,
    messages_per_update: f64,
}

fn start(bot: &str, api: &StandIn, dir: &Path) -> anyhow::Result<Child> {
    let (kind, exe) = match bot.split_once('=') {
        Some((k, path)) => (k, PathBuf::from(path)),
        None => (
            bot,
            sibling_exe(if bot == "echo" { "echo-bot" } else { bot }),
        ),
    };
    let mut cmd = match kind {
        "sportello" => {
            let cfg = dir.join("bench.toml");
            std::fs::write(
                &cfg,
                format!(
                    "[knowledge]\ndir = \"{}\"\ndocuments_cache = \"\"\n[data]\ndir = \"{}\"\n\
                     [telegram]\nunthrottled = true\nin_flight = 256\n\
                     flood_messages = 1000000\nflood_window_secs = 1\n",
                    knowledge_dir().display(),
                    dir.join("data").display()
                ),
            )?;
            let mut c = Command::new(&exe);
            c.arg("--config").arg(&cfg).arg("run");
            c
        }
        "echo" => Command::new(&exe),
        "python" => {
            let mut c = Command::new("python3");
            c.arg(repo_dir().join("tools/faq_bot.py"))
                .arg(knowledge_dir());
            c
        }
        other => anyhow::bail!("unknown bot {other} (sportello, echo, python)"),
    };
    Ok(cmd
        .env("TELOXIDE_TOKEN", TOKEN)
        .env("TELOXIDE_API_URL", api.url())
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?)
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

async fn next_reply(
    tap: &mut tokio::sync::mpsc::UnboundedReceiver<Call>,
    limit: Duration,
) -> anyhow::Result<Call> {
    loop {
        let call = tokio::time::timeout(limit, tap.recv())
            .await
            .map_err(|_| anyhow::anyhow!("no reply within {limit:?}"))?
            .ok_or_else(|| anyhow::anyhow!("the stand-in stopped"))?;
        if call.method == "sendMessage" {
            return Ok(call);
        }
    }
}

/// Each user sends its next question as soon as its reply arrives.
async fn closed_loop(
    api: &StandIn,
    qs: &[String],
    users: usize,
    total: usize,
    pid: u32,
) -> anyhow::Result<(f64, f64, u64)> {
    let per_user = (total / users).max(1);
    let mut tap = api.tap();
    let mut left: HashMap<i64, usize> = HashMap::new();
    let mut waiting: HashMap<i64, usize> = HashMap::new();
    let cpu0 = cpu_time(pid);
    let t0 = Instant::now();
    for u in 0..users {
        let uid = 1 + u as i64;
        left.insert(uid, per_user - 1);
        waiting.insert(uid, 0);
        api.push_text(uid, questions::of_user(qs, u, 0, per_user));
    }
    let mut done = 0usize;
    let mut messages = 0u64;
    while done < users * per_user {
        let call = next_reply(&mut tap, Duration::from_secs(120)).await?;
        messages += 1;
        let uid = call.chat().unwrap_or(0);
        let Some(k) = waiting.remove(&uid) else {
            continue;
        };
        done += 1;
        let l = left.get_mut(&uid).expect("a user of the run");
        if *l > 0 {
            *l -= 1;
            waiting.insert(uid, k + 1);
            api.push_text(
                uid,
                questions::of_user(qs, uid as usize - 1, k + 1, per_user),
            );
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    let cpu = (cpu_time(pid) - cpu0).as_secs_f64();
    Ok((done as f64 / secs, cpu / done as f64 * 1e6, messages))
}

/// One open-loop update: when it was queued (since the loop began), its latency, its user.
struct Timed {
    since: Duration,
    latency: Duration,
    user: i64,
}

/// Questions at a fixed rate; latency from queueing to the first reply in that chat.
async fn open_loop(
    api: &StandIn,
    qs: &[String],
    users: usize,
    total: usize,
    rate: u32,
) -> anyhow::Result<Vec<Timed>> {
    let mut tap = api.tap();
    let mut pending: HashMap<i64, VecDeque<Instant>> = HashMap::new();
    let mut lat = Vec::with_capacity(total);
    let began = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut pushed = 0usize;
    while lat.len() < total {
        tokio::select! {
            _ = tick.tick(), if pushed < total => {
                let u = pushed % users;
                let uid = 1 + u as i64;
                let id = api.push_text(uid, questions::of_user(qs, u, 100 + pushed / users, 1000));
                let at = api.pushed_at(id).unwrap_or_else(Instant::now);
                pending.entry(uid).or_default().push_back(at);
                pushed += 1;
            }
            call = next_reply(&mut tap, Duration::from_secs(120)) => {
                let call = call?;
                let uid = call.chat().unwrap_or(0);
                if let Some(at) = pending.get_mut(&uid).and_then(VecDeque::pop_front) {
                    lat.push(Timed {
                        since: at.saturating_duration_since(began),
                        latency: call.at.saturating_duration_since(at),
                        user: uid,
                    });
                }
            }
        }
    }
    Ok(lat)
}

/// Appends the open loop's updates to `file` under a `# BOT` line.
fn write_latencies(file: &Path, bot: &str, timed: &[Timed]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(file)?,
    );
    writeln!(out, "# {bot}")?;
    for t in timed {
        writeln!(
            out,
            "{:.3}\t{:.3}\t{}",
            t.since.as_secs_f64() * 1e3,
            t.latency.as_secs_f64() * 1e3,
            t.user
        )?;
    }
    Ok(out.flush()?)
}

async fn measure(bot: &str, args: &Args, qs: &[String]) -> anyhow::Result<Figures> {
    let api = StandIn::start(TOKEN).await;
    api.keep_calls(false);
    let dir = tempfile::tempdir()?;
    let mut child = start(bot, &api, dir.path())?;
    let pid = child.id();
    let result = async {
        // Ready: one message answered (start-up, knowledge loaded, first poll).
        let mut tap = api.tap();
        api.push_text(999_999, "ciao");
        next_reply(&mut tap, Duration::from_secs(180)).await?;
        drop(tap);
        tokio::time::sleep(Duration::from_secs(2)).await;
        let idle = rss_kib(pid);
        let (rate, cpu_us, messages) =
            closed_loop(&api, qs, args.users, args.questions, pid).await?;
        let peak = peak_rss_kib(pid);
        let timed = open_loop(&api, qs, args.users, args.open, args.rate).await?;
        if let Some(file) = &args.latencies {
            write_latencies(file, bot, &timed)?;
        }
        let mut lat: Vec<Duration> = timed.iter().map(|t| t.latency).collect();
        lat.sort();
        Ok::<_, anyhow::Error>(Figures {
            updates_per_s: rate,
            cpu_us,
            peak_mib: peak as f64 / 1024.0,
            idle_mib: idle as f64 / 1024.0,
            p50_ms: pct(&lat, 0.5),
            p99_ms: pct(&lat, 0.99),
            messages_per_update: messages as f64
                / (args.questions / args.users * args.users) as f64,
        })
    }
    .await;
    let _ = child.kill();
    let _ = child.wait();
    result
}

const COLUMNS: [&str; 6] = [
    "updates/s",
    "bot CPU per update (µs)",
    "peak RSS (MiB)",
    "idle RSS (MiB)",
    "p50 at rate (ms)",
    "p99 at rate (ms)",
];

fn summarize(file: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file)?;
    let mut by_bot: Vec<(String, Vec<Vec<f64>>)> = Vec::new();
    for line in text.lines().filter(|l| l.starts_with("RESULT\t")) {
        let f: Vec<&str> = line.split('\t').collect();
        let values: Vec<f64> = f[2..].iter().filter_map(|v| v.parse().ok()).collect();
        match by_bot.iter_mut().find(|(b, _)| b == f[1]) {
            Some((_, runs)) => runs.push(values),
            None => by_bot.push((f[1].to_string(), vec![values])),
        }
    }
    println!("| bot | runs | {} |", COLUMNS.join(" | "));
    println!("|---|---:|{}", "---:|".repeat(COLUMNS.len()));
    for (bot, runs) in by_bot {
        let medians: Vec<String> = (0..COLUMNS.len())
            .map(|c| {
                let mut v: Vec<f64> = runs.iter().filter_map(|r| r.get(c).copied()).collect();
                v.sort_by(f64::total_cmp);
                let m = v.get(v.len() / 2).copied().unwrap_or(f64::NAN);
                if c == 0 || c == 1 {
                    format!("{m:.0}")
                } else {
                    format!("{m:.2}")
                }
            })
            .collect();
        println!("| {bot} | {} | {} |", runs.len(), medians.join(" | "));
    }
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(f) = &args.summarize {
        return summarize(f);
    }
    let qs = questions::load(&repo_dir())?;
    println!(
        "{} distinct questions; {} users; closed loop {} questions; open loop {} at {}/s",
        qs.len(),
        args.users,
        args.questions,
        args.open,
        args.rate
    );
    for bot in &args.bots {
        let f = measure(bot, &args, &qs).await?;
        println!(
            "{bot}: {:.0} updates/s, CPU {:.0} µs/update, peak RSS {:.1} MiB, idle RSS {:.1} MiB, \
             at {}/s p50 {:.2} ms p99 {:.2} ms ({:.2} messages per update)",
            f.updates_per_s,
            f.cpu_us,
            f.peak_mib,
            f.idle_mib,
            args.rate,
            f.p50_ms,
            f.p99_ms,
            f.messages_per_update
        );
        println!(
            "RESULT\t{bot}\t{:.1}\t{:.1}\t{:.2}\t{:.2}\t{:.3}\t{:.3}",
            f.updates_per_s, f.cpu_us, f.peak_mib, f.idle_mib, f.p50_ms, f.p99_ms
        );
    }
    Ok(())
}
