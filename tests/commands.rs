//! The command table (`src/command.rs`) against everything that lists commands: the
//! engine answers every users' command by each of its names and no staff command, the
//! menus registered with the Bot API stand-in carry the right scope, language, names and
//! descriptions, and the README's command table is the table.

mod common;

use std::path::Path;

use common::botapi::StandIn;
use serde_json::{Value, json};
use sportello::app::Brain;
use sportello::command::{COMMANDS, Spec, Who};
use sportello::dialogue::{Event, Session, Settings};
use sportello::helpdesk::Staff;
use sportello::text::{Lang, texts};
use teloxide::Bot;

const TOKEN: &str = "123456789:TEST_menus";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every name of every users' command reaches a command in the engine, in a session of
/// either language; every staff command is unknown to it (the app handles those for
/// staff before the engine).
#[test]
fn the_engine_knows_every_users_command_by_every_name() {
    let brain = Brain::load(&root().join("knowledge")).expect("pack loads");
    let settings = Settings::default();
    let engine = brain.engine(&settings);
    let now = "2026-12-01T09:00:00Z".parse().unwrap();
    for lang in Lang::ALL {
        let tx = texts(lang);
        for s in COMMANDS {
            for name in [s.it, s.en].iter().chain(s.aliases) {
                let session = Session {
                    lang,
                    ..Session::default()
                };
                let out = engine.handle(session, &Event::Text(format!("/{name}")), now);
                let unknown = tx.t("command.unknown", &[("command", name)]).to_plain();
                let said: Vec<String> = out.replies.iter().map(|r| r.text.to_plain()).collect();
                let is_unknown = said.contains(&unknown);
                match s.who {
                    Who::Users => assert!(!is_unknown, "{lang:?} /{name}: {said:?}"),
                    Who::Staff => assert!(is_unknown, "{lang:?} /{name}: {said:?}"),
                }
            }
        }
        // A name no command has is unknown (the check above can fail).
        let out = engine.handle(
            Session {
                lang,
                ..Session::default()
            },
            &Event::Text("/boh".into()),
            now,
        );
        assert_eq!(
            out.replies[0].text.to_plain(),
            tx.t("command.unknown", &[("command", "boh")]).to_plain()
        );
    }
}

/// The menu Telegram should get for `who` in `lang`, as the Bot API's JSON.
fn wanted(lang: Lang, who: Who) -> Vec<Value> {
    let tx = texts(lang);
    COMMANDS
        .iter()
        .filter(|s| s.menu && (s.who == Who::Users || who == Who::Staff))
        .map(|s| json!({"command": s.name(lang), "description": tx.raw(&s.description_key())}))
        .collect()
}

/// `setMyCommands` per scope and language: the users' menu by default in Italian and for
/// English clients in English, the staff's in each staff chat in both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn menus_are_registered_per_scope_and_language() {
    let api = StandIn::start(TOKEN).await;
    let bot = Bot::new(TOKEN).set_api_url(api.url().parse().unwrap());
    let staff = Staff {
        chat: Some(-100_555),
        users: vec![4_440_001],
    };
    let failed = sportello::telegram::menus::publish(&bot, &staff).await;
    assert_eq!(failed, 0);
    let calls: Vec<Value> = api
        .calls()
        .into_iter()
        .filter(|c| c.method == "setMyCommands")
        .map(|c| c.body)
        .collect();
    let scope = |b: &Value| b.get("scope").cloned().unwrap_or(Value::Null);
    let language = |b: &Value| b.get("language_code").cloned().unwrap_or(Value::Null);
    let mut seen = Vec::new();
    for b in &calls {
        let s = scope(b);
        let lang = match language(b).as_str() {
            None => Lang::It,
            Some("en") => Lang::En,
            Some(other) => panic!("language_code {other}"),
        };
        let who = if s.is_null() || s["type"] == "default" {
            Who::Users
        } else {
            assert_eq!(s["type"], "chat", "{b}");
            Who::Staff
        };
        assert_eq!(
            b["commands"].as_array().unwrap(),
            &wanted(lang, who),
            "{lang:?} {s}"
        );
        seen.push((s["chat_id"].as_i64(), lang));
    }
    assert_eq!(
        seen,
        [
            (None, Lang::It),
            (None, Lang::En),
            (Some(-100_555), Lang::It),
            (Some(-100_555), Lang::En),
            (Some(4_440_001), Lang::It),
            (Some(4_440_001), Lang::En),
        ]
    );
    // The English menu is English: its names and descriptions are not the Italian ones.
    let it = wanted(Lang::It, Who::Users);
    let en = wanted(Lang::En, Who::Users);
    assert!(it.iter().any(|c| c["command"] == "bandi"));
    assert!(en.iter().any(|c| c["command"] == "calls"));
    assert!(
        it.iter()
            .zip(&en)
            .all(|(i, e)| i["description"] != e["description"])
    );
}

/// A refused staff menu (a staff member who never opened a chat with the bot) is
/// counted and does not stop the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_menu_does_not_stop_the_others() {
    let api = StandIn::start(TOKEN).await;
    let bot = Bot::new(TOKEN).set_api_url(api.url().parse().unwrap());
    api.fail_next_json("setmycommands", 400, 1);
    let failed = sportello::telegram::menus::publish(&bot, &Staff::default()).await;
    assert_eq!(failed, 1);
    let done: Vec<_> = api
        .calls()
        .into_iter()
        .filter(|c| c.method == "setMyCommands")
        .collect();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].body["language_code"], "en");
}

/// The README's command table, as the command table says it should be.
fn readme_table() -> String {
    let tx = texts(Lang::En);
    let mut t = String::from(
        "| Italian | English | who | in the menu | what it does |\n|---|---|---|---|---|\n",
    );
    let names = |s: &Spec, lang: Lang| {
        let mut n = format!("`/{}", s.name(lang));
        if s.args {
            n.push(' ');
            n.push_str(texts(lang).raw(&s.args_key()));
        }
        n.push('`');
        n
    };
    for s in COMMANDS {
        // Staff keep Italian: their commands have no English names.
        let mut en = match s.who {
            Who::Users => names(s, Lang::En),
            Who::Staff => "–".to_string(),
        };
        for a in s.aliases {
            en.push_str(&format!(", `/{a}`"));
        }
        let what = if s.help {
            tx.raw(&s.help_key()).to_string()
        } else {
            tx.raw(&s.description_key()).to_string()
        };
        t.push_str(&format!(
            "| {} | {en} | {} | {} | {what} |\n",
            names(s, Lang::It),
            match s.who {
                Who::Users => "everyone",
                Who::Staff => "staff",
            },
            if s.menu { "yes" } else { "no" },
        ));
    }
    t
}

/// The README documents the commands in one table, between `<!-- commands -->` and
/// `<!-- /commands -->`, and it is the command table. On a mismatch the test prints the
/// table to paste.
#[test]
fn the_readme_command_table_is_the_command_table() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find("<!-- commands -->\n")
        .expect("README has <!-- commands -->");
    let end = readme
        .find("<!-- /commands -->")
        .expect("README has <!-- /commands -->");
    let table = &readme[start + "<!-- commands -->\n".len()..end];
    let wanted = readme_table();
    assert!(
        table == wanted,
        "README's command table differs from src/command.rs; paste this:\n{wanted}"
    );
    assert_eq!(table.lines().count(), COMMANDS.len() + 2);
}
