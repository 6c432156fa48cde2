//! The learned ranker (`knowledge/ranker.toml`, written by `train-ranker`): the shipped
//! file is read for both languages, a malformed one stops the pack from loading (what
//! `sportello check` and a reload report), and the engine answers as the file decides.

use std::path::Path;

use jiff::Timestamp;
use sportello::app::Brain;
use sportello::dialogue::{Answered, Effect, Event, Session, Settings};
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
