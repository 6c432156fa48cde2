//! The entries' priors for the learned decision: how often each entry was right when it
//! came first on the development sets, smoothed toward the rate over all entries. The
//! trainer counts them on other folds than a question's own (see `train-ranker`), and
//! writes the table counted on every sample into `ranker.toml`.

use std::collections::HashMap;

use sportello::search::SearchIndex;

use super::Sample;

/// Per entry id, how often it was right when it came first among the samples where `keep`
/// (under per-sample `scores`), smoothed toward the rate over all of them by `k` samples;
/// and that rate, for entries never first.
pub fn priors(
    ix: &SearchIndex,
    samples: &[Sample],
    scores: &[Vec<f32>],
    keep: impl Fn(usize) -> bool,
    k: f32,
) -> (HashMap<String, f32>, f32) {
    let mut count: HashMap<String, (f32, f32)> = HashMap::new();
    let (mut right, mut all) = (0.0f32, 0.0f32);
    for (i, s) in samples.iter().enumerate().filter(|(i, _)| keep(*i)) {
        let Some(c) = s.pool.choose(ix, &scores[i]) else {
            continue;
        };
        if !s.pool.answerable(&c) {
            continue;
        }
        let r = f32::from(u8::from(s.right[c.top]));
        let id = ix.entry(s.pool.candidates[c.top].entry).doc.id.clone();
        let e = count.entry(id).or_default();
        e.0 += r;
        e.1 += 1.0;
        right += r;
        all += 1.0;
    }
    let base = if all > 0.0 { right / all } else { 0.5 };
    let table = count
        .into_iter()
        .map(|(id, (r, n))| (id, (r + k * base) / (n + k)))
        .collect();
    (table, base)
}

/// The samples with each candidate's prior taken from `table` (`default` for the others),
/// for the samples where `keep`.
pub fn set_priors(
    ix: &SearchIndex,
    samples: &mut [Sample],
    table: &(HashMap<String, f32>, f32),
    keep: impl Fn(usize) -> bool,
) {
    for (i, s) in samples.iter_mut().enumerate() {
        if !keep(i) {
            continue;
        }
        for c in &mut s.pool.candidates {
            c.prior = table
                .0
                .get(&ix.entry(c.entry).doc.id)
                .copied()
                .unwrap_or(table.1);
        }
    }
}
