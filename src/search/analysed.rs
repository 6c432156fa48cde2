//! What a question is made of: the analysed concepts of one message ([`Analysed`]) and
//! how the index turns text into them (stems, typo correction, synonym groups, question
//! words, words that only name a call). Ranking reads these; nothing here touches tantivy's
//! postings.

use super::HashSet;

use super::analysis::{Known, fuzzy_distance, letters, levenshtein_within, tokens};
use super::folded::each_folded;
use super::{MAX_CONCEPTS, MAX_QUERY_CHARS, SearchIndex};
use crate::fold::join_acronyms;
use crate::kept::{Kept, Size, block};
use std::sync::Arc;

/// A question analysed into concepts (a word, or a synonym group found in the question).
#[derive(Debug, Clone, Default)]
pub struct Analysed {
    pub(super) concepts: Vec<Concept>,
    /// Stems of the question words the index knows (copied here for [`Self::asks_with`]).
    pub(super) question_stems: std::sync::Arc<HashSet<String>>,
    /// True when the question was cut to [`MAX_QUERY_CHARS`].
    pub truncated: bool,
    /// Weight of the question's words that no entry has (as if each were in one entry).
    pub(super) unknown: f32,
    /// How many such words.
    pub(super) unknown_words: usize,
    /// Those words themselves (folded, after typo correction), and the stems of known
    /// words that no candidate holds (see `SearchIndex::drop_unreached`).
    pub(super) unknown_terms: Vec<String>,
    /// Weight taken off words that only name a call (it still counts as known).
    pub(super) light_weight: f32,
}

#[derive(Debug, Clone)]
pub(super) struct Concept {
    /// Stems of the user's own word(s).
    pub(super) stems: Vec<String>,
    /// Synonyms of it, each as the stems of its words (all must be found).
    pub(super) alt_terms: AltTerms,
    /// How much the concept tells entries apart (inverse document frequency).
    pub(super) weight: f32,
    /// A question word (`quando`, `quanto`…).
    pub(super) question: bool,
    /// Only names a call (see [`SearchIndex::search_light`]).
    pub(super) light: bool,
    /// How much it counts (1 for the question's own words; less for words of the context
    /// it was asked in, see [`SearchIndex::search_in_context`]).
    pub(super) scale: f32,
}

/// The other phrasings of a concept found through a synonym group: the group's stem
/// sequences, shared with the index (a question's analysis is cloned several times a
/// message, and a group has up to 51 phrasings), less the concept's own. Empty for a
/// plain word.
#[derive(Debug, Clone, Default)]
pub(super) struct AltTerms {
    /// The group's distinct stem sequences, sorted (see
    /// [`SearchIndex::stems_of_synonyms`]).
    group: Option<std::sync::Arc<[Vec<String>]>>,
    /// The position of the concept's own among them, left out.
    own: Option<usize>,
}

impl AltTerms {
    /// Each phrasing's stems, in the group's order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &Vec<String>> {
        let all: &[Vec<String>] = self.group.as_deref().unwrap_or_default();
        all.iter()
            .enumerate()
            .filter(move |&(i, _)| Some(i) != self.own)
            .map(|(_, t)| t)
    }

    /// How many phrasings.
    pub(super) fn len(&self) -> usize {
        self.group.as_deref().map_or(0, <[_]>::len) - usize::from(self.own.is_some())
    }
}

impl Analysed {
    pub fn is_empty(&self) -> bool {
        self.concepts.is_empty()
    }

    /// The stems of the question's own words (for grouping alike questions).
    pub fn stems(&self) -> Vec<String> {
        self.concepts.iter().flat_map(|c| c.stems.clone()).collect()
    }

    /// The distinct stems of the question's own words (not of the context it was read
    /// in), sorted: what the taught classifier reads (see `search::taught`).
    pub fn own_stems(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .concepts
            .iter()
            .filter(|c| c.scale >= 1.0)
            .flat_map(|c| c.stems.iter().cloned())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Share of the question's weight in words the pack does not know (0..=1): a
    /// question mostly about unknown things is not answered from what little matches.
    pub fn unknown_share(&self) -> f32 {
        let known: f32 = self.concepts.iter().map(|c| c.weight).sum::<f32>() + self.light_weight;
        if self.unknown + known <= 0.0 {
            0.0
        } else {
            self.unknown / (self.unknown + known)
        }
    }

    /// How many words of the question the pack does not know (`domani`, `telefono`).
    pub fn unknown_words(&self) -> usize {
        self.unknown_words
    }

    /// The words of the question the pack does not know, as read (folded, after typo
    /// correction), and the stems of words no candidate holds.
    pub fn unknown_terms(&self) -> &[String] {
        &self.unknown_terms
    }

    /// How many known concepts say what is asked (not question words, not call names).
    pub fn content_concepts(&self) -> usize {
        self.concepts
            .iter()
            .filter(|c| c.weight > 0.0 && !c.question && !c.light && c.scale >= 1.0)
            .count()
    }

    /// Weight of the known concepts.
    pub fn known_weight(&self) -> f32 {
        self.concepts.iter().map(|c| c.weight).sum()
    }

    /// The question words it asks with (`quando`, `chi`…), as stems.
    pub fn asks_with(&self) -> Vec<&str> {
        self.concepts
            .iter()
            .filter(|c| c.scale >= 1.0)
            .filter(|c| c.question || c.stems.iter().any(|s| self.question_stems.contains(s)))
            .flat_map(|c| c.stems.iter())
            .filter(|s| self.question_stems.contains(*s))
            .map(String::as_str)
            .collect()
    }

    /// The question only names a call (and maybe asks `cos'è`): it asks what the call is.
    pub fn names_only(&self) -> bool {
        self.unknown == 0.0
            && self.concepts.iter().any(|c| c.light)
            && self
                .concepts
                .iter()
                .all(|c| c.light || c.question || c.weight == 0.0 || c.scale < 1.0)
    }

    /// Weight of the known concepts that are not question words (`quando`, `chi`…): a
    /// question with none asks nothing the pack can tell apart.
    pub fn content_weight(&self) -> f32 {
        self.concepts
            .iter()
            .filter(|c| !c.question && !c.light && c.scale >= 1.0)
            .map(|c| c.weight)
            .sum()
    }
}

impl SearchIndex {
    pub(super) fn stem_word(&self, w: &str) -> Option<String> {
        if let Some(s) = self.stem_of.get(w) {
            return s.clone();
        }
        let mut a = self.stem.clone();
        tokens(&mut a, w).into_iter().next()
    }

    /// [`Self::stem_word`] for one analysis: a word the stem table lacks is stemmed once
    /// (typo correction stems it, and the unknown words again), with one analyzer.
    fn stem_word_in(&self, w: &str, kept: &mut Stemmed) -> Option<String> {
        if let Some(s) = self.stem_of.get(w) {
            return s.clone();
        }
        if let Some((_, s)) = kept.words.iter().find(|(k, _)| k == w) {
            return s.clone();
        }
        let a = kept.analyzer.get_or_insert_with(|| self.stem.clone());
        let s = tokens(a, w).into_iter().next();
        kept.words.push((w.to_string(), s.clone()));
        s
    }

    /// The stems of each synonym group's terms, as [`Self::analyse_afresh`] compares
    /// them: per group, the distinct non-empty stem sequences of its terms, sorted; per
    /// term, the position of its own among them (`None` when it has no stem).
    pub(super) fn stems_of_synonyms(&self) -> SynonymStems {
        let mut stems = Vec::with_capacity(self.synonyms.len());
        let mut own = Vec::with_capacity(self.synonyms.len());
        for group in &self.synonyms {
            let of_term: Vec<Vec<String>> = group
                .iter()
                .map(|t| t.iter().filter_map(|w| self.stem_word(w)).collect())
                .collect();
            let mut distinct: Vec<Vec<String>> =
                of_term.iter().filter(|t| !t.is_empty()).cloned().collect();
            distinct.sort();
            distinct.dedup();
            distinct.shrink_to_fit();
            own.push(
                of_term
                    .iter()
                    .map(|t| distinct.binary_search(t).ok())
                    .collect(),
            );
            stems.push(distinct.into());
        }
        (stems, own)
    }

    /// The word itself when the index knows it; otherwise the closest known word within
    /// the edit distance allowed for its length (ties: the more frequent word).
    fn correct(&self, w: String, kept: &mut Stemmed) -> String {
        if self.vocab.contains_key(&w) {
            return w;
        }
        // Another form of a known word (`cofinanziare` next to `cofinanziamento`) is no
        // typo: its stem already matches.
        if self
            .stem_word_in(&w, kept)
            .is_some_and(|s| self.df.contains_key(&s))
        {
            return w;
        }
        // Chat spells the hard c with a k (`kiama`, `kiuso`, `qualke`): an unknown word
        // with a k is read with the letters it stands for, when the index knows that.
        if w.contains('k') {
            let spelt = hard_c(&w);
            if self.vocab.contains_key(&spelt)
                || self
                    .stem_word_in(&spelt, kept)
                    .is_some_and(|s| self.df.contains_key(&s))
            {
                return spelt;
            }
        }
        let d = fuzzy_distance(&w) as usize;
        if d == 0 {
            return w;
        }
        let len = w.chars().count();
        let mine = letters(&w);
        let mut best: Option<(usize, u32, &str)> = None;
        for l in len.saturating_sub(d)..=len + d {
            for Known {
                word: cand,
                freq,
                letters: theirs,
            } in self.by_len.get(l).into_iter().flatten()
            {
                // Two edits that also change the length by two (`presidente` →
                // `presente`) make another word, not a typo.
                if d == 2 && l.abs_diff(len) > 1 {
                    continue;
                }
                // An edit changes at most two of the letters a word is made of: words
                // that differ in more are farther than `d` (most of the vocabulary).
                if ((mine ^ theirs).count_ones() as usize) > 2 * d {
                    continue;
                }
                let dist = levenshtein_within(&w, cand, d);
                if dist <= d
                    && best.is_none_or(|(bd, bf, _)| {
                        (dist, std::cmp::Reverse(*freq)) < (bd, std::cmp::Reverse(bf))
                    })
                {
                    best = Some((dist, *freq, cand));
                }
            }
        }
        best.map(|(_, _, c)| c.to_string()).unwrap_or(w)
    }

    /// Splits a question into concepts; synonym phrases found in it become one concept.
    ///
    /// Answering one message analyses the same text several times (is anything left to
    /// ask without the asker's words? which question words? then the search itself and
    /// the passages), and a question asked again needs the same analyses: the index
    /// keeps them (`Analyses`, bounded) and clones the one kept.
    pub fn analyse(&self, question: &str) -> Analysed {
        self.with_analysis(question, Analysed::clone)
    }

    /// Like [`Self::analyse`], lending the analysis to `f` instead of cloning it (for a
    /// look at it).
    pub fn with_analysis<R>(&self, question: &str, f: impl FnOnce(&Analysed) -> R) -> R {
        let a = self.analyses.get_or(question.as_bytes(), || {
            Arc::new(self.analyse_afresh(question).compacted())
        });
        f(&a)
    }

    fn analyse_afresh(&self, question: &str) -> Analysed {
        let truncated = question.chars().count() > MAX_QUERY_CHARS;
        let question: std::borrow::Cow<str> = if truncated {
            question
                .chars()
                .take(MAX_QUERY_CHARS)
                .collect::<String>()
                .into()
        } else {
            question.into()
        };
        // Typos first, so that a misspelt word still takes part in synonym phrases; stop
        // words stay for the phrases and are dropped after.
        let mut words: Vec<String> = Vec::new();
        let mut stemmed = Stemmed::default();
        each_folded(&self.all, &join_acronyms(&question), |w, _, _| {
            let w = w.to_string();
            words.push(if self.stops.contains(&w) {
                w
            } else {
                self.correct(w, &mut stemmed)
            });
        });
        let mut covered = vec![false; words.len()];
        let mut concepts: Vec<Concept> = Vec::new();
        // Longest phrases first, across groups: `quanti soldi` (the budget) before `soldi`
        // (a grant) takes the words. Only terms opening with a word of the question can
        // match (the others, most of them, are not compared at each position).
        // Each such term with the positions of the question where its first word stands,
        // in the terms' order and then the positions' (a term can start nowhere else).
        let mut order: Vec<(usize, usize)> = words
            .iter()
            .enumerate()
            .filter_map(|(at, w)| Some((at, self.synonym_starts.get(w)?)))
            .flat_map(|(at, terms)| terms.iter().map(move |&i| (i, at)))
            .collect();
        order.sort_unstable();
        for run in order.chunk_by(|a, b| a.0 == b.0) {
            let (g, t) = self.synonym_order[run[0].0];
            let group = &self.synonyms[g];
            let term = &group[t];
            let n = term.len();
            let Some(start) = run.iter().map(|&(_, at)| at).find(|&s| {
                s + n <= words.len()
                    && words[s..s + n] == term[..]
                    && covered[s..s + n].iter().all(|c| !c)
            }) else {
                continue;
            };
            covered[start..start + n].iter_mut().for_each(|c| *c = true);
            // The stems of the term and of the other phrasings of its group (sorted,
            // without repeats, empty ones and the term's own), stemmed when the index was
            // built.
            let stems = &self.synonym_stems[g];
            let mine = self.synonym_own[g][t];
            let own: Vec<String> = mine.map(|i| stems[i].clone()).unwrap_or_default();
            let alt = AltTerms {
                group: Some(stems.clone()),
                own: mine,
            };
            let weight = self.weight_of(self.concept_df(&own, alt.iter()));
            // A phrase whose own stems are all question words (`quanto si può
            // chiedere` is `quant` once stop words go) still asks what its group
            // means (a project's amount): it is a question word only when every
            // other phrasing of the group is one too.
            let asking = |t: &[String]| t.iter().all(|s| self.question_stems.contains(s));
            concepts.push(Concept {
                light: false,
                scale: 1.0,
                question: asking(&own) && alt.iter().all(|t| asking(t)),
                stems: own,
                alt_terms: alt,
                weight,
            });
        }
        let mut seen = HashSet::default();
        let mut unknown = 0.0;
        let mut unknown_words = 0;
        let mut unknown_terms = Vec::new();
        for (w, _) in words.iter().zip(&covered).filter(|(_, c)| !**c) {
            if !seen.insert(w.as_str()) {
                continue;
            }
            // One- and two-letter words (`va`, `ci`) say nothing on their own; acronyms
            // that short (`ue`) count through the synonyms.
            if w.chars().count() <= 2 && !w.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            let Some(s) = self.stem_word_in(w, &mut stemmed) else {
                continue;
            };
            let weight = self.weight_of(self.concept_df(std::slice::from_ref(&s), []));
            if weight == 0.0 {
                // Numbers and short words say nothing either way.
                if w.chars().count() > 3 && !w.chars().any(|c| c.is_ascii_digit()) {
                    unknown += self.unknown_weight();
                    unknown_words += 1;
                    unknown_terms.push(w.clone());
                }
                continue;
            }
            concepts.push(Concept {
                light: false,
                scale: 1.0,
                question: self.question_stems.contains(&s),
                stems: vec![s],
                alt_terms: AltTerms::default(),
                weight,
            });
        }
        concepts.truncate(MAX_CONCEPTS);
        Analysed {
            concepts,
            question_stems: self.question_stems.clone(),
            truncated,
            unknown,
            unknown_words,
            unknown_terms,
            light_weight: 0.0,
        }
    }
}

/// The stems of the words an analysis found missing from the stem table, and the
/// analyzer it stemmed them with (see [`SearchIndex::stem_word_in`]).
#[derive(Default)]
struct Stemmed {
    analyzer: Option<tantivy::tokenizer::TextAnalyzer>,
    words: Vec<(String, Option<String>)>,
}

/// Per synonym group, its terms' distinct stem sequences; per group and term, the
/// position of the term's own (see [`SearchIndex::stems_of_synonyms`]).
pub(super) type SynonymStems = (Vec<std::sync::Arc<[Vec<String>]>>, Vec<Vec<Option<usize>>>);

/// The analyses an index made, by the text analysed: an analysis is a pure function of
/// the index (which never changes once built: a reload builds a new one, with an empty
/// memory) and of the text, so the text is the whole key. Shared by the threads that
/// analyse (each runtime worker), and bounded: about [`ANALYSES_BYTES`] (a message makes
/// three or four analyses, about 600 bytes each).
pub(super) type Analyses = Kept<Arc<Analysed>>;

/// The budget of an index's [`Analyses`].
pub(super) const ANALYSES_BYTES: usize = 1 << 20;

impl Size for Arc<Analysed> {
    /// The blocks an analysis holds of its own: the index's shared parts (the question
    /// words' stems, the synonym groups) are not counted.
    fn size(&self) -> usize {
        let strings = |v: &Vec<String>| -> usize {
            block(v.capacity() * std::mem::size_of::<String>())
                + v.iter().map(|s| block(s.capacity())).sum::<usize>()
        };
        block(2 * std::mem::size_of::<usize>() + std::mem::size_of::<Analysed>())
            + block(self.concepts.capacity() * std::mem::size_of::<Concept>())
            + self
                .concepts
                .iter()
                .map(|c| strings(&c.stems))
                .sum::<usize>()
            + strings(&self.unknown_terms)
    }
}

impl Analysed {
    /// The analysis with no spare room in its vectors and strings (it is kept as it is).
    fn compacted(mut self) -> Analysed {
        let tight = |v: &mut Vec<String>| {
            v.shrink_to_fit();
            v.iter_mut().for_each(String::shrink_to_fit);
        };
        self.concepts.shrink_to_fit();
        self.concepts.iter_mut().for_each(|c| tight(&mut c.stems));
        tight(&mut self.unknown_terms);
        self
    }
}

/// A number no other index of this process has (see `memo.rs`).
pub(super) fn next_serial() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// `w` with each k written as Italian writes the sound: `ch` before e and i, else `c`.
fn hard_c(w: &str) -> String {
    let mut out = String::with_capacity(w.len() + 2);
    let mut chars = w.chars().peekable();
    while let Some(c) = chars.next() {
        if c == 'k' {
            out.push('c');
            if matches!(chars.peek(), Some('e' | 'i')) {
                out.push('h');
            }
        } else {
            out.push(c);
        }
    }
    out
}
