//! Delivery guarantees of the real `sportello run` binary against the Bot API stand-in
//! of `tests/common`, which answers as Telegram does (JSON errors with `error_code` and
//! `retry_after`, idle polls held for their timeout, per-chat and per-group limits, cut
//! connections). Faults are injected at exact calls and waited for with barriers
//! (`hold_next`/`wait_held`, `wait_for`), never with sleeps.
//!
//! - a reply survives one and three consecutive JSON 5xx;
//! - a kill between the state write and the send still gets the reply out, once;
//! - an update Telegram was told to forget (the next poll confirmed it) and a kill kept
//!   from its handler is handled after the restart, from the inbox; so is one whose
//!   webhook request was answered;
//! - polls that fail as Telegram's do (a JSON 500, a 429 with `retry_after`, a cut
//!   connection) lose and double no update;
//! - a kill right after a burst of deliveries repeats at most twice `in_flight` replies
//!   (those being sent, and those sent whose removal had not reached the disk);
//! - with `settle_ms = 0`, a reply Telegram accepted is not sent again after a kill
//!   (its removal reached the disk before the next send);
//! - a busy group, even one whose send is stuck at Telegram, does not hold up a private
//!   user, and its waiting replies are merged;
//! - every button press is answered;
//! - no reply is doubled after 429s, 5xx or cut connections before Telegram processed it;
//! - a ticket's staff post that gets a 502 is retried, and the user is told it was passed
//!   on only once it was accepted;
//! - a SIGTERM that comes while the bot is still starting stops it;
//! - idle long polls end without warnings and the next message is answered at once.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::botapi::{Call, Limits, StandIn};
use common::process::{Running, TOKEN, config};
use sportello::text::{Lang, texts};

const WAIT: Duration = Duration::from_secs(30);
const STAFF: i64 = -1_000_777;

/// `/aiuto` in Italian, as sent (built from the command table).
fn help_html() -> String {
    sportello::command::help(texts(Lang::It)).to_html()
}

fn html(key: &str, args: &[(&str, &str)]) -> String {
    texts(Lang::It).t(key, args).to_html()
}

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

/// Messages the stand-in processed for `chat`, in order.
fn texts_to(api: &StandIn, chat: i64) -> Vec<String> {
    api.calls()
        .into_iter()
        .filter(|c| {
            matches!(c.method.as_str(), "sendMessage" | "editMessageText") && c.chat() == Some(chat)
        })
        .map(|c| c.text().to_string())
        .collect()
}

struct World {
    api: StandIn,
    _dir: tempfile::TempDir,
    config: std::path::PathBuf,
    data: std::path::PathBuf,
}

impl World {
    async fn new(extra: &str) -> World {
        let api = StandIn::start(TOKEN).await;
        let dir = tempfile::tempdir().unwrap();
        let flood = if extra.contains("flood_messages") {
            ""
        } else {
            "flood_messages = 1000\n"
        };
        let config = config(
            dir.path(),
            &format!(
                "[telegram]\npoll_timeout_secs = 2\n{flood}{extra}\n\
                 [helpdesk]\nstaff_chat_id = {STAFF}\n"
            ),
        );
        let data = dir.path().join("data");
        World {
            api,
            _dir: dir,
            config,
            data,
        }
    }

    async fn start(&self, run: u32) -> Running {
        let n = self.api.call_count();
        let bot = Running::start(&self.api, &self.config, &self.data, run);
        expect(&self.api, n, "setMyCommands", &bot, |c| {
            c.method == "setMyCommands"
        })
        .await;
        bot
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_survives_one_and_three_consecutive_json_5xx() {
    let w = World::new("").await;
    let bot = w.start(1).await;
    let user = 6001;
    for (failures, command, wanted) in [
        (1, "/aiuto", help_html()),
        (3, "/annulla", html("cancel.nothing", &[])),
    ] {
        w.api.fail_next_json("sendmessage", 500, failures);
        let n = w.api.call_count();
        w.api.push_text(user, command);
        expect(&w.api, n, command, &bot, |c| c.text() == wanted).await;
        assert!(bot.log().contains("will retry"), "{}", bot.log());
    }
    let got = texts_to(&w.api, user);
    assert_eq!(got, [help_html(), html("cancel.nothing", &[])]);
    bot.term();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_between_the_state_write_and_the_send_still_answers_after_restart() {
    let w = World::new("").await;
    let bot = w.start(1).await;
    let user = 6002;
    // The reply's send is parked: by then the session and the reply are on disk.
    w.api.hold_next("sendmessage");
    w.api.push_text(user, "/cancellami");
    assert!(
        w.api.wait_held(1, WAIT).await,
        "the send never came\n{}",
        bot.log()
    );
    bot.kill9();
    w.api.release();
    assert!(
        texts_to(&w.api, user).is_empty(),
        "nothing was delivered yet"
    );

    // The restarted bot sends the stored reply, once, and the state it answers is there.
    let n = w.api.call_count();
    let bot = Running::start(&w.api, &w.config, &w.data, 2);
    let ask = expect(&w.api, n, "the stored reply", &bot, |c| {
        c.method == "sendMessage" && c.chat() == Some(user)
    })
    .await;
    assert_eq!(ask.text(), html("erase.ask", &[]));
    let n = w.api.call_count();
    w.api.push_button(user, ask.message_id().unwrap(), "1|x|y");
    let done = expect(&w.api, n, "the erase confirmation", &bot, |c| {
        c.method == "editMessageText" && c.chat() == Some(user)
    })
    .await;
    assert_eq!(done.text(), html("erase.done", &[]));
    assert_eq!(
        texts_to(&w.api, user),
        [html("erase.ask", &[]), html("erase.done", &[])],
        "each reply exactly once"
    );
    bot.term();
}

/// Restarts the bot (run 2) and waits for `user`'s erasure to be confirmed (the
/// pressed question edited into «done»); stops it cleanly.
async fn erasure_confirmed_after_restart(w: &World, user: i64) {
    let n = w.api.call_count();
    let bot = Running::start(&w.api, &w.config, &w.data, 2);
    let done = expect(&w.api, n, "the erase confirmation", &bot, |c| {
        c.method == "editMessageText" && c.chat() == Some(user)
    })
    .await;
    assert_eq!(done.text(), html("erase.done", &[]));
    bot.term();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_telegram_was_told_to_forget_is_still_handled_after_a_kill() {
    let w = World::new("").await;
    let bot = w.start(1).await;
    let user = 6003;
    let n = w.api.call_count();
    w.api.push_text(user, "/cancellami");
    let ask = expect(&w.api, n, "the question", &bot, |c| {
        c.method == "sendMessage" && c.chat() == Some(user)
    })
    .await;
    // The press's handler is parked at its first call, before it changes anything ...
    w.api.hold_next("answercallbackquery");
    let press = w.api.push_button(user, ask.message_id().unwrap(), "1|x|y");
    assert!(w.api.wait_held(1, WAIT).await, "no answer\n{}", bot.log());
    // ... while the bot already asked for the updates after it: Telegram forgets it.
    assert!(
        w.api.wait_confirmed(press, WAIT).await,
        "the press was never confirmed\n{}",
        bot.log()
    );
    bot.kill9();
    w.api.release();

    // The restarted bot handles it from its inbox: the press is answered, the erasure done.
    erasure_confirmed_after_restart(&w, user).await;
    // The question may come twice (sent just before the kill, its removal not yet on
    // disk: the in-flight repeat the outbox allows); the erasure is done once.
    let got = texts_to(&w.api, user);
    let done = html("erase.done", &[]);
    assert_eq!(got.iter().filter(|t| **t == done).count(), 1, "{got:?}");
    assert!(
        got.iter()
            .all(|t| *t == done || *t == html("erase.ask", &[]))
    );
    // A clean stop leaves nothing to hand out again.
    let store = sportello::store::Store::open(&w.data, 8).unwrap();
    assert_eq!(store.unhandled().await.unwrap(), []);
}

/// Until the bot's webhook listener accepts connections (it binds after publishing
/// its menus and setting the webhook).
async fn until_listening(addr: std::net::SocketAddr, bot: &Running) {
    let end = tokio::time::Instant::now() + WAIT;
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(
            tokio::time::Instant::now() < end,
            "never listened\n{}",
            bot.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_a_webhook_request_was_answered_for_is_still_handled_after_a_kill() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let secret = "hook_Secret-7";
    let w = World::new(&format!(
        "mode = \"webhook\"\nwebhook_listen = \"127.0.0.1:{port}\"\n\
         webhook_url = \"http://127.0.0.1:{port}/hook\"\nwebhook_secret = \"{secret}\"\n"
    ))
    .await;
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let post = async |body: serde_json::Value| {
        common::botapi::post_update(addr, "/hook", Some(secret), &body).await
    };
    let bot = w.start(1).await;
    until_listening(addr, &bot).await;
    let user = 6004;
    let n = w.api.call_count();
    assert_eq!(
        post(common::botapi::text_update(1, user, "/cancellami")).await,
        200
    );
    let ask = expect(&w.api, n, "the question", &bot, |c| {
        c.method == "sendMessage" && c.chat() == Some(user)
    })
    .await;
    // The press's handler is parked before it changes anything, and Telegram has its
    // answer: it will not post the press again.
    w.api.hold_next("answercallbackquery");
    let press = common::botapi::button_update(2, user, ask.message_id().unwrap(), "1|x|y");
    assert_eq!(post(press).await, 200);
    assert!(w.api.wait_held(1, WAIT).await, "no answer\n{}", bot.log());
    bot.kill9();
    w.api.release();

    erasure_confirmed_after_restart(&w, user).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polls_that_fail_as_telegram_fails_lose_and_double_no_update() {
    let w = World::new("").await;
    let bot = w.start(1).await;
    let user = 6005;
    // Telegram's own failures of getUpdates, one after the other: a JSON 500, a 429
    // with retry_after, a cut connection. Each is retried; no poll confirms anything it
    // did not get.
    w.api.fail_next_json("getupdates", 500, 1);
    w.api.fail_next_json("getupdates", 429, 1);
    w.api.drop_next("getupdates", 1);
    let n = w.api.call_count();
    let last = ["/aiuto", "/privacy", "/annulla"]
        .map(|c| w.api.push_text(user, c))
        .into_iter()
        .max()
        .unwrap();
    let third = html("cancel.nothing", &[]);
    expect(&w.api, n, "the third reply", &bot, |c| c.text() == third).await;
    assert!(w.api.wait_confirmed(last, WAIT).await, "{}", bot.log());
    let log = bot.log();
    bot.term();
    let got = texts_to(&w.api, user);
    assert_eq!(got.len(), 3, "each update answered once, in order: {got:?}");
    assert_eq!(got[0], help_html());
    assert_eq!(got[2], third);
    assert!(
        log.contains("polling for updates failed"),
        "the failed polls were not reported\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_after_a_burst_repeats_at_most_twice_in_flight_and_loses_nothing() {
    let in_flight = 2;
    let w = World::new(&format!("in_flight = {in_flight}\n")).await;
    let bot = w.start(1).await;
    let users: Vec<i64> = (6100..6140).collect();
    let n = w.api.call_count();
    for &u in &users {
        w.api.push_text(u, "/aiuto");
    }
    for &u in &users {
        expect(&w.api, n, "a reply of the burst", &bot, |c| {
            c.method == "sendMessage" && c.chat() == Some(u)
        })
        .await;
    }
    // Killed as the last replies were accepted: some removals may not be on disk yet.
    bot.kill9();
    let bot = Running::start(&w.api, &w.config, &w.data, 2);
    let probe = 6200;
    let n = w.api.call_count();
    w.api.push_text(probe, "/aiuto");
    expect(&w.api, n, "the reply after the restart", &bot, |c| {
        c.method == "sendMessage" && c.chat() == Some(probe)
    })
    .await;
    // A clean stop ends the sends under way: every repeat has happened by now.
    bot.term();
    let mut repeated = 0;
    for &u in &users {
        let got = texts_to(&w.api, u);
        assert!(!got.is_empty(), "user {u} lost their reply");
        assert!(got.iter().all(|t| *t == help_html()), "{got:?}");
        repeated += got.len() - 1;
    }
    assert!(
        repeated <= 2 * in_flight,
        "{repeated} replies repeated, more than twice in_flight ({in_flight})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sent_reply_is_not_repeated_by_a_kill_once_its_removal_settled() {
    // `settle_ms = 0`: a sent reply's removal is on disk before anything else is sent.
    // No private-chat interval, so the next reply follows at once (with the old fixed
    // 50 ms window, its removal would still be waiting for a flush then).
    let w = World::new("settle_ms = 0\nprivate_interval_ms = 1\n").await;
    let bot = w.start(1).await;
    let user = 6301;
    // The first reply is parked while the second is stored behind it.
    w.api.hold_next("sendmessage");
    w.api.push_text(user, "/aiuto");
    assert!(w.api.wait_held(1, WAIT).await, "no send\n{}", bot.log());
    w.api.push_text(user, "/annulla");
    // One user's updates are handled in order: once this press is answered, the
    // second reply is stored and on disk.
    let n = w.api.call_count();
    w.api.push_button(user, 1, "forged<>");
    expect(&w.api, n, "the press's answer", &bot, |c| {
        c.method == "answerCallbackQuery"
    })
    .await;
    // The first reply's retry is accepted; the second reply is parked in its turn.
    w.api.pass_next("sendmessage", 1);
    w.api.hold_next("sendmessage");
    w.api.release();
    assert!(
        w.api.wait_held(2, WAIT).await,
        "the second reply was not sent\n{}",
        bot.log()
    );
    assert_eq!(texts_to(&w.api, user), [help_html()]);
    bot.kill9();
    w.api.release();

    let bot = Running::start(&w.api, &w.config, &w.data, 2);
    let n = w.api.call_count();
    let cancel = html("cancel.nothing", &[]);
    expect(&w.api, n, "the second reply", &bot, |c| c.text() == cancel).await;
    bot.term();
    let got = texts_to(&w.api, user);
    assert_eq!(
        got.iter().filter(|t| **t == help_html()).count(),
        1,
        "the accepted reply was sent again: {got:?}"
    );
    assert_eq!(got.iter().filter(|t| **t == cancel).count(), 1, "{got:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_group_does_not_delay_a_private_user() {
    let w = World::new("").await;
    w.api.limit(Limits {
        private_gap: Duration::from_secs(1),
        group_per_minute: 20,
        per_second: None,
        ..Limits::default()
    });
    let bot = w.start(1).await;
    let group = -1_003_333_333;
    let n = w.api.call_count();
    // The group's first reply is parked at the stand-in (Telegram slow for that chat):
    // until it is let go, the group cannot get anything out.
    w.api.hold_next("sendmessage");
    let mut last = 0;
    for member in 0..100 {
        last = w.api.push_group_text(group, 20_000 + member, "/bandi");
    }
    assert!(w.api.wait_confirmed(last, WAIT).await, "{}", bot.log());
    assert!(
        w.api.wait_held(1, WAIT).await,
        "the group's first reply was sent: {}",
        bot.log()
    );
    // Private users are answered while the group's send is stuck and its hundred
    // requests wait: barriers, not a stopwatch, so a loaded machine cannot fail it.
    for probe in 0..3 {
        let user = 7100 + probe;
        let from = w.api.call_count();
        w.api.push_text(user, "/start");
        expect(&w.api, from, "the private reply", &bot, |c| {
            c.chat() == Some(user)
        })
        .await;
    }
    assert!(
        !w.api
            .calls_since(n)
            .iter()
            .any(|c| c.method == "sendMessage" && c.chat() == Some(group)),
        "the group's send was still parked"
    );
    w.api.release();
    // Let go (cut before Telegram processed it), the group's reply is sent again.
    expect(&w.api, n, "a reply in the group", &bot, |c| {
        c.chat() == Some(group)
    })
    .await;
    // The group's waiting replies are merged into one message naming who asked (the
    // first five, «e altri»): a hundred identical answers take a few messages, not a
    // hundred minutes' worth of them. (Which members come first depends on how the
    // updates interleave with the first send: the first message may already merge a few.)
    let merged = expect(&w.api, n, "merged group replies", &bot, |c| {
        c.chat() == Some(group)
            && c.text().contains("Per Utente 200")
            && c.text().contains("e altri")
    })
    .await;
    let to_group = texts_to(&w.api, group);
    assert!(to_group.len() <= 3, "{} group messages", to_group.len());
    assert_eq!(
        merged.text().matches("I bandi che conosco").count(),
        1,
        "identical replies appear once"
    );
    assert_eq!(w.api.limited(), 0, "the bot kept within Telegram's limits");
    bot.term();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_button_press_is_answered() {
    // A low flood limit: presses over it are not handled, but still answered.
    let w = World::new("flood_messages = 3\nflood_window_secs = 60").await;
    let bot = w.start(1).await;
    let n = w.api.call_count();
    let mut presses = 0;
    for user in 6100..6110 {
        for data in ["1|l", "1|d", "forged<>", "1|h", "1|v"] {
            w.api.push_button(user, 1, data);
            presses += 1;
        }
    }
    let answered = |api: &StandIn| {
        api.calls_since(n)
            .iter()
            .filter(|c| c.method == "answerCallbackQuery")
            .count()
    };
    let wait = w
        .api
        .wait_for(n, WAIT, |_| answered(&w.api) >= presses)
        .await;
    assert!(wait.is_some(), "{} of {presses} answered", answered(&w.api));
    let ids: std::collections::HashSet<String> = w
        .api
        .calls_since(n)
        .iter()
        .filter(|c| c.method == "answerCallbackQuery")
        .map(|c| c.body["callback_query_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), presses, "each press answered once");
    bot.term();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_reply_is_doubled_after_faults_before_telegram_processed_it() {
    let w = World::new("").await;
    let bot = w.start(1).await;
    let users: Vec<i64> = (6200..6206).collect();
    // A mix of faults, each before the call is processed: Telegram's 429 and 5xx as
    // JSON, a proxy's HTML 502, a garbled 200 and cut connections.
    w.api.fail_next_json("sendmessage", 429, 2);
    w.api.fail_next_json("sendmessage", 500, 1);
    w.api.fail_next("sendmessage", 502, 1);
    w.api.fail_next("sendmessage", 200, 1);
    w.api.drop_next("sendmessage", 3);
    w.api.fail_next_json("sendmessage", 503, 1);
    let commands = ["/aiuto", "/annulla", "/privacy"];
    let n = w.api.call_count();
    for c in commands {
        for &u in &users {
            w.api.push_text(u, c);
        }
    }
    let expected = users.len() * commands.len();
    let count = |api: &StandIn| {
        api.calls_since(n)
            .iter()
            .filter(|c| c.method == "sendMessage" && users.contains(&c.chat().unwrap_or(0)))
            .count()
    };
    let done = w
        .api
        .wait_for(n, Duration::from_secs(60), |_| count(&w.api) >= expected)
        .await;
    assert!(
        done.is_some(),
        "{} of {expected}\n{}",
        count(&w.api),
        bot.log()
    );
    for &u in &users {
        let got = texts_to(&w.api, u);
        assert_eq!(got.len(), commands.len(), "user {u}: {got:#?}");
        assert_eq!(got[0], help_html(), "in order");
        assert_eq!(got[1], html("cancel.nothing", &[]), "in order");
        let mut seen = HashMap::new();
        for t in &got {
            *seen.entry(t).or_insert(0) += 1;
        }
        assert!(seen.values().all(|&n| n == 1), "user {u} got a reply twice");
    }
    bot.term();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_post_that_gets_a_502_is_retried_and_the_user_told_once_it_is_accepted() {
    let w = World::new("").await;
    let bot = w.start(1).await;
    let user = 6300;
    // The ticket's post is the first message after the command: it gets a 502.
    w.api.fail_next_json("sendmessage", 502, 1);
    let n = w.api.call_count();
    w.api
        .push_text(user, "/operatore Come si compila l'allegato B?");
    let done = html("handover.done", &[("number", "1")]);
    let told = expect(&w.api, n, "the user told", &bot, |c| c.text() == done).await;
    let queued = html("handover.queued", &[("number", "1")]);
    let calls = w.api.calls_since(n);
    let posts: Vec<&Call> = calls
        .iter()
        .filter(|c| c.chat() == Some(STAFF) && c.text().contains("allegato B"))
        .collect();
    assert_eq!(posts.len(), 1, "the ticket is posted once");
    let post = posts[0];
    let queued_at = calls
        .iter()
        .find(|c| c.text() == queued)
        .map(|c| c.at)
        .expect("the user is told the ticket is queued");
    assert!(queued_at < post.at, "queued, then posted");
    assert!(post.at < told.at, "posted, then passed on");
    assert_eq!(
        texts_to(&w.api, user),
        [queued, done],
        "told once that it waits, once that it was passed on"
    );
    // Staff can answer it: the post's id was recorded.
    bot.term();
    let store = sportello::store::Store::open(&w.data, 8).unwrap();
    let ticket = store.ticket(1).await.unwrap().unwrap();
    assert_eq!(ticket.message.map(i64::from), post.message_id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_queued_behind_another_in_the_staff_group_is_told_queued_before_the_one_ahead_goes()
 {
    let w = World::new("").await;
    let bot = w.start(1).await;
    // The two later users share a lane (ids 32 apart): handled in arrival order, so
    // their tickets are numbered 2 and 3.
    let (first, second, third) = (6330, 6331, 6363);
    let n = w.api.call_count();
    w.api
        .push_text(first, "/operatore Come si compila l'allegato B?");
    let post_1 = expect(&w.api, n, "the first ticket posted", &bot, |c| {
        c.chat() == Some(STAFF) && c.text().contains("allegato B")
    })
    .await;
    // Later in the group's spacing (a post every 3.05 s at Telegram's 20 a minute): the
    // next post is less than `HELD` (2 s) away, so the second ticket, next in line, is
    // not announced as queued; the third, behind it, waits more than 3 s.
    tokio::time::sleep_until(
        tokio::time::Instant::from_std(post_1.at) + Duration::from_millis(1500),
    )
    .await;
    w.api
        .push_text(second, "/operatore Serve la firma digitale?");
    w.api
        .push_text(third, "/operatore Si può cumulare con altri aiuti?");
    told_queued_then_posted(&w, &bot, n, third, "3", "cumulare").await;
    let calls = w.api.calls_since(n);
    let post_2 = calls
        .iter()
        .find(|c| c.chat() == Some(STAFF) && c.text().contains("firma digitale"))
        .expect("the second ticket is posted");
    let queued_3 = html("handover.queued", &[("number", "3")]);
    let told_3 = calls
        .iter()
        .find(|c| c.chat() == Some(third) && c.text() == queued_3)
        .expect("the third user is told");
    assert!(
        told_3.at < post_2.at,
        "the user behind the next post is told it is queued before that post goes, not after"
    );
    assert_eq!(
        texts_to(&w.api, second),
        [html("handover.done", &[("number", "2")])],
        "the next in line, posted within 2 s, is not announced as queued"
    );
    bot.term();
}

/// Waits until `user` is told ticket `number` was passed on, then checks what they
/// heard: «in coda» before the staff post holding `asked`, then «passato», nothing else.
async fn told_queued_then_posted(
    w: &World,
    bot: &Running,
    from: usize,
    user: i64,
    number: &str,
    asked: &str,
) {
    let done = html("handover.done", &[("number", number)]);
    expect(&w.api, from, "the user told it was passed on", bot, |c| {
        c.chat() == Some(user) && c.text() == done
    })
    .await;
    let calls = w.api.calls_since(from);
    let post = calls
        .iter()
        .find(|c| c.chat() == Some(STAFF) && c.text().contains(asked))
        .expect("the ticket is posted");
    let queued = html("handover.queued", &[("number", number)]);
    let queued_at = calls
        .iter()
        .find(|c| c.chat() == Some(user) && c.text() == queued)
        .map(|c| c.at)
        .expect("the user is told the ticket is queued while its post waits");
    assert!(queued_at < post.at, "queued, then posted");
    assert_eq!(texts_to(&w.api, user), [queued, done]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_whose_post_the_staff_groups_limit_holds_back_is_told_queued_before_it_goes() {
    let w = World::new("").await;
    let bot = w.start(1).await;
    let (first, second) = (6310, 6311);
    let n = w.api.call_count();
    w.api
        .push_text(first, "/operatore Come si compila l'allegato B?");
    let done_1 = html("handover.done", &[("number", "1")]);
    expect(&w.api, n, "the first user told", &bot, |c| {
        c.chat() == Some(first) && c.text() == done_1
    })
    .await;
    // The staff group has just had a post: at Telegram's 20 a minute the next one waits
    // about 3 s, less than `LATE` (5 s) but more than `HELD` (2 s).
    w.api
        .push_text(second, "/operatore Serve la firma digitale?");
    told_queued_then_posted(&w, &bot, n, second, "2", "firma digitale").await;
    assert_eq!(
        texts_to(&w.api, first),
        [done_1],
        "a post that went at once is not announced as queued"
    );
    bot.term();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_whose_post_gets_a_429_asking_to_wait_is_told_queued_before_it_goes() {
    let w = World::new("").await;
    let bot = w.start(1).await;
    let user = 6320;
    // The post's first attempt is refused: retry after 3 s, less than `LATE` (5 s) but
    // more than `HELD` (2 s).
    w.api.retry_after_next("sendmessage", 3);
    let n = w.api.call_count();
    w.api
        .push_text(user, "/operatore Si può cumulare con altri aiuti?");
    told_queued_then_posted(&w, &bot, n, user, "1", "cumulare").await;
    bot.term();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_asked_while_the_bot_is_still_starting_is_heard() {
    let w = World::new("").await;
    // Connected, and publishing its menus: the first setMyCommands is parked.
    w.api.hold_next("setmycommands");
    let bot = Running::start(&w.api, &w.config, &w.data, 1);
    assert!(w.api.wait_held(1, WAIT).await, "no menus\n{}", bot.log());
    bot.ask_to_stop();
    w.api.release();
    // One SIGTERM, sent before the bot listened for updates: it leaves by itself.
    bot.leaves();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_long_polls_end_quietly_and_the_next_message_is_answered_at_once() {
    let w = World::new("").await;
    let bot = w.start(1).await;
    // Three polls of 2 s each end empty, as Telegram's do when nothing happens.
    assert!(w.api.wait_idle_polls(3, WAIT).await, "{}", bot.log());
    let n = w.api.call_count();
    let id = w.api.push_text(6400, "/aiuto");
    let reply = expect(&w.api, n, "the reply", &bot, |c| c.chat() == Some(6400)).await;
    let waited = reply.at.duration_since(w.api.pushed_at(id).unwrap());
    assert!(waited < Duration::from_secs(1), "answered after {waited:?}");
    let log = bot.log();
    assert!(
        !log.lines()
            .any(|l| l.contains(" WARN ") || l.contains("ERROR")),
        "warnings while idle:\n{log}"
    );
    bot.term();
}
