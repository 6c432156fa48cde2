//! What a backup of a running instance costs the updates it serves meanwhile
//! (`bench-backup`): an embedded store filled with a year of the question log and the
//! sessions of many users, then, while a writer commits as handlers do (a session and a
//! logged question each) and a ticker measures how late the runtime's workers run it, a
//! whole snapshot is taken as `sportello backup` takes one from the instance
//! ([`sportello::backup::snapshot`]).
//!
//! Reported per snapshot: how long it took, the longest commit among those that
//! overlapped it, and the ticker's longest delay; and the same writer's commits and
//! ticker with no snapshot running, for comparison.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use sportello::store::questions::AskedQuestion;
use sportello::store::{Commit, Revision, Store, UserId};

/// The fill and the runs.
#[derive(Debug, Clone)]
pub struct Load {
    pub users: i64,
    pub questions: i64,
    pub days: i64,
    pub runs: usize,
}

/// One snapshot's figures (or, for the comparison, the same window without one).
#[derive(Debug, Clone)]
pub struct Window {
    pub snapshot: Duration,
    pub commits: usize,
    pub longest_commit: Duration,
    pub median_commit: Duration,
    pub latest_tick: Duration,
}

/// The fill's time and each run's windows: with a snapshot, then without.
#[derive(Debug)]
pub struct Report {
    pub fill: Duration,
    pub records: usize,
    pub with: Vec<Window>,
    pub without: Vec<Window>,
}

const NOW: &str = "2030-06-01T10:00:00Z";

fn question(n: i64, at: Timestamp) -> AskedQuestion {
    AskedQuestion {
        at,
        question: format!(
            "Buongiorno, siamo una piccola impresa di {n} dipendenti in provincia di Torino: \
             possiamo partecipare al bando per il welfare aziendale e entro quando?"
        ),
        best: Some(format!("faq-{}", n % 300)),
        confident: n % 3 != 0,
    }
}

fn session(n: i64) -> Vec<u8> {
    format!(
        "{{\"call\":\"wecare-welfare\",\"profile\":{{\"kind\":\"pmi\",\"employees\":{}}},\
         \"history\":[\"{}\"]}}",
        n % 250,
        "x".repeat(600)
    )
    .into_bytes()
}

async fn fill(store: &Store, load: &Load, now: Timestamp) -> anyhow::Result<()> {
    for u in 1..=load.users {
        let mut c = Commit::new();
        c.session(UserId(u), Revision(None), Some(session(u)), now);
        store.commit(&c).await?;
    }
    let span = SignedDuration::from_hours(24 * load.days);
    let per_commit = 1000;
    let mut n = 0;
    while n < load.questions {
        let mut c = Commit::new();
        for _ in 0..per_commit.min(load.questions - n) {
            // Spread evenly over the days, oldest first.
            let back = span.as_secs() - span.as_secs() * n / load.questions.max(1);
            let at = now - SignedDuration::from_secs(back);
            c.log_question(Some(UserId(1 + n % load.users.max(1))), question(n, at));
            n += 1;
        }
        store.commit(&c).await?;
    }
    store.flush().await?;
    Ok(())
}

/// Commits as handlers do, one after another, until `stop`; each commit's time.
async fn writer(store: Store, first: i64, now: Timestamp, stop: Arc<AtomicBool>) -> Vec<Duration> {
    let mut took = Vec::new();
    let mut u = first;
    while !stop.load(Ordering::Relaxed) {
        let mut c = Commit::new();
        c.session(UserId(u), Revision(None), Some(session(u)), now)
            .log_question(Some(UserId(u)), question(u, now));
        let t = Instant::now();
        if store.commit(&c).await.is_err() {
            break;
        }
        took.push(t.elapsed());
        u += 1;
        tokio::task::yield_now().await;
    }
    took
}

/// How late a 1 ms timer fires, at most, until `stop`.
async fn ticker(stop: Arc<AtomicBool>) -> Duration {
    let mut worst = Duration::ZERO;
    while !stop.load(Ordering::Relaxed) {
        let t = Instant::now();
        tokio::time::sleep(Duration::from_millis(1)).await;
        worst = worst.max(t.elapsed().saturating_sub(Duration::from_millis(1)));
    }
    worst
}

async fn window(
    store: &Store,
    dir: &Path,
    first: i64,
    now: Timestamp,
    snapshot: Option<Duration>,
) -> anyhow::Result<(Window, usize)> {
    let stop = Arc::new(AtomicBool::new(false));
    let w = tokio::spawn(writer(store.clone(), first, now, stop.clone()));
    let tick = tokio::spawn(ticker(stop.clone()));
    // Both running before the window opens.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let t = Instant::now();
    let records = match snapshot {
        None => sportello::backup::snapshot(store, dir, now)
            .await?
            .records
            .len(),
        Some(d) => {
            tokio::time::sleep(d).await;
            0
        }
    };
    let took = t.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut commits = w.await?;
    let latest_tick = tick.await?;
    commits.sort();
    let n = commits.len();
    Ok((
        Window {
            snapshot: took,
            commits: n,
            longest_commit: commits.last().copied().unwrap_or_default(),
            median_commit: commits.get(n / 2).copied().unwrap_or_default(),
            latest_tick,
        },
        records,
    ))
}

/// Fills a store in `root` and measures `load.runs` snapshots.
pub async fn run(root: &Path, load: &Load) -> anyhow::Result<Report> {
    let dir = root.join("data");
    let store = Store::open(&dir, 64)?;
    let now: Timestamp = NOW.parse()?;
    let t = Instant::now();
    fill(&store, load, now).await?;
    let fill_took = t.elapsed();
    let mut report = Report {
        fill: fill_took,
        records: 0,
        with: Vec::new(),
        without: Vec::new(),
    };
    let mut first = load.users + 1;
    for _ in 0..load.runs {
        let (with, records) = window(&store, &dir, first, now, None).await?;
        first += with.commits as i64 + 1;
        let (without, _) = window(&store, &dir, first, now, Some(with.snapshot)).await?;
        first += without.commits as i64 + 1;
        report.records = records;
        report.with.push(with);
        report.without.push(without);
    }
    Ok(report)
}
