//! The learned ranker: two small logistic models read from `ranker.toml` in the pack.
//!
//! - *rerank*: how likely a candidate entry answers the question, from what the engine
//!   knows of it in context (coverage, similarity, BM25, the call it belongs to, its kind…);
//!   the engine orders candidates by it.
//! - *decide*: how likely the best of them is right, from its score, its lead over the
//!   best entry that answers something else, the question's own signs and the entry's
//!   `prior` (how often, on the development sets, it was right when it came first: some
//!   entries come first for many questions they do not answer); the engine answers
//!   directly above `threshold`, otherwise offers a menu.
//!
//! The features are computed in `crate::decide::features`; their names here are the
//! file's contract: a file written for other features is refused at load (the bot then
//! fails to start or reload, and `sportello check` says why), never read wrongly. With no
//! file the engine ranks and decides with its hand-set rules. Each language's index has
//! its own weights (`[it]`, `[en]`), trained by `cargo run -p sportello-tools --bin
//! train-ranker` on the development sets only.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Deserialize;

use super::{SearchError, SearchIndex};

/// Version of the file format (and of the feature lists below).
pub const VERSION: u32 = 2;

/// The candidate features, in order (see `crate::decide::features`).
pub const RERANK_FEATURES: [&str; 25] = [
    "bias",
    "score",
    "coverage",
    "similarity",
    "coverage_x_similarity",
    "bm25",
    "rank",
    "context",
    "faq",
    "call_card",
    "section",
    "kind_mismatch",
    "asks_mismatch",
    "audience_match",
    "not_for_asker",
    "above",
    "inside",
    "general",
    "shared",
    "open",
    "closed",
    "plain_best",
    "position",
    "defines",
    "defines_asked",
];

/// The features of the decision on the best candidate, in order.
pub const DECIDE_FEATURES: [&str; 19] = [
    "bias",
    "score",
    "gap",
    "lone",
    "coverage",
    "similarity",
    "unknown",
    "agreed",
    "targets",
    "described",
    "content",
    "faq",
    "rank",
    "sureness",
    "rival_same_call",
    "share",
    "hand_sure",
    "prior",
    "taught",
];

/// One logistic model.
#[derive(Debug, Clone, PartialEq)]
pub struct Linear {
    pub weights: Vec<f32>,
}

impl Linear {
    /// The model's log-odds for a feature vector.
    pub fn logit(&self, x: &[f32]) -> f32 {
        self.weights.iter().zip(x).map(|(w, x)| w * x).sum()
    }
}

/// The probability of log-odds `z`.
pub fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// The weights of one language.
#[derive(Debug, Clone, PartialEq)]
pub struct Learned {
    pub rerank: Linear,
    pub decide: Linear,
    /// The probability from which the best candidate is answered directly.
    pub threshold: f32,
    /// Per entry id: how often it was right when it came first (smoothed toward
    /// `prior_default`, the rate over all entries, which entries not listed get).
    pub prior: HashMap<String, f32>,
    pub prior_default: f32,
    /// The counts of the taught classifier (see `super::taught`), when trained (an index
    /// turns them into its classifier and keeps only that).
    pub taught: Option<super::taught::Counts>,
}

impl Learned {
    /// The prior of the entry with this id.
    pub fn prior_of(&self, id: &str) -> f32 {
        self.prior.get(id).copied().unwrap_or(self.prior_default)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    #[serde(default)]
    note: Option<String>,
    it: Option<Section>,
    en: Option<Section>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    rerank_features: Vec<String>,
    rerank: Vec<f32>,
    decide_features: Vec<String>,
    decide: Vec<f32>,
    threshold: f32,
    #[serde(default)]
    trained_on: Option<String>,
    #[serde(default)]
    prior_default: Option<f32>,
    #[serde(default)]
    prior: BTreeMap<String, f32>,
    #[serde(default)]
    taught: Option<super::taught::Counts>,
}

/// The file's weights per language.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RankerFile {
    pub it: Option<Learned>,
    pub en: Option<Learned>,
}

fn model(names: &[String], weights: Vec<f32>, want: &[&str], what: &str) -> Result<Linear, String> {
    if names.len() != want.len() || names.iter().zip(want).any(|(a, b)| a != b) {
        return Err(format!(
            "{what}_features are not the ones this version computes ({})",
            want.join(", ")
        ));
    }
    if weights.len() != want.len() {
        return Err(format!(
            "{what} has {} weights for {} features",
            weights.len(),
            want.len()
        ));
    }
    if weights.iter().any(|w| !w.is_finite()) {
        return Err(format!("{what} has a weight that is not a finite number"));
    }
    Ok(Linear { weights })
}

impl Section {
    fn into_learned(self, lang: &str) -> Result<Learned, String> {
        let _ = self.trained_on;
        let at = |e: String| format!("[{lang}] {e}");
        let rerank = model(
            &self.rerank_features,
            self.rerank,
            &RERANK_FEATURES,
            "rerank",
        )
        .map_err(at)?;
        let decide = model(
            &self.decide_features,
            self.decide,
            &DECIDE_FEATURES,
            "decide",
        )
        .map_err(at)?;
        if !(0.0..=1.0).contains(&self.threshold) {
            return Err(at(format!("threshold {} is not in 0..=1", self.threshold)));
        }
        let prior_default = self.prior_default.unwrap_or(0.5);
        if let Some((id, p)) = std::iter::once((&"prior_default".to_string(), &prior_default))
            .chain(&self.prior)
            .find(|(_, p)| !(0.0..=1.0).contains(*p))
        {
            return Err(at(format!("prior of {id} is {p}, not in 0..=1")));
        }
        if let Some(t) = &self.taught {
            t.check().map_err(at)?;
        }
        Ok(Learned {
            rerank,
            decide,
            threshold: self.threshold,
            prior: self.prior.into_iter().collect(),
            prior_default,
            taught: self.taught,
        })
    }
}

impl RankerFile {
    /// Reads and checks a ranker file's text.
    pub fn parse(text: &str) -> Result<RankerFile, String> {
        let f: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let _ = f.note;
        if f.version != VERSION {
            return Err(format!(
                "version {} (this build reads version {VERSION}: retrain with train-ranker)",
                f.version
            ));
        }
        Ok(RankerFile {
            it: f.it.map(|s| s.into_learned("it")).transpose()?,
            en: f.en.map(|s| s.into_learned("en")).transpose()?,
        })
    }

    /// Reads `path`; `Ok(None)` when there is no such file.
    pub fn load(path: &Path) -> Result<Option<RankerFile>, SearchError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(SearchError::Ranker(format!("{}: {e}", path.display())));
            }
        };
        RankerFile::parse(&text)
            .map(Some)
            .map_err(|e| SearchError::Ranker(format!("{}: {e}", path.display())))
    }
}

impl SearchIndex {
    /// The learned weights of this index's language, when the pack has them.
    pub fn learned(&self) -> Option<&Learned> {
        self.learned.as_ref()
    }

    /// The learned decision's prior of an entry (0.5 with no ranker file).
    pub fn prior(&self, entry: usize) -> f32 {
        self.priors.get(entry).copied().unwrap_or(0.5)
    }

    /// The taught classifier's reading of a question's own stems (see
    /// `Analysed::own_stems`): the probability of any entry by position, computed for the
    /// entries asked about only; `None` without a trained classifier.
    pub fn taught(&self, stems: &[String]) -> Option<super::taught::Probabilities<'_>> {
        let m = self.taught.as_ref()?;
        Some(m.read(stems))
    }

    /// The taught classifier over this index's entries: `counts` (the ranker file's, or
    /// the training tool's out-of-fold copies) plus each FAQ's own question and
    /// alternatives as this index reads them.
    pub fn taught_model(&self, counts: &super::taught::Counts) -> super::taught::Model {
        let mut all = super::taught::Counts {
            alpha: counts.alpha,
            ..Default::default()
        };
        for e in self
            .entries
            .iter()
            .filter(|e| e.doc.kind == super::EntryKind::Faq)
        {
            for text in std::iter::once(e.doc.title.as_str()).chain(e.doc.alt.lines()) {
                let stems = self.analyse(text).own_stems();
                if !stems.is_empty() {
                    all.add(&e.doc.id, stems.iter().map(String::as_str));
                }
            }
        }
        all.merge(counts);
        all.model(self.entries.iter().map(|e| e.doc.id.as_str()))
    }

    /// Uses (or, with `None`, stops using) a ranker file: the Italian weights for this
    /// index, the English ones for its English view.
    pub fn set_ranker(&mut self, file: Option<&RankerFile>) {
        self.use_learned(file.and_then(|f| f.it.clone()));
        if let Some(en) = self.english.as_mut() {
            en.use_learned(file.and_then(|f| f.en.clone()));
        }
    }

    fn use_learned(&mut self, mut learned: Option<Learned>) {
        self.priors = match &learned {
            Some(m) => self.entries.iter().map(|e| m.prior_of(&e.doc.id)).collect(),
            None => Vec::new(),
        };
        // The counts are read once, into the classifier: not kept beside it.
        self.taught = learned
            .as_mut()
            .and_then(|m| m.taught.take())
            .map(|c| self.taught_model(&c));
        self.learned = learned;
        self.found.forget_ranked();
    }

    /// Reads `ranker.toml` of a knowledge directory, if there is one, and uses it.
    pub fn load_ranker(&mut self, dir: &Path) -> Result<(), SearchError> {
        let file = RankerFile::load(&dir.join(RANKER_FILE))?;
        self.set_ranker(file.as_ref());
        Ok(())
    }
}

/// The ranker file's name in the knowledge directory.
pub const RANKER_FILE: &str = "ranker.toml";

#[cfg(test)]
mod tests {
    use super::*;

    fn section(rerank: usize, decide: usize, threshold: f32) -> String {
        let names = |n: &[&str]| {
            n.iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let zeros = |n: usize| vec!["0.5"; n].join(", ");
        format!(
            "rerank_features = [{}]\nrerank = [{}]\ndecide_features = [{}]\ndecide = [{}]\nthreshold = {threshold}\n",
            names(&RERANK_FEATURES),
            zeros(rerank),
            names(&DECIDE_FEATURES),
            zeros(decide)
        )
    }

    #[test]
    fn a_well_formed_file_is_read() {
        let text = format!(
            "version = {VERSION}\n[it]\n{}",
            section(RERANK_FEATURES.len(), DECIDE_FEATURES.len(), 0.6)
        );
        let f = RankerFile::parse(&text).unwrap();
        let it = f.it.unwrap();
        assert_eq!(it.threshold, 0.6);
        assert_eq!(it.rerank.weights.len(), RERANK_FEATURES.len());
        assert!(f.en.is_none());
        // The logit is the dot product.
        let x = vec![2.0; RERANK_FEATURES.len()];
        assert_eq!(it.rerank.logit(&x), RERANK_FEATURES.len() as f32);
    }

    #[test]
    fn files_for_other_features_or_versions_are_refused() {
        let wrong_count = format!(
            "version = {VERSION}\n[it]\n{}",
            section(RERANK_FEATURES.len() - 1, DECIDE_FEATURES.len(), 0.6)
        );
        assert!(
            RankerFile::parse(&wrong_count)
                .unwrap_err()
                .contains("rerank has")
        );
        let old = format!(
            "version = 0\n[en]\n{}",
            section(RERANK_FEATURES.len(), DECIDE_FEATURES.len(), 0.6)
        );
        assert!(RankerFile::parse(&old).unwrap_err().contains("version 0"));
        let renamed = format!(
            "version = {VERSION}\n[it]\n{}",
            section(RERANK_FEATURES.len(), DECIDE_FEATURES.len(), 0.6)
        )
        .replace("\"coverage\"", "\"cover\"");
        assert!(
            RankerFile::parse(&renamed)
                .unwrap_err()
                .contains("rerank_features")
        );
        let threshold = format!(
            "version = {VERSION}\n[it]\n{}",
            section(RERANK_FEATURES.len(), DECIDE_FEATURES.len(), 1.5)
        );
        assert!(
            RankerFile::parse(&threshold)
                .unwrap_err()
                .contains("threshold")
        );
        let prior = format!(
            "version = {VERSION}\n[it]\n{}[it.prior]\n\"faq:x\" = 1.5\n",
            section(RERANK_FEATURES.len(), DECIDE_FEATURES.len(), 0.6)
        );
        assert!(RankerFile::parse(&prior).unwrap_err().contains("faq:x"));
    }

    #[test]
    fn entries_without_a_prior_get_the_default() {
        let text = format!(
            "version = {VERSION}\n[it]\n{}prior_default = 0.8\n[it.prior]\n\"faq:magnet\" = 0.25\n",
            section(RERANK_FEATURES.len(), DECIDE_FEATURES.len(), 0.6)
        );
        let it = RankerFile::parse(&text).unwrap().it.unwrap();
        assert_eq!(it.prior_of("faq:magnet"), 0.25);
        assert_eq!(it.prior_of("faq:other"), 0.8);
    }

    #[test]
    fn a_missing_file_is_no_ranker() {
        let dir = std::env::temp_dir().join("sportello-no-ranker-here");
        assert_eq!(RankerFile::load(&dir.join(RANKER_FILE)).unwrap(), None);
    }
}
