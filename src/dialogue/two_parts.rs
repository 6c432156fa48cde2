//! Questions that ask two things at once (`cos'è WECARE e quanto valeva in tutto?`,
//! `quando è uscito il bando del 2022 e che servizi pagava?`): each part is read and
//! decided by itself, and when each has its own direct answer both are given, the first
//! part's first. The whole question read as one often finds an entry that is neither (a
//! measure's card that mentions both the strategy and its money).
//!
//! A second question opens after «e» (the locale's `words.and`) with one of its
//! `words.second_question` (`quanto`, `che`, `da dove`…), perhaps after one of its
//! `words.second_lead` (`e da che fondi`); a message asking three things or more is read
//! as one question, as before. A first part naming no call takes the one the
//! second part or the description names; a second part naming none asks about the call
//! of the first part's answer, and its answer must be about that same call. A second
//! part asking about each of what the first asks for (`e di cosa si occupa ciascuna?`:
//! `words.each`) is answered by the first part's answer alone (a list of the measures says
//! what each does). Kept apart
//! from the search and the decision: it only splits the words and asks
//! [`Engine::consider`] twice.

use jiff::Timestamp;

use super::Engine;
use super::pointing::answered_with;
use crate::decide::Decision;
use crate::knowledge::CallId;
use crate::text::Texts;
use crate::understand::{self, Reading};

/// Words a part needs at least to be a question of its own.
const MIN_PART: usize = 2;

/// Two direct answers to a question that asks two things.
#[derive(Debug, Clone, PartialEq)]
pub struct TwoParts {
    /// The first part's entry, with the call both are about.
    pub first: usize,
    pub call: CallId,
    /// The second part's entry.
    pub second: usize,
}

/// The words that open a second question in a language.
pub struct Openers<'a> {
    /// The conjunction before it (`e`).
    pub and: &'a [String],
    /// Its first words (`quanto`, `da dove`).
    pub question: &'a [Vec<String>],
    /// Words that may come between the two (`da`, `con`).
    pub lead: &'a [String],
}

impl<'a> Openers<'a> {
    /// The openers of the language of `tx` (`words.and`, `words.second_question`,
    /// `words.second_lead`).
    pub fn of(tx: &'a Texts) -> Self {
        Openers {
            and: tx.list("words.and"),
            question: tx.phrases("words.second_question"),
            lead: tx.list("words.second_lead"),
        }
    }
}

/// The question's words split where a second question opens (`… e quanto valeva…`):
/// the words before «e» and those after it; `None` when no second question opens, or a
/// part would be too short to ask anything. A second question opening with a question
/// word the first part has (`quanto pagava l'impresa e quanto la regione?`) asks the same
/// thing from another side: one question.
pub fn split(words: &[String], o: &Openers<'_>) -> Option<(Vec<String>, Vec<String>)> {
    // The question word a second question opens with at `at`, if one does.
    let opener_at = |at: usize| {
        o.question
            .iter()
            .find(|q| !q.is_empty() && words[at..].starts_with(q))
    };
    let asked_anew = |i: usize, q: &Vec<String>| !words[..i].contains(&q[0]);
    (MIN_PART..words.len().saturating_sub(MIN_PART))
        .filter(|&i| o.and.contains(&words[i]))
        .find(|&i| {
            let q = opener_at(i + 1).or_else(|| {
                (o.lead.contains(&words[i + 1]) && i + 2 < words.len())
                    .then(|| opener_at(i + 2))
                    .flatten()
            });
            q.is_some_and(|q| asked_anew(i, q))
        })
        .map(|i| (words[..i].to_vec(), words[i + 1..].to_vec()))
}

impl Engine<'_> {
    /// `whole`, the decision for the question read as one; or, when the question asks two
    /// things (see the module's doc), the first part's direct answer with the second
    /// part's entry ([`Engine::two_parts`]), or the first part's answer alone when the
    /// second asks about each of what it lists ([`Engine::first_part_alone`]).
    pub(super) fn both_parts(
        &self,
        tx: &Texts,
        reading: &Reading,
        session: &super::Session,
        call: Option<&CallId>,
        now: Timestamp,
        whole: Decision,
    ) -> (Decision, Option<usize>) {
        let words = understand::words_of(&reading.query);
        let openers = Openers::of(tx);
        let Some((a, b)) = split(&words, &openers) else {
            return (whole, None);
        };
        // Two questions, not more: a part that splits again is read whole (and the parts'
        // own readings never split, so this reads at most two more questions).
        if split(&a, &openers).is_some() || split(&b, &openers).is_some() {
            return (whole, None);
        }
        if understand::has_phrase(&b, tx.phrases("words.each"))
            && let Some((entry, about)) = self.first_part_alone(tx, reading, &a, session, call, now)
        {
            return (answered_with(entry, about, whole.offered()), None);
        }
        let Some(mut t) = self.two_parts(tx, reading, (&a, &b), session, call, now) else {
            return (whole, None);
        };
        // The whole question answered directly with one of the two: it stays first.
        if matches!(whole, Decision::Direct { entry, .. } if entry == t.second) {
            std::mem::swap(&mut t.first, &mut t.second);
        }
        let offered = whole.offered().into_iter().filter(|&e| e != t.second);
        (answered_with(t.first, t.call, offered), Some(t.second))
    }

    /// Both answers when `reading`'s two parts `a` and `b` (see the module's doc), each
    /// read by itself in `session` (with what the whole message says of the asker), get a
    /// direct answer of their own, about the same call; the first part's first. `None`
    /// otherwise.
    fn two_parts(
        &self,
        tx: &Texts,
        reading: &Reading,
        (a, b): (&[String], &[String]),
        session: &super::Session,
        call: Option<&CallId>,
        now: Timestamp,
    ) -> Option<TwoParts> {
        let mut a = self.part(tx, a, reading);
        let mut b = self.part(tx, b, reading);
        // A second part made only of question words (`e quali erano?`) asks about what
        // the first names: one question.
        if !self
            .index
            .with_analysis(&b.query, |an| an.content_weight() > 0.0)
        {
            return None;
        }
        // A call named only in the second part or in the description is the first
        // part's too.
        if a.named.is_empty() {
            a.named = match b.named.as_slice() {
                [c] => vec![c.clone()],
                _ => reading.named.clone(),
            };
        }
        let decided = |r: &Reading| match self.consider(tx, r, session, call, now).decision {
            Decision::Direct { entry, call, .. } => Some((entry, call)),
            _ => None,
        };
        let (first, first_call) = decided(&a)?;
        let first_call = first_call?;
        // The second part names no call: it asks about the first answer's.
        if b.named.is_empty() {
            b.named = vec![first_call.clone()];
        }
        let (second, second_call) = decided(&b)?;
        // Only a second answer about that very call (not the strategy's total after a
        // measure's card, not the deadline of a call inside the strategy after its
        // approval).
        let related = second_call.as_ref() == Some(&first_call);
        if first == second || !related {
            return None;
        }
        Some(TwoParts {
            first,
            call: first_call,
            second,
        })
    }
}

impl Engine<'_> {
    /// The first part's direct answer (its entry and call), for a second part that asks
    /// about each of the things the first one asks for (`quante sono le misure di WECARE e
    /// di cosa si occupa ciascuna?`: the locale's `words.each`): the list answers both.
    /// `None` when the first part has no direct answer.
    fn first_part_alone(
        &self,
        tx: &Texts,
        reading: &Reading,
        a: &[String],
        session: &super::Session,
        call: Option<&CallId>,
        now: Timestamp,
    ) -> Option<(usize, CallId)> {
        let mut a = self.part(tx, a, reading);
        if a.named.is_empty() {
            a.named = reading.named.clone();
        }
        match self.consider(tx, &a, session, call, now).decision {
            Decision::Direct {
                entry,
                call: Some(c),
                ..
            } => Some((entry, c)),
            _ => None,
        }
    }

    /// One part of a message read as a question of its own, with who asks and what they
    /// said of themselves in the whole message (they hold for every part).
    fn part(&self, tx: &Texts, words: &[String], whole: &Reading) -> Reading {
        let mut part = self.read(tx, &words.join(" "));
        part.profile = whole.profile.clone();
        part.audience = whole.audience.or(part.audience);
        part.context = whole.context.clone();
        part.described = whole.described;
        part
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    fn split_it(s: &str) -> Option<(Vec<String>, Vec<String>)> {
        let question: Vec<Vec<String>> = ["quanto", "quanti", "che", "da dove"]
            .iter()
            .map(|o| words(o))
            .collect();
        let o = Openers {
            and: &words("e ed"),
            question: &question,
            lead: &words("da con"),
        };
        split(&words(s), &o)
    }

    #[test]
    fn a_second_question_opens_after_e_and_a_question_word() {
        let (a, b) = split_it("cos e wecare e quanto valeva in tutto").unwrap();
        assert_eq!(a, words("cos e wecare"));
        assert_eq!(b, words("quanto valeva in tutto"));
        // After a preposition, and with a question word of several words.
        let (a, b) = split_it("wecare quanti soldi e da che fondi").unwrap();
        assert_eq!((a.len(), b), (3, words("da che fondi")));
        assert!(split_it("quanti soldi e da dove venivano").is_some());
    }

    #[test]
    fn no_second_question_without_one_or_with_a_part_too_short() {
        // «e» joining two things asked in one question.
        assert_eq!(
            split_it("le pmi e le grandi imprese possono partecipare"),
            None
        );
        // The same question word twice: one thing asked from two sides.
        assert_eq!(
            split_it("quanto pagava l impresa e quanto la regione"),
            None
        );
        // «cos e»: the «e» of a verb, at the start.
        assert_eq!(split_it("e quanto"), None);
        assert_eq!(split_it("wecare e quanto"), None);
    }
}
