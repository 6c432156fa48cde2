//! Understanding the applicant (issue 10), through the engine as a user would drive it:
//! the call in focus, direct answers, self-descriptions, everyday Italian, highlighting,
//! the check prefilled from the user's words. Measured on what the engine did
//! (`Effect::Asked { answer, .. }`, the session) and on what it said.

use std::path::Path;

use jiff::Timestamp;
use sportello::action::Action;
use sportello::app::Brain;
use sportello::dialogue::{Answered, Effect, Engine, Event, Outcome, Session, Settings, State};
use sportello::knowledge::{Applicant, CallId};
use sportello::reply::Span;
use sportello::understand::Reading;

fn brain() -> Brain {
    Brain::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")).expect("pack loads")
}

/// How the engine reads one Italian message (what it asks, the facts in it).
fn read(b: &Brain, text: &str) -> Reading {
    let settings = Settings::default();
    let engine = b.engine(&settings);
    engine.read(sportello::text::texts(sportello::text::Lang::It), text)
}

/// A fixed day after A.L.Fa. opened.
fn now() -> Timestamp {
    "2026-12-01T09:00:00Z".parse().unwrap()
}

struct User<'b> {
    brain: &'b Brain,
    settings: Settings,
    session: Session,
    last: Option<Outcome>,
    /// The clock the engine is given (`now()` unless a test says otherwise).
    at: Timestamp,
}

impl<'b> User<'b> {
    fn new(brain: &'b Brain) -> Self {
        User {
            brain,
            settings: Settings::default(),
            session: Session::default(),
            last: None,
            at: now(),
        }
    }

    fn event(&mut self, e: Event) -> &Outcome {
        let engine = Engine {
            knowledge: &self.brain.knowledge,
            index: &self.brain.index,
            settings: &self.settings,
            readings: None,
        };
        let out = engine.handle(self.session.clone(), &e, self.at);
        self.session = out.session.clone();
        self.last = Some(out);
        self.last.as_ref().unwrap()
    }

    fn say(&mut self, text: &str) -> &Outcome {
        self.event(Event::Text(text.into()))
    }

    fn press(&mut self, a: Action) -> &Outcome {
        self.event(Event::Button(a.encode()))
    }

    fn answer(&self) -> Answered {
        self.last
            .as_ref()
            .unwrap()
            .effects
            .iter()
            .find_map(|e| match e {
                Effect::Asked { answer, .. } => Some(answer.clone()),
                _ => None,
            })
            .expect("an answer")
    }

    fn text(&self) -> String {
        self.last
            .as_ref()
            .unwrap()
            .replies
            .iter()
            .map(|r| r.text.to_plain())
            .collect::<Vec<_>>()
            .join("\n---\n")
    }

    fn buttons(&self) -> Vec<Action> {
        self.last
            .as_ref()
            .unwrap()
            .replies
            .iter()
            .flat_map(|r| r.buttons.iter().flatten())
            .filter_map(|b| Action::decode(&b.data))
            .collect()
    }
}

fn direct(a: &Answered) -> Option<(&str, Option<&str>)> {
    match a {
        Answered::Direct { entry, call, .. } => {
            Some((entry.as_str(), call.as_ref().map(|c| c.0.as_str())))
        }
        _ => None,
    }
}

/// A new conversation in which each turn was said, in order.
fn talk<'b>(b: &'b Brain, turns: &[&str]) -> User<'b> {
    let mut u = User::new(b);
    for t in turns {
        u.say(t);
    }
    u
}

/// The last turn was answered directly with `entry`, about `call`.
#[track_caller]
fn assert_direct(u: &User<'_>, entry: &str, call: &str) {
    assert_eq!(
        direct(&u.answer()),
        Some((entry, Some(call))),
        "{}",
        u.text()
    );
}

/// The last answer offers `entry` first (directly, in a menu, or as a suggestion).
#[track_caller]
fn assert_offered_first(u: &User<'_>, entry: &str) {
    let a = u.answer();
    assert_eq!(
        a.ranked().first().copied(),
        Some(entry),
        "{a:?}\n{}",
        u.text()
    );
}

/// Asks `q` as the first message of a conversation and checks it is answered directly
/// with `entry` (whatever the call).
fn assert_answers(b: &Brain, q: &str, entry: &str) {
    let mut u = User::new(b);
    u.say(q);
    assert_eq!(
        direct(&u.answer()).map(|d| d.0),
        Some(entry),
        "{q}: {}",
        u.text()
    );
}

#[test]
fn a_named_call_is_answered_for_that_call_only() {
    let b = brain();
    let mut u = User::new(&b);
    u.say("entro quando scade il bando alfa?");
    let a = u.answer();
    assert_eq!(
        direct(&a),
        Some(("faq:alfa-scadenza", Some("alfa-2026"))),
        "{a:?}"
    );
    let t = u.text();
    assert!(!t.contains("29/12/2022"), "the 2022 call's deadline: {t}");
    // The first line says which call the answer is about.
    assert!(t.starts_with("📌 A.L.Fa. 2026"), "{t}");
    assert!(
        u.buttons().contains(&Action::FocusMenu),
        "a «Cambia bando» button"
    );
    assert_eq!(u.session.topic, Some(CallId("alfa-2026".into())));

    // "alfa è ancora aperto?" never gets WECARE's answer.
    let mut u = User::new(&b);
    u.say("alfa è ancora aperto?");
    for e in u.answer().ranked() {
        assert!(
            !e.starts_with("faq:wecare") && !e.starts_with("faq:wa-"),
            "{e}"
        );
    }
}

#[test]
fn follow_ups_stay_on_the_call_in_focus() {
    let b = brain();
    let mut u = User::new(&b);
    u.say("cos'è il piano alfa?");
    assert_eq!(direct(&u.answer()).map(|d| d.0), Some("faq:alfa-cos-e"));
    u.say("e il cofinanziamento?");
    assert_eq!(
        direct(&u.answer()),
        Some(("faq:alfa-cofinanziamento", Some("alfa-2026")))
    );
    u.say("e la scadenza quando è?");
    assert_eq!(direct(&u.answer()).map(|d| d.0), Some("faq:alfa-scadenza"));
    u.say("serve fare un'ATI?");
    let a = u.answer();
    // For A.L.Fa. a partnership is required: never WECARE's "potevano partecipare da sole".
    for e in a.ranked() {
        assert!(!e.starts_with("faq:wa-"), "{a:?}");
    }
    assert!(
        a.ranked()
            .first()
            .is_some_and(|e| e.starts_with("faq:alfa-")),
        "{a:?}"
    );
    // "How much do they give me" asks what one applicant gets (the project's amount or
    // the share the Region pays), not the plan's whole budget.
    for asked in ["quanto mi danno?", "e quanto mi da la regione?"] {
        u.say(asked);
        let a = u.answer();
        let first = direct(&a).map(|d| d.0);
        assert!(
            matches!(
                first,
                Some("faq:alfa-importo") | Some("faq:alfa-cofinanziamento")
            ),
            "{asked}: {a:?}"
        );
    }

    // A bare question word asks the call in focus what it asks.
    u.say("da quando?");
    assert_eq!(direct(&u.answer()).map(|d| d.0), Some("faq:alfa-scadenza"));
    // A synonym phrase made only of question words once stop words go (`quanto si può
    // chiedere`) still asks its group's meaning.
    u.say("e quanto si può chiedere?");
    assert_eq!(direct(&u.answer()).map(|d| d.0), Some("faq:alfa-importo"));
    // The same in chat spelling and in the first person plural: what we put in is the
    // co-financing.
    u.say("e noi qnt mettiamo");
    assert_eq!(
        direct(&u.answer()).map(|d| d.0),
        Some("faq:alfa-cofinanziamento")
    );
    // A firm's shuttle is the sustainable mobility the plan funds.
    let mut v = User::new(&b);
    v.say("Vorremmo una navetta aziendale per i dipendenti: il piano A.L.Fa. la finanzia?");
    assert_eq!(
        direct(&v.answer()).map(|d| d.0),
        Some("faq:alfa-salute-mobilita")
    );
    // Of a closed call, asked in the past tense.
    let mut v = User::new(&b);
    v.say("Com'era fatto il bando WECARE sul welfare aziendale?");
    v.say("quanto mi davano?");
    assert!(
        matches!(
            direct(&v.answer()).map(|d| d.0),
            Some("faq:wa-importo-progetto") | Some("faq:wa-cofinanziamento")
        ),
        "{:?}",
        v.answer()
    );

    // The budget of the call in focus, when its only entry states it.
    let mut v = User::new(&b);
    v.say("che cos'era il bando welfare aziendale del 2023?");
    v.say("quanti soldi c'erano?");
    assert_eq!(direct(&v.answer()).map(|d| d.0), Some("faq:wa-2023"));

    // After a WECARE answer, "quanto mi danno?" is about WECARE, and "e per alfa
    // invece?" asks the same for A.L.Fa.
    let mut u = User::new(&b);
    u.say("chi poteva partecipare al bando wecare sul welfare aziendale?");
    u.say("quanto mi danno?");
    let a = u.answer();
    assert!(!matches!(a, Answered::Nothing), "{a:?}");
    assert!(
        a.ranked()
            .first()
            .is_some_and(|e| e.starts_with("faq:wa-") || e.starts_with("call:wecare-welfare")),
        "{a:?}"
    );
    // Nothing of the later calls: only WECARE's own (or its strategy's).
    assert!(
        a.ranked()
            .iter()
            .all(|e| !e.contains("alfa") && !e.contains("2022") && !e.contains("2023")),
        "{a:?}"
    );
    u.say("e per alfa invece?");
    let a = u.answer();
    assert!(a.ranked().iter().all(|e| e.contains("alfa")), "{a:?}");
    assert_eq!(u.session.topic, Some(CallId("alfa-2026".into())));
    // A message with nothing to search for is not made a question about the focus.
    u.say("<b>_*[]()~ 🙂 !!");
    assert!(direct(&u.answer()).is_none(), "{:?}", u.answer());
    assert_eq!(u.session.topic, Some(CallId("alfa-2026".into())));
}

/// «E se lo rifacessimo con alfa?» after a question about a past project asks that
/// question again of A.L.Fa. (`words.followup`: «se», «facessimo», «rifacessimo»…), not
/// which calls are open.
#[test]
fn a_what_if_we_did_it_with_another_call_asks_the_question_again_of_it() {
    let b = brain();
    let u = talk(
        &b,
        &[
            "Nel 2019 con la nostra ditta abbiamo partecipato al bando welfare aziendale WECARE. Quanto dovevamo cofinanziare noi?",
            "e se lo rifacessimo con alfa?",
        ],
    );
    assert_eq!(
        direct(&u.answer()),
        Some(("faq:alfa-cofinanziamento", Some("alfa-2026")))
    );
}

/// A question asking two things gets both answers, the first part's first
/// (`dialogue/two_parts.rs`).
#[test]
fn a_question_asking_two_things_gets_both_answers() {
    let b = brain();
    let mut u = User::new(&b);
    u.say("Cos'è il piano A.L.Fa. e fino a quando si può fare domanda?");
    let mut both = match u.answer() {
        Answered::Direct { entry, second, .. } => vec![entry, second.unwrap_or_default()],
        a => panic!("{a:?}"),
    };
    both.sort();
    assert_eq!(
        both,
        ["faq:alfa-cos-e", "faq:alfa-scadenza"],
        "{}",
        u.text()
    );
    // Both answers are said, each with its own facts.
    assert!(u.text().contains("Accordo Lavoro Famiglia"), "{}", u.text());
    assert!(u.text().contains("febbraio 2026"), "{}", u.text());
    // Three things asked at once: read as one question, as before (a part splitting
    // again would read more and more questions out of a long message).
    let mut u = User::new(&b);
    u.say("Quanti soldi aveva WECARE e da quali fondi arrivavano e quando è stata approvata?");
    assert!(
        !matches!(
            u.answer(),
            Answered::Direct {
                second: Some(_),
                ..
            }
        ),
        "{}",
        u.text()
    );
    // One question with «e» between two things asked together is one question.
    let mut u = User::new(&b);
    u.say("Le PMI e le grandi imprese possono partecipare ad A.L.Fa.?");
    assert!(
        !matches!(
            u.answer(),
            Answered::Direct {
                second: Some(_),
                ..
            }
        ),
        "{}",
        u.text()
    );
}

/// The 2023 call named by what it was for (`quello per gli animali`, an alias in its call
/// file): a re-ask for it.
#[test]
fn the_call_for_pets_is_named_by_what_it_was_for() {
    let b = brain();
    let u = talk(
        &b,
        &[
            "Fino a quando si poteva partecipare al bando welfare del 2022?",
            "e quello per gli animali?",
        ],
    );
    assert_eq!(
        direct(&u.answer()),
        Some(("faq:wa-2023-scadenza", Some("welfare-aziendale-2023")))
    );
}

/// A re-ask for another measure (`e la quinta?`) that the previous question does not
/// answer for it asks what that measure is: its card, not «non ho trovato».
#[test]
fn a_re_ask_for_a_measure_without_an_answer_gets_its_card() {
    let b = brain();
    let u = talk(
        &b,
        &[
            "c'era un minimo di spesa nella misura 4 di wecare?",
            "e la quinta?",
        ],
    );
    assert_eq!(
        direct(&u.answer()),
        Some(("faq:wecare-misura-5", Some("wecare-misura-5")))
    );
}

#[test]
fn a_short_follow_up_keeps_the_question_it_follows() {
    let b = brain();
    // Alone, `e il minimo?` leaves two entries close: the fewest partners and the
    // smallest project.
    let mut alone = User::new(&b);
    alone.say("cos'è alfa?");
    alone.say("e il minimo?");
    assert!(
        matches!(alone.answer(), Answered::Menu { .. }),
        "{:?}",
        alone.answer()
    );
    assert_eq!(alone.session.follows_up, None);

    // After a question about a project's largest amount it asks the smallest.
    let mut u = User::new(&b);
    u.say("Qual è l'importo massimo di un progetto ALFA?");
    assert_eq!(direct(&u.answer()).map(|d| d.0), Some("faq:alfa-importo"));
    u.say("e il minimo?");
    assert_eq!(direct(&u.answer()).map(|d| d.0), Some("faq:alfa-importo"));
    assert!(
        u.session
            .follows_up
            .as_deref()
            .is_some_and(|c| c.contains("massimo"))
    );
    // Asked again for another call, it keeps that context.
    u.say("e per wecare invece?");
    assert_eq!(
        direct(&u.answer()).map(|d| d.0),
        Some("faq:wa-importo-progetto")
    );
    // A follow-up with a question word of its own asks something else.
    u.say("e chi lo può chiedere?");
    assert_eq!(u.session.follows_up, None);
}

#[test]
fn cambia_bando_lists_open_calls_first_and_answers_again() {
    let b = brain();
    let mut u = User::new(&b);
    u.say("qual era la scadenza del bando welfare aziendale del 2022?");
    u.press(Action::FocusMenu);
    let labels: Vec<String> = u.last.as_ref().unwrap().replies[0]
        .buttons
        .iter()
        .flatten()
        .map(|b| b.label.clone())
        .collect();
    assert!(labels[0].starts_with("🟢 A.L.Fa."), "{labels:?}");
    assert!(
        labels.iter().filter(|l| l.starts_with("🟢")).count() == 1,
        "{labels:?}"
    );
    // Choosing A.L.Fa. answers the same question for it.
    u.press(Action::Focus(CallId("alfa-2026".into())));
    assert_eq!(direct(&u.answer()).map(|d| d.0), Some("faq:alfa-scadenza"));
}

#[test]
fn a_question_naming_no_call_is_answered_for_the_open_call_first() {
    let b = brain();
    let mut u = User::new(&b);
    u.say("qual è la scadenza del bando?");
    match u.answer() {
        Answered::Direct { entry, lines, .. } => {
            assert!(
                entry.starts_with("faq:alfa") || entry.starts_with("call:alfa"),
                "{entry}"
            );
            assert!(!lines.is_empty(), "the closed calls in a line each");
            let t = u.text();
            assert!(t.contains("Per gli altri bandi"), "{t}");
            assert!(t.contains("chiuso"), "{t}");
        }
        other => panic!("{other:?}"),
    }
    // A call whose status the sources do not give is never called open.
    let t = u.text();
    assert!(
        !t.contains("WECARE – Misura 1 welfare territoriale (aperto)"),
        "{t}"
    );
}

#[test]
fn self_descriptions_are_read_and_the_check_starts_prefilled() {
    let b = brain();
    let mut u = User::new(&b);
    u.say("Siamo una grande azienda metalmeccanica di Torino, 1200 dipendenti. Possiamo partecipare al piano alfa?");
    let a = u.answer();
    assert!(!matches!(a, Answered::Nothing), "{a:?}");
    assert_eq!(
        u.session.profile.applicant(),
        Some(Applicant::GrandeImpresa)
    );
    assert_eq!(u.session.profile.employees, Some(1200));
    assert_eq!(u.session.profile.in_piedmont(), Some(true));
    let t = u.text();
    assert!(t.contains("Come grande impresa"), "{t}");
    assert!(
        u.buttons()
            .contains(&Action::EligibilityStart("alfa-2026".into())),
        "the check is offered"
    );
    // The check shows what it took and starts at the first question left open.
    u.press(Action::EligibilityStart("alfa-2026".into()));
    let t = u.text();
    assert!(t.contains("Dal tuo messaggio ho già preso"), "{t}");
    assert!(t.contains("Una grande impresa"), "{t}");
    assert!(t.contains("Domanda 3 di"), "{t}");
    let correct = u
        .buttons()
        .into_iter()
        .find(|a| {
            matches!(
                a,
                Action::EligibilityStep(_, _, sportello::action::Step::Correct)
            )
        })
        .expect("a «Correggi» button");
    u.press(correct);
    assert!(u.text().contains("Domanda 1 di"), "{}", u.text());

    // A sentence that only gives the project's figures lends the question what they stand
    // for (the project's value), not the rest of the description.
    let mut u = User::new(&b);
    u.say("Siamo 3 imprese artigiane del settore legno in Valsesia e abbiamo già studiato un progetto da 280.000 euro. È fattibile con A.L.Fa.?");
    assert_eq!(
        direct(&u.answer()).map(|d| d.0),
        Some("faq:alfa-importo"),
        "{:?}",
        u.answer()
    );
    assert_eq!(u.session.profile.value, Some(280_000.0));

    // A question that points back at the wish before it (`tutte e due le cose`) is read
    // with it; «le cose» are things, not a «cos'è».
    let mut u = User::new(&b);
    u.say("Ho una tipografia a Chieri con 20 dipendenti. Vorremmo una polizza sanitaria integrativa e un aiuto per chi assiste i genitori malati. Il Piano A.L.Fa. copre tutte e due le cose?");
    assert_eq!(
        direct(&u.answer()).map(|d| d.0),
        Some("faq:alfa-salute-mobilita"),
        "{:?}",
        u.answer()
    );
    let r = read(&b, "quali sono le cose che finanzia alfa?");
    assert!(r.query.contains("le cose"), "{}", r.query);
    assert!(!r.defines, "«le cose» is not «cos'è»");

    // The other example of the issue gets options, never a bare "non ho trovato".
    let mut u = User::new(&b);
    u.say("Sono titolare di una piccola impresa edile a Novara con 12 dipendenti e vorrei offrire il nido ai figli dei dipendenti, c'è un bando?");
    assert!(!u.answer().ranked().is_empty(), "{:?}", u.answer());
}

/// Entries that speak to a kind of applicant (`askers` in the pack) are found first by
/// askers who said they are of that kind, and later by askers of another kind.
#[test]
fn an_entry_for_the_askers_kind_answers_them() {
    let b = brain();
    for (text, entry) in [
        (
            "Siamo un ente bilaterale del commercio di Alessandria: possiamo entrare nel Piano A.L.Fa.?",
            "faq:alfa-enti-aggregatori",
        ),
        (
            "Siamo un gruppo industriale di Ivrea con 800 addetti, possiamo partecipare ad A.L.Fa.?",
            "faq:alfa-grandi-imprese",
        ),
        // A short message: who asks in one sentence (words the pack does not know), the
        // bare eligibility question in the next.
        (
            "Siamo un'azienda aerospaziale di Cameri con 900 dipendenti. Possiamo partecipare ad A.L.Fa.?",
            "faq:alfa-grandi-imprese",
        ),
        // «avremmo potuto…?» asks about the asker too, in the past.
        (
            "Sono il direttore di una fonderia di Valenza con 900 dipendenti. Nel 2019 avremmo potuto usare il bando WECARE per un asilo aziendale?",
            "faq:wa-grandi-imprese",
        ),
        // Without the entry's `askers`, a menu of three.
        (
            "Rappresento un sindacato di Asti: possiamo far parte di un progetto A.L.Fa.?",
            "faq:alfa-enti-aggregatori",
        ),
    ] {
        let mut u = User::new(&b);
        u.say(text);
        let a = u.answer();
        assert_eq!(direct(&a).map(|d| d.0), Some(entry), "{text}: {a:?}");
    }
    // A small firm asking whether it may go alone is not given the large firms' rule.
    let mut u = User::new(&b);
    u.say("Ho una ditta di infissi a Biella con 7 dipendenti: posso entrare nel Piano A.L.Fa. senza altre aziende?");
    let a = u.answer();
    assert_ne!(
        direct(&a).map(|d| d.0),
        Some("faq:alfa-grandi-imprese"),
        "{a:?}"
    );
    assert_eq!(
        a.ranked().first().copied(),
        Some("faq:alfa-pmi-singola"),
        "{a:?}"
    );
    // An asker with a partner firm is not told that one firm alone may not apply (`alone`
    // entries): they get who may apply.
    let mut u = User::new(&b);
    u.say("Siamo una cooperativa sociale di Ivrea con 30 socie; con una ditta di logistica vorremmo fare un progetto sul bando regionale lavoro-famiglia.");
    assert_eq!(u.session.profile.partners, Some(true));
    assert_eq!(
        direct(&u.answer()).map(|d| d.0),
        Some("faq:alfa-chi-puo"),
        "{:?}",
        u.answer()
    );
    // An association of craftsmen or shopkeepers is an aggregating body.
    let r = read(
        &b,
        "Lavoro per un'associazione artigiana di Alba: cosa possiamo fare?",
    );
    assert_eq!(r.profile.applicant, Some(Applicant::EnteAggregatore));
    let mut u = User::new(&b);
    u.say("Sono il presidente di un'associazione di commercianti di Bra. Possiamo partecipare ad A.L.Fa.?");
    assert_eq!(
        direct(&u.answer()).map(|d| d.0),
        Some("faq:alfa-enti-aggregatori"),
        "{:?}",
        u.answer()
    );
    // Whether a call is still open is the same answer for anyone, even for an asker who
    // could never apply to it: the 2019 call's status, not the strategy's.
    let mut u = User::new(&b);
    u.say("Sono il segretario di un'associazione di artigiani di Acqui. So che nel 2019 la Regione finanziava il welfare aziendale delle PMI. È ancora possibile partecipare?");
    assert_eq!(
        direct(&u.answer()).map(|d| d.0),
        Some("faq:wa-aperto"),
        "{:?}",
        u.answer()
    );
    // A question about a kind of applicant, not said of the asker, is asked of that
    // kind: the large firms' entry comes first.
    let mut u = User::new(&b);
    u.say("nel bando wecare del 2019 una grande impresa poteva guidare l'ATI?");
    assert_offered_first(&u, "faq:wa-grandi-imprese");
    // A kind that names the call asked about (the measure for the third sector) says which
    // call, not who: the deadline asked, not that measure's card.
    assert_answers(
        &b,
        "scadenza della misura per il terzo settore di wecare",
        "faq:wecare-scadenze-misure",
    );
    // «Cosa sono gli enti aggregatori?» asks what they are: the asker did not say they are one.
    let r = read(&b, "Cosa sono gli enti aggregatori?");
    assert_eq!(r.profile.applicant, None, "{:?}", r.profile);
    let r = read(&b, "Siamo un ente aggregatore: cosa possiamo fare?");
    assert_eq!(r.profile.applicant, Some(Applicant::EnteAggregatore));
    let mut u = User::new(&b);
    u.say("Cosa sono gli enti aggregatori?");
    assert_eq!(
        direct(&u.answer()).map(|d| d.0),
        Some("faq:gloss-ente-aggregatore")
    );
}

#[test]
fn the_profile_is_shown_and_erased() {
    let b = brain();
    let mut u = User::new(&b);
    u.say("Ho una piccola impresa a Cuneo con 12 dipendenti: cosa finanzia alfa?");
    u.say("/privacy");
    let t = u.text();
    assert!(t.contains("Adesso ricordo"), "{t}");
    assert!(t.contains("12 dipendenti") && t.contains("Cuneo"), "{t}");
    u.say("/cancellami");
    u.press(Action::EraseConfirm);
    assert_eq!(u.session.profile, Default::default());
    assert_eq!(u.session.topic, None);
}

#[test]
fn everyday_italian() {
    let b = brain();
    // Chat spellings.
    let mut u = User::new(&b);
    u.say("ke bandi ci sono x le pmi");
    assert!(!matches!(u.answer(), Answered::Nothing), "{:?}", u.answer());
    // `qlc` after «c'è» is «qualcosa»: the service asked about finds its entry first.
    let mut u = User::new(&b);
    u.say("c e qlc x sostenere i lavoratori ke assistono un familiare malato?");
    assert_eq!(
        direct(&u.answer()).map(|d| d.0),
        Some("faq:alfa-salute-mobilita"),
        "{:?}",
        u.answer()
    );
    // Bodies that «mettono insieme le imprese» are the aggregating bodies.
    let mut u = User::new(&b);
    u.say("negli anni di wecare la regione finanziava le associazioni che mettono insieme le imprese sul welfare?");
    assert_direct(&u, "faq:wecare-enti-aggregatori", "wecare-misura-3");
    // A measure named with its number in words is that measure.
    let u = talk(
        &b,
        &[
            "Che dotazione aveva la misura 2 di WECARE?",
            "e la misura quattro?",
        ],
    );
    assert_direct(&u, "faq:wecare-misura-4", "wecare-misura-4");
    let u = talk(
        &b,
        &["quanti soldi aveva la misura 1 di wecare?", "e la quattro?"],
    );
    assert_direct(&u, "faq:wecare-misura-4", "wecare-misura-4");
    // «min quanto» asks an amount (the project's minimum), not how many firms at least.
    let u = talk(
        &b,
        &["alfa: ci sono dei limiti sul progetto?", "min quanto"],
    );
    assert_direct(&u, "faq:alfa-importo", "alfa-2026");
    // «Quanto metteva» the funder is its money, not the applicant's share.
    assert_answers(
        &b,
        "quanto metteva la regione sul bando wecare del 2019?",
        "faq:wa-dotazione",
    );
    // «Quanto tempo resta aperto» asks the deadline, not the projects' duration.
    let u = talk(
        &b,
        &["alfa è già aperto?", "e per quanto tempo rimane aperto?"],
    );
    assert_direct(&u, "faq:alfa-scadenza", "alfa-2026");
    // «A quanto arrivava» asks the most a project got: for the 2022 call, the entry that
    // says the sources do not give it comes first, not «non ho trovato».
    let u = talk(
        &b,
        &[
            "che servizi pagava il bando welfare del 2022?",
            "e quanto c'era in tutto?",
            "a quanto arrivava il contributo per ogni singola azienda?",
        ],
    );
    assert_offered_first(&u, "faq:wa-2022");
    // A k for the hard c (`kiama` is `chiama`), in a word the pack does not know as such.
    let mut u = User::new(&b);
    u.say("xke si kiama wecare ke vuol dire");
    assert_eq!(direct(&u.answer()).map(|d| d.0), Some("faq:wecare-nome"));
    // What a named call is, with an odd word around it, still offers the call's own
    // description first.
    let mut u = User::new(&b);
    u.say("ke cos e wecare in breve");
    assert_offered_first(&u, "faq:wecare-cos-e");
    // Words that only say how to answer (`in breve`, `esattamente`) leave the question as
    // it was: one clear answer.
    for (q, entry) in [
        ("ok ma alfa cos'è, in breve?", "faq:alfa-cos-e"),
        ("wecare esattamente cos'è?", "faq:wecare-cos-e"),
    ] {
        assert_answers(&b, q, entry);
    }
    // An entry whose question opens with «Esiste un bando…» says what a call funds; it is
    // not a definition held against a question that is not one.
    let mut u = User::new(&b);
    u.say("welfare 2023 x animali domestici?");
    assert_eq!(
        direct(&u.answer()).map(|d| d.0),
        Some("faq:wa-2023-animali")
    );
    // «tot», «mln»: chat shorthand for «in tutto», «milioni».
    for q in ["wecare quanti mln in tot?", "wecare quanti soldi in tot"] {
        let mut u = User::new(&b);
        u.say(q);
        assert_eq!(
            direct(&u.answer()).map(|d| d.0),
            Some("faq:wecare-risorse"),
            "{q}: {}",
            u.text()
        );
    }
    // Words around the question («va bene… o è troppo poco») do not stop a sure answer.
    let mut u = User::new(&b);
    u.say("progetto da più o meno 60.000 euro va bene x alfa o e troppo poco");
    assert_eq!(
        direct(&u.answer()).map(|d| d.0),
        Some("faq:alfa-importo"),
        "{}",
        u.text()
    );
    // «La cifra più alta / più bassa» asks a project's amount.
    let mut u = User::new(&b);
    u.say("qual è la cifra più alta che si può chiedere con alfa?");
    assert_eq!(
        direct(&u.answer()).map(|d| d.0),
        Some("faq:alfa-importo"),
        "{}",
        u.text()
    );
    // How to apply, asked for a call: the general entry on how to apply answers it.
    let mut u = User::new(&b);
    u.say("come si presenta la domanda per alfa?");
    assert_eq!(
        direct(&u.answer()).map(|d| d.0),
        Some("faq:gen-come-presentare"),
        "{}",
        u.text()
    );
    // «Esiste…?» says nothing of what is asked: an entry whose question opens with it
    // (the 2023 call's «Esiste un bando che finanzia servizi per gli animali…?») is not
    // closer for it, and a firm asking today is answered for the open call.
    let mut u = User::new(&b);
    u.say("Abbiamo una ditta di 20 dipendenti e con un'altra impresa pensiamo a un nido aziendale per i figli del personale. Esiste un contributo della Regione?");
    assert_eq!(
        u.session.topic,
        Some(CallId("alfa-2026".into())),
        "{}",
        u.text()
    );
    // «Come funzionava…?» asks what a call was.
    let mut u = User::new(&b);
    u.say("come funzionava il bando del 2023?");
    assert_eq!(
        direct(&u.answer()).map(|d| d.0),
        Some("faq:wa-2023"),
        "{}",
        u.text()
    );
    // «Com'era (fatto) il bando…» asks what the call was, not how something is done.
    let mut u = User::new(&b);
    u.say("com'era fatto il bando del 2022?");
    assert_eq!(direct(&u.answer()).map(|d| d.0), Some("faq:wa-2022"));
    // Employers asking about their staff never get the private citizen's entry.
    for q in [
        "vorrei fare un asilo aziendale, ci sono contributi?",
        "ci sono soldi per il welfare dei dipendenti?",
    ] {
        let mut u = User::new(&b);
        u.say(q);
        assert!(
            !u.answer().ranked().contains(&"faq:gen-cittadino"),
            "{q}: {:?}",
            u.answer()
        );
    }
    // A question without a question mark, opening with «e se» or asking who could take
    // part, is answered, not taken for a description of the asker.
    let mut u = User::new(&b);
    u.say("cos'è il piano alfa?");
    u.say("e se siamo in tre aziende");
    let a = u.answer();
    assert!(
        matches!(
            a.ranked().first(),
            Some(&"faq:alfa-chi-puo") | Some(&"faq:alfa-pmi-singola")
        ),
        "{a:?}"
    );
    let mut u = User::new(&b);
    u.say("la grande impresa poteva partecipare a wecare welfare aziendale o solo pmi");
    assert_eq!(
        direct(&u.answer()).map(|d| d.0),
        Some("faq:wa-grandi-imprese")
    );
    // A message naming a call is about it, even with a place and no question word.
    let mut u = User::new(&b);
    u.say("nuovo bando welfare regione piemonte 2026");
    assert_offered_first(&u, "faq:alfa-cos-e");
    assert_eq!(u.session.topic, Some(CallId("alfa-2026".into())));
    // A private citizen gets it.
    let mut u = User::new(&b);
    u.say("sono un privato cittadino, posso avere un contributo per il nido?");
    assert_eq!(u.answer().ranked().first(), Some(&"faq:gen-cittadino"));
    // Requests written as text lead where the command leads.
    for (q, cmd) in [
        (
            "vorrei un promemoria per la scadenza del bando",
            "promemoria",
        ),
        ("voglio parlare con qualcuno", "operatore"),
        // Asking whom to contact is asking for the help desk.
        (
            "siamo una srl di Biella, chi devo contattare per un chiarimento?",
            "operatore",
        ),
        ("che bandi ci sono", "bandi"),
        ("a chi posso chiedere?", "operatore"),
    ] {
        let mut u = User::new(&b);
        u.say(q);
        assert_eq!(
            u.answer(),
            Answered::Routed {
                command: cmd.into()
            },
            "{q}"
        );
    }
    let mut u = User::new(&b);
    u.say("che bandi ci sono");
    assert!(u.text().contains("I bandi che conosco"), "{}", u.text());
}

/// A reminder asked in words that names no call is for the call in focus: after
/// questions on A.L.Fa., the offer to follow A.L.Fa.; with no call in focus, the list of
/// `/promemoria`.
#[test]
fn a_reminder_asked_in_words_is_for_the_call_in_focus() {
    let b = brain();
    let alfa = CallId("alfa-2026".into());
    let request = "vorrei un promemoria per la scadenza del bando";
    let mut u = User::new(&b);
    u.say("quanto dura un progetto alfa?");
    assert_eq!(u.session.topic, Some(alfa.clone()));
    u.say(request);
    assert!(
        u.buttons().contains(&Action::Follow(alfa.clone())),
        "{}",
        u.text()
    );
    assert!(u.text().contains("Posso seguire A.L.Fa."), "{}", u.text());
    // No call in focus: no call is chosen for the user, who gets the list to choose from.
    let mut u = User::new(&b);
    u.say(request);
    assert_eq!(u.session.topic, None);
    assert!(!u.text().contains("Posso seguire"), "{}", u.text());
    assert!(u.text().contains("Scegli un bando"), "{}", u.text());
}

#[test]
fn typed_answers_in_the_check() {
    let b = brain();
    let mut u = User::new(&b);
    u.say("/verifica alfa-2026");
    u.say("una pmi");
    // "si siamo a cuneo" to «Operi in Piemonte?».
    u.say("si siamo a cuneo");
    assert!(u.text().contains("Domanda 3 di"), "{}", u.text());
    // A doubt without a question mark is answered, and the question asked again.
    u.say("non so cosa sia un partenariato");
    let t = u.text();
    assert!(t.contains("Riprendiamo la verifica"), "{t}");
    assert!(t.contains("Domanda 3 di"), "{t}");
    // "no, siamo solo noi".
    u.say("no, siamo solo noi");
    assert!(u.text().contains("Domanda 4 di"), "{}", u.text());
    u.say("cinquantamila");
    assert!(u.text().contains("Domanda 5 di"), "{}", u.text());
    // "2, 3" for a percentage is not 2,3 %.
    u.say("2, 3");
    assert!(u.text().contains("Domanda 5 di"), "{}", u.text());
    assert!(u.text().contains("Non ho capito"), "{}", u.text());
    u.say("25%");
    assert!(u.text().contains("Domanda 6 di"), "{}", u.text());
    let State::Eligibility(p) = &u.session.state else {
        panic!("still in the check")
    };
    assert!(
        p.answers
            .iter()
            .any(|(id, a)| id == "valore" && *a == sportello::eligibility::Answer::Number(50_000.0))
    );
    assert!(
        p.answers.iter().any(
            |(id, a)| id == "partenariato" && *a == sportello::eligibility::Answer::Bool(false)
        )
    );
}

#[test]
fn only_rare_content_words_are_marked() {
    let b = brain();
    let mut u = User::new(&b);
    u.say("L'ATI poteva essere già costituita al momento della domanda?");
    let marks: Vec<String> = u
        .last
        .as_ref()
        .unwrap()
        .replies
        .iter()
        .flat_map(|r| r.text.0.iter())
        .filter_map(|s| match s {
            Span::Mark(m) => Some(m.to_lowercase()),
            _ => None,
        })
        .collect();
    for plain in ["essere", "già", "momento", "domanda"] {
        assert!(
            !marks.contains(&plain.to_string()),
            "{plain} marked: {marks:?}"
        );
    }
    assert!(marks.len() <= 6, "{marks:?}");
    let html: String = u.last.as_ref().unwrap().replies[0].text.to_html();
    assert!(!html.contains("<u>"), "{html}");
}

#[test]
fn staff_confidence_never_names_another_call() {
    let b = brain();
    let settings = Settings::default();
    let (best, _, confidence) = sportello::helpdesk::staff_pick(
        &b.knowledge,
        &b.index,
        &settings,
        "entro quando scade il bando alfa?",
        now(),
    );
    let id = &b.index.entry(best.unwrap()).doc.id;
    assert_eq!(id, "faq:alfa-scadenza");
    assert_eq!(confidence, sportello::search::Confidence::High);
}

#[test]
fn a_question_about_calls_in_general_leaves_the_call_in_focus() {
    let b = brain();
    let mut u = User::new(&b);
    u.say("cos'è wecare?");
    assert_eq!(u.session.topic, Some(CallId("wecare".into())));
    // «ci sono bandi aperti?» is about every call, not about WECARE's own status.
    u.say("e adesso ci sono bandi aperti?");
    let a = u.answer();
    assert!(
        a.ranked()
            .first()
            .is_some_and(|e| *e == "faq:gen-bandi-aperti"),
        "{a:?}"
    );
}

#[test]
fn asking_what_is_open_now_leaves_a_closed_call_in_focus() {
    let b = brain();
    let mut u = talk(
        &b,
        &["Chi poteva partecipare al bando WECARE sul welfare aziendale?"],
    );
    assert_eq!(
        u.session.topic,
        Some(CallId("wecare-welfare-aziendale".into()))
    );
    // The closed call cannot say what is open now: the open calls' entry comes first...
    u.say("ok quindi è chiuso, adesso cosa c'è di aperto?");
    assert_offered_first(&u, "faq:gen-bandi-aperti");
    // ...and «lì» is then the open call, not the closed one.
    u.say("e lì chi può partecipare?");
    assert_direct(&u, "faq:alfa-chi-puo", "alfa-2026");
    // «Quale dei due è aperto?» after two calls asks about calls in general.
    let mut u = User::new(&b);
    u.say("che differenza c'è tra wecare e alfa?");
    u.say("quale dei due è ancora aperto?");
    let a = u.answer();
    assert!(
        matches!(
            a.ranked().first(),
            Some(&"faq:gen-bandi-aperti") | Some(&"faq:alfa-scadenza") | Some(&"faq:alfa-cos-e")
        ),
        "{a:?}"
    );
    // The same for «e ora cosa c'è?», the time word first.
    let mut u = User::new(&b);
    u.say("Quanto dava per progetto il bando WECARE del 2019?");
    u.say("e adesso cosa c'è?");
    assert_offered_first(&u, "faq:gen-bandi-aperti");
    // «E oggi c'è qualcosa per…?» asks what is open now, not the closed call in focus.
    let mut u = User::new(&b);
    u.say("il bando welfare di novembre 2023 cosa finanziava?");
    u.say("e oggi c'è qualcosa per i bambini dei dipendenti?");
    let a = u.answer();
    assert_eq!(a.ranked().first().copied(), Some("faq:alfa-figli"), "{a:?}");
    // The same for «qualcosa di simile» after a closed call.
    let mut u = User::new(&b);
    u.say("Cosa finanziava il bando welfare aziendale del 2022?");
    u.say("c'è qualcosa di simile adesso?");
    assert_offered_first(&u, "faq:gen-bandi-aperti");
}

#[test]
fn a_question_asked_again_for_another_call_may_ask_how_it_was() {
    let b = brain();
    // «com'era» adds nothing to ask: the previous question is asked again for WECARE,
    // whose call on company welfare answers it.
    let u = talk(
        &b,
        &[
            "quanto si può chiedere al massimo con alfa?",
            "e con wecare com'era?",
        ],
    );
    assert_direct(&u, "faq:wa-importo-progetto", "wecare-welfare-aziendale");
}

#[test]
fn a_measure_named_with_a_pronoun_is_in_focus() {
    let b = brain();
    let mut u = User::new(&b);
    u.say("quali erano le misure di wecare?");
    // «quella per il terzo settore»: the measure «per il terzo settore».
    u.say("e quella per il terzo settore a chi era rivolta?");
    assert_eq!(
        u.session.topic,
        Some(CallId("wecare-misura-2".into())),
        "{}",
        u.text()
    );
}

/// «e oggi…» after a closed call asks about the call open today: the same question for
/// A.L.Fa. (the test clock is after its opening); «e adesso è ancora aperto?» still asks
/// about the call in focus.
#[test]
fn and_today_after_a_closed_call_is_about_the_call_open_now() {
    let b = brain();
    let u = talk(
        &b,
        &[
            "le grandi imprese potevano partecipare al bando wecare del 2019?",
            "e oggi le grandi imprese come fanno?",
        ],
    );
    assert_direct(&u, "faq:alfa-grandi-imprese", "alfa-2026");
    let u = talk(
        &b,
        &[
            "cosa finanziava il bando welfare del 2022?",
            "e adesso è ancora aperto?",
        ],
    );
    assert_eq!(
        u.session.topic,
        Some(CallId("welfare-aziendale-2022".into())),
        "{}",
        u.text()
    );
}

/// «Quale misura era per noi?» from an asker who said what kind of applicant they are:
/// the one measure whose applicants include that kind. An enterprise with social aims
/// may fit the measure for social-impact enterprises too, so it is not given the one for
/// its kind as the answer.
#[test]
fn which_measure_is_for_the_asker_by_the_applicants_the_pack_lists() {
    let b = brain();
    let u = talk(
        &b,
        &[
            "Siamo un'associazione di volontariato di Asti: in WECARE c'era una misura pensata per noi?",
        ],
    );
    assert_direct(&u, "faq:wecare-misura-2", "wecare-misura-2");
    let u = talk(
        &b,
        &[
            "Siamo una PMI di Biella con 30 dipendenti. Quale misura di WECARE era per le aziende come la nostra?",
        ],
    );
    assert_direct(&u, "faq:wecare-misura-3", "wecare-misura-3");
    let u = talk(
        &b,
        &["Siamo un'impresa sociale di Alba con 12 soci. Quale misura di WECARE era per noi?"],
    );
    assert_ne!(
        direct(&u.answer()).map(|d| d.0),
        Some("faq:wecare-misura-2"),
        "{}",
        u.text()
    );
}

#[test]
fn a_short_question_about_applying_alone_asks_what_the_call_says_of_it() {
    let b = brain();
    let mut u = User::new(&b);
    u.say("cos'è il piano alfa?");
    u.say("noi però siamo da soli, va bene?");
    assert_offered_first(&u, "faq:alfa-pmi-singola");
}

#[test]
fn the_new_and_the_old_call_are_the_latest_and_the_earliest() {
    let b = brain();
    let u = talk(
        &b,
        &[
            "quanto vale al massimo un progetto alfa?",
            "e in quello vecchio?",
        ],
    );
    assert_direct(&u, "faq:wa-importo-progetto", "wecare-welfare-aziendale");
    let u = talk(
        &b,
        &[
            "cos'era il bando wecare sul welfare aziendale?",
            "e quello nuovo chi lo può chiedere?",
        ],
    );
    assert_direct(&u, "faq:alfa-chi-puo", "alfa-2026");
    // «Il vecchio bando» points the same way.
    let u = talk(
        &b,
        &[
            "quanto vale al massimo un progetto alfa?",
            "e il vecchio bando quanto valeva al massimo?",
        ],
    );
    assert_direct(&u, "faq:wa-importo-progetto", "wecare-welfare-aziendale");
    // So does a bare «e nel vecchio?» (`nel`, `col`… before `vecchio` / `nuovo`).
    let u = talk(
        &b,
        &["quanto vale al massimo un progetto alfa?", "e nel vecchio?"],
    );
    assert_eq!(
        u.session.topic.as_ref().map(|c| c.0.as_str()),
        Some("wecare-welfare-aziendale"),
        "{}",
        u.text()
    );
}

#[test]
fn a_follow_up_asking_a_fact_the_sources_do_not_give_is_not_answered() {
    let b = brain();
    // How many projects were funded, when the grant is paid: no entry says it, so the
    // entry that shares a word with the question is not given as the answer.
    for (first, then) in [
        (
            "Cosa finanziava il bando welfare aziendale del 2023?",
            "e quanti progetti hanno finanziato?",
        ),
        (
            "Cosa finanzia il piano alfa per i figli?",
            "e quando pagano?",
        ),
        ("Quando scade alfa?", "quante domande sono già arrivate?"),
        (
            "Cos'è il piano alfa?",
            "quanto ci mette la regione a pagare il contributo?",
        ),
        (
            "Che cos'era la misura 1 di wecare?",
            "e i comuni del nostro distretto quanto hanno ricevuto?",
        ),
        (
            "A chi era rivolto il bando welfare del 2022?",
            "e alla fine in quante lo hanno ottenuto?",
        ),
        (
            "Chi poteva partecipare al bando welfare del 2023?",
            "e quante ditte ci hanno partecipato?",
        ),
    ] {
        let mut u = User::new(&b);
        u.say(first);
        u.say(then);
        assert!(
            matches!(u.answer(), Answered::Nothing),
            "{then}: {:?}",
            u.answer()
        );
    }
}

#[test]
fn a_lone_entry_of_the_call_in_focus_is_not_a_sure_answer() {
    let b = brain();
    let mut u = User::new(&b);
    u.say("che cos'è la misura 2 di wecare?");
    assert_eq!(u.session.topic, Some(CallId("wecare-misura-2".into())));
    // The sources give no project length for measure 2: its overview is the only entry
    // of the call the words touch, and that is no reason to state it as the answer.
    u.say("quanto durava un progetto?");
    assert!(direct(&u.answer()).is_none(), "{:?}", u.answer());
}

#[test]
fn who_the_asker_is_weighs_on_the_answer() {
    let b = brain();
    // An employee asking for herself gets the citizen's entry, not a call for firms.
    let mut u = User::new(&b);
    u.say("Sono un'impiegata di una ditta di Asti e ho due figli piccoli, il nido costa tantissimo. La regione mi può dare un contributo?");
    let a = u.answer();
    assert!(
        a.ranked().iter().take(2).any(|e| *e == "faq:gen-cittadino"),
        "{a:?}"
    );
    assert!(
        direct(&a).is_none_or(|d| d.0 == "faq:gen-cittadino"),
        "{a:?}"
    );
    // A worker's role without an article and a question for oneself: the same.
    let mut u = User::new(&b);
    u.say("Sono operaia in un'azienda tessile di Biella, ho un bimbo all'asilo: posso chiedere io il contributo di A.L.Fa.?");
    assert_eq!(direct(&u.answer()).map(|d| d.0), Some("faq:gen-cittadino"));
    // A courtesy imperfect («volevamo sapere») is a question about today: the open
    // call's co-financing, not the closed call's.
    let mut u = User::new(&b);
    u.say("salve, siamo una snc con 4 dipendenti a Vercelli, volevamo sapere se il contributo copre tutto il progetto o se dobbiamo metterci qualcosa noi");
    let a = u.answer();
    assert_eq!(
        direct(&a),
        Some(("faq:alfa-cofinanziamento", Some("alfa-2026"))),
        "{a:?}"
    );
}

#[test]
fn a_menu_about_one_call_puts_it_in_focus() {
    let b = brain();
    let mut u = User::new(&b);
    u.say("per alfa quante aziende ci vogliono come minimo");
    // Whatever the decision, the conversation is now about A.L.Fa.
    assert_eq!(u.session.topic, Some(CallId("alfa-2026".into())));
    let mut u = User::new(&b);
    u.say("con l'accordo lavoro famiglia si può pagare la baby sitter ai dipendenti?");
    assert_eq!(u.session.topic, Some(CallId("alfa-2026".into())));
}

#[test]
fn allowed_expenses_are_not_asked_as_who_may_apply() {
    let b = brain();
    // «Ammesse» next to a word for expenses asks what is paid for…
    assert!(!read(&b, "che spese sono ammesse?").eligibility);
    assert!(!read(&b, "per alfa i costi del nido sono ammessi?").eligibility);
    // …next to a kind of applicant it asks who may apply.
    assert!(read(&b, "le cooperative sociali sono ammesse?").eligibility);
    // A small firm asking what A.L.Fa. pays for gets the services, not who may apply.
    let mut u = User::new(&b);
    u.say("siamo una pmi di asti");
    u.say("per alfa che spese sono ammesse?");
    assert_offered_first(&u, "faq:alfa-servizi");
}

#[test]
fn a_self_description_is_answered_when_its_question_alone_would_be() {
    let b = brain();
    // The description (a cleaning firm, its staff, a past WECARE call) dilutes the match
    // and the whole message alone would get a menu; its question, read by itself, gets
    // the same first entry directly: that is the answer.
    let mut u = User::new(&b);
    u.say("Siamo una piccola impresa di pulizie di Biella, 25 dipendenti, quasi tutte donne con figli, e nel 2019 eravamo nel bando WECARE. Qual è il valore minimo di un progetto A.L.Fa.?");
    let a = u.answer();
    assert_eq!(
        direct(&a),
        Some(("faq:alfa-importo", Some("alfa-2026"))),
        "{a:?}"
    );
    // A thin question is not read alone: the wish before it says what is asked.
    let r = read(
        &b,
        "Buongiorno, siamo un'impresa di Alessandria con 50 dipendenti e vorremmo attivare un nido aziendale. Esiste un finanziamento?",
    );
    assert_eq!(r.alone, None, "{r:?}");
    // A thin question about «loro» asks about the people of the sentence before it, not
    // about the call in general (what follows the description's colon is read with it).
    let mut u = User::new(&b);
    u.say("Gestisco un magazzino a Tortona con 30 dipendenti: molti hanno a casa un familiare non autosufficiente. Con A.L.Fa. possiamo fare qualcosa per loro?");
    assert_offered_first(&u, "faq:alfa-salute-mobilita");
    assert_ne!(direct(&u.answer()).map(|d| d.0), Some("faq:alfa-cos-e"));
    // A thin question read with the description's wish covers less of it, so a sure
    // best entry needs less coverage to be the answer.
    let mut u = User::new(&b);
    u.say("Quanto dura il progetto? Noi siamo una cooperativa di servizi di Novara, 60 soci lavoratori, e stiamo pensando al bando Accordo Lavoro Famiglia insieme a un'altra cooperativa.");
    assert_eq!(
        direct(&u.answer()).map(|d| d.0),
        Some("faq:alfa-durata"),
        "{:?}",
        u.answer()
    );
}

#[test]
fn a_description_before_a_colon_or_an_indirect_question_leaves_the_question_alone() {
    let b = brain();
    // The description before the colon only says who asks: the question after it is
    // answered as if asked alone, its runners-up under it, and the facts are kept.
    let mut u = User::new(&b);
    u.say("Panificio artigiano di Pinerolo con 14 dipendenti, quasi tutti giovani genitori: qual è la durata massima di un progetto A.L.Fa.?");
    let a = u.answer();
    assert_eq!(
        direct(&a),
        Some(("faq:alfa-durata", Some("alfa-2026"))),
        "{a:?}"
    );
    assert!(
        matches!(&a, Answered::Direct { also, .. } if !also.is_empty()),
        "{a:?}"
    );
    assert_eq!(u.session.profile.employees, Some(14));
    // «ci domandiamo quale…» asks, even without a question mark: not a bare description
    // to take note of.
    let mut u = User::new(&b);
    u.say("Siamo una ditta di autotrasporti di Alba con 30 autisti e ci domandiamo quale sia la durata massima di un progetto A.L.Fa.");
    let a = u.answer();
    assert_eq!(
        direct(&a),
        Some(("faq:alfa-durata", Some("alfa-2026"))),
        "{a:?}"
    );
    assert_eq!(u.session.profile.place.as_deref(), Some("Alba"));
    // What the asker has in mind before a colon is part of the question, not a
    // description to read away.
    let r = read(
        &b,
        "Lavoriamo in una ditta di Bra con 20 persone e abbiamo pensato a un progetto da 80.000 euro: è troppo per A.L.Fa.?",
    );
    assert!(r.query.contains("importo"), "{r:?}");
}

/// «Non ho trovato» never comes bare when entries do match: a follow-up the call in focus
/// does not answer is still told so, with what matches it as options (never as the
/// answer); a self-description naming a call is offered that call's entries only, and so
/// is a question naming a call that none of its entries answers.
#[test]
fn not_found_offers_what_matches() {
    let b = brain();
    let tx = sportello::text::texts(sportello::text::Lang::It);
    let not_found = tx.s("search.nothing", &[]);
    let not_found = not_found.lines().next().unwrap().to_string();
    let offered = |u: &User| -> Vec<String> {
        u.buttons()
            .into_iter()
            .filter_map(|a| match a {
                Action::Faq(id) => Some(format!("faq:{id}")),
                Action::Call(c) => Some(format!("call:{}", c.0)),
                Action::Section(c, s) => Some(format!("call:{}#{s}", c.0)),
                _ => None,
            })
            .collect()
    };
    for [first, then] in [
        [
            "Che dotazione aveva la misura 2 di WECARE?",
            "e quando pagavano il contributo?",
        ],
        [
            "Parlami del bando welfare aziendale del 2022",
            "quanto durava l istruttoria?",
        ],
    ] {
        let mut u = User::new(&b);
        u.say(first);
        u.say(then);
        assert!(matches!(u.answer(), Answered::Nothing), "«{then}»");
        assert!(u.text().contains(&not_found), "«{then}»: {}", u.text());
        assert!(!offered(&u).is_empty(), "«{then}» offers nothing");
    }
    let mut u = User::new(&b);
    u.say(
        "Siamo una carrozzeria di Alba con 14 addetti e vorremmo finanziare i centri estivi \
         dei figli. Possiamo partecipare ad A.L.Fa. da soli?",
    );
    let options = offered(&u);
    assert!(!options.is_empty(), "{:?}", u.answer());
    for id in &options {
        let e = b.index.find(id).expect("an entry");
        let calls = &b.index.entry(e).doc.calls;
        assert!(
            calls.is_empty() || calls.iter().any(|c| c.0 == "alfa-2026"),
            "{id} is about {calls:?}"
        );
    }
    // A question naming a call that none of its entries answers (the sources do not give
    // the scoring) is told so, with that call's closest entries as options.
    let mut u = User::new(&b);
    u.say("Con quali punteggi vengono valutati i progetti di A.L.Fa.?");
    assert!(matches!(u.answer(), Answered::Nothing), "{:?}", u.answer());
    let options = offered(&u);
    assert!(!options.is_empty(), "{}", u.text());
    for id in &options {
        let e = b.index.find(id).expect("an entry");
        let calls = &b.index.entry(e).doc.calls;
        assert!(
            calls.iter().any(|c| c.0 == "alfa-2026"),
            "{id} is about {calls:?}"
        );
    }
}

#[test]
fn a_measure_named_by_its_number_alone_is_the_one_asked_about() {
    let b = brain();
    let mut u = User::new(&b);
    u.say("cosa faceva la terza misura di wecare?");
    assert_eq!(u.session.topic, Some(CallId("wecare-misura-3".into())));
    u.say("e la quarta?");
    let a = u.answer();
    assert_eq!(
        direct(&a).and_then(|d| d.1),
        Some("wecare-misura-4"),
        "{a:?}"
    );
    assert_eq!(u.session.topic, Some(CallId("wecare-misura-4".into())));
    // A sibling measure named weakly is the one asked about.
    u.say("e la misura 2?");
    assert_eq!(u.session.topic, Some(CallId("wecare-misura-2".into())));
    // With A.L.Fa. in focus, «la misura 1» is A.L.Fa.'s, not WECARE's first measure.
    let mut u = User::new(&b);
    u.say("cos'è il piano alfa?");
    u.say("e la misura 1?");
    let a = u.answer();
    assert!(a.ranked().iter().all(|e| !e.contains("wecare")), "{a:?}");
    assert_eq!(u.session.topic, Some(CallId("alfa-2026".into())));
    // With A.L.Fa. in focus, there is no fourth of anything: nothing is made up.
    let mut u = User::new(&b);
    u.say("cos'è il piano alfa?");
    u.say("e la quarta?");
    assert!(
        u.answer().ranked().iter().all(|e| !e.contains("misura-4")),
        "{:?}",
        u.answer()
    );
}

#[test]
fn the_call_before_or_after_the_one_in_focus_is_found_by_its_year() {
    let b = brain();
    let mut u = User::new(&b);
    u.say("quando scadeva il bando welfare del 2022?");
    assert_eq!(
        u.session.topic,
        Some(CallId("welfare-aziendale-2022".into()))
    );
    // The pointer («anno dopo») is not searched for: no «Dopo WECARE…» entry.
    u.say("quello dell'anno dopo per chi era?");
    let a = u.answer();
    assert_eq!(
        direct(&a).and_then(|d| d.1),
        Some("welfare-aziendale-2023"),
        "{a:?}"
    );
    assert_eq!(
        u.session.topic,
        Some(CallId("welfare-aziendale-2023".into()))
    );
    // «E prima c'era…?» asks about the call before the one in focus, not about WECARE's
    // first measure («prima misura»).
    let mut v = User::new(&b);
    v.say("il bando welfare di novembre 2023 cosa finanziava?");
    v.say("e prima c'era già qualcosa di uguale?");
    assert_eq!(
        v.session.topic,
        Some(CallId("welfare-aziendale-2022".into())),
        "{}",
        v.text()
    );
    // Asked again for the call before, without the pointer of the question asked again.
    u.say("e quello precedente?");
    let a = u.answer();
    assert_eq!(
        direct(&a).and_then(|d| d.1),
        Some("welfare-aziendale-2022"),
        "{a:?}"
    );
}

/// «Non lo so» is honest: a question asking a fact of a precise kind (a tax, a ranking:
/// the locale's `words.facts`) that the best entry's text does not say is not answered
/// with that entry, however many other words they share; it is told «non ho trovato»
/// with the entry offered as an option. The same question without the fact is answered,
/// and a fact the pack does state (a ranking it reports) still is.
#[test]
fn a_fact_no_entry_states_is_not_answered_with_a_neighbour() {
    let b = brain();
    let tx = sportello::text::texts(sportello::text::Lang::It);
    let not_found = tx.s("search.nothing", &[]);
    let not_found = not_found.lines().next().unwrap().to_string();
    let mut u = User::new(&b);
    u.say("Quanto cofinanziamento è deducibile dalle tasse per un progetto ALFA?");
    assert!(matches!(u.answer(), Answered::Nothing), "{:?}", u.answer());
    assert!(u.text().contains(&not_found), "{}", u.text());
    assert!(
        u.buttons()
            .contains(&Action::Faq("alfa-cofinanziamento".into())),
        "the near entry is offered: {:?}",
        u.buttons()
    );
    let mut u = User::new(&b);
    u.say("Quanto cofinanziamento serve per un progetto ALFA?");
    assert_eq!(
        direct(&u.answer()),
        Some(("faq:alfa-cofinanziamento", Some("alfa-2026"))),
        "{:?}",
        u.answer()
    );
    // Which firms won is such a fact, however the question words it.
    let mut u = User::new(&b);
    u.say("Nel bando WECARE sul welfare aziendale quali imprese sono state premiate?");
    assert!(matches!(u.answer(), Answered::Nothing), "{:?}", u.answer());
    let mut u = User::new(&b);
    u.say("Dove è stata pubblicata la graduatoria del bando WECARE per gli enti aggregatori?");
    assert_eq!(
        direct(&u.answer()).map(|d| d.0),
        Some("faq:wecare-enti-aggregatori"),
        "{:?}",
        u.answer()
    );
    // How many districts came of measure 1, which firms got the money: outcomes, which no
    // entry states, not the measure's description.
    for q in [
        "Alla fine con la misura 1 di WECARE quanti distretti sono nati in Piemonte?",
        "Nel bando del 2023 quante aziende hanno preso i soldi?",
        // How many partners at most: the sources give only the least (two SMEs).
        "In un progetto A.L.Fa. si possono mettere quanti partner, al massimo?",
        "alfa: quante aziende al massimo nello stesso progetto?",
        // Extensions, extra points, payment on account: not stated for A.L.Fa.
        "Un progetto A.L.Fa. può avere una proroga oltre i 24 mesi?",
        "nel piano alfa ci sono punti in più per le imprese guidate da donne?",
        "con alfa i soldi vengono dati a rimborso delle spese fatte?",
        // The form of a measure's grant and who ran a measure: the measures' cards give
        // their amounts and aims, not these.
        "La misura 2 di WECARE dava contributi a fondo perduto?",
        "misura 4 wecare: erano prestiti?",
        "Chi gestiva la misura 5 di WECARE?",
        // Which ministry runs a national programme: the sources name the programme only.
        "Quale ministero si occupa del programma Giovani Donne e Lavoro da cui arrivano i soldi di alfa?",
    ] {
        let mut u = User::new(&b);
        u.say(q);
        assert!(
            matches!(u.answer(), Answered::Nothing),
            "{q}: {:?}",
            u.answer()
        );
    }
    // A duration: stated for A.L.Fa.'s projects, not for the 2019 call's, whose amounts
    // («al massimo») share the other words.
    let mut u = User::new(&b);
    u.say("Quanto dovevano durare al massimo i progetti del bando welfare aziendale di WECARE del 2019?");
    assert!(matches!(u.answer(), Answered::Nothing), "{:?}", u.answer());
    let mut u = User::new(&b);
    u.say("quanto durano al massimo i progetti di alfa?");
    assert_eq!(
        direct(&u.answer()).map(|d| d.0),
        Some("faq:alfa-durata"),
        "{:?}",
        u.answer()
    );
    // Whether A.L.Fa.'s grant is non-repayable its entry on the grant's share does say.
    let mut u = User::new(&b);
    u.say("il contributo di alfa è a fondo perduto?");
    assert_eq!(
        direct(&u.answer()).map(|d| d.0),
        Some("faq:alfa-cofinanziamento"),
        "{:?}",
        u.answer()
    );
}

/// A question a third of which, in two words or more, the pack does not know at all is
/// neither answered with the entry that shares its other words nor offered a menu of
/// answers, but «non ho trovato» with them.
#[test]
fn a_question_in_words_the_pack_does_not_know_gets_no_answer_nor_menu() {
    let b = brain();
    let mut u = User::new(&b);
    u.say("Ci sono agevolazioni per assumere giovani apprendisti in Piemonte?");
    assert!(matches!(u.answer(), Answered::Nothing), "{:?}", u.answer());
    let mut u = User::new(&b);
    u.say("Con ALFA si può noleggiare un pulmino elettrico per il car pooling?");
    assert!(matches!(u.answer(), Answered::Nothing), "{:?}", u.answer());
    assert!(
        u.buttons()
            .contains(&Action::Faq("alfa-salute-mobilita".into())),
        "what is near is offered: {:?}",
        u.buttons()
    );
}

#[test]
fn a_call_named_only_in_context_takes_the_focus() {
    let b = brain();
    // WECARE in focus: «il bando sul welfare aziendale» is its call for firms' welfare.
    let u = talk(
        &b,
        &[
            "WECARE era finanziata dal FESR o dal FSE?",
            "e il bando sul welfare aziendale su quale programma stava?",
        ],
    );
    let call = Some(CallId("wecare-welfare-aziendale".into()));
    assert_eq!(u.session.topic, call, "{}", u.text());
    // Said cold, the same words name no call.
    let u = talk(
        &b,
        &["il bando sul welfare aziendale su quale programma stava?"],
    );
    assert_ne!(u.session.topic, call, "{}", u.text());
}

#[test]
fn a_term_followed_by_vuol_dire_asks_for_its_definition() {
    let b = brain();
    // «X vuol dire che…?», «X significa che…?»: what the term means, not one call's rule.
    for (q, entry) in [
        (
            "cofinanziamento vuol dire che pago io una parte?",
            "faq:gloss-cofinanziamento",
        ),
        (
            "l'ATI vuol dire che facciamo una società nuova?",
            "faq:gloss-ati",
        ),
        (
            "de minimis significa che c'è un tetto agli aiuti?",
            "faq:gloss-de-minimis",
        ),
    ] {
        let mut u = User::new(&b);
        u.say(q);
        assert_eq!(
            direct(&u.answer()),
            Some((entry, None)),
            "{q}: {}",
            u.text()
        );
    }
}

#[test]
fn a_re_ask_for_another_call_finds_the_counterpart_of_the_last_answer() {
    let b = brain();
    // The last answer was WECARE's co-financing share: «e per alfa?» asks A.L.Fa.'s,
    // which the question's own words alone leave close to A.L.Fa.'s amounts.
    let u = talk(
        &b,
        &[
            "qual è la quota di cofinanziamento minima per il welfare aziendale di wecare?",
            "e per alfa?",
        ],
    );
    assert_direct(&u, "faq:alfa-cofinanziamento", "alfa-2026");
}

#[test]
fn a_single_entry_to_offer_is_asked_as_a_guess_not_as_a_choice() {
    let b = brain();
    let mut u = User::new(&b);
    u.say("piu o meno 60.000 di progetto, quanto dv metterci io con alfa?");
    match u.answer() {
        Answered::Menu { entries } => assert_eq!(entries.len(), 1, "{entries:?}"),
        other => panic!("expected a menu of one entry, got {other:?}"),
    }
    let text = u.text();
    assert!(text.contains("Cerchi questa risposta?"), "{text}");
    assert!(!text.contains("più risposte"), "{text}");
}

#[test]
fn previsto_is_a_filler_not_what_is_asked() {
    let b = brain();
    // So are «qualche», «circa», «dentro»: counted as words the pack does not know, they
    // made plain questions unsure.
    for (q, entry) in [
        (
            "una grande impresa può stare dentro un partenariato alfa?",
            "faq:alfa-grandi-imprese",
        ),
        (
            "ci sono risorse fsc in qualche misura di wecare?",
            "faq:wecare-fsc",
        ),
        (
            "un progetto da circa 90 mila euro rientra in alfa?",
            "faq:alfa-importo",
        ),
        // «dobbiamo», «simile»: the same.
        (
            "per alfa quante imprese dobbiamo essere come minimo?",
            "faq:alfa-pmi-singola",
        ),
    ] {
        assert_answers(&b, q, entry);
    }
    // «previste» weighed as the question's rarest word, so the entry listing the measures
    // covered too little of it to be offered at all.
    let u = talk(
        &b,
        &[
            "il bando welfare aziendale di wecare è ancora aperto?",
            "oggi c'è qualcosa di simile?",
        ],
    );
    assert_eq!(
        direct(&u.answer()).map(|(e, _)| e),
        Some("faq:gen-bandi-aperti"),
        "{}",
        u.text()
    );
    let mut u = User::new(&b);
    u.say("che misure erano previste nella strategia wecare?");
    assert_eq!(
        direct(&u.answer()).map(|(e, _)| e),
        Some("faq:wecare-misure"),
        "{}",
        u.text()
    );
}

#[test]
fn an_answer_chosen_with_a_button_is_the_last_answer() {
    let b = brain();
    // A menu, then the user picks WECARE's co-financing share with its button: that is
    // the answer a re-ask for another call (`e per alfa?`) looks for the counterpart of.
    let mut u = User::new(&b);
    u.say("welfare aziendale 2019 quanto pagava l'impresa e quanto la regione?");
    assert!(
        matches!(u.answer(), Answered::Menu { .. }),
        "{:?}",
        u.answer()
    );
    assert_eq!(u.session.last_answer, None);
    u.press(Action::Faq("wa-cofinanziamento".into()));
    assert_eq!(
        u.session.last_answer.as_deref(),
        Some("faq:wa-cofinanziamento")
    );
    u.say("e per alfa?");
    assert_direct(&u, "faq:alfa-cofinanziamento", "alfa-2026");
    assert_eq!(
        u.session.last_answer.as_deref(),
        Some("faq:alfa-cofinanziamento")
    );
}

#[test]
fn a_re_ask_for_another_call_gets_the_entry_the_pack_says_answers_the_same() {
    let b = brain();
    // The three areas of WECARE's call (one aspect: its services): the entry on the
    // services A.L.Fa. funds, though A.L.Fa.'s list names no such area.
    let u = talk(
        &b,
        &[
            "nel bando welfare di wecare c'era spazio per le pari opportunità?",
            "e per alfa?",
        ],
    );
    assert_direct(&u, "faq:alfa-servizi", "alfa-2026");

    // The call named with a year and the name the company-welfare calls share («bando
    // welfare aziendale»): the name is not a question of its own.
    let u = talk(
        &b,
        &[
            "quanti soldi ci sono in tutto sulla misura dei piani integrati di alfa?",
            "e sul bando welfare aziendale del 2019?",
        ],
    );
    assert_direct(&u, "faq:wa-dotazione", "wecare-welfare-aziendale");

    // The call named by month and year: the month says which call, not what is asked.
    let u = talk(
        &b,
        &[
            "quanti soldi aveva il bando welfare aziendale di wecare?",
            "e per il bando di novembre 2023?",
        ],
    );
    assert_direct(&u, "faq:wa-2023", "welfare-aziendale-2023");

    // A measure's money, then another measure named by its number.
    let u = talk(
        &b,
        &[
            "quanti milioni aveva la misura 1 di wecare?",
            "e la misura 2?",
        ],
    );
    assert_direct(&u, "faq:wecare-misura-2", "wecare-misura-2");

    // An entry about several things (the 2022 call: who, how much, its state): the
    // one of A.L.Fa. that the words also offer.
    let u = talk(
        &b,
        &[
            "il bando welfare del 2022 a chi era rivolto?",
            "e per alfa?",
        ],
    );
    assert_direct(&u, "faq:alfa-chi-puo", "alfa-2026");

    // An overview answered last (the 2023 call's entry holds its services, who, how
    // much…): the aspect is the one the question asked again asks with (who), not the
    // services its words also speak of.
    let u = talk(
        &b,
        &[
            "per il bando di fine 2023 sui servizi ai figli dei lavoratori, chi poteva fare domanda?",
            "e per quello nuovo?",
        ],
    );
    assert_direct(&u, "faq:alfa-chi-puo", "alfa-2026");

    // The words already answer that aspect for the call the name means here (WECARE's
    // call on company welfare, not the strategy): their answer stands.
    let u = talk(&b, &["alfa quando scade?", "e wecare?"]);
    match direct(&u.answer()) {
        Some((e, Some(c))) => assert!(
            [
                "faq:wa-scadenza",
                "faq:wa-aperto",
                "faq:wecare-ancora-attiva"
            ]
            .contains(&e)
                && c.starts_with("wecare"),
            "{e} {c}: {}",
            u.text()
        ),
        other => panic!("expected a direct answer, got {other:?}: {}", u.text()),
    }
}

/// Whether the one call a message names is still open (`words.asks_status`) is answered
/// with that call's status entry (main aspect `aperto`), whatever the call's other words
/// find; a message that only says a call closed and asks what it was is not asking that
/// (`si è chiuso` is not among the phrases).
#[test]
fn whether_a_named_call_is_still_open_gets_its_status() {
    let b = brain();
    for (q, entry) in [
        (
            "Il bando sul welfare aziendale di secondo livello del 2019 è ancora aperto?",
            "faq:wa-aperto",
        ),
        (
            "Ho una lavanderia a Chieri e mi sono perso il bando welfare di fine 2022: a chi era rivolto e si può ancora fare domanda?",
            "faq:wa-2022-scadenza",
        ),
        // Asked the other way round, in chat spelling.
        ("quindi wecare nn c'è più?", "faq:wecare-ancora-attiva"),
    ] {
        assert_answers(&b, q, entry);
    }
    let mut u = User::new(&b);
    u.say("C'era un bando sul welfare aziendale che si è chiuso a febbraio 2020: cos'era?");
    assert_ne!(
        direct(&u.answer()).map(|d| d.0),
        Some("faq:wa-aperto"),
        "{}",
        u.text()
    );
}

/// Whether one *was* in time (`words.asks_past_deadline`) asks the call's deadlines, not
/// whether it is open today: «No, è chiuso» would be wrong for a date before the last
/// deadline.
#[test]
fn whether_one_was_in_time_gets_the_deadlines_not_today_s_status() {
    let b = brain();
    assert_answers(
        &b,
        "Con la mia ditta volevamo entrare nel bando welfare aziendale del 2019 ma abbiamo finito il progetto a dicembre 2019: saremmo stati in tempo?",
        "faq:wa-proroghe",
    );
    // Asked of today, the status as before.
    assert_answers(
        &b,
        "Il bando welfare aziendale del 2019: sono ancora in tempo per partecipare?",
        "faq:wa-aperto",
    );
}

/// «chi ci mette i soldi?», «da dove vengono…?» ask where the money comes from, not how
/// much there is (`knowledge/synonyms.toml`).
#[test]
fn who_puts_in_the_money_asks_the_source_of_the_funds() {
    let b = brain();
    let u = talk(&b, &["cos'è alfa?", "e chi ci mette i soldi?"]);
    assert_direct(&u, "faq:alfa-fondi", "alfa-2026");
}

/// «c'è ancora», «esiste ancora» ask whether something is still open (`knowledge/synonyms.toml`).
#[test]
fn asking_whether_something_still_exists_asks_whether_it_is_open() {
    let b = brain();
    assert_answers(
        &b,
        "Sono l'assessora ai servizi sociali di un comune del Monferrato. Con WECARE i comuni potevano avere fondi per il welfare del territorio? E oggi c'è ancora qualcosa di simile?",
        "faq:wecare-ancora-attiva",
    );
}

#[test]
fn asking_which_call_is_not_about_the_call_in_focus() {
    let b = brain();
    // «In quale bando…?» asks which call, not something of A.L.Fa.: never A.L.Fa.'s
    // card as if it were the answer.
    let u = talk(
        &b,
        &[
            "alfa paga anche i servizi per gli animali domestici dei lavoratori?",
            "e in quale bando c'erano allora?",
        ],
    );
    assert!(
        !matches!(direct(&u.answer()), Some((_, Some("alfa-2026")))),
        "{:?}: {}",
        u.answer(),
        u.text()
    );
}

#[test]
fn a_short_question_beside_a_remark_is_read_by_itself() {
    let b = brain();
    // The remark after the question («I didn't get what is needed») asks nothing: the
    // question is read by itself, the remark counts as its context.
    let r = read(&b, "ati o ats per alfa? nn ho capito bene");
    assert_eq!(r.alone.as_deref(), Some(r.query.as_str()), "{r:?}");
    assert!(!r.query.contains("capito"), "{r:?}");
    // A thin question (one content word) stays with the sentence beside it.
    let r = read(&b, "ho letto di alfa sul giornale. la scadenza?");
    assert_eq!(r.alone, None, "{r:?}");
}

#[test]
fn whether_a_firm_from_elsewhere_may_take_part_is_not_known_unless_an_entry_says_it() {
    let b = brain();
    // A.L.Fa.'s entries on who may apply say nothing of where the firms must be: a firm
    // from Liguria asking whether it may take part gets «non lo so», the reason, and
    // those entries to open.
    let u = talk(
        &b,
        &[
            "Siamo una srl di Imperia, in Liguria, con 30 dipendenti: possiamo partecipare al piano alfa?",
        ],
    );
    assert_eq!(u.answer(), Answered::Nothing, "{}", u.text());
    assert!(
        u.text().contains("Liguria") && u.text().contains("Piemonte"),
        "{}",
        u.text()
    );
    assert!(
        u.buttons()
            .iter()
            .any(|a| matches!(a, Action::Faq(e) if e.starts_with("alfa"))),
        "{:?}",
        u.buttons()
    );
    // The same question from a firm in Piedmont is answered.
    let u = talk(
        &b,
        &["Siamo una srl di Asti con 30 dipendenti: possiamo partecipare al piano alfa?"],
    );
    assert!(!matches!(u.answer(), Answered::Nothing), "{}", u.text());
    // The 2023 call's entry says where firms had to be (a seat or a site in Piedmont):
    // that is an answer for a firm from elsewhere.
    let u = talk(
        &b,
        &[
            "Siamo un'azienda di Genova con 20 dipendenti: potevamo partecipare al bando welfare del 2023?",
        ],
    );
    assert_eq!(
        direct(&u.answer()).map(|d| d.0),
        Some("faq:wa-2023"),
        "{}",
        u.text()
    );
}

#[test]
fn how_many_we_are_asks_whether_the_partnership_is_enough() {
    let b = brain();
    // «Siamo in due», «bastiamo in due» after a question on A.L.Fa. ask about the
    // partnership it requires (synonyms: partenariato), not the asker's size.
    for follow_up in ["e se siamo in due?", "bastiamo in due o no?"] {
        let u = talk(&b, &["cos'è il piano alfa?", follow_up]);
        assert_direct(&u, "faq:alfa-pmi-singola", "alfa-2026");
    }
    // Without the phrase the count of firms stays a profile fact, not this question.
    let u = talk(&b, &["cos'è il piano alfa?", "e quanto dura?"]);
    assert_direct(&u, "faq:alfa-durata", "alfa-2026");
}

#[test]
fn asking_in_which_call_something_was_reads_the_previous_question() {
    let b = brain();
    // After A.L.Fa.'s services (no pets among them), «in che bando c'erano?» asks which
    // call had services for pets: the 2023 call, not a menu about calls in general.
    let u = talk(
        &b,
        &[
            "alfa paga anche i servizi per gli animali dei dipendenti?",
            "in che bando c'erano allora?",
        ],
    );
    assert_direct(&u, "faq:wa-2023-animali", "welfare-aziendale-2023");
    // Asking which call there is now is not about the previous question.
    let mut u = User::new(&b);
    u.say("alfa paga anche i servizi per gli animali dei dipendenti?");
    u.say("e adesso che bando c'è per noi?");
    assert!(
        !u.answer().ranked().contains(&"faq:wa-2023-animali"),
        "{:?}",
        u.answer()
    );
}

#[test]
fn a_bare_how_much_asks_it_of_the_call_in_focus() {
    let b = brain();
    // «Quanto valeva?» has no word to search but its question: it asks the measure in
    // focus, not the strategy's list of measures.
    let u = talk(
        &b,
        &["a cosa serviva la misura 1 di wecare?", "quanto c'era?"],
    );
    assert_direct(&u, "faq:wecare-misura-1", "wecare-misura-1");
    let u = talk(
        &b,
        &[
            "la misura 5 di wecare in cosa consisteva?",
            "e quanto aveva?",
        ],
    );
    assert_direct(&u, "faq:wecare-misura-5", "wecare-misura-5");
}

#[test]
fn the_new_and_the_old_call_need_no_call_in_focus() {
    let b = brain();
    // «Quello nuovo», «quello vecchio» point at the latest and the earliest call by year
    // even in a first message, with no call in focus.
    let u = talk(&b, &["quello nuovo quanto dura?"]);
    assert_direct(&u, "faq:alfa-durata", "alfa-2026");
    let u = talk(&b, &["e il bando vecchio quando scadeva?"]);
    assert_direct(&u, "faq:wa-scadenza", "wecare-welfare-aziendale");
}

#[test]
fn what_is_new_now_goes_on_about_the_call_the_answer_points_to() {
    let b = brain();
    // The 2019 call is closed and its entry sends the asker to A.L.Fa. (`leads_to` in
    // the pack): asked what is open now, the follow-up is about A.L.Fa.
    let mut u = User::new(&b);
    u.say("il bando wecare del 2019 ormai è chiuso, c'è qualcosa di aperto adesso per il welfare aziendale?");
    u.say("e quanto dura un progetto?");
    assert_direct(&u, "faq:alfa-durata", "alfa-2026");
    // Asked about the 2019 call itself, the conversation stays on it.
    let u = talk(
        &b,
        &[
            "il bando wecare sul welfare aziendale è ancora aperto?",
            "e quando scadeva?",
        ],
    );
    assert_direct(&u, "faq:wa-scadenza", "wecare-welfare-aziendale");
}

#[test]
fn a_re_ask_that_would_repeat_the_same_answer_asks_what_that_call_is() {
    let b = brain();
    // The list of WECARE's measures is about each of them: «e la quinta misura?» after
    // it would give the same list again; it asks what measure 5 is.
    let u = talk(
        &b,
        &["wecare in quante parti era divisa?", "e la quinta misura?"],
    );
    assert_direct(&u, "faq:wecare-misura-5", "wecare-misura-5");
    let u = talk(&b, &["quali erano le misure di wecare?", "e la quarta?"]);
    assert_direct(&u, "faq:wecare-misura-4", "wecare-misura-4");
}

/// «Quale misura di WECARE…?» asks which measure: an entry about a measure that the
/// words offer is the answer, not a detail of a call inside one (the networks of the 2019
/// company-welfare call), and its first line names the measure.
#[test]
fn which_measure_is_answered_with_a_measure() {
    let b = brain();
    let mut u = User::new(&b);
    u.say("Sono assessora alle politiche sociali in un comune del Roero e sto preparando una relazione per il consiglio. Quale misura di WECARE era pensata per i comuni e le reti territoriali?");
    match direct(&u.answer()) {
        Some((e, Some(c))) => {
            assert!(e.contains("wecare-misura-1"), "{e}");
            assert_eq!(c, "wecare-misura-1");
        }
        other => panic!("expected measure 1, got {other:?}"),
    }
    // Without «quale misura» the same words about networks are the call's own entry.
    let mut u = User::new(&b);
    u.say("Che ruolo avevano le reti territoriali nel bando welfare aziendale di wecare?");
    assert_eq!(direct(&u.answer()).map(|d| d.0), Some("faq:wa-reti"));
}

/// A question that names one measure is answered with the one entry about that measure,
/// not asked to choose between it and entries of the strategy or of a call inside it.
#[test]
fn a_named_measure_is_answered_with_its_own_entry() {
    let b = brain();
    for (q, entry) in [
        (
            "Non ho capito a cosa servisse la quinta misura di WECARE, me lo spieghi?",
            "faq:wecare-misura-5",
        ),
        (
            "La terza misura di WECARE a chi era rivolta?",
            "faq:wecare-misura-3",
        ),
        // Beside the entry on the deadlines of four measures, which is about each.
        (
            "La misura 2 di WECARE a chi era rivolta?",
            "faq:wecare-misura-2",
        ),
        // The strategy named, its measure for social-impact firms the first choice.
        (
            "Abbiamo una start-up a impatto sociale a Cuneo che fa inserimento lavorativo di persone fragili nel riciclo tessile. So che WECARE aveva qualcosa per imprese come noi. Ce lo spiegate?",
            "faq:wecare-misura-4",
        ),
        (
            "Quanti soldi erano stati messi sulla sperimentazione di azioni innovative di welfare territoriale?",
            "faq:wecare-misura-1",
        ),
    ] {
        assert_answers(&b, q, entry);
    }
}

/// «Quanti bandi…?» asks about calls, but «su questa misura» points at the call in focus:
/// the question stays on it instead of going to the open call.
#[test]
fn calls_of_the_call_in_focus_stay_on_it() {
    let b = brain();
    let u = talk(
        &b,
        &[
            "La terza misura di WECARE a chi era rivolta?",
            "quanti bandi ci sono stati su questa misura?",
        ],
    );
    assert_direct(&u, "faq:wecare-misura-3", "wecare-misura-3");
}

/// A choice led by two entries of one call puts that call in focus: a follow-up that
/// ignores the choice asks of it (A.L.Fa.'s funds, not WECARE's).
#[test]
fn a_choice_mostly_about_one_call_puts_it_in_focus() {
    let b = brain();
    let mut u = User::new(&b);
    u.say("Buonasera, ho una catena di 5 palestre tra Torino e Moncalieri, 40 dipendenti in tutto, un'unica società. Vorremmo offrire ai nostri istruttori il nido per i figli e un'assicurazione sanitaria. C'è qualcosa di aperto?");
    match u.answer() {
        Answered::Menu { entries } => {
            assert!(
                entries
                    .iter()
                    .filter(|e| e.starts_with("faq:alfa-"))
                    .count()
                    >= 2,
                "{entries:?}"
            )
        }
        other => panic!("expected a choice, got {other:?}"),
    }
    assert_eq!(u.session.topic, Some(CallId("alfa-2026".into())));
    u.say("ok e i soldi da dove arrivano?");
    assert_eq!(
        direct(&u.answer()).map(|d| d.0),
        Some("faq:alfa-fondi"),
        "{:?}",
        u.answer()
    );
}

/// Whether a measure in focus is still open is answered by the entry on the measures'
/// deadlines (the sources give none), not by the measure's card.
#[test]
fn whether_a_measure_in_focus_is_open_is_its_deadline_entry() {
    let b = brain();
    let u = talk(&b, &["che cos'era la misura 4 di wecare?", "è aperto?"]);
    assert_direct(&u, "faq:wecare-scadenze-misure", "wecare-misura-4");
}

/// A follow-up written without a question mark that asks whether someone may take part
/// («e una grande azienda puo starci») is a question, not a description to note.
#[test]
fn a_chat_follow_up_asking_who_may_join_is_answered() {
    let b = brain();
    let u = talk(
        &b,
        &[
            "ciao alfa min 2 pmi giusto",
            "e una grande azienda puo starci",
        ],
    );
    assert_direct(&u, "faq:alfa-grandi-imprese", "alfa-2026");
}

/// A re-ask naming the strategy that holds the call just answered («e in wecare com'era?»
/// after the 2019 call, WECARE's own) keeps that answer: it is not a question about what
/// the strategy is.
#[test]
fn a_re_ask_for_the_strategy_holding_the_call_keeps_the_answer() {
    let b = brain();
    let u = talk(
        &b,
        &[
            "nel bando del 2019 una pmi poteva partecipare da sola?",
            "e in wecare com'era?",
        ],
    );
    assert_direct(&u, "faq:wa-pmi", "wecare-welfare-aziendale");
}

/// Pointers and words people use in a conversation: «e l'ultima?» after WECARE's first
/// measure is its fifth, «quello attuale» is the newest call, «per quanti anni?» asks the
/// duration of the call in focus.
#[test]
fn last_current_and_how_many_years_point_where_people_mean() {
    let b = brain();
    let u = talk(
        &b,
        &[
            "Quante misure aveva la strategia WECARE?",
            "la prima di cosa si occupava",
            "e l'ultima?",
        ],
    );
    assert_direct(&u, "faq:wecare-misura-5", "wecare-misura-5");
    let mut u = User::new(&b);
    u.say("Nel 2019 la Regione finanziava il welfare aziendale delle PMI. È ancora possibile partecipare?");
    u.say("e in quello attuale un'associazione può entrare?");
    assert_eq!(u.session.topic, Some(CallId("alfa-2026".into())));
    let u = talk(
        &b,
        &[
            "alfa progetto da 200k quanto ci mettiamo noi",
            "per quanti anni?",
        ],
    );
    assert_direct(&u, "faq:alfa-durata", "alfa-2026");
}

/// Everyday words around a plain question (`ha deciso di lanciare`, `per quali motivi`,
/// `quest'anno`) are not «words the pack does not know» that make it look off the subject.
#[test]
fn everyday_words_around_a_plain_question_do_not_hide_it() {
    let b = brain();
    for (q, entry) in [
        (
            "Per quali motivi la Regione ha deciso di lanciare WECARE? Qual era l'idea di fondo?",
            "faq:wecare-perche",
        ),
        (
            "Volevo capire che cos'è questo Piano A.L.Fa. di cui parlano i giornali piemontesi quest'anno. Di cosa si tratta?",
            "faq:alfa-cos-e",
        ),
        // «Ci mettiamo insieme», «bastiamo»: the partnership.
        (
            "Gestiamo un'azienda di ceramiche a Castellamonte con 18 dipendenti. Mio cugino ha una falegnameria lì vicino con 9. Se ci mettiamo insieme come ATS bastiamo per il Piano A.L.Fa. o serve qualcun altro?",
            "faq:alfa-pmi-singola",
        ),
    ] {
        assert_answers(&b, q, entry);
    }
    // `magari`, `possibile`, `della zona` are everyday words, not a subject the pack does
    // not know: the large firms' entry is offered, not «non ho trovato».
    let mut u = User::new(&b);
    u.say("Dirigo una lavanderia industriale a Biella con 700 dipendenti e vorremmo aderire ad A.L.Fa., magari con qualche ditta piccola della zona: è possibile anche per una grande impresa come noi?");
    assert_offered_first(&u, "faq:alfa-grandi-imprese");
    // Nor are `ricordo vagamente`, `andrebbe`, `è corretto?`.
    let mut u = User::new(&b);
    u.say("Un amico mi ha detto che alfa andrebbe bene anche per chi ha solo due o tre dipendenti, ricordo vagamente qualcosa del genere: è corretto?");
    assert!(
        u.answer().ranked().contains(&"faq:alfa-chi-puo"),
        "{:?}",
        u.answer()
    );
}

#[test]
fn a_named_call_the_learned_decision_is_sure_of_needs_less_of_the_question_covered() {
    let b = brain();
    // Words around the point (`regione piemonte`, `quello… sul welfare aziendale`) leave
    // the call's own entry less than the usual share of the question covered; the call is
    // named and the learned decision is sure of its entry: it is the answer, not a menu.
    for (q, entry) in [
        (
            "quello del 2022 sul welfare aziendale, a quanto ammontava?",
            "faq:wa-2022",
        ),
        (
            "welfare aziendale regione piemonte dic 2022 scadenza?",
            "faq:wa-2022-scadenza",
        ),
    ] {
        assert_answers(&b, q, entry);
    }
}

#[test]
fn a_name_shared_across_a_family_yields_to_the_subject_spelt_out() {
    let b = brain();
    // `bando wecare` names the 2019 call on company welfare; the subject spelt out is
    // WECARE's measure for the third sector, whose entry answers almost word for word.
    let mut u = User::new(&b);
    u.say("col bando wecare per i progetti di innovazione sociale del terzo settore quanti soldi c'erano?");
    assert_direct(&u, "faq:wecare-misura-2", "wecare-misura-2");
    // The call above the named one is no other call: a question on the 2019 call's
    // project size stays with that call.
    let mut u = User::new(&b);
    u.say("col bando wecare per il welfare aziendale un progetto da 250.000 euro si poteva fare?");
    assert_direct(&u, "faq:wa-importo-progetto", "wecare-welfare-aziendale");
}

#[test]
fn a_question_part_that_finds_nothing_is_read_with_the_description_around_it() {
    let b = brain();
    // «Cosa gli dico, c'è qualcosa?» says nothing of what is asked: the babysitter the
    // description speaks of is, and its entries are offered instead of «non ho trovato».
    let mut u = User::new(&b);
    u.say("Lavoro in un CAF di Asti e molte lavoratrici ci chiedono se ci sono aiuti regionali per pagare la babysitter. Cosa gli dico, c'è qualcosa?");
    assert_offered_first(&u, "faq:alfa-figli");
}

#[test]
fn a_described_question_the_learned_decision_is_fairly_sure_of_is_answered() {
    let b = brain();
    // The description dilutes the match: the learned decision is less sure than for the
    // bare question, and a fairly sure best entry is the answer, the others under it.
    for (q, entry) in [
        (
            "Sono titolare di una piccola ditta di impianti a Biella con 15 dipendenti e vorrei offrire il nido ai figli dei dipendenti, c'è un bando?",
            "faq:alfa-servizi",
        ),
        (
            "Abbiamo una pasticceria a Bra con 8 dipendenti e insieme al forno accanto vorremmo aiutare chi ha i genitori anziani non autosufficienti. Ci sta in alfa?",
            "faq:alfa-salute-mobilita",
        ),
    ] {
        assert_answers(&b, q, entry);
    }
}

#[test]
fn the_call_of_the_sentence_that_asks_comes_before_one_of_the_description() {
    let b = brain();
    // The wish is read with a question that says little by itself, and names the 2022
    // call; the question names A.L.Fa., which is what is asked about.
    let r = read(
        &b,
        "Nel 2022 avevamo preso il contributo regionale per lo smart working e adesso vorremmo ripartire con un nido insieme a un'altra azienda. Il piano ALFA fa al caso nostro?",
    );
    assert_eq!(r.named.first(), Some(&CallId("alfa-2026".into())), "{r:?}");
}

#[test]
fn a_weak_name_in_the_question_yields_to_another_family_named_before_it() {
    let b = brain();
    // `misura 1` alone names WECARE's first measure; after `piano A.L.Fa.` in the same
    // message, it is A.L.Fa.'s.
    let r = read(
        &b,
        "Sono una giornalista di Asti e sto scrivendo un articolo sul piano A.L.Fa.: quanto vale la misura 1?",
    );
    assert_eq!(r.named, vec![CallId("alfa-2026".into())]);
    // A call of the same family named in the description does not replace the one asked.
    let r = read(
        &b,
        "Insegno in un istituto tecnico di Alba e preparo una lezione sul welfare territoriale in Piemonte. Quanto valeva in tutto la strategia WECARE?",
    );
    assert_eq!(r.named, vec![CallId("wecare".into())]);
}

#[test]
fn this_year_and_last_year_are_the_calls_of_those_years_by_the_clock() {
    let b = brain();
    let q = "Può fare domanda una grande azienda per il bando sul welfare di quest'anno?";
    let mut u = User::new(&b);
    u.say(q);
    assert_eq!(
        u.session.topic,
        Some(CallId("alfa-2026".into())),
        "{}",
        u.text()
    );
    // At the end of 2023 the same words are about the call of 2023.
    let mut u = User::new(&b);
    u.at = "2023-12-01T09:00:00Z".parse().unwrap();
    u.say(q);
    assert_eq!(
        u.session.topic,
        Some(CallId("welfare-aziendale-2023".into())),
        "{}",
        u.text()
    );
    let mut u = User::new(&b);
    u.at = "2024-03-01T09:00:00Z".parse().unwrap();
    u.say("e il bando dell'anno scorso per chi era?");
    assert_eq!(
        u.session.topic,
        Some(CallId("welfare-aziendale-2023".into())),
        "{}",
        u.text()
    );
}

#[test]
fn how_a_named_call_s_rule_works_is_its_own_entry_not_the_glossary() {
    let b = brain();
    // «Come funziona X» asks how X works in the call named, not what X means in general:
    // the call's entry comes before the glossary's.
    for q in [
        "Come funziona il cofinanziamento in alfa?",
        "Ho una ditta di serramenti a Bra con 7 dipendenti e con un vicino vorremmo entrare in un progetto A.L.Fa. Come funziona il cofinanziamento?",
    ] {
        let mut u = User::new(&b);
        u.say(q);
        assert_offered_first(&u, "faq:alfa-cofinanziamento");
    }
}

#[test]
fn what_the_region_put_into_the_strategy_is_the_strategy_s_money() {
    let b = brain();
    // «Stanziato dalla Regione» for WECARE is the strategy's 20 million, not the money of
    // its 2019 call, whose entry also speaks of what the Region put in.
    assert_answers(
        &b,
        "Quanto ha stanziato la Regione in totale per WECARE?",
        "faq:wecare-risorse",
    );
}

#[test]
fn a_description_is_noted_unless_it_speaks_of_a_call() {
    let b = brain();
    // Only who the asker is: noted, with the check and the calls offered; nothing asked.
    let mut u = User::new(&b);
    u.say("Ho una tabaccheria ad Asti con 4 dipendenti.");
    assert_eq!(u.answer(), Answered::Nothing);
    assert!(u.text().contains("Asti"), "{}", u.text());
    assert!(
        u.buttons().contains(&Action::EligibilityMenu),
        "{}",
        u.text()
    );
    assert_eq!(u.session.profile.employees, Some(4));
    // Who the asker is and a call they heard of: that call is what they ask about.
    let mut u = User::new(&b);
    u.say("Ho una pensione per gatti a Pinerolo con 6 dipendenti, mi hanno parlato di un bando che pagava servizi per gli animali domestici dei lavoratori.");
    assert_offered_first(&u, "faq:wa-2023-animali");
}

#[test]
fn teaming_up_with_other_firms_is_a_partnership() {
    let b = brain();
    // «mettermi con altre ditte» is the partnership A.L.Fa. asks for, not the share of
    // the costs the firm puts in.
    let u = talk(
        &b,
        &[
            "Ho una lavanderia a Pinerolo con 2 dipendenti. C'è qualcosa per il welfare anche per ditte piccolissime come la mia?",
            "quindi devo mettermi con altre ditte?",
        ],
    );
    let a = u.answer();
    assert_ne!(
        direct(&a).map(|d| d.0),
        Some("faq:alfa-cofinanziamento"),
        "{}",
        u.text()
    );
    assert!(
        a.ranked()
            .iter()
            .take(3)
            .any(|e| *e == "faq:alfa-pmi-singola"),
        "{a:?}\n{}",
        u.text()
    );
}

#[test]
fn a_comparison_of_named_calls_answers_for_each() {
    let b = brain();
    let lines = |a: &Answered| match a {
        Answered::Direct { lines, .. } => lines.clone(),
        _ => Vec::new(),
    };
    // What each call is: the first named call's overview, a line for the other.
    let mut u = User::new(&b);
    u.say("Quali differenze ci sono fra il bando welfare del 2022 e quello del 2023?");
    let a = u.answer();
    assert_eq!(
        direct(&a),
        Some(("faq:wa-2022", Some("welfare-aziendale-2022"))),
        "{}",
        u.text()
    );
    assert_eq!(lines(&a), ["faq:wa-2023"], "{}", u.text());
    assert!(u.text().contains("Welfare aziendale 2023"), "{}", u.text());
    // One aspect asked: the same aspect of the other call.
    let mut u = User::new(&b);
    u.say("Cosa cambia tra la scadenza del bando welfare del 2022 e quella del 2023?");
    let a = u.answer();
    assert_eq!(
        direct(&a).map(|d| d.0),
        Some("faq:wa-2022-scadenza"),
        "{}",
        u.text()
    );
    assert_eq!(lines(&a), ["faq:wa-2023-scadenza"], "{}", u.text());
    // A measure and a sibling named by its number alone; an entry about every measure
    // (their deadlines) is not the comparison.
    let mut u = User::new(&b);
    u.say("che differenze ci sono fra la misura 3 e la 4 di WECARE?");
    let a = u.answer();
    assert_eq!(
        direct(&a).map(|d| d.0),
        Some("faq:wecare-misura-3"),
        "{}",
        u.text()
    );
    assert_eq!(lines(&a), ["faq:wecare-misura-4"], "{}", u.text());
    // An entry the pack wrote for the comparison stays the answer.
    assert_answers(
        &b,
        "che differenza c'è tra alfa e wecare?",
        "faq:alfa-vs-wecare",
    );
    // Nothing asked beyond the comparison: what each call is, whatever entry of one call
    // the words found first (they find the 2022 call's services).
    let mut u = User::new(&b);
    u.say("Che differenza c'è tra il bando welfare aziendale del 2022 e quello del 2023?");
    let a = u.answer();
    assert_eq!(direct(&a).map(|d| d.0), Some("faq:wa-2022"), "{}", u.text());
    assert_eq!(lines(&a), ["faq:wa-2023"], "{}", u.text());
}

#[test]
fn a_re_ask_keeps_the_counterpart_the_search_is_certain_of() {
    let b = brain();
    // The last answer (the 2023 call's overview) holds several aspects; the question
    // asked again finds, all but certain, what the 2022 call paid for: that stays the
    // answer rather than the 2022 call's overview.
    let u = talk(
        &b,
        &[
            "Nel bando regionale welfare aziendale 2023 che cosa si poteva finanziare?",
            "e per quello del 2022?",
        ],
    );
    assert_direct(&u, "faq:wa-2022-servizi", "welfare-aziendale-2022");
}

#[test]
fn a_measure_named_by_its_number_keeps_its_question() {
    let b = brain();
    // The company-welfare call answers «chi poteva partecipare» almost word for word, but
    // the question names measure 2: never answered with another call's entry.
    let mut u = User::new(&b);
    u.say("Chi poteva fare domanda sulla misura 2 di WECARE?");
    let a = u.answer();
    // Nothing of the company-welfare calls (`wa-…`) is given or offered.
    assert!(
        a.ranked().iter().all(|e| !e.starts_with("faq:wa-")),
        "{a:?}"
    );
    assert_eq!(
        u.session.topic.as_ref().map(|c| c.0.as_str()),
        Some("wecare-misura-2")
    );
}

#[test]
fn what_the_asker_may_do_now_is_never_a_closed_calls_rule() {
    let b = brain();
    // Asked in the present, naming no call: when the words lead to the closed 2019 call's
    // rule, the open call's rule on the same point answers, the old one in a line.
    let mut u = User::new(&b);
    u.say("Ho un birrificio artigianale a Santhià con 11 dipendenti, diversi hanno bimbi piccoli e vorrei pagare una babysitter. Posso fare domanda da solo al bando della Regione?");
    let a = u.answer();
    assert_eq!(
        direct(&a),
        Some(("faq:alfa-pmi-singola", Some("alfa-2026"))),
        "{}",
        u.text()
    );
    match &a {
        Answered::Direct { lines, .. } => assert_eq!(lines, &["faq:wa-pmi"], "{}", u.text()),
        _ => unreachable!(),
    }
}

#[test]
fn where_the_money_came_from_in_any_word_order() {
    let b = brain();
    // «i soldi da dove venivano?» is «da dove venivano i soldi?»: the call's funds.
    let u = talk(
        &b,
        &[
            "Il bando welfare aziendale del 2023 a chi era rivolto?",
            "e i fondi da dove arrivano?",
        ],
    );
    assert_direct(&u, "faq:wa-2023", "welfare-aziendale-2023");
    // «da dove prende i soldi» asks the call's funds, not where the bot's facts come from
    // («Da dove prendi le informazioni?»).
    let u = talk(
        &b,
        &[
            "Il piano alfa cosa finanzia?",
            "e da dove prende i soldi la Regione per alfa?",
        ],
    );
    assert_direct(&u, "faq:alfa-fondi", "alfa-2026");
}

#[test]
fn a_call_is_named_by_the_month_it_closed() {
    let b = brain();
    // The 2019 call closed on 27/02/2020: «febbraio 2020» names it (an alias in the pack).
    let r = read(
        &b,
        "Mi ricordo un bando regionale sul welfare aziendale che si è chiuso a febbraio 2020, quale era?",
    );
    assert_eq!(r.named, [CallId("wecare-welfare-aziendale".into())]);
}

#[test]
fn asking_whether_a_call_reopens_asks_its_status() {
    let b = brain();
    // «lo riaprono?» asks whether the call is open again, not what it was.
    let mut u = User::new(&b);
    u.say("Nel 2019 volevo partecipare al bando WECARE sul welfare aziendale ma sono arrivato tardi. Lo riaprirà la Regione?");
    let a = u.answer();
    assert_ne!(
        direct(&a).map(|d| d.0),
        Some("faq:wa-cos-e"),
        "{}",
        u.text()
    );
    assert_offered_first(&u, "faq:wa-aperto");
}

#[test]
fn which_measure_asked_from_a_measure_in_focus_looks_among_its_siblings() {
    let b = brain();
    // With measure 5 in focus, «da quale misura…?» asks among WECARE's measures: the
    // answer is about measure 1 (the territorial experiments), not measure 5 again.
    let u = talk(
        &b,
        &[
            "Che cos'era la misura 5 di WECARE?",
            "e le sperimentazioni dei territori da quale misura erano finanziate?",
        ],
    );
    assert_eq!(
        u.session.topic.as_ref().map(|c| c.0.as_str()),
        Some("wecare-misura-1"),
        "{}",
        u.text()
    );
}

/// What a call's name means, asked with nothing else (`cs vuol dire wecare`), is answered
/// with the entry on the name (aspect `nome`), not with what the call is; a question about
/// a term *in* the call's documents is not about its name.
#[test]
fn what_a_call_s_name_means_gets_the_name_entry() {
    let b = brain();
    assert_answers(&b, "cs vuol dire wecare", "faq:wecare-nome");
    assert_answers(&b, "WE.CA.RE. cosa significa?", "faq:wecare-nome");
    // What the measure in focus is called: A.L.Fa.'s overview gives its name.
    let u = talk(
        &b,
        &["alfa chi può partecipare?", "e la misura 1 come si chiama?"],
    );
    assert_direct(&u, "faq:alfa-cos-e", "alfa-2026");
    let mut u = User::new(&b);
    u.say("cosa vuol dire sussidiarietà circolare in WECARE?");
    assert_ne!(
        direct(&u.answer()).map(|d| d.0),
        Some("faq:wecare-nome"),
        "{}",
        u.text()
    );
}

/// A follow-up that names no call asks about the call in focus: when its words find
/// another call's entry (WECARE's funds, after a question on WECARE's call for firms),
/// the focus call's own entry for that aspect is the answer.
#[test]
fn a_follow_up_asks_its_aspect_of_the_call_in_focus() {
    let b = brain();
    let u = talk(
        &b,
        &[
            "Qual era la scadenza del bando welfare aziendale di WECARE?",
            "e da quale programma venivano i soldi?",
        ],
    );
    assert_direct(&u, "faq:wa-normativa", "wecare-welfare-aziendale");
}

/// A follow-up about the call in focus is on topic as a question naming it is: the entries
/// it covers less than a cold question would still make a choice, not «non ho trovato».
#[test]
fn a_follow_up_on_the_call_in_focus_is_on_topic() {
    let b = brain();
    let u = talk(
        &b,
        &[
            "Quali fondi europei finanziavano WECARE?",
            "e la misura sulle imprese a impatto sociale da quale fondo prendeva i soldi?",
            "poi è cambiato qualcosa nel 2020?",
        ],
    );
    match u.answer() {
        Answered::Menu { entries } => {
            assert_eq!(entries.first().map(String::as_str), Some("faq:wecare-fsc"))
        }
        Answered::Direct { entry, .. } => assert_eq!(entry, "faq:wecare-fsc"),
        other => panic!("expected WECARE's FSC entry, got {other:?}"),
    }
}

/// «Quanti bandi ha avuto?» asks how many calls the call in focus had (its subject is
/// that call), not about calls in general.
#[test]
fn how_many_calls_it_had_asks_the_call_in_focus() {
    let b = brain();
    let u = talk(
        &b,
        &[
            "a cosa serviva la misura 3 di wecare?",
            "e quanti bandi ha avuto?",
        ],
    );
    assert_direct(&u, "faq:wecare-misura-3", "wecare-misura-3");
}

/// «La parte» stands for a measure as «quella» does: with WECARE in focus, `e la parte
/// sulle aziende?` is its measure for firms' welfare (a name that counts only in a
/// conversation about WECARE: `focus_aliases`).
#[test]
fn the_part_about_firms_is_wecare_s_measure_for_them() {
    let b = brain();
    let u = talk(
        &b,
        &[
            "Quali erano le misure di WECARE?",
            "e la parte sulle aziende?",
        ],
    );
    assert_direct(&u, "faq:wecare-misura-3", "wecare-misura-3");
    // Said cold, the same words name no call (the search may still find the measure).
    let words = sportello::understand::words_of("c'è una misura per le aziende?");
    assert!(sportello::understand::named_calls(&b.knowledge, &words).is_empty());
}

/// A second question about each of the things the first asks for (`e di cosa si occupa
/// ciascuna?`) is answered by the first one's answer: the list of WECARE's measures says
/// what each does.
#[test]
fn a_question_about_each_of_a_list_gets_the_list() {
    let b = brain();
    assert_answers(
        &b,
        "Quante sono le misure previste dalla strategia WECARE e di cosa si occupa ciascuna?",
        "faq:wecare-misure",
    );
}

/// How much one project or firm could get, asked of a call for which the pack says nothing
/// of it (WECARE's measures: their cards give what each was worth in all), is «non lo so»
/// with the card offered; asked of A.L.Fa., whose projects' range the pack gives, it is
/// answered.
#[test]
fn an_amount_per_project_no_entry_states_is_not_known() {
    let b = brain();
    let mut u = User::new(&b);
    u.say("Qual era il contributo massimo per un progetto nella misura 5 di WECARE?");
    assert!(matches!(u.answer(), Answered::Nothing), "{}", u.text());
    assert!(
        u.buttons()
            .iter()
            .any(|a| matches!(a, Action::Faq(id) if id == "wecare-misura-5")),
        "{}",
        u.text()
    );
    assert_answers(
        &b,
        "Qual è l'importo massimo per progetto nel piano ALFA?",
        "faq:alfa-importo",
    );
}

/// An enterprise with social aims (an impresa sociale, a srl benefit, a community
/// cooperative) asking which WECARE measure fits it gets the measure for social-impact
/// enterprises, whatever kind of applicant it said it is.
#[test]
fn a_social_enterprise_asking_which_measure_gets_the_social_impact_one() {
    let b = brain();
    assert_answers(
        &b,
        "Siamo un'impresa sociale di Ivrea che fa inserimento lavorativo di persone fragili. Quale misura di WECARE era pensata per imprese come noi?",
        "faq:wecare-misura-4",
    );
    assert_answers(
        &b,
        "Abbiamo fondato una srl benefit a Saluzzo. Quale misura di WECARE faceva per noi?",
        "faq:wecare-misura-4",
    );
}

/// «E se lo facessimo adesso?» after a question about a closed call asks it of the call
/// open today, as `e adesso…` does (`words.now`), not whether the closed call is open.
#[test]
fn doing_it_now_asks_the_call_open_today() {
    let b = brain();
    let u = talk(
        &b,
        &[
            "Nel 2019 avevamo un progetto di welfare da 100.000 euro per il bando WECARE: quanto dovevamo metterci noi?",
            "e se lo facessimo adesso?",
        ],
    );
    assert_eq!(
        direct(&u.answer()).and_then(|d| d.1),
        Some("alfa-2026"),
        "{}",
        u.text()
    );
}

/// A call's name with «info» or «informazioni» asks what the call is: its overview, not one
/// of its details.
#[test]
fn a_call_s_name_with_info_asks_what_it_is() {
    let b = brain();
    assert_answers(&b, "info bando welfare dicembre 2022", "faq:wa-2022");
}

/// The 2023 call paid for services for employees' children as well as for their pets: a
/// question about the children gets the call's overview, not the entry on pets; how many
/// firms got its grant is a result no entry states («non lo so»).
#[test]
fn the_2023_call_for_children_gets_its_overview() {
    let b = brain();
    assert_answers(
        &b,
        "Il bando regionale del 2023 pagava servizi per i figli dei dipendenti?",
        "faq:wa-2023",
    );
    let mut u = User::new(&b);
    u.say("Quante aziende hanno avuto il contributo del bando welfare 2023?");
    assert!(matches!(u.answer(), Answered::Nothing), "{}", u.text());
}

/// «E adesso cosa si può fare?» after a closed call asks about the calls open today, not
/// about the call in focus.
#[test]
fn what_one_can_do_now_asks_about_the_open_calls() {
    let b = brain();
    let u = talk(
        &b,
        &[
            "Quando scadeva il bando WECARE sul welfare aziendale?",
            "e per alfa invece?",
            "quindi adesso cosa si può fare?",
        ],
    );
    assert_eq!(
        direct(&u.answer()).map(|d| d.0),
        Some("faq:gen-bandi-aperti"),
        "{}",
        u.text()
    );
}

/// A project's value with a question on how much the grant pays (`quanto ci danno?`) or
/// how much is left to pay (`quanto paghiamo noi?`) asks the share the call covers, not the
/// project's limits; asking the maximum grant with a
/// figure still asks the limits.
#[test]
fn a_value_with_how_much_we_get_asks_the_covered_share() {
    let b = brain();
    assert_answers(
        &b,
        "se 2 pmi fanno un progetto alfa da 200mila quanto è il contributo?",
        "faq:alfa-cofinanziamento",
    );
    let u = talk(
        &b,
        &[
            "Vorremmo una polizza sanitaria per i dipendenti con A.L.Fa.",
            "se il progetto vale 160mila quanto prendiamo?",
        ],
    );
    assert_eq!(
        direct(&u.answer()).map(|d| d.0),
        Some("faq:alfa-cofinanziamento"),
        "{}",
        u.text()
    );
    // What is left to the applicant is the same share, seen from their side.
    assert_answers(
        &b,
        "con alfa, per un progetto da 100 mila quanto paghiamo noi?",
        "faq:alfa-cofinanziamento",
    );
    assert_answers(
        &b,
        "qual è il contributo massimo per un progetto alfa? 250mila?",
        "faq:alfa-importo",
    );
}

/// A worker naming a job (`sono oss`, `sono cassiera`) and asking to apply herself is a
/// private person: the calls are for firms, and she is told so.
#[test]
fn a_worker_asking_for_herself_is_a_private_person() {
    let b = brain();
    assert_answers(
        &b,
        "ciao sono oss in una rsa di Nizza Monferrato e ho due bimbi piccoli, ho sentito di questi soldi per il nido, posso fare domanda io?",
        "faq:gen-cittadino",
    );
}

/// Who may lead a partnership (`capofila`) is said only of the 2019 call (its priority for
/// a large firm leading an ATI): asked of A.L.Fa., or of a district, it is «non lo so».
#[test]
fn who_may_lead_is_answered_only_where_the_sources_say_it() {
    let b = brain();
    let mut u = talk(&b, &["Chi può fare domanda per A.L.Fa.?"]);
    u.say("possiamo fare noi da capofila?");
    assert!(matches!(u.answer(), Answered::Nothing), "{}", u.text());
    let mut u = User::new(&b);
    u.say("Quale ente era capofila del distretto di coesione sociale di Asti?");
    assert!(matches!(u.answer(), Answered::Nothing), "{}", u.text());
    assert_answers(
        &b,
        "Nel bando WECARE del 2019 una grande impresa poteva fare da capofila di un'ATI con PMI?",
        "faq:wa-priorita",
    );
}

/// Which towns or firms took part is a result no entry states (`quali comuni…?`): «non lo
/// so»; and an expense the pack does not list (`un corso di inglese`) is not answered with
/// the entry on services for children because both «pay with A.L.Fa.».
#[test]
fn results_and_unlisted_expenses_are_not_answered_with_a_neighbour() {
    let b = brain();
    let mut u = User::new(&b);
    u.say("Quali comuni facevano parte del distretto di coesione sociale di Cuneo?");
    assert!(matches!(u.answer(), Answered::Nothing), "{}", u.text());
    let mut u = User::new(&b);
    u.say("Possiamo usare A.L.Fa. per pagare un corso di inglese ai dipendenti?");
    assert_ne!(
        direct(&u.answer()).map(|d| d.0),
        Some("faq:alfa-figli"),
        "{}",
        u.text()
    );
}

/// «Cosa è uscito?» asks which call was published, not whether one is open (`è uscito`
/// alone is read as «aperto»): after the 2022 call, «e l'anno dopo cosa è uscito?» is not
/// answered with the 2023 call's deadline.
#[test]
fn what_came_out_asks_which_call_not_whether_it_is_open() {
    let b = brain();
    let u = talk(
        &b,
        &[
            "Il bando regionale di dicembre 2022 sul welfare aziendale a chi era rivolto?",
            "e l'anno dopo cosa è uscito?",
        ],
    );
    let a = u.answer();
    assert_ne!(
        direct(&a).map(|d| d.0),
        Some("faq:wa-2023-scadenza"),
        "{}",
        u.text()
    );
    assert!(
        a.ranked()
            .iter()
            .any(|e| *e == "faq:wa-dopo" || *e == "faq:wa-2023"),
        "{}",
        u.text()
    );
}

/// Rules the sources give only for some calls (de minimis for the 2019 call) or for none
/// (a minimum headcount per firm, how long the assessment takes, a cap per province) are
/// facts only an entry stating them answers: the 2019 call's de minimis is answered,
/// A.L.Fa.'s and the others are «non lo so».
#[test]
fn rules_the_sources_give_for_no_call_are_not_known() {
    let b = brain();
    assert_answers(
        &b,
        "Il bando WECARE sul welfare aziendale del 2019 era in regime de minimis?",
        "faq:wa-de-minimis",
    );
    for q in [
        "Qual è il tetto de minimis che vale per ALFA, 200mila o 300mila euro?",
        "Dopo la domanda A.L.Fa. quanto tempo ci vuole per sapere se il progetto è finanziato?",
        "Per A.L.Fa. c'è un numero minimo di dipendenti per ciascuna PMI del partenariato?",
        "C'è un tetto al numero di progetti A.L.Fa. finanziati per ogni provincia?",
        // A gym is among no call's services, whatever «abbonamento» shares with transit
        // passes.
        "Con A.L.Fa. possiamo pagare anche l'abbonamento in palestra ai dipendenti?",
    ] {
        let mut u = User::new(&b);
        u.say(q);
        assert!(
            !matches!(u.answer(), Answered::Direct { .. }),
            "{q}: {}",
            u.text()
        );
    }
}

/// The December 2022 call is the only one paid with the Region's own money: a message
/// describing it so (`con fondi propri`, `soldi propri e non europei`) is about it, and a
/// follow-up on its deadline gets its own.
#[test]
fn the_call_paid_with_regional_money_is_found_by_that() {
    let b = brain();
    let u = talk(
        &b,
        &[
            "Mi hanno detto che a dicembre di qualche anno fa la Regione aveva aperto un bando sul welfare aziendale con fondi propri. Di cosa si trattava?",
            "entro quando si doveva presentare?",
        ],
    );
    assert_eq!(
        direct(&u.answer()).map(|d| d.0),
        Some("faq:wa-2022-scadenza"),
        "{}",
        u.text()
    );
}

/// A description in the past tense (`Nel 2019 avevo un'azienda…`, `eravamo…`) describes
/// the asker as the present does: its figures lend the short question what they stand
/// for, and the question is answered, not met with a menu.
#[test]
fn a_description_in_the_past_tense_describes_the_asker() {
    let b = brain();
    assert_answers(
        &b,
        "Nel 2019 avevo un'azienda di infissi a Volvera con 16 dipendenti e pensavamo a un progetto da 120.000 euro per il bando WECARE. Eravamo nei limiti?",
        "faq:wa-importo-progetto",
    );
}

/// A company minibus (`pulmino aziendale`) is a shuttle: the mobility entry answers.
#[test]
fn a_company_minibus_is_sustainable_mobility() {
    let b = brain();
    assert_answers(
        &b,
        "Ho un'impresa edile a Dronero con 11 operai che vengono tutti dalle valli, vorrei organizzare un pulmino aziendale. Con A.L.Fa. si può?",
        "faq:alfa-salute-mobilita",
    );
}

/// What WECARE held for municipalities is its first measure (local governance, the
/// districts): asked so, its overview answers; whether one's own district got money is a
/// result no entry states.
#[test]
fn what_wecare_held_for_municipalities_is_its_first_measure() {
    let b = brain();
    assert_answers(
        &b,
        "Sono l'assessora alle politiche sociali di Lanzo Torinese: con WECARE che ruolo avevano i comuni?",
        "faq:wecare-misura-1",
    );
    let mut u = talk(
        &b,
        &["Faccio il sindaco di un piccolo comune della Val Chisone, WECARE finanziava i comuni?"],
    );
    assert_eq!(
        direct(&u.answer()).map(|d| d.0),
        Some("faq:wecare-misura-1"),
        "{}",
        u.text()
    );
    u.say("e il distretto della nostra zona ha avuto dei fondi?");
    assert!(
        !matches!(u.answer(), Answered::Direct { .. }),
        "{}",
        u.text()
    );
}

/// Under an answer on co-financing or amounts, the asker's own project value in figures,
/// from the call's check (the smallest share its eligible rules accept): 160.000 € in
/// A.L.Fa. is up to 120.000 € of grant and at least 40.000 € of one's own; a value the
/// call does not admit gets the rule that says so, not a figure; a later question without
/// a figure uses the value said before.
#[test]
fn a_project_value_gets_its_grant_in_figures() {
    let b = brain();
    let mut u = User::new(&b);
    u.say("un progetto alfa da 160mila quanto ci danno?");
    let text = u.text();
    assert!(
        text.contains("120.000 €") && text.contains("40.000 €") && text.contains("75%"),
        "{text}"
    );
    let mut u = User::new(&b);
    u.say("un progetto alfa da 300mila quanto ci danno?");
    let text = u.text();
    assert!(!text.contains("225.000"), "{text}");
    assert!(text.contains("250.000 €"), "{text}");
    assert!(text.contains("più di 250.000 €"), "{text}");
    // The 2019 call: at least 20% of one's own, so up to 80%.
    let mut u = talk(
        &b,
        &[
            "Nel 2019 avevamo un progetto da 150.000 euro per il bando WECARE sul welfare aziendale.",
        ],
    );
    u.say("quanto dovevamo cofinanziare come minimo?");
    let text = u.text();
    assert!(
        text.contains("120.000 €") && text.contains("30.000 €"),
        "{text}"
    );
}

/// A question naming a measure asks about the measure: when its words find the money of
/// one of the measure's calls (WECARE's 2019 call, 2.5 M€), the measure's own entry for
/// that aspect (4 M€) is the answer, the call's offered under it.
#[test]
fn a_named_measure_is_answered_with_its_own_money_not_one_of_its_calls() {
    let b = brain();
    for q in [
        "la misura 3 di wecare quanti bandi e quanti soldi aveva?",
        "quanti soldi c'erano sulla misura sul welfare aziendale?",
    ] {
        let u = talk(&b, &[q]);
        assert_direct(&u, "faq:wecare-misura-3", "wecare-misura-3");
    }
}

/// Chat spellings of «quanti», «quante», «quanta» are read as the words: a question on
/// how many applications were sent (which the sources never say) gets «non lo so», not
/// a deadline.
#[test]
fn chat_spellings_of_how_many_are_read() {
    let b = brain();
    let u = talk(&b, &["qnd scade alfa?", "qnte domande hanno gia fatto"]);
    assert!(
        direct(&u.answer()).is_none(),
        "no direct answer expected: {}",
        u.text()
    );
    assert!(
        matches!(u.answer(), Answered::Nothing),
        "«non lo so» expected: {}",
        u.text()
    );
}

/// «In poche parole», «in parole povere», «in 2 parole» ask for brevity, nothing else;
/// «detto» is not a typo for «tetto» (the project's cap): what the call is, answered.
#[test]
fn fillers_asking_for_brevity_are_not_searched() {
    let b = brain();
    for (q, entry, call) in [
        (
            "cos'è il piano alfa, detto in parole povere?",
            "faq:alfa-cos-e",
            "alfa-2026",
        ),
        (
            "in poche parole cos'era wecare?",
            "faq:wecare-cos-e",
            "wecare",
        ),
        ("ke cos e wecare in 2 parole", "faq:wecare-cos-e", "wecare"),
    ] {
        let u = talk(&b, &[q]);
        assert_direct(&u, entry, call);
    }
}
