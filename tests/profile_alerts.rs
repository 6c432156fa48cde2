//! Profile alerts (issue 13, item 2): «Avvisami se esce un bando adatto a me» after the
//! profile match or a check, the consent it records, the comparison on each load and the
//! notice of a new call that fits, in the user's language; stopping and erasure. Each
//! test has a knowledge directory of its own whose dates are relative to its clock.

mod common;

use common::residue::residue;
use std::path::Path;

use jiff::{Timestamp, ToSpan};
use sportello::action::Action;
use sportello::app::profile_alerts::sync;
use sportello::app::{App, Brain};
use sportello::dialogue::{Event, Settings};
use sportello::eligibility::Answer;
use sportello::knowledge::deadline::rome;
use sportello::outgoing::{Class, What};
use sportello::reply::Reply;
use sportello::store::{Store, UserId};
use sportello::text::{Lang, texts};

const USER: UserId = UserId(7_356_918_204);

fn now() -> Timestamp {
    // Any moment works: the pack's dates are computed from it.
    "2026-09-03T07:45:00Z".parse().unwrap()
}

/// The date `days` after the test's clock, as the pack writes it.
fn day(days: i64) -> String {
    now()
        .to_zoned(rome())
        .date()
        .checked_add(days.days())
        .unwrap()
        .to_string()
}

/// A call for `applicants` in Piedmont; `deadline_days`: a known deadline that many days
/// from the clock (negative: closed), or `None`: not known, open since ten days.
fn call(dir: &Path, id: &str, short: &str, applicants: &str, deadline_days: Option<i64>) {
    let deadline = match deadline_days {
        Some(d) => format!("status = \"known\"\nat = \"{}\"\n", day(d)),
        None => format!("status = \"unknown\"\nopen_by = \"{}\"\n", day(-10)),
    };
    std::fs::create_dir_all(dir.join("calls")).unwrap();
    std::fs::write(
        dir.join(format!("calls/{id}.toml")),
        format!(
            "id = \"{id}\"\nkind = \"call\"\nprogramme = \"Prova\"\ntitle = \"{short}, titolo\"\nshort = \"{short}\"\nsummary = \"Un bando di prova.\"\naliases = [\"{id}\"]\napplicants = [{applicants}]\nterritory = \"Piemonte\"\nsource = \"test\"\n\n[deadline]\n{deadline}source = \"Delibera di prova\"\n"
        ),
    )
    .unwrap();
}

/// The profile questionnaire as shipped (two questions), and a check of call `uno` that
/// asks who the user is and whether they operate in Piedmont.
fn questionnaires(dir: &Path) {
    std::fs::create_dir_all(dir.join("questionnaires")).unwrap();
    std::fs::write(
        dir.join("questionnaires/profilo.toml"),
        r#"id = "profilo"
kind = "profile"
title = "Quali bandi fanno per me?"

[[question]]
id = "soggetto"
kind = "choice"
label = "Chi sei"
text = "Chi sei?"
matches = "applicants"
fact = "applicant"
options = [
  { id = "pmi", label = "Una PMI", applicant = "pmi", facts = ["pmi"] },
  { id = "terzo-settore", label = "Un ente del terzo settore", applicant = "terzo-settore", facts = ["terzo-settore"] },
  { id = "cittadino", label = "Un privato cittadino", applicant = "cittadino", facts = ["cittadino"] },
]

[[question]]
id = "territorio"
kind = "choice"
label = "Dove operi"
text = "Dove operi?"
matches = "territory"
fact = "in-piedmont"
options = [
  { id = "piemonte", label = "In Piemonte", territory = "Piemonte", facts = ["si"] },
  { id = "altrove", label = "In un'altra regione", facts = ["no"] },
]

[[case]]
name = "fuori dal Piemonte"
answers = { soggetto = "cittadino", territorio = "altrove" }
calls = []
unknown = []
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("questionnaires/uno.toml"),
        r#"id = "uno"
kind = "call"
title = "Requisiti del Bando Uno"

[[question]]
id = "chi"
kind = "choice"
label = "Chi sei"
text = "Chi presenta la domanda?"
fact = "applicant"
options = [
  { id = "pmi", label = "Una PMI", facts = ["pmi"] },
  { id = "altro", label = "Altro", facts = ["terzo-settore", "cittadino"] },
]

[[question]]
id = "sede"
kind = "yes-no"
label = "In Piemonte"
text = "Operi in Piemonte?"
fact = "in-piedmont"

[[rule]]
id = "pmi-ok"
when = { chi = "pmi", sede = true }
verdict = "ammissibile"
reason = "Sei una PMI piemontese."
cite = "uno#chi-puo"

[[rule]]
id = "altro-no"
when = { chi = "altro" }
verdict = "non-ammissibile"
reason = "Il bando è per le PMI."
cite = "uno#chi-puo"
fix = "Partecipa come PMI."

[[rule]]
id = "fuori"
when = { sede = false }
verdict = "non-ammissibile"
reason = "Il bando è per chi opera in Piemonte."
cite = "uno#chi-puo"
fix = "Apri una sede in Piemonte."

[[case]]
name = "PMI piemontese"
answers = { chi = "pmi", sede = true }
expect = "ammissibile"
"#,
    )
    .unwrap();
    let f = dir.join("calls/uno.toml");
    let mut s = std::fs::read_to_string(&f).unwrap();
    s.push_str("\n[[section]]\nid = \"chi-puo\"\ntitle = \"Chi può partecipare\"\ntext = \"Le PMI piemontesi.\"\nsource = \"test\"\n");
    std::fs::write(f, s).unwrap();
}

/// A pack with one call for SMEs (`uno`) and the questionnaires.
fn pack(dir: &Path) {
    call(dir, "uno", "Bando Uno", "\"pmi\"", None);
    questionnaires(dir);
}

fn app(knowledge: &Path, store: Store) -> App {
    App::new(
        Brain::load(knowledge).unwrap(),
        knowledge.to_path_buf(),
        store,
        Settings::default(),
    )
}

fn plain(replies: &[Reply]) -> String {
    replies
        .iter()
        .map(|r| r.text.to_plain())
        .collect::<Vec<_>>()
        .join("\n---\n")
}

fn has_button(replies: &[Reply], action: &Action) -> bool {
    let data = action.encode();
    replies
        .iter()
        .flat_map(|r| r.buttons.iter().flatten())
        .any(|b| b.data == data)
}

/// Presses the button labelled `label` in the last reply.
async fn press(app: &App, replies: &[Reply], label: &str) -> Vec<Reply> {
    let data = replies
        .iter()
        .rev()
        .flat_map(|r| r.buttons.iter().flatten())
        .find(|b| b.label == label)
        .unwrap_or_else(|| panic!("no button «{label}» in {}", plain(replies)))
        .data
        .clone();
    app.handle(USER, &Event::Button(data), now()).await.unwrap()
}

async fn say(app: &App, text: &str) -> Vec<Reply> {
    app.handle(USER, &Event::Text(text.into()), now())
        .await
        .unwrap()
}

/// «Quali bandi fanno per me?» answered as a Piedmont SME.
async fn profile_as_sme(app: &App) -> Vec<Reply> {
    let r = say(app, "/verifica profilo").await;
    let r = press(app, &r, "Una PMI").await;
    press(app, &r, "In Piemonte").await
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

async fn load(app: &App, store: &Store) -> sportello::app::profile_alerts::ProfileReport {
    let brain = app.reload().await.unwrap();
    sync(store, &brain.knowledge, now()).await.unwrap()
}

/// Opens the database again after a simulated stop (sled lets go of its lock a moment
/// after the last handle is dropped).
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

fn it(key: &str) -> String {
    texts(Lang::It).s(key, &[])
}

#[tokio::test]
async fn a_new_call_that_fits_is_told_once_with_reasons_and_one_that_does_not_gives_nothing() {
    let k = tempfile::tempdir().unwrap();
    pack(k.path());
    let store = Store::temporary().unwrap();
    let app = app(k.path(), store.clone());

    // Nothing is stored before the tap.
    let r = profile_as_sme(&app).await;
    assert!(plain(&r).contains("Bando Uno"), "{}", plain(&r));
    assert!(has_button(&r, &Action::ProfileAlert), "{}", plain(&r));
    assert_eq!(store.profile_alert_count().await.unwrap(), 0);
    let r = app
        .handle(USER, &Event::Button(Action::ProfileAlert.encode()), now())
        .await
        .unwrap();
    let told = plain(&r);
    assert!(
        told.contains("consenso") && told.contains("Chi sei: Una PMI; Dove operi: In Piemonte"),
        "the confirmation says what is kept and that the tap is the consent: {told}"
    );
    let kept = store.profile_alert(USER).await.unwrap().expect("kept");
    assert_eq!(
        kept.answers,
        [
            ("soggetto".to_string(), Answer::Choice("pmi".into())),
            ("territorio".to_string(), Answer::Choice("piemonte".into())),
        ]
    );
    // /privacy says it is kept.
    let p = plain(&say(&app, "/privacy").await);
    assert!(p.contains(&it("privacy.profile_alert")), "{p}");

    // A load with no new call: nothing to tell, nothing to store.
    let rep = load(&app, &store).await;
    assert_eq!((rep.profiles, rep.told), (1, 0));

    // Two calls are added: one for SMEs (told, with the reasons), one for the third
    // sector (nothing).
    call(
        k.path(),
        "due",
        "Bando Due",
        "\"pmi\", \"grande-impresa\"",
        Some(30),
    );
    call(k.path(), "tre", "Bando Tre", "\"terzo-settore\"", None);
    let rep = load(&app, &store).await;
    assert_eq!(rep.told, 1, "{rep:?}");
    let n = notices(&store, USER).await;
    assert_eq!(n.len(), 1, "{n:?}");
    let who = format!(
        "{}, {}",
        it("applicant.pmi"),
        it("applicant.grande_impresa")
    );
    let why = texts(Lang::It).s("check.profile.why", &[("who", &who), ("where", "Piemonte")]);
    assert!(n[0].contains("Bando Due"), "{}", n[0]);
    assert!(
        n[0].contains(&why),
        "the reasons of the profile match: {}",
        n[0]
    );
    assert!(
        !n[0].contains("Bando Tre"),
        "a call that does not fit: {}",
        n[0]
    );
    assert!(!n[0].contains("Bando Uno"), "not a new call: {}", n[0]);

    // Loaded again: told once only.
    let rep = load(&app, &store).await;
    assert_eq!(rep.told, 0);
    assert_eq!(notices(&store, USER).await.len(), 1);

    // A new call that does not fit, and one already closed: nothing.
    call(k.path(), "quattro", "Bando Quattro", "\"cittadino\"", None);
    call(k.path(), "cinque", "Bando Cinque", "\"pmi\"", Some(-3));
    assert_eq!(load(&app, &store).await.told, 0);
    assert_eq!(notices(&store, USER).await.len(), 1);
}

#[tokio::test]
async fn a_check_offers_the_alert_when_its_answers_say_who_the_user_is() {
    let k = tempfile::tempdir().unwrap();
    pack(k.path());
    let store = Store::temporary().unwrap();
    let app = app(k.path(), store.clone());
    // «Altro» stands for several kinds of applicant: no profile, no offer.
    let r = say(&app, "/verifica uno").await;
    let r = press(&app, &r, "Altro").await;
    let r = press(&app, &r, &it("check.yes")).await;
    assert!(plain(&r).contains("Il bando è per le PMI"), "{}", plain(&r));
    assert!(!has_button(&r, &Action::ProfileAlert), "{}", plain(&r));
    // A Piedmont SME: the same profile as «Quali bandi fanno per me?» would keep.
    let r = say(&app, "/verifica uno").await;
    let r = press(&app, &r, "Una PMI").await;
    let r = press(&app, &r, &it("check.yes")).await;
    assert!(has_button(&r, &Action::ProfileAlert), "{}", plain(&r));
    press(&app, &r, &it("profile_alert.button.start")).await;
    let kept = store.profile_alert(USER).await.unwrap().expect("kept");
    assert_eq!(kept.questionnaire, "profilo");
    assert_eq!(
        kept.answers,
        [
            ("soggetto".to_string(), Answer::Choice("pmi".into())),
            ("territorio".to_string(), Answer::Choice("piemonte".into())),
        ]
    );
}

#[tokio::test]
async fn a_restart_between_the_change_and_the_notice_loses_nothing_and_repeats_nothing() {
    let k = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    pack(k.path());
    {
        let store = reopen(data.path()).await;
        let app = app(k.path(), store.clone());
        profile_as_sme(&app).await;
        app.handle(USER, &Event::Button(Action::ProfileAlert.encode()), now())
            .await
            .unwrap();
        store.flush().await.unwrap();
        // A call is added, then the process stops before any load compared it.
        call(k.path(), "due", "Bando Due", "\"pmi\"", Some(30));
    }
    let store = reopen(data.path()).await;
    let app2 = app(k.path(), store.clone());
    assert_eq!(load(&app2, &store).await.told, 1, "the start tells it");
    drop(app2);
    drop(store);
    // Stopped again after the notice was stored: still there, not stored twice.
    let store = reopen(data.path()).await;
    assert_eq!(notices(&store, USER).await.len(), 1);
    let app3 = app(k.path(), store.clone());
    assert_eq!(load(&app3, &store).await.told, 0);
    assert_eq!(notices(&store, USER).await.len(), 1);
}

#[tokio::test]
async fn an_english_user_is_told_in_english() {
    let k = tempfile::tempdir().unwrap();
    pack(k.path());
    let store = Store::temporary().unwrap();
    let app = app(k.path(), store.clone());
    say(&app, "/language en").await;
    let r = say(&app, "/check profilo").await;
    let r = press(&app, &r, "Una PMI").await;
    let r = press(&app, &r, "In Piemonte").await;
    let r = press(
        &app,
        &r,
        &texts(Lang::En).s("profile_alert.button.start", &[]),
    )
    .await;
    assert!(plain(&r).contains("Your consent"), "{}", plain(&r));
    call(k.path(), "due", "Bando Due", "\"pmi\"", Some(30));
    assert_eq!(load(&app, &store).await.told, 1);
    let n = notices(&store, USER).await;
    let en = texts(Lang::En);
    assert!(
        n[0].starts_with(&en.s("profile_alert.notice.title", &[])),
        "{}",
        n[0]
    );
    let why = en.s(
        "check.profile.why",
        &[("who", &en.s("applicant.pmi", &[])), ("where", "Piemonte")],
    );
    assert!(n[0].contains(&why), "{}", n[0]);
    assert!(!n[0].contains("Possono partecipare"), "{}", n[0]);
}

#[tokio::test]
async fn promemoria_stops_the_alerts_and_erasure_leaves_nothing_on_disk() {
    let k = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    pack(k.path());
    let id = USER.0;
    let needles: Vec<(&str, Vec<u8>)> = vec![
        ("id decimal", id.to_string().into_bytes()),
        ("id big-endian", id.to_be_bytes().to_vec()),
        ("id little-endian", id.to_le_bytes().to_vec()),
        ("id sortable key", USER.key().to_vec()),
        ("profile answers", b"\"soggetto\"".to_vec()),
    ];
    {
        let store = Store::open(data.path(), 16).unwrap();
        let app = app(k.path(), store.clone());
        profile_as_sme(&app).await;
        app.handle(USER, &Event::Button(Action::ProfileAlert.encode()), now())
            .await
            .unwrap();
        // /promemoria shows the alerts with a stop button; stopping forgets the profile.
        let r = say(&app, "/promemoria").await;
        assert!(
            plain(&r).contains(&it("profile_alert.yours")),
            "{}",
            plain(&r)
        );
        assert!(has_button(&r, &Action::ProfileAlertStop), "{}", plain(&r));
        let r = app
            .handle(
                USER,
                &Event::Button(Action::ProfileAlertStop.encode()),
                now(),
            )
            .await
            .unwrap();
        assert_eq!(plain(&r), it("profile_alert.stopped"));
        assert_eq!(store.profile_alert(USER).await.unwrap(), None);
        call(k.path(), "due", "Bando Due", "\"pmi\"", Some(30));
        assert_eq!(load(&app, &store).await.profiles, 0);
        assert!(notices(&store, USER).await.is_empty());

        // Asked again, then /cancellami.
        profile_as_sme(&app).await;
        app.handle(USER, &Event::Button(Action::ProfileAlert.encode()), now())
            .await
            .unwrap();
        assert_eq!(store.profile_alert_count().await.unwrap(), 1);
        say(&app, "/cancellami").await;
        app.handle(USER, &Event::Button(Action::EraseConfirm.encode()), now())
            .await
            .unwrap();
        assert_eq!(store.profile_alert_count().await.unwrap(), 0);
        call(k.path(), "tre", "Bando Tre", "\"pmi\"", Some(30));
        assert_eq!(load(&app, &store).await.told, 0);
        store.flush().await.unwrap();
    }
    // Stopped: no file of the data directory holds the user or their profile.
    let found = residue(data.path(), &needles);
    assert!(
        found.iter().all(|(_, n)| *n == 0),
        "left on disk: {found:?}"
    );
    // The scan reads raw bytes of every file: a control file is found.
    std::fs::write(
        data.path().join("control"),
        [&id.to_le_bytes()[..], b"\"soggetto\""].concat(),
    )
    .unwrap();
    let seen = residue(data.path(), &needles);
    assert_eq!((seen[2].1, seen[4].1), (1, 1), "{seen:?}");
}
