//! A commit of the embedded store is whole or absent after the process dies at any
//! moment (issue 11: the commit is one record of the store's log; `crates/kv`,
//! `src/store/embedded/journal.rs`).
//!
//! The test binary runs itself as a child that commits without pause and never flushes
//! (each commit: an update id, a new session and [`WIDE`] messages of 1.5 KB, so that
//! its writes take a while), so that the store writes its log buffer on its own, each
//! time it passes 256 KiB, at any point of a commit (not only between commits, where a
//! flush after each commit would), and kills it with SIGKILL after a while: what reached
//! the file is what the store's last buffer writes put there. The parent
//! opens it as the bot would and checks that every commit is either wholly there or
//! wholly absent, and that those there are a prefix of those made (one task made them in
//! order). (The store's own tests cut its log at every byte: `crates/kv/tests/store.rs`.)
//!
//! A second child flushes after each commit (each also logging a question) and says so;
//! killed right after one of those lines, every commit it reported flushed is there, and
//! its question is in the question log's files (the flush returns only once the
//! log is written and synced, in the calling thread: `crates/kv`).
//!
//! A third child erases a user and is killed before any flush: the user is then either
//! erased (the commit reached the disk) or still there, readable; never there with their
//! key destroyed (`src/store/sled/erasing.rs`).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use sportello::outgoing::{Class, Entry, What};
use sportello::reply::Rich;
use sportello::store::{AskedQuestion, Commit, Revision, Store, UserId};

const CHILD: &str = "SPORTELLO_STORE_CRASH_CHILD";
const PER_ROUND: u32 = 100_000;
/// Messages per commit.
const WIDE: u32 = 32;

/// Whether this process is one of the children (which run only their own test).
fn is_child() -> bool {
    [CHILD, FLUSHING_CHILD, ERASING_CHILD]
        .iter()
        .any(|v| std::env::var(v).is_ok())
}

fn user(round: u32, n: u32) -> UserId {
    UserId(i64::from(round * PER_ROUND + n) + 1)
}

/// In a child started by [`start_child`] with `var` set: opens the database its spec
/// names, says "ready", and returns it with the round. `None`: not that child.
fn child_store(var: &str) -> Option<(Store, u32)> {
    let spec = std::env::var(var).ok()?;
    let (dir, round) = spec.rsplit_once(':').unwrap();
    let st = Store::open(Path::new(dir), 8).unwrap();
    println!("ready");
    Some((st, round.parse().unwrap()))
}

/// Runs the test `name` of this binary as a child with `var` = "`dir`:`round`", once it
/// has opened the database (and so replayed what the last round left): the child and
/// the lines it prints after "ready".
fn start_child(
    name: &str,
    var: &str,
    dir: &Path,
    round: u32,
) -> (Child, std::io::Lines<BufReader<ChildStdout>>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture"])
        .env(var, format!("{}:{round}", dir.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert!(
        lines.any(|l| l.unwrap() == "ready"),
        "round {round}: the child did not start"
    );
    (child, lines)
}

/// How much of each commit of `round` is in `st`: by commit, its update id, its session
/// and how many of its messages.
async fn found(st: &Store, round: u32) -> Vec<(bool, bool, u32)> {
    let mut messages: HashMap<u32, u32> = HashMap::new();
    for e in st.outbox_entries().await.unwrap() {
        let What::Message { text, .. } = &e.what else {
            panic!("not a message")
        };
        let text = text.to_plain();
        let mut parts = text.split(':');
        if parts.next().unwrap().parse::<u32>().unwrap() == round {
            let n = parts.next().unwrap().parse().unwrap();
            *messages.entry(n).or_default() += 1;
        }
    }
    let mut out = Vec::new();
    let mut absent = 0;
    for n in 0..PER_ROUND {
        let applied = st.is_applied(round * PER_ROUND + n).await.unwrap();
        let session = st.load_session(user(round, n)).await.unwrap();
        if let Some(s) = &session {
            assert_eq!(s.bytes, n.to_be_bytes(), "round {round}, commit {n}");
        }
        let m = messages.get(&n).copied().unwrap_or(0);
        out.push((applied, session.is_some(), m));
        // Fifty commits in a row wholly absent: the end of what the child made.
        absent = if out.last() == Some(&(false, false, 0)) {
            absent + 1
        } else {
            0
        };
        if absent == 50 {
            break;
        }
    }
    out
}

/// The child: commits round `round`'s changes until it is killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_commits_until_killed() {
    let Some((st, round)) = child_store(CHILD) else {
        return; // Not a child: nothing to do.
    };
    for n in 0..PER_ROUND {
        let mut c = Commit::new();
        c.applied(round * PER_ROUND + n).session(
            user(round, n),
            Revision(None),
            Some(n.to_be_bytes().to_vec()),
            jiff::Timestamp::UNIX_EPOCH,
        );
        for j in 0..WIDE {
            c.send(Entry::message(
                7,
                Class::Background,
                Rich::plain(format!("{round}:{n}:{j}:{}", "x".repeat(1500))),
            ));
        }
        st.commit(&c).await.unwrap();
    }
    panic!("not killed in time");
}

/// Environment variable of the second child: the database's folder and the round.
const FLUSHING_CHILD: &str = "SPORTELLO_STORE_FLUSHING_CHILD";
/// The update ids of the flushing child start here (none of [`child_commits_until_killed`]'s).
const FLUSHED_BASE: u32 = 900_000_000;

/// The second child: small commits, each flushed, and a line `flushed N` printed once
/// the flush of commit N has returned, until it is killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_flushes_until_killed() {
    let Some((st, round)) = child_store(FLUSHING_CHILD) else {
        return; // Not a child: nothing to do.
    };
    let base = FLUSHED_BASE + round * PER_ROUND;
    for n in 0..PER_ROUND {
        let mut c = Commit::new();
        c.applied(base + n);
        c.send(Entry::message(
            7,
            Class::Reply,
            Rich::plain(format!("reply {round}:{n}")),
        ));
        // The question log is appended beside the commit, in a file of its own.
        c.log_question(
            Some(UserId(i64::from(n) + 1)),
            AskedQuestion {
                at: jiff::Timestamp::now(),
                question: format!("domanda {round}:{n}"),
                best: None,
                confident: false,
            },
        );
        st.commit(&c).await.unwrap();
        st.flush().await.unwrap();
        println!("flushed {n}");
    }
    panic!("not killed in time");
}

/// What the bot relies on before it sends: a commit whose flush has returned is in the
/// database after the process dies right then (the flush writes the store's log buffer
/// in the calling thread, `crates/kv`: had it returned with the write still queued for
/// another thread, the kill would lose it).
#[tokio::test]
async fn a_commit_whose_flush_returned_survives_a_kill_right_after() {
    if is_child() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (round, kill_after) in (0u32..).zip([50u32, 400, 1500]) {
        let (mut child, mut lines) = start_child(
            "child_flushes_until_killed",
            FLUSHING_CHILD,
            dir.path(),
            round,
        );
        // The last commit reported flushed, read as the lines come; the kill lands at
        // once after the `kill_after`th line, while the child makes the next commit.
        let mut last = None;
        for line in lines.by_ref().take(kill_after as usize) {
            let line = line.unwrap();
            last = Some(
                line.strip_prefix("flushed ")
                    .unwrap()
                    .parse::<u32>()
                    .unwrap(),
            );
        }
        child.kill().unwrap(); // SIGKILL: no flush, no destructor.
        child.wait().unwrap();
        let last = last.expect("the child flushed nothing");
        assert_eq!(last, kill_after - 1, "round {round}: lines out of order");

        let base = FLUSHED_BASE + round * PER_ROUND;
        let st = Store::open(dir.path(), 8).unwrap();
        for n in 0..=last {
            assert!(
                st.is_applied(base + n).await.unwrap(),
                "round {round}: commit {n} was reported flushed and is gone"
            );
        }
        let replies = st
            .outbox_entries()
            .await
            .unwrap()
            .into_iter()
            .filter(|e| matches!(&e.what, What::Message { text, .. } if text.to_plain() == format!("reply {round}:{last}")))
            .count();
        assert_eq!(replies, 1, "round {round}: the reply to {last} is gone");
        let asked: std::collections::HashSet<String> = st
            .questions_since(jiff::Timestamp::UNIX_EPOCH)
            .await
            .unwrap()
            .into_iter()
            .map(|q| q.question)
            .collect();
        for n in 0..=last {
            assert!(
                asked.contains(&format!("domanda {round}:{n}")),
                "round {round}: the question of commit {n} is gone from the log"
            );
        }
    }
}

#[tokio::test]
async fn every_commit_is_whole_or_absent_after_a_kill_at_any_moment() {
    if is_child() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut survived = Vec::new();
    // Four rounds, each killed at another moment of its commits.
    let waits = [600u64, 1000, 800, 1200];
    for round in 0..4u32 {
        let wait_ms = waits[round as usize];
        let (mut child, _lines) =
            start_child("child_commits_until_killed", CHILD, dir.path(), round);
        std::thread::sleep(Duration::from_millis(wait_ms));
        child.kill().unwrap(); // SIGKILL: no flush, no destructor.
        child.wait().unwrap();

        let st = Store::open(dir.path(), 8).unwrap();
        let seen = found(&st, round).await;
        let n = seen
            .iter()
            .take_while(|f| **f == (true, true, WIDE))
            .count();
        // Nothing of the first commit missing or incomplete, nor of any later one.
        for (m, f) in seen.iter().enumerate().skip(n) {
            assert_eq!(
                *f,
                (false, false, 0),
                "round {round}: commit {m} is partly there, or there while {n} is not"
            );
        }
        let n = n as u32;
        // Earlier rounds are untouched.
        for (r, &k) in survived.iter().enumerate() {
            let r = r as u32;
            assert!(k == 0 || st.is_applied(r * PER_ROUND + k - 1).await.unwrap());
            assert!(!st.is_applied(r * PER_ROUND + k).await.unwrap());
        }
        survived.push(n);
    }
    // The rounds ran long enough for commits to reach the disk.
    assert!(survived.iter().any(|&n| n > 0), "{survived:?}");
}

/// Environment variable of the third child.
const ERASING_CHILD: &str = "SPORTELLO_STORE_ERASING_CHILD";
/// The update ids of the erasing child start here.
const ERASED_BASE: u32 = 800_000_000;

/// The third child: a user's session, flushed; then their erasure (with an update id),
/// committed and not flushed; prints `erased` and waits to be killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_erases_and_waits() {
    let Some((st, round)) = child_store(ERASING_CHILD) else {
        return; // Not a child: nothing to do.
    };
    let u = user(round, 0);
    let mut c = Commit::new();
    c.session(
        u,
        Revision(None),
        Some(b"before".to_vec()),
        jiff::Timestamp::UNIX_EPOCH,
    );
    st.commit(&c).await.unwrap();
    st.flush().await.unwrap();
    let mut c = Commit::new();
    c.applied(ERASED_BASE + round).erase(u);
    st.commit(&c).await.unwrap();
    println!("erased");
    std::thread::sleep(Duration::from_secs(60));
    panic!("not killed in time");
}

/// A user erased by a commit that a kill kept from the disk is still there, readable
/// (their key is destroyed only by the flush that makes the erasure durable); one whose
/// erasure reached the disk is gone.
#[tokio::test]
async fn an_erasure_a_kill_kept_from_the_disk_leaves_the_user_readable() {
    if is_child() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut kept = 0;
    for round in 0..3u32 {
        let (mut child, mut lines) =
            start_child("child_erases_and_waits", ERASING_CHILD, dir.path(), round);
        assert_eq!(lines.next().unwrap().unwrap(), "erased", "round {round}");
        child.kill().unwrap(); // SIGKILL: no flush, no destructor.
        child.wait().unwrap();
        let st = Store::open(dir.path(), 8).unwrap();
        let session = st.load_session(user(round, 0)).await;
        if st.is_applied(ERASED_BASE + round).await.unwrap() {
            assert!(matches!(session, Ok(None)), "round {round}: {session:?}");
        } else {
            kept += 1;
            let bytes = session.map(|s| s.map(|s| s.bytes));
            assert_eq!(
                bytes.ok().flatten().as_deref(),
                Some(&b"before"[..]),
                "round {round}: the erasure is not on disk, the session must be readable"
            );
        }
    }
    // The kill lands before any write of the store's log (a flush, or a full buffer).
    assert!(
        kept > 0,
        "every erasure reached the disk: the test tried nothing"
    );
}
