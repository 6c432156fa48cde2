//! Running it in production, on the real binary against the Bot API stand-in of
//! `tests/common`: the ops endpoints (`/healthz`, `/readyz`, `/metrics`) after real
//! updates, the same endpoints under a path of the webhook's listener, logs that never
//! carry the token, a user's id or name, and `/statistiche` as a photo from the outbox
//! with its buttons (or as text when Telegram refuses the photo).

mod common;

use std::time::Duration;

use common::botapi::{Call, StandIn};
use common::process::{Running, TOKEN, config};
use common::scrape::{free_port, get, sum, value, wait_status, wait_value};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(30);

/// Waits until `n` update-to-reply measurements are recorded.
async fn replied(addr: std::net::SocketAddr, n: u32) {
    let m = wait_value(
        addr,
        "sportello_update_reply_seconds_count",
        f64::from(n),
        WAIT,
    )
    .await;
    assert_eq!(
        value(&m, "sportello_update_reply_seconds_count"),
        Some(f64::from(n)),
        "update {n} was not measured\n{m}"
    );
}
const STAFF_CHAT: i64 = -100_777;

async fn expect(
    api: &StandIn,
    from: usize,
    what: &str,
    bot: &Running,
    pred: impl Fn(&Call) -> bool,
) -> Call {
    match api.wait_for(from, WAIT, pred).await {
        Some(c) => c,
        None => panic!(
            "no {what}; calls: {:#?}\nlog:\n{}",
            api.calls_since(from),
            bot.log()
        ),
    }
}

/// Sends `text` as `user` and waits for a message to `chat`.
async fn say(api: &StandIn, bot: &Running, user: i64, text: &str, chat: i64) -> Call {
    let n = api.call_count();
    api.push_text(user, text);
    expect(api, n, text, bot, |c| {
        c.method == "sendMessage" && c.chat() == Some(chat)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_health_follow_real_updates() {
    let api = StandIn::start(TOKEN).await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let user = 700_123;
    let staff = 700_999;
    let cfg = config(
        dir.path(),
        &format!(
            "[helpdesk]\nstaff_chat_id = {STAFF_CHAT}\nstaff_user_ids = [{staff}]\n\
             [ops]\nlisten = \"127.0.0.1:{port}\"\n"
        ),
    );
    let bot = Running::start(&api, &cfg, &dir.path().join("data"), 1);
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    let (status, body) = wait_status(addr, "/readyz", 200, WAIT).await;
    assert_eq!(status, 200, "{body}\n{}", bot.log());
    let (status, body) = get(addr, "/healthz").await;
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    let (_, before) = get(addr, "/metrics").await;
    assert_eq!(sum(&before, "sportello_updates_total"), 0.0, "{before}");

    // A chat is measured from its earliest unanswered update (src/ops/latency.rs), and
    // the stand-in sees a reply before the sender hears Telegram accept it: each update
    // waits for its own measurement, or the next one would count as the same burst.
    say(&api, &bot, user, "/start", user).await;
    replied(addr, 1).await;
    say(
        &api,
        &bot,
        user,
        "entro quando si poteva fare domanda per il welfare aziendale wecare?",
        user,
    )
    .await;
    replied(addr, 2).await;
    // The check's first question meets a JSON 500 once and is sent again.
    api.fail_next_json("sendmessage", 500, 1);
    say(&api, &bot, user, "/verifica alfa-2026", user).await;
    replied(addr, 3).await;
    say(
        &api,
        &bot,
        user,
        "/operatore Come si compila l'allegato B?",
        user,
    )
    .await;
    replied(addr, 4).await;
    say(&api, &bot, staff, "/ricarica", staff).await;
    replied(addr, 5).await;

    // One measurement per update answered: four of the user's, one of the staff's.
    let m = wait_value(addr, "sportello_update_reply_seconds_count", 5.0, WAIT).await;
    assert_eq!(get(addr, "/metrics").await.0, 200);
    let v = |series: &str| value(&m, series).unwrap_or_else(|| panic!("no {series} in\n{m}"));
    assert_eq!(v("sportello_updates_total{kind=\"command\"}"), 4.0);
    assert_eq!(v("sportello_updates_total{kind=\"text\"}"), 1.0);
    assert_eq!(v("sportello_answers_total{outcome=\"handed_over\"}"), 1.0);
    assert!(
        sum(&m, "sportello_answers_total") >= 2.0,
        "the question and the hand-over\n{m}"
    );
    assert_eq!(v("sportello_checks_started_total"), 1.0);
    assert_eq!(v("sportello_telegram_api_errors_total{code=\"500\"}"), 1.0);
    assert_eq!(v("sportello_knowledge_reloads_total{result=\"ok\"}"), 1.0);
    assert_eq!(v("sportello_tickets_open"), 1.0);
    assert!(v("sportello_ticket_oldest_open_age_seconds") >= 0.0);
    assert_eq!(v("sportello_reminder_queue_depth"), 0.0);
    assert_eq!(v("sportello_update_reply_seconds_count"), 5.0);
    assert!(v("sportello_store_op_seconds_count{op=\"commit\"}") >= 5.0);
    assert!(v("sportello_store_op_seconds_count{op=\"load\"}") >= 4.0);
    assert!(
        m.contains("# TYPE sportello_update_reply_seconds histogram"),
        "{m}"
    );
    assert_eq!(get(addr, "/readyz").await.0, 200);
    // The container health check asks the same endpoint.
    let health = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_sportello"))
            .arg("--config")
            .arg(&cfg)
            .arg("health")
            .output()
            .unwrap()
    };
    let up = health();
    assert!(up.status.success(), "{up:?}");
    bot.term();
    let down = health();
    assert!(!down.status.success(), "nothing listens any more: {down:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_mode_serves_the_ops_endpoints_on_its_own_path() {
    let api = StandIn::start(TOKEN).await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cfg = config(
        dir.path(),
        &format!(
            "[telegram]\nmode = \"webhook\"\nwebhook_listen = \"127.0.0.1:{port}\"\n\
             webhook_url = \"http://127.0.0.1:{port}/hook\"\nwebhook_secret = \"ops_Secret-1\"\n\
             [ops]\nwebhook_path = \"/ops\"\n"
        ),
    );
    let bot = Running::start(&api, &cfg, &dir.path().join("data"), 1);
    let set = expect(&api, 0, "setWebhook", &bot, |c| c.method == "setWebhook").await;
    let secret = set.body["secret_token"].as_str().unwrap().to_string();
    assert_eq!(secret, "ops_Secret-1", "the configured secret");
    let addr = format!("127.0.0.1:{port}").parse().unwrap();
    let (status, body) = wait_status(addr, "/ops/readyz", 200, WAIT).await;
    assert_eq!(status, 200, "{body}\n{}", bot.log());
    assert_eq!(get(addr, "/ops/healthz").await.0, 200);
    assert_eq!(get(addr, "/healthz").await.0, 404, "only under the path");
    let user = 5_104;
    let n = api.call_count();
    let update = common::botapi::text_update(1, user, "/aiuto");
    assert_eq!(
        common::botapi::post_update(addr, "/hook", Some(&secret), &update).await,
        200
    );
    expect(&api, n, "reply by webhook", &bot, |c| {
        c.method == "sendMessage" && c.chat() == Some(user)
    })
    .await;
    let (status, m) = get(addr, "/ops/metrics").await;
    assert_eq!(status, 200);
    assert_eq!(
        value(&m, "sportello_updates_total{kind=\"command\"}"),
        Some(1.0),
        "{m}"
    );
    bot.term();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_log_line_carries_the_token_the_user_id_or_the_name() {
    let api = StandIn::start(TOKEN).await;
    let dir = tempfile::tempdir().unwrap();
    // Long enough that it cannot turn up inside a timestamp or a duration by chance.
    let user: i64 = 5_550_123_987;
    let name = format!("Utente {user}");
    let cfg = config(dir.path(), "");
    let bot = Running::start_with(
        &api,
        &cfg,
        &dir.path().join("data"),
        1,
        &["--log-format", "json"],
        "sportello=debug,teloxide=debug,teloxide_core=debug,info",
    );
    // A whole session: commands, a question, a button, a check, a hand-over request,
    // a fault on the way, erasure.
    let start = say(&api, &bot, user, "/start", user).await;
    say(
        &api,
        &bot,
        user,
        "quanti soldi ci sono sul piano alfa?",
        user,
    )
    .await;
    let data = start.button_data();
    if let (Some(d), Some(m)) = (data.first(), start.message_id()) {
        let n = api.call_count();
        api.push_button(user, m, d);
        expect(&api, n, "the button's answer", &bot, |c| {
            c.method == "answerCallbackQuery"
        })
        .await;
    }
    api.fail_next_json("sendmessage", 502, 1);
    say(&api, &bot, user, "/verifica alfa-2026", user).await;
    say(&api, &bot, user, "/annulla", user).await;
    say(&api, &bot, user, "/cancellami", user).await;
    let log_text = {
        bot.term();
        std::fs::read_to_string(dir.path().join("data.log1")).unwrap()
    };
    let lines: Vec<&str> = log_text.lines().collect();
    assert!(lines.len() > 10, "{log_text}");
    let mut handled = 0;
    for line in &lines {
        assert!(!line.contains(TOKEN), "the token reached the log: {line}");
        assert!(
            !line.contains(&user.to_string()),
            "the user's id reached the log: {line}"
        );
        assert!(
            !line.contains(&name),
            "the user's name reached the log: {line}"
        );
        let v: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        if v["fields"]["message"] == "update handled" {
            handled += 1;
            let span = &v["span"];
            assert_eq!(span["name"], "update", "{line}");
            let hash = span["user"].as_str().expect("a user hash");
            assert!(
                hash.len() == 12 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
                "{line}"
            );
            assert!(span["id"].as_u64().is_some(), "{line}");
            assert!(
                span["kind"].is_string() && span["outcome"].is_string(),
                "{line}"
            );
            assert!(span["ms"].as_u64().is_some(), "{line}");
        }
    }
    assert!(handled >= 6, "one line per update\n{log_text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistics_go_out_as_a_photo_and_as_text_when_the_photo_is_refused() {
    let api = StandIn::start(TOKEN).await;
    let dir = tempfile::tempdir().unwrap();
    let staff = 700_998;
    let cfg = config(
        dir.path(),
        &format!("[helpdesk]\nstaff_chat_id = {STAFF_CHAT}\nstaff_user_ids = [{staff}]\n"),
    );
    let bot = Running::start(&api, &cfg, &dir.path().join("data"), 1);
    let title = sportello::text::texts(sportello::text::Lang::It)
        .t("helpdesk.stats.title", &[])
        .to_html();
    let n = api.call_count();
    api.push_text(staff, "/statistiche");
    let photo = expect(&api, n, "the chart", &bot, |c| {
        c.method == "sendPhoto" && c.chat() == Some(staff)
    })
    .await;
    assert!(
        photo.body["caption"]
            .as_str()
            .unwrap_or("")
            .contains(&title),
        "{:?}",
        photo.body
    );
    assert_eq!(photo.body["parse_mode"], "HTML");
    // The stand-in keeps a file as its length: a PNG of some size was sent.
    assert!(photo.body["photo"].as_str().unwrap_or("").len() > 1000);
    // Telegram refuses the photo: the same text goes as a message.
    api.fail_next_json("sendphoto", 400, 1);
    let n = api.call_count();
    api.push_text(staff, "/statistiche");
    let text = expect(&api, n, "the text instead", &bot, |c| {
        c.method == "sendMessage" && c.chat() == Some(staff)
    })
    .await;
    assert!(text.text().contains(&title), "{}", text.text());
    assert!(
        !api.calls_since(n).iter().any(|c| c.method == "sendPhoto"),
        "the refused photo is not processed"
    );
    bot.term();
}

/// The buttons of every inline keyboard row of a call, as (label, data).
fn buttons(c: &Call) -> Vec<(String, String)> {
    c.body
        .pointer("/reply_markup/inline_keyboard")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|row| row.as_array().cloned().unwrap_or_default())
        .map(|b| {
            (
                b["text"].as_str().unwrap_or("").to_string(),
                b["callback_data"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// A photo reply from the outbox (the `/statistiche` chart) carries its inline keyboard:
/// «✍️ Scrivi la FAQ» under the question nobody answered. A refused photo's text goes
/// with the same buttons.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_reply_is_sent_with_its_buttons() {
    let api = StandIn::start(TOKEN).await;
    let dir = tempfile::tempdir().unwrap();
    let staff = 700_997;
    let user = 700_123;
    let cfg = config(
        dir.path(),
        &format!("[helpdesk]\nstaff_chat_id = {STAFF_CHAT}\nstaff_user_ids = [{staff}]\n"),
    );
    let bot = Running::start(&api, &cfg, &dir.path().join("data"), 1);
    // A question the pack cannot answer: logged without an answer.
    say(
        &api,
        &bot,
        user,
        "come si coltivano i pomodori sul balcone?",
        user,
    )
    .await;
    let n = api.call_count();
    api.push_text(staff, "/statistiche");
    let photo = expect(&api, n, "the chart", &bot, |c| {
        c.method == "sendPhoto" && c.chat() == Some(staff)
    })
    .await;
    let keys = buttons(&photo);
    assert_eq!(keys.len(), 1, "{:?}", photo.body);
    let (label, data) = &keys[0];
    assert!(label.contains("coltivano"), "{label}");
    assert!(!data.is_empty() && data.len() <= 64, "{data}");
    // Telegram refuses the photo: its text goes as a message, with the same buttons.
    api.fail_next_json("sendphoto", 400, 1);
    let n = api.call_count();
    api.push_text(staff, "/statistiche");
    let text = expect(&api, n, "the text instead", &bot, |c| {
        c.method == "sendMessage" && c.chat() == Some(staff)
    })
    .await;
    assert_eq!(buttons(&text), keys);
    bot.term();
}
