//! A full disk, with the real `sportello run` binary on the embedded store against the
//! Bot API stand-in of `tests/common`: the data directory's files may not grow past a limit
//! (`RLIMIT_FSIZE`: a write past it fails as on a full disk, with `EFBIG`).
//!
//! The store takes no write again in that process once a write failed, so the bot
//! stops with an error that says why, having confirmed to Telegram only what its inbox
//! kept on disk; restarted with room on the disk, it answers every message: those sent
//! while it was failing and stopped come back from Telegram, the one being handled from
//! Telegram or the inbox. Each is answered once, but for the replies in flight at the
//! failure, as after a kill.

mod common;

use std::time::Duration;

use common::botapi::{Call, StandIn};
use common::process::{Running, TOKEN, config, says_back};
use sportello::text::{Lang, texts};

const WAIT: Duration = Duration::from_secs(30);
/// The largest file the full disk holds: above the store's first MiB of log (allocated
/// ahead, as zeros, at the first write; README «The embedded store»), below its second,
/// which a few hundred answers need.
const FULL: u64 = 1536 * 1024;

fn help_html() -> String {
    sportello::command::help(texts(Lang::It)).to_html()
}

/// What the stand-in processed for `chat`.
fn sent_to(api: &StandIn, chat: i64) -> Vec<Call> {
    api.calls()
        .into_iter()
        .filter(|c| c.method == "sendMessage" && c.chat() == Some(chat))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_stops_the_bot_and_every_message_is_answered_after_a_restart() {
    let api = StandIn::start(TOKEN).await;
    let dir = tempfile::tempdir().unwrap();
    let config = config(
        dir.path(),
        "[telegram]\npoll_timeout_secs = 2\nflood_messages = 1000\nin_flight = 1\n",
    );
    let data = dir.path().join("data");
    // A first run makes the data directory.
    let bot = Running::start(&api, &config, &data, 1);
    says_back(&api, &bot, 7000, "/aiuto").await;
    bot.term();

    // The disk fills while users write, one after the other, each a new user.
    let mut bot = Running::start_on_full_disk(&api, &config, &data, 2, FULL);
    let mut users = Vec::new();
    let status = loop {
        assert!(users.len() < 5_000, "the disk never filled\n{}", bot.log());
        let user = 7100 + users.len() as i64;
        let n = api.call_count();
        api.push_text(user, "/aiuto");
        users.push(user);
        let answered = api.wait_for(n, WAIT, |c| c.chat() == Some(user));
        tokio::select! {
            got = answered => assert!(got.is_some(), "no answer, and running\n{}", bot.log()),
            status = bot.exited(WAIT) => break status,
        }
    };
    // It stopped by itself, with an error that says why.
    let log = bot.log();
    let Some(status) = status else {
        panic!("a message unanswered, and still running\n{log}")
    };
    assert!(!status.success(), "{status:?}\n{log}");
    assert!(log.contains("the store can keep nothing more"), "{log}");
    assert!(log.contains("restart once the disk has room"), "{log}");
    // Said once, not again by every tree of the database as it is dropped.
    assert!(!log.contains("failed to flush data to disk"), "{log}");
    assert!(users.len() > 1, "it failed at the first message\n{log}");
    // Two more write while it is down.
    for u in [6990, 6991] {
        api.push_text(u, "/aiuto");
        users.push(u);
    }

    // Restarted with room: every message is answered, each once.
    let bot = Running::start(&api, &config, &data, 3);
    for &u in &users {
        let got = api.wait_for(0, WAIT, |c| c.chat() == Some(u)).await;
        assert!(got.is_some(), "user {u} never answered\n{}", bot.log());
    }
    let last = api.push_text(7000, "/aiuto");
    assert!(api.wait_confirmed(last, WAIT).await, "{}", bot.log());
    bot.term();
    // Each once, but for what was in flight at the failure (as after a kill, README
    // «Once»): a reply Telegram accepted whose removal from the outbox could not reach
    // the disk any more is sent again, at most twice `in_flight` of them, all of them
    // among the last answered before the stop.
    let mut twice = Vec::new();
    for (i, &u) in users.iter().enumerate() {
        let got = sent_to(&api, u);
        assert!(
            got.iter().all(|c| c.text() == help_html()),
            "user {u}: {got:#?}"
        );
        match got.len() {
            1 => {}
            2 => twice.push(i),
            n => panic!("user {u} answered {n} times"),
        }
    }
    let down = users.len() - 2;
    assert!(
        twice.len() <= 2 && twice.iter().all(|&i| i + 4 > down),
        "answered twice: {twice:?} of {down} written before the stop"
    );
}
