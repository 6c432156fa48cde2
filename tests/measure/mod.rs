//! The measuring harness of `tests/heldout.rs`, shared with `tests/heldout_en.rs`: sets of
//! questions and conversations, the engine's decision per item (`Effect::Asked`), the
//! figures (right and wrong direct answers, hit@k, «non lo so», conversations) for the bot
//! and a plain-BM25 baseline on the same index. The English harness runs each item in a
//! session whose language is given (an English Telegram client starts in English).
#![allow(dead_code)]

use std::path::Path;

use jiff::Timestamp;
use serde::Deserialize;
use sportello::action::Action;
use sportello::app::Brain;
use sportello::dialogue::{Answered, Effect, Event, Session, Settings};
use sportello::knowledge::CallId;
use sportello::text::Lang;

#[derive(Deserialize, Default)]
pub struct Set {
    #[serde(default)]
    pub q: Vec<Item>,
    #[serde(default)]
    pub conv: Vec<Conv>,
}

#[derive(Deserialize, Clone)]
#[allow(dead_code)]
pub struct Item {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub call: Option<String>,
    pub text: String,
    #[serde(default)]
    facts: Option<toml::Value>,
    #[serde(default)]
    pub expect: Vec<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
pub struct Conv {
    #[serde(default)]
    id: Option<String>,
    pub turn: Vec<Item>,
}

/// 2026-12-01 10:00 in Rome: after A.L.Fa. opened, never today's date.
pub fn now() -> Timestamp {
    "2026-12-01T09:00:00Z".parse().unwrap()
}

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn load(name: &str) -> Option<Set> {
    let src = std::fs::read_to_string(root().join("tests/retrieval").join(name)).ok()?;
    Some(toml::from_str(&src).unwrap_or_else(|e| panic!("{name}: {e}")))
}

/// One item's outcome.
pub struct Seen {
    pub answer: Answered,
    /// The call the answer is about (the direct answer's call, or the focus after it).
    pub call: Option<CallId>,
    /// A «non ho trovato» with no entry offered as a button (a bare not-found).
    pub bare: bool,
}

#[derive(Default, Debug, Clone, Copy)]
pub struct Figures {
    pub items: usize,
    pub answerable: usize,
    pub unknown: usize,
    pub direct: usize,
    pub right_direct: usize,
    pub wrong_direct: usize,
    pub hit1: usize,
    pub hit3: usize,
    pub menus: usize,
    pub which: usize,
    pub routed: usize,
    pub nothing: usize,
    pub nothing_right: usize,
    pub conv_turns: usize,
    pub conv_right_call: usize,
    pub staff_high: usize,
    pub staff_high_right: usize,
    /// «Non ho trovato» answers that offered no entry to choose.
    pub bare: usize,
    /// Direct answers that also answered a second question in the message, and how many
    /// of those second answers are among the item's expected entries.
    pub second: usize,
    pub second_right: usize,
}

impl Figures {
    fn rate(a: usize, b: usize) -> f64 {
        if b == 0 { 0.0 } else { a as f64 / b as f64 }
    }
    pub fn right_direct(&self) -> f64 {
        Self::rate(self.right_direct, self.answerable)
    }
    pub fn wrong_direct(&self) -> f64 {
        Self::rate(self.wrong_direct, self.items)
    }
    pub fn hit3(&self) -> f64 {
        Self::rate(self.hit3, self.answerable)
    }
    pub fn conv(&self) -> f64 {
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

pub fn is_right(item: &Item, entry: &str) -> bool {
    item.expect.iter().any(|e| e == entry)
}

/// A line naming a two-part answer's entries, for reading them by hand
/// (`SPORTELLO_SHOW_SECOND=1`; like the misses, never for a held-out set).
fn second_line(item: &Item, seen: &Seen) -> Option<String> {
    match &seen.answer {
        Answered::Direct {
            entry,
            second: Some(second),
            ..
        } => Some(format!(
            "  «{}»: {entry} then {second}, expected {:?}",
            item.text, item.expect
        )),
        _ => None,
    }
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
    f.bare += usize::from(seen.bare);
    let mut miss = None;
    match &seen.answer {
        Answered::Direct { entry, second, .. } => {
            f.direct += 1;
            if let Some(second) = second {
                f.second += 1;
                f.second_right += usize::from(is_right(item, second));
            }
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
                miss = Some(
                    if seen.bare {
                        "nothing (bare)"
                    } else {
                        "nothing"
                    }
                    .into(),
                );
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

pub fn bot_turn(
    brain: &Brain,
    settings: &Settings,
    session: Session,
    text: &str,
) -> (Session, Seen) {
    let engine = brain.engine(settings);
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
    // A bare not-found: a «non ho trovato» reply (the locale's words, in the session's
    // language), and no reply offers an entry, a call or a passage to open.
    let lang = out.session.lang;
    let not_found = sportello::text::texts(lang).s("search.nothing", &[]);
    let not_found = not_found.lines().next().unwrap_or_default();
    let said = out
        .replies
        .iter()
        .any(|r| r.text.to_plain().contains(not_found));
    let offers = out
        .replies
        .iter()
        .flat_map(|r| r.buttons.iter().flatten())
        .any(|b| {
            matches!(
                Action::decode(&b.data),
                Some(Action::Faq(_) | Action::Call(_) | Action::Section(..) | Action::Passage(..))
            )
        });
    let bare = said && !offers;
    (out.session, Seen { answer, call, bare })
}

fn baseline_turn(brain: &Brain, lang: Lang, text: &str) -> Seen {
    // The baseline searches the index of the set's language.
    let index = match lang {
        Lang::En => brain.index.english().unwrap_or(&brain.index),
        Lang::It => &brain.index,
    };
    let hits = index.search_bm25(text, 3);
    let brain_index = index;
    let id = |e: usize| brain_index.entry(e).doc.id.clone();
    match hits.first() {
        Some(&(top, _)) => Seen {
            answer: Answered::Direct {
                entry: id(top),
                call: brain_index.entry(top).doc.call.clone(),
                also: hits[1..].iter().map(|&(e, _)| id(e)).collect(),
                lines: Vec::new(),
                second: None,
            },
            call: brain_index.entry(top).doc.call.clone(),
            bare: false,
        },
        None => Seen {
            answer: Answered::Nothing,
            call: None,
            bare: true,
        },
    }
}

/// Runs a set through the bot (each item in a fresh session of `lang`) and the baseline;
/// prints the figures, and the misses only when `show_misses` (never for a held-out set).
pub fn run(
    name: &str,
    set: &Set,
    brain: &Brain,
    lang: Lang,
    show_misses: bool,
) -> (Figures, Figures) {
    let fresh = || Session {
        lang,
        ..Session::default()
    };
    let settings = Settings::default();
    let (mut bot, mut base) = (Figures::default(), Figures::default());
    let mut by_kind: std::collections::BTreeMap<String, Figures> = Default::default();
    let mut misses = Vec::new();
    let mut seconds = Vec::new();
    for item in &set.q {
        let (_, seen) = bot_turn(brain, &settings, fresh(), &item.text);
        seconds.extend(second_line(item, &seen));
        score(
            by_kind
                .entry(item.kind.clone().unwrap_or_default())
                .or_default(),
            item,
            &seen,
            false,
        );
        if seen.bare && item.expect.is_empty() {
            misses.push(format!("  [bare, «non lo so» expected] «{}»", item.text));
        }
        if let Some(m) = score(&mut bot, item, &seen, false) {
            misses.push(format!(
                "  [{}] «{}» expected {:?}: {m}",
                item.kind.as_deref().unwrap_or("-"),
                item.text,
                item.expect
            ));
        }
        score(
            &mut base,
            item,
            &baseline_turn(brain, lang, &item.text),
            false,
        );
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
        let mut session = fresh();
        for (i, turn) in conv.turn.iter().enumerate() {
            let (next, seen) = bot_turn(brain, &settings, session, &turn.text);
            session = next;
            seconds.extend(second_line(turn, &seen));
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
            if seen.bare && turn.expect.is_empty() {
                misses.push(format!("  [bare, «non lo so» expected] «{}»", turn.text));
            }
            if let Some(m) = score(&mut bot, turn, &seen, true) {
                misses.push(format!(
                    "  [conv {} #{i}] «{}» expected {:?} ({}): {m}",
                    conv.id.as_deref().unwrap_or("-"),
                    turn.text,
                    turn.expect,
                    turn.call.as_deref().unwrap_or("-")
                ));
            }
            score(
                &mut base,
                turn,
                &baseline_turn(brain, lang, &turn.text),
                true,
            );
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
    println!(
        "bare «non ho trovato» (no entry offered): Sportello {} of {}",
        bot.bare, bot.items
    );
    println!(
        "second answers (two questions in one): {} given, {} among the expected entries",
        bot.second, bot.second_right
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
    // The held-out set's misses are not printed unless asked: reading them would turn the
    // frozen set into one more set to tune on.
    if show_misses {
        println!("misses of the bot:");
        for m in &misses {
            println!("{m}");
        }
        if std::env::var_os("SPORTELLO_SHOW_SECOND").is_some() {
            println!("second answers of the bot:");
            for m in &seconds {
                println!("{m}");
            }
        }
    }
    (bot, base)
}

/// Runs a development set (`name` in `tests/retrieval/`) through the engine and prints
/// its figures and misses, after checking that every expected id is an entry of the pack
/// (or a command, `cmd:…`).
pub fn dev_set(name: &str, label: &str, lang: Lang) {
    let set = load(name).unwrap_or_else(|| panic!("tests/retrieval/{name}"));
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
    run(label, &set, &brain, lang, true);
}

/// Calls `line(set, item, session)` for every question of the named sets, and for every
/// conversation turn with the session the earlier turns left (development aids).
pub fn each_turn<S: AsRef<str>>(
    brain: &Brain,
    names: &[S],
    mut line: impl FnMut(&str, &Item, &Session),
) {
    let settings = Settings::default();
    for name in names.iter().map(AsRef::as_ref) {
        let Some(set) = load(name) else { continue };
        for item in &set.q {
            line(name, item, &Session::default());
        }
        for conv in &set.conv {
            let mut session = Session::default();
            for turn in &conv.turn {
                line(name, turn, &session);
                session = bot_turn(brain, &settings, session, &turn.text).0;
            }
        }
    }
}

/// The kind of a decision, as the development aids print it.
pub fn kind_of(d: &sportello::decide::Decision) -> &'static str {
    use sportello::decide::Decision;
    match d {
        Decision::Direct { .. } => "direct",
        Decision::Menu { .. } => "menu",
        Decision::WhichCall { .. } => "which",
        Decision::Nothing { .. } => "nothing",
    }
}
