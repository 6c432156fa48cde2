//! Checks of the pack that are warnings, not errors: sentences that contradict the
//! pack's own data, promise what the configuration decides, or aspects that leave a re-ask
//! for another call (`e per alfa?`) without one entry to give.
//!
//! They run in `sportello check` (and in tests) at a given moment, because whether a call
//! is open depends on `now`. A warning names the file and the entry; the load still
//! succeeds, since the bot keeps working while a maintainer fixes the text.

use jiff::Timestamp;

use super::{Call, CallKind, CallStatus, Faq, HELP_DESK, Knowledge};
use crate::fold::{Phrase, has_phrase, phrase};

/// One warning about the pack.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {entry}: {message}")]
pub struct Warning {
    pub file: String,
    pub entry: String,
    pub message: String,
}

/// What a sentence says about a call's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Claim {
    Open,
    Closed,
}

/// Phrases that state a status (folded): a verb or a date with the adjective, so that
/// «un piano aperto al territorio» or «per un bando aperto» claim nothing. A negation
/// right before one drops the claim.
const OPEN_WORDS: [&str; 8] = [
    "e aperto",
    "e aperta",
    "ancora aperto",
    "ancora aperta",
    "aperto da",
    "aperta da",
    "aperto fino",
    "aperta fino",
];
const CLOSED_WORDS: [&str; 6] = [
    "e chiuso",
    "e chiusa",
    "chiuso dal",
    "chiusa dal",
    "e scaduto",
    "e scaduta",
];
const NEGATIONS: [&str; 3] = ["non", "ne", "se"];

/// Every warning of the pack at `now`.
pub fn audit(k: &Knowledge, now: Timestamp) -> Vec<Warning> {
    let mut out = Vec::new();
    for f in &k.faqs {
        out.extend(status_claims(k, f, now));
        if f.answer.contains("/operatore") {
            out.push(warning(
                f,
                format!(
                    "the answer sends to /operatore as fixed text: write {HELP_DESK} instead, \
                     filled from the configuration (staff group, contact or neither)"
                ),
            ));
        }
    }
    out.extend(shared_main_aspects(k));
    for c in &k.calls {
        for s in &c.sections {
            if s.text.contains("/operatore") {
                out.push(Warning {
                    file: c.file.display().to_string(),
                    entry: format!("{}#{}", c.id, s.id),
                    message: format!(
                        "the text sends to /operatore as fixed text: write {HELP_DESK} instead"
                    ),
                });
            }
        }
    }
    out
}

/// Sentences of an FAQ that call one of its calls open or closed against the call's
/// deadline data at `now` (e.g. «è aperto» for a call whose deadline has passed, or
/// «è chiuso» for one whose status the sources do not give).
fn status_claims(k: &Knowledge, f: &Faq, now: Timestamp) -> Vec<Warning> {
    // Calls whose status a sentence can state: those with a deadline table, not
    // strategies (a strategy is neither open nor closed; its calls are).
    let checkable = |c: &&Call| c.kind != CallKind::Strategy && c.deadline.is_some();
    let own: Vec<&Call> = f
        .calls
        .iter()
        .filter_map(|id| k.call(&id.0))
        .filter(|c| checkable(c) && c.kind == CallKind::Call)
        .collect();
    let open_words: Vec<Phrase> = OPEN_WORDS.iter().map(|w| phrase(w)).collect();
    let closed_words: Vec<Phrase> = CLOSED_WORDS.iter().map(|w| phrase(w)).collect();
    let mut out = Vec::new();
    for sentence in sentences(&f.answer) {
        let words = crate::numbers::words_of(sentence);
        // The call a sentence is about: the one it names, or else the FAQ's only call.
        // A sentence naming several calls, or a strategy, is left alone.
        let names = |c: &&Call| has_phrase(&words, &c.aliases);
        if k.calls
            .iter()
            .any(|c| c.kind == CallKind::Strategy && names(&c))
        {
            continue;
        }
        let named: Vec<&Call> = k.calls.iter().filter(checkable).filter(names).collect();
        let call = match (own.as_slice(), named.as_slice()) {
            (_, [one]) => *one,
            ([one], []) => *one,
            _ => continue,
        };
        let claim = match (claims(&words, &open_words), claims(&words, &closed_words)) {
            (true, false) => Claim::Open,
            (false, true) => Claim::Closed,
            _ => continue,
        };
        let status = call.status(now);
        let contradicts = match claim {
            Claim::Open => status == CallStatus::Closed,
            Claim::Closed => status != CallStatus::Closed,
        };
        if contradicts {
            out.push(warning(
                f,
                format!(
                    "says the call {} is {} («{}»), but its deadline data make it {} now",
                    call.id,
                    match claim {
                        Claim::Open => "open",
                        Claim::Closed => "closed",
                    },
                    sentence.trim(),
                    match status {
                        CallStatus::Open => "open",
                        CallStatus::Closed => "closed",
                        CallStatus::Unknown => "of unknown status",
                    }
                ),
            ));
        }
    }
    out
}

/// Whether `words` contain one of `phrases` not right after a negation.
fn claims(words: &[String], phrases: &[Phrase]) -> bool {
    phrases.iter().any(|p| {
        (0..words.len()).any(|i| {
            words[i..].starts_with(p)
                && !words[i.saturating_sub(2)..i]
                    .iter()
                    .any(|w| NEGATIONS.contains(&w.as_str()))
        })
    })
}

/// Lines and sentences of a text.
fn sentences(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n')
        .flat_map(split_sentences)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A line cut at ". " or "; " before a capital letter (so «A.L.Fa. (misura 1…» stays
/// whole).
fn split_sentences(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let b = line.as_bytes();
    for i in 0..b.len().saturating_sub(2) {
        if (b[i] == b'.' || b[i] == b';')
            && b[i + 1] == b' '
            && line[i + 2..].chars().next().is_some_and(char::is_uppercase)
        {
            out.push(&line[start..=i]);
            start = i + 2;
        }
    }
    out.push(&line[start..]);
    out
}

/// Two entries of one call whose main point (first aspect) is the same: a re-ask for
/// that call after an entry with that aspect finds no one entry to give (see
/// [`Knowledge::same_aspect`]).
fn shared_main_aspects(k: &Knowledge) -> Vec<Warning> {
    let mut out = Vec::new();
    for (i, f) in k.faqs.iter().enumerate() {
        let Some(main) = f.aspects.first() else {
            continue;
        };
        for g in &k.faqs[i + 1..] {
            let shared: Vec<&str> = f
                .calls
                .iter()
                .filter(|c| g.calls.contains(c))
                .map(|c| c.0.as_str())
                .collect();
            if g.aspects.first() == Some(main) && !shared.is_empty() {
                out.push(warning(
                    f,
                    format!(
                        "«{main}» is the main aspect of this entry and of «{}» (call {}): \
                         «e per …?» about that call cannot choose between them",
                        g.id,
                        shared.join(", ")
                    ),
                ));
            }
        }
    }
    out
}

fn warning(f: &Faq, message: String) -> Warning {
    Warning {
        file: f.file.display().to_string(),
        entry: f.id.clone(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::{CallId, CallKind, Deadline, DeadlineAt, DeadlineStatus};

    fn call(id: &str, deadline: Option<&str>) -> Call {
        Call {
            id: CallId(id.into()),
            kind: CallKind::Call,
            programme: String::new(),
            title: id.into(),
            short: id.into(),
            parent: None,
            funds: Vec::new(),
            budget: None,
            applicants: Vec::new(),
            territory: None,
            summary: String::new(),
            keywords: Vec::new(),
            aliases: vec![phrase(id)],
            weak_aliases: Vec::new(),
            focus_aliases: Vec::new(),
            source: String::new(),
            official_page: None,
            deadline: Some(Deadline {
                status: if deadline.is_some() {
                    DeadlineStatus::Known
                } else {
                    DeadlineStatus::Unknown
                },
                at: deadline.map(|d| DeadlineAt::parse(d).unwrap()),
                open_by: None,
                note: None,
                source: String::new(),
                history: Vec::new(),
            }),
            see_also: Vec::new(),
            sections: Vec::new(),
            file: "calls/x.toml".into(),
        }
    }

    fn faq(id: &str, calls: &[&str], answer: &str) -> Faq {
        Faq {
            id: id.into(),
            calls: calls.iter().map(|c| CallId((*c).into())).collect(),
            audience: None,
            askers: Vec::new(),
            alone: false,
            aspects: Vec::new(),
            leads_to: None,
            question: String::new(),
            alternatives: Vec::new(),
            answer: answer.into(),
            source: String::new(),
            file: "faq/x.toml".into(),
        }
    }

    #[test]
    fn a_stated_status_is_checked_against_the_deadline_data() {
        let now: Timestamp = "2026-06-01T10:00:00Z".parse().unwrap();
        let k = Knowledge {
            calls: vec![
                call("alfa", Some("2026-05-01")),
                call("beta", None),
                call("gamma", Some("2026-09-30")),
            ],
            faqs: vec![
                faq("a-open", &["alfa"], "Il bando è aperto: affrettati."),
                faq("a-closed", &["alfa"], "Il bando è chiuso dal 01/05/2026."),
                faq("b-closed", &["beta"], "Il bando è chiuso."),
                faq(
                    "b-not-open",
                    &["beta"],
                    "Non sappiamo se è aperto. Non è aperto di sicuro; un piano aperto al territorio.",
                ),
                faq(
                    "g-open",
                    &["gamma"],
                    "Il bando è aperto fino al 30/09/2026.",
                ),
                faq(
                    "two",
                    &["alfa", "gamma"],
                    "Il bando gamma è aperto.\nIl bando alfa è chiuso.\nAlfa è aperto.",
                ),
            ],
            ..Knowledge::default()
        };
        let w = audit(&k, now);
        let entries: Vec<&str> = w.iter().map(|w| w.entry.as_str()).collect();
        assert_eq!(entries, ["a-open", "b-closed", "two"], "{w:#?}");
        assert!(w[2].message.contains("Alfa è aperto"), "{w:#?}");
        // Before alfa's deadline the same sentence is true.
        let before: Timestamp = "2026-04-01T10:00:00Z".parse().unwrap();
        let entries: Vec<String> = audit(&k, before).into_iter().map(|w| w.entry).collect();
        assert_eq!(entries, ["a-closed", "b-closed", "two"]);
    }

    #[test]
    fn a_fixed_promise_of_a_person_is_reported() {
        let k = Knowledge {
            faqs: vec![
                faq("p", &[], "Scrivi /operatore."),
                faq("q", &[], "{help_desk}"),
            ],
            ..Knowledge::default()
        };
        let w = audit(&k, Timestamp::UNIX_EPOCH);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].entry, "p");
    }

    #[test]
    fn two_entries_of_a_call_with_the_same_main_aspect_are_reported() {
        let with = |id: &str, calls: &[&str], aspects: &[&str]| Faq {
            aspects: aspects.iter().map(|a| (*a).to_string()).collect(),
            ..faq(id, calls, "x")
        };
        let k = Knowledge {
            faqs: vec![
                with("a", &["c"], &["scadenza", "aperto"]),
                with("b", &["c"], &["aperto", "scadenza"]),
                with("d", &["c", "e"], &["scadenza"]),
                with("f", &["e"], &["risorse"]),
                with("g", &["h"], &["scadenza"]),
            ],
            ..Knowledge::default()
        };
        let w = audit(&k, Timestamp::UNIX_EPOCH);
        assert_eq!(w.len(), 1, "{w:#?}");
        assert_eq!(w[0].entry, "a");
        assert!(
            w[0].message.contains("«d»") && w[0].message.contains("call c"),
            "{w:#?}"
        );
    }
}
