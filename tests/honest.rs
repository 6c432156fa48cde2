//! Honest wording and no dead ends (issue 13, items 4–6), on the shipped pack with an
//! injected clock: closed calls judged in the past tense, unknown statuses never among
//! the open calls, every "ask a person" path following the configuration, the pack's
//! help-desk sentences filled from it, and the pack's own checks.

use std::path::Path;

use jiff::Timestamp;
use sportello::action::Action;
use sportello::app::Brain;
use sportello::dialogue::{Effect, Event, Outcome, Session, Settings};
use sportello::helpdesk::Staff;
use sportello::knowledge::{CallId, audit::audit};
use sportello::text::{Lang, texts};

fn brain() -> &'static Brain {
    static B: std::sync::OnceLock<Brain> = std::sync::OnceLock::new();
    B.get_or_init(|| {
        Brain::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")).expect("pack")
    })
}

/// December 2026: A.L.Fa. open, the 2023 call of unknown status, WECARE closed.
const NOW: &str = "2026-12-01T10:00:00Z";

fn now() -> Timestamp {
    NOW.parse().unwrap()
}

/// The three configurations of the help desk.
fn staff_group() -> Settings {
    Settings {
        staff: Staff {
            chat: Some(-100),
            users: Vec::new(),
        },
        ..Settings::default()
    }
}

fn contact_only() -> Settings {
    Settings {
        helpdesk_contact: "sportello@esempio.it".into(),
        ..Settings::default()
    }
}

fn neither() -> Settings {
    Settings::default()
}

fn say(settings: &Settings, session: Session, ev: Event) -> Outcome {
    let b = brain();
    b.engine(settings).handle(session, &ev, now())
}

fn text(o: &Outcome) -> String {
    o.replies
        .iter()
        .map(|r| r.text.to_plain())
        .collect::<Vec<_>>()
        .join("\n---\n")
}

fn s(key: &str) -> String {
    texts(Lang::It).s(key, &[])
}

#[test]
fn the_list_of_calls_puts_unknown_statuses_under_their_own_heading_after_the_open_ones() {
    let o = say(&neither(), Session::default(), Event::Text("/bandi".into()));
    let t = text(&o);
    let open = t.find(&s("status.group.open")).expect("open heading");
    let unknown = t.find(&s("status.group.unknown")).expect("unknown heading");
    let closed = t.find(&s("status.group.closed")).expect("closed heading");
    let pos = |name: &str| t.find(name).unwrap_or_else(|| panic!("{name} in\n{t}"));
    assert!(
        open < pos("A.L.Fa. 2026") && pos("A.L.Fa. 2026") < unknown,
        "{t}"
    );
    // The November 2023 call and the WECARE measures: status not known, never open.
    let nov = pos("Welfare aziendale 2023");
    assert!(unknown < nov && nov < closed, "{t}");
    let m3 = pos("WECARE – Misura 3");
    assert!(unknown < m3 && m3 < closed, "{t}");
    assert!(closed < pos("WECARE – welfare aziendale (6° bando)"), "{t}");
}

#[test]
fn which_calls_fit_me_groups_by_status() {
    let mut session = Session::default();
    let mut last = String::new();
    for ev in [
        Event::Text("/verifica profilo".into()),
        Event::Text("PMI".into()),
        Event::Text("Piemonte".into()),
    ] {
        let o = say(&neither(), session, ev);
        session = o.session.clone();
        last = text(&o);
    }
    let t = last;
    let open = t.find(&s("status.group.open")).expect("open heading");
    let unknown = t.find(&s("status.group.unknown")).expect("unknown heading");
    let alfa = t.find("A.L.Fa. 2026").expect("A.L.Fa.");
    assert!(open < alfa && alfa < unknown, "{t}");
    // Nothing but A.L.Fa. between the open heading and the next one.
    let between = &t[open..unknown];
    assert!(!between.contains("WECARE"), "{t}");
    assert!(!t.contains("prima quelli aperti"), "{t}");
}

#[test]
fn a_person_is_asked_for_the_way_the_configuration_allows() {
    let topic = Session {
        topic: Some(CallId("alfa-2026".into())),
        last_question: Some("serve la firma digitale?".into()),
        ..Session::default()
    };
    // Staff group: a ticket, with the call in focus and the last typed question.
    let o = say(
        &staff_group(),
        topic.clone(),
        Event::Text("/operatore".into()),
    );
    match &o.effects[..] {
        [Effect::HandOver { question, call, .. }] => {
            assert_eq!(question, "serve la firma digitale?");
            assert_eq!(call.as_ref(), Some(&CallId("alfa-2026".into())));
        }
        other => panic!("{other:?}"),
    }
    // Only a contact: the contact, no ticket.
    let o = say(
        &contact_only(),
        topic.clone(),
        Event::Text("/operatore".into()),
    );
    assert!(o.effects.is_empty(), "{:?}", o.effects);
    assert!(text(&o).contains("sportello@esempio.it"), "{}", text(&o));
    // Neither: the official page of the call in focus, and a plain "no help desk".
    let o = say(&neither(), topic, Event::Text("/operatore".into()));
    let t = text(&o);
    assert!(o.effects.is_empty());
    assert!(t.contains("non ha un help desk"), "{t}");
    assert!(t.contains("Piano A.L.Fa - Accordo Lavoro Famiglia"), "{t}");
    assert!(t.contains("www.regione.piemonte.it"), "{t}");
    // Written in words, the same.
    let o = say(
        &neither(),
        Session::default(),
        Event::Text("vorrei parlare con una persona".into()),
    );
    assert!(text(&o).contains("non ha un help desk"), "{}", text(&o));
    assert!(
        o.replies[0]
            .buttons
            .iter()
            .flatten()
            .any(|b| b.data == Action::Calls.encode()),
        "without a call in focus, the list of calls"
    );
}

#[test]
fn faq_answers_that_promise_a_person_follow_the_configuration() {
    // The FAQ itself (asked in words, a staff group would lead straight to a ticket).
    let ask = |settings: &Settings| {
        text(&say(
            settings,
            Session::default(),
            Event::Button(Action::Faq("gen-operatore".into()).encode()),
        ))
    };
    let with_staff = ask(&staff_group());
    assert!(with_staff.contains("/operatore"), "{with_staff}");
    let with_contact = ask(&contact_only());
    assert!(
        with_contact.contains("sportello@esempio.it"),
        "{with_contact}"
    );
    assert!(!with_contact.contains("/operatore"), "{with_contact}");
    let alone = ask(&neither());
    assert!(alone.contains("non ha un help desk"), "{alone}");
    for t in [&with_staff, &with_contact, &alone] {
        assert!(!t.contains("{help_desk}"), "placeholder left in: {t}");
    }
    assert!(!alone.contains("/operatore"), "{alone}");
    // A call's card with an unknown deadline says the same as the configuration.
    let o = say(
        &neither(),
        Session::default(),
        Event::Button(Action::Call(CallId("welfare-aziendale-2023".into())).encode()),
    );
    let t = text(&o);
    assert!(
        t.contains("non ha un help desk") && !t.contains("/operatore"),
        "{t}"
    );
    assert!(!t.contains("chiedi anche all'help desk"), "{t}");
}

#[test]
fn a_ticket_after_a_finished_check_carries_its_answers_and_call() {
    let mut session = Session::default();
    // A PMI in Piedmont in a partnership: value, co-financing, months, services, no VAT.
    for ev in [
        "/verifica alfa-2026",
        "PMI",
        "sì",
        "sì",
        "150000",
        "25",
        "24",
        "1",
        "salta",
    ] {
        session = say(&staff_group(), session, Event::Text(ev.into())).session;
    }
    let finished = session.last_check.clone();
    assert!(finished.is_some(), "the check finished: {session:?}");
    session.topic = None;
    session.last_question = Some("ci serve un'ATS già costituita?".into());
    let o = say(&staff_group(), session, Event::Text("/operatore".into()));
    match &o.effects[..] {
        [
            Effect::HandOver {
                question,
                answers,
                call,
            },
        ] => {
            assert_eq!(question, "ci serve un'ATS già costituita?");
            assert_eq!(call.as_ref(), Some(&CallId("alfa-2026".into())));
            assert!(!answers.is_empty(), "the check's answers");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_shipped_pack_passes_its_own_audit() {
    let warnings = audit(&brain().knowledge, now());
    assert!(warnings.is_empty(), "{warnings:#?}");
}

/// The FSC money, in every entry that mentions it, exactly as the source puts it.
#[test]
fn every_entry_about_fsc_says_what_the_source_says_and_nothing_more() {
    let k = &brain().knowledge;
    let mut texts: Vec<(String, String)> = Vec::new();
    for f in &k.faqs {
        texts.push((format!("faq:{}", f.id), f.answer.clone()));
    }
    for c in &k.calls {
        texts.push((format!("call:{}", c.id), c.summary.clone()));
        for s in &c.sections {
            texts.push((format!("call:{}#{}", c.id, s.id), s.text.clone()));
        }
    }
    let mut seen = 0;
    for (id, t) in texts {
        if !t.contains("FSC") {
            continue;
        }
        seen += 1;
        for must in [
            "27/11/2020, n. 50-2397",
            "preso atto del finanziamento della misura",
            "deliberazione CIPE n. 41 del 28/07/2020",
            "parte dell'elenco dedicata al Fondo Europeo Sviluppo Regionale (FESR)",
        ] {
            assert!(t.contains(must), "{id} lacks «{must}»:\n{t}");
        }
        for never in [
            "anche con",
            "passata",
            "nata sul",
            "non è un fondo europeo",
            "Dal 2020",
        ] {
            assert!(!t.contains(never), "{id} says «{never}»:\n{t}");
        }
    }
    assert!(seen >= 5, "only {seen} entries mention FSC");
}
