//! Engine-level walks through the eligibility dialogue: the personas of issue 3, by
//! buttons and by typed text, with back, restart, a question in the middle, wrong
//! answers and forged or stale buttons.

use std::path::Path;

use jiff::Timestamp;
use sportello::action::{Action, Nonce, Step};
use sportello::dialogue::{Effect, Engine, Event, Session, Settings, State};
use sportello::eligibility::{Verdict, run_all_cases};
use sportello::knowledge::{CallId, Knowledge, load_dir};
use sportello::reply::Reply;
use sportello::search::SearchIndex;

struct World {
    knowledge: Knowledge,
    index: SearchIndex,
    settings: Settings,
}

fn world() -> &'static World {
    static W: std::sync::OnceLock<World> = std::sync::OnceLock::new();
    W.get_or_init(|| {
        let knowledge = load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")).unwrap();
        let index = SearchIndex::from_knowledge(&knowledge).unwrap();
        World {
            knowledge,
            index,
            settings: Settings::default(),
        }
    })
}

/// One user talking to the engine, keeping the last replies to press their buttons.
struct User {
    session: Session,
    now: Timestamp,
    last: Vec<Reply>,
    /// The effects of the last event.
    effects: Vec<Effect>,
}

impl User {
    fn new() -> User {
        User {
            session: Session::default(),
            now: "2026-03-10T10:00:00Z".parse().unwrap(),
            last: Vec::new(),
            effects: Vec::new(),
        }
    }

    fn send(&mut self, event: Event) -> String {
        let w = world();
        let engine = Engine {
            knowledge: &w.knowledge,
            index: &w.index,
            settings: &w.settings,
            readings: None,
        };
        self.now += jiff::SignedDuration::from_secs(5);
        let out = engine.handle(self.session.clone(), &event, self.now);
        // What is stored must read back identically.
        let json = serde_json::to_string(&out.session).unwrap();
        assert_eq!(serde_json::from_str::<Session>(&json).unwrap(), out.session);
        self.session = out.session;
        self.last = out.replies;
        self.effects = out.effects;
        self.text()
    }

    fn say(&mut self, text: &str) -> String {
        self.send(Event::Text(text.into()))
    }

    /// Presses the first button whose label contains `label`.
    fn press(&mut self, label: &str) -> String {
        let data = self
            .last
            .iter()
            .flat_map(|r| r.buttons.iter().flatten())
            .find(|b| b.label.contains(label))
            .unwrap_or_else(|| panic!("no button «{label}» in:\n{}", self.text()))
            .data
            .clone();
        assert!(data.len() <= 64);
        self.send(Event::Button(data))
    }

    fn text(&self) -> String {
        self.last
            .iter()
            .map(|r| r.text.to_plain())
            .collect::<Vec<_>>()
            .join("\n---\n")
    }

    fn buttons(&self) -> Vec<String> {
        self.last
            .iter()
            .flat_map(|r| r.buttons.iter().flatten())
            .map(|b| b.data.clone())
            .collect()
    }

    fn in_dialogue(&self) -> bool {
        matches!(self.session.state, State::Eligibility(_))
    }

    /// Starts the WECARE check and goes past the closed-call notice.
    fn start_wecare(&mut self) {
        let t = self.say("/verifica wecare-welfare-aziendale");
        assert!(t.contains("chiuso"), "{t}");
        let t = self.press("Continua comunque");
        assert!(t.contains("Domanda 1 di"), "{t}");
    }
}

#[test]
fn every_case_of_every_questionnaire_passes() {
    let (n, failures) = run_all_cases(&world().knowledge);
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(n >= 30, "only {n} cases");
    for id in ["wecare-welfare-aziendale", "alfa-2026", "profilo"] {
        assert!(world().knowledge.questionnaire(id).is_some(), "{id}");
    }
}

#[test]
fn sme_in_piedmont_by_buttons_is_eligible_and_told_the_call_is_closed() {
    let mut u = User::new();
    let t = u.say("/verifica wecare-welfare-aziendale");
    assert!(
        t.contains("27/02/2020"),
        "closed before the first question: {t}"
    );
    assert!(!t.contains("Domanda 1"), "{t}");
    u.press("Continua comunque");
    let t = u.press("Un'impresa privata");
    assert!(t.contains("Domanda 2 di"), "{t}");
    u.press("Piccola impresa");
    u.press("Sì");
    u.press("Da sola");
    let t = u.say("100.000 €");
    assert!(t.contains("cofinanziamento"), "{t}");
    u.say("25%");
    let t = u.press("Conciliazione");
    assert!(t.contains("✅") || u.buttons().len() > 3, "{t}");
    assert!(u.last[0].edit, "a toggle edits the question in place");
    u.press("Fatto");
    u.press("Al personale delle imprese partecipanti");
    let t = u.press("Salta");
    assert!(!u.in_dialogue());
    assert_eq!(u.last.len(), 1, "the end is one message to forward");
    for want in [
        "Avresti avuto i requisiti",
        "Piccola impresa",
        "100.000 €",
        "25%",
        "Chi può presentare domanda",
        "27/02/2020",
        "spostato 2 volte",
        "non vincolante",
        "Prossimi passi",
        "A.L.Fa. 2026",
    ] {
        assert!(t.contains(want), "missing «{want}» in:\n{t}");
    }
    // A closed call: past tense, and the next steps lead to the open calls, never to
    // preparing an application.
    for never in ["AMMISSIBILE", "Non avresti", "Tieni pronti"] {
        assert!(!t.contains(never), "«{never}» in:\n{t}");
    }
    assert!(
        u.buttons()
            .contains(&Action::Call(CallId("alfa-2026".into())).encode()),
        "a button to the open call"
    );
}

#[test]
fn large_firm_alone_without_territory_by_typed_text_gets_near_miss_guidance() {
    let mut u = User::new();
    u.start_wecare();
    for answer in [
        "1", "grande", "s", "da sola", "no", "no", "150000", "30", "3", "1",
    ] {
        let t = u.say(answer);
        assert!(!t.contains("Non ho capito"), "«{answer}» rejected:\n{t}");
    }
    let t = u.say("salta");
    assert!(t.contains("Non avresti avuto i requisiti"), "{t}");
    assert!(t.contains("Che cosa avrebbe cambiato l'esito"), "{t}");
    assert!(t.contains("ATI con PMI del territorio"), "{t}");
    assert!(t.contains("Apri il piano di welfare al territorio"), "{t}");
    assert!(t.contains("Grandi imprese e priorità"), "citation: {t}");
}

#[test]
fn large_firm_leading_an_ati_with_local_smes_is_eligible_with_priority() {
    let mut u = User::new();
    u.start_wecare();
    for answer in [
        "impresa privata",
        "Grande impresa",
        "sì",
        "In ATI",
        "si",
        "si",
        "180.000",
        "20 %",
        "1, 2",
        "2",
        "12345678903",
    ] {
        let t = u.say(answer);
        assert!(
            !t.contains("Non ho capito") && !t.contains("non è valida"),
            "«{answer}» rejected:\n{t}"
        );
    }
    let t = u.text();
    assert!(
        t.contains("Avresti avuto i requisiti") && !t.contains("Non avresti"),
        "{t}"
    );
    assert!(t.contains("Priorità"), "{t}");
    assert!(
        t.contains("12345678903"),
        "the VAT number is in the summary: {t}"
    );
    assert!(
        !t.contains("Condivisione con enti"),
        "the sharing question is skipped: {t}"
    );
}

/// Runs the WECARE questionnaire for an SME with the given amount and co-financing.
fn wecare_sme(value: &str, share: &str) -> String {
    let mut u = User::new();
    u.start_wecare();
    for a in [
        "1",
        "media",
        "si",
        "sola",
        value,
        share,
        "benessere",
        "1",
        "salta",
    ] {
        u.say(a);
    }
    assert!(!u.in_dialogue(), "{}", u.text());
    u.text()
}

fn verdict(t: &str) -> &'static str {
    // A closed call is judged in the past tense.
    if t.contains("NON AMMISSIBILE") || t.contains("Non avresti avuto i requisiti") {
        "non"
    } else if t.contains("Avresti avuto i requisiti") {
        "ammissibile"
    } else if t.contains("Non so dire se avresti") {
        "verificare"
    } else if t.contains("NON AMMISSIBILE") {
        "non"
    } else if t.contains("AMMISSIBILE") {
        "ammissibile"
    } else if t.contains("DA VERIFICARE") {
        "verificare"
    } else {
        panic!("no verdict in:\n{t}")
    }
}

#[test]
fn a_check_says_when_it_starts_and_with_which_verdict_it_ends() {
    let mut u = User::new();
    u.say("/verifica wecare-welfare-aziendale");
    assert_eq!(
        u.effects,
        [Effect::CheckStarted {
            questionnaire: "wecare-welfare-aziendale".into()
        }]
    );
    u.press("Continua comunque");
    assert!(u.effects.is_empty(), "{:?}", u.effects);
    for (value, want) in [
        ("59.999 €", Verdict::NotEligible),
        ("60.000 €", Verdict::Eligible),
    ] {
        let mut u = User::new();
        u.start_wecare();
        for a in [
            "1",
            "media",
            "si",
            "sola",
            value,
            "25%",
            "benessere",
            "1",
            "salta",
        ] {
            u.say(a);
        }
        assert!(!u.in_dialogue());
        assert_eq!(
            u.effects,
            [Effect::CheckFinished {
                questionnaire: "wecare-welfare-aziendale".into(),
                verdict: Some(want)
            }],
            "{value}"
        );
    }
}

#[test]
fn wecare_boundaries_of_amount_and_co_financing() {
    for (value, share, want) in [
        ("59.999 €", "25%", "non"),
        ("60.000 €", "25%", "ammissibile"),
        ("200.000 €", "25%", "ammissibile"),
        ("200.001 €", "25%", "non"),
        ("100.000", "15%", "non"),
        ("100.000", "19%", "non"),
        ("100.000", "20%", "ammissibile"),
    ] {
        let t = wecare_sme(value, share);
        assert_eq!(verdict(&t), want, "{value} {share}:\n{t}");
    }
    let t = wecare_sme("100.000", "15%");
    assert!(
        t.contains("Alza il cofinanziamento ad almeno il 20%"),
        "{t}"
    );
    let t = wecare_sme("59.999", "25");
    assert!(t.contains("almeno 60.000 €"), "{t}");
}

#[test]
fn alfa_boundaries_and_unknown_deadline() {
    for (value, share, want) in [
        ("79.999", "25%", "non"),
        ("80.000", "25%", "ammissibile"),
        ("250.000", "25%", "ammissibile"),
        ("250.001", "25%", "non"),
        ("150.000", "24%", "non"),
        ("150.000", "25%", "ammissibile"),
    ] {
        let mut u = User::new();
        let t = u.say("/verifica alfa-2026");
        assert!(
            t.contains("Domanda 1 di"),
            "no closed notice for an open call: {t}"
        );
        for a in ["pmi", "si", "si", value, share, "24", "figli", "salta"] {
            u.say(a);
        }
        let t = u.text();
        assert_eq!(verdict(&t), want, "{value} {share}:\n{t}");
        assert!(t.contains("Scadenza non nota"), "{t}");
    }
}

#[test]
fn back_restart_cancel_by_buttons_and_words() {
    let mut u = User::new();
    u.start_wecare();
    u.press("Un'impresa privata");
    u.press("Microimpresa");
    let t = u.press("Indietro");
    assert!(
        t.contains("Domanda 2 di") && t.contains("dimensione"),
        "{t}"
    );
    let t = u.say("indietro");
    assert!(t.contains("Domanda 1 di"), "{t}");
    let t = u.say("/indietro");
    assert!(t.contains("già alla prima domanda"), "{t}");
    u.say("1");
    u.say("2");
    let t = u.press("Ricomincia");
    assert!(
        t.contains("Ricominciamo") && t.contains("Domanda 1 di"),
        "{t}"
    );
    let State::Eligibility(p) = &u.session.state else {
        panic!()
    };
    assert!(p.answers.is_empty());
    u.say("1");
    let t = u.say("/ricomincia");
    assert!(t.contains("Domanda 1 di"), "{t}");
    let t = u.say("annulla");
    assert!(t.contains("annullata"), "{t}");
    assert!(!u.in_dialogue());
    let t = u.say("/indietro");
    assert!(t.contains("Non c'è nessuna verifica"), "{t}");
}

#[test]
fn a_question_in_the_middle_is_answered_and_the_same_question_asked_again() {
    let mut u = User::new();
    u.start_wecare();
    u.say("1");
    u.say("piccola");
    let before = u.say("si");
    assert!(before.contains("Domanda 4 di"), "{before}");
    let t = u.say("cosa vuol dire ATI?");
    assert!(t.contains("Associazione Temporanea di Imprese"), "{t}");
    assert!(
        t.contains("Domanda 4 di") && t.contains("da sola o in un'ATI"),
        "{t}"
    );
    assert!(u.in_dialogue());
    let t = u.say("In ATI");
    assert!(t.contains("Domanda 5 di"), "{t}");
}

#[test]
fn the_sme_definition_is_explained_when_asked() {
    let mut u = User::new();
    u.start_wecare();
    u.say("1");
    let t = u.press("Spiegami");
    assert!(
        t.contains("2003/361") && t.contains("meno di 250 occupati") && t.contains("43 milioni"),
        "{t}"
    );
    assert!(t.contains("Domanda 2 di"), "{t}");
    let t = u.say("spiegami");
    assert!(t.contains("meno di 10 occupati"), "{t}");
}

#[test]
fn wrong_answers_get_the_question_again_with_what_is_expected() {
    let mut u = User::new();
    u.start_wecare();
    let t = u.say("boh forse");
    assert!(
        t.contains("Non ho capito")
            && t.contains("una delle opzioni")
            && t.contains("Domanda 1 di"),
        "{t}"
    );
    u.say("1");
    u.say("micro");
    let t = u.say("🙂");
    assert!(t.contains("sì o no"), "{t}");
    u.say("si");
    u.say("sola");
    let t = u.say("tanti soldi");
    assert!(t.contains("un importo in euro"), "{t}");
    u.say("100000");
    let t = u.say("150%");
    assert!(
        t.contains("non è valida") && t.contains("tra 0 e 100"),
        "{t}"
    );
    u.say("25");
    let t = u.press("Fatto");
    assert!(t.contains("almeno una voce"), "{t}");
    let t = u.say("1, 9");
    assert!(t.contains("Non ho capito"), "{t}");
    u.say("1");
    u.say("1");
    let t = u.say("12345678901");
    assert!(
        t.contains("non è valida") && t.contains("11 cifre"),
        "bad check digit: {t}"
    );
    assert!(u.in_dialogue());
}

#[test]
fn forged_and_stale_buttons_get_a_polite_answer() {
    let mut u = User::new();
    // A button of a dialogue that does not exist.
    let forged = Action::EligibilityAnswer(Nonce("zzzz".into()), 0, 0).encode();
    let t = u.send(Event::Button(forged.clone()));
    assert!(t.contains("verifica già conclusa"), "{t}");
    for bad in [
        "1|a|zz|0|0",
        "1|a|abcd|0|999",
        "1|n|abcd|0|q",
        "1|v|nessuno",
        "🙂",
    ] {
        let t = u.send(Event::Button(bad.into()));
        assert!(
            t.contains("non è più valido") || t.contains("verifica"),
            "{bad}: {t}"
        );
    }
    u.start_wecare();
    let first_buttons = u.buttons();
    let State::Eligibility(p) = &u.session.state else {
        panic!()
    };
    let nonce = p.nonce.clone();
    // Another dialogue's button.
    let other = if nonce.0 == "zzzz" { "yyyy" } else { "zzzz" };
    let t = u.send(Event::Button(
        Action::EligibilityAnswer(Nonce(other.into()), 0, 0).encode(),
    ));
    assert!(
        t.contains("verifica precedente") && t.contains("Domanda 1 di"),
        "{t}"
    );
    // An option index out of range in this dialogue.
    let t = u.send(Event::Button(
        Action::EligibilityAnswer(nonce.clone(), 0, 17).encode(),
    ));
    assert!(t.contains("non è più valido"), "{t}");
    // A toggle on a single-choice question.
    let t = u.send(Event::Button(
        Action::EligibilityToggle(nonce.clone(), 0, 0).encode(),
    ));
    assert!(t.contains("non è più valido"), "{t}");
    // The first question's button after moving on.
    u.say("1");
    let t = u.send(Event::Button(first_buttons[0].clone()));
    assert!(
        t.contains("un'altra domanda") && t.contains("Domanda 2 di"),
        "{t}"
    );
    let State::Eligibility(p) = &u.session.state else {
        panic!()
    };
    assert_eq!(p.answers.len(), 1, "nothing recorded by the stale button");
    // After a restart, buttons of the dialogue before are stale.
    let old = Action::EligibilityStep(nonce.clone(), 1, Step::Back).encode();
    u.say("ricomincia");
    let t = u.send(Event::Button(old));
    assert!(t.contains("verifica precedente"), "{t}");
}

#[test]
fn which_calls_fit_me_lists_open_calls_first_and_says_when_sources_are_too_thin() {
    let mut u = User::new();
    let t = u.say("/verifica");
    assert!(t.contains("Che cosa vuoi verificare"), "{t}");
    u.press("Quali bandi fanno per me");
    u.press("Una PMI");
    let t = u.press("In Piemonte");
    assert!(!u.in_dialogue());
    let alfa = t.find("A.L.Fa. 2026").expect("A.L.Fa. listed");
    let wecare = t
        .find("WECARE – welfare aziendale (6° bando)")
        .expect("WECARE listed");
    assert!(
        alfa < wecare,
        "open or unknown deadlines before closed calls:\n{t}"
    );
    assert!(t.contains("Le fonti non bastano per decidere"), "{t}");
    assert!(t.contains("non vincolante"), "{t}");
    let mut u = User::new();
    u.say("/verifica profilo");
    u.say("privato cittadino");
    let t = u.say("altra regione");
    assert!(t.contains("non ne trovo uno"), "{t}");
}

#[test]
fn call_cards_and_answers_about_a_call_offer_the_check() {
    let mut u = User::new();
    u.send(Event::Button(
        Action::Call(sportello::knowledge::CallId("alfa-2026".into())).encode(),
    ));
    let t = u.press("Verifica i requisiti");
    assert!(t.contains("Domanda 1 di"), "{t}");
    let mut u = User::new();
    u.send(Event::Button(
        Action::Section(
            sportello::knowledge::CallId("wecare-welfare-aziendale".into()),
            "risorse".into(),
        )
        .encode(),
    ));
    let has = u
        .last
        .iter()
        .flat_map(|r| r.buttons.iter().flatten())
        .any(|b| b.label.contains("Verifica i requisiti"));
    assert!(has, "{}", u.text());
    let t = u.press("Verifica i requisiti");
    assert!(t.contains("chiuso"), "{t}");
}
