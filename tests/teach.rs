//! Staff teach the bot (issue 16), driven through the Telegram adapter (teloxide_tests'
//! MockBot): a ticket answered, saved as a FAQ, edited, validated, approved by a second
//! staff member and then answered for a new user; a draft refused for an unknown call; a
//! knowledge directory that cannot be written; withdraw and restore with `/faq`; and two
//! approvals racing (two tasks released together by a barrier).
//! Expected texts come from `locales/it.toml`.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use sportello::app::{App, Brain, Delivery, Incoming};
use sportello::dialogue::{Event, Settings};
use sportello::helpdesk::Staff;
use sportello::helpdesk::audit;
use sportello::helpdesk::drafts::STAFF_FILE;
use sportello::store::{DraftStatus, Store, UserId};
use sportello::telegram::{Adapter, HandlerError, schema};
use sportello::text::{Lang, texts};
use teloxide::dptree::deps;
use teloxide::prelude::*;
use teloxide::types::{Chat, InlineKeyboardButtonKind, Message, User};
use teloxide_tests::mock_bot::DistributionKey;
use teloxide_tests::{
    IntoUpdate, MockBot, MockCallbackQuery, MockGroupChat, MockMessageText, MockPrivateChat,
    MockUser,
};

const KNOWLEDGE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/knowledge");
const GROUP: i64 = MockGroupChat::ID;
/// Two staff members: Anna answers and writes the draft, Bruno approves.
const ANNA: u64 = 4_440_001;
const BRUNO: u64 = 4_440_002;
const USER: u64 = 5_550_001;
const NEWCOMER: u64 = 5_550_002;
/// A question the shipped knowledge cannot answer with confidence.
const QUESTION: &str = "posso pagare il corso di yoga xqzt ai dipendenti con lo zkrwm?";
const ANSWER: &str =
    "Sì: il corso xqzt rientra nei servizi di welfare, con il modulo zkrwm firmato.";

type Bot_ = MockBot<HandlerError, DistributionKey>;

fn copy_dir(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// An app on a private copy of the knowledge (the flow writes into it).
fn app_in(dir: &Path) -> App {
    copy_dir(Path::new(KNOWLEDGE), dir);
    App::new(
        Brain::load(dir).unwrap(),
        dir.to_path_buf(),
        Store::temporary().unwrap(),
        Settings {
            staff: Staff {
                chat: Some(GROUP),
                users: vec![],
            },
            ..Settings::default()
        },
    )
}

fn mock(update: impl IntoUpdate, ad: &Arc<Adapter>) -> Bot_ {
    let mut bot = MockBot::new(update, schema::<Bot>());
    bot.dependencies(deps![ad.clone()]);
    bot
}

fn s(key: &str, args: &[(&str, &str)]) -> String {
    texts(Lang::It).s(key, args)
}

fn person(id: u64, name: &str) -> User {
    MockUser::new().id(id).first_name(name).build()
}

fn private(id: u64) -> Chat {
    MockPrivateChat::new().id(id as i64).build()
}

fn from_user(id: u64, text: &str) -> MockMessageText {
    MockMessageText::new()
        .text(text)
        .from(person(id, "Utente"))
        .chat(private(id))
}

fn in_group(staff: u64, text: &str) -> MockMessageText {
    let name = if staff == ANNA { "Anna" } else { "Bruno" };
    MockMessageText::new()
        .text(text)
        .from(person(staff, name))
        .chat(MockGroupChat::new().build())
}

fn press(staff: u64, data: &str, on: &Message) -> MockCallbackQuery {
    let name = if staff == ANNA { "Anna" } else { "Bruno" };
    MockCallbackQuery::new()
        .data(data)
        .from(person(staff, name))
        .message(on.clone())
}

/// Plain texts sent to `chat` in the last dispatch.
fn to(bot: &Bot_, chat: i64) -> Vec<String> {
    bot.get_responses()
        .sent_messages
        .iter()
        .filter(|m| m.chat.id.0 == chat)
        .filter_map(|m| m.text().map(str::to_string))
        .collect()
}

fn last_to(bot: &Bot_, chat: i64) -> Message {
    bot.get_responses()
        .sent_messages
        .iter()
        .rev()
        .find(|m| m.chat.id.0 == chat)
        .cloned()
        .expect("a message to that chat")
}

fn buttons(m: &Message) -> Vec<(String, String)> {
    m.reply_markup()
        .map(|kb| {
            kb.inline_keyboard
                .iter()
                .flatten()
                .filter_map(|b| match &b.kind {
                    InlineKeyboardButtonKind::CallbackData(d) => Some((b.text.clone(), d.clone())),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

fn data_of(m: &Message, label: &str) -> Option<String> {
    buttons(m)
        .into_iter()
        .find(|(l, _)| l == label)
        .map(|(_, d)| d)
}

async fn run(bot: &mut Bot_, update: impl IntoUpdate) {
    bot.update(update);
    bot.dispatch().await;
}

/// Whether a newcomer asking `QUESTION` now gets the staff answer.
async fn newcomer_gets_answer(bot: &mut Bot_) -> bool {
    run(bot, from_user(NEWCOMER, QUESTION)).await;
    // (the answer's words asked for are highlighted: compare a part without them)
    to(bot, NEWCOMER as i64)
        .iter()
        .any(|t| t.contains("rientra nei servizi di welfare, con il modulo"))
}

/// From a user's question to a staff answer relayed and offered as a FAQ; returns the
/// delivery confirmation (with «📌 Salva come FAQ»).
async fn answered_ticket(bot: &mut Bot_) -> Message {
    // Alike questions asked before, left without an answer: proposed as phrasings.
    for q in [
        "corso di yoga xqzt pagato ai dipendenti con lo zkrwm",
        "yoga xqzt per i dipendenti con lo zkrwm si può pagare?",
    ] {
        run(bot, from_user(5_550_100, q)).await;
    }
    run(bot, from_user(USER, QUESTION)).await;
    let answer = last_to(bot, USER as i64);
    let operator = data_of(&answer, &s("button.operator", &[])).expect("an operator button");
    let user = person(USER, "Utente");
    run(
        bot,
        MockCallbackQuery::new()
            .data(&operator)
            .from(user)
            .message(answer),
    )
    .await;
    let ticket = last_to(bot, GROUP);
    run(bot, in_group(ANNA, ANSWER).reply_to_message(ticket)).await;
    assert_eq!(bot.get_responses().copied_messages.len(), 1);
    last_to(bot, GROUP)
}

#[tokio::test]
async fn a_relayed_answer_becomes_a_faq_that_answers_the_next_user() {
    let dir = tempfile::tempdir().unwrap();
    let app = Arc::new(app_in(dir.path()));
    let ad = Adapter::new(app.clone(), 1000, Duration::from_secs(60));
    let mut bot = mock(from_user(NEWCOMER, "ciao"), &ad);
    bot.dispatch().await;
    let confirmation = answered_ticket(&mut bot).await;
    let save = data_of(&confirmation, &s("teach.button.save", &[])).expect("«Salva come FAQ»");

    // Saved: a draft with the user's question, the answer, the phrasings of the log.
    run(&mut bot, press(ANNA, &save, &confirmation)).await;
    let card = last_to(&bot, GROUP);
    let text = card.text().unwrap().to_string();
    assert!(text.contains(QUESTION) && text.contains(ANSWER), "{text}");
    assert!(
        text.contains("corso di yoga xqzt pagato ai dipendenti con lo zkrwm"),
        "{text}"
    );
    assert!(text.contains(&s("teach.card.valid", &[])), "{text}");
    assert!(text.contains("Anna, help desk"), "{text}");
    let d = app.store.draft(1).await.unwrap().unwrap();
    assert_eq!(d.status, DraftStatus::Open);
    assert_eq!(d.alternatives.len(), 2);

    // Edited: a bad call id is refused by the loader, with its file and line.
    run(&mut bot, in_group(ANNA, "bando: inesistente-2099")).await;
    let card = last_to(&bot, GROUP);
    let text = card.text().unwrap().to_string();
    assert!(text.contains("unknown call «inesistente-2099»"), "{text}");
    assert!(text.contains("staff.toml:"), "{text}");
    assert_eq!(data_of(&card, &s("teach.button.publish", &[])), None);
    // A forged «Pubblica» on the failing draft publishes nothing.
    run(&mut bot, press(BRUNO, "f|p|1", &card)).await;
    assert_eq!(
        to(&bot, GROUP),
        [s("teach.approve.invalid", &[("id", "1")])]
    );
    assert!(!dir.path().join(STAFF_FILE).exists());

    // Fixed, and a phrasing dropped.
    run(&mut bot, in_group(ANNA, "bando: alfa-2026")).await;
    let card = last_to(&bot, GROUP);
    let drop = buttons(&card)
        .into_iter()
        .find(|(_, d)| d == "f|k|1|1")
        .expect("a button per phrasing");
    run(&mut bot, press(ANNA, &drop.1, &card)).await;
    let card = last_to(&bot, GROUP);
    let publish = data_of(&card, &s("teach.button.publish", &[])).expect("valid again");

    // Not live before approval, and the author cannot approve alone.
    assert!(!newcomer_gets_answer(&mut bot).await);
    run(&mut bot, press(ANNA, &publish, &card)).await;
    assert_eq!(to(&bot, GROUP), [s("teach.approve.second", &[])]);
    assert!(!dir.path().join(STAFF_FILE).exists());

    // Bruno approves: written, reloaded, the ticket's user hears nothing new.
    run(&mut bot, press(BRUNO, &publish, &card)).await;
    assert_eq!(to(&bot, USER as i64), Vec::<String>::new());
    let note = to(&bot, GROUP).remove(0);
    assert!(note.starts_with("✅ FAQ n. 1 pubblicata"), "{note}");
    let file = std::fs::read_to_string(dir.path().join(STAFF_FILE)).unwrap();
    assert!(file.contains("id = \"staff-1\"") && file.contains("calls = [\"alfa-2026\"]"));
    assert!(
        file.contains("yoga xqzt pagato") && !file.contains("si può pagare?"),
        "{file}"
    );
    let faq = app
        .brain()
        .knowledge
        .faqs
        .iter()
        .find(|f| f.id == "staff-1")
        .cloned();
    assert_eq!(faq.map(|f| f.answer), Some(ANSWER.to_string()));
    assert!(newcomer_gets_answer(&mut bot).await);

    let log: Vec<String> = audit::read(dir.path())
        .into_iter()
        .map(|r| r.action)
        .collect();
    assert_eq!(log, ["draft", "publish"]);
}

/// Publishes draft 1 (Anna answers, Bruno approves); returns the bot.
async fn published(app: &Arc<App>) -> Bot_ {
    let ad = Adapter::new(app.clone(), 1000, Duration::from_secs(60));
    let mut bot = mock(from_user(NEWCOMER, "ciao"), &ad);
    bot.dispatch().await;
    let confirmation = answered_ticket(&mut bot).await;
    let save = data_of(&confirmation, &s("teach.button.save", &[])).unwrap();
    run(&mut bot, press(ANNA, &save, &confirmation)).await;
    let card = last_to(&bot, GROUP);
    run(&mut bot, press(BRUNO, "f|p|1", &card)).await;
    assert_eq!(
        app.store.draft(1).await.unwrap().unwrap().status,
        DraftStatus::Published
    );
    bot
}

#[tokio::test]
async fn withdraw_and_restore_from_the_faq_command() {
    let dir = tempfile::tempdir().unwrap();
    let app = Arc::new(app_in(dir.path()));
    let mut bot = published(&app).await;
    assert!(newcomer_gets_answer(&mut bot).await);

    run(&mut bot, in_group(BRUNO, "/faq")).await;
    let list = to(&bot, GROUP).remove(0);
    assert!(list.contains("n. 1") && list.contains(QUESTION), "{list}");

    run(&mut bot, in_group(BRUNO, "/faq ritira 1")).await;
    assert_eq!(to(&bot, GROUP), [s("teach.withdraw.reason", &[])]);
    run(
        &mut bot,
        in_group(BRUNO, "/faq ritira 1 superata dal nuovo bando"),
    )
    .await;
    assert_eq!(to(&bot, GROUP), [s("teach.withdrawn", &[("id", "1")])]);
    // Its only entry gone, the file is gone; the backup keeps it.
    assert!(!dir.path().join(STAFF_FILE).exists());
    assert!(
        std::fs::read_to_string(dir.path().join(format!("{STAFF_FILE}.bak")))
            .unwrap()
            .contains("staff-1")
    );
    assert!(!newcomer_gets_answer(&mut bot).await);

    run(&mut bot, in_group(ANNA, "/faq")).await;
    let list = last_to(&bot, GROUP);
    assert!(list.text().unwrap().contains("superata dal nuovo bando"));
    let restore = data_of(&list, &s("teach.button.restore", &[("id", "1")])).unwrap();
    run(&mut bot, press(ANNA, &restore, &list)).await;
    assert_eq!(to(&bot, GROUP), [s("teach.restored", &[("id", "1")])]);
    assert!(newcomer_gets_answer(&mut bot).await);

    let log: Vec<(String, String, String)> = audit::read(dir.path())
        .into_iter()
        .map(|r| (r.action, r.by_name, r.reason))
        .collect();
    assert_eq!(
        log[2..],
        [
            (
                "withdraw".into(),
                "Bruno".into(),
                "superata dal nuovo bando".into()
            ),
            ("restore".into(), "Anna".into(), String::new()),
        ]
    );
}

#[tokio::test]
async fn a_knowledge_directory_that_cannot_be_written_publishes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let app = Arc::new(app_in(dir.path()));
    let ad = Adapter::new(app.clone(), 1000, Duration::from_secs(60));
    let mut bot = mock(from_user(NEWCOMER, "ciao"), &ad);
    bot.dispatch().await;
    let confirmation = answered_ticket(&mut bot).await;
    let save = data_of(&confirmation, &s("teach.button.save", &[])).unwrap();
    run(&mut bot, press(ANNA, &save, &confirmation)).await;
    let card = last_to(&bot, GROUP);
    let faq = dir.path().join("faq");
    let before: Vec<_> = std::fs::read_dir(&faq)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    // Read-only; and, since root ignores modes, the temporary file's name is taken by a
    // directory so that creating it fails for anyone.
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir(faq.join(".staff.toml.tmp")).unwrap();
    std::fs::set_permissions(&faq, std::fs::Permissions::from_mode(0o555)).unwrap();
    run(&mut bot, press(BRUNO, "f|p|1", &card)).await;
    std::fs::set_permissions(&faq, std::fs::Permissions::from_mode(0o755)).unwrap();
    let msgs = to(&bot, GROUP);
    assert!(
        msgs[0].starts_with("❌ Non ho potuto scrivere faq/staff.toml"),
        "{msgs:?}"
    );
    std::fs::remove_dir(faq.join(".staff.toml.tmp")).unwrap();
    let after: Vec<_> = std::fs::read_dir(&faq)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(before, after, "no file written, not even half of one");
    assert_eq!(
        app.store.draft(1).await.unwrap().unwrap().status,
        DraftStatus::Open,
        "still a draft, to approve again"
    );
    assert!(app.brain().knowledge.faqs.iter().all(|f| f.id != "staff-1"));
    assert!(
        audit::read(dir.path())
            .iter()
            .all(|r| r.action != "publish")
    );
    // Writable again: the same button publishes it.
    run(&mut bot, press(BRUNO, "f|p|1", &card)).await;
    assert!(dir.path().join(STAFF_FILE).exists());
}

#[tokio::test]
async fn two_approvals_at_once_publish_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app_in(dir.path());
    app.settings.staff.users = vec![ANNA as i64, BRUNO as i64, 4_440_003];
    let app = Arc::new(app);
    {
        // A validated draft, written from /statistiche (so no ticket is needed here).
        let ad = Adapter::new(app.clone(), 1000, Duration::from_secs(60));
        let mut bot = mock(from_user(5_550_100, QUESTION), &ad);
        bot.dispatch().await;
        run(&mut bot, in_group(ANNA, "/statistiche")).await;
        let stats = last_to(&bot, GROUP);
        let write = buttons(&stats)
            .into_iter()
            .find(|(_, d)| d.starts_with("f|w|"))
            .expect("«Scrivi la FAQ» under the statistics");
        run(&mut bot, press(ANNA, &write.1, &stats)).await;
        let card = last_to(&bot, GROUP).text().unwrap().to_string();
        assert!(card.contains("(da scrivere)"), "{card}");
        run(&mut bot, in_group(ANNA, &format!("risposta: {ANSWER}"))).await;
    }
    assert_eq!(
        app.store.draft(1).await.unwrap().unwrap().errors,
        Some(vec![])
    );
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let approve = |staff: i64| {
        let (app, barrier) = (app.clone(), barrier.clone());
        tokio::spawn(async move {
            let incoming = Incoming {
                user: UserId(staff),
                name: format!("staff {staff}"),
                chat: staff,
                event: Event::Button("f|p|1".into()),
                forwarded: false,
                lang: None,
            };
            barrier.wait().await;
            app.handle_incoming(&incoming, Timestamp::now())
                .await
                .unwrap()
        })
    };
    let (a, b) = (approve(BRUNO as i64), approve(4_440_003));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let published = [a, b]
        .iter()
        .flatten()
        .filter(|d| matches!(d, Delivery::Here(r) if r.text.to_plain().starts_with("✅ FAQ n. 1 pubblicata")))
        .count();
    assert_eq!(published, 1);
    let file = std::fs::read_to_string(dir.path().join(STAFF_FILE)).unwrap();
    assert_eq!(file.matches("id = \"staff-1\"").count(), 1);
    let publishes = audit::read(dir.path())
        .iter()
        .filter(|r| r.action == "publish")
        .count();
    assert_eq!(publishes, 1);
}

#[tokio::test]
async fn a_file_written_before_a_crash_is_loaded_at_the_next_start() {
    // The write is a rename: after it the file is whole, and a new start loads it.
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new(KNOWLEDGE), dir.path());
    let faqs = Brain::load(dir.path()).unwrap().knowledge.faqs.len();
    let entry = "[[faq]]\nid = \"staff-9\"\ncalls = []\nquestion = \"Chi?\"\nanswer = \"Noi.\"\nsource = \"Anna\"\n";
    sportello::helpdesk::publish::write(dir.path(), Some(entry)).unwrap();
    // (no reload: the process "died" here)
    let k = Brain::load(dir.path()).unwrap().knowledge;
    assert_eq!(k.faqs.len(), faqs + 1);
    assert!(!dir.path().join("faq/.staff.toml.tmp").exists());
}
