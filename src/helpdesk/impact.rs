//! What a FAQ draft would change, shown on its review card: the recent unanswered
//! questions it would now answer, and the questions of the pack's regression set
//! (`knowledge/regression.toml`) whose answer would change.
//!
//! Both are answered through the engine users talk to ([`Engine::handle`] for someone
//! with no conversation yet, the regression question's call in focus), once with the
//! knowledge in use and once with the knowledge plus the draft; an answer is what the
//! user would get: a direct answer (which entry), a menu (which entries), a command, or
//! «non lo so». Pure: the caller loads the knowledge and runs it off the async workers.

use std::sync::{Arc, Mutex, Weak};

use jiff::Timestamp;

use super::settings::STAFF_LANG;
use crate::dialogue::{Answered, Effect, Engine, Event, Session};
use crate::knowledge::regression::RegressionQuestion;
use crate::search::Confidence;
use crate::store::RegressionChange;
use crate::text::texts;

/// Recent unanswered questions a draft is tried against.
pub const IMPACT_SAMPLE: usize = 40;
/// Most regression questions tried per review (two answers each: a chat reply must not
/// wait for a large set; the file's first ones are tried).
pub const MAX_REGRESSION: usize = 200;
/// Recent questions shown as now answered.
const SHOWN: usize = 5;

/// What a user gets for a question, in short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Direct(String),
    /// A menu or «Quale bando?», with its entries.
    Menu(Vec<String>),
    Routed(String),
    Nothing,
}

impl Verdict {
    /// Whether a user asking `q` gets one of its expected entries directly (or «non lo
    /// so» when none is expected).
    pub fn right_for(&self, q: &RegressionQuestion) -> bool {
        match self {
            Verdict::Direct(e) => q.expect.contains(e),
            Verdict::Routed(c) => q.expect.contains(&format!("cmd:{c}")),
            Verdict::Nothing => q.expect.is_empty(),
            Verdict::Menu(_) => false,
        }
    }

    /// How staff read it on the card.
    pub fn describe(&self) -> String {
        let tx = texts(STAFF_LANG);
        match self {
            Verdict::Direct(e) => e.clone(),
            Verdict::Menu(es) => tx.s("teach.regression.menu", &[("entries", &es.join(", "))]),
            Verdict::Routed(c) => format!("/{c}"),
            Verdict::Nothing => tx.s("teach.regression.nothing", &[]),
        }
    }
}

/// What a user who has said nothing yet gets for `text`, with `focus` in focus.
pub fn verdict(
    engine: &Engine,
    text: &str,
    focus: Option<&crate::knowledge::CallId>,
    now: Timestamp,
) -> Verdict {
    let session = Session {
        topic: focus.cloned(),
        ..Session::default()
    };
    let out = engine.handle(session, &Event::Text(text.to_string()), now);
    let answer = out.effects.into_iter().find_map(|e| match e {
        Effect::Asked { answer, .. } => Some(answer),
        _ => None,
    });
    match answer {
        Some(Answered::Direct { entry, .. }) => Verdict::Direct(entry),
        Some(Answered::Menu { entries }) | Some(Answered::WhichCall { entries, .. }) => {
            Verdict::Menu(entries)
        }
        Some(Answered::Routed { command }) => Verdict::Routed(command),
        Some(Answered::Nothing) | None => Verdict::Nothing,
    }
}

/// The answers to every question of `set`, in order.
pub fn answers(engine: &Engine, set: &[RegressionQuestion], now: Timestamp) -> Vec<Verdict> {
    set.iter()
        .map(|q| verdict(engine, &q.text, q.focus.as_ref(), now))
        .collect()
}

/// The questions of the pack's regression set not answered as they expect, one line
/// each (what `sportello check` warns about).
pub fn regression_misses(
    knowledge: &crate::knowledge::Knowledge,
    index: &crate::search::SearchIndex,
    settings: &crate::dialogue::Settings,
    now: Timestamp,
) -> Vec<String> {
    let engine = Engine {
        knowledge,
        index,
        settings,
        readings: None,
    };
    let got = answers(&engine, &knowledge.regression, now);
    knowledge
        .regression
        .iter()
        .zip(got)
        .filter(|(q, v)| !v.right_for(q))
        .map(|(q, v)| {
            format!(
                "{}: «{}» ({}) is answered {}, expected one of {:?}",
                crate::knowledge::regression::REGRESSION_FILE,
                q.text,
                q.id,
                v.describe(),
                q.expect
            )
        })
        .collect()
}

/// The questions of `set` answered differently `after` than `before` (the three in
/// step), as shown on the card.
pub fn changes(
    set: &[RegressionQuestion],
    before: &[Verdict],
    after: &[Verdict],
) -> Vec<RegressionChange> {
    set.iter()
        .zip(before.iter().zip(after))
        .filter(|(_, (b, a))| b != a)
        .map(|(q, (b, a))| RegressionChange {
            id: q.id.clone(),
            question: q.text.clone(),
            before: b.describe(),
            after: a.describe(),
            broken: b.right_for(q) && !a.right_for(q),
        })
        .collect()
}

/// The regression answers with the knowledge in use, kept between reviews: they change
/// only with the knowledge (`owner`, the loaded pack), the set, or the hour (answers
/// about deadlines depend on the date), and computing them is half a review's time.
pub struct Remembered<T> {
    slot: Mutex<Option<Kept<T>>>,
}

struct Kept<T> {
    owner: Weak<T>,
    hour: i64,
    set: Vec<RegressionQuestion>,
    answers: Vec<Verdict>,
}

impl<T> Default for Remembered<T> {
    fn default() -> Self {
        Remembered {
            slot: Mutex::new(None),
        }
    }
}

impl<T> Remembered<T> {
    /// The answers kept for `owner`, `set` and the hour of `now`, or `compute`d (and
    /// kept). The lock is not held while computing.
    pub fn get_or(
        &self,
        owner: &Arc<T>,
        set: &[RegressionQuestion],
        now: Timestamp,
        compute: impl FnOnce() -> Vec<Verdict>,
    ) -> Vec<Verdict> {
        let hour = now.as_second().div_euclid(3600);
        {
            let slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(k) = slot.as_ref()
                && k.hour == hour
                && k.set == set
                && k.owner.upgrade().is_some_and(|o| Arc::ptr_eq(&o, owner))
            {
                return k.answers.clone();
            }
        }
        let answers = compute();
        *self.slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(Kept {
            owner: Arc::downgrade(owner),
            hour,
            set: set.to_vec(),
            answers: answers.clone(),
        });
        answers
    }
}

/// The questions of `asked` a user would now get entry `faq` for, with confidence.
pub fn would_answer(engine: &Engine, faq: &str, asked: &[String], now: Timestamp) -> Vec<String> {
    asked
        .iter()
        .filter(|q| {
            let (best, _, confidence) = engine.staff_pick(q, now);
            confidence == Confidence::High
                && best.is_some_and(|b| engine.index.entry(b).doc.id == faq)
        })
        .take(SHOWN)
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(expect: &[&str]) -> RegressionQuestion {
        RegressionQuestion {
            id: "r1".into(),
            text: "quando scade?".into(),
            expect: expect.iter().map(|s| s.to_string()).collect(),
            focus: None,
        }
    }

    #[test]
    fn only_changed_answers_are_listed_and_a_lost_right_answer_is_marked() {
        let set = vec![q(&["faq:a"]), q(&["faq:b"]), q(&[])];
        let before = vec![
            Verdict::Direct("faq:a".into()),
            Verdict::Menu(vec!["faq:b".into(), "faq:c".into()]),
            Verdict::Nothing,
        ];
        let after = vec![
            Verdict::Direct("faq:staff-1".into()),
            Verdict::Direct("faq:b".into()),
            Verdict::Nothing,
        ];
        let c = changes(&set, &before, &after);
        assert_eq!(c.len(), 2);
        assert_eq!(
            (c[0].before.as_str(), c[0].after.as_str()),
            ("faq:a", "faq:staff-1")
        );
        assert!(c[0].broken);
        assert!(!c[1].broken, "a menu made a right direct answer is no loss");
        assert!(c[1].before.contains("faq:b, faq:c"));
    }

    #[test]
    fn remembered_answers_are_reused_only_for_the_same_pack_set_and_hour() {
        let kept: Remembered<u8> = Remembered::default();
        let (a, b) = (Arc::new(1u8), Arc::new(1u8));
        let set = vec![q(&["faq:a"])];
        let t: Timestamp = "2026-12-01T09:10:00Z".parse().unwrap();
        let runs = std::cell::Cell::new(0);
        let get = |owner: &Arc<u8>, set: &[RegressionQuestion], now: Timestamp| {
            kept.get_or(owner, set, now, || {
                runs.set(runs.get() + 1);
                vec![Verdict::Nothing]
            })
        };
        get(&a, &set, t);
        get(&a, &set, t + jiff::SignedDuration::from_mins(20));
        assert_eq!(runs.get(), 1, "same pack, set and hour");
        get(&b, &set, t);
        assert_eq!(runs.get(), 2, "another pack (a reload)");
        get(&b, &[q(&["faq:b"])], t);
        assert_eq!(runs.get(), 3, "another set");
        get(
            &b,
            &[q(&["faq:b"])],
            t + jiff::SignedDuration::from_hours(1),
        );
        assert_eq!(runs.get(), 4, "another hour");
    }
}
