//! What the decision reads and gives: the question's [`Context`] beyond its words, the
//! [`Decision`] itself, and the [`Trace`] of how sure it was (for calibration, `explain`
//! and the training tool). Kept apart from the rules that decide, which only use them.

use jiff::Timestamp;

use super::features::Pool;
use crate::knowledge::{Applicant, Audience, CallId};

/// What the question is about, beyond its words.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Calls named in the message.
    pub named: &'a [CallId],
    /// The call in focus (the session's), used when the message names none.
    pub focus: Option<&'a CallId>,
    /// Who is asking, when known.
    pub audience: Option<Audience>,
    /// The kind of applicant the asker said they are (`siamo un comune`), when known.
    pub applicant: Option<Applicant>,
    /// A kind of applicant the question asks about, not said of the asker (`e una grande
    /// azienda da sola?`): the entries that speak to that kind answer it. Not a kind that
    /// names the call asked about (`la misura del terzo settore`: a measure whose only
    /// applicants are of that kind), which says which call, not who
    /// ([`about_not_naming`]).
    pub about: Option<Applicant>,
    /// The asker applies with partner firms (`true`) or alone (`false`), when said.
    pub partners: Option<bool>,
    /// The question asks what something is (`cos'è`), not a detail of it.
    pub defines: bool,
    /// The message points away from the call in focus (`e quello per gli animali?`).
    pub switching: bool,
    /// The question speaks in the past (`potevano`): about a call that was, not one open.
    pub past: bool,
    /// The message describes the asker around its question.
    pub described: bool,
    /// The question speaks of the asker's own doing (`posso`, `possiamo`: the locale's
    /// `words.first_person`).
    pub first_person: bool,
    /// The question words it asks with (stems, see `Analysed::asks_with`).
    pub asks_with: &'a [&'a str],
    /// The entry plain BM25 ranks first for the same words: a second opinion.
    pub plain_best: Option<usize>,
    /// The phrases that open a question of that kind (an entry whose own question opens
    /// with one is an overview or a definition).
    pub define_cues: &'a [crate::fold::Phrase],
    /// Facts of a precise kind the question asks (`graduatoria`, `progetti finanziati`:
    /// terms of the locale's `words.facts` found in it, folded): only an entry whose text
    /// says them (see `entries::says`) answers it.
    pub facts: &'a [crate::fold::Phrase],
    /// The asker said they work outside the calls' territory and asks whether they may
    /// take part: the territory (`piemonte`), which only an entry that says it answers.
    pub from_elsewhere: Option<&'a crate::fold::Phrase>,
    pub now: Timestamp,
}

/// What to answer. Entries are positions in the index.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Answer `entry` directly, about `call`; offer `also` under it; sum up `lines` (an
    /// entry per other call, when the question has a different answer for each).
    Direct {
        entry: usize,
        call: Option<CallId>,
        also: Vec<usize>,
        lines: Vec<usize>,
    },
    /// Entries answering different questions with similar strength: let the user choose.
    Menu { entries: Vec<usize> },
    /// The question has a different answer for each of these calls and none is open:
    /// ask which one (each call with its best entry, open first).
    WhichCall { calls: Vec<(CallId, usize)> },
    /// Nothing answers it; `suggestions` match a little (shown as options, never as an
    /// answer).
    Nothing { suggestions: Vec<usize> },
}

/// How sure the decision was of its best entry (for calibration and `explain`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace {
    /// The best entry as weighed in context, and the best one answering something else.
    pub top: Option<usize>,
    pub rival: Option<usize>,
    /// Lead in weighed score over the rival (1 with no rival).
    pub lead: f32,
    pub coverage: f32,
    pub similarity: f32,
    pub unknown: f32,
    /// Plain BM25 puts the same answer first.
    pub agreed: bool,
    /// The sureness the rule computed, and what it needed.
    pub sureness: f32,
    pub needed: f32,
    /// The open call's answer to a question several calls answer differently.
    pub per_call: bool,
    /// The candidates and the question's signs, when the decision came to choose between
    /// a direct answer and a menu (what the learned ranker is trained on).
    pub pool: Option<Pool>,
    /// The learned decision's probability that the best entry is right, when it decided.
    pub probability: Option<f32>,
}

impl Trace {
    /// Whether the learned decision was all but certain of the best entry (its
    /// probability at least `super::CERTAIN`).
    pub fn certain(&self) -> bool {
        self.probability.is_some_and(|p| p >= super::CERTAIN)
    }
}

/// `about` unless it is the only kind of applicant of a call in `named` (see
/// [`Context::about`]).
pub fn about_not_naming(
    k: &crate::knowledge::Knowledge,
    about: Option<Applicant>,
    named: &[CallId],
) -> Option<Applicant> {
    about.filter(|kind| {
        !named
            .iter()
            .filter_map(|c| k.call(&c.0))
            .any(|c| c.applicants.as_slice() == [*kind])
    })
}
