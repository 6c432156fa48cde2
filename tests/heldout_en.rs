//! English answer quality (issue 14), measured like `tests/heldout.rs` on what the engine
//! did, never on rendered text.
//!
//! `tests/retrieval/heldout_en.toml` is the frozen English held-out set, written from the
//! sources by someone who had not read the English FAQ alternatives: only its aggregate
//! figures are printed, never its items, so that it is never tuned on.
//! `tests/retrieval/dev_en.toml` is the English set the work was developed on (written
//! blind too, by another person); its misses are printed. Every item runs in a fresh
//! session set to English, as for a user whose Telegram app is in English; the held-out
//! figures are also printed for a session left in Italian (the language of the question
//! alone decides).

mod measure;

use measure::{load, root, run};
use sportello::app::Brain;
use sportello::text::Lang;

/// CI's guard: the English held-out figures may not fall below what the bot reached with
/// the learned ranker (right direct 0.833, wrong direct 0.047, hit@3 0.92 on 2026-12-02;
/// 0.717 / 0.031 / 0.92 before it), with a small margin.
#[test]
fn english_heldout_set_does_not_regress() {
    let set = load("heldout_en.toml").expect("tests/retrieval/heldout_en.toml");
    let brain = Brain::load(&root().join("knowledge")).expect("pack loads");
    let (bot, _) = run(
        "English held-out set (non-regression)",
        &set,
        &brain,
        Lang::En,
        false,
    );
    assert!(
        bot.items >= 40,
        "the held-out set has at least 40 questions"
    );
    assert!(
        bot.right_direct() >= 0.80,
        "right direct {:.3} < 0.80",
        bot.right_direct()
    );
    assert!(
        bot.wrong_direct() <= 0.05,
        "wrong direct {:.3} > 0.05",
        bot.wrong_direct()
    );
    assert!(bot.hit3() >= 0.90, "hit@3 {:.3} < 0.90", bot.hit3());
}

/// The aims of issue 14, met with the learned ranker (`knowledge/ranker.toml`).
#[test]
fn english_heldout_set_meets_the_aims() {
    let set = load("heldout_en.toml").expect("tests/retrieval/heldout_en.toml");
    let brain = Brain::load(&root().join("knowledge")).expect("pack loads");
    let (bot, _) = run("English held-out set", &set, &brain, Lang::En, false);
    run(
        "English held-out set, Italian session (the question's language alone)",
        &set,
        &brain,
        Lang::It,
        false,
    );
    assert!(
        bot.items >= 40,
        "the held-out set has at least 40 questions"
    );
    println!(
        "English held-out: right direct {:.3}, wrong direct {:.3}, hit@3 {:.3}",
        bot.right_direct(),
        bot.wrong_direct(),
        bot.hit3()
    );
    assert!(
        bot.right_direct() >= 0.75,
        "right direct {:.3} < 0.75",
        bot.right_direct()
    );
    assert!(
        bot.wrong_direct() <= 0.05,
        "wrong direct {:.3} > 0.05",
        bot.wrong_direct()
    );
}

#[test]
fn english_dev_set() {
    measure::dev_set("dev_en.toml", "English dev set", Lang::En);
}

/// Development aid: `SPORTELLO_EXPLAIN="question" cargo test --test heldout_en
/// explain_english -- --ignored --nocapture` prints how an English question is read, the
/// ranked candidates of the English index and the decision.
#[test]
#[ignore]
fn explain_english() {
    let Some(q) = std::env::var_os("SPORTELLO_EXPLAIN") else {
        return;
    };
    let q = q.to_string_lossy().to_string();
    let brain = Brain::load(&root().join("knowledge")).expect("pack loads");
    let en = brain.knowledge.in_lang(Lang::En);
    let index = brain.index.english().expect("English index");
    let tx = sportello::text::texts(Lang::En);
    let r = sportello::understand::read(en, sportello::understand::Cues::of(tx), &q);
    println!(
        "query: «{}» named {:?} audience {:?}\nprofile {:?}",
        r.query, r.named, r.audience, r.profile
    );
    let res = index.search(&r.query, 10);
    println!(
        "unknown share {:.2}, known weight {:.2}",
        res.query.unknown_share(),
        res.query.known_weight()
    );
    for h in &res.hits {
        println!(
            "  {:.3} cov {:.2} sim {:.2} bm25 {:.2}  {}",
            h.rank,
            h.coverage,
            h.similarity,
            h.score,
            index.entry(h.entry).doc.id
        );
    }
    let session = sportello::dialogue::Session {
        lang: Lang::En,
        ..Default::default()
    };
    let (session, seen) = measure::bot_turn(
        &brain,
        &sportello::dialogue::Settings::default(),
        session,
        &q,
    );
    println!(
        "decision: {:?}\nfocus after: {:?}",
        seen.answer, session.topic
    );
}
