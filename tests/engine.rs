//! The engine over the shipped knowledge pack, driven as a user would, without any I/O.

use std::path::Path;

use jiff::Timestamp;
use sportello::action::Action;
use sportello::app::Brain;
use sportello::dialogue::{Effect, Event, Outcome, Session, Settings, State};
use sportello::knowledge::CallId;

fn brain() -> Brain {
    Brain::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")).expect("pack loads")
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn say(b: &Brain, session: Session, ev: Event, now: Timestamp) -> Outcome {
    let settings = Settings {
        session_idle_days: 30,
        helpdesk_contact: "helpdesk@esempio.it".into(),
        ..Settings::default()
    };
    b.engine(&settings).handle(session, &ev, now)
}

fn text(o: &Outcome) -> String {
    o.replies
        .iter()
        .map(|r| r.text.to_plain())
        .collect::<Vec<_>>()
        .join("\n---\n")
}

const TODAY: &str = "2026-11-22T10:00:00Z";

#[test]
fn a_deadline_question_gets_the_closed_call_with_its_extensions() {
    let b = brain();
    let o = say(
        &b,
        Session::default(),
        Event::Text("entro quando si poteva fare domanda per il welfare aziendale wecare?".into()),
        at(TODAY),
    );
    let t = text(&o);
    assert!(t.contains("27/02/2020"), "{t}");
    assert!(t.contains("Bando chiuso"), "{t}");
    assert!(
        t.contains("13/09/2019, ore 12:00") && t.contains("29/11/2019, ore 12:00"),
        "{t}"
    );
    assert!(t.contains("Fonte:"), "{t}");
    assert_eq!(
        o.session.topic,
        Some(CallId("wecare-welfare-aziendale".into()))
    );
    assert!(matches!(
        &o.effects[..],
        [Effect::Asked {
            confident: true,
            ..
        }]
    ));
}

#[test]
fn the_same_call_was_open_before_its_last_deadline() {
    let b = brain();
    // On 20/02/2020 the call was still open, one week before its last deadline.
    let o = say(
        &b,
        Session::default(),
        Event::Button(Action::Call(CallId("wecare-welfare-aziendale".into())).encode()),
        at("2020-02-20T09:00:00Z"),
    );
    let t = text(&o);
    assert!(t.contains("Bando aperto"), "{t}");
    assert!(t.contains("mancano 7 giorni"), "{t}");
}

#[test]
fn an_unknown_deadline_is_said_plainly_with_the_official_page() {
    let b = brain();
    let o = say(
        &b,
        Session::default(),
        Event::Text("qual è la scadenza di A.L.Fa.?".into()),
        at(TODAY),
    );
    let t = text(&o);
    assert!(t.contains("Scadenza non nota"), "{t}");
    assert!(t.contains("regione.piemonte.it"), "{t}");
}

#[test]
fn nothing_found_is_admitted_and_the_help_desk_offered() {
    let b = brain();
    let o = say(
        &b,
        Session::default(),
        Event::Text("ricetta della bagna cauda".into()),
        at(TODAY),
    );
    let t = text(&o);
    assert!(t.contains("non ho trovato una risposta sicura"), "{t}");
    assert!(t.contains("helpdesk@esempio.it"), "{t}");
    assert!(matches!(
        &o.effects[..],
        [Effect::Asked {
            confident: false,
            ..
        }]
    ));
}

#[test]
fn hostile_and_odd_input_gets_a_polite_answer() {
    let b = brain();
    let long = "welfare ".repeat(600);
    for input in [
        "\"(AND",
        "*",
        ":",
        "🙂🙂🙂",
        "   ",
        "/",
        "/comandoinesistente",
        "a:b OR (c",
        long.as_str(),
    ] {
        let o = say(&b, Session::default(), Event::Text(input.into()), at(TODAY));
        assert!(!o.replies.is_empty(), "no reply to {input:?}");
        assert!(
            o.replies.iter().all(|r| !r.text.is_empty()),
            "empty reply to {input:?}"
        );
    }
    let o = say(&b, Session::default(), Event::Text(long), at(TODAY));
    assert!(text(&o).contains("molto lungo"));
    let o = say(
        &b,
        Session::default(),
        Event::Text("/comandoinesistente".into()),
        at(TODAY),
    );
    assert!(text(&o).contains("/aiuto"));
}

#[test]
fn forged_and_stale_buttons_are_refused_politely() {
    let b = brain();
    for data in [
        "1|c|bando-che-non-esiste",
        "1|f|faq-sparita",
        "9|l",
        "garbage",
        "1|x|y",
    ] {
        let o = say(
            &b,
            Session::default(),
            Event::Button(data.into()),
            at(TODAY),
        );
        assert!(
            text(&o).contains("non è più valido"),
            "{data}: {}",
            text(&o)
        );
        assert!(o.effects.is_empty(), "{data} must not erase anything");
    }
}

#[test]
fn weak_matches_offer_choices_that_work() {
    let b = brain();
    let o = say(
        &b,
        Session::default(),
        Event::Text("bando".into()),
        at(TODAY),
    );
    let buttons: Vec<_> = o
        .replies
        .iter()
        .flat_map(|r| r.buttons.iter().flatten())
        .cloned()
        .collect();
    assert!(!buttons.is_empty(), "{}", text(&o));
    for btn in buttons {
        assert!(Action::decode(&btn.data).is_some(), "{btn:?}");
        let o = say(
            &b,
            Session::default(),
            Event::Button(btn.data.clone()),
            at(TODAY),
        );
        assert!(!text(&o).contains("non è più valido"), "{btn:?}");
    }
}

#[test]
fn commands_list_calls_and_deadlines_open_first() {
    let b = brain();
    let o = say(
        &b,
        Session::default(),
        Event::Text("/bandi".into()),
        at(TODAY),
    );
    let t = text(&o);
    assert!(t.contains("WECARE – welfare aziendale"), "{t}");
    let rows = &o.replies[0].buttons;
    assert_eq!(rows.len(), b.knowledge.calls.len());
    // With an open call in 2020, /scadenze lists it before the closed ones.
    let o = say(
        &b,
        Session::default(),
        Event::Text("/scadenze".into()),
        at("2020-02-01T00:00:00Z"),
    );
    let t = text(&o);
    let wa = t.find("WECARE – welfare aziendale").unwrap();
    let w22 = t.find("2022").unwrap();
    assert!(wa < w22, "{t}");
}

#[test]
fn erasure_needs_confirmation_and_then_erases() {
    let b = brain();
    let o = say(
        &b,
        Session::default(),
        Event::Text("/cancellami".into()),
        at(TODAY),
    );
    assert_eq!(o.session.state, State::ConfirmErase);
    assert!(o.effects.is_empty());
    let no = say(&b, o.session.clone(), Event::Text("no".into()), at(TODAY));
    assert!(no.effects.is_empty());
    assert_eq!(no.session.state, State::Idle);
    let yes = say(
        &b,
        o.session,
        Event::Button(Action::EraseConfirm.encode()),
        at(TODAY),
    );
    assert_eq!(yes.effects, vec![Effect::EraseUser]);
    assert_eq!(yes.session.state, State::Idle);
}
