//! What a backup of a running instance costs the updates it serves meanwhile
//! (`bench-backup`): an embedded store filled with a year of the question log and the
//! sessions of many users, then, while a writer writes as handlers do (a user's session
//! and a logged question committed, then flushed) and a ticker measures how late the runtime's workers run it, a
//! whole snapshot is taken as `sportello backup` takes one from the instance
//! ([`sportello::backup::snapshot`]).
//!
//! With `arrivals`, new users write their first session (and create their key) at that
//! rate during every window, as on a busy day.
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
    /// New users per second writing their first session during every window (0: none).
    pub arrivals: u32,
}

/// One snapshot's figures (or, for the comparison, the same window without one).
#[derive(Debug, Clone)]
pub struct Window {
    pub snapshot: Duration,
    pub commits: usize,
    pub longest_commit: Duration,
    pub median_commit: Duration,
    pub p99_commit: Duration,
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

/// Writes as handlers do, one update after another until `stop`: reads a user's
/// session, commits it back with a logged question, and flushes before the reply would
/// go. Each update's write (commit and flush) timed.
async fn writer(
    store: Store,
    users: i64,
    first: i64,
    now: Timestamp,
    stop: Arc<AtomicBool>,
) -> Vec<Duration> {
    let mut took = Vec::new();
    let mut n = first;
    while !stop.load(Ordering::Relaxed) {
        let u = 1 + n % users.max(1);
        let t = Instant::now();
        let Ok(Some(old)) = store.load_session(UserId(u)).await else {
            break;
        };
        let mut c = Commit::new();
        c.session(UserId(u), old.revision, Some(session(n)), now)
            .log_question(Some(UserId(u)), question(n, now));
        if store.commit(&c).await.is_err() || store.flush().await.is_err() {
            break;
        }
        took.push(t.elapsed());
        n += 1;
    }
    took
}

/// New users' first writes (each creates the user's key), `per_second` of them, until
/// `stop`; returns the next user number.
async fn arrivals(
    store: Store,
    first: i64,
    per_second: u32,
    now: Timestamp,
    stop: Arc<AtomicBool>,
) -> i64 {
    let mut u = first;
    if per_second == 0 {
        return u;
    }
    let mut every = tokio::time::interval(Duration::from_secs(1) / per_second);
    while !stop.load(Ordering::Relaxed) {
        every.tick().await;
        let mut c = Commit::new();
        c.session(UserId(u), Revision(None), Some(session(u)), now)
            .log_question(Some(UserId(u)), question(u, now));
        if store.commit(&c).await.is_err() || store.flush().await.is_err() {
            break;
        }
        u += 1;
    }
    u
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

/// Where the windows are: the store, its directory, and the users (those with a session,
/// and the next new one).
struct Bench<'a> {
    store: &'a Store,
    dir: &'a Path,
    load: &'a Load,
    next_user: i64,
    now: Timestamp,
}

async fn window(
    b: &mut Bench<'_>,
    first: i64,
    snapshot: Option<Duration>,
) -> anyhow::Result<(Window, usize)> {
    let (store, dir, now) = (b.store, b.dir, b.now);
    let stop = Arc::new(AtomicBool::new(false));
    let w = tokio::spawn(writer(
        store.clone(),
        b.load.users,
        first,
        now,
        stop.clone(),
    ));
    let new = tokio::spawn(arrivals(
        store.clone(),
        b.next_user,
        b.load.arrivals,
        now,
        stop.clone(),
    ));
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
    b.next_user = new.await?;
    let latest_tick = tick.await?;
    commits.sort();
    let n = commits.len();
    Ok((
        Window {
            snapshot: took,
            commits: n,
            longest_commit: commits.last().copied().unwrap_or_default(),
            median_commit: commits.get(n / 2).copied().unwrap_or_default(),
            p99_commit: commits.get(n * 99 / 100).copied().unwrap_or_default(),
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
    let mut b = Bench {
        store: &store,
        dir: &dir,
        load,
        next_user: load.users + 1,
        now,
    };
    let mut first = 0;
    for _ in 0..load.runs {
        let (with, records) = window(&mut b, first, None).await?;
        first += with.commits as i64 + 1;
        let (without, _) = window(&mut b, first, Some(with.snapshot)).await?;
        first += without.commits as i64 + 1;
        report.records = records;
        report.with.push(with);
        report.without.push(without);
    }
    Ok(report)
}
