//! Training the learned ranker (`train-ranker`): what the engine sees of each question of
//! the development sets, two small logistic models fitted on it, chosen by
//! cross-validation, and written as the pack's `ranker.toml`.
//!
//! - Samples: every question and conversation turn of the sets is read and considered by
//!   the engine with its hand-set rules (the ranker file is set aside), in the session it
//!   would have (conversations carry theirs from turn to turn); when the decision comes
//!   to choose between a direct answer and a menu, its [`Pool`] of candidates is kept,
//!   each candidate labelled by whether the set expects it.
//! - *rerank*: a listwise logistic model (softmax over a question's candidates, the
//!   expected ones as the target), fitted by Newton's method with an L2 penalty.
//! - *decide*: a logistic model of "the best candidate is right", fitted on the
//!   out-of-fold rerank scores (as it will meet unseen questions), and a threshold on its
//!   probability that maximises right minus `cost` × wrong direct answers, out of fold.
//!   One of its features is the best entry's *prior*: how often that entry was right when
//!   it came first ([`priors`]), counted on other folds than the question's own (so the
//!   model learns how much a prior counted elsewhere is worth, not the question's own
//!   label); the file carries the prior counted on every sample.
//!
//! Folds keep a conversation's turns together. Only development sets are read: the
//! held-out sets are for measuring, never for training or choosing.

// Matrix code (Newton steps on 20-odd weights) reads best with plain indices.
#![allow(clippy::needless_range_loop)]

mod priors;
pub mod taught;
pub use priors::{priors, set_priors};

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;
use sportello::app::Brain;
use sportello::decide::{ND, NR, Pool};
use sportello::dialogue::{Event, Session, Settings};
use sportello::search::{DECIDE_FEATURES, RERANK_FEATURES, SearchIndex};
use sportello::text::Lang;

#[derive(Deserialize, Default)]
struct Set {
    #[serde(default)]
    q: Vec<Item>,
    #[serde(default)]
    conv: Vec<Conv>,
}

#[derive(Deserialize)]
struct Item {
    text: String,
    #[serde(default)]
    expect: Vec<String>,
}

#[derive(Deserialize)]
struct Conv {
    turn: Vec<Item>,
}

/// One question that reached the decision between a direct answer and a menu.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Questions of one conversation share a group (they go to the same fold).
    pub group: usize,
    pub pool: Pool,
    /// Per candidate: the set expects it.
    pub right: Vec<bool>,
    /// The set expects some answer (not "non lo so").
    pub answerable: bool,
    /// What the hand-set rules did: answered directly, with a right entry.
    pub hand_direct: bool,
    pub hand_right: bool,
    /// The turn of a conversation (0 for a single question).
    pub turn: usize,
    /// The entries the set expects (the first one the index holds teaches the taught
    /// classifier, see `taught`).
    pub expect: Vec<String>,
}

/// Everything the engine saw of a language's development sets.
pub struct Data {
    pub samples: Vec<Sample>,
    /// Items read, and how many of them expect an answer.
    pub items: usize,
    pub answerable: usize,
}

/// The moment every question is asked at (as in the tests): 1 December 2026, 10:00 in Rome.
pub fn now() -> jiff::Timestamp {
    "2026-12-01T09:00:00Z".parse().expect("a valid instant")
}

/// Reads the development sets `names` (in `dir`) through the engine in `lang`.
pub fn collect(brain: &Brain, dir: &Path, names: &[String], lang: Lang) -> anyhow::Result<Data> {
    let settings = Settings::default();
    let whole = brain.engine(&settings);
    let engine = whole.in_lang(lang);
    let tx = sportello::text::texts(lang);
    let mut data = Data {
        samples: Vec::new(),
        items: 0,
        answerable: 0,
    };
    let mut group = 0;
    let fresh = || Session {
        lang,
        ..Session::default()
    };
    for name in names {
        let raw = std::fs::read_to_string(dir.join(name))
            .map_err(|e| anyhow::anyhow!("{}: {e}", dir.join(name).display()))?;
        let set: Set = toml::from_str(&raw).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        let one = |item: &Item, session: &Session, group: usize, turn: usize, data: &mut Data| {
            data.items += 1;
            let answerable = !item.expect.is_empty();
            data.answerable += usize::from(answerable);
            let reading = engine.read(tx, &item.text);
            let mut s = session.clone();
            s.profile.merge(&reading.profile);
            let c = engine.consider(tx, &reading, &s, None, now());
            let Some(pool) = c.trace.pool.clone() else {
                return;
            };
            let id = |e: usize| engine.index.entry(e).doc.id.clone();
            let right: Vec<bool> = pool
                .candidates
                .iter()
                .map(|c| item.expect.contains(&id(c.entry)))
                .collect();
            let (hand_direct, hand_right) = match &c.decision {
                sportello::decide::Decision::Direct { entry, .. } => {
                    (true, item.expect.contains(&id(*entry)))
                }
                _ => (false, false),
            };
            data.samples.push(Sample {
                group,
                pool,
                right,
                answerable,
                hand_direct,
                hand_right,
                turn,
                expect: item.expect.clone(),
            });
        };
        for item in &set.q {
            one(item, &fresh(), group, 0, &mut data);
            group += 1;
        }
        for conv in &set.conv {
            let mut session = fresh();
            for (k, turn) in conv.turn.iter().enumerate() {
                one(turn, &session, group, k + 1, &mut data);
                session = whole
                    .handle(session, &Event::Text(turn.text.clone()), now())
                    .session;
            }
            group += 1;
        }
    }
    Ok(data)
}

/// Solves `a x = b` (Gaussian elimination with partial pivoting; `a` is small).
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for col in 0..n {
        let p = (col..n)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap_or(col);
        a.swap(col, p);
        b.swap(col, p);
        let d = a[col][col];
        if d.abs() < 1e-12 {
            continue;
        }
        for r in 0..n {
            if r != col {
                let f = a[r][col] / d;
                if f != 0.0 {
                    for c in col..n {
                        a[r][c] -= f * a[col][c];
                    }
                    b[r] -= f * b[col];
                }
            }
        }
    }
    (0..n)
        .map(|i| {
            if a[i][i].abs() < 1e-12 {
                0.0
            } else {
                b[i] / a[i][i]
            }
        })
        .collect()
}

fn dot(w: &[f64], x: &[f64]) -> f64 {
    w.iter().zip(x).map(|(a, b)| a * b).sum()
}

/// Newton's method, with step halving, on a convex loss given its value, gradient and
/// Hessian at `w` (an L2 penalty `l2` on every weight but the first, the bias, is added
/// here).
fn newton(n: usize, l2: f64, step: impl Fn(&[f64]) -> (f64, Vec<f64>, Vec<Vec<f64>>)) -> Vec<f64> {
    let penalised = |w: &[f64]| {
        let (loss, mut g, mut h) = step(w);
        let mut loss = loss;
        for j in 1..n {
            loss += 0.5 * l2 * w[j] * w[j];
            g[j] += l2 * w[j];
            h[j][j] += l2;
        }
        // A tiny ridge on the bias too, for features constant in a fold.
        h[0][0] += 1e-6;
        (loss, g, h)
    };
    let mut w = vec![0.0; n];
    let (mut loss, mut g, mut h) = penalised(&w);
    for _ in 0..50 {
        let d = solve(h.clone(), g.clone());
        let mut t = 1.0;
        let mut moved = false;
        for _ in 0..30 {
            let next: Vec<f64> = w.iter().zip(&d).map(|(w, d)| w - t * d).collect();
            let (l, g2, h2) = penalised(&next);
            if l.is_finite() && l <= loss {
                let done = loss - l < 1e-9 * (1.0 + loss.abs());
                w = next;
                (loss, g, h) = (l, g2, h2);
                moved = !done;
                break;
            }
            t *= 0.5;
        }
        if !moved {
            break;
        }
    }
    w
}

/// A logistic regression: rows and 0/1 labels.
pub fn fit_logistic(rows: &[Vec<f64>], ys: &[f64], l2: f64) -> Vec<f64> {
    let n = rows.first().map_or(0, Vec::len);
    newton(n, l2, |w| {
        let mut g = vec![0.0; n];
        let mut h = vec![vec![0.0; n]; n];
        let mut loss = 0.0;
        for (x, y) in rows.iter().zip(ys) {
            let z = dot(w, x);
            // log(1 + e^z) - y z, computed without overflow.
            loss += z.max(0.0) + (-z.abs()).exp().ln_1p() - y * z;
            let p = 1.0 / (1.0 + (-z).exp());
            let v = (p * (1.0 - p)).max(1e-9);
            for i in 0..n {
                g[i] += (p - y) * x[i];
                for j in 0..n {
                    h[i][j] += v * x[i] * x[j];
                }
            }
        }
        (loss, g, h)
    })
}

/// A listwise (softmax) ranking model: per question its candidates' rows and the
/// target share of each (the expected ones share 1).
pub fn fit_listwise(groups: &[(Vec<Vec<f64>>, Vec<f64>)], l2: f64) -> Vec<f64> {
    let n = groups
        .iter()
        .find_map(|(r, _)| r.first().map(Vec::len))
        .unwrap_or(0);
    newton(n, l2, |w| {
        let mut g = vec![0.0; n];
        let mut h = vec![vec![0.0; n]; n];
        let mut loss = 0.0;
        for (rows, t) in groups {
            let z: Vec<f64> = rows.iter().map(|x| dot(w, x)).collect();
            let m = z.iter().copied().fold(f64::MIN, f64::max);
            let e: Vec<f64> = z.iter().map(|z| (z - m).exp()).collect();
            let sum: f64 = e.iter().sum();
            // Cross-entropy of the target shares against the softmax.
            loss += t
                .iter()
                .zip(&z)
                .map(|(t, z)| t * (m + sum.ln() - z))
                .sum::<f64>();
            let p: Vec<f64> = e.iter().map(|e| e / sum).collect();
            let mut mean = vec![0.0; n];
            for (x, p) in rows.iter().zip(&p) {
                for j in 0..n {
                    mean[j] += p * x[j];
                }
            }
            for ((x, p), t) in rows.iter().zip(&p).zip(t) {
                for i in 0..n {
                    g[i] += (p - t) * x[i];
                    for j in 0..n {
                        h[i][j] += p * x[i] * x[j];
                    }
                }
            }
            for i in 0..n {
                for j in 0..n {
                    h[i][j] -= mean[i] * mean[j];
                }
            }
        }
        (loss, g, h)
    })
}

/// Standardisation of features (all but the first, the bias): fitted on rows, folded
/// into the weights at the end so the file holds weights on the raw features.
#[derive(Debug, Clone)]
pub struct Scale {
    mean: Vec<f64>,
    sd: Vec<f64>,
}

impl Scale {
    pub fn fit<'a>(rows: impl Iterator<Item = &'a [f32]> + Clone, n: usize) -> Scale {
        let count = rows.clone().count().max(1) as f64;
        let mut mean = vec![0.0; n];
        for r in rows.clone() {
            for j in 0..n {
                mean[j] += r[j] as f64 / count;
            }
        }
        let mut var = vec![0.0; n];
        for r in rows {
            for j in 0..n {
                var[j] += (r[j] as f64 - mean[j]).powi(2) / count;
            }
        }
        let sd = var
            .iter()
            .map(|v| if *v > 1e-12 { v.sqrt() } else { 1.0 })
            .collect();
        mean[0] = 0.0;
        Scale { mean, sd }
    }

    pub fn row(&self, x: &[f32]) -> Vec<f64> {
        let mut r: Vec<f64> = x
            .iter()
            .zip(self.mean.iter().zip(&self.sd))
            .map(|(x, (m, s))| (*x as f64 - m) / s)
            .collect();
        r[0] = 1.0;
        r
    }

    /// Weights on standardised features as weights on raw ones.
    pub fn raw(&self, w: &[f64]) -> Vec<f32> {
        let mut out: Vec<f64> = w.iter().zip(&self.sd).map(|(w, s)| w / s).collect();
        out[0] = w[0]
            - w.iter()
                .zip(self.mean.iter().zip(&self.sd))
                .skip(1)
                .map(|(w, (m, s))| w * m / s)
                .sum::<f64>();
        out.into_iter().map(|w| w as f32).collect()
    }
}

/// The fold of each group: a fixed shuffle dealt round-robin.
pub fn folds(samples: &[Sample], k: usize) -> Vec<usize> {
    let groups = samples.iter().map(|s| s.group).max().map_or(0, |g| g + 1);
    let mut order: Vec<usize> = (0..groups).collect();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for i in (1..order.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        order.swap(i, (state % (i as u64 + 1)) as usize);
    }
    let mut fold_of = vec![0; groups];
    for (pos, g) in order.into_iter().enumerate() {
        fold_of[g] = pos % k;
    }
    samples.iter().map(|s| fold_of[s.group]).collect()
}

/// Rerank weights (on raw features) fitted on `samples` where `keep`.
pub fn train_rerank(samples: &[Sample], keep: impl Fn(usize) -> bool, l2: f64) -> Vec<f32> {
    let chosen: Vec<&Sample> = samples
        .iter()
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .map(|(_, s)| s)
        .collect();
    let scale = Scale::fit(
        chosen
            .iter()
            .flat_map(|s| s.pool.candidates.iter().map(|c| &c.x[..])),
        NR,
    );
    let groups: Vec<(Vec<Vec<f64>>, Vec<f64>)> = chosen
        .iter()
        .filter(|s| s.right.iter().any(|r| *r) && s.right.len() > 1)
        .map(|s| {
            let n = s.right.iter().filter(|r| **r).count() as f64;
            (
                s.pool.candidates.iter().map(|c| scale.row(&c.x)).collect(),
                s.right
                    .iter()
                    .map(|r| if *r { 1.0 / n } else { 0.0 })
                    .collect(),
            )
        })
        .collect();
    scale.raw(&fit_listwise(&groups, l2))
}

/// A sample's candidates scored by rerank weights.
pub fn scores(s: &Sample, w: &[f32]) -> Vec<f32> {
    s.pool
        .candidates
        .iter()
        .map(|c| c.x.iter().zip(w).map(|(x, w)| x * w).sum())
        .collect()
}

/// One question as the decision meets it: its features and whether the best is right.
#[derive(Debug, Clone)]
pub struct Decided {
    pub x: [f32; ND],
    pub right: bool,
    pub answerable: bool,
}

/// The decision's view of each sample under per-sample rerank scores (`None`: the best
/// candidate could never be a direct answer).
pub fn decided(ix: &SearchIndex, samples: &[Sample], scores: &[Vec<f32>]) -> Vec<Option<Decided>> {
    samples
        .iter()
        .zip(scores)
        .map(|(s, sc)| {
            let c = s.pool.choose(ix, sc)?;
            s.pool.answerable(&c).then(|| Decided {
                x: c.x,
                right: s.right[c.top],
                answerable: s.answerable,
            })
        })
        .collect()
}

/// Decision weights (on raw features) fitted on the decided samples where `keep`.
pub fn train_decide(d: &[Option<Decided>], keep: impl Fn(usize) -> bool, l2: f64) -> Vec<f32> {
    let chosen: Vec<&Decided> = d
        .iter()
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .filter_map(|(_, d)| d.as_ref())
        .collect();
    let scale = Scale::fit(chosen.iter().map(|d| &d.x[..]), ND);
    let rows: Vec<Vec<f64>> = chosen.iter().map(|d| scale.row(&d.x)).collect();
    let ys: Vec<f64> = chosen
        .iter()
        .map(|d| f64::from(u8::from(d.right)))
        .collect();
    scale.raw(&fit_logistic(&rows, &ys, l2))
}

pub fn probability(w: &[f32], x: &[f32]) -> f32 {
    sportello::search::sigmoid(x.iter().zip(w).map(|(x, w)| x * w).sum())
}

/// The feature names, for the file.
pub fn names(n: &[&str]) -> String {
    n.iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn numbers(w: &[f32]) -> String {
    w.iter()
        .map(|w| format!("{w:.6}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A language's section of `ranker.toml`.
pub fn section(
    lang: &str,
    rerank: &[f32],
    decide: &[f32],
    threshold: f32,
    trained_on: &str,
    prior: &(HashMap<String, f32>, f32),
    taught: &sportello::search::taught::Counts,
) -> String {
    let mut out = format!(
        "[{lang}]\ntrained_on = \"{trained_on}\"\nthreshold = {threshold:.4}\nprior_default = {:.4}\nrerank_features = [{}]\nrerank = [{}]\ndecide_features = [{}]\ndecide = [{}]\n",
        prior.1,
        names(&RERANK_FEATURES),
        numbers(rerank),
        names(&DECIDE_FEATURES),
        numbers(decide),
    );
    out.push_str(&format!("\n[{lang}.prior]\n"));
    let mut ids: Vec<(&String, &f32)> = prior.0.iter().collect();
    ids.sort_by(|a, b| a.0.cmp(b.0));
    for (id, p) in ids {
        out.push_str(&format!("\"{id}\" = {p:.4}\n"));
    }
    // The taught classifier's counts, an entry a line.
    let key = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    out.push_str(&format!("\n[{lang}.taught]\nalpha = {}\n", taught.alpha));
    out.push_str(&format!("\n[{lang}.taught.entries]\n"));
    for (id, t) in &taught.entries {
        let words: Vec<String> = t
            .words
            .iter()
            .map(|(w, n)| format!("{} = {n}", key(w)))
            .collect();
        out.push_str(&format!(
            "{} = {{ questions = {}, words = {{ {} }} }}\n",
            key(id),
            t.questions,
            words.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logistic_regression_finds_a_separating_direction() {
        // y = 1 when the second feature is large.
        let rows: Vec<Vec<f64>> = (0..40)
            .map(|i| vec![1.0, (i as f64 - 20.0) / 10.0])
            .collect();
        let ys: Vec<f64> = (0..40).map(|i| f64::from(u8::from(i >= 20))).collect();
        let w = fit_logistic(&rows, &ys, 0.1);
        assert!(w[1] > 1.0, "{w:?}");
        let p = |x: f64| 1.0 / (1.0 + (-(w[0] + w[1] * x)).exp());
        assert!(p(1.5) > 0.9 && p(-1.5) < 0.1);
    }

    #[test]
    fn listwise_model_prefers_the_expected_candidate() {
        // In each group the expected candidate has the larger second feature, while the
        // third is noise.
        let groups: Vec<(Vec<Vec<f64>>, Vec<f64>)> = (0..30)
            .map(|i| {
                let noise = (i % 7) as f64 - 3.0;
                (
                    vec![vec![1.0, 1.0, noise], vec![1.0, 0.0, -noise]],
                    vec![1.0, 0.0],
                )
            })
            .collect();
        let w = fit_listwise(&groups, 0.1);
        assert!(w[1] > 1.0 && w[2].abs() < w[1], "{w:?}");
    }

    #[test]
    fn scaling_folds_back_into_raw_weights() {
        let xs: Vec<[f32; 3]> = vec![[1.0, 2.0, 10.0], [1.0, 4.0, 30.0], [1.0, 6.0, 20.0]];
        let scale = Scale::fit(xs.iter().map(|x| &x[..]), 3);
        let w = vec![0.5, 1.0, -2.0];
        let raw = scale.raw(&w);
        for x in &xs {
            let on_scaled = dot(&w, &scale.row(x));
            let on_raw: f32 = x.iter().zip(&raw).map(|(a, b)| a * b).sum();
            assert!((on_scaled as f32 - on_raw).abs() < 1e-4);
        }
    }
}
