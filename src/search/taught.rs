//! What the development sets taught about which entry a question's words ask for: a
//! multinomial naive Bayes classifier over the stems of the question's own words.
//!
//! Search knows an entry by its own words; people ask with others (`la nostra quota` for
//! the co-financing, `capofila` for who may apply). The training tool (`train-ranker`)
//! counts, for each entry, the stems of the development sets' questions that expect it
//! first, and writes the counts into `ranker.toml` (`[it.taught]`, `[en.taught]`):
//! counts, never phrasings. The index adds, when it takes the file, each FAQ's own
//! question and alternatives as it reads them now (see `SearchIndex::taught_model`), so
//! an entry added or reworded after training (a staff answer) is known by its own words,
//! never left out of the classifier. The engine reads
//! the probability the classifier gives to the best candidate as one more feature of the
//! learned decision (`taught`): whether the words people use for that entry are the ones
//! asked with. It never ranks, adds or removes a candidate by itself.
//!
//! The model is the textbook one (each word counted once per question, Laplace-Lidstone
//! smoothing `alpha`, the entries' shares of questions as priors), so that the training
//! tool's out-of-fold copies and the shipped one compute the same numbers.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

/// The counts behind the classifier, as `ranker.toml` keeps them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    /// Smoothing: what a word never seen with an entry counts as.
    pub alpha: f32,
    /// Per entry id: how many questions taught it and how many of them hold each stem.
    pub entries: BTreeMap<String, Taught>,
}

/// What one entry was taught with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Taught {
    pub questions: u32,
    pub words: BTreeMap<String, u32>,
}

impl Counts {
    /// Counts one question (its distinct stems) for `entry`.
    pub fn add<'a>(&mut self, entry: &str, stems: impl IntoIterator<Item = &'a str>) {
        let t = self.entries.entry(entry.to_string()).or_default();
        t.questions += 1;
        let mut seen: Vec<&str> = stems.into_iter().collect();
        seen.sort_unstable();
        seen.dedup();
        for s in seen {
            *t.words.entry(s.to_string()).or_default() += 1;
        }
    }

    /// Adds another's counts to these.
    pub fn merge(&mut self, other: &Counts) {
        for (id, t) in &other.entries {
            let mine = self.entries.entry(id.clone()).or_default();
            mine.questions += t.questions;
            for (w, n) in &t.words {
                *mine.words.entry(w.clone()).or_default() += n;
            }
        }
    }

    /// Checks the counts (a hand-edited file must not yield NaNs).
    pub fn check(&self) -> Result<(), String> {
        if !(self.alpha.is_finite() && self.alpha > 0.0) {
            return Err(format!(
                "taught alpha {} is not a positive number",
                self.alpha
            ));
        }
        if let Some((id, _)) = self.entries.iter().find(|(_, t)| t.questions == 0) {
            return Err(format!("taught entry {id} has no questions"));
        }
        Ok(())
    }

    /// The classifier over the entries of an index (`ids`, in the index's order): entries
    /// the counts do not name are never the classifier's answer (probability 0).
    pub fn model<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Model {
        let position: HashMap<&str, usize> =
            ids.into_iter().enumerate().map(|(i, id)| (id, i)).collect();
        let classes: Vec<(usize, &Taught)> = self
            .entries
            .iter()
            .filter_map(|(id, t)| position.get(id.as_str()).map(|&p| (p, t)))
            .collect();
        let vocabulary = {
            let mut all: Vec<&str> = classes
                .iter()
                .flat_map(|(_, t)| t.words.keys().map(String::as_str))
                .collect();
            all.sort_unstable();
            all.dedup();
            all.len()
        };
        let total: f64 = classes.iter().map(|(_, t)| f64::from(t.questions)).sum();
        let alpha = f64::from(self.alpha);
        let mut words: HashMap<String, Vec<(u32, f32)>> = HashMap::new();
        let mut prior = Vec::with_capacity(classes.len());
        let mut unseen = Vec::with_capacity(classes.len());
        for (c, (_, t)) in classes.iter().enumerate() {
            let held: f64 = t.words.values().map(|&n| f64::from(n)).sum();
            let norm = (held + alpha * vocabulary as f64).ln();
            let base = alpha.ln() - norm;
            prior.push((f64::from(t.questions) / total).ln() as f32);
            unseen.push(base as f32);
            for (w, &n) in &t.words {
                let lp = (f64::from(n) + alpha).ln() - norm;
                words
                    .entry(w.clone())
                    .or_default()
                    .push((c as u32, (lp - base) as f32));
            }
        }
        Model {
            class: classes
                .iter()
                .enumerate()
                .map(|(c, (p, _))| (*p, c as u32))
                .collect(),
            entry: classes.iter().map(|(p, _)| *p).collect(),
            prior,
            unseen,
            words,
            untouched: Vec::new(),
        }
        .with_untouched_sums()
    }
}

/// The classifier, ready to read questions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Model {
    /// Per class: its entry's position in the index.
    entry: Vec<usize>,
    /// Per class: the log of its share of the questions.
    prior: Vec<f32>,
    /// Per class: the log-probability of a word never seen with it.
    unseen: Vec<f32>,
    /// Per word: the classes it was seen with and how much more it counts for each.
    words: HashMap<String, Vec<(u32, f32)>>,
    /// Per entry position: its class (the last, should two classes name one entry).
    class: HashMap<usize, u32>,
    /// Per count of known words (below [`UNTOUCHED_COUNTS`]): the classes' scores when
    /// no word touches them, their maximum and the sum of their exponentials (see
    /// [`Untouched`]).
    untouched: Vec<Untouched>,
}

/// How many counts of known words keep their [`Untouched`] sums; a question with more
/// known words (a long self-description) reads every class.
const UNTOUCHED_COUNTS: usize = 64;

/// The softmax's normaliser with no word touching any class, for one count of known
/// words `k`: each class's score is then its prior plus `k` times the log-probability of
/// an unseen word. A question's known words touch a few of a large index's classes (the
/// entries whose taught questions hold them); only those are read per question, and the
/// others' share is this sum less the touched ones' own untouched terms.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Untouched {
    /// The largest untouched score.
    top: f32,
    /// The sum of `exp(score - top)` over every class, in `f64` so that taking the
    /// touched classes' terms out of it loses nothing that counts.
    sum: f64,
}

/// A class's score with no word touching it: its prior and `k` unseen words.
fn untouched_score(prior: f32, unseen: f32, k: f32) -> f32 {
    prior + k * unseen
}

/// The classifier's reading of one question: each class's score, their maximum and the
/// softmax's normaliser, so that the probability of an entry is computed only for the
/// entries asked about (a few candidates), not for every entry of a large index.
#[derive(Debug, Clone)]
pub struct Probabilities<'m> {
    model: &'m Model,
    score: Vec<f32>,
    top: f32,
    sum: f32,
}

impl Probabilities<'_> {
    /// The probability of the entry at position `entry` (0 for an entry the counts do not
    /// name).
    pub fn of(&self, entry: usize) -> f32 {
        match self.model.class.get(&entry) {
            Some(&c) => (self.score[c as usize] - self.top).exp() / self.sum,
            None => 0.0,
        }
    }
}

impl Model {
    /// The probability of each entry (by position; `len` entries) given the question's
    /// distinct stems: words the counts never saw say nothing. All 0 when there are no
    /// classes.
    pub fn probabilities(&self, stems: &[String], len: usize) -> Vec<f32> {
        let mut out = vec![0.0; len];
        if self.entry.is_empty() {
            return out;
        }
        let read = self.read(stems);
        for &e in &self.entry {
            if let Some(o) = out.get_mut(e) {
                *o = read.of(e);
            }
        }
        out
    }

    /// The question's reading (see [`Probabilities`]) given its distinct stems.
    pub fn read(&self, stems: &[String]) -> Probabilities<'_> {
        let known: Vec<&Vec<(u32, f32)>> = stems.iter().filter_map(|s| self.words.get(s)).collect();
        let count = known.len();
        let k = count as f32;
        let mut score: Vec<f32> = self.base_scores(k).collect();
        let mut hit = vec![false; score.len()];
        let mut touched: Vec<u32> = Vec::new();
        for list in known {
            for &(c, d) in list {
                score[c as usize] += d;
                if !std::mem::replace(&mut hit[c as usize], true) {
                    touched.push(c);
                }
            }
        }
        let (top, sum) = match self.untouched.get(count) {
            Some(u) => {
                // The maximum of every score: an untouched class's is at most `u.top`,
                // a touched one's is its own.
                let top = touched
                    .iter()
                    .map(|&c| score[c as usize])
                    .fold(u.top, f32::max);
                let mut sum = u.sum * f64::from(u.top - top).exp();
                for &c in &touched {
                    let (c, base) = (c as usize, self.base_score(c as usize, k));
                    sum += f64::from((score[c] - top).exp() - (base - top).exp());
                }
                (top, sum.max(f64::MIN_POSITIVE) as f32)
            }
            None => {
                let top = score.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                (top, score.iter().map(|s| (s - top).exp()).sum())
            }
        };
        Probabilities {
            model: self,
            score,
            top,
            sum,
        }
    }

    /// Class `c`'s score with no word touching it, for `k` known words.
    fn base_score(&self, c: usize, k: f32) -> f32 {
        untouched_score(self.prior[c], self.unseen[c], k)
    }

    /// Every class's score with no word touching it, for `k` known words (one pass over
    /// the two columns, which the compiler vectorises).
    fn base_scores(&self, k: f32) -> impl Iterator<Item = f32> + '_ {
        self.prior
            .iter()
            .zip(&self.unseen)
            .map(move |(&p, &u)| untouched_score(p, u, k))
    }

    /// The model with its untouched normalisers (see [`Untouched`]) computed: a pass
    /// over the classes per count of known words, once, when the index takes the model.
    fn with_untouched_sums(mut self) -> Model {
        self.untouched = (0..UNTOUCHED_COUNTS)
            .map(|k| {
                let k = k as f32;
                let top = self.base_scores(k).fold(f32::NEG_INFINITY, f32::max);
                let sum = self.base_scores(k).map(|s| f64::from(s - top).exp()).sum();
                Untouched { top, sum }
            })
            .collect();
        self
    }

    /// How many entries the classifier knows.
    pub fn classes(&self) -> usize {
        self.entry.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts() -> Counts {
        let mut c = Counts {
            alpha: 0.1,
            ..Counts::default()
        };
        c.add("faq:quota", ["quot", "nostr", "mett"]);
        c.add("faq:quota", ["quot", "cofinanz"]);
        c.add("faq:scadenza", ["scad", "quand"]);
        c.add("faq:scadenza", ["quand", "termin", "domand"]);
        c
    }

    #[test]
    fn the_words_people_use_for_an_entry_point_at_it() {
        let m = counts().model(["faq:scadenza", "faq:other", "faq:quota"]);
        assert_eq!(m.classes(), 2);
        let p = m.probabilities(&["nostr".into(), "quot".into()], 3);
        assert!(p[2] > 0.9, "{p:?}");
        assert_eq!(p[1], 0.0, "an entry never taught is never the answer");
        let q = m.probabilities(&["quand".into()], 3);
        assert!(q[0] > 0.9, "{q:?}");
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }

    /// An entry's probability read alone is, bit for bit, the one of the whole list.
    #[test]
    fn one_entry_read_alone_is_the_whole_lists_value() {
        let m = counts().model(["faq:scadenza", "faq:other", "faq:quota"]);
        for q in [&["quot", "cofinanz"][..], &["quand"], &["nessuno"], &[]] {
            let stems: Vec<String> = q.iter().map(|s| s.to_string()).collect();
            let all = m.probabilities(&stems, 3);
            let read = m.read(&stems);
            for (e, p) in all.iter().enumerate() {
                assert_eq!(read.of(e).to_bits(), p.to_bits(), "{q:?}, entry {e}");
            }
        }
    }

    /// The normaliser from the untouched sums is the one of a pass over every class.
    #[test]
    fn the_untouched_sums_give_the_full_passs_probabilities() {
        let mut c = Counts {
            alpha: 0.1,
            ..Counts::default()
        };
        let words: Vec<String> = (0..80).map(|i| format!("w{i}")).collect();
        let ids: Vec<String> = (0..40).map(|i| format!("faq:{i}")).collect();
        for (e, id) in ids.iter().enumerate() {
            for q in 0..=(e % 3) {
                let taught = words.iter().skip(e + q).step_by(7).map(String::as_str);
                c.add(id, taught.take(5));
            }
        }
        let m = c.model(ids.iter().map(String::as_str));
        let full = Model {
            untouched: Vec::new(),
            ..m.clone()
        };
        for n in [0, 1, 3, 9, 30, 63, 64, 70, 80] {
            let stems: Vec<String> = words.iter().take(n).cloned().collect();
            let (fast, slow) = (m.probabilities(&stems, 40), full.probabilities(&stems, 40));
            for (a, b) in fast.iter().zip(&slow) {
                assert!((a - b).abs() <= 1e-6 * b.max(1e-3), "{n} words: {a} vs {b}");
            }
            assert!((fast.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{n} words");
        }
    }

    #[test]
    fn unknown_words_leave_the_priors() {
        let mut c = counts();
        c.add("faq:scadenza", ["entro"]);
        let m = c.model(["faq:scadenza", "faq:quota"]);
        let p = m.probabilities(&["gatt".into()], 2);
        // Three questions taught the deadline, two the share.
        assert!((p[0] - 0.6).abs() < 1e-5, "{p:?}");
    }

    #[test]
    fn matches_the_textbook_formula() {
        // Two classes, vocabulary {a, b, c}; alpha 1: P(a|x) = (2+1)/(3+3), P(a|y) = 1/(1+3).
        let mut c = Counts {
            alpha: 1.0,
            ..Counts::default()
        };
        c.add("x", ["a", "b"]);
        c.add("x", ["a"]);
        c.add("y", ["c"]);
        let m = c.model(["x", "y"]);
        let p = m.probabilities(&["a".into()], 2);
        let (px, py) = (2.0 / 3.0 * (3.0 / 6.0), 1.0 / 3.0 * (1.0 / 4.0));
        assert!((p[0] - px / (px + py)).abs() < 1e-5, "{p:?}");
    }

    #[test]
    fn merged_counts_are_the_sum() {
        let mut a = counts();
        let mut b = Counts {
            alpha: 0.1,
            ..Counts::default()
        };
        b.add("faq:quota", ["quot"]);
        b.add("faq:new", ["nuov"]);
        a.merge(&b);
        assert_eq!(a.entries["faq:quota"].questions, 3);
        assert_eq!(a.entries["faq:quota"].words["quot"], 3);
        assert_eq!(a.entries["faq:new"].words["nuov"], 1);
    }

    #[test]
    fn bad_counts_are_refused() {
        let mut c = counts();
        c.alpha = 0.0;
        assert!(c.check().unwrap_err().contains("alpha"));
        let mut c = counts();
        c.entries.get_mut("faq:quota").unwrap().questions = 0;
        assert!(c.check().unwrap_err().contains("faq:quota"));
        assert!(counts().check().is_ok());
    }
}
