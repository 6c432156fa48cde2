//! PostgreSQL refusing writes while the bot runs, as a full disk or a database gone
//! read-only would: the real binary in long polling against the Bot API stand-in, the
//! refusal made with `CHECK (false) NOT VALID` constraints (every new row fails, the
//! rows there stay) and lifted again while the bot keeps running.
//!
//! - The inbox refuses the batch: nothing is confirmed to Telegram, `/readyz` says
//!   updates fail, and once the inbox takes writes the message is answered.
//! - Commits and the outbox refuse (the handler fails, and so does its apology): the
//!   update stays in the inbox, and once the database takes writes the bot hands it out
//!   again by itself (`stranded_after_secs`) and answers it, once.
//! - The same for a staff answer to a ticket: its copy reaches the user once, and it is
//!   offered as a FAQ once.
//! - The same for a notice (asked to slow down): a message over the flood limit whose
//!   notice cannot be stored is handled again too, not dropped with it.
//!
//! Without PostgreSQL (`SPORTELLO_TEST_DATABASE_URL`) it says "skipped"; CI sets
//! `SPORTELLO_REQUIRE_POSTGRES=1`, which makes it fail instead.

mod common;
#[path = "support/pg.rs"]
mod pg;

use std::path::Path;
use std::time::Duration;

use common::botapi::{Call, StandIn};
use common::process::{Running, TOKEN, config};
use common::scrape::{free_port, get, value, wait_status};
use sportello::text::{Lang, texts};

const WAIT: Duration = Duration::from_secs(60);

async fn expect(api: &StandIn, from: usize, what: &str, bot: &Running, user: i64) -> Call {
    let to = |c: &Call| c.method == "sendMessage" && c.chat() == Some(user);
    match api.wait_for(from, WAIT, to).await {
        Some(c) => c,
        None => panic!(
            "no {what}; calls: {:#?}\nlog:\n{}",
            api.calls_since(from),
            bot.log()
        ),
    }
}

fn answers_to(api: &StandIn, user: i64) -> usize {
    calls_to(api, "sendMessage", user)
}

fn calls_to(api: &StandIn, method: &str, chat: i64) -> usize {
    api.calls()
        .iter()
        .filter(|c| c.method == method && c.chat() == Some(chat))
        .count()
}

/// The bot on PostgreSQL at `url`, long polling `api`, with updates left unhandled
/// handed out again after 2 s and `extra` configuration.
fn start_on_postgres(api: &StandIn, dir: &Path, url: &str, extra: &str) -> Running {
    let cfg = config(
        dir,
        &format!("[data]\nbackend = \"postgres\"\n[telegram]\nstranded_after_secs = 2\n{extra}"),
    );
    let env = [("SPORTELLO_DATABASE_URL", url)];
    Running::start_env(api, &cfg, &dir.join("data"), 1, &env)
}

/// Makes every new row of `tables` fail (`on`), or lifts that.
async fn refuse(db: &sqlx::PgPool, tables: &[&str], on: bool) {
    for table in tables {
        let change = if on {
            "ADD CONSTRAINT refused CHECK (false) NOT VALID"
        } else {
            "DROP CONSTRAINT refused"
        };
        sql(db, &format!("ALTER TABLE {table} {change}")).await;
    }
}

async fn sql(db: &sqlx::PgPool, statement: &str) {
    sqlx::query(statement).execute(db).await.unwrap();
}

/// Waits until the bot's log says `what` at least `times` times.
async fn logged_times(bot: &Running, what: &str, times: usize) {
    let end = tokio::time::Instant::now() + WAIT;
    while bot.log().matches(what).count() < times {
        assert!(
            tokio::time::Instant::now() < end,
            "logged «{what}» fewer than {times} times\n{}",
            bot.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the bot's log says `what`.
async fn logged(bot: &Running, what: &str) {
    logged_times(bot, what, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_database_refused_is_answered_once_it_takes_writes_again() {
    let Some((_st, url)) = pg::store_with_url("refuse").await else {
        return;
    };
    let db = sqlx::PgPool::connect(&url).await.unwrap();
    let api = StandIn::start(TOKEN).await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let ops = format!("[ops]\nlisten = \"127.0.0.1:{port}\"\n");
    let bot = start_on_postgres(&api, dir.path(), &url, &ops);
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    let (status, body) = wait_status(addr, "/readyz", 200, WAIT).await;
    assert_eq!(status, 200, "{body}\n{}", bot.log());
    let n = api.call_count();
    api.push_text(1, "/aiuto");
    let help = expect(&api, n, "the help", &bot, 1)
        .await
        .text()
        .to_string();

    // The inbox refuses: the batch is not confirmed, and /readyz says so.
    sql(
        &db,
        "ALTER TABLE inbox ADD CONSTRAINT refused CHECK (false) NOT VALID",
    )
    .await;
    let n = api.call_count();
    let id = api.push_text(2, "/aiuto");
    let (status, body) = wait_status(addr, "/readyz", 503, WAIT).await;
    assert_eq!(status, 503, "{body}\n{}", bot.log());
    assert!(api.confirmed_offset() <= id, "confirmed while not kept");
    assert_eq!(answers_to(&api, 2), 0);
    sql(&db, "ALTER TABLE inbox DROP CONSTRAINT refused").await;
    let late = expect(&api, n, "the answer once the inbox takes writes", &bot, 2).await;
    assert_eq!(late.text(), help);
    assert!(api.wait_confirmed(id, WAIT).await, "{}", bot.log());
    let (status, body) = wait_status(addr, "/readyz", 200, WAIT).await;
    assert_eq!(status, 200, "{body}\n{}", bot.log());

    // Commits and the outbox refuse: the update is kept, its handling fails, and so does
    // the apology; it stays in the inbox until the database takes writes again.
    refuse(&db, &["applied_updates", "outbox"], true).await;
    let n = api.call_count();
    let id = api.push_text(3, "/aiuto");
    logged(&bot, "the update stays in the inbox").await;
    assert!(api.wait_confirmed(id, WAIT).await, "kept, so confirmed");
    assert_eq!(answers_to(&api, 3), 0);
    refuse(&db, &["applied_updates", "outbox"], false).await;
    let late = expect(&api, n, "the answer once commits work", &bot, 3).await;
    assert_eq!(late.text(), help);
    logged(&bot, "handling the updates kept and left unhandled").await;
    let m = get(addr, "/metrics").await.1;
    for event in ["left", "taken_over"] {
        let series = format!("sportello_updates_left_unhandled_total{{event=\"{event}\"}}");
        assert!(
            value(&m, &series).is_some_and(|n| n >= 1.0),
            "{series}\n{m}"
        );
    }
    let (left,): (i64,) = sqlx::query_as("SELECT count(*) FROM inbox")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(left, 0, "the inbox is empty once it was handled");
    bot.term();
    assert_eq!(answers_to(&api, 3), 1, "answered once");
    assert_eq!(answers_to(&api, 2), 1, "answered once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_over_the_flood_limit_whose_notice_was_refused_is_handled_again() {
    let Some((_st, url)) = pg::store_with_url("refuse_flood").await else {
        return;
    };
    let user = 7_101;
    let db = sqlx::PgPool::connect(&url).await.unwrap();
    let api = StandIn::start(TOKEN).await;
    let dir = tempfile::tempdir().unwrap();
    // One message a second: the second of two sent together is over the limit.
    let flood = "flood_messages = 1\nflood_window_secs = 1\n";
    let bot = start_on_postgres(&api, dir.path(), &url, flood);
    let n = api.call_count();
    api.push_text(1, "/aiuto");
    let help = expect(&api, n, "the help", &bot, 1)
        .await
        .text()
        .to_string();

    // Neither the first's answer (nor its apology) nor the second's notice can be stored.
    refuse(&db, &["applied_updates", "outbox"], true).await;
    let n = api.call_count();
    api.push_text(user, "/aiuto");
    api.push_text(user, "/aiuto");
    logged_times(&bot, "the update stays in the inbox", 2).await;
    assert_eq!(answers_to(&api, user), 0);
    refuse(&db, &["applied_updates", "outbox"], false).await;
    let both = api.wait_for(n, WAIT, |_| answers_to(&api, user) >= 2).await;
    assert!(both.is_some(), "one of the two was lost\n{}", bot.log());
    logged(&bot, "handling the updates kept and left unhandled").await;
    bot.term();
    let got: Vec<String> = api
        .calls()
        .iter()
        .filter(|c| c.method == "sendMessage" && c.chat() == Some(user))
        .map(|c| c.text().to_string())
        .collect();
    assert_eq!(got.len(), 2, "each handled once: {got:#?}");
    assert_eq!(got[0], help, "in order");
    let slow = texts(Lang::It)
        .t("telegram.slow_down", &[("seconds", "1")])
        .to_html();
    assert!(
        got[1] == help || got[1] == slow,
        "the second answered or told to slow down: {got:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_answer_the_database_refused_reaches_the_user_once_offered_once() {
    let Some((_st, url)) = pg::store_with_url("refuse_staff").await else {
        return;
    };
    const STAFF: i64 = -1_000_777;
    let (user, staffer) = (7_001, 99);
    let db = sqlx::PgPool::connect(&url).await.unwrap();
    let api = StandIn::start(TOKEN).await;
    let dir = tempfile::tempdir().unwrap();
    let staff = format!("[helpdesk]\nstaff_chat_id = {STAFF}\n");
    let bot = start_on_postgres(&api, dir.path(), &url, &staff);
    let n = api.call_count();
    api.push_text(user, "/operatore Come si compila l'allegato B?");
    let to_staff = |c: &Call| c.chat() == Some(STAFF) && c.text().contains("allegato B");
    let post = api.wait_for(n, WAIT, to_staff).await;
    let post = post.unwrap_or_else(|| panic!("no ticket post\n{}", bot.log()));
    // Told it was passed on: the post's id is recorded, so staff can answer it.
    let done = texts(Lang::It)
        .t("handover.done", &[("number", "1")])
        .to_html();
    let told = |c: &Call| c.chat() == Some(user) && c.text() == done;
    let told = api.wait_for(n, WAIT, told).await;
    assert!(told.is_some(), "the user not told\n{}", bot.log());

    // The copy and the apology cannot be stored: the staff answer stays in the inbox.
    refuse(&db, &["applied_updates", "outbox"], true).await;
    let answer = "Serve il modello della Regione, firmato dal legale rappresentante.";
    api.push_group_reply(STAFF, staffer, post.message_id().unwrap(), answer);
    logged(&bot, "the update stays in the inbox").await;
    assert_eq!(calls_to(&api, "copyMessage", user), 0);
    refuse(&db, &["applied_updates", "outbox"], false).await;
    let copied = |c: &Call| c.method == "copyMessage" && c.chat() == Some(user);
    let copy = api.wait_for(n, WAIT, copied).await;
    assert!(
        copy.is_some(),
        "the answer never reached the user\n{}",
        bot.log()
    );
    logged(&bot, "handling the updates kept and left unhandled").await;
    let (offers,): (i64,) = sqlx::query_as("SELECT count(*) FROM faq_drafts")
        .fetch_one(&db)
        .await
        .unwrap();
    bot.term();
    assert_eq!(calls_to(&api, "copyMessage", user), 1, "copied once");
    assert_eq!(offers, 1, "offered as a FAQ once");
}
