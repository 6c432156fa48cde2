//! Using the bot in English: choosing the language, English questions, English numbers,
//! and the help desk's Italian side (issue 14).

use std::path::Path;

use jiff::Timestamp;
use sportello::app::{App, Brain};
use sportello::dialogue::{Event, Outcome, Session, Settings};
use sportello::eligibility::{Answer, Words};
use sportello::store::{Store, UserId};
use sportello::text::{Lang, texts};

fn brain() -> Brain {
    Brain::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")).expect("pack loads")
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

const TODAY: &str = "2026-11-22T10:00:00Z";

fn say(b: &Brain, session: Session, text: &str) -> Outcome {
    let settings = Settings::default();
    b.engine(&settings)
        .handle(session, &Event::Text(text.into()), at(TODAY))
}

fn plain(o: &Outcome) -> String {
    o.replies
        .iter()
        .map(|r| r.text.to_plain())
        .collect::<Vec<_>>()
        .join("\n---\n")
}

fn en(key: &str) -> String {
    texts(Lang::En).s(key, &[])
}

fn it(key: &str) -> String {
    texts(Lang::It).s(key, &[])
}

#[test]
fn lingua_and_language_switch_and_the_choice_is_kept() {
    let b = brain();
    let o = say(&b, Session::default(), "/language en");
    assert_eq!(o.session.lang, Lang::En);
    assert!(o.session.lang_chosen);
    assert_eq!(plain(&o), en("lang.switched"));
    let o = say(&b, o.session, "/calls");
    assert!(plain(&o).starts_with(&en("calls.title")), "{}", plain(&o));
    let o = say(&b, o.session, "/lingua it");
    assert_eq!(o.session.lang, Lang::It);
    assert!(plain(&o).starts_with(&it("lang.switched")));
    // Without an argument it switches to the other language.
    let o = say(&b, o.session, "/lingua");
    assert_eq!(o.session.lang, Lang::En);
    let o = say(&b, o.session, "/lingua klingon");
    assert_eq!(plain(&o), en("lang.usage"));
}

#[test]
fn an_english_question_gets_english_even_with_the_italian_setting() {
    let b = brain();
    let o = say(&b, Session::default(), "what are the deadlines?");
    assert_eq!(o.session.lang, Lang::It, "the setting is not changed");
    assert!(
        plain(&o).starts_with(&en("deadlines.title")),
        "{}",
        plain(&o)
    );
    // English dates in English replies.
    assert!(plain(&o).contains("February 2020"), "{}", plain(&o));
    let o = say(&b, o.session, "quali sono le scadenze?");
    assert!(plain(&o).starts_with(&it("deadlines.title")));
    assert!(plain(&o).contains("27/02/2020"), "{}", plain(&o));
}

#[tokio::test]
async fn the_client_language_sets_the_session_until_the_user_chooses() {
    let app = App::new(
        brain(),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"),
        Store::temporary().unwrap(),
        Settings::default(),
    );
    let user = UserId(42);
    let start = Event::Text("/start".into());
    let r = app
        .handle_in(user, Some(Lang::En), &start, at(TODAY))
        .await
        .unwrap();
    assert!(
        r[0].text.to_plain().starts_with("Hello!"),
        "{:?}",
        r[0].text
    );
    let r = app
        .handle_in(user, Some(Lang::It), &start, at(TODAY))
        .await
        .unwrap();
    assert!(r[0].text.to_plain().starts_with("Ciao!"));
    app.handle_in(
        user,
        Some(Lang::It),
        &Event::Text("/language en".into()),
        at(TODAY),
    )
    .await
    .unwrap();
    let r = app
        .handle_in(user, Some(Lang::It), &start, at(TODAY))
        .await
        .unwrap();
    assert!(r[0].text.to_plain().starts_with("Hello!"), "chosen wins");
}

#[test]
fn typed_answers_are_read_the_english_way() {
    let b = brain();
    let q = b
        .knowledge
        .questionnaire("wecare-welfare-aziendale")
        .expect("questionnaire");
    let tx = texts(Lang::En);
    let words = Words {
        yes: tx.list("words.yes"),
        no: tx.list("words.no"),
        lead_yes: tx.list("words.lead_yes"),
        lead_no: tx.list("words.lead_no"),
        all: tx.list("words.all"),
        lang: Lang::En,
    };
    let value = q.question("valore").expect("value question");
    for (typed, n) in [
        ("60k", 60_000.0),
        ("60,000", 60_000.0),
        ("€ 1.5 million", 1.5e6),
    ] {
        assert_eq!(value.parse(typed, &words), Ok(Answer::Number(n)), "{typed}");
    }
    assert_eq!(
        value.show(&Answer::Number(60_000.0), "yes", "no", "-", Lang::En),
        "€60,000"
    );
    let yes_no = q.question("piemonte").expect("yes/no question");
    assert_eq!(yes_no.parse("yes", &words), Ok(Answer::Bool(true)));
    assert_eq!(
        yes_no.parse("no, we are in Lyon", &words),
        Ok(Answer::Bool(false))
    );
    assert!(yes_no.parse("perhaps", &words).is_err());
}

#[test]
fn staff_see_the_ticket_in_italian_with_the_user_s_language() {
    let mut t = sportello::helpdesk::Ticket {
        number: 7,
        user: Some(UserId(1)),
        name: "Anna".into(),
        question: "Can a German-owned SME apply?".into(),
        call: None,
        answers: vec![],
        follow_ups: vec![],
        opened: at(TODAY),
        status: sportello::helpdesk::Status::Open,
        last_reply: None,
        message: None,
        lang: Lang::En,
    };
    let card = sportello::helpdesk::ticket_card(&t).to_plain();
    assert!(card.contains("Richiesta n. 7"), "{card}");
    assert!(card.contains("Can a German-owned SME apply?"), "{card}");
    assert!(card.contains("inglese"), "{card}");
    t.lang = Lang::It;
    assert!(
        !sportello::helpdesk::ticket_card(&t)
            .to_plain()
            .contains("inglese")
    );
}

#[test]
fn the_asker_s_kind_is_named_with_one_article() {
    // `applicant.one.*` carries its own article in English («an SME»): the sentences
    // that name the asker's kind must not add another («As a an SME»).
    let tx = texts(Lang::En);
    for kind in [
        "pmi",
        "grande_impresa",
        "terzo_settore",
        "ente_pubblico",
        "cittadino",
        "ente_aggregatore",
    ] {
        let who = tx.s(&format!("applicant.one.{kind}"), &[]);
        assert!(who.starts_with("a ") || who.starts_with("an "), "{who}");
        for key in ["profile.listed", "profile.not_listed"] {
            let line = tx.t(key, &[("who", &who), ("call", "A.L.Fa.")]).to_plain();
            let lower = line.to_lowercase();
            assert!(
                !lower.contains("a a ") && !lower.contains("a an "),
                "{key}: {line}"
            );
        }
    }
    let b = brain();
    let o = say(
        &b,
        Session::default(),
        "we are an SME, can we apply to A.L.Fa.?",
    );
    let text = plain(&o);
    assert!(text.contains("As an SME:"), "{text}");
}
