//! The reminders benchmark (`bench-reminders`): many subscribers with one deadline, dispatched through
//! the teloxide outbox to the Bot API stand-in, in a child process that is killed
//! (SIGKILL) halfway and restarted. Figures go to `BENCHMARKS.md`; no test asserts them.
//!
//! The parent owns the stand-in (so its counts survive the child's death) and the
//! temporary pack and database; the child (`--worker`) runs the dispatcher until the
//! queue has nothing due.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use sportello::app::Brain;
use sportello::knowledge::{CallId, DeadlineAt};
use sportello::reminders::dispatch::{Dispatcher, ManualClock};
use sportello::reminders::schedule::Offset;
use sportello::reminders::telegram::BotOutbox;
use sportello::reminders::{ReminderSettings, Subscription};
use sportello::store::{Store, UserId};
use sportello_testkit::botapi::{Limits, Seen, StandIn};

/// The deadline every subscriber follows, and the moment the bench dispatches at (the
/// 1-day reminder; the 7-day one is superseded, the 2-hour one not yet due).
const DEADLINE: &str = "2030-06-15T12:00";
const NOW: &str = "2030-06-14T10:00:00Z";
const TOKEN: &str = "1:bench";

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] sportello::store::StoreError),
    #[error(transparent)]
    App(#[from] sportello::app::AppError),
    #[error("{0}")]
    Other(String),
}

#[derive(Debug, Clone)]
pub struct Options {
    pub subscribers: i64,
    /// The stand-in's limit, messages per second.
    pub limit: u32,
    /// The dispatcher's pace as a fraction of the limit.
    pub pace: f64,
    pub in_flight: usize,
    /// When to kill the first worker of the second run (fraction delivered).
    pub kill_at: f64,
}

fn write_pack(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join("calls"))?;
    std::fs::write(
        dir.join("calls/bench.toml"),
        format!(
            "id = \"bench\"\nkind = \"call\"\nprogramme = \"Bench\"\ntitle = \"Bando di prova\"\nshort = \"Bando di prova\"\nsummary = \"Un bando.\"\nsource = \"bench\"\n\n[deadline]\nstatus = \"known\"\nat = \"{DEADLINE}\"\nsource = \"bench\"\n"
        ),
    )
}

async fn setup(root: &Path, n: i64) -> Result<Duration, BenchError> {
    write_pack(&root.join("knowledge"))?;
    let store = Store::open(&root.join("data"), 64)?;
    let t = Instant::now();
    let deadline = DeadlineAt::parse(DEADLINE).map_err(BenchError::Other)?;
    let from: Timestamp = "2030-01-01T00:00:00Z".parse().expect("a timestamp");
    for u in 1..=n {
        store
            .subscribe(
                &Subscription {
                    user: UserId(u),
                    call: CallId("bench".into()),
                    deadline,
                    planned_from: from,
                },
                &Offset::defaults(),
            )
            .await?;
    }
    store.flush().await?;
    Ok(t.elapsed())
}

/// The child: dispatches everything due at `NOW`, prints its stats, exits.
pub async fn worker(
    root: &Path,
    api: &str,
    per_second: f64,
    in_flight: usize,
) -> Result<(), BenchError> {
    let brain = Arc::new(Brain::load(&root.join("knowledge"))?);
    let store = Store::open(&root.join("data"), 64)?;
    let url = url::Url::parse(api).map_err(|e| BenchError::Other(e.to_string()))?;
    let bot = teloxide::Bot::new(TOKEN).set_api_url(url);
    let settings = ReminderSettings {
        per_second,
        in_flight,
        ..ReminderSettings::default()
    };
    let clock = ManualClock::new(NOW.parse().expect("a timestamp"));
    let mut d = Dispatcher::new(
        store,
        move || brain.clone(),
        BotOutbox { bot },
        clock,
        settings,
    );
    d.drain(&tokio::sync::watch::channel(false).1).await?;
    println!("{:?}", d.stats());
    Ok(())
}

struct RunFigures {
    seconds: f64,
    seen: Seen,
    killed_at: Option<usize>,
}

fn spawn_worker(
    exe: &Path,
    root: &Path,
    api: &str,
    opts: &Options,
) -> std::io::Result<std::process::Child> {
    Command::new(exe)
        .arg("--worker")
        .arg("--root")
        .arg(root)
        .args(["--api", api])
        .args(["--limit", &opts.limit.to_string()])
        .args(["--pace", &opts.pace.to_string()])
        .args(["--in-flight", &opts.in_flight.to_string()])
        .stdout(Stdio::null())
        .spawn()
}

async fn one_run(
    exe: &Path,
    root: &Path,
    opts: &Options,
    kill: bool,
) -> Result<RunFigures, BenchError> {
    let standin = StandIn::start(TOKEN).await;
    standin.keep_calls(false);
    standin.limit(Limits {
        per_second: Some(opts.limit as usize),
        ..Limits::default()
    });
    let api = standin.url();
    let mut child = spawn_worker(exe, root, &api, opts)?;
    let mut killed_at = None;
    if kill {
        let target = (opts.subscribers as f64 * opts.kill_at) as usize;
        loop {
            tokio::time::sleep(Duration::from_millis(20)).await;
            if standin.chats_reached() >= target {
                child.kill()?;
                child.wait()?;
                killed_at = Some(standin.chats_reached());
                break;
            }
            if child.try_wait()?.is_some() {
                return Err(BenchError::Other("the worker ended before the kill".into()));
            }
        }
        child = spawn_worker(exe, root, &api, opts)?;
    }
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .map_err(|e| BenchError::Other(e.to_string()))??;
    if !status.success() {
        return Err(BenchError::Other(format!("worker failed: {status}")));
    }
    let seen = standin.seen();
    let seconds = match (seen.first_ok, seen.last_ok) {
        (Some(a), Some(b)) => b.duration_since(a).as_secs_f64(),
        _ => 0.0,
    };
    Ok(RunFigures {
        seconds,
        seen,
        killed_at,
    })
}

/// Runs both measurements and writes a report.
pub async fn run(exe: PathBuf, opts: Options, out: &mut impl Write) -> Result<(), BenchError> {
    writeln!(
        out,
        "{} subscribers, one deadline; stand-in limit {}/s overall and 1/s per chat; dispatcher pace {:.0}/s, {} in flight",
        opts.subscribers,
        opts.limit,
        f64::from(opts.limit) * opts.pace,
        opts.in_flight
    )?;
    for (label, kill) in [("clean run", false), ("killed and restarted", true)] {
        let root = tempfile_dir()?;
        let setup_time = setup(root.path(), opts.subscribers).await?;
        let f = one_run(&exe, root.path(), &opts, kill).await?;
        let reached = f.seen.delivered.len() as i64;
        let rate = if f.seconds > 0.0 {
            (f.seen.accepted().saturating_sub(1)) as f64 / f.seconds
        } else {
            0.0
        };
        writeln!(out, "\n## {label}")?;
        writeln!(
            out,
            "subscribe {} users: {:.1} s",
            opts.subscribers,
            setup_time.as_secs_f64()
        )?;
        if let Some(k) = f.killed_at {
            writeln!(
                out,
                "killed (SIGKILL) after {k} messages delivered, then restarted"
            )?;
        }
        writeln!(
            out,
            "delivered {} in {:.1} s: {:.0}/s = {:.3} of the allowed rate",
            f.seen.accepted(),
            f.seconds,
            rate,
            rate / f64::from(opts.limit)
        )?;
        writeln!(
            out,
            "429 answered: {}; lost: {}; doubled: {}",
            f.seen.too_many,
            opts.subscribers - reached,
            f.seen.doubled()
        )?;
    }
    Ok(())
}

/// A temporary directory removed on drop.
pub fn tempfile_dir() -> std::io::Result<TempDir> {
    let p = std::env::temp_dir().join(format!(
        "sportello-bench-{}-{}",
        std::process::id(),
        Timestamp::now().as_nanosecond()
    ));
    std::fs::create_dir_all(&p)?;
    Ok(TempDir(p))
}

pub struct TempDir(PathBuf);

impl TempDir {
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
