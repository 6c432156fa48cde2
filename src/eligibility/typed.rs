//! Typed answers: what a user writes to a question (a number, an option by its number,
//! id or label, yes or no, several options, a code) read as an [`Answer`], and an answer
//! shown back as the user would read it.
//!
//! Pure string work with the locale's words ([`Words`]); the dialogue asks again when an
//! answer is [`Rejected`].

use super::{Answer, Question, QuestionKind};

/// Words the parser of typed answers needs (from the locale).
pub struct Words<'a> {
    /// Words that open a yes or a no followed by more (`no, siamo solo noi`).
    pub lead_yes: &'a [String],
    pub lead_no: &'a [String],
    pub yes: &'a [String],
    pub no: &'a [String],
    pub all: &'a [String],
    /// How numbers are written (`60.000` / `60,000`, `60 mila` / `60k`).
    pub lang: crate::text::Lang,
}

/// Reads a number written the Italian way: `100.000 €`, `100000`, `19,5%`, `60 mila`,
/// `1,5 milioni`, `cinquantamila`, `circa 50 mila`. A dot followed by groups of exactly
/// three digits is a thousands separator; a comma is the decimal mark, but `2, 3` (a comma
/// and a space) is two numbers, so no answer (see [`crate::numbers`]).
pub fn parse_number(text: &str) -> Option<f64> {
    // `,5` or `.5` is a typo more often than a fraction: ask again.
    if text.trim_start().starts_with([',', '.']) {
        return None;
    }
    crate::numbers::parse_amount(text)
}

/// Why a typed answer was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejected {
    NotUnderstood,
    /// A text answer failing its pattern or validator.
    Invalid,
}

impl Question {
    /// Finds an option by its number (1-based), id or label; a unique option whose label
    /// contains the typed words also counts.
    pub fn find_option(&self, text: &str) -> Option<usize> {
        let folded = crate::fold::fold_str(text);
        if folded.is_empty() {
            return None;
        }
        if let Ok(n) = text.trim().trim_end_matches(['.', ')']).parse::<usize>() {
            return (n >= 1 && n <= self.options.len()).then(|| n - 1);
        }
        let labels: Vec<String> = self
            .options
            .iter()
            .map(|o| crate::fold::fold_str(&o.label))
            .collect();
        if let Some(i) = self
            .options
            .iter()
            .enumerate()
            .position(|(i, o)| labels[i] == folded || crate::fold::fold_str(&o.id) == folded)
        {
            return Some(i);
        }
        let padded = format!(" {folded} ");
        let hits: Vec<usize> = labels
            .iter()
            .enumerate()
            .filter(|(_, l)| format!(" {l} ").contains(&padded))
            .map(|(i, _)| i)
            .collect();
        (hits.len() == 1).then(|| hits[0])
    }

    /// Turns typed text into an answer for this question.
    pub fn parse(&self, text: &str, words: &Words<'_>) -> Result<Answer, Rejected> {
        let folded = crate::fold::fold_str(text);
        match self.kind {
            QuestionKind::YesNo => {
                let first = folded.split_whitespace().next().unwrap_or_default();
                let is =
                    |list: &[String], w: &str| list.iter().any(|x| crate::fold::fold_str(x) == w);
                if is(words.yes, &folded) || is(words.lead_yes, first) {
                    Ok(Answer::Bool(true))
                } else if is(words.no, &folded) || is(words.lead_no, first) {
                    Ok(Answer::Bool(false))
                } else {
                    Err(Rejected::NotUnderstood)
                }
            }
            QuestionKind::Choice => self
                .find_option(text)
                .map(|i| Answer::Choice(self.options[i].id.clone()))
                .ok_or(Rejected::NotUnderstood),
            QuestionKind::Multi => {
                if words.all.iter().any(|w| crate::fold::fold_str(w) == folded) {
                    return Ok(Answer::Multi(
                        self.options.iter().map(|o| o.id.clone()).collect(),
                    ));
                }
                let mut chosen: Vec<usize> = Vec::new();
                let parts = text
                    .split([',', ';', '+', '/'])
                    .flat_map(|p| p.split(" e "))
                    .flat_map(|p| p.split(" and "))
                    .map(str::trim)
                    .filter(|p| !p.is_empty());
                for p in parts {
                    // "1 3" as well as "1, 3".
                    let numbers: Vec<&str> = p.split_whitespace().collect();
                    if numbers.len() > 1 && numbers.iter().all(|n| n.parse::<usize>().is_ok()) {
                        for n in numbers {
                            chosen.push(self.find_option(n).ok_or(Rejected::NotUnderstood)?);
                        }
                    } else {
                        chosen.push(self.find_option(p).ok_or(Rejected::NotUnderstood)?);
                    }
                }
                if chosen.is_empty() {
                    return Err(Rejected::NotUnderstood);
                }
                // Keep the options' order so answers compare equal however typed.
                Ok(Answer::Multi(
                    self.options
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| chosen.contains(i))
                        .map(|(_, o)| o.id.clone())
                        .collect(),
                ))
            }
            QuestionKind::Number => {
                let n = match words.lang {
                    crate::text::Lang::It => parse_number(text),
                    crate::text::Lang::En => {
                        crate::numbers::english::parse_number(text).or_else(|| parse_number(text))
                    }
                }
                .ok_or(Rejected::NotUnderstood)?;
                if self.min.is_some_and(|m| n < m) || self.max.is_some_and(|m| n > m) {
                    return Err(Rejected::Invalid);
                }
                Ok(Answer::Number(n))
            }
            QuestionKind::Text => {
                let t = text.trim();
                let pattern_ok = self.pattern.as_ref().is_none_or(|re| re.is_match(t));
                let valid_ok = self.validator.is_none_or(|v| v.accepts(t));
                if t.is_empty() {
                    Err(Rejected::NotUnderstood)
                } else if pattern_ok && valid_ok {
                    Ok(Answer::Text(t.to_string()))
                } else {
                    Err(Rejected::Invalid)
                }
            }
        }
    }

    /// The answer as the user would read it in a summary (`yes`/`no` words given).
    pub fn show(
        &self,
        answer: &Answer,
        yes: &str,
        no: &str,
        skipped: &str,
        lang: crate::text::Lang,
    ) -> String {
        let label = |id: &str| {
            self.options
                .iter()
                .find(|o| o.id == id)
                .map(|o| o.label.clone())
                .unwrap_or_else(|| id.to_string())
        };
        match answer {
            Answer::Bool(true) => yes.to_string(),
            Answer::Bool(false) => no.to_string(),
            Answer::Choice(c) => label(c),
            Answer::Multi(v) => v.iter().map(|c| label(c)).collect::<Vec<_>>().join(", "),
            Answer::Number(n) => crate::text::texts(lang).number(*n, self.unit.as_deref()),
            Answer::Text(t) => t.clone(),
            Answer::Skipped => skipped.to_string(),
        }
    }
}
