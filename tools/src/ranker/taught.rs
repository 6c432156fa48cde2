//! The counts of the taught classifier (see `sportello::search::taught`): the stems of the
//! development sets' questions under the entry each expects first. The trainer counts them, for the samples a decision model
//! is fitted or tried on, without the samples' own fold (see `train-ranker`), and writes
//! the counts of every sample into `ranker.toml`.

use sportello::search::SearchIndex;
use sportello::search::taught::Counts;

use super::Sample;

/// Smoothing of the classifier (set by cross-validation on the development sets, see
/// BENCHMARKS.md: 0.03–0.3 give the same decisions within a point).
pub const ALPHA: f32 = 0.1;

/// The samples where `keep`, each under the first entry it expects that the index holds
/// (samples expecting none teach nothing). The index adds the pack's own phrasings when
/// it reads them (`SearchIndex::taught_model`).
pub fn counts(ix: &SearchIndex, samples: &[Sample], keep: impl Fn(usize) -> bool) -> Counts {
    let mut c = Counts {
        alpha: ALPHA,
        ..Counts::default()
    };
    for s in samples
        .iter()
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .map(|(_, s)| s)
    {
        if s.pool.words.is_empty() {
            continue;
        }
        if let Some(id) = s.expect.iter().find(|id| ix.find(id).is_some()) {
            c.add(id, s.pool.words.iter().map(String::as_str));
        }
    }
    c
}

/// The samples where `keep`, with each candidate's `taught` read by the classifier of
/// `counts`.
pub fn set_taught(
    ix: &SearchIndex,
    samples: &mut [Sample],
    counts: &Counts,
    keep: impl Fn(usize) -> bool,
) {
    let model = ix.taught_model(counts);
    for (i, s) in samples.iter_mut().enumerate() {
        if !keep(i) {
            continue;
        }
        let p = model.probabilities(&s.pool.words, ix.entries().len());
        for c in &mut s.pool.candidates {
            c.taught = p[c.entry];
        }
    }
}
