//! The learned ranker (`knowledge/ranker.toml`, written by `train-ranker`): the shipped
//! file is read for both languages, a malformed one stops the pack from loading (what
//! `sportello check` and a reload report), and the engine answers as the file decides.

use std::path::Path;

use jiff::Timestamp;
use sportello::app::Brain;
use sportello::dialogue::{Answered, Effect, Event, Session, Settings};
use sportello::search::taught::Counts;
use sportello::search::{DECIDE_FEATURES, Learned, Linear, RERANK_FEATURES, RankerFile};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn brain() -> Brain {
    Brain::load(&root().join("knowledge")).expect("pack loads")
}

fn now() -> Timestamp {
    "2026-12-01T09:00:00Z".parse().unwrap()
}

fn ask(brain: &Brain, text: &str) -> Answered {
    let settings = Settings::default();
    let engine = brain.engine(&settings);
    let out = engine.handle(Session::default(), &Event::Text(text.into()), now());
    out.effects
        .iter()
        .find_map(|e| match e {
            Effect::Asked { answer, .. } => Some(answer.clone()),
            _ => None,
        })
        .expect("the question is answered somehow")
}

/// A file that keeps the hand-set order and is always (`bias` > 0) or never sure.
fn file(bias: f32) -> RankerFile {
    let rerank = RERANK_FEATURES
        .iter()
        .map(|n| if *n == "score" { 1.0 } else { 0.0 })
        .collect();
    let mut decide = vec![0.0; DECIDE_FEATURES.len()];
    decide[0] = bias;
    RankerFile {
        it: Some(Learned {
            rerank: Linear { weights: rerank },
            decide: Linear { weights: decide },
            threshold: 0.5,
            prior: Default::default(),
            prior_default: 0.5,
            taught: None,
        }),
        en: None,
    }
}

#[test]
fn the_shipped_ranker_file_is_read_for_both_languages() {
    let b = brain();
    let it = b
        .index
        .learned()
        .expect("Italian weights in knowledge/ranker.toml");
    assert_eq!(it.rerank.weights.len(), RERANK_FEATURES.len());
    assert!(
        b.index.english().and_then(|en| en.learned()).is_some(),
        "English weights in knowledge/ranker.toml"
    );
}

#[test]
fn a_malformed_ranker_file_stops_the_load() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ranker.toml"),
        "version = 1\n[it]\nthreshold = 2\n",
    )
    .unwrap();
    let mut b = brain();
    let err = b.index.load_ranker(dir.path()).unwrap_err().to_string();
    assert!(err.contains("ranker.toml"), "{err}");
    // A file of another version is refused too, with a word on what to do.
    std::fs::write(dir.path().join("ranker.toml"), "version = 99\n").unwrap();
    let err = b.index.load_ranker(dir.path()).unwrap_err().to_string();
    assert!(err.contains("train-ranker"), "{err}");
    // No file: the hand-set rules.
    let empty = tempfile::tempdir().unwrap();
    b.index.load_ranker(empty.path()).unwrap();
    assert!(b.index.learned().is_none());
}

#[test]
fn the_engine_answers_as_the_learned_decision_says() {
    let mut b = brain();
    let q = "Qual è la scadenza del Piano A.L.Fa.?";
    b.index.set_ranker(Some(&file(50.0)));
    let Answered::Direct { entry: sure, .. } = ask(&b, q) else {
        panic!("an always-sure decision answers directly: {:?}", ask(&b, q));
    };
    b.index.set_ranker(Some(&file(-50.0)));
    match ask(&b, q) {
        Answered::Menu { entries } => assert_eq!(entries.first(), Some(&sure)),
        other => panic!("a never-sure decision offers a menu: {other:?}"),
    }
}

#[test]
fn an_entry_often_wrong_when_first_needs_more_to_be_answered() {
    // The decision reads only the best entry's prior: above the threshold it answers,
    // below it offers a menu led by the same entry.
    let mut b = brain();
    let q = "Qual è la scadenza del Piano A.L.Fa.?";
    let prior = DECIDE_FEATURES.iter().position(|n| *n == "prior").unwrap();
    let with_prior = |p: f32| {
        let mut f = file(-5.0);
        let it = f.it.as_mut().unwrap();
        it.decide.weights[prior] = 10.0;
        it.prior_default = p;
        f
    };
    b.index.set_ranker(Some(&with_prior(0.9)));
    let Answered::Direct { entry: best, .. } = ask(&b, q) else {
        panic!("a reliable entry is answered: {:?}", ask(&b, q));
    };
    // The same entry, known to be wrong when first more often than not.
    let mut f = with_prior(0.9);
    f.it.as_mut().unwrap().prior.insert(best.clone(), 0.2);
    b.index.set_ranker(Some(&f));
    match ask(&b, q) {
        Answered::Menu { entries } => assert_eq!(entries.first(), Some(&best)),
        other => panic!("an unreliable entry is offered, not stated: {other:?}"),
    }
}

#[test]
fn the_words_taught_for_an_entry_count_in_the_decision() {
    // The decision reads only the taught classifier's probability of the best entry: when
    // the question's words were taught for it, it answers; when they were taught for
    // another entry, it offers a menu led by the same best entry (the classifier never
    // reorders candidates).
    let mut b = brain();
    let q = "Qual è la scadenza del Piano A.L.Fa.?";
    b.index.set_ranker(Some(&file(50.0)));
    let Answered::Direct { entry: best, .. } = ask(&b, q) else {
        panic!("an always-sure decision answers directly: {:?}", ask(&b, q));
    };
    let other = "faq:gen-fonti";
    assert_ne!(best, other);
    let taught = DECIDE_FEATURES.iter().position(|n| *n == "taught").unwrap();
    let stems = b.index.analyse(q).own_stems();
    assert!(!stems.is_empty());
    let teaching = |id: &str, rest: &str| {
        let mut counts = Counts {
            alpha: 0.1,
            ..Counts::default()
        };
        // Many questions, so that they outweigh the pack's own phrasings of the entries
        // (which the index adds to the file's counts).
        for _ in 0..50 {
            counts.add(id, stems.iter().map(String::as_str));
        }
        counts.add(rest, ["sit", "ufficial"]);
        let mut f = file(-5.0);
        let it = f.it.as_mut().unwrap();
        it.decide.weights[taught] = 10.0;
        it.taught = Some(counts);
        f
    };
    b.index.set_ranker(Some(&teaching(&best, other)));
    match ask(&b, q) {
        Answered::Direct { entry, .. } => assert_eq!(entry, best),
        other => panic!("words taught for the best entry make it sure: {other:?}"),
    }
    b.index.set_ranker(Some(&teaching(other, &best)));
    match ask(&b, q) {
        Answered::Menu { entries } => assert_eq!(entries.first(), Some(&best)),
        other => panic!("words taught for another entry leave a menu: {other:?}"),
    }
}

#[test]
fn an_entry_the_file_never_counted_is_known_by_its_own_phrasings() {
    // A file trained before an entry existed (a staff answer published later) counts
    // nothing for it: the index adds every FAQ's own question and alternatives, so the
    // classifier still points at it for its own words.
    let mut b = brain();
    let mut f = file(0.0);
    f.it.as_mut().unwrap().taught = Some(Counts {
        alpha: 0.1,
        ..Counts::default()
    });
    b.index.set_ranker(Some(&f));
    let id = "faq:alfa-scadenza";
    let at = b.index.find(id).expect("the pack has it");
    let title = b.index.entry(at).doc.title.clone();
    let p = b
        .index
        .taught(&b.index.analyse(&title).own_stems())
        .expect("a classifier with the file's counts");
    let best = (0..b.index.entries().len())
        .max_by(|&x, &y| p.of(x).total_cmp(&p.of(y)))
        .unwrap();
    assert_eq!(b.index.entry(best).doc.id, id, "{title}: {}", p.of(at));
    // Without a file there is no classifier at all.
    b.index.set_ranker(None);
    assert!(b.index.taught(&["scad".to_string()]).is_none());
}
