//! Answer quality on questions the pack was not written from, measured on what the engine
//! did (`Effect::Asked { answer, .. }`), never on rendered text.
//!
//! `tests/retrieval/heldout_it.toml` is the frozen held-out set (written by someone who
//! never saw the pack, labelled afterwards); `tests/retrieval/dev.toml` and `dev2.toml`
//! are the sets the work was developed on (dev2 was written blind too, then tuned on). Both have the same format: `[[q]]` single questions and `[[conv]]`
//! conversations whose `[[conv.turn]]`s share one session. Each item: `id`, `kind` (plain,
//! self, chat, unknown), `call` (the call the answer must be about), `text`, `facts`,
//! `expect` (entry ids that answer it; empty: the right answer is "non lo so").
//!
//! For each set the test prints, for the bot and for a plain-BM25 baseline on the same
//! index (no re-ranking, no focus, no confidence step; its direct answer is its top hit):
//! direct answers, right and wrong direct answers, hit@1, hit@3, "non lo so" precision and
//! recall, conversation turns answered for the right call, and the precision of the staff
//! confidence «alta». The held-out set must reach the aims of issue 10.

use std::path::Path;

use jiff::Timestamp;
use serde::Deserialize;
use sportello::app::Brain;
use sportello::dialogue::{Answered, Effect, Engine, Event, Session, Settings};
use sportello::knowledge::CallId;

#[derive(Deserialize, Default)]
struct Set {
    #[serde(default)]
    q: Vec<Item>,
    #[serde(default)]
    conv: Vec<Conv>,
}

#[derive(Deserialize, Clone)]
#[allow(dead_code)]
struct Item {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    call: Option<String>,
    text: String,
    #[serde(default)]
    facts: Option<toml::Value>,
    #[serde(default)]
    expect: Vec<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Conv {
    #[serde(default)]
    id: Option<String>,
    turn: Vec<Item>,
}

/// 2026-12-01 10:00 in Rome: after A.L.Fa. opened, never today's date.
fn now() -> Timestamp {
    "2026-12-01T09:00:00Z".parse().unwrap()
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn load(name: &str) -> Option<Set> {
    let src = std::fs::read_to_string(root().join("tests/retrieval").join(name)).ok()?;
    Some(toml::from_str(&src).unwrap_or_else(|e| panic!("{name}: {e}")))
}

/// One item's outcome.
struct Seen {
    answer: Answered,
    /// The call the answer is about (the direct answer's call, or the focus after it).
    call: Option<CallId>,
}

#[derive(Default, Debug, Clone, Copy)]
struct Figures {
    items: usize,
    answerable: usize,
    unknown: usize,
    direct: usize,
    right_direct: usize,
    wrong_direct: usize,
    hit1: usize,
    hit3: usize,
    menus: usize,
    which: usize,
    routed: usize,
    nothing: usize,
    nothing_right: usize,
    conv_turns: usize,
    conv_right_call: usize,
    staff_high: usize,
    staff_high_right: usize,
}

impl Figures {
    fn rate(a: usize, b: usize) -> f64 {
        if b == 0 { 0.0 } else { a as f64 / b as f64 }
    }
    fn right_direct(&self) -> f64 {
        Self::rate(self.right_direct, self.answerable)
    }
    fn wrong_direct(&self) -> f64 {
        Self::rate(self.wrong_direct, self.items)
    }
    fn hit3(&self) -> f64 {
        Self::rate(self.hit3, self.answerable)
    }
    fn conv(&self) -> f64 {
        Self::rate(self.conv_right_call, self.conv_turns)
    }

    fn row(&self, name: &str) -> String {
        format!(
            "| {name} | {} | {} ({:.2}) | {} ({:.3}) | {:.2} | {:.2} | {:.2} / {:.2} | {}/{} ({:.2}) | {} |",
            self.direct,
            self.right_direct,
            self.right_direct(),
            self.wrong_direct,
            self.wrong_direct(),
            Self::rate(self.hit1, self.answerable),
            self.hit3(),
            Self::rate(self.nothing_right, self.nothing),
            Self::rate(self.nothing_right, self.unknown),
            self.conv_right_call,
            self.conv_turns,
            self.conv(),
            if self.staff_high > 0 {
                format!(
                    "{}/{} ({:.2})",
                    self.staff_high_right,
                    self.staff_high,
                    Self::rate(self.staff_high_right, self.staff_high)
                )
            } else {
                "–".into()
            },
        )
    }
}

const HEADER: &str = "| | direct | right direct (of answerable) | wrong direct (of all) | hit@1 | hit@3 | «non lo so» precision / recall | conversation turns, right call | staff «alta» right |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|";

fn is_right(item: &Item, entry: &str) -> bool {
    item.expect.iter().any(|e| e == entry)
}

/// Scores one outcome into the figures.
fn score(f: &mut Figures, item: &Item, seen: &Seen, in_conv: bool) -> Option<String> {
    f.items += 1;
    let unknown = item.expect.is_empty();
    if unknown {
        f.unknown += 1;
    } else {
        f.answerable += 1;
    }
    let ranked = seen.answer.ranked();
    let mut miss = None;
    match &seen.answer {
        Answered::Direct { entry, .. } => {
            f.direct += 1;
            if !unknown && is_right(item, entry) {
                f.right_direct += 1;
            } else {
                f.wrong_direct += 1;
                miss = Some(format!("wrong direct {entry}"));
            }
        }
        // A request led where its command leads (`che bandi ci sono` → /bandi) is not a
        // search answer: right when the set expects that command, otherwise counted apart.
        Answered::Routed { command } => {
            let e = format!("cmd:{command}");
            f.routed += 1;
            if is_right(item, &e) {
                f.direct += 1;
                f.right_direct += 1;
            } else {
                miss = Some(format!("routed to {e}"));
            }
        }
        Answered::Nothing => {
            f.nothing += 1;
            if unknown {
                f.nothing_right += 1;
            } else {
                miss = Some("nothing".into());
            }
        }
        Answered::Menu { entries } | Answered::WhichCall { entries, .. } => {
            if matches!(&seen.answer, Answered::Menu { .. }) {
                f.menus += 1;
            } else {
                f.which += 1;
            }
            if unknown {
                miss = Some(format!("menu {entries:?}"));
            } else if !entries.iter().any(|e| is_right(item, e)) {
                miss = Some(format!("menu without the answer {entries:?}"));
            } else {
                miss = Some(format!("menu {entries:?}"));
            }
        }
    }
    if !unknown {
        let routed = matches!(&seen.answer, Answered::Routed { command } if is_right(item, &format!("cmd:{command}")));
        if routed || ranked.first().is_some_and(|e| is_right(item, e)) {
            f.hit1 += 1;
        }
        if routed || ranked.iter().take(3).any(|e| is_right(item, e)) {
            f.hit3 += 1;
        }
    }
    if in_conv && let Some(want) = &item.call {
        f.conv_turns += 1;
        if seen.call.as_ref().is_some_and(|c| &c.0 == want) {
            f.conv_right_call += 1;
        } else if miss.is_none() {
            miss = Some(format!("call {:?} instead of {want}", seen.call));
        }
    }
    miss
}

fn bot_turn(brain: &Brain, settings: &Settings, session: Session, text: &str) -> (Session, Seen) {
    let engine = Engine {
        knowledge: &brain.knowledge,
        index: &brain.index,
        settings,
    };
    let out = engine.handle(session, &Event::Text(text.to_string()), now());
    let answer = out
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::Asked { answer, .. } => Some(answer.clone()),
            _ => None,
        })
        .unwrap_or(Answered::Nothing);
    // The call a turn is answered for: the direct answer's, else the focus the bot keeps.
    let call = match &answer {
        Answered::Direct { call, .. } => call.clone(),
        _ => out.session.topic.clone(),
    };
    (out.session, Seen { answer, call })
}

fn baseline_turn(brain: &Brain, text: &str) -> Seen {
    let hits = brain.index.search_bm25(text, 3);
    let id = |e: usize| brain.index.entry(e).doc.id.clone();
    match hits.first() {
        Some(&(top, _)) => Seen {
            answer: Answered::Direct {
                entry: id(top),
                call: brain.index.entry(top).doc.call.clone(),
                also: hits[1..].iter().map(|&(e, _)| id(e)).collect(),
                lines: Vec::new(),
            },
            call: brain.index.entry(top).doc.call.clone(),
        },
        None => Seen {
            answer: Answered::Nothing,
            call: None,
        },
    }
}

/// Runs a set through the bot and the baseline; prints the figures and the misses.
fn run(name: &str, set: &Set, brain: &Brain, show_misses: bool) -> (Figures, Figures) {
    let settings = Settings::default();
    let (mut bot, mut base) = (Figures::default(), Figures::default());
    let mut by_kind: std::collections::BTreeMap<String, Figures> = Default::default();
    let mut misses = Vec::new();
    for item in &set.q {
        let (_, seen) = bot_turn(brain, &settings, Session::default(), &item.text);
        score(
            by_kind
                .entry(item.kind.clone().unwrap_or_default())
                .or_default(),
            item,
            &seen,
            false,
        );
        if let Some(m) = score(&mut bot, item, &seen, false) {
            misses.push(format!(
                "  [{}] «{}» expected {:?}: {m}",
                item.kind.as_deref().unwrap_or("-"),
                item.text,
                item.expect
            ));
        }
        score(&mut base, item, &baseline_turn(brain, &item.text), false);
        // Staff: the ready answer and its confidence for the same question.
        let (best, _, confidence) = sportello::helpdesk::staff_pick(
            &brain.knowledge,
            &brain.index,
            &settings,
            &item.text,
            now(),
        );
        if confidence == sportello::search::Confidence::High {
            bot.staff_high += 1;
            if best.is_some_and(|b| is_right(item, &brain.index.entry(b).doc.id)) {
                bot.staff_high_right += 1;
            }
        }
    }
    for conv in &set.conv {
        let mut session = Session::default();
        for (i, turn) in conv.turn.iter().enumerate() {
            let (next, seen) = bot_turn(brain, &settings, session, &turn.text);
            session = next;
            score(
                by_kind.entry("conversation".into()).or_default(),
                turn,
                &seen,
                true,
            );
            score(
                by_kind
                    .entry(format!("conversation, turn {}", i.min(3) + 1))
                    .or_default(),
                turn,
                &seen,
                true,
            );
            if let Some(m) = score(&mut bot, turn, &seen, true) {
                misses.push(format!(
                    "  [conv {} #{i}] «{}» expected {:?} ({}): {m}",
                    conv.id.as_deref().unwrap_or("-"),
                    turn.text,
                    turn.expect,
                    turn.call.as_deref().unwrap_or("-")
                ));
            }
            score(&mut base, turn, &baseline_turn(brain, &turn.text), true);
        }
    }
    println!(
        "\n{name}: {} questions ({} answerable, {} «non lo so»), {} conversations\n{HEADER}\n{}\n{}",
        bot.items,
        bot.answerable,
        bot.unknown,
        set.conv.len(),
        bot.row("Sportello"),
        base.row("plain BM25")
    );
    println!("by kind (Sportello):");
    for (kind, f) in &by_kind {
        println!(
            "{} menus {} which {} nothing {} routed {}",
            f.row(&format!("{kind} ({})", f.items)),
            f.menus,
            f.which,
            f.nothing,
            f.routed
        );
    }
    // The held-out set's misses are never printed (aggregate figures only): reading them
    // would turn the frozen set into one more set to tune on. Dev sets print theirs.
    if show_misses {
        println!("misses of the bot:");
        for m in &misses {
            println!("{m}");
        }
    }
    (bot, base)
}

/// CI's guard while issue 10's aims are not met: the held-out figures may not fall below
/// what the bot reached when the aims test was set aside (right direct 0.61, wrong direct
/// 0.079, hit@3 0.91, conversation turns 0.92 on 2026-12-02), with a small margin.
#[test]
fn heldout_set_does_not_regress() {
    let Some(set) = load("heldout_it.toml") else {
        panic!("tests/retrieval/heldout_it.toml is missing");
    };
    let brain = Brain::load(&root().join("knowledge")).expect("pack loads");
    let (bot, _) = run("held-out set (non-regression)", &set, &brain, false);
    assert!(
        bot.items >= 100,
        "the held-out set has at least 100 questions"
    );
    assert!(
        bot.right_direct() >= 0.58,
        "right direct {:.3} < 0.58",
        bot.right_direct()
    );
    assert!(
        bot.wrong_direct() <= 0.09,
        "wrong direct {:.3} > 0.09",
        bot.wrong_direct()
    );
    assert!(bot.hit3() >= 0.88, "hit@3 {:.3} < 0.88", bot.hit3());
    assert!(
        bot.conv() >= 0.88,
        "conversation turns {:.3} < 0.88",
        bot.conv()
    );
}

/// The aims of issue 10. Not met yet, so not run by `cargo test` (CI runs
/// [`heldout_set_does_not_regress`]); `cargo test --test heldout -- --ignored` runs it.
#[test]
#[ignore = "issue 10's aims are not met yet: run with --ignored"]
fn heldout_set_meets_the_aims() {
    let Some(set) = load("heldout_it.toml") else {
        println!(
            "SKIPPED: tests/retrieval/heldout_it.toml is not in the tree yet (the frozen held-out set lands with the lead's merge)"
        );
        return;
    };
    let brain = Brain::load(&root().join("knowledge")).expect("pack loads");
    let (bot, base) = run("held-out set", &set, &brain, false);
    assert!(
        bot.items >= 100,
        "the held-out set has at least 100 questions"
    );
    assert!(
        bot.right_direct() >= 0.80,
        "right direct {:.3} < 0.80",
        bot.right_direct()
    );
    assert!(
        bot.wrong_direct() <= 0.03,
        "wrong direct {:.3} > 0.03",
        bot.wrong_direct()
    );
    assert!(bot.hit3() >= 0.95, "hit@3 {:.3} < 0.95", bot.hit3());
    assert!(
        bot.right_direct() >= base.right_direct() + 0.15,
        "right direct {:.3} is not 0.15 above the baseline's {:.3}",
        bot.right_direct(),
        base.right_direct()
    );
    assert!(
        bot.conv() >= 0.95,
        "conversation turns for the right call {:.3} < 0.95",
        bot.conv()
    );
}

#[test]
fn dev_set() {
    let set = load("dev.toml").expect("tests/retrieval/dev.toml");
    let brain = Brain::load(&root().join("knowledge")).expect("pack loads");
    for item in set.q.iter().chain(set.conv.iter().flat_map(|c| &c.turn)) {
        for id in &item.expect {
            assert!(
                id.starts_with("cmd:") || brain.index.find(id).is_some(),
                "unknown id {id} («{}»)",
                item.text
            );
        }
    }
    run("dev set", &set, &brain, true);
}

/// The second dev set (`dev2.toml`): written blind from the sources by someone who had
/// not seen the pack, labelled afterwards, then used for tuning (so no longer blind).
#[test]
fn dev2_set() {
    let set = load("dev2.toml").expect("tests/retrieval/dev2.toml");
    let brain = Brain::load(&root().join("knowledge")).expect("pack loads");
    for item in set.q.iter().chain(set.conv.iter().flat_map(|c| &c.turn)) {
        for id in &item.expect {
            assert!(
                id.starts_with("cmd:") || brain.index.find(id).is_some(),
                "unknown id {id} («{}»)",
                item.text
            );
        }
    }
    run("dev2 set", &set, &brain, true);
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
    let engine = Engine {
        knowledge: &brain.knowledge,
        index: &brain.index,
        settings: &settings,
    };
    let r = engine.read(tx, &q);
    println!(
        "query: «{}» named {:?} audience {:?} described {}\nprofile {:?}",
        r.query, r.named, r.audience, r.described, r.profile
    );
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
    let engine = Engine {
        knowledge: &brain.knowledge,
        index: &brain.index,
        settings: &settings,
    };
    let line = |set: &str, item: &Item, session: &Session| {
        let reading = engine.read(tx, &item.text);
        let mut s = session.clone();
        s.profile.merge(&reading.profile);
        let c = engine.consider(tx, &reading, &s, None, now());
        let t = c.trace;
        let id = |e: Option<usize>| e.map(|e| brain.index.entry(e).doc.id.clone());
        let kind = match &c.decision {
            sportello::decide::Decision::Direct { .. } => "direct",
            sportello::decide::Decision::Menu { .. } => "menu",
            sportello::decide::Decision::WhichCall { .. } => "which",
            sportello::decide::Decision::Nothing { .. } => "nothing",
        };
        let top_right = id(t.top).is_some_and(|e| is_right(item, &e));
        let rival_call = t.rival.map(|r| brain.index.entry(r).doc.call.clone());
        let top_call = t.top.map(|r| brain.index.entry(r).doc.call.clone());
        println!(
            "F\t{set}\t{}\t{}\t{kind}{}\t{}\t{}\t{:.3}\t{:.3}\t{:.3}\t{:.3}\t{}\t{:.3}\t{:.3}\t{}\t{}\t{}",
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
        );
    };
    for name in ["dev.toml", "dev2.toml", "questions.toml"] {
        let Some(set) = load(name) else { continue };
        for item in &set.q {
            line(name, item, &Session::default());
        }
        for conv in &set.conv {
            let mut session = Session::default();
            for turn in &conv.turn {
                line(name, turn, &session);
                session = bot_turn(&brain, &settings, session, &turn.text).0;
            }
        }
    }
}
