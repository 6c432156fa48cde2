//! The bot under measurement as a child process: where its binary is, what it costs
//! (resident memory and CPU time read from `/proc`).

use std::path::PathBuf;
use std::time::Duration;

/// The shipped knowledge pack of this repository.
pub fn knowledge_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../knowledge"))
}

/// The repository's root (the python bot and its FAQ data are found from here).
pub fn repo_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// A binary of this workspace built with the same profile as the running tool
/// (`target/<profile>/<name>`), or the path in `$SPORTELLO_BIN` for `sportello`.
pub fn sibling_exe(name: &str) -> PathBuf {
    if name == "sportello"
        && let Some(p) = std::env::var_os("SPORTELLO_BIN")
    {
        return PathBuf::from(p);
    }
    let me = std::env::current_exe().expect("the running tool's path");
    me.with_file_name(name)
}

fn status_kib(pid: u32, field: &str) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Resident memory now, KiB.
pub fn rss_kib(pid: u32) -> u64 {
    status_kib(pid, "VmRSS:")
}

/// Highest resident memory so far, KiB.
pub fn peak_rss_kib(pid: u32) -> u64 {
    status_kib(pid, "VmHWM:")
}

/// CPU time (user + system) the process and its threads used so far.
pub fn cpu_time(pid: u32) -> Duration {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    let rest = s.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    Duration::from_secs_f64(ticks as f64 / clock_ticks() as f64)
}

fn clock_ticks() -> u64 {
    // sysconf(_SC_CLK_TCK) is 100 on every Linux this runs on.
    100
}
