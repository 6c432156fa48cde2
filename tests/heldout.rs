//! Answer quality on questions the pack was not written from, measured on what the engine
//! did (`Effect::Asked { answer, .. }`), never on rendered text.
//!
//! `tests/retrieval/heldout_it.toml` is the frozen held-out set (written by someone who
//! never saw the pack, labelled afterwards); `tests/retrieval/dev.toml` and `dev2.toml`
//! are the sets the work was developed on (dev2 was written blind too, then tuned on);
//! `dev3.toml` to `dev33.toml` are a third to a thirty-third blind set, written later the
//! same way (dev6 mostly long self-descriptions, dev7 mostly follow-up conversations and
//! «non lo so», dev8 follow-up conversations, «non lo so» and chat spelling, dev9 to dev33
//! the same with long self-descriptions). All
//! have the same format: `[[q]]` single questions and `[[conv]]` conversations whose
//! `[[conv.turn]]`s share one session. Each item: `id`, `kind`
//! (plain, self, chat, unknown), `call` (the call the answer must be about), `text`, `facts`,
//! `expect` (entry ids that answer it; empty: the right answer is "non lo so").
//!
//! For each set the test prints, for the bot and for a plain-BM25 baseline on the same
//! index (no re-ranking, no focus, no confidence step; its direct answer is its top hit):
//! direct answers, right and wrong direct answers, hit@1, hit@3, "non lo so" precision and
//! recall, conversation turns answered for the right call, and the precision of the staff
//! confidence «alta». The held-out set must reach the aims of issue 10.

mod measure;

use measure::{Item, Set, bot_turn, each_turn, is_right, kind_of, load, now, root, run};
use sportello::app::Brain;
use sportello::dialogue::{Session, Settings};
use sportello::text::Lang;

/// CI's guard against regressions besides issue 10's aims ([`heldout_set_meets_the_aims`]):
/// the held-out figures may not fall below what the bot reached at the end of the last
/// round measured (right direct 157/182 = 0.863, wrong direct 5/190 = 0.026, hit@3 0.98,
/// conversation turns 74/75 on 2026-12-05, thirtieth round) by more than two questions,
/// nor the wrong direct answers above the aim.
#[test]
fn heldout_set_does_not_regress() {
    let Some(set) = load("heldout_it.toml") else {
        panic!("tests/retrieval/heldout_it.toml is missing");
    };
    let brain = Brain::load(&root().join("knowledge")).expect("pack loads");
    let (bot, _) = run(
        "held-out set (non-regression)",
        &set,
        &brain,
        Lang::It,
        false,
    );
    assert!(
        bot.items >= 100,
        "the held-out set has at least 100 questions"
    );
    assert!(
        bot.right_direct() >= 0.85,
        "right direct {:.3} < 0.85",
        bot.right_direct()
    );
    assert!(
        bot.wrong_direct() <= 0.03,
        "wrong direct {:.3} > 0.03",
        bot.wrong_direct()
    );
    assert!(bot.hit3() >= 0.97, "hit@3 {:.3} < 0.97", bot.hit3());
    assert!(
        bot.conv() >= 0.96,
        "conversation turns {:.3} < 0.96",
        bot.conv()
    );
}

/// The aims of issue 10, met since the thirtieth round (2026-12-05): the test fails below
/// any of them, each reported met or not before it fails.
#[test]
fn heldout_set_meets_the_aims() {
    let Some(set) = load("heldout_it.toml") else {
        panic!("tests/retrieval/heldout_it.toml is missing");
    };
    let brain = Brain::load(&root().join("knowledge")).expect("pack loads");
    let (bot, base) = run("held-out set", &set, &brain, Lang::It, false);
    assert!(
        bot.items >= 100,
        "the held-out set has at least 100 questions"
    );
    // Every aim is checked and reported, met or not, before the test fails.
    let aims = [
        (
            "right direct ≥ 0.80",
            bot.right_direct(),
            bot.right_direct() >= 0.80,
        ),
        (
            "wrong direct ≤ 0.03",
            bot.wrong_direct(),
            bot.wrong_direct() <= 0.03,
        ),
        ("hit@3 ≥ 0.95", bot.hit3(), bot.hit3() >= 0.95),
        (
            "right direct ≥ the baseline's + 0.15",
            bot.right_direct() - base.right_direct(),
            bot.right_direct() >= base.right_direct() + 0.15,
        ),
        (
            "conversation turns for the right call ≥ 0.95",
            bot.conv(),
            bot.conv() >= 0.95,
        ),
    ];
    for (aim, value, met) in &aims {
        println!(
            "{} {aim}: {value:.4}",
            if *met { "met    " } else { "NOT MET" }
        );
    }
    let unmet: Vec<&str> = aims.iter().filter(|a| !a.2).map(|a| a.0).collect();
    assert!(unmet.is_empty(), "aims not met: {unmet:?}");
}

#[test]
fn dev_set() {
    measure::dev_set("dev.toml", "dev set", Lang::It);
}

/// The second dev set (`dev2.toml`): written blind from the sources by someone who had
/// not seen the pack, labelled afterwards, then used for tuning (so no longer blind).
#[test]
fn dev2_set() {
    measure::dev_set("dev2.toml", "dev2 set", Lang::It);
}

/// The third dev set (`dev3.toml`): questions written blind from the seed texts and the
/// facts sheet only (the pack, tests and locales unread; committed before labelling), in
/// self-descriptions, chat style, plain wording, unknowns and follow-up conversations,
/// then labelled against the pack without changing the questions.
#[test]
fn dev3_set() {
    measure::dev_set("dev3.toml", "dev3 set", Lang::It);
}

/// The fourth dev set (`dev4.toml`): written blind like dev3 (seed texts and facts sheet
/// only, committed before labelling), then labelled against the pack without changing the
/// questions; four «unknown» questions the pack turned out to answer became «plain».
#[test]
fn dev4_set() {
    measure::dev_set("dev4.toml", "dev4 set", Lang::It);
}

/// The fifth dev set (`dev5.toml`): written blind like dev4 (seed texts and facts sheet
/// only, committed before labelling), then labelled against the pack without changing the
/// questions; four «unknown» questions the pack turned out to answer became «plain».
#[test]
fn dev5_set() {
    measure::dev_set("dev5.toml", "dev5 set", Lang::It);
}

/// The sixth dev set (`dev6.toml`): written blind like dev5 (seed texts and facts sheet
/// only, committed before labelling), mostly applicants who first describe themselves at
/// length (sector, town, size, situation, chat spelling) and then ask; labelled against
/// the pack without changing the questions; four «unknown» questions became «plain».
#[test]
fn dev6_set() {
    measure::dev_set("dev6.toml", "dev6 set", Lang::It);
}

/// The seventh dev set (`dev7.toml`): written blind like dev6 (seed texts and facts sheet
/// only, committed before labelling), mostly conversations whose later turns name no call
/// and lean on the earlier ones, and questions the sources do not answer («non lo so»);
/// labelled against the pack without changing the questions; four «unknown» became «plain».
#[test]
fn dev7_set() {
    measure::dev_set("dev7.toml", "dev7 set", Lang::It);
}

/// The eighth dev set (`dev8.toml`): written blind like dev7 (seed texts and facts sheet
/// only, committed before labelling), with conversations whose later turns lean on the
/// earlier ones (call switched midway, named by year or measure number), questions the
/// sources do not answer and chat spelling; labelled against the pack without changing the
/// questions; four «unknown» became «plain».
#[test]
fn dev8_set() {
    measure::dev_set("dev8.toml", "dev8 set", Lang::It);
}

/// The ninth dev set (`dev9.toml`): written blind like dev8 (seed texts and facts sheet
/// only, committed before labelling), with conversations whose later turns lean on the
/// earlier ones (call switched midway, named by year, by «quello nuovo/vecchio» or by measure
/// number), questions the sources do not answer, chat spelling and long self-descriptions;
/// labelled against the pack without changing the questions; four «unknown» questions and
/// one final conversation turn became «plain».
#[test]
fn dev9_set() {
    measure::dev_set("dev9.toml", "dev9 set", Lang::It);
}

/// The tenth dev set (`dev10.toml`): written blind like dev9 (seed texts and facts sheet
/// only, committed before labelling), with conversations whose later turns lean on the
/// earlier ones (call switched midway, named by year, by «quello nuovo/vecchio» or by measure
/// number), questions the sources do not answer, chat spelling and long self-descriptions;
/// labelled against the pack without changing the questions; two «unknown» questions and
/// three final conversation turns became «plain».
#[test]
fn dev10_set() {
    measure::dev_set("dev10.toml", "dev10 set", Lang::It);
}

/// The eleventh dev set (`dev11.toml`): written blind like dev10 (seed texts and facts sheet
/// only, committed before labelling), with conversations whose later turns lean on the
/// earlier ones (call switched midway, named by year, by «quello nuovo/vecchio» or by measure
/// number), questions the sources do not answer, chat spelling and long self-descriptions;
/// labelled against the pack without changing the questions; two «unknown» questions and
/// five conversation turns became «plain».
#[test]
fn dev11_set() {
    measure::dev_set("dev11.toml", "dev11 set", Lang::It);
}

/// The twelfth dev set (`dev12.toml`): written blind like dev11 (seed texts and facts sheet
/// only, committed before labelling), with conversations whose later turns lean on the
/// earlier ones (call switched midway, named by year, by «quello vecchio/dopo» or by measure
/// number), questions the sources do not answer, chat spelling and long self-descriptions;
/// labelled against the pack without changing the questions; three «unknown» questions and
/// one conversation turn became «plain».
#[test]
fn dev12_set() {
    measure::dev_set("dev12.toml", "dev12 set", Lang::It);
}

/// The thirteenth dev set (`dev13.toml`): written blind like dev12 (seed texts and facts
/// sheet only, committed before labelling), with conversations whose later turns lean on the
/// earlier ones (call switched midway, named by year, by «quello dell'anno dopo/vecchio» or
/// by measure number), questions the sources do not answer, chat spelling and long
/// self-descriptions; labelled against the pack without changing the questions.
#[test]
fn dev13_set() {
    measure::dev_set("dev13.toml", "dev13 set", Lang::It);
}

/// The fourteenth dev set (`dev14.toml`): written blind like dev13 (seed texts and facts
/// sheet only, committed before labelling), with new personas, chat spelling and numbers,
/// long self-descriptions, questions the sources do not answer, and conversations that
/// switch call midway; labelled against the pack without changing the questions.
#[test]
fn dev14_set() {
    measure::dev_set("dev14.toml", "dev14 set", Lang::It);
}

/// The fifteenth dev set (`dev15.toml`): written blind like dev14, leaning on
/// conversations of three or four turns whose first turn names its call only indirectly
/// (by year, by what it funded, by the fund) and whose later turns name none, switch call
/// or come back to the first; labelled against the pack without changing the questions.
#[test]
fn dev15_set() {
    measure::dev_set("dev15.toml", "dev15 set", Lang::It);
}

/// The sixteenth dev set (`dev16.toml`): written blind like dev15, a balanced mix of
/// plain questions over every call, chat spelling, self-descriptions, questions the
/// sources do not answer and conversations; labelled against the pack without changing
/// the questions.
#[test]
fn dev16_set() {
    measure::dev_set("dev16.toml", "dev16 set", Lang::It);
}

/// The seventeenth dev set (`dev17.toml`): written blind like dev16, with more
/// conversations whose first turn names its call indirectly (by year, month, topic or a
/// long self-description) and follow-ups asking a number; labelled against the pack
/// without changing the questions.
#[test]
fn dev17_set() {
    measure::dev_set("dev17.toml", "dev17 set", Lang::It);
}

/// The eighteenth dev set (`dev18.toml`): written blind like dev17, mostly long
/// self-descriptions with the question at the end, conversations opening on a call named
/// only indirectly, bare short follow-ups and ones asking a number or a date; labelled
/// against the pack without changing the questions.
#[test]
fn dev18_set() {
    measure::dev_set("dev18.toml", "dev18 set", Lang::It);
}

/// The nineteenth dev set (`dev19.toml`): written blind like dev18, a balanced mix over
/// every call and aspect, chat spelling, short and long self-descriptions, questions the
/// sources do not answer and conversations; labelled against the pack without changing
/// the questions.
#[test]
fn dev19_set() {
    measure::dev_set("dev19.toml", "dev19 set", Lang::It);
}

/// The twentieth dev set (`dev20.toml`): written blind like dev19 (new personas, more
/// follow-ups that name no call or name it by its year or subject), labelled against the
/// pack without changing the questions.
#[test]
fn dev20_set() {
    measure::dev_set("dev20.toml", "dev20 set", Lang::It);
}

/// The twenty-first dev set (`dev21.toml`): written blind like dev20, new personas, more
/// askers speaking of their employees' needs and of old calls in the past tense; labelled
/// against the pack without changing the questions.
#[test]
fn dev21_set() {
    measure::dev_set("dev21.toml", "dev21 set", Lang::It);
}

/// The twenty-second dev set (`dev22.toml`): written blind like dev21, new personas,
/// some questions comparing two calls; labelled against the pack without changing the
/// questions.
#[test]
fn dev22_set() {
    measure::dev_set("dev22.toml", "dev22 set", Lang::It);
}

/// The twenty-third dev set (`dev23.toml`): written blind like dev22, new personas;
/// labelled against the pack without changing the questions.
#[test]
fn dev23_set() {
    measure::dev_set("dev23.toml", "dev23 set", Lang::It);
}

/// The twenty-fourth dev set (`dev24.toml`): written blind like dev23, new personas;
/// labelled against the pack without changing the questions.
#[test]
fn dev24_set() {
    measure::dev_set("dev24.toml", "dev24 set", Lang::It);
}

/// The twenty-fifth dev set (`dev25.toml`): written blind like dev24, new personas;
/// labelled against the pack without changing the questions.
#[test]
fn dev25_set() {
    measure::dev_set("dev25.toml", "dev25 set", Lang::It);
}

/// The twenty-sixth dev set (`dev26.toml`): written blind like dev25, new personas;
/// labelled against the pack without changing the questions.
#[test]
fn dev26_set() {
    measure::dev_set("dev26.toml", "dev26 set", Lang::It);
}

/// The twenty-seventh dev set (`dev27.toml`): written blind like dev26, new personas;
/// labelled against the pack without changing the questions.
#[test]
fn dev27_set() {
    measure::dev_set("dev27.toml", "dev27 set", Lang::It);
}

/// The twenty-eighth dev set (`dev28.toml`): written blind like dev27, new personas;
/// labelled against the pack without changing the questions.
#[test]
fn dev28_set() {
    measure::dev_set("dev28.toml", "dev28 set", Lang::It);
}

/// The twenty-ninth dev set (`dev29.toml`): written blind like dev28, new personas;
/// labelled against the pack without changing the questions.
#[test]
fn dev29_set() {
    measure::dev_set("dev29.toml", "dev29 set", Lang::It);
}

/// The thirtieth dev set (`dev30.toml`): written blind like dev29, new personas;
/// labelled against the pack without changing the questions.
#[test]
fn dev30_set() {
    measure::dev_set("dev30.toml", "dev30 set", Lang::It);
}

/// The thirty-first dev set (`dev31.toml`): written blind like dev30, new personas;
/// labelled against the pack without changing the questions.
#[test]
fn dev31_set() {
    measure::dev_set("dev31.toml", "dev31 set", Lang::It);
}

/// The thirty-second dev set (`dev32.toml`): written blind like dev31, new personas;
/// labelled against the pack without changing the questions.
#[test]
fn dev32_set() {
    measure::dev_set("dev32.toml", "dev32 set", Lang::It);
}

/// The thirty-third dev set (`dev33.toml`): written blind like dev32 (short
/// self-descriptions too), new personas; labelled against the pack without changing the
/// questions.
#[test]
fn dev33_set() {
    measure::dev_set("dev33.toml", "dev33 set", Lang::It);
}

/// Development aid: `SPORTELLO_EXPLAIN="domanda" cargo test --test heldout explain -- --ignored
/// --nocapture` prints how the question is read, the ranked candidates and the decision.
#[test]
#[ignore]
fn explain() {
    let Some(q) = std::env::var_os("SPORTELLO_EXPLAIN") else {
        return;
    };
    let q = q.to_string_lossy().to_string();
    let brain = Brain::load(&root().join("knowledge")).expect("pack loads");
    let tx = sportello::text::texts(sportello::text::Lang::It);
    let settings = Settings::default();
    // Turns of a conversation are separated by ` || `: the last one is explained.
    let mut turns: Vec<&str> = q.split(" || ").collect();
    let q = turns.pop().unwrap_or_default().to_string();
    let mut session = Session::default();
    for t in turns {
        let (next, seen) = bot_turn(&brain, &settings, session, t);
        println!("turn «{t}»: {:?} focus {:?}", seen.answer, next.topic);
        session = next;
    }
    let engine = brain.engine(&settings);
    let r = engine.read(tx, &q);
    println!(
        "query: «{}» named {:?} audience {:?} described {}\nprofile {:?}",
        r.query, r.named, r.audience, r.described, r.profile
    );
    println!("alone: {:?}\ncontext: «{}»", r.alone, r.context);
    let mut s = session.clone();
    s.profile.merge(&r.profile);
    let c = engine.consider(tx, &r, &s, None, now());
    println!("searched: «{}»\ntrace {:?}", c.query, c.trace);
    let id = |e: usize| brain.index.entry(e).doc.id.clone();
    for h in c.results.hits.iter().take(30) {
        println!(
            "  ctx {:.3} cov {:.2} sim {:.2}  {}",
            h.rank,
            h.coverage,
            h.similarity,
            id(h.entry)
        );
    }
    let res = brain.index.search(&r.query, 15);
    println!(
        "unknown share {:.2} ({} words: {:?}), known weight {:.2}",
        res.query.unknown_share(),
        res.query.unknown_words(),
        res.query.unknown_terms(),
        res.query.known_weight()
    );
    for h in &res.hits {
        println!(
            "  {:.3} cov {:.2} sim {:.2} bm25 {:.2}  {}",
            h.rank,
            h.coverage,
            h.similarity,
            h.score,
            brain.index.entry(h.entry).doc.id
        );
    }
    let (session, seen) = bot_turn(&brain, &settings, session, &q);
    println!(
        "decision: {:?}\nfocus after: {:?}",
        seen.answer, session.topic
    );
}

/// The old regression set (`questions.toml`, single questions) through the engine: how
/// often its questions get a direct answer, and a right one.
#[test]
fn regression_set_through_the_engine() {
    let src = std::fs::read_to_string(root().join("tests/retrieval/questions.toml")).unwrap();
    let set: Set = toml::from_str(&src).unwrap();
    let brain = Brain::load(&root().join("knowledge")).expect("pack loads");
    run(
        "old regression set",
        &set,
        &brain,
        Lang::It,
        std::env::var_os("SPORTELLO_SHOW_MISSES").is_some(),
    );
}

/// Development aid: how the engine reads the held-out self-descriptions, in aggregate
/// only (no text is printed). `cargo test --test heldout reading_stats -- --ignored`.
#[test]
#[ignore]
fn reading_stats() {
    let Some(set) = load("heldout_it.toml") else {
        return;
    };
    let brain = Brain::load(&root().join("knowledge")).expect("pack loads");
    let tx = sportello::text::texts(sportello::text::Lang::It);
    let cues = sportello::understand::Cues::of(tx);
    let mut kinds: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
    for item in &set.q {
        let r = sportello::understand::read(&brain.knowledge, cues, &item.text);
        let res = brain.index.search(&r.query, 5);
        let v = kinds
            .entry(item.kind.clone().unwrap_or_default())
            .or_insert(vec![0; 9]);
        v[0] += 1;
        v[1] += usize::from(r.described);
        v[2] += r.query.split_whitespace().count();
        v[3] += item.text.split_whitespace().count();
        v[4] += usize::from(!r.named.is_empty());
        v[5] += usize::from(r.eligibility);
        v[6] += usize::from(r.profile.applicant().is_some());
        v[7] += usize::from(res.query.unknown_share() > 0.3);
        v[8] += usize::from(r.asks);
    }
    for (k, v) in kinds {
        println!(
            "{k}: n {} described {} avg query words {:.1} (message {:.1}) named {} eligibility {} applicant {} unknown>0.3 {} asks {}",
            v[0],
            v[1],
            v[2] as f64 / v[0] as f64,
            v[3] as f64 / v[0] as f64,
            v[4],
            v[5],
            v[6],
            v[7],
            v[8]
        );
    }
}

/// The dev sets a development aid reads: `SPORTELLO_SETS` (file names, comma-separated;
/// never the held-out sets), else `default`.
fn dev_sets(default: &[&str]) -> Vec<String> {
    match std::env::var("SPORTELLO_SETS") {
        Ok(v) => v
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty() && !n.starts_with("heldout"))
            .map(String::from)
            .collect(),
        Err(_) => default.iter().map(|s| s.to_string()).collect(),
    }
}

/// Development aid for calibrating the confidence step, on the dev sets and the old set
/// only (never the held-out set): one line per question or turn with how sure the
/// decision was and whether its best entry was right.
/// `cargo test --test heldout features -- --ignored --nocapture`.
#[test]
#[ignore]
fn features() {
    let brain = Brain::load(&root().join("knowledge")).expect("pack loads");
    let settings = Settings::default();
    let tx = sportello::text::texts(sportello::text::Lang::It);
    let engine = brain.engine(&settings);
    let line = |set: &str, item: &Item, session: &Session| {
        let reading = engine.read(tx, &item.text);
        let mut s = session.clone();
        s.profile.merge(&reading.profile);
        let c = engine.consider(tx, &reading, &s, None, now());
        let t = c.trace;
        let id = |e: Option<usize>| e.map(|e| brain.index.entry(e).doc.id.clone());
        let kind = kind_of(&c.decision);
        let top_right = id(t.top).is_some_and(|e| is_right(item, &e));
        let rival_call = t.rival.map(|r| brain.index.entry(r).doc.call.clone());
        let top_call = t.top.map(|r| brain.index.entry(r).doc.call.clone());
        println!(
            "F\t{set}\t{}\t{}\t{kind}{}\t{}\t{}\t{:.3}\t{:.3}\t{:.3}\t{:.3}\t{}\t{:.3}\t{:.3}\t{}\t{}\t{}\t{:.3}\t{}\t{}",
            item.id.as_deref().unwrap_or("-"),
            item.kind.as_deref().unwrap_or("-"),
            if t.per_call { "-per" } else { "" },
            u8::from(top_right),
            u8::from(item.expect.is_empty()),
            t.lead,
            t.coverage,
            t.similarity,
            t.unknown,
            u8::from(t.agreed),
            t.sureness,
            t.needed,
            u8::from(rival_call.is_some() && rival_call == top_call),
            u8::from(reading.described),
            u8::from(!reading.named.is_empty() || s.topic.is_some()),
            t.probability.unwrap_or(-1.0),
            u8::from(session.last_question.is_some()),
            item.text,
        );
    };
    each_turn(
        &brain,
        &dev_sets(&["dev.toml", "dev2.toml", "questions.toml"]),
        line,
    );
}

/// Development aid (dev sets only, never the held-out set): for each question or turn,
/// the decision, its best entry, and which of the question's concepts that entry holds.
/// `cargo test --test heldout concepts -- --ignored --nocapture`.
#[test]
#[ignore]
fn concepts() {
    let brain = Brain::load(&root().join("knowledge")).expect("pack loads");
    let settings = Settings::default();
    let tx = sportello::text::texts(sportello::text::Lang::It);
    let engine = brain.engine(&settings);
    let line = |set: &str, item: &Item, session: &Session| {
        let reading = engine.read(tx, &item.text);
        let mut s = session.clone();
        s.profile.merge(&reading.profile);
        let c = engine.consider(tx, &reading, &s, None, now());
        let kind = kind_of(&c.decision);
        let top = match &c.decision {
            sportello::decide::Decision::Direct { entry, .. } => Some(*entry),
            _ => c.trace.top,
        };
        let Some(top) = top else {
            println!(
                "C\t{set}\t{}\t{kind}\t-\t-\t«{}»",
                u8::from(item.expect.is_empty()),
                item.text
            );
            return;
        };
        let id = brain.index.entry(top).doc.id.clone();
        let held: Vec<String> = brain
            .index
            .held_in(&c.results.query, top)
            .iter()
            .map(|(s, w, h)| format!("{s}:{w:.2}:{h:.2}"))
            .collect();
        println!(
            "C\t{set}\t{}\t{kind}\t{}\t{id}\t{}\t[{}]\tunk {:?}\t{}{}\t«{}»",
            u8::from(item.expect.is_empty()),
            u8::from(is_right(item, &id)),
            c.results.query.unknown_share(),
            held.join(" "),
            c.results.query.unknown_terms(),
            u8::from(reading.described),
            u8::from(!c.named.is_empty() || s.topic.is_some()),
            item.text
        );
    };
    each_turn(
        &brain,
        &dev_sets(&["dev.toml", "dev2.toml", "dev3.toml", "dev4.toml"]),
        line,
    );
}
