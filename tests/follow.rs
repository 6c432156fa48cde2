//! Following a call (issue 13, item 1): «🔔 Avvisami», the comparison on each load and
//! the notices it stores, with a knowledge directory of the test's own whose dates are
//! relative to the test's clock.

use std::path::Path;

use jiff::{SignedDuration, Timestamp, ToSpan};
use sportello::action::Action;
use sportello::app::follows::sync;
use sportello::app::{App, Brain};
use sportello::dialogue::{Event, Settings};
use sportello::knowledge::{CallId, DeadlineAt, deadline::rome};
use sportello::outgoing::{Class, What};
use sportello::reminders::Offset;
use sportello::reply::Reply;
use sportello::store::{Store, UserId};

const USER: UserId = UserId(4242);

fn now() -> Timestamp {
    // Any moment works: the pack's dates are computed from it.
    "2026-06-15T08:30:00Z".parse().unwrap()
}

/// The date `days` after the test's clock, as the pack writes it.
fn day(days: i64) -> String {
    let d = now()
        .to_zoned(rome())
        .date()
        .checked_add(days.days())
        .unwrap();
    d.to_string()
}

fn call_file(deadline: &str, page: &str) -> String {
    format!(
        "id = \"prova\"\nkind = \"call\"\nprogramme = \"Prova\"\ntitle = \"Bando di prova\"\nshort = \"Bando Prova\"\nsummary = \"Un bando di prova.\"\naliases = [\"prova\"]\nsource = \"test\"\n\n[official_page]\ntitle = \"{page}\"\nsite = \"www.example.org\"\n\n[deadline]\n{deadline}source = \"Delibera di prova\"\n"
    )
}

fn write_pack(dir: &Path, deadline: &str, page: &str) {
    std::fs::create_dir_all(dir.join("calls")).unwrap();
    std::fs::write(dir.join("calls/prova.toml"), call_file(deadline, page)).unwrap();
}

fn unknown() -> String {
    format!("status = \"unknown\"\nopen_by = \"{}\"\n", day(-10))
}

fn known(days: i64) -> String {
    format!("status = \"known\"\nat = \"{}\"\n", day(days))
}

fn app(knowledge: &Path, store: Store) -> App {
    App::new(
        Brain::load(knowledge).unwrap(),
        knowledge.to_path_buf(),
        store,
        Settings::default(),
    )
}

fn button(replies: &[Reply], action: &Action) -> bool {
    let data = action.encode();
    replies
        .iter()
        .flat_map(|r| r.buttons.iter().flatten())
        .any(|b| b.data == data)
}

fn plain(replies: &[Reply]) -> String {
    replies
        .iter()
        .map(|r| r.text.to_plain())
        .collect::<Vec<_>>()
        .join("\n---\n")
}

/// A deadline as the Italian messages write it.
fn in_italian(at: &DeadlineAt) -> String {
    sportello::text::texts(sportello::text::Lang::It).date(at)
}

/// The texts of the messages waiting in the outbox for `user`.
async fn notices(store: &Store, user: UserId) -> Vec<String> {
    store
        .outbox_entries()
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.chat == user.0 && e.class == Class::Background)
        .filter_map(|e| match e.what {
            What::Message { text, .. } => Some(text.to_plain()),
            _ => None,
        })
        .collect()
}

/// Opens the database again after a simulated stop. sled releases its file lock when its
/// background flusher lets go of the last handle, a moment after the drop: wait for it.
async fn reopen(dir: &Path) -> Store {
    for _ in 0..200 {
        match Store::open(dir, 16) {
            Ok(s) => return s,
            Err(_) => tokio::task::yield_now().await,
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the database stayed locked")
}

async fn load(app: &App, store: &Store, at: Timestamp) -> sportello::app::follows::FollowReport {
    let brain = app.reload().await.unwrap();
    sync(store, &brain.knowledge, &Offset::defaults(), at)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_deadline_published_moved_and_withdrawn_is_told_once_each() {
    let k = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write_pack(k.path(), &unknown(), "Pagina ufficiale");
    let store = Store::open(data.path(), 16).unwrap();
    let app = app(k.path(), store.clone());
    let call = CallId("prova".into());

    // The card offers «🔔 Avvisami»; pressing it follows the call.
    let card = app
        .handle(
            USER,
            &Event::Button(Action::Call(call.clone()).encode()),
            now(),
        )
        .await
        .unwrap();
    assert!(
        button(&card, &Action::Follow(call.clone())),
        "{}",
        plain(&card)
    );
    let r = app
        .handle(
            USER,
            &Event::Button(Action::Follow(call.clone()).encode()),
            now(),
        )
        .await
        .unwrap();
    assert!(plain(&r).contains("seguo"), "{}", plain(&r));
    assert_eq!(store.watches_of(USER).await.unwrap().len(), 1);
    // Nothing changed: nothing to tell.
    let rep = load(&app, &store, now()).await;
    assert_eq!((rep.follows, rep.told), (1, 0));

    // The deadline is published, 30 days ahead: told, with reminders planned.
    write_pack(k.path(), &known(30), "Pagina ufficiale");
    let later = now() + SignedDuration::from_hours(1);
    let rep = load(&app, &store, later).await;
    assert_eq!((rep.told, rep.planned), (1, 3), "{rep:?}");
    let n = notices(&store, USER).await;
    let published = in_italian(&DeadlineAt::parse(&day(30)).unwrap());
    assert_eq!(n.len(), 1, "{n:?}");
    assert!(
        n[0].contains("pubblicata") && n[0].contains(&published),
        "{}",
        n[0]
    );
    assert!(n[0].contains("Delibera di prova"), "the source: {}", n[0]);
    let subs = store.subscriptions_of(USER).await.unwrap();
    assert_eq!(subs.len(), 1);
    assert_eq!(store.queued_reminders().await.unwrap().len(), 3);
    // Loaded again: told once only.
    let rep = load(&app, &store, later).await;
    assert_eq!(rep.told, 0);
    assert_eq!(notices(&store, USER).await.len(), 1);

    // The page changes: told from what to what.
    write_pack(k.path(), &known(30), "Nuova pagina");
    let rep = load(&app, &store, later).await;
    assert_eq!(rep.told, 1);
    let n = notices(&store, USER).await;
    assert!(
        n[1].contains("«Pagina ufficiale»") && n[1].contains("«Nuova pagina»"),
        "{}",
        n[1]
    );

    // Moved: the reminders' comparison tells it (once); the follow takes the new date.
    write_pack(k.path(), &known(40), "Nuova pagina");
    let rep = load(&app, &store, later).await;
    assert_eq!(
        rep.told, 0,
        "a subscriber hears of a move from the reminders"
    );
    let brain = app.brain();
    let moved = store
        .sync_reminders(
            &|id| {
                let c = brain.knowledge.call(&id.0);
                (c.and_then(|c| c.deadline.as_ref()?.known()), c.is_none())
            },
            &Offset::defaults(),
            later,
        )
        .await
        .unwrap();
    assert_eq!(moved.moved, 1);
    let w = store.watches_of(USER).await.unwrap();
    assert_eq!(w[0].seen.deadline, DeadlineAt::parse(&day(40)).ok());
}

#[tokio::test]
async fn without_reminders_a_move_and_a_withdrawal_are_told_by_the_follow() {
    let k = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write_pack(k.path(), &known(20), "Pagina ufficiale");
    let store = Store::open(data.path(), 16).unwrap();
    let app = app(k.path(), store.clone());
    let call = CallId("prova".into());
    app.handle(
        USER,
        &Event::Button(Action::Follow(call.clone()).encode()),
        now(),
    )
    .await
    .unwrap();
    assert!(store.subscriptions_of(USER).await.unwrap().is_empty());
    write_pack(k.path(), &known(25), "Pagina ufficiale");
    assert_eq!(load(&app, &store, now()).await.told, 1);
    write_pack(k.path(), &unknown(), "Pagina ufficiale");
    assert_eq!(load(&app, &store, now()).await.told, 1);
    let n = notices(&store, USER).await;
    let (from, to) = (
        in_italian(&DeadlineAt::parse(&day(20)).unwrap()),
        in_italian(&DeadlineAt::parse(&day(25)).unwrap()),
    );
    assert!(n[0].contains(&format!("dal {from} al {to}")), "{}", n[0]);
    assert!(
        n[1].contains(&format!("del {to} non è più indicata")),
        "{}",
        n[1]
    );
}

#[tokio::test]
async fn a_restart_between_the_change_and_the_notice_loses_nothing_and_repeats_nothing() {
    let k = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write_pack(k.path(), &unknown(), "Pagina ufficiale");
    {
        let store = reopen(data.path()).await;
        let app = app(k.path(), store.clone());
        app.handle(
            USER,
            &Event::Button(Action::Follow(CallId("prova".into())).encode()),
            now(),
        )
        .await
        .unwrap();
        store.flush().await.unwrap();
        // The pack changes, then the process stops before any load compared it.
        write_pack(k.path(), &known(30), "Pagina ufficiale");
    }
    let store = reopen(data.path()).await;
    let app2 = app(k.path(), store.clone());
    let rep = load(&app2, &store, now()).await;
    assert_eq!(rep.told, 1, "the start after the restart tells it");
    drop(app2);
    drop(store);
    // Stopped again after the notice was stored: still there, and not stored twice.
    let store = reopen(data.path()).await;
    assert_eq!(notices(&store, USER).await.len(), 1);
    let app3 = app(k.path(), store.clone());
    assert_eq!(load(&app3, &store, now()).await.told, 0);
    assert_eq!(notices(&store, USER).await.len(), 1);
}

#[tokio::test]
async fn promemoria_lists_what_is_followed_and_erasure_leaves_nothing() {
    let k = tempfile::tempdir().unwrap();
    write_pack(k.path(), &unknown(), "Pagina ufficiale");
    let store = Store::temporary().unwrap();
    let app = app(k.path(), store.clone());
    let call = CallId("prova".into());
    // In words, naming the call: the offer to follow it.
    let r = app
        .handle(
            USER,
            &Event::Text("vorrei un avviso quando esce la scadenza di prova".into()),
            now(),
        )
        .await
        .unwrap();
    assert!(button(&r, &Action::Follow(call.clone())), "{}", plain(&r));
    app.handle(
        USER,
        &Event::Button(Action::Follow(call.clone()).encode()),
        now(),
    )
    .await
    .unwrap();
    let r = app
        .handle(USER, &Event::Text("/promemoria".into()), now())
        .await
        .unwrap();
    assert!(plain(&r).contains("Bandi che segui"), "{}", plain(&r));
    assert!(button(&r, &Action::Unfollow(call.clone())), "{}", plain(&r));
    // /cancellami: no follow left, and a load has no one to tell.
    app.handle(USER, &Event::Text("/cancellami".into()), now())
        .await
        .unwrap();
    app.handle(USER, &Event::Button(Action::EraseConfirm.encode()), now())
        .await
        .unwrap();
    assert!(store.watches_of(USER).await.unwrap().is_empty());
    assert_eq!(store.watch_count().await.unwrap(), 0);
    write_pack(k.path(), &known(30), "Pagina ufficiale");
    let rep = load(&app, &store, now()).await;
    assert_eq!((rep.follows, rep.told), (0, 0));
    assert!(notices(&store, USER).await.is_empty());
}

/// A questionnaire for `prova`: eligible from `min` €; with `extra`, one more question.
fn questionnaire(dir: &Path, min: u32, extra: bool, fix: &str) {
    std::fs::create_dir_all(dir.join("questionnaires")).unwrap();
    std::fs::create_dir_all(dir.join("calls")).unwrap();
    std::fs::write(
        dir.join("calls/prova.toml"),
        call_file(&unknown(), "Pagina ufficiale")
            + "\n[[section]]\nid = \"chi\"\ntitle = \"Chi può partecipare\"\ntext = \"Progetti da un certo valore.\"\nsource = \"test\"\n",
    )
    .unwrap();
    let extra_q = if extra {
        "[[question]]\nid = \"piemonte\"\nkind = \"yes-no\"\nlabel = \"In Piemonte\"\ntext = \"Operi in Piemonte?\"\n\n[[rule]]\nid = \"fuori\"\nwhen = { piemonte = false }\nverdict = \"non-ammissibile\"\nreason = \"Fuori dal Piemonte.\"\ncite = \"prova#chi\"\nfix = \"Opera in Piemonte.\"\n\n"
    } else {
        ""
    };
    std::fs::write(
        dir.join("questionnaires/prova.toml"),
        format!(
            "id = \"prova\"\nkind = \"call\"\ntitle = \"Requisiti di prova\"\nnext_steps = [\"Leggi il bando.\"]\n\n[[question]]\nid = \"valore\"\nkind = \"number\"\nlabel = \"Valore\"\ntext = \"Quanto vale il progetto?\"\nunit = \"€\"\n\n{extra_q}[[rule]]\nid = \"valore-ok\"\nwhen = {{ valore = {{ ge = {min} }}{extra_a} }}\nverdict = \"ammissibile\"\nreason = \"Il progetto vale almeno {min} €.\"\ncite = \"prova#chi\"\n\n[[rule]]\nid = \"valore-basso\"\nwhen = {{ valore = {{ lt = {min} }} }}\nverdict = \"non-ammissibile\"\nreason = \"Il progetto vale meno di {min} €.\"\ncite = \"prova#chi\"\nfix = \"{fix}\"\n\n[[case]]\nname = \"alto\"\nanswers = {{ valore = {min}{extra_a} }}\nexpect = \"ammissibile\"\n",
            extra_a = if extra { ", piemonte = true" } else { "" },
        ),
    )
    .unwrap();
}

#[tokio::test]
async fn a_kept_verdict_is_told_when_it_changes_and_only_then_and_never_guessed() {
    let k = tempfile::tempdir().unwrap();
    questionnaire(k.path(), 50_000, false, "Alza il valore.");
    let store = Store::temporary().unwrap();
    let app = app(k.path(), store.clone());
    app.handle(USER, &Event::Text("/verifica prova".into()), now())
        .await
        .unwrap();
    let r = app
        .handle(USER, &Event::Text("60000".into()), now())
        .await
        .unwrap();
    assert!(plain(&r).contains("AMMISSIBILE"), "{}", plain(&r));
    assert!(button(&r, &Action::KeepVerdict), "{}", plain(&r));
    let r = app
        .handle(USER, &Event::Button(Action::KeepVerdict.encode()), now())
        .await
        .unwrap();
    assert!(plain(&r).contains("conservo"), "{}", plain(&r));
    let kept = store.watches_of(USER).await.unwrap();
    assert!(kept[0].verdict.is_some());

    // The questionnaire changes where it does not concern this user: nothing to tell.
    questionnaire(k.path(), 50_000, false, "Porta il valore sopra la soglia.");
    assert_eq!(load(&app, &store, now()).await.rechecked, 0);
    assert!(notices(&store, USER).await.is_empty());

    // The rule that applies is reworded (a new threshold, same outcome): told.
    questionnaire(k.path(), 40_000, false, "Alza il valore.");
    let rep = load(&app, &store, now()).await;
    assert_eq!(
        rep.rechecked, 1,
        "the reason changed (40.000 instead of 50.000)"
    );
    let n = notices(&store, USER).await;
    assert!(n[0].contains("Il progetto vale almeno 40000 €"), "{}", n[0]);
    assert!(
        n[0].contains("Chi può partecipare"),
        "the citation: {}",
        n[0]
    );
    let rep = load(&app, &store, now()).await;
    assert_eq!(rep.rechecked, 0, "told once");

    // The threshold moves above the user's value: the outcome changes, with the reason.
    questionnaire(k.path(), 70_000, false, "Alza il valore.");
    assert_eq!(load(&app, &store, now()).await.rechecked, 1);
    let n = notices(&store, USER).await;
    assert!(
        n[1].contains("«ammissibile»") && n[1].contains("«non ammissibile»"),
        "{}",
        n[1]
    );
    assert!(n[1].contains("meno di 70000 €"), "{}", n[1]);

    // A new question the user never answered: an invitation, no verdict, once.
    questionnaire(k.path(), 70_000, true, "Alza il valore.");
    assert_eq!(load(&app, &store, now()).await.rechecked, 1);
    assert_eq!(load(&app, &store, now()).await.rechecked, 0);
    let n = notices(&store, USER).await;
    assert_eq!(n.len(), 3);
    assert!(n[2].contains("Non ti do un esito a metà"), "{}", n[2]);
    assert!(
        !n[2].contains("«ammissibile»") && !n[2].contains("«non ammissibile»"),
        "{}",
        n[2]
    );

    // /cancellami: the kept result goes with the rest.
    app.handle(USER, &Event::Text("/cancellami".into()), now())
        .await
        .unwrap();
    app.handle(USER, &Event::Button(Action::EraseConfirm.encode()), now())
        .await
        .unwrap();
    assert_eq!(store.watch_count().await.unwrap(), 0);
}

#[tokio::test]
async fn an_english_follower_is_told_in_english_even_after_the_session_expired() {
    use sportello::text::{Lang, texts};
    let k = tempfile::tempdir().unwrap();
    write_pack(k.path(), &unknown(), "Pagina ufficiale");
    let store = Store::temporary().unwrap();
    let app = app(k.path(), store.clone());
    let call = CallId("prova".into());
    app.handle(USER, &Event::Text("/language en".into()), now())
        .await
        .unwrap();
    let r = app
        .handle(
            USER,
            &Event::Button(Action::Follow(call.clone()).encode()),
            now(),
        )
        .await
        .unwrap();
    let en = texts(Lang::En);
    assert!(
        plain(&r).starts_with(&en.s("follow.done", &[("call", "Bando Prova")])),
        "{}",
        plain(&r)
    );
    // An Italian follower of the same call, for contrast.
    let other = UserId(4343);
    app.handle(
        other,
        &Event::Button(Action::Follow(call.clone()).encode()),
        now(),
    )
    .await
    .unwrap();

    write_pack(k.path(), &known(30), "Pagina ufficiale");
    assert_eq!(load(&app, &store, now()).await.told, 2);
    let at = DeadlineAt::parse(&day(30)).unwrap();
    let n = notices(&store, USER).await;
    assert!(
        n[0].starts_with(&en.s("follow.notice.title", &[("call", "Bando Prova")])),
        "{}",
        n[0]
    );
    assert!(
        n[0].contains(&en.s("follow.notice.published", &[("date", &en.date(&at))])),
        "an English date: {}",
        n[0]
    );
    let planned = en.offsets(&Offset::defaults());
    assert!(n[0].contains(&planned), "{}", n[0]);
    let it = texts(Lang::It);
    let n = notices(&store, other).await;
    assert!(
        n[0].contains(&it.s("follow.notice.published", &[("date", &in_italian(&at))])),
        "{}",
        n[0]
    );

    // The session is gone (expired): the language recorded with the follow is used.
    store
        .expire_sessions(now() + SignedDuration::from_hours(24 * 400))
        .await
        .unwrap();
    assert!(store.load_session(USER).await.unwrap().is_none());
    write_pack(k.path(), &known(30), "Nuova pagina");
    assert_eq!(load(&app, &store, now()).await.told, 2);
    let n = notices(&store, USER).await;
    assert!(
        n[1].starts_with(&en.s("follow.notice.title", &[("call", "Bando Prova")])),
        "{}",
        n[1]
    );
}
