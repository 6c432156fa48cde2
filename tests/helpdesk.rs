//! The help desk through the Telegram adapter (teloxide_tests' MockBot): staff forwards
//! and `/risposta`, a ticket's whole life, staff commands tried by others, tickets across
//! a restart, `/statistiche` on a known log, and `/cancellami` leaving nothing behind.
//! Expected texts come from `locales/it.toml` and the knowledge pack.

mod common;

use common::residue::residue;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use sportello::app::{App, Brain, Delivery, Incoming};
use sportello::command::{COMMANDS, Who};
use sportello::dialogue::{Event, Settings};
use sportello::helpdesk::{Staff, chart};
use sportello::knowledge::{CallId, DeadlineAt, load_dir};
use sportello::reminders::{Offset, Subscription};
use sportello::reply::escape_html;
use sportello::store::{AskedQuestion, Store, UserId};
use sportello::telegram::{Adapter, HandlerError, schema};
use sportello::text::{Lang, texts};
use teloxide::dptree::deps;
use teloxide::prelude::*;
use teloxide::types::{Chat, InlineKeyboardButtonKind, Message, MessageOrigin, ParseMode, User};
use teloxide_tests::mock_bot::DistributionKey;
use teloxide_tests::{
    IntoUpdate, MockBot, MockCallbackQuery, MockGroupChat, MockMessageText, MockPrivateChat,
    MockUser,
};

const KNOWLEDGE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/knowledge");
/// The staff group (teloxide_tests' default group) and a staff member of it.
const GROUP: i64 = MockGroupChat::ID;
const STAFF_USER: u64 = 4_440_001;
/// A user with a name of their own.
const USER: u64 = 5_550_001;
const FIRST: &str = "Mariagrazia";
const LAST: &str = "Zanfrini";

type Bot_ = MockBot<HandlerError, DistributionKey>;

fn staff() -> Staff {
    Staff {
        chat: Some(GROUP),
        users: vec![STAFF_USER as i64],
    }
}

fn adapter_on(store: Store, staff: Staff) -> Arc<Adapter> {
    adapter_in(store, staff, Path::new(KNOWLEDGE))
}

/// An adapter on the knowledge in `dir` (a copy, for tests where staff write into it).
fn adapter_in(store: Store, staff: Staff, dir: &Path) -> Arc<Adapter> {
    let brain = Brain::load(dir).unwrap();
    let app = App::new(
        brain,
        dir.into(),
        store,
        Settings {
            staff,
            helpdesk_contact: "helpdesk@example.org".into(),
            ..Settings::default()
        },
    );
    Adapter::new(Arc::new(app), 1000, Duration::from_secs(60))
}

fn adapter() -> Arc<Adapter> {
    adapter_on(Store::temporary().unwrap(), staff())
}

fn mock(update: impl IntoUpdate, ad: &Arc<Adapter>) -> Bot_ {
    let mut bot = MockBot::new(update, schema::<Bot>());
    bot.dependencies(deps![ad.clone()]);
    bot
}

fn html(key: &str, args: &[(&str, &str)]) -> String {
    texts(Lang::It).t(key, args).to_html()
}

fn s(key: &str) -> String {
    texts(Lang::It).s(key, &[])
}

fn user() -> User {
    MockUser::new()
        .id(USER)
        .first_name(FIRST)
        .last_name(LAST)
        .build()
}

fn user_chat() -> Chat {
    MockPrivateChat::new().id(USER as i64).build()
}

fn staff_user() -> User {
    MockUser::new()
        .id(STAFF_USER)
        .first_name("Operatrice")
        .build()
}

fn group() -> Chat {
    MockGroupChat::new().build()
}

/// A text from the user in their private chat.
fn from_user(text: &str) -> MockMessageText {
    MockMessageText::new()
        .text(text)
        .from(user())
        .chat(user_chat())
}

/// A text from a staff member in the staff group.
fn in_group(text: &str) -> MockMessageText {
    MockMessageText::new()
        .text(text)
        .from(staff_user())
        .chat(group())
}

/// (chat id, text) of every text message sent in the last dispatch, in order.
fn sent(bot: &Bot_) -> Vec<(i64, String)> {
    bot.get_responses()
        .sent_messages_text
        .iter()
        .map(|m| {
            assert_eq!(m.bot_request.parse_mode, Some(ParseMode::Html));
            (m.message.chat.id.0, m.bot_request.text.clone())
        })
        .collect()
}

fn to(bot: &Bot_, chat: i64) -> Vec<String> {
    sent(bot)
        .into_iter()
        .filter(|(c, _)| *c == chat)
        .map(|(_, t)| t)
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

async fn run(bot: &mut Bot_, update: impl IntoUpdate) {
    bot.update(update);
    bot.dispatch().await;
}

/// A forward from a user who hides their identity: no `forward_from`, only a name.
fn hidden_forward(text: &str) -> MockMessageText {
    let origin: MessageOrigin = serde_json::from_value(serde_json::json!({
        "type": "hidden_user", "date": 1_750_000_000, "sender_user_name": "Qualcuno"
    }))
    .unwrap();
    MockMessageText::new().text(text).forward_origin(origin)
}

/// A forward that names its sender (`forward_from`).
fn user_forward(text: &str) -> MockMessageText {
    let origin: MessageOrigin = serde_json::from_value(serde_json::json!({
        "type": "user", "date": 1_750_000_000,
        "sender_user": {"id": USER, "is_bot": false, "first_name": FIRST}
    }))
    .unwrap();
    MockMessageText::new().text(text).forward_origin(origin)
}

/// The staff answer: the ready text alone, then source + confidence + alternatives.
fn assert_staff_answer(msgs: &[String], question: &str, source: &str) {
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert!(msgs[0].contains(&escape_html(question)), "{}", msgs[0]);
    assert!(msgs[0].ends_with(&escape_html(
        &texts(Lang::It).s("helpdesk.ready.source", &[("source", source)])
    )));
    let labels = ["high", "low", "none"].map(|k| s(&format!("helpdesk.confidence.{k}")));
    assert!(
        labels.iter().any(|l| msgs[1]
            == html(
                "helpdesk.staff.info",
                &[("source", source), ("confidence", l)]
            )),
        "{}",
        msgs[1]
    );
}

#[tokio::test]
async fn staff_forwards_get_ready_to_send_answers_with_alternatives() {
    let knowledge = load_dir(Path::new(KNOWLEDGE)).unwrap();
    let faq = knowledge.faq("wecare-nome").unwrap();
    let ad = adapter();
    let staff_chat = MockPrivateChat::new().id(STAFF_USER as i64).build();

    // A forward from a user who hides their identity, in a staff member's private chat.
    let mut bot = mock(
        hidden_forward(&faq.question)
            .from(staff_user())
            .chat(staff_chat.clone()),
        &ad,
    );
    bot.dispatch().await;
    let msgs = to(&bot, STAFF_USER as i64);
    assert_staff_answer(&msgs, &faq.question, &faq.source);
    let info = last_to(&bot, STAFF_USER as i64);
    let alternatives = buttons(&info);
    assert!(!alternatives.is_empty(), "alternatives are offered");
    assert!(alternatives.iter().all(|(_, d)| d.starts_with("1|k|")));

    // Pressing an alternative shows it the same way, marked as chosen.
    let (_, data) = alternatives[0].clone();
    run(
        &mut bot,
        MockCallbackQuery::new()
            .data(&data)
            .from(staff_user())
            .message(info.clone()),
    )
    .await;
    let msgs = to(&bot, STAFF_USER as i64);
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert!(msgs[1].contains(&escape_html(&s("helpdesk.confidence.chosen"))));

    // A forward that carries the sender (forward_from) works the same.
    run(
        &mut bot,
        user_forward(&faq.question)
            .from(staff_user())
            .chat(staff_chat.clone()),
    )
    .await;
    assert_staff_answer(&to(&bot, STAFF_USER as i64), &faq.question, &faq.source);

    // In the staff group, any member's forward is answered for staff.
    let member = MockUser::new().id(4_440_002).first_name("Collega").build();
    run(
        &mut bot,
        hidden_forward(&faq.question).from(member).chat(group()),
    )
    .await;
    assert_staff_answer(&to(&bot, GROUP), &faq.question, &faq.source);

    // `/risposta` does the same; without a question it says how to use it.
    run(
        &mut bot,
        MockMessageText::new()
            .text(format!("/risposta {}", faq.question))
            .from(staff_user())
            .chat(staff_chat.clone()),
    )
    .await;
    assert_staff_answer(&to(&bot, STAFF_USER as i64), &faq.question, &faq.source);
    run(&mut bot, in_group("/risposta")).await;
    assert_eq!(to(&bot, GROUP), [html("helpdesk.risposta.empty", &[])]);

    // The same forward from an ordinary user is just their question.
    run(
        &mut bot,
        hidden_forward(&faq.question).from(user()).chat(user_chat()),
    )
    .await;
    let msgs = to(&bot, USER as i64);
    assert!(!msgs.is_empty());
    // No ready-to-send text: the user gets the bot's own answer.
    assert!(msgs.iter().all(|m| !m.starts_with("☝️")), "{msgs:?}");
}

#[tokio::test]
async fn a_ticket_from_question_to_close() {
    let ad = adapter();
    let question = "posso pagare il corso di yoga xqzt ai dipendenti con lo zkrwm?";
    let mut bot = mock(from_user(question), &ad);
    bot.dispatch().await;
    // No confident answer: the user may ask for a person.
    let answer = last_to(&bot, USER as i64);
    let operator = buttons(&answer)
        .into_iter()
        .find(|(l, _)| *l == s("button.operator"))
        .expect("an operator button under an unsure answer");
    assert_eq!(operator.1, "1|o");
    run(
        &mut bot,
        MockCallbackQuery::new()
            .data("1|o")
            .from(user())
            .message(answer.clone()),
    )
    .await;
    assert_eq!(
        to(&bot, USER as i64),
        [html("handover.done", &[("number", "1")])]
    );
    let card = to(&bot, GROUP);
    assert_eq!(card.len(), 1);
    let name = format!("{FIRST} {LAST}");
    let expected =
        sportello::helpdesk::ticket_card(&ad.app.store.ticket(1).await.unwrap().unwrap());
    assert_eq!(card[0], expected.to_html());
    assert!(card[0].contains(&name) && card[0].contains(&escape_html(question)));
    let ticket_msg = last_to(&bot, GROUP);

    // A staff reply to the ticket message is copied (not forwarded) to the user.
    let reply = in_group("Sì, rientra nei servizi di welfare: le invio il modulo.")
        .reply_to_message(ticket_msg.clone());
    run(&mut bot, reply).await;
    let r = bot.get_responses();
    assert_eq!(r.copied_messages.len(), 1);
    assert!(r.forwarded_messages.is_empty());
    let copy = &r.copied_messages[0].bot_request;
    assert_eq!(copy.chat_id.id(), USER as i64);
    assert_eq!(copy.from_chat_id.id(), GROUP);
    assert_eq!(
        to(&bot, USER as i64),
        [html("ticket.answer_header", &[("number", "1")])]
    );
    assert_eq!(
        to(&bot, GROUP),
        [html(
            "ticket.delivered",
            &[("number", "1"), ("name", &name)]
        )]
    );

    // The user's follow-up is added to the ticket, under the ticket message.
    run(&mut bot, from_user("E per i familiari?")).await;
    assert_eq!(
        to(&bot, USER as i64),
        [html("ticket.followup_added", &[("number", "1")])]
    );
    assert_eq!(
        to(&bot, GROUP),
        [html(
            "ticket.followup_staff",
            &[
                ("number", "1"),
                ("name", &name),
                ("text", "E per i familiari?")
            ]
        )]
    );
    let follow = bot
        .get_responses()
        .sent_messages_text
        .last()
        .cloned()
        .unwrap();
    let replied = follow
        .bot_request
        .reply_parameters
        .as_ref()
        .map(|p| p.message_id);
    assert_eq!(replied, Some(ticket_msg.id));
    // Replying to the follow-up message reaches the user too.
    let follow_msg = follow.message.clone();
    run(
        &mut bot,
        in_group("Anche per i familiari.").reply_to_message(follow_msg),
    )
    .await;
    assert_eq!(bot.get_responses().copied_messages.len(), 1);
    // Staff chatter replying to other messages is ignored.
    let chatter = MockMessageText::new()
        .text("ok")
        .from(staff_user())
        .chat(group());
    run(
        &mut bot,
        in_group("grazie!").reply_to_message(chatter.build()),
    )
    .await;
    assert!(sent(&bot).is_empty() && bot.get_responses().copied_messages.is_empty());

    // /ticket lists it as answered.
    run(&mut bot, in_group("/ticket")).await;
    let list = to(&bot, GROUP).remove(0);
    assert!(
        list.starts_with(&html("helpdesk.tickets.title", &[("count", "1")])),
        "{list}"
    );
    assert!(
        list.contains(&escape_html(&name)) && list.contains("✅"),
        "{list}"
    );

    // /chiudi closes it and tells the user; then the bot answers the user again.
    run(&mut bot, in_group("/chiudi 1")).await;
    assert_eq!(
        to(&bot, GROUP),
        [html("helpdesk.chiudi.done", &[("number", "1")])]
    );
    assert_eq!(
        to(&bot, USER as i64),
        [html("ticket.closed_user", &[("number", "1")])]
    );
    run(&mut bot, in_group("/chiudi 1")).await;
    assert_eq!(
        to(&bot, GROUP),
        [html("helpdesk.chiudi.already", &[("number", "1")])]
    );
    run(&mut bot, in_group("/chiudi 99")).await;
    assert_eq!(
        to(&bot, GROUP),
        [html("helpdesk.chiudi.unknown", &[("number", "99")])]
    );
    run(&mut bot, in_group("/chiudi tutto")).await;
    assert_eq!(to(&bot, GROUP), [html("helpdesk.chiudi.usage", &[])]);
    run(&mut bot, in_group("/ticket")).await;
    assert_eq!(to(&bot, GROUP), [html("helpdesk.tickets.none", &[])]);
    run(&mut bot, from_user("E per i familiari?")).await;
    assert!(to(&bot, GROUP).is_empty(), "no follow-up after closing");
    assert_ne!(
        to(&bot, USER as i64),
        [html("ticket.followup_added", &[("number", "1")])]
    );

    // /operatore with a question opens a new ticket; /annulla withdraws it.
    run(
        &mut bot,
        from_user("/operatore Vorrei parlare con qualcuno"),
    )
    .await;
    assert_eq!(
        to(&bot, USER as i64),
        [html("handover.done", &[("number", "2")])]
    );
    run(&mut bot, from_user("/operatore")).await;
    assert_eq!(
        to(&bot, USER as i64),
        [html("handover.already", &[("number", "2")])]
    );
    run(&mut bot, from_user("/annulla")).await;
    assert_eq!(
        to(&bot, USER as i64),
        [html("ticket.withdrawn", &[("number", "2")])]
    );
    assert_eq!(
        to(&bot, GROUP),
        [html("ticket.withdrawn_staff", &[("number", "2")])]
    );
    // /operatore with nothing asked yet asks for the question, and takes the next text.
    run(&mut bot, from_user("/start")).await;
    run(&mut bot, from_user("/operatore")).await;
    assert_eq!(to(&bot, USER as i64), [html("handover.ask", &[])]);
    run(&mut bot, from_user("Come si compila l'allegato B?")).await;
    assert_eq!(
        to(&bot, USER as i64),
        [html("handover.done", &[("number", "3")])]
    );
}

#[tokio::test]
async fn staff_commands_are_unknown_to_everyone_else() {
    let ad = adapter();
    let mut bot = mock(from_user("/start"), &ad);
    bot.dispatch().await;
    let other_group = MockGroupChat::new().id(-999).build();
    let staff_only: Vec<&str> = COMMANDS
        .iter()
        .filter(|s| s.who == Who::Staff)
        .map(|s| s.it)
        .collect();
    assert_eq!(staff_only.len(), 6);
    for cmd in staff_only {
        for args in ["", " 1"] {
            let text = format!("/{cmd}{args}");
            run(&mut bot, from_user(&text)).await;
            assert_eq!(
                to(&bot, USER as i64),
                [html("command.unknown", &[("command", cmd)])],
                "{text}"
            );
            // A staff member in another group is not in the staff group.
            run(
                &mut bot,
                MockMessageText::new()
                    .text(&text)
                    .from(MockUser::new().id(4_440_002).build())
                    .chat(other_group.clone()),
            )
            .await;
            assert_eq!(
                to(&bot, -999),
                [html("command.unknown", &[("command", cmd)])],
                "{text}"
            );
        }
    }
    // A forged staff button is stale for a user.
    let msg = from_user("x").build();
    run(
        &mut bot,
        MockCallbackQuery::new()
            .data("1|k|faq:wecare-nome")
            .from(user())
            .message(msg),
    )
    .await;
    assert_eq!(to(&bot, USER as i64), [html("button.stale", &[])]);
    // Nothing was reloaded or listed: no ticket exists.
    assert!(ad.app.store.tickets().await.unwrap().is_empty());
}

#[tokio::test]
async fn without_a_staff_group_the_user_is_told_how_to_reach_people() {
    let ad = adapter_on(Store::temporary().unwrap(), Staff::default());
    let mut bot = mock(from_user("/operatore aiuto"), &ad);
    bot.dispatch().await;
    let expected = texts(Lang::It).t("handover.contact", &[("contact", "helpdesk@example.org")]);
    assert_eq!(to(&bot, USER as i64), [expected.to_html()]);
    assert!(ad.app.store.tickets().await.unwrap().is_empty());
    // And no operator button is offered under an unsure answer.
    run(&mut bot, from_user("zkrwm xqzt blorft")).await;
    let m = last_to(&bot, USER as i64);
    assert!(buttons(&m).iter().all(|(_, d)| d != "1|o"));
}

#[tokio::test]
async fn open_tickets_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let ticket_msg = {
        let ad = adapter_on(Store::open(dir.path(), 16).unwrap(), staff());
        let mut bot = mock(from_user("/operatore Quando arrivano i fondi?"), &ad);
        bot.dispatch().await;
        assert_eq!(
            to(&bot, USER as i64),
            [html("handover.done", &[("number", "1")])]
        );
        last_to(&bot, GROUP)
    };
    // Everything holding the database is gone: open it again.
    let ad = adapter_on(Store::open(dir.path(), 16).unwrap(), staff());
    let mut bot = mock(in_group("/ticket"), &ad);
    bot.dispatch().await;
    let list = to(&bot, GROUP).remove(0);
    assert!(list.contains("Quando arrivano i fondi?"), "{list}");
    run(
        &mut bot,
        in_group("A fine mese.").reply_to_message(ticket_msg),
    )
    .await;
    let r = bot.get_responses();
    assert_eq!(r.copied_messages.len(), 1);
    assert_eq!(r.copied_messages[0].bot_request.chat_id.id(), USER as i64);
    // Numbers go on from where they were.
    run(&mut bot, from_user("/operatore Un'altra cosa")).await;
    assert_eq!(
        to(&bot, USER as i64),
        [html("ticket.followup_added", &[("number", "1")])],
        "the open ticket takes the new message"
    );
    run(&mut bot, in_group("/chiudi 1")).await;
    run(&mut bot, from_user("/operatore Un'altra cosa")).await;
    assert_eq!(
        to(&bot, USER as i64),
        [html("handover.done", &[("number", "2")])]
    );
}

#[tokio::test]
async fn statistics_on_a_known_log() {
    let knowledge = load_dir(Path::new(KNOWLEDGE)).unwrap();
    let faq = knowledge.faq("wecare-nome").unwrap();
    let ad = adapter();
    let now = Timestamp::now();
    let ago = |days: i64| now - SignedDuration::from_hours(24 * days);
    let log = async |at, q: &str, best: Option<&str>, confident| {
        ad.app
            .store
            .log_question(
                None,
                &AskedQuestion {
                    at,
                    question: q.into(),
                    best: best.map(Into::into),
                    confident,
                },
            )
            .await
            .unwrap()
    };
    let id = format!("faq:{}", faq.id);
    log(ago(1), "da dove viene il nome wecare", Some(&id), true).await;
    log(ago(2), "perché si chiama wecare", Some(&id), true).await;
    log(ago(3), "rimborso spese di viaggio dipendenti", None, false).await;
    log(ago(10), "rimborso spese viaggio dipendenti?", None, false).await;
    log(ago(12), "parcheggio aziendale gratuito", None, false).await;
    log(ago(40), "troppo vecchia", None, false).await;
    // The chart itself, as the app stores it: a PNG of the chart's size, not blank.
    let staff_says = Incoming {
        user: UserId(STAFF_USER as i64),
        name: String::new(),
        chat: GROUP,
        event: Event::Text("/statistiche".into()),
        forwarded: false,
        lang: None,
    };
    let replies = ad
        .app
        .handle_incoming(&staff_says, Timestamp::now())
        .await
        .unwrap();
    let [Delivery::Here(reply)] = &replies[..] else {
        panic!("{replies:?}")
    };
    let doc = reply.document.as_ref().expect("the chart");
    assert!(doc.photo && doc.file_name.ends_with(".png"));
    let mut png = png::Decoder::new(std::io::Cursor::new(&doc.bytes[..]))
        .read_info()
        .unwrap();
    let mut pixels = vec![0; png.output_buffer_size().unwrap()];
    let info = png.next_frame(&mut pixels).unwrap();
    assert_eq!((info.width, info.height), (chart::WIDTH, chart::HEIGHT));
    let not_white = pixels[..info.buffer_size()]
        .chunks(3)
        .filter(|p| p.iter().any(|&v| v < 200))
        .count();
    assert!(
        not_white > 10_000,
        "a blank chart: {not_white} pixels drawn"
    );
    // Through Telegram: one photo to the staff group, the text as its caption.
    let mut bot = mock(in_group("/statistiche"), &ad);
    bot.dispatch().await;
    let photos = bot.get_responses().sent_messages_photo;
    assert_eq!(photos.len(), 1, "one photo");
    assert_eq!(photos[0].message.chat.id.0, GROUP);
    assert_eq!(photos[0].bot_request.file_name, "statistiche.png");
    // (MockBot does not read a multipart parse_mode; the caption below is HTML.)
    let mut text = photos[0].bot_request.caption.clone().expect("a caption");
    for more in to(&bot, GROUP) {
        text.push('\n');
        text.push_str(&more);
    }
    let tx = texts(Lang::It);
    let part = |key: &str, args: &[(&str, &str)]| tx.t(key, args).to_html();
    for expected in [
        part("helpdesk.stats.title", &[]),
        part(
            "helpdesk.stats.week",
            &[("questions", "3"), ("confident", "2"), ("percent", "66")],
        ),
        part(
            "helpdesk.stats.month",
            &[("questions", "5"), ("confident", "2"), ("percent", "40")],
        ),
        part(
            "helpdesk.stats.top_item",
            &[("title", &faq.question), ("count", "2")],
        ),
        part(
            "helpdesk.stats.missing_item",
            &[
                (
                    "examples",
                    // Equally frequent texts: the first asked first.
                    "«rimborso spese viaggio dipendenti?» · «rimborso spese di viaggio dipendenti»",
                ),
                ("count", "2"),
            ],
        ),
        part(
            "helpdesk.stats.missing_item",
            &[
                ("examples", "«parcheggio aziendale gratuito»"),
                ("count", "1"),
            ],
        ),
    ] {
        assert!(text.contains(&expected), "missing {expected}\nin {text}");
    }
    assert!(!text.contains("troppo vecchia"));
}

#[tokio::test]
async fn reload_keeps_the_old_knowledge_on_error_and_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new(KNOWLEDGE), dir.path());
    let brain = Brain::load(dir.path()).unwrap();
    let app = App::new(
        brain,
        dir.path().to_path_buf(),
        Store::temporary().unwrap(),
        Settings {
            staff: staff(),
            ..Settings::default()
        },
    );
    let calls = app.brain().knowledge.calls.len();
    let ad = Adapter::new(Arc::new(app), 1000, Duration::from_secs(60));
    let mut bot = mock(in_group("/ricarica"), &ad);
    bot.dispatch().await;
    let ok = to(&bot, GROUP).remove(0);
    assert!(ok.starts_with("✅"), "{ok}");
    assert!(ok.contains(&format!("{calls} bandi")), "{ok}");
    std::fs::write(dir.path().join("faq/rotta.toml"), "[[faq]]\nid = \n").unwrap();
    run(&mut bot, in_group("/ricarica")).await;
    let failed = to(&bot, GROUP).remove(0);
    assert!(failed.starts_with("❌"), "{failed}");
    assert!(failed.contains("rotta.toml:2"), "{failed}");
    assert_eq!(ad.app.brain().knowledge.calls.len(), calls);
}

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

#[tokio::test]
async fn erase_me_leaves_nothing_in_sled_that_refers_to_the_user() {
    let ad = adapter();
    let mut bot = mock(from_user("/operatore Ho un dubbio sul modulo"), &ad);
    bot.dispatch().await;
    let ticket_msg = last_to(&bot, GROUP);
    run(&mut bot, from_user("Aggiungo un dettaglio")).await;
    run(
        &mut bot,
        in_group("Le rispondo subito.").reply_to_message(ticket_msg.clone()),
    )
    .await;
    run(&mut bot, from_user("/promemoria")).await;
    let menu = last_to(&bot, USER as i64);
    if let Some((_, data)) = buttons(&menu)
        .into_iter()
        .find(|(_, d)| d.starts_with("1|r|s|"))
    {
        run(
            &mut bot,
            MockCallbackQuery::new()
                .data(&data)
                .from(user())
                .message(menu),
        )
        .await;
    }
    // /privacy lists the ticket.
    run(&mut bot, from_user("/privacy")).await;
    let privacy = to(&bot, USER as i64).remove(0);
    assert!(privacy.contains(&html("privacy.ticket_open", &[("number", "1")])));

    let id = UserId(USER as i64);
    let needles: Vec<Vec<u8>> = vec![
        id.key().to_vec(),
        USER.to_string().into_bytes(),
        FIRST.as_bytes().to_vec(),
        LAST.as_bytes().to_vec(),
        "modulo".as_bytes().to_vec(),
        "dettaglio".as_bytes().to_vec(),
    ];
    // Everything the store gives back, through its interfaces (the raw files are
    // scanned by `erasure_leaves_no_byte_of_the_user_in_any_file`).
    let st = ad.app.store.clone();
    let dump = async || -> Vec<u8> {
        let mut b = Vec::new();
        if let Some(s) = st.load_session(id).await.unwrap() {
            b.extend(s.bytes);
        }
        let text = format!(
            "{:?}{:?}{:?}{:?}{:?}",
            st.tickets().await.unwrap(),
            st.subscriptions_of(id).await.unwrap(),
            st.queued_reminders().await.unwrap(),
            st.outbox_entries().await.unwrap(),
            st.questions_since(Timestamp::UNIX_EPOCH).await.unwrap(),
        );
        b.extend(text.into_bytes());
        b
    };
    let found = |all: &[u8], needle: &[u8]| all.windows(needle.len()).any(|w| w == needle);
    let before = dump().await;
    assert!(
        found(&before, &needles[1]) && found(&before, &needles[2]),
        "the test looks in the right place"
    );

    run(&mut bot, from_user("/cancellami")).await;
    let ask = last_to(&bot, USER as i64);
    run(
        &mut bot,
        MockCallbackQuery::new()
            .data("1|x|y")
            .from(user())
            .message(ask),
    )
    .await;
    let after = dump().await;
    for n in &needles {
        assert!(
            !found(&after, n),
            "{:?} still stored",
            String::from_utf8_lossy(n)
        );
    }
    // Staff see the ticket is gone; a reply to it reaches nobody.
    run(
        &mut bot,
        in_group("Ancora qui?").reply_to_message(ticket_msg),
    )
    .await;
    assert!(bot.get_responses().copied_messages.is_empty());
    assert_eq!(
        to(&bot, GROUP),
        [html("ticket.user_gone", &[("number", "1")])]
    );
}

#[tokio::test]
async fn a_ticket_carries_the_call_and_the_eligibility_answers_so_far() {
    use sportello::app::{Delivery, Incoming};
    use sportello::dialogue::Event;
    let knowledge = load_dir(Path::new(KNOWLEDGE)).unwrap();
    let q = knowledge
        .questionnaire("wecare-welfare-aziendale")
        .expect("the welfare call has a questionnaire");
    let first = &q.questions[0];
    let ad = adapter();
    let app = &ad.app;
    let say = |text: &str| Incoming {
        user: UserId(USER as i64),
        name: format!("{FIRST} {LAST}"),
        chat: USER as i64,
        event: Event::Text(text.into()),
        forwarded: false,
        lang: None,
    };
    let now = Timestamp::now();
    let datas = |out: &[Delivery]| -> Vec<String> {
        out.iter()
            .filter_map(|d| match d {
                Delivery::Here(r) => Some(r),
                _ => None,
            })
            .flat_map(|r| r.buttons.iter().flatten())
            .map(|b| b.data.clone())
            .collect()
    };
    let out = app
        .handle_incoming(&say("/verifica wecare-welfare-aziendale"), now)
        .await
        .unwrap();
    // The call is closed: go on past the notice, to the first question.
    let go_on = datas(&out)
        .into_iter()
        .find(|d| d.starts_with("1|n|") && d.ends_with("|c"))
        .expect("a button to go on");
    let out = app
        .handle_incoming(
            &Incoming {
                event: Event::Button(go_on),
                ..say("")
            },
            now,
        )
        .await
        .unwrap();
    let data = datas(&out)
        .into_iter()
        .find(|d| d.starts_with("1|a|"))
        .expect("an answer button");
    let option: usize = data.rsplit('|').next().unwrap().parse().unwrap();
    let press = Incoming {
        event: Event::Button(data.clone()),
        ..say("")
    };
    app.handle_incoming(&press, now).await.unwrap();
    let out = app.handle_incoming(&say("/operatore"), now).await.unwrap();
    let card = out
        .iter()
        .find_map(|d| match d {
            Delivery::ToStaff { reply, .. } => Some(reply.text.to_plain()),
            _ => None,
        })
        .expect("a ticket for staff");
    let call = knowledge.call("wecare-welfare-aziendale").unwrap();
    assert!(card.contains(&call.short), "{card}");
    assert!(card.contains(&texts(Lang::It).s("ticket.answers", &[]).replace('*', "")));
    let answered = format!("• {}: ", first.label);
    assert!(card.contains(&answered), "{card}");
    let o = &first.options[option];
    assert!(card.contains(&format!("{answered}{}", o.label)), "{card}");
}

#[tokio::test]
async fn a_command_written_as_a_reply_to_a_ticket_is_not_sent_to_the_user() {
    let ad = adapter();
    let mut bot = mock(from_user("/operatore Una domanda"), &ad);
    bot.dispatch().await;
    let ticket_msg = last_to(&bot, GROUP);
    run(&mut bot, in_group("/chiudi 1").reply_to_message(ticket_msg)).await;
    assert!(bot.get_responses().copied_messages.is_empty());
    assert_eq!(
        to(&bot, GROUP),
        [html("helpdesk.chiudi.done", &[("number", "1")])]
    );
}

/// `/cancellami` is real on disk: after a session that left the user's name, id, a free
/// question, a ticket with a follow-up, a FAQ draft staff made from that ticket, a
/// followed call, a profile kept for profile alerts and eligibility answers, and a clean stop, no file of the data directory holds any of them (sled keeps old
/// versions; they are sealed with the user's key, which is destroyed).
#[tokio::test]
async fn erasure_leaves_no_byte_of_the_user_in_any_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let id = USER as i64;
    let needles: Vec<(&str, Vec<u8>)> = vec![
        ("id decimal", id.to_string().into_bytes()),
        ("id 8 bytes big-endian", id.to_be_bytes().to_vec()),
        ("id 8 bytes little-endian", id.to_le_bytes().to_vec()),
        ("id sortable key", UserId(id).key().to_vec()),
        ("first name", FIRST.as_bytes().to_vec()),
        ("last name", LAST.as_bytes().to_vec()),
        ("ticket text", b"DOMANDAPERSONA".to_vec()),
        ("follow-up text", b"DETTAGLIOPRIVATO".to_vec()),
        ("question text", b"QUESITOLIBERO".to_vec()),
        ("profile answer", b"PROFILOPRIVATO".to_vec()),
        ("kept check answer", b"VERIFICAPRIVATA".to_vec()),
    ];
    // Staff save a FAQ draft below, which is logged next to the knowledge: a copy.
    let knowledge = dir.path().join("knowledge");
    std::fs::create_dir_all(&knowledge).unwrap();
    copy_dir(Path::new(KNOWLEDGE), &knowledge);
    {
        let ad = adapter_in(Store::open(&data, 16).unwrap(), staff(), &knowledge);
        let mut bot = mock(
            from_user("quando scade il bando welfare aziendale QUESITOLIBERO?"),
            &ad,
        );
        bot.dispatch().await;
        run(&mut bot, from_user("/verifica alfa-2026")).await;
        let check = last_to(&bot, USER as i64);
        let (_, answer) = buttons(&check).remove(0);
        run(
            &mut bot,
            MockCallbackQuery::new()
                .data(&answer)
                .from(user())
                .message(check),
        )
        .await;
        // Following a call (the shipped calls may all be closed by now: subscribed
        // directly, the same records as the button makes).
        ad.app
            .store
            .subscribe(
                &Subscription {
                    user: UserId(id),
                    call: CallId("alfa-2026".into()),
                    deadline: DeadlineAt::parse("2099-06-15T12:00").unwrap(),
                    planned_from: Timestamp::now(),
                },
                &Offset::defaults(),
            )
            .await
            .unwrap();
        // A profile kept for profile alerts (the records «Avvisami se esce un bando
        // adatto a me» makes), with an answer of its own to look for.
        let mut profile = sportello::store::Commit::new();
        profile.save_profile(sportello::store::ProfileAlert {
            user: UserId(id),
            questionnaire: "profilo".into(),
            answers: vec![(
                "soggetto".into(),
                sportello::eligibility::Answer::Text("PROFILOPRIVATO".into()),
            )],
            seen: vec![CallId("alfa-2026".into())],
            lang: sportello::text::Lang::It,
            since: Timestamp::now(),
        });
        // A followed call with a kept check result (the records «🔔 Avvisami» and «💾 Tieni
        // il risultato» make).
        profile.follow(sportello::store::Watch {
            user: UserId(id),
            call: CallId("alfa-2026".into()),
            seen: sportello::follow::CallFacts::of(None, Timestamp::now()),
            since: Timestamp::now(),
            verdict: Some(sportello::follow::KeptVerdict {
                questionnaire: "alfa-2026".into(),
                answers: vec![(
                    "soggetto".into(),
                    sportello::eligibility::Answer::Text("VERIFICAPRIVATA".into()),
                )],
                verdict: sportello::follow::Outcome::Eligible,
                rules: Vec::new(),
                reasons: Vec::new(),
                invited: false,
            }),
            lang: sportello::text::Lang::It,
        });
        ad.app.store.commit(&profile).await.unwrap();
        run(&mut bot, from_user("/operatore DOMANDAPERSONA sul modulo")).await;
        let ticket_msg = last_to(&bot, GROUP);
        // Taken as a typed answer of the check under way, or as a follow-up: stored
        // either way.
        run(&mut bot, from_user("Aggiungo un DETTAGLIOPRIVATO")).await;
        run(
            &mut bot,
            in_group("Le rispondo subito.").reply_to_message(ticket_msg),
        )
        .await;
        // Staff save the answer as a FAQ draft: it copies the ticket's question.
        let confirmation = last_to(&bot, GROUP);
        let (_, save) = buttons(&confirmation)
            .into_iter()
            .find(|(l, _)| *l == s("teach.button.save"))
            .expect("«Salva come FAQ»");
        run(
            &mut bot,
            MockCallbackQuery::new()
                .data(&save)
                .from(staff_user())
                .message(confirmation),
        )
        .await;
        // The store holds all of it before the erasure.
        let st = ad.app.store.clone();
        let drafts = st.drafts().await.unwrap();
        assert!(
            drafts.iter().any(|d| d.question.contains("DOMANDAPERSONA")),
            "a draft with the user's question: {drafts:?}"
        );
        let u = UserId(id);
        assert_eq!(st.subscriptions_of(u).await.unwrap().len(), 1);
        assert!(st.profile_alert(u).await.unwrap().is_some());
        assert_eq!(st.watches_of(u).await.unwrap().len(), 1);
        let t = st.tickets_of(u).await.unwrap().remove(0);
        assert!(!t.answers.is_empty(), "eligibility answers in the ticket");
        assert!(t.name.contains(FIRST));
        let asked = st.questions_since(Timestamp::UNIX_EPOCH).await.unwrap();
        assert!(asked.iter().any(|q| q.question.contains("QUESITOLIBERO")));

        run(&mut bot, from_user("/cancellami")).await;
        let ask = last_to(&bot, USER as i64);
        run(
            &mut bot,
            MockCallbackQuery::new()
                .data("1|x|y")
                .from(user())
                .message(ask),
        )
        .await;
        assert!(st.tickets_of(u).await.unwrap().is_empty());
        assert_eq!(st.profile_alert(u).await.unwrap(), None);
        assert!(st.watches_of(u).await.unwrap().is_empty());
        // The unpublished draft made from their ticket is gone with them.
        assert!(st.drafts().await.unwrap().is_empty());
        st.flush().await.unwrap();
    }
    // Stopped: every file, as it is on disk.
    let found: Vec<_> = residue(&data, &needles)
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect();
    assert!(found.is_empty(), "left on disk: {found:?}");
    // The scan reads raw bytes of every file, subdirectories included.
    let control = data.join("blobs").join("control");
    std::fs::create_dir_all(control.parent().unwrap()).unwrap();
    std::fs::write(&control, [FIRST.as_bytes(), &id.to_le_bytes()].concat()).unwrap();
    let seen = residue(&data, &needles);
    assert_eq!(seen[4], ("first name".to_string(), 1));
    assert_eq!(seen[2], ("id 8 bytes little-endian".to_string(), 1));
}
