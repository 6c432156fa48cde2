//! Migration 0006 on a database written before it: the rows keyed by user id are
//! renamed by PostgreSQL itself, and must match the pseudonyms the Rust code makes.

use std::path::Path;
use std::str::FromStr;

use jiff::Timestamp;
use sportello::knowledge::{CallId, DeadlineAt};
use sportello::outgoing::{Class, Entry};
use sportello::reminders::schedule::{Subscription, plan};
use sportello::reply::Rich;
use sportello::store::dump::Record;
use sportello::store::follows::{Done, DoneHow};
use sportello::store::shred::Pseudonym;
use sportello::store::{AskedQuestion, Store, UserId};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::common::snapshot::offsets;
use super::{now, pg};

/// A database written before migration 0006 (sessions, asked questions and sent
/// reminders keyed by user id, outbox entries without owners) is converted in place by
/// the SQL of 0006 (HMAC-SHA256 computed by PostgreSQL): its users find their data
/// again, a snapshot names them as sled would, and erasing them still reaches it all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_from_before_pseudonyms_is_converted_in_place() {
    let Some(url) = pg::url() else {
        assert!(pg::store("m0006").await.is_none());
        return;
    };
    let schema = pg::fresh_schema("m0006");
    // The schema as version 0005 left it: the migrations up to it, from a copy.
    let old = tempfile::tempdir().unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    for e in std::fs::read_dir(&dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.as_str() < "0006" {
            std::fs::copy(e.path(), old.path().join(&name)).unwrap();
        }
    }
    let opts = PgConnectOptions::from_str(&url).unwrap();
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(opts.clone())
        .await
        .unwrap();
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .unwrap();
    let db = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(opts.options([("search_path", schema.as_str())]))
        .await
        .unwrap();
    sqlx::migrate::Migrator::new(old.path())
        .await
        .unwrap()
        .run(&db)
        .await
        .unwrap();

    let secret = [7u8; 32];
    let user = UserId(7_234_567_890_123);
    let sub = Subscription {
        user,
        call: CallId("bando".into()),
        deadline: DeadlineAt::parse("2030-03-31T12:00").unwrap(),
        planned_from: Timestamp::UNIX_EPOCH,
    };
    let item = plan(&sub, &offsets()).remove(0);
    let done = Done {
        at: now(),
        how: DoneHow::Sent,
    };
    let asked = |q: &str| AskedQuestion {
        at: now(),
        question: q.into(),
        best: None,
        confident: false,
    };
    let entry = Entry::message(user.0, Class::Reply, Rich::plain("in attesa"));
    for (sql, args) in [
        (
            "INSERT INTO store_secret (id, secret) VALUES (1, $1)",
            vec![secret.to_vec()],
        ),
        (
            "INSERT INTO sessions (user_id, revision, touched, bytes) VALUES ($2, 3, 0, $1)",
            vec![b"{\"name\":\"Vecchio\"}".to_vec()],
        ),
        (
            "INSERT INTO questions (at, asker, entry) VALUES (0, $2, $1)",
            vec![serde_json::to_vec(&asked("mia")).unwrap()],
        ),
        (
            "INSERT INTO questions (at, asker, entry) VALUES (0, NULL, $1)",
            vec![serde_json::to_vec(&asked("di nessuno")).unwrap()],
        ),
        (
            "INSERT INTO reminders_done (identity, user_id, body) VALUES ($1, $2, $3)",
            vec![item.identity(), serde_json::to_vec(&done).unwrap()],
        ),
        (
            "INSERT INTO outbox (class, chat, at_ms, entry) VALUES (0, $2, 0, $1)",
            vec![serde_json::to_vec(&entry).unwrap()],
        ),
    ] {
        let mut q = sqlx::query(sql).bind(&args[0]);
        if sql.contains("$2") {
            q = q.bind(user.0);
        }
        if let Some(third) = args.get(1) {
            q = q.bind(third);
        }
        q.execute(&db).await.unwrap();
    }
    db.close().await;
    admin.close().await;

    // Opening applies 0006.
    let st = Store::connect_postgres_in(&url, &schema).await.unwrap();
    let s = st.load_session(user).await.unwrap().unwrap();
    assert_eq!(s.bytes, b"{\"name\":\"Vecchio\"}");
    assert_eq!(st.reminder_done(&item).await.unwrap(), Some(done));
    let who = Pseudonym::of(&secret, user);
    let mut askers = Vec::new();
    let mut owners = Vec::new();
    let ex = st
        .export(&mut |r| {
            match r {
                Record::Question { asker, .. } => askers.push(asker),
                Record::Outbox(o) => owners.push(o.owner),
                Record::ReminderDone { who: w, .. } => assert_eq!(w, who),
                Record::Session { who: w, .. } => assert_eq!(w, who),
                _ => {}
            }
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(ex.secret, secret);
    askers.sort();
    assert_eq!(askers, [None, Some(who)]);
    assert_eq!(owners, [Some(who)]);

    st.erase_user(user).await.unwrap();
    assert!(st.load_session(user).await.unwrap().is_none());
    assert_eq!(st.reminder_done(&item).await.unwrap(), None);
    assert!(st.outbox_entries().await.unwrap().is_empty());
    let left = st.questions_since(Timestamp::UNIX_EPOCH).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].question, "di nessuno");
}
