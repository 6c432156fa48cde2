//! Who an entry is for, against who is asking: an entry written for the asker's audience
//! or kind of applicant comes first, one of calls the asker cannot apply to, or speaking to
//! another kind of applicant, or to an applicant without partners when the asker has some,
//! comes later. The facts about the asker are those they said of themselves (the
//! session's profile); an entry says whom it speaks to in the pack (`audience`, `askers`,
//! `alone` in `knowledge/faq/`).

use super::Context;
use super::features::Signs;
use crate::knowledge::{Applicant, Audience, Knowledge};
use crate::search::Doc;

/// An entry written for the asker's audience; an entry of calls the asker cannot apply to.
const AUDIENCE_MATCH: f32 = 1.1;
const NOT_FOR_ASKER: f32 = 0.7;
/// A FAQ that speaks to the kind of applicant the asker said they are (`askers`: a large
/// firm asking «possiamo partecipare?» is asking what the large firms' entry says); one
/// that speaks to other kinds only (a small firm does not ask the large firms' rule).
const ASKER_MATCH: f32 = 1.15;
const ASKER_OTHER: f32 = 0.85;

/// The factor an entry's score takes for who is asking (1: nothing known or nothing to
/// say), with the signs it sets for the learned models.
pub(super) fn weigh(k: &Knowledge, doc: &Doc, ctx: &Context<'_>, signs: &mut Signs) -> f32 {
    let mut factor = 1.0;
    // An entry of calls the asker cannot apply to (their kind is not among the calls'
    // applicants) is a poor answer to them; calls whose applicants the sources do not
    // list are not held against anyone, nor is an entry that says whether a call is open
    // (the same answer for anyone: `È ancora possibile partecipare?`).
    let asker_kind = ctx.applicant.or(match ctx.audience {
        Some(Audience::Cittadini) => Some(Applicant::Cittadino),
        _ => None,
    });
    let shut_out = asker_kind.is_some_and(|a| {
        !doc.for_anyone
            && !doc.calls.is_empty()
            && doc
                .calls
                .iter()
                .filter_map(|c| k.call(&c.0))
                .all(|c| !c.applicants.is_empty() && !c.applicants.contains(&a))
    });
    if ctx.audience.is_some() && doc.audience == ctx.audience {
        signs.audience_match = true;
        factor *= AUDIENCE_MATCH;
    } else if shut_out {
        signs.not_for_asker = true;
        factor *= NOT_FOR_ASKER;
    }
    // The same for an entry about applying without partners, to an asker who said whether
    // they have some.
    if doc.alone
        && let Some(partners) = ctx.partners
    {
        factor *= speaks_to(!partners, signs);
    }
    // A question about a kind of applicant (`e una grande azienda da sola?`) is asked of
    // that kind, whoever the asker is: an entry that speaks to it comes first. Only
    // first: a question may name two kinds (`una PMI con una grande impresa?`), so the
    // entries for other kinds are not set back. Not a question asking what the kind is
    // (`cosa sono gli enti aggregatori?`: a definition, not what such applicants may do).
    // (A kind that names the call asked about is not in `ctx.about`: see its doc.)
    let about = ctx.about.filter(|_| !ctx.defines);
    if let Some(kind) = about
        && doc.askers.contains(&kind)
    {
        factor *= speaks_to(true, signs);
    } else if let Some(kind) = ctx.applicant
        && !doc.askers.is_empty()
    {
        factor *= speaks_to(doc.askers.contains(&kind), signs);
    }
    factor
}

/// The factor of an entry that says whom it speaks to: the asker (`fits`) or someone else.
fn speaks_to(fits: bool, signs: &mut Signs) -> f32 {
    if fits {
        signs.audience_match = true;
        ASKER_MATCH
    } else {
        signs.not_for_asker = true;
        ASKER_OTHER
    }
}
