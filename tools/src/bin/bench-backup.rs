//! What a backup of a running instance costs the updates it serves meanwhile:
//! `cargo run --release -p sportello-tools --bin bench-backup` (see
//! [`sportello_tools::backup`]).

use clap::Parser;
use sportello_tools::backup::{Load, Window, run};

#[derive(Parser)]
struct Args {
    /// Users with a session.
    #[arg(long, default_value_t = 10_000)]
    users: i64,
    /// Questions in the log, spread over `days`.
    #[arg(long, default_value_t = 100_000)]
    questions: i64,
    /// Days of the log (the retention is a year).
    #[arg(long, default_value_t = 365)]
    days: i64,
    /// Snapshots measured (each followed by a window of the same length without one).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// New users per second writing their first session during every window.
    #[arg(long, default_value_t = 0)]
    arrivals: u32,
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn line(kind: &str, i: usize, w: &Window) {
    println!(
        "{kind}\t{i}\t{:.1}\t{}\t{:.3}\t{:.3}\t{:.3}\t{:.3}",
        ms(w.snapshot),
        w.commits,
        ms(w.median_commit),
        ms(w.p99_commit),
        ms(w.longest_commit),
        ms(w.latest_tick)
    );
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    let load = Load {
        users: a.users,
        questions: a.questions,
        days: a.days,
        runs: a.runs,
        arrivals: a.arrivals,
    };
    let root = tempfile::tempdir()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let r = rt.block_on(run(root.path(), &load))?;
    println!(
        "# filled in {:.1} s; {} records in the last snapshot",
        r.fill.as_secs_f64(),
        r.records
    );
    println!(
        "# kind\trun\twindow_ms\tcommits\tcommit_p50_ms\tcommit_p99_ms\tcommit_max_ms\ttick_late_max_ms"
    );
    for (i, (w, o)) in r.with.iter().zip(&r.without).enumerate() {
        line("snapshot", i, w);
        line("none", i, o);
    }
    Ok(())
}
