//! Moving a deployment between backends (`sportello migrate`): a sled data directory
//! holding every kind of record moves to PostgreSQL with nothing lost (the two exports
//! are equal record for record, and the deployment goes on there: a dialogue continues,
//! ticket numbers go on above the highest, an erased user stays erased); a target that
//! holds data is refused without --force, a source in use is refused; PostgreSQL
//! databases written before migration 0006 (users keyed by id) are converted in place.
//!
//! Without PostgreSQL (`SPORTELLO_TEST_DATABASE_URL`) these tests say "skipped"; with
//! `SPORTELLO_REQUIRE_POSTGRES=1` (CI) they fail instead.

mod common;
#[path = "support/pg.rs"]
mod pg;
#[path = "migrate/schema_0006.rs"]
mod schema_0006;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::botapi::StandIn;
use common::process::{Running, TOKEN, config, says_back};
use common::snapshot::{KINDS, content, fill_user, offsets};
use jiff::Timestamp;
use sportello::app::{App, Brain};
use sportello::backup::{self, MigrateError, Migration};
use sportello::config::Backend;
use sportello::dialogue::{Event, Settings};
use sportello::reminders::schedule::plan;
use sportello::reply::Reply;
use sportello::store::shred::Pseudonym;
use sportello::store::{Store, UserId};

/// The user talking to the bot when the data moves.
const TALKER: UserId = UserId(4_242);
/// The user who erased their data before the move.
const ERASED: UserId = UserId(3);

fn now() -> Timestamp {
    "2026-03-10T10:00:00Z".parse().unwrap()
}

fn app(store: Store) -> App {
    let k = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    App::new(Brain::load(&k).unwrap(), k, store, Settings::default())
}

fn text(replies: &[Reply]) -> String {
    replies
        .iter()
        .map(|r| r.text.to_plain())
        .collect::<Vec<_>>()
        .join("\n---\n")
}

/// The event of pressing the first button whose label holds `label`.
fn press(replies: &[Reply], label: &str) -> Event {
    let data = replies
        .iter()
        .flat_map(|r| r.buttons.iter().flatten())
        .find(|b| b.label.contains(label))
        .unwrap_or_else(|| panic!("no button «{label}» in:\n{}", text(replies)))
        .data
        .clone();
    Event::Button(data)
}

/// A sled deployment with every kind of record: users 1–4 as the snapshot tests fill
/// them (session, subscription with queued and sent reminders, ticket posted to staff,
/// logged question, outbox message, follow, profile alert, applied update, FAQ draft),
/// user 3 erased through `/cancellami`, and [`TALKER`] in the middle of an eligibility
/// check. Returns the replies of the talker's last step.
async fn fill(dir: &Path) -> Vec<Reply> {
    let st = Store::open(dir, 8).unwrap();
    for u in 1..=4 {
        fill_user(&st, u).await;
    }
    let bot = app(st.clone());
    let ask = bot
        .handle(ERASED, &Event::Text("/cancellami".into()), now())
        .await
        .unwrap();
    let done = bot
        .handle(ERASED, &press(&ask, "Sì, cancella"), now())
        .await
        .unwrap();
    assert!(text(&done).contains("ho cancellato"), "{}", text(&done));
    let t = bot
        .handle(
            TALKER,
            &Event::Text("/verifica wecare-welfare-aziendale".into()),
            now(),
        )
        .await
        .unwrap();
    let t = bot
        .handle(TALKER, &press(&t, "Continua comunque"), now())
        .await
        .unwrap();
    let t = bot
        .handle(TALKER, &press(&t, "Un'impresa privata"), now())
        .await
        .unwrap();
    assert!(text(&t).contains("Domanda 2 di"), "{}", text(&t));
    st.flush().await.unwrap();
    t
}

/// The sled database in `dir`, once the process that used it let go of it (sled frees
/// its lock a moment after the last handle is dropped).
async fn reopen(dir: &Path) -> Store {
    for _ in 0..400 {
        if let Ok(st) = Store::open(dir, 8) {
            return st;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{} stayed locked", dir.display())
}

/// [`backup::migrate`] once this test's own last handle on the sled directory is let go
/// of (see [`reopen`]).
async fn migrate_when_free(m: &Migration<'_>) -> Result<backup::Migrated, MigrateError> {
    for _ in 0..400 {
        match backup::migrate(m, now()).await {
            Err(MigrateError::Locked(..)) => tokio::time::sleep(Duration::from_millis(25)).await,
            r => return r,
        }
    }
    panic!("the sled directory stayed locked")
}

/// The PostgreSQL store as an instance started after the move sees it (the handle made
/// before it still names users under the secret the database had then).
async fn started(url: &str) -> Store {
    Store::connect_postgres(url).await.unwrap()
}

fn migration<'a>(dir: &'a Path, url: &'a str, force: bool) -> Migration<'a> {
    Migration {
        from: Backend::Embedded,
        to: Backend::Postgres,
        dir,
        cache_mb: 8,
        database_url: Some(url),
        force,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sled_deployment_moves_to_postgres_whole_and_goes_on_there() {
    let Some((running, url)) = pg::store_with_url("migrate").await else {
        return;
    };
    // An instance left connected to the target (against the README's advice) hears of
    // the import.
    let mut heard = running.reload_announcements().await.unwrap().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let last = fill(&dir).await;
    let (before, secret) = {
        let st = reopen(&dir).await;
        let c = content(&st).await;
        assert_eq!(
            st.subscriptions_of(UserId(1)).await.unwrap().len(),
            1,
            "the fill made what the checks below read"
        );
        c
    };
    for kind in KINDS {
        assert!(before.contains_key(kind), "{kind} made");
    }
    assert!(format!("{before:?}").contains("domanda segreta di 4"));
    assert!(!format!("{before:?}").contains("domanda segreta di 3"));
    // The erasure is in the journal, by pseudonym.
    let (_, journal) = sportello::store::erasures::read(&dir).unwrap().unwrap();
    assert!(
        journal
            .iter()
            .any(|e| e.who == Pseudonym::of(&secret, ERASED))
    );

    let m = migrate_when_free(&migration(&dir, &url, false))
        .await
        .unwrap();
    assert_eq!(m.unreadable, 0);
    assert_eq!(m.erased_again, 0);
    let moved: u64 = before.values().map(|v| v.len() as u64).sum();
    assert_eq!(m.counts.total(), moved);
    for (kind, v) in &before {
        assert_eq!(m.counts.0.get(kind), Some(&(v.len() as u64)), "{kind}");
    }

    tokio::time::timeout(Duration::from_secs(30), heard.recv())
        .await
        .expect("the import is announced")
        .unwrap();
    let s = running.load_session(UserId(4)).await.unwrap();
    assert!(
        s.is_some(),
        "the connected instance names users as the import does"
    );
    drop(running);

    // Record for record: PostgreSQL exports what sled held, under the same secret.
    let pg = started(&url).await;
    let (after, pg_secret) = content(&pg).await;
    assert_eq!(after, before);
    assert_eq!(pg_secret, secret);
    // The source is untouched.
    let st = reopen(&dir).await;
    assert_eq!(content(&st).await.0, before);

    // The dialogue goes on where it was, on PostgreSQL.
    let bot = app(pg.clone());
    let t = bot
        .handle(TALKER, &press(&last, "Piccola impresa"), now())
        .await
        .unwrap();
    assert!(text(&t).contains("Domanda 3 di"), "{}", text(&t));
    // Users find their own data by id.
    let s = pg.load_session(UserId(2)).await.unwrap().unwrap();
    assert_eq!(s.bytes, b"{\"name\":\"Utente2\"}");
    assert_eq!(pg.tickets_of(UserId(2)).await.unwrap().len(), 1);
    assert_eq!(pg.watches_of(UserId(4)).await.unwrap().len(), 1);
    assert!(pg.profile_alert(UserId(1)).await.unwrap().is_some());
    // The reminder sent from sled is known as sent: it is never queued again.
    let sub = &pg.subscriptions_of(UserId(1)).await.unwrap()[0];
    let mut done = 0;
    for item in plan(sub, &offsets()) {
        let on_pg = pg.reminder_done(&item).await.unwrap();
        assert_eq!(on_pg, st.reminder_done(&item).await.unwrap());
        done += usize::from(on_pg.is_some());
    }
    assert_eq!(done, 1);
    // Ticket numbers go on above the highest moved.
    let highest = pg.tickets().await.unwrap().iter().map(|t| t.number).max();
    assert_eq!(highest, Some(4));
    assert!(pg.next_ticket_number().await.unwrap() > 4);
    // The erased user stays erased: nothing of theirs, their ticket emptied.
    assert!(pg.load_session(ERASED).await.unwrap().is_none());
    assert!(pg.tickets_of(ERASED).await.unwrap().is_empty());
    assert!(pg.subscriptions_of(ERASED).await.unwrap().is_empty());
    assert!(pg.watches_of(ERASED).await.unwrap().is_empty());
    assert_eq!(pg.profile_alert(ERASED).await.unwrap(), None);
    let tickets = pg.tickets().await.unwrap();
    assert_eq!(tickets.len(), 4);
    assert!(!tickets.iter().any(|t| t.question.contains("aiuto per 3")));
    let questions = pg.questions_since(Timestamp::UNIX_EPOCH).await.unwrap();
    assert!(questions.iter().all(|q| !q.question.contains("di 3")));
    // Erasing on PostgreSQL reaches what moved: user 2's questions, reminders and
    // messages go with them.
    let asked = questions.len();
    pg.erase_user(UserId(2)).await.unwrap();
    assert!(pg.load_session(UserId(2)).await.unwrap().is_none());
    assert_eq!(
        pg.questions_since(Timestamp::UNIX_EPOCH)
            .await
            .unwrap()
            .len(),
        asked - 1
    );
    assert!(
        pg.outbox_entries()
            .await
            .unwrap()
            .iter()
            .all(|e| e.chat != 2)
    );
    let left = format!("{:?}", content(&pg).await.0);
    assert!(!left.contains("Utente2") && !left.contains("domanda segreta di 2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_with_data_and_a_source_in_use_are_refused() {
    let Some((pg, url)) = pg::store_with_url("migrate_refuse").await else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    {
        let st = Store::open(&dir, 8).unwrap();
        fill_user(&st, 1).await;
        st.flush().await.unwrap();
    }
    // PostgreSQL already holds a deployment's data: refused, and nothing changes.
    fill_user(&pg, 7).await;
    let (pg_before, _) = content(&pg).await;
    let e = migrate_when_free(&migration(&dir, &url, false))
        .await
        .unwrap_err();
    assert!(matches!(e, MigrateError::NotEmpty(_)), "{e}");
    assert!(e.to_string().contains("--force"), "{e}");
    assert_eq!(content(&pg).await.0, pg_before);

    // The sled database open in another holder (a bot without its control socket, a
    // console): refused, the target untouched.
    let holder = reopen(&dir).await;
    let e = backup::migrate(&migration(&dir, &url, true), now())
        .await
        .unwrap_err();
    assert!(matches!(e, MigrateError::Locked(..)), "{e}");
    assert!(e.to_string().contains("stop it"), "{e}");
    assert_eq!(content(&pg).await.0, pg_before);
    let (source, secret) = content(&holder).await;
    drop(holder);

    // Nothing to move to itself; no URL, no PostgreSQL.
    let mut same = migration(&dir, &url, false);
    same.to = Backend::Embedded;
    assert!(matches!(
        backup::migrate(&same, now()).await,
        Err(MigrateError::Same(Backend::Embedded))
    ));
    let mut no_url = migration(&dir, "", false);
    no_url.database_url = None;
    assert!(matches!(
        backup::migrate(&no_url, now()).await,
        Err(MigrateError::NoUrl)
    ));

    // Forced: the target's data is replaced by the source's, whole.
    let m = migrate_when_free(&migration(&dir, &url, true))
        .await
        .unwrap();
    assert_eq!(
        m.counts.total(),
        source.values().map(|v| v.len() as u64).sum::<u64>()
    );
    let pg = started(&url).await;
    let (after, pg_secret) = content(&pg).await;
    assert_eq!(after, source);
    assert_eq!(pg_secret, secret);
    assert!(pg.load_session(UserId(7)).await.unwrap().is_none());
    assert!(pg.load_session(UserId(1)).await.unwrap().is_some());
}

fn sportello(cfg: &Path, data: &Path, url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sportello"))
        .arg("--config")
        .arg(cfg)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("SPORTELLO_DATABASE_URL", url)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_refuses_a_running_bot_then_moves_and_counts_each_kind() {
    let Some((pg, url)) = pg::store_with_url("migrate_cli").await else {
        return;
    };
    let api = StandIn::start(TOKEN).await;
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), "");
    let data = tmp.path().join("data");
    let bot = Running::start(&api, &cfg, &data, 1);
    let user = 700_777;
    says_back(&api, &bot, user, "/start").await;

    let migrate = ["migrate", "--from", "sled", "--to", "postgres"];
    let out = sportello(&cfg, &data, &url, &migrate);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("is running") && stderr.contains("stop it"),
        "{stderr}"
    );
    assert!(pg.is_empty().await.unwrap(), "nothing written");
    bot.term();

    let out = sportello(&cfg, &data, &url, &migrate);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("  sessions: 1"), "{stdout}");
    assert!(stdout.contains("  applied updates: 1"), "{stdout}");
    assert!(stdout.contains("checked"), "{stdout}");
    let pg = started(&url).await;
    assert!(pg.load_session(UserId(user)).await.unwrap().is_some());
    let (moved, _) = content(&pg).await;
    let st = Store::open(&data, 8).unwrap();
    assert_eq!(content(&st).await.0, moved);
    drop(st);

    // Again: the target now holds data.
    let out = sportello(&cfg, &data, &url, &migrate);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("holds data") && stderr.contains("--force"),
        "{stderr}"
    );
    // Once switched to PostgreSQL, backup and restore do not touch the old directory.
    let switched = tmp.path().join("switched");
    std::fs::create_dir(&switched).unwrap();
    let pg_cfg = config(&switched, "[data]\nbackend = \"postgres\"\n");
    let file = tmp.path().join("b.backup");
    let out = sportello(&pg_cfg, &data, &url, &["backup", file.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("pg_dump"), "{stderr}");
    assert!(!file.exists());
    // An unknown backend is named.
    let out = sportello(
        &cfg,
        &data,
        &url,
        &["migrate", "--from", "sled", "--to", "mysql"],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("mysql"));
}

/// Back again: PostgreSQL's records move into a new sled data directory, equal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_moves_back_to_a_new_sled_directory() {
    let Some((pg, url)) = pg::store_with_url("migrate_back").await else {
        return;
    };
    for u in 1..=3 {
        fill_user(&pg, u).await;
    }
    pg.erase_user(UserId(2)).await.unwrap();
    let (before, secret) = content(&pg).await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let back = Migration {
        from: Backend::Postgres,
        to: Backend::Embedded,
        ..migration(&dir, &url, false)
    };
    let m = backup::migrate(&back, now()).await.unwrap();
    assert_eq!(
        m.counts.total(),
        before.values().map(|v| v.len() as u64).sum::<u64>()
    );
    let st = reopen(&dir).await;
    let (after, sled_secret) = content(&st).await;
    assert_eq!(after, before);
    assert_eq!(sled_secret, secret);
    assert!(st.load_session(UserId(3)).await.unwrap().is_some());
    assert!(st.load_session(UserId(2)).await.unwrap().is_none());
    drop(st);
    // Into a directory with data: refused without --force.
    let again = migrate_when_free(&back).await;
    assert!(matches!(again, Err(MigrateError::NotEmpty(_))), "{again:?}");
}
