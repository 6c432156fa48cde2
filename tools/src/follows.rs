//! The followers case of the reminders benchmark: 100,000 users follow a call whose
//! deadline is then published. One load compares every follow and stores, per follower,
//! the notice (outbox) with the new facts and the reminders at the three offsets — the
//! work a `/ricarica` starts. Measured in-process, again with nothing changed, and in a
//! child process killed (SIGKILL) halfway and restarted: every follower must hold
//! exactly one notice.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use sportello::app::Brain;
use sportello::app::follows::{FollowReport, sync};
use sportello::follow::CallFacts;
use sportello::knowledge::CallId;
use sportello::outgoing::Class;
use sportello::reminders::schedule::Offset;
use sportello::store::{Commit, Store, UserId, Watch};

use crate::reminders::BenchError;

const NOW: &str = "2030-06-01T10:00:00Z";

fn pack(dir: &Path, deadline: Option<&str>) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join("calls"))?;
    let d = match deadline {
        Some(at) => format!("status = \"known\"\nat = \"{at}\"\n"),
        None => "status = \"unknown\"\nopen_by = \"2030-01-01\"\n".to_string(),
    };
    std::fs::write(
        dir.join("calls/seguito.toml"),
        format!(
            "id = \"seguito\"\nkind = \"call\"\nprogramme = \"Bench\"\ntitle = \"Bando seguito\"\nshort = \"Bando seguito\"\nsummary = \"Un bando.\"\nsource = \"bench\"\n\n[official_page]\ntitle = \"Pagina\"\nsite = \"www.example.org\"\n\n[deadline]\n{d}source = \"Delibera di prova\"\n"
        ),
    )
}

/// `n` followers of the call while its deadline is unknown; then the deadline appears.
async fn setup(root: &Path, n: i64) -> Result<Duration, BenchError> {
    pack(&root.join("knowledge"), None)?;
    let brain = Brain::load(&root.join("knowledge"))?;
    let store = Store::open(&root.join("data"), 64)?;
    let now: Timestamp = NOW.parse().expect("a timestamp");
    let call = CallId("seguito".into());
    let facts = CallFacts::of(brain.knowledge.call("seguito"), now);
    let t = Instant::now();
    for chunk in (1..=n).collect::<Vec<_>>().chunks(1000) {
        let mut c = Commit::new();
        for &u in chunk {
            c.follow(Watch {
                user: UserId(u),
                call: call.clone(),
                seen: facts.clone(),
                since: now,
                verdict: None,
            });
        }
        store
            .commit(&c)
            .await
            .map_err(|e| BenchError::Other(e.to_string()))?;
    }
    store.flush().await?;
    let elapsed = t.elapsed();
    pack(&root.join("knowledge"), Some("2030-07-15T12:00"))?;
    Ok(elapsed)
}

/// One load: what `/ricarica` starts.
pub async fn load(root: &Path) -> Result<(FollowReport, Duration), BenchError> {
    let brain = Brain::load(&root.join("knowledge"))?;
    let store = Store::open(&root.join("data"), 64)?;
    let t = Instant::now();
    let r = sync(
        &store,
        &brain.knowledge,
        &Offset::defaults(),
        NOW.parse().expect("a timestamp"),
    )
    .await?;
    Ok((r, t.elapsed()))
}

/// Notices stored per follower: (followers with one, with more than one).
async fn census(root: &Path, n: i64) -> Result<(i64, i64, usize), BenchError> {
    let store = Store::open(&root.join("data"), 64)?;
    let mut per = std::collections::HashMap::<i64, u32>::new();
    for e in store.outbox_entries().await? {
        if e.class == Class::Background {
            *per.entry(e.chat).or_default() += 1;
        }
    }
    let once = (1..=n).filter(|u| per.get(u) == Some(&1)).count() as i64;
    let more = per.values().filter(|&&c| c > 1).count() as i64;
    Ok((once, more, store.queued_reminders().await?.len()))
}

/// The followers case, written under its own heading.
pub async fn run(
    exe: &Path,
    n: i64,
    root_for: impl Fn() -> std::io::Result<crate::reminders::TempDir>,
    out: &mut impl Write,
) -> Result<(), BenchError> {
    writeln!(
        out,
        "\n## {n} followers of a call whose deadline is published"
    )?;
    let root = root_for()?;
    let setup_time = setup(root.path(), n).await?;
    writeln!(out, "follow {n} users: {:.1} s", setup_time.as_secs_f64())?;
    let (r, t) = load(root.path()).await?;
    writeln!(
        out,
        "load with the change: {} follows, {} told, {} reminders planned in {:.1} s ({:.0} followers/s)",
        r.follows,
        r.told,
        r.planned,
        t.as_secs_f64(),
        r.follows as f64 / t.as_secs_f64()
    )?;
    let (r2, t2) = load(root.path()).await?;
    writeln!(
        out,
        "load again, nothing new: {} told in {:.1} s",
        r2.told,
        t2.as_secs_f64()
    )?;
    let (once, more, queued) = census(root.path(), n).await?;
    writeln!(
        out,
        "notices stored: {once} followers with one, {more} with more; reminders queued: {queued}"
    )?;
    drop(root);

    // Killed halfway through the load, then started again.
    let root = root_for()?;
    setup(root.path(), n).await?;
    let mut child = Command::new(exe)
        .arg("--follow-worker")
        .arg("--root")
        .arg(root.path())
        .stdout(Stdio::null())
        .spawn()?;
    tokio::time::sleep(t / 2).await;
    child.kill()?;
    child.wait()?;
    let (partial, _, _) = census(root.path(), n).await?;
    let (r3, t3) = load(root.path()).await?;
    let (once, more, queued) = census(root.path(), n).await?;
    writeln!(
        out,
        "killed (SIGKILL) after {partial} notices stored; the next start told {} more in {:.1} s",
        r3.told,
        t3.as_secs_f64()
    )?;
    writeln!(
        out,
        "after the restart: {once} followers with exactly one notice, {more} with more, {} without; reminders queued: {queued}",
        n - once - more
    )?;
    Ok(())
}
