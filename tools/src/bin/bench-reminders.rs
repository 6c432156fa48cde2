//! Reminder dispatch against the Bot API stand-in, killed and restarted:
//! `cargo run --release -p sportello-tools --bin bench-reminders`.

use std::path::PathBuf;

use clap::Parser;
use sportello_tools::reminders;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 100_000)]
    subscribers: i64,
    /// The stand-in's limit, messages per second (scaled up from Telegram's 30).
    #[arg(long, default_value_t = 1000)]
    limit: u32,
    /// Dispatcher pace as a fraction of the limit.
    #[arg(long, default_value_t = 0.98)]
    pace: f64,
    #[arg(long, default_value_t = 64)]
    in_flight: usize,
    /// Followers of a call whose deadline is published (0: skip that case).
    #[arg(long, default_value_t = 100_000)]
    followers: i64,
    /// Internal: run as the dispatching child process.
    #[arg(long, hide = true)]
    worker: bool,
    /// Internal: run one load of the followers case as a child process.
    #[arg(long, hide = true)]
    follow_worker: bool,
    #[arg(long, hide = true)]
    root: Option<PathBuf>,
    #[arg(long, hide = true)]
    api: Option<String>,
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    let rt = tokio::runtime::Runtime::new()?;
    if a.follow_worker {
        let Some(root) = &a.root else {
            anyhow::bail!("--follow-worker needs --root");
        };
        rt.block_on(sportello_tools::follows::load(root))?;
    } else if a.worker {
        let (Some(root), Some(api)) = (&a.root, &a.api) else {
            anyhow::bail!("--worker needs --root and --api");
        };
        rt.block_on(reminders::worker(
            root,
            api,
            f64::from(a.limit) * a.pace,
            a.in_flight,
        ))?;
    } else {
        let opts = reminders::Options {
            subscribers: a.subscribers,
            limit: a.limit,
            pace: a.pace,
            in_flight: a.in_flight,
            kill_at: 0.5,
        };
        let exe = std::env::current_exe()?;
        if a.subscribers > 0 {
            rt.block_on(reminders::run(exe.clone(), opts, &mut std::io::stdout()))?;
        }
        if a.followers > 0 {
            rt.block_on(sportello_tools::follows::run(
                &exe,
                a.followers,
                reminders::tempfile_dir,
                &mut std::io::stdout(),
            ))?;
        }
    }
    Ok(())
}
