//! The real `sportello` binary against the Bot API stand-in of `tests/common` on
//! 127.0.0.1: registration of commands, conversation over real HTTP, `kill -9` in the
//! middle of a dialogue and a restart that goes on at the same step, clean stop on
//! SIGTERM, network faults while polling and sending, and the missing-token message.
//!
//! To extend the crash test to another dialogue, add a [`Step`] list to
//! `crash_steps` and its continuation after the restart.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::botapi::{Call, StandIn};
use sportello::app::Loaded;
use sportello::command::Who;
use sportello::store::{Store, UserId};
use sportello::text::{Lang, texts};

const TOKEN: &str = "123456789:TEST_token-that_must_never_be_logged";
const WAIT: Duration = Duration::from_secs(20);

/// `/aiuto` in Italian, as sent (built from the command table).
fn help_html() -> String {
    sportello::command::help(texts(Lang::It)).to_html()
}

fn html(key: &str) -> String {
    texts(Lang::It).t(key, &[]).to_html()
}

/// A running bot process, with its log in `log`.
struct Running {
    child: Child,
    log: PathBuf,
}

impl Running {
    fn start(api: &StandIn, data: &Path, run: u32) -> Running {
        let log = data.with_extension(format!("log{run}"));
        let child = Command::new(env!("CARGO_BIN_EXE_sportello"))
            .arg("--config")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml"))
            .arg("--data-dir")
            .arg(data)
            .arg("run")
            .env("TELOXIDE_TOKEN", TOKEN)
            .env("TELOXIDE_API_URL", api.url())
            .env("RUST_LOG", "sportello=debug,teloxide=info,warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("starting sportello");
        Running { child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: no chance to flush or say goodbye.
    fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.check_log();
    }

    /// SIGTERM, then the process must leave by itself, successfully.
    fn term(mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let end = std::time::Instant::now() + WAIT;
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                assert!(s.success(), "exit {s:?}\n{}", self.log());
                break;
            }
            assert!(
                std::time::Instant::now() < end,
                "no clean stop\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        self.check_log();
    }

    fn check_log(&self) {
        let log = self.log();
        assert!(
            !log.contains("TEST_token"),
            "the token reached the log:\n{log}"
        );
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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

/// Sends `text` as `user` and returns the bot's first message to them.
async fn say(api: &StandIn, bot: &Running, user: i64, text: &str) -> Call {
    let n = api.call_count();
    api.push_text(user, text);
    expect(api, n, &format!("reply to {text}"), bot, |c| {
        c.method == "sendMessage" && c.chat() == Some(user)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_in_the_middle_of_a_dialogue_and_go_on_after_restart() {
    let api = StandIn::start(TOKEN).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let user = 5001;

    let bot = Running::start(&api, &data, 1);
    let cmds = expect(&api, 0, "setMyCommands", &bot, |c| {
        c.method == "setMyCommands"
    })
    .await;
    let names: Vec<&str> = cmds.body["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["command"].as_str().unwrap())
        .collect();
    let wanted: Vec<&str> = sportello::command::menu(texts(Lang::It), Who::Users)
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    assert_eq!(names, wanted);

    // A call card, so the session has a topic, then the erase confirmation is pending.
    let list = say(&api, &bot, user, "/bandi").await;
    assert_eq!(list.body["parse_mode"], "HTML");
    let open = list.button_data()[0].clone();
    let n = api.call_count();
    api.push_button(user, list.message_id().unwrap(), &open);
    expect(&api, n, "answerCallbackQuery", &bot, |c| {
        c.method == "answerCallbackQuery"
    })
    .await;
    expect(&api, n, "call card", &bot, |c| c.method == "sendMessage").await;
    let ask = say(&api, &bot, user, "/cancellami").await;
    assert_eq!(ask.text(), html("erase.ask"));
    assert_eq!(ask.button_data(), ["1|x|y", "1|x|n"]);

    bot.kill9();

    // The restarted bot remembers the pending confirmation: "yes" still works and
    // replaces the question. (The kill came as Telegram took the question, before the
    // bot heard back: the outbox may send it once more at start, at-least-once.)
    let bot = Running::start(&api, &data, 2);
    let n = api.call_count();
    api.push_button(user, ask.message_id().unwrap(), "1|x|y");
    let asked = html("erase.ask");
    let done = expect(&api, n, "the erase confirmation", &bot, |c| {
        c.method == "editMessageText"
            || (c.method == "sendMessage" && c.chat() == Some(user) && c.text() != asked)
    })
    .await;
    assert_eq!(done.method, "editMessageText", "{done:?}");
    assert_eq!(done.body["message_id"], ask.message_id().unwrap());
    assert_eq!(done.text(), html("erase.done"));
    bot.term();

    // After a clean stop the database opens and holds nothing about the user.
    let store = Store::open(&data, 8).unwrap();
    assert!(matches!(
        sportello::app::session::load(&store, UserId(user))
            .await
            .unwrap()
            .0,
        Loaded::Fresh(_)
    ));
}

/// The message of the bot that shows question `n` of a check (sent or edited in place).
async fn question(api: &StandIn, from: usize, bot: &Running, n: u32) -> Call {
    let wanted = format!("Domanda {n} di");
    expect(api, from, &wanted, bot, |c| {
        (c.method == "sendMessage" || c.method == "editMessageText") && c.text().contains(&wanted)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_in_the_middle_of_the_eligibility_check_goes_on_at_the_same_question() {
    let api = StandIn::start(TOKEN).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let user = 5005;
    let bot = Running::start(&api, &data, 1);
    let n = api.call_count();
    api.push_text(user, "/verifica alfa-2026");
    let q1 = question(&api, n, &bot, 1).await;
    let pmi = q1.button_data()[0].clone();
    let n = api.call_count();
    api.push_button(user, q1.message_id().unwrap(), &pmi);
    let q2 = question(&api, n, &bot, 2).await;
    let yes = q2.button_data()[0].clone();

    bot.kill9();

    // After the restart the pending question's buttons still work, and the check goes on
    // from question 2 to question 3, with the first answer kept.
    let bot = Running::start(&api, &data, 2);
    let n = api.call_count();
    let message = q2.message_id().or(q1.message_id()).unwrap();
    api.push_button(user, message, &yes);
    let q3 = question(&api, n, &bot, 3).await;
    assert!(!q3.text().contains("non è più valido"), "{}", q3.text());
    // A typed answer works as well after the restart.
    let n = api.call_count();
    api.push_text(user, "/indietro");
    question(&api, n, &bot, 2).await;
    bot.term();
    let store = Store::open(&data, 8).unwrap();
    let Loaded::Found(s) = sportello::app::session::load(&store, UserId(user))
        .await
        .unwrap()
        .0
    else {
        panic!("the session was lost")
    };
    let sportello::dialogue::State::Eligibility(p) = s.state else {
        panic!("not in the check any more: {:?}", s.state)
    };
    assert_eq!(p.answers.len(), 1, "{p:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_9_keeps_the_topic_of_the_conversation() {
    let api = StandIn::start(TOKEN).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let user = 5002;
    let bot = Running::start(&api, &data, 1);
    let list = say(&api, &bot, user, "/bandi").await;
    let open = list.button_data()[1].clone();
    let n = api.call_count();
    api.push_button(user, list.message_id().unwrap(), &open);
    expect(&api, n, "call card", &bot, |c| c.method == "sendMessage").await;
    bot.kill9();
    let store = Store::open(&data, 8).unwrap();
    let Loaded::Found(s) = sportello::app::session::load(&store, UserId(user))
        .await
        .unwrap()
        .0
    else {
        panic!("the session was lost by kill -9")
    };
    assert_eq!(
        s.topic.map(|t| format!("1|c|{t}")),
        Some(open),
        "the topic survives"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_faults_are_retried_in_order_and_no_update_is_lost() {
    let api = StandIn::start(TOKEN).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let user = 5003;
    let bot = Running::start(&api, &data, 1);
    expect(&api, 0, "setMyCommands", &bot, |c| {
        c.method == "setMyCommands"
    })
    .await;
    // A proxy in trouble: polling gets a 429 and a 502 (teloxide waits 10 s after any
    // 5xx), the first send a garbled answer, the next a 429 (both retried by the
    // outbox's sender).
    api.fail_next("getupdates", 429, 1);
    api.fail_next("getupdates", 502, 1);
    api.fail_next("sendmessage", 200, 1);
    api.fail_next("sendmessage", 429, 1);
    let n = api.call_count();
    api.push_text(user, "/aiuto");
    api.push_text(user, "/privacy");
    api.push_text(user, "/annulla");
    let third = html("cancel.nothing");
    let slow = Duration::from_secs(40);
    if api.wait_for(n, slow, |c| c.text() == third).await.is_none() {
        panic!("replies lost: {:#?}\n{}", api.calls_since(n), bot.log());
    }
    let texts: Vec<String> = api
        .calls_since(n)
        .into_iter()
        .filter(|c| c.method == "sendMessage" && c.chat() == Some(user))
        .map(|c| c.text().to_string())
        .collect();
    assert_eq!(texts.len(), 3, "{texts:#?}");
    assert_eq!(texts[0], help_html());
    assert!(texts[1].starts_with("<b>I tuoi dati</b>"), "{}", texts[1]);
    assert_eq!(texts[2], third);
    bot.term();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_mode_checks_the_secret_token() {
    let api = StandIn::start(TOKEN).await;
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = dir.path().join("webhook.toml");
    std::fs::write(
        &cfg,
        format!(
            "[knowledge]\ndir = \"{}/knowledge\"\n[telegram]\nmode = \"webhook\"\n\
             webhook_listen = \"127.0.0.1:{port}\"\n\
             webhook_url = \"http://127.0.0.1:{port}/hook\"\n",
            env!("CARGO_MANIFEST_DIR")
        ),
    )
    .unwrap();
    let log = dir.path().join("log");
    let child = Command::new(env!("CARGO_BIN_EXE_sportello"))
        .arg("--config")
        .arg(&cfg)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("run")
        .env("TELOXIDE_TOKEN", TOKEN)
        .env("TELOXIDE_API_URL", api.url())
        // From the environment, the same at every start (and on every instance).
        .env("SPORTELLO_WEBHOOK_SECRET", "webhook_Secret-42")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let bot = Running { child, log };
    let set = expect(&api, 0, "setWebhook", &bot, |c| c.method == "setWebhook").await;
    assert_eq!(set.body["secret_token"], "webhook_Secret-42");
    assert_eq!(set.body["url"], format!("http://127.0.0.1:{port}/hook"));
    let secret = set.body["secret_token"]
        .as_str()
        .expect("a secret token")
        .to_string();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let user = 5004;
    // Wait until the listener accepts connections.
    let mut status = 0;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            let forged = common::botapi::text_update(1, user, "/aiuto");
            status = common::botapi::post_update(addr, "/hook", Some("wrong"), &forged).await;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!((400..500).contains(&status), "a wrong secret got {status}");
    let n = api.call_count();
    let good = common::botapi::text_update(2, user, "/aiuto");
    assert_eq!(
        common::botapi::post_update(addr, "/hook", Some(&secret), &good).await,
        200
    );
    let reply = expect(&api, n, "reply by webhook", &bot, |c| {
        c.method == "sendMessage" && c.chat() == Some(user)
    })
    .await;
    assert_eq!(reply.text(), help_html());
    assert!(
        !api.calls()
            .iter()
            .any(|c| c.method == "sendMessage" && c.text() == help_html() && c.at < reply.at),
        "the forged update was handled"
    );
    bot.term();
    // Telegram keeps the webhook across the stop (other instances may serve it).
    assert!(!api.calls().iter().any(|c| c.method == "deleteWebhook"));
}

#[test]
fn without_a_token_it_explains_how_to_get_one() {
    let out = Command::new(env!("CARGO_BIN_EXE_sportello"))
        .arg("--config")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml"))
        .arg("run")
        .env_remove("TELOXIDE_TOKEN")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("@BotFather"), "{err}");
    assert!(err.contains("sportello console"), "{err}");
    assert!(err.contains("TELOXIDE_TOKEN"), "{err}");
}
