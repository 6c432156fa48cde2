//! The Telegram adapter driven by teloxide_tests' MockBot (a local Bot API stand-in):
//! every command, free text, buttons (real ones and forged), non-text messages, groups
//! and flood control. Expected texts come from `locales/it.toml` and the knowledge pack,
//! never from the adapter's output.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sportello::app::Loaded;
use sportello::app::{App, Brain};
use sportello::dialogue::Settings;
use sportello::knowledge::load_dir;
use sportello::reply::escape_html;
use sportello::store::{Store, UserId};
use sportello::telegram::{Adapter, HandlerError, schema};
use sportello::text::{Lang, texts};
use teloxide::dptree::deps;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButtonKind, Message, ParseMode};
use teloxide_tests::mock_bot::DistributionKey;
use teloxide_tests::{
    IntoUpdate, MockBot, MockCallbackQuery, MockGroupChat, MockMessagePhoto, MockMessageSticker,
    MockMessageText, MockUser,
};

const KNOWLEDGE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/knowledge");
const IDLE_DAYS: u32 = 17;
const FLOOD: u32 = 4;

fn adapter() -> Arc<Adapter> {
    adapter_with_flood_limit(1000)
}

fn adapter_with_flood_limit(flood: u32) -> Arc<Adapter> {
    let brain = Brain::load(Path::new(KNOWLEDGE)).unwrap();
    let app = App::new(
        brain,
        KNOWLEDGE.into(),
        Store::temporary().unwrap(),
        Settings {
            session_idle_days: IDLE_DAYS,
            helpdesk_contact: String::new(),
            ..Settings::default()
        },
    );
    Adapter::new(Arc::new(app), flood, Duration::from_secs(60))
}

fn mock(update: impl IntoUpdate, ad: &Arc<Adapter>) -> MockBot<HandlerError, DistributionKey> {
    let mut bot = MockBot::new(update, schema::<Bot>());
    bot.dependencies(deps![ad.clone()]);
    bot
}

/// `/aiuto` in Italian, as sent (built from the command table).
fn help_html() -> String {
    sportello::command::help(texts(Lang::It)).to_html()
}

fn html(key: &str, args: &[(&str, &str)]) -> String {
    texts(Lang::It).t(key, args).to_html()
}

fn me() -> UserId {
    UserId(MockUser::ID as i64)
}

/// The texts the bot sent in the last dispatch, checking each used HTML parse mode.
fn sent(bot: &MockBot<HandlerError, DistributionKey>) -> Vec<String> {
    bot.get_responses()
        .sent_messages_text
        .iter()
        .map(|m| {
            assert_eq!(m.bot_request.parse_mode, Some(ParseMode::Html));
            m.bot_request.text.clone()
        })
        .collect()
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

async fn say(bot: &mut MockBot<HandlerError, DistributionKey>, text: &str) -> Vec<String> {
    bot.update(MockMessageText::new().text(text));
    bot.dispatch().await;
    sent(bot)
}

/// Presses the button with `data` under `message`.
async fn press(bot: &mut MockBot<HandlerError, DistributionKey>, message: &Message, data: &str) {
    bot.update(MockCallbackQuery::new().data(data).message(message.clone()));
    bot.dispatch().await;
    let r = bot.get_responses();
    assert_eq!(
        r.answered_callback_queries.len(),
        1,
        "every press is answered"
    );
}

#[tokio::test]
async fn start_help_privacy_and_cancel() {
    let ad = adapter();
    let mut bot = mock(MockMessageText::new().text("/start"), &ad);
    bot.dispatch().await;
    assert_eq!(sent(&bot), [html("welcome", &[])]);
    let menu = buttons(&bot.get_responses().sent_messages[0]);
    let data: Vec<&str> = menu.iter().map(|(_, d)| d.as_str()).collect();
    assert_eq!(data, ["1|l", "1|d", "1|v", "1|h"]);

    assert_eq!(say(&mut bot, "/aiuto").await, [help_html()]);
    assert_eq!(
        say(&mut bot, "/privacy").await,
        [html("privacy", &[("days", &IDLE_DAYS.to_string())])]
    );
    let privacy = say(&mut bot, "/privacy").await.remove(0);
    assert!(
        privacy.contains(&format!("{IDLE_DAYS} giorni")),
        "{privacy}"
    );
    assert!(privacy.contains("/cancellami"));
    assert_eq!(
        say(&mut bot, "/annulla").await,
        [html("cancel.nothing", &[])]
    );
    assert_eq!(
        say(&mut bot, "/nonesiste").await,
        [html("command.unknown", &[("command", "nonesiste")])]
    );
}

#[tokio::test]
async fn calls_deadlines_and_call_card_buttons() {
    let knowledge = load_dir(Path::new(KNOWLEDGE)).unwrap();
    let ad = adapter();
    let mut bot = mock(MockMessageText::new().text("/bandi"), &ad);
    bot.dispatch().await;
    let list = sent(&bot).remove(0);
    assert!(list.starts_with(&html("calls.title", &[])));
    for c in &knowledge.calls {
        assert!(list.contains(&escape_html(&c.short)), "{} missing", c.short);
    }
    let list_msg = bot.get_responses().sent_messages[0].clone();
    let calls: Vec<(String, String)> = buttons(&list_msg);
    assert_eq!(calls.len(), knowledge.calls.len());

    // Pressing a call opens its card as a new message (the list stays on screen).
    let wanted = &knowledge.calls[0];
    let data = format!("1|c|{}", wanted.id);
    assert!(calls.iter().any(|(_, d)| *d == data));
    press(&mut bot, &list_msg, &data).await;
    let card = sent(&bot).remove(0);
    assert!(
        card.starts_with(&format!("<b>{}</b>", escape_html(&wanted.title))),
        "{card}"
    );
    let card_msg = bot.get_responses().sent_messages[0].clone();
    // The topic is kept in the session.
    let Loaded::Found(s) = ad.app.load_session(me()).await.unwrap() else {
        panic!("no session stored")
    };
    assert_eq!(s.topic.as_ref(), Some(&wanted.id));

    // A section button of the card shows that section.
    let section = wanted
        .sections
        .first()
        .expect("the first call has sections");
    press(
        &mut bot,
        &card_msg,
        &format!("1|s|{}|{}", wanted.id, section.id),
    )
    .await;
    // Its first line says which call it is about; the section follows.
    let shown = sent(&bot).remove(0);
    let (first, rest) = shown
        .split_once('\n')
        .expect("a focus line, then the section");
    assert!(first.contains(&escape_html(&wanted.short)), "{shown}");
    assert!(
        rest.contains(&format!("<b>{}</b>", escape_html(&section.title))),
        "{shown}"
    );

    let deadlines = say(&mut bot, "/scadenze").await.remove(0);
    assert!(deadlines.starts_with(&html("deadlines.title", &[])));
    for (c, _) in knowledge.calls_with_deadline() {
        assert!(
            deadlines.contains(&escape_html(&c.short)),
            "{} missing",
            c.short
        );
    }
}

#[tokio::test]
async fn questions_by_free_text_and_by_search_command() {
    let knowledge = load_dir(Path::new(KNOWLEDGE)).unwrap();
    let faq = knowledge.faq("wecare-nome").unwrap();
    let ad = adapter();
    let mut bot = mock(
        MockMessageText::new().text("da dove viene il nome wecare"),
        &ad,
    );
    for turn in [
        "da dove viene il nome wecare",
        "/cerca da dove viene il nome wecare",
    ] {
        let replies = say(&mut bot, turn).await;
        let msg = bot.get_responses().sent_messages.last().cloned().unwrap();
        let as_answer = replies
            .iter()
            .any(|r| r.contains(&format!("<b>{}</b>", escape_html(&faq.question))));
        let as_choice = buttons(&msg).iter().any(|(_, d)| d == "1|f|wecare-nome");
        assert!(as_answer || as_choice, "{turn}: {replies:?}");
    }
    assert_eq!(say(&mut bot, "/cerca").await, [html("search.empty", &[])]);
    // Markup characters and emoji in a question never break the HTML parse mode.
    let odd = say(&mut bot, "<b>_*[]()~>#+-=|{}.! 🙂 & </i>").await;
    assert!(!odd.is_empty());
    for r in odd {
        assert!(!r.contains("<b>_") && !r.contains("</i>"), "{r}");
    }
}

#[tokio::test]
async fn erase_me_asks_for_confirmation_and_erases_everything() {
    let ad = adapter();
    let mut bot = mock(MockMessageText::new().text("/bandi"), &ad);
    bot.dispatch().await;
    assert!(matches!(
        ad.app.load_session(me()).await.unwrap(),
        Loaded::Found(_)
    ));

    // "No" keeps the data and replaces the question.
    assert_eq!(say(&mut bot, "/cancellami").await, [html("erase.ask", &[])]);
    let ask = bot.get_responses().sent_messages[0].clone();
    let b = buttons(&ask);
    assert_eq!(
        b,
        [
            (texts(Lang::It).s("erase.yes", &[]), "1|x|y".to_string()),
            (texts(Lang::It).s("erase.no", &[]), "1|x|n".to_string()),
        ]
    );
    press(&mut bot, &ask, "1|x|n").await;
    let edits = bot.get_responses().edited_messages_text;
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0].bot_request.text, html("erase.kept", &[]));
    assert_eq!(edits[0].bot_request.message_id, Some(ask.id.0));
    assert!(matches!(
        ad.app.load_session(me()).await.unwrap(),
        Loaded::Found(_)
    ));

    // The old confirmation cannot erase any more: it is stale.
    press(&mut bot, &ask, "1|x|y").await;
    assert_eq!(sent(&bot), [html("button.stale", &[])]);

    // "Yes" erases the session and edits the question into the confirmation.
    say(&mut bot, "/cancellami").await;
    let ask = bot.get_responses().sent_messages[0].clone();
    press(&mut bot, &ask, "1|x|y").await;
    let edits = bot.get_responses().edited_messages_text;
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0].bot_request.text, html("erase.done", &[]));
    assert_eq!(
        edits[0].bot_request.reply_markup, None,
        "the buttons are gone"
    );
    assert!(matches!(
        ad.app.load_session(me()).await.unwrap(),
        Loaded::Fresh(_)
    ));
    assert_eq!(ad.app.store.session_count().await.unwrap(), 0);
}

#[tokio::test]
async fn forged_and_stale_buttons_get_a_polite_answer() {
    let ad = adapter();
    let mut bot = mock(MockMessageText::new().text("/start"), &ad);
    bot.dispatch().await;
    let msg = bot.get_responses().sent_messages[0].clone();
    for forged in [
        "1|c|../../etc",
        "2|l",
        "<script>",
        "1|c|bando-inesistente",
        "1|f|nessuna",
    ] {
        press(&mut bot, &msg, forged).await;
        assert_eq!(sent(&bot), [html("button.stale", &[])], "{forged}");
    }
    // A press without data (a game button, say) is answered too.
    bot.update(MockCallbackQuery::new().message(msg.clone()));
    bot.dispatch().await;
    assert_eq!(bot.get_responses().answered_callback_queries.len(), 1);
    assert_eq!(sent(&bot), [html("button.stale", &[])]);
}

#[tokio::test]
async fn photos_and_stickers_get_a_polite_word() {
    let ad = adapter();
    let mut bot = mock(MockMessagePhoto::new(), &ad);
    bot.dispatch().await;
    assert_eq!(sent(&bot), [html("telegram.not_text", &[])]);
    bot.update(MockMessageSticker::new());
    bot.dispatch().await;
    assert_eq!(sent(&bot), [html("telegram.not_text", &[])]);
}

#[tokio::test]
async fn in_groups_only_commands_and_mentions_are_answered() {
    let ad = adapter();
    let group = MockGroupChat::new().build();
    let mut bot = mock(
        MockMessageText::new()
            .text("ciao a tutti")
            .chat(group.clone()),
        &ad,
    );
    bot.dispatch().await;
    assert!(sent(&bot).is_empty());
    bot.update(
        MockMessageText::new()
            .text("/aiuto@test_bot")
            .chat(group.clone()),
    );
    bot.dispatch().await;
    assert_eq!(sent(&bot), [help_html()]);
    bot.update(
        MockMessageText::new()
            .text("/aiuto@altro_bot")
            .chat(group.clone()),
    );
    bot.dispatch().await;
    assert!(sent(&bot).is_empty());
    bot.update(
        MockMessageText::new()
            .text("@test_bot ciao")
            .chat(group.clone()),
    );
    bot.dispatch().await;
    assert_eq!(sent(&bot), [html("welcome", &[])]);
    let r = bot.get_responses();
    assert_eq!(
        r.sent_messages[0].chat.id, group.id,
        "answered in the group"
    );
}

#[tokio::test]
async fn a_flooding_user_is_slowed_down_without_affecting_others() {
    let ad = adapter_with_flood_limit(FLOOD);
    let other = MockUser::new().id(777).build();
    let mut updates: Vec<MockMessageText> = (0..FLOOD + 3)
        .map(|_| MockMessageText::new().text("/annulla"))
        .collect();
    updates.push(
        MockMessageText::new()
            .text("/annulla")
            .from(other.clone())
            .chat(teloxide_tests::MockPrivateChat::new().id(777).build()),
    );
    let mut bot = mock(updates, &ad);
    bot.dispatch().await;
    let r = bot.get_responses();
    let to = |chat: i64| -> Vec<String> {
        r.sent_messages_text
            .iter()
            .filter(|m| m.message.chat.id.0 == chat)
            .map(|m| m.bot_request.text.clone())
            .collect()
    };
    let mut expected = vec![html("cancel.nothing", &[]); FLOOD as usize];
    expected.push(html("telegram.slow_down", &[("seconds", "60")]));
    assert_eq!(to(MockUser::ID as i64), expected);
    assert_eq!(to(777), [html("cancel.nothing", &[])]);
}

#[tokio::test]
async fn a_broken_session_is_replaced_with_a_polite_word() {
    let ad = adapter();
    // A session written by some future or corrupted version.
    let mut c = sportello::store::Commit::new();
    c.session(
        me(),
        sportello::store::Revision(None),
        Some(b"{\"version\":99}".to_vec()),
        jiff::Timestamp::now(),
    );
    ad.app.store.commit(&c).await.unwrap();
    let mut bot = mock(MockMessageText::new().text("/annulla"), &ad);
    bot.dispatch().await;
    assert_eq!(
        sent(&bot),
        [html("session.reset", &[]), html("cancel.nothing", &[])]
    );
}

/// The message the last dispatch showed: the last one sent, or else the last one edited.
fn shown(bot: &MockBot<HandlerError, DistributionKey>) -> Message {
    let r = bot.get_responses();
    r.sent_messages
        .last()
        .cloned()
        .or_else(|| r.edited_messages_text.last().map(|e| e.message.clone()))
        .expect("the bot showed something")
}

/// The data of the button under `m` whose label starts with `label`.
fn button_starting(m: &Message, label: &str) -> String {
    buttons(m)
        .into_iter()
        .find(|(l, _)| l.starts_with(label))
        .unwrap_or_else(|| panic!("no button «{label}» under {:?}", buttons(m)))
        .1
}

#[tokio::test]
async fn a_full_eligibility_check_by_buttons_ends_with_a_verdict() {
    let ad = adapter();
    let mut bot = mock(MockMessageText::new().text("/verifica alfa-2026"), &ad);
    bot.dispatch().await;
    let mut m = shown(&bot);
    assert!(m.text().unwrap().contains("Domanda 1 di"), "{:?}", m.text());
    // Two SMEs in partnership in Piedmont: buttons for the choices, typed numbers (there
    // are no buttons for numbers, as in any Telegram client).
    for label in ["Una PMI", "Sì", "Sì"] {
        let data = button_starting(&m, label);
        press(&mut bot, &m, &data).await;
        m = shown(&bot);
    }
    for typed in ["150.000 €", "25%", "24"] {
        say(&mut bot, typed).await;
        m = shown(&bot);
    }
    assert!(
        m.text().unwrap().contains("Quali servizi"),
        "{:?}",
        m.text()
    );
    // Multiple choice: two toggles edit the question in place, then "done".
    for label in ["Servizi per i figli", "smart working"] {
        let data = buttons(&m)
            .into_iter()
            .find(|(l, _)| l.contains(label))
            .unwrap_or_else(|| panic!("no «{label}» in {:?}", buttons(&m)))
            .1;
        press(&mut bot, &m, &data).await;
        assert!(
            !bot.get_responses().edited_messages_text.is_empty(),
            "a toggle edits"
        );
        m = shown(&bot);
    }
    let done = buttons(&m)
        .into_iter()
        .find(|(_, d)| d.ends_with("|d"))
        .expect("a done button")
        .1;
    press(&mut bot, &m, &done).await;
    m = shown(&bot);
    // The optional VAT number is skipped; the verdict follows.
    let skip = buttons(&m)
        .into_iter()
        .find(|(_, d)| d.ends_with("|s"))
        .expect("a skip button")
        .1;
    press(&mut bot, &m, &skip).await;
    let verdict = sent(&bot).join("\n");
    assert!(verdict.contains("Esito: AMMISSIBILE"), "{verdict}");
    assert!(
        verdict.contains("Valore del progetto: 150.000 €"),
        "{verdict}"
    );
    assert!(verdict.contains("non vincolante"), "{verdict}");
    let Loaded::Found(s) = ad.app.load_session(me()).await.unwrap() else {
        panic!("no session")
    };
    assert_eq!(
        s.state,
        sportello::dialogue::State::Idle,
        "the check is over"
    );
}
