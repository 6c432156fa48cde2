//! Statistics of the question log (pure): how many questions a period had, how many got
//! a confident answer, the entries most asked for, and the unanswered questions grouped
//! with alike ones (the FAQs to write). `/statistiche`, the chart and the teach flow's
//! phrasings all read the log through [`stats`].

use std::collections::{BTreeSet, HashMap};

use jiff::Timestamp;

use crate::store::AskedQuestion;

/// The question log summed up over one period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub questions: usize,
    pub confident: usize,
    /// Entry ids answered confidently, most asked first, with their count.
    pub top: Vec<(String, usize)>,
    /// Questions without a confident answer, alike ones together, largest group first.
    pub unanswered: Vec<Group>,
}

/// Alike unanswered questions.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Distinct texts, most frequent first.
    pub examples: Vec<String>,
    pub count: usize,
}

/// Two questions are alike when their stem sets overlap this much (Jaccard).
pub const ALIKE: f64 = 0.5;

/// Jaccard similarity of two sets (1 for two empty sets).
pub fn jaccard(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    let union = a.union(b).count();
    if union == 0 {
        return 1.0;
    }
    a.intersection(b).count() as f64 / union as f64
}

/// A group being built: its first question's stems, distinct texts with counts, size.
type Pending = (BTreeSet<String>, Vec<(String, usize)>, usize);

/// Sums up the questions asked at or after `since`. `stems` reduces a question to the
/// words that carry its meaning (the search analyser: folded, stop words out, stemmed).
pub fn stats(
    log: &[AskedQuestion],
    since: Timestamp,
    stems: &dyn Fn(&str) -> Vec<String>,
) -> Stats {
    let recent: Vec<&AskedQuestion> = log.iter().filter(|q| q.at >= since).collect();
    let mut top: HashMap<&str, usize> = HashMap::new();
    // (stems of the group's first question, distinct texts with counts, size)
    let mut groups: Vec<Pending> = Vec::new();
    let mut by_stem: HashMap<String, Vec<usize>> = HashMap::new();
    let mut by_text: HashMap<String, usize> = HashMap::new();
    let mut confident = 0;
    for q in &recent {
        if q.confident {
            confident += 1;
            if let Some(b) = &q.best {
                *top.entry(b.as_str()).or_default() += 1;
            }
            continue;
        }
        let set: BTreeSet<String> = stems(&q.question).into_iter().collect();
        let text = q.question.trim().to_string();
        // Compared with each group's first question, so a group cannot drift away from
        // it; only groups sharing a stem can reach the threshold, so only those are
        // looked at (the earliest one that fits wins). Questions with no meaningful word
        // (emoji, stop words) group only with the same text.
        let found = if set.is_empty() {
            *by_text.get(&text).unwrap_or(&usize::MAX)
        } else {
            let mut candidates: Vec<usize> = set
                .iter()
                .filter_map(|w| by_stem.get(w))
                .flatten()
                .copied()
                .collect();
            candidates.sort_unstable();
            candidates.dedup();
            candidates
                .into_iter()
                .find(|&g| jaccard(&groups[g].0, &set) >= ALIKE)
                .unwrap_or(usize::MAX)
        };
        match groups.get_mut(found) {
            Some((_, examples, count)) => {
                *count += 1;
                match examples.iter_mut().find(|(t, _)| *t == text) {
                    Some((_, n)) => *n += 1,
                    None => examples.push((text, 1)),
                }
            }
            None => {
                let g = groups.len();
                if set.is_empty() {
                    by_text.insert(text.clone(), g);
                }
                for w in &set {
                    by_stem.entry(w.clone()).or_default().push(g);
                }
                groups.push((set, vec![(text, 1)], 1));
            }
        }
    }
    let mut top: Vec<(String, usize)> = top.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut unanswered: Vec<Group> = groups
        .into_iter()
        .map(|(_, mut examples, count)| {
            // Stable: equally frequent texts keep the order they were first asked in.
            examples.sort_by_key(|e| std::cmp::Reverse(e.1));
            Group {
                examples: examples.into_iter().map(|(t, _)| t).collect(),
                count,
            }
        })
        .collect();
    unanswered.sort_by_key(|g| std::cmp::Reverse(g.count));
    Stats {
        questions: recent.len(),
        confident,
        top,
        unanswered,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    fn q(at: i64, text: &str, best: Option<&str>, confident: bool) -> AskedQuestion {
        AskedQuestion {
            at: t(at),
            question: text.into(),
            best: best.map(Into::into),
            confident,
        }
    }

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace()
            .filter(|w| w.len() > 2)
            .map(|w| w.to_lowercase())
            .collect()
    }

    #[test]
    fn stats_count_the_period_rank_entries_and_group_alike_questions() {
        let log = vec![
            q(10, "vecchia domanda", None, false),
            q(100, "scadenza bando", Some("faq:a"), true),
            q(101, "quando scade bando", Some("faq:a"), true),
            q(102, "chi partecipa", Some("faq:b"), true),
            q(103, "rimborso spese viaggio", None, false),
            q(104, "rimborso delle spese viaggio dipendenti", None, false),
            q(105, "rimborso spese viaggio", None, false),
            q(106, "orari ufficio", Some("faq:c"), false),
        ];
        let s = stats(&log, t(100), &words);
        assert_eq!(s.questions, 7);
        assert_eq!(s.confident, 3);
        assert_eq!(s.top, vec![("faq:a".into(), 2), ("faq:b".into(), 1)]);
        assert_eq!(s.unanswered.len(), 2);
        assert_eq!(s.unanswered[0].count, 3);
        assert_eq!(
            s.unanswered[0].examples,
            vec![
                "rimborso spese viaggio".to_string(),
                "rimborso delle spese viaggio dipendenti".to_string()
            ]
        );
        assert_eq!(s.unanswered[1].examples, vec!["orari ufficio".to_string()]);
    }

    #[test]
    fn questions_without_words_do_not_swallow_each_other() {
        let log = vec![
            q(1, "🙂", None, false),
            q(2, "??", None, false),
            q(3, "🙂", None, false),
        ];
        let s = stats(&log, t(0), &words);
        assert_eq!(s.unanswered.len(), 2);
        assert_eq!(s.unanswered[0].examples, vec!["🙂".to_string()]);
        assert_eq!(s.unanswered[0].count, 2);
    }

    #[test]
    fn jaccard_of_sets() {
        let a: BTreeSet<String> = ["x", "y"].iter().map(|s| s.to_string()).collect();
        let b: BTreeSet<String> = ["y", "z"].iter().map(|s| s.to_string()).collect();
        assert!((jaccard(&a, &b) - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(jaccard(&a, &a), 1.0);
    }
}
