//! Excerpts of answers with the few words that carry the match marked.
//!
//! A mark helps only when it is rare: the words a question shares with almost every
//! entry (`bando`, `welfare`), question words, call names and everyday words (`essere`,
//! `già`, `momento`) stay plain. Telegram shows marks in bold; a terminal in bold too,
//! and piped output without any mark (see [`crate::reply::Rich`]).

use std::borrow::Cow;
use std::collections::HashSet;

use super::folded::each_folded;
use super::{Analysed, SearchIndex, tokens_at};
use crate::kept::{Kept, Size, block};
use crate::reply::{Rich, Span};

/// Where an excerpt's words are marked: byte ranges of its text.
type Marks = Vec<(usize, usize)>;

/// The marks an index found, by text and wanted stems (see `crate::kept`): an answer's
/// text is folded and each of its words looked up to find them, and a question asked
/// again shows the same entries with the same marks.
pub(super) type MarksKept = Kept<Marks>;

/// The budget of an index's [`MarksKept`] (its keys hold whole answer texts).
pub(super) const MARKS_BYTES: usize = 256 << 10;

impl Size for Marks {
    fn size(&self) -> usize {
        std::mem::size_of::<Marks>()
            + block(self.capacity() * std::mem::size_of::<(usize, usize)>())
    }
}

/// A word is marked only when at most this share of the entries holds it.
const MAX_MARKED_SHARE: f32 = 0.12;
/// Shorter words are never marked.
const MIN_MARKED_CHARS: usize = 4;
/// Everyday words that carry no content of their own, folded: never marked, however rare
/// in the pack.
const UNMARKED: &[&str] = &[
    "essere",
    "stato",
    "stata",
    "stati",
    "state",
    "gia",
    "momento",
    "ancora",
    "sempre",
    "solo",
    "anche",
    "molto",
    "poco",
    "tutto",
    "tutti",
    "tutte",
    "ogni",
    "altro",
    "altri",
    "altra",
    "altre",
    "modo",
    "volta",
    "volte",
    "parte",
    "caso",
    "casi",
    "cosa",
    "cose",
    "tempo",
    "oggi",
    "adesso",
    "fare",
    "dare",
    "avere",
    "dire",
    "andare",
    "venire",
    "potere",
    "dovere",
    "volere",
    "stesso",
    "stessa",
    "quindi",
    "invece",
    "prima",
    "dopo",
    "oltre",
    "circa",
    "bene",
    "tipo",
    "esempio",
    "particolare",
    "generale",
    "possibile",
    "anno",
    "anni",
    "giorno",
    "giorni",
    "fine",
    "inizio",
    "nuovo",
    "nuova",
    "grande",
    "piccolo",
];

impl SearchIndex {
    /// Whether a stem is rare enough in the pack for its words to be marked.
    fn worth_marking(&self, stem: &str) -> bool {
        let df = self.df.get(stem).copied().unwrap_or(0) as f32;
        let n = self.entries.len().max(1) as f32;
        df <= (MAX_MARKED_SHARE * n).max(3.0)
    }

    /// The stems of a text with their byte offsets, as the stemming analyzer gives them:
    /// the text is folded into words, and each word's stem is looked up in the table of
    /// the pack's words (stemming every word of an answer was most of an excerpt's cost).
    /// Known words' stems are borrowed from that table; the folded words are lent by
    /// [`each_folded`], not copied.
    pub(super) fn stems_at(&self, text: &str) -> Vec<(Cow<'_, str>, usize, usize)> {
        let mut out = Vec::new();
        self.each_stem_at(text, |s, a, b| out.push((s, a, b)));
        out
    }

    /// [`Self::stems_at`], each stem handed to `f` with its offsets as it is found.
    fn each_stem_at<'a>(&'a self, text: &str, mut f: impl FnMut(Cow<'a, str>, usize, usize)) {
        let mut stem = None;
        each_folded(&self.all, text, |w, a, b| {
            // The analyzers drop tokens over 40 bytes, before folding (see `analysis`).
            let known = (w.len() <= 40).then(|| self.stem_of.get(w)).flatten();
            // A known word's stem is looked up first: a stop word the table holds (from a
            // synonym phrase) has none there, as the stemming analyzer drops it.
            if known.is_none() && self.stops.contains(w) {
                return;
            }
            let s = match known {
                Some(s) => s.as_deref().map(Cow::Borrowed),
                None => tokens_at(stem.get_or_insert_with(|| self.stem.clone()), &text[a..b])
                    .into_iter()
                    .next()
                    .map(|(s, _, _)| Cow::Owned(s)),
            };
            if let Some(s) = s {
                f(s, a, b);
            }
        });
    }

    /// Where `text` holds words whose stem is `wanted` and that are worth marking (byte
    /// ranges, sorted, each once).
    fn marks_afresh(&self, text: &str, wanted: &HashSet<&str>) -> Marks {
        let mut marks: Marks = Vec::new();
        // Only the wanted stems are kept, as they are found.
        self.each_stem_at(text, |t, a, b| {
            if wanted.contains(t.as_ref())
                && text[a..b].chars().count() >= MIN_MARKED_CHARS
                && !UNMARKED.contains(&crate::fold::fold_str(&text[a..b]).as_str())
            {
                marks.push((a, b));
            }
        });
        marks.sort();
        marks.dedup();
        marks.shrink_to_fit();
        marks
    }

    /// The text with the words that match the question marked; long text is cut to the
    /// passage (paragraph) with the most matches, at most `max_chars` characters.
    pub fn excerpt(&self, q: &Analysed, text: &str, max_chars: usize) -> Rich {
        let wanted: HashSet<&str> = q
            .concepts
            .iter()
            .filter(|c| !c.light && !c.question)
            .flat_map(|c| c.stems.iter().chain(c.alt_terms.iter().flatten()))
            .filter(|s| self.worth_marking(s))
            .map(String::as_str)
            .collect();
        let marks = if wanted.is_empty() {
            Vec::new()
        } else {
            // The marks are a pure function of the text and the wanted stems: the key
            // holds both in full (the stems sorted, each with its length).
            let mut sorted: Vec<&str> = wanted.iter().copied().collect();
            sorted.sort_unstable();
            let mut key = Vec::with_capacity(text.len() + 16 * sorted.len() + 8);
            for part in std::iter::once(text).chain(sorted) {
                key.extend_from_slice(&(part.len() as u64).to_le_bytes());
                key.extend_from_slice(part.as_bytes());
            }
            self.marks.get_or(key, || self.marks_afresh(text, &wanted))
        };
        // Choose the window: the paragraph with most marks when the text is too long.
        let (from, to) = if text.chars().count() <= max_chars {
            (0, text.len())
        } else {
            let mut best: Option<(usize, usize, usize)> = None; // (marks, start, end)
            let mut start = 0;
            for para in text.split_inclusive("\n\n") {
                let end = start + para.len();
                let n = marks
                    .iter()
                    .filter(|(a, _)| *a >= start && *a < end)
                    .count();
                if best.is_none_or(|(bn, _, _)| n > bn) {
                    best = Some((n, start, end));
                }
                start = end;
            }
            let (_, s, e) = best.unwrap_or((0, 0, text.len()));
            // Cut the paragraph itself to max_chars around its first mark.
            let first = marks
                .iter()
                .find(|(a, _)| *a >= s && *a < e)
                .map(|m| m.0)
                .unwrap_or(s);
            let para_len = text[s..e].chars().count();
            if para_len <= max_chars {
                (s, e)
            } else {
                let back = text[s..first]
                    .chars()
                    .rev()
                    .take(max_chars / 3)
                    .map(char::len_utf8)
                    .sum::<usize>();
                let ws = first - back;
                let we = ws
                    + text[ws..e]
                        .chars()
                        .take(max_chars)
                        .map(char::len_utf8)
                        .sum::<usize>();
                (ws, we)
            }
        };
        let mut out = Rich::new();
        if from > 0 {
            out.text("…");
        }
        let mut pos = from;
        for (a, b) in marks.into_iter().filter(|(a, b)| *a >= from && *b <= to) {
            if a < pos {
                continue;
            }
            out.push(Span::Plain(text[pos..a].to_string()));
            out.push(Span::Mark(text[a..b].to_string()));
            pos = b;
        }
        out.push(Span::Plain(text[pos..to].trim_end().to_string()));
        if to < text.len() {
            out.text("…");
        }
        out
    }
}
