//! Backup and restore: every kind of data comes back, a backup taken under load is one
//! point in time, a running instance answers backups over its control socket, a damaged
//! or foreign file is refused with a clear reason, a data directory with data is
//! replaced only with --force, users erased after a backup stay erased, and a backup
//! that cannot be written leaves no file behind.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use common::botapi::StandIn;
use common::process::{Running, TOKEN, config, says_back};
use common::snapshot::{KINDS, content, fill_user, t};
use sportello::backup::{self, BackupError, control, format};
use sportello::outgoing::{Class, Entry};
use sportello::reply::Rich;
use sportello::store::dump::Record;
use sportello::store::{AskedQuestion, Commit, Revision, Store, UserId};
use tokio::sync::Barrier;

/// Users of the load: ids from here up.
const LOAD: i64 = 1_000_000;

/// The records of a backup file, by kind, as [`content`] shows a store.
fn by_kind(records: &[Record]) -> BTreeMap<String, Vec<String>> {
    let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in records {
        by.entry(r.kind().to_string())
            .or_default()
            .push(serde_json::to_string(r).unwrap());
    }
    for (kind, v) in by.iter_mut() {
        if kind != "outbox messages" {
            v.sort();
        }
    }
    by
}

/// One load commit: a session, a logged question and a message for user `u`, together.
fn load_commit(u: i64) -> Commit {
    let mut c = Commit::new();
    c.session(UserId(u), Revision(None), Some(b"{}".to_vec()), t(u));
    c.log_question(
        Some(UserId(u)),
        AskedQuestion {
            at: t(u),
            question: format!("carico {u}"),
            best: None,
            confident: false,
        },
    );
    c.send(Entry::message(u, Class::Reply, Rich::plain("ok")));
    c
}

fn open(dir: &Path) -> Store {
    Store::open(dir, 8).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_load_is_one_point_in_time_and_restores_every_kind() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let file = tmp.path().join("sportello.backup");
    let st = open(&a);
    for u in 1..=12 {
        fill_user(&st, u).await;
    }
    let (before, _) = content(&st).await;
    for kind in KINDS {
        assert!(before.contains_key(kind), "{kind} made");
    }
    // The backup goes through the control socket, as `sportello backup` does while
    // `sportello run` holds the database.
    let ctl = control::serve(&a, st.clone()).unwrap();
    let writers = 2;
    let per_writer = 150;
    let start = Arc::new(Barrier::new(writers + 1));
    let done = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for w in 0..writers as i64 {
        let (st, start, done) = (st.clone(), start.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..per_writer {
                st.commit(&load_commit(LOAD + w * 10_000 + i))
                    .await
                    .unwrap();
                done.fetch_add(1, Ordering::SeqCst);
                if i == 0 {
                    // Each writer is under way when the backup starts.
                    start.wait().await;
                }
            }
        }));
    }
    start.wait().await;
    let at_start = done.load(Ordering::SeqCst);
    let w = backup::backup(&a, 8, &file, t(1_000_000_000))
        .await
        .unwrap();
    assert!(w.by_instance);
    for task in tasks {
        task.await.unwrap();
    }
    let total = writers as u64 * per_writer as u64;
    assert_eq!(done.load(Ordering::SeqCst), total);
    drop(ctl);

    let snap = format::decode(&std::fs::read(&file).unwrap()).unwrap();
    // Taken by the instance, at its own clock (the time given is for a direct backup).
    assert_eq!(snap.header.journal.as_ref().map(|m| m.len), Some(0));
    assert_eq!(snap.header.backend, "embedded");
    let got = by_kind(&snap.records);
    // Everything made before is in it.
    for (kind, records) in &before {
        for r in records {
            assert!(got[kind].contains(r), "{kind} lost: {r}");
        }
    }
    // Each load commit is in it whole or not at all: as many sessions as questions and
    // messages of the load, none half.
    let load = |kind: &str| got[kind].len() - before.get(kind).map_or(0, Vec::len);
    let n = load("sessions") as u64;
    assert_eq!(load("logged questions") as u64, n, "a commit cut in two");
    assert_eq!(load("outbox messages") as u64, n, "a commit cut in two");
    assert!(n >= at_start && n <= total, "{at_start} <= {n} <= {total}");

    // Restored into a fresh directory, the store holds exactly the file's records.
    let r = backup::restore(&file, &b, 8, false).await.unwrap();
    assert_eq!(r.erased_again, 0);
    assert_eq!(r.counts, snap.header.counts);
    let restored = open(&b);
    let (after, secret) = content(&restored).await;
    assert_eq!(after, got);
    assert_eq!(secret, snap.secret);
    // The same pseudonyms: users find their own data again by id.
    let s = restored.load_session(UserId(5)).await.unwrap().unwrap();
    assert_eq!(s.bytes, b"{\"name\":\"Utente5\"}");
    assert_eq!(restored.tickets_of(UserId(5)).await.unwrap().len(), 1);
    assert_eq!(restored.subscriptions_of(UserId(5)).await.unwrap().len(), 1);
    assert_eq!(restored.watches_of(UserId(5)).await.unwrap().len(), 1);
    // The sequences go on from where they were: no number is given twice.
    let next = restored.next_ticket_number().await.unwrap();
    assert_eq!(next, 13);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "a backup is private");
        for (path, is_dir, mode) in sportello::store::files::modes(&b).unwrap() {
            let want = if is_dir { 0o700 } else { 0o600 };
            assert_eq!(mode, want, "{}", path.display());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_with_data_is_replaced_only_with_force_and_erasures_since_stay() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let file = tmp.path().join("b.backup");
    {
        let st = open(&dir);
        for u in 1..=3 {
            fill_user(&st, u).await;
        }
    }
    let e = backup::backup(&dir, 8, &dir.join("in.backup"), t(0))
        .await
        .unwrap_err();
    assert!(matches!(e, BackupError::InsideData(_)), "{e}");
    backup::backup(&dir, 8, &file, t(2_000_000_000))
        .await
        .unwrap();
    {
        // After the backup: user 2 erases their data, user 3 keeps using the bot.
        let st = open(&dir);
        st.erase_user(UserId(2)).await.unwrap();
        st.commit(&load_commit(3_000)).await.unwrap();
        st.flush().await.unwrap();
    }
    let e = backup::restore(&file, &dir, 8, false).await.unwrap_err();
    assert!(matches!(e, BackupError::NotEmpty(_)), "{e}");
    assert!(e.to_string().contains("--force"), "{e}");
    // Refused: nothing changed.
    assert!(
        open(&dir)
            .load_session(UserId(3_000))
            .await
            .unwrap()
            .is_some()
    );

    let r = backup::restore(&file, &dir, 8, true).await.unwrap();
    assert_eq!(r.erased_again, 1);
    let st = open(&dir);
    assert!(
        st.load_session(UserId(3_000)).await.unwrap().is_none(),
        "replaced"
    );
    assert!(st.load_session(UserId(1)).await.unwrap().is_some());
    assert!(st.load_session(UserId(3)).await.unwrap().is_some());
    // User 2 stays erased: nothing of theirs, their ticket without personal fields.
    assert!(st.load_session(UserId(2)).await.unwrap().is_none());
    assert!(st.tickets_of(UserId(2)).await.unwrap().is_empty());
    assert!(st.subscriptions_of(UserId(2)).await.unwrap().is_empty());
    assert!(st.watches_of(UserId(2)).await.unwrap().is_empty());
    assert_eq!(st.profile_alert(UserId(2)).await.unwrap(), None);
    assert!(st.profile_alert(UserId(1)).await.unwrap().is_some());
    // The unpublished FAQ draft made from their ticket went with them; the others stay.
    let drafts = st.drafts().await.unwrap();
    assert!(
        !drafts.iter().any(|d| d.question.contains("faq da 2")),
        "{drafts:?}"
    );
    assert_eq!(drafts.len(), 2);
    let tickets = st.tickets().await.unwrap();
    assert_eq!(tickets.len(), 3);
    assert!(!tickets.iter().any(|t| t.question.contains("aiuto per 2")));
    let outbox = st.outbox_entries().await.unwrap();
    assert!(outbox.iter().all(|e| e.chat != 2));
    assert_eq!(outbox.len(), 2);
    let questions = st.questions_since(t(0)).await.unwrap();
    assert!(questions.iter().all(|q| !q.question.contains("di 2")));
    assert_eq!(questions.len(), 2);
    drop(st);
    // The journal survived the restore: restoring the same backup again still
    // erases user 2.
    let r = backup::restore(&file, &dir, 8, true).await.unwrap();
    assert_eq!(r.erased_again, 1);
    assert!(open(&dir).load_session(UserId(2)).await.unwrap().is_none());
}

fn sportello(cfg: &Path, data: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sportello"))
        .arg("--config")
        .arg(cfg)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_commands_back_up_a_running_bot_and_refuse_bad_files_clearly() {
    let api = StandIn::start(TOKEN).await;
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), "");
    let data = tmp.path().join("data");
    let bot = Running::start(&api, &cfg, &data, 1);
    let user = 700_321;
    says_back(&api, &bot, user, "/start").await;

    // While the bot runs, the backup is taken by it.
    let file = tmp.path().join("running.backup");
    let out = sportello(&cfg, &data, &["backup", file.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        bot.log()
    );
    assert!(stdout.contains("taken by the running instance"), "{stdout}");
    assert!(stdout.contains("1 sessions"), "{stdout}");

    // A restore while it runs is refused.
    let out = sportello(&cfg, &data, &["restore", "--force", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is running"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A destination that cannot hold the file (a file size limit, as a full disk
    // would): the command fails and leaves nothing behind.
    let dest = tmp.path().join("full");
    std::fs::create_dir(&dest).unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 0; exec \"$@\"")
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_sportello"))
        .arg("--config")
        .arg(&cfg)
        .arg("--data-dir")
        .arg(&data)
        .arg("backup")
        .arg(dest.join("b.backup"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("writing"), "{stderr}");
    assert_eq!(
        std::fs::read_dir(&dest).unwrap().count(),
        0,
        "no partial file"
    );
    bot.term();

    // Restored by the command into a fresh directory, with counts per kind.
    let fresh = tmp.path().join("fresh");
    let out = sportello(&cfg, &fresh, &["restore", file.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("  sessions: 1"), "{stdout}");
    let st = open(&fresh);
    assert!(st.load_session(UserId(user)).await.unwrap().is_some());
    drop(st);

    // A flipped byte: the checksum names the damage, nothing is restored.
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x20;
    let bad = tmp.path().join("bad.backup");
    std::fs::write(&bad, &bytes).unwrap();
    let empty = tmp.path().join("empty");
    let out = sportello(&cfg, &empty, &["restore", bad.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("checksum mismatch"), "{stderr}");
    assert!(!empty.join("keys").exists(), "nothing restored");

    // Another format version is named as such.
    let mut snap = format::decode(&std::fs::read(&file).unwrap()).unwrap();
    snap.header.format = format::FORMAT + 1;
    let future = tmp.path().join("future.backup");
    std::fs::write(&future, format::encode(&snap).unwrap()).unwrap();
    let out = sportello(&cfg, &empty, &["restore", future.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!("backup format version {}", format::FORMAT + 1)),
        "{stderr}"
    );

    // Not a backup at all.
    let out = sportello(&cfg, &empty, &["restore", cfg.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a Sportello backup"), "{stderr}");
}
