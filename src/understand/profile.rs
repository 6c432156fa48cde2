//! Profile facts: what askers say about themselves (who they are, size and headcount,
//! where they operate, sector, legal form, partner firms, project value, co-financing
//! share), read from a message with the vocabulary of `knowledge/profile.toml`.
//!
//! The facts live in the session (stored, shown in `/privacy`, erased by `/cancellami`);
//! answers use them where the rules allow, and the eligibility check starts prefilled with
//! them. A later message overrides a fact it states again.

use serde::{Deserialize, Serialize};

use crate::knowledge::lexicon::{Lexicon, Phrase, Size};
use crate::knowledge::{Applicant, Audience};
use crate::numbers::Amount;

/// What the asker said about themselves.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Profile {
    pub applicant: Option<Applicant>,
    pub size: Option<Size>,
    /// A firm (of a size not said), e.g. `siamo un'azienda`.
    pub firm: bool,
    pub employees: Option<u32>,
    /// The place as named (`Cuneo`) and the region it counts as in (`Piemonte`).
    pub place: Option<String>,
    pub region: Option<String>,
    pub sector: Option<String>,
    pub legal_form: Option<String>,
    /// Applies with partner firms (`true`) or alone (`false`).
    pub partners: Option<bool>,
    /// Project value in euro.
    pub value: Option<f64>,
    /// Share of the cost the applicant covers, in percent.
    pub cofinancing: Option<f64>,
}

/// The region every call of the pack is in; places there count as "in Piemonte".
pub const HOME_REGION: &str = "Piemonte";

/// [`HOME_REGION`] as words, read once (every answer weighs them little).
pub fn home_words() -> &'static [String] {
    static WORDS: std::sync::LazyLock<Vec<String>> =
        std::sync::LazyLock::new(|| crate::numbers::words_of(HOME_REGION));
    &WORDS
}

impl Profile {
    pub fn is_empty(&self) -> bool {
        *self == Profile::default()
    }

    /// The kind of applicant, from the words or from the size.
    pub fn applicant(&self) -> Option<Applicant> {
        self.applicant.or(self.size.map(Size::applicant))
    }

    /// Operates in Piedmont (`None`: not said).
    pub fn in_piedmont(&self) -> Option<bool> {
        self.region.as_ref().map(|r| r == HOME_REGION)
    }

    /// Whether the asker is an employer, a citizen or a body, as far as the facts say.
    pub fn audience(&self) -> Option<Audience> {
        match self.applicant() {
            Some(Applicant::Cittadino) => Some(Audience::Cittadini),
            Some(Applicant::TerzoSettore | Applicant::EntePubblico) => Some(Audience::Enti),
            Some(Applicant::Pmi | Applicant::GrandeImpresa | Applicant::EnteAggregatore) => {
                Some(Audience::Imprese)
            }
            None if self.firm || self.employees.is_some() => Some(Audience::Imprese),
            None => None,
        }
    }

    /// Facts of `newer` replace those of `self`; the others stay.
    pub fn merge(&mut self, newer: &Profile) {
        macro_rules! take {
            ($($f:ident),*) => { $( if newer.$f.is_some() { self.$f = newer.$f.clone(); } )* };
        }
        take!(
            applicant,
            size,
            employees,
            place,
            region,
            sector,
            legal_form,
            partners,
            value,
            cofinancing
        );
        if newer.applicant.is_some() && newer.size.is_none() {
            // A new kind of applicant makes an older size meaningless (`siamo un comune`).
            if newer.applicant != self.size.map(Size::applicant) {
                self.size = None;
            }
        }
        self.firm |= newer.firm;
    }
}

/// A message's words and their bits ([`crate::fold::WordBits`]): most phrases of the
/// lexicon open with a word the message does not have, and are ruled out with one test
/// instead of a comparison at every position.
struct Said<'w> {
    words: &'w [String],
    bits: crate::fold::WordBits,
}

impl<'w> Said<'w> {
    fn new(words: &'w [String]) -> Self {
        Said {
            words,
            bits: crate::fold::WordBits::of(words),
        }
    }
}

/// Where `phrase` occurs in the words, the first start.
fn find(said: &Said<'_>, phrase: &Phrase) -> Option<usize> {
    let words = said.words;
    if phrase.is_empty() || phrase.len() > words.len() || !said.bits.may_hold(phrase) {
        return None;
    }
    (0..=words.len() - phrase.len()).find(|&i| words[i..i + phrase.len()] == phrase[..])
}

/// The first of `list` found in the words (longest phrases first), with its span.
fn first_of<'a>(said: &Said<'_>, list: &'a [Phrase]) -> Option<(usize, usize, &'a Phrase)> {
    list.iter()
        .filter_map(|p| find(said, p).map(|at| (at, p.len(), p)))
        .min_by_key(|&(at, len, _)| (at, std::cmp::Reverse(len)))
}

/// The first label of a labelled list found in the words.
fn first_label<T: Copy>(said: &Said<'_>, list: &[(T, Vec<Phrase>)]) -> Option<(T, usize, usize)> {
    list.iter()
        .filter_map(|(t, ps)| first_of(said, ps).map(|(at, len, _)| (*t, at, len)))
        .min_by_key(|&(_, at, len)| (at, std::cmp::Reverse(len)))
}

/// The end of the first cue found in `words[from..to]` (a cue may run past `to`).
fn cue_end(words: &[String], cues: &[Phrase], from: usize, to: usize) -> Option<usize> {
    let from = from.min(words.len());
    let to = to.min(words.len());
    (from..to).find_map(|i| {
        cues.iter()
            .filter(|c| words[i..].starts_with(c))
            .map(|c| i + c.len())
            .max()
    })
}

fn near(words: &[String], cues: &[Phrase], from: usize, to: usize) -> bool {
    cue_end(words, cues, from, to).is_some()
}

/// What reading a message for facts found, and the words spent on them.
#[derive(Debug, Clone, Default)]
pub struct Found {
    pub profile: Profile,
    /// Words that only describe the asker (a headcount, a place): the question without
    /// them is what search should read. Pairs of (start, end) word indices.
    pub spent: Vec<(usize, usize)>,
    /// Amounts that are what is asked about (`un progetto da 60.000 €: va bene?`): the
    /// words search reads instead of the number (`importo del progetto`).
    pub amounts: Vec<(usize, usize, String)>,
    /// Who is asking when the message gives no profile but hints at it.
    pub audience: Option<Audience>,
    /// A kind of applicant named without saying it is the asker's (`le grandi imprese
    /// possono…?`).
    pub mentioned: Option<Applicant>,
}

/// Reads the profile facts of a message (folded words, amounts found in them).
pub fn read(lx: &Lexicon, words: &[String], amounts: &[Amount]) -> Found {
    let mut f = Found::default();
    let p = &mut f.profile;
    // Who-words right after "siamo", "ho", "la nostra" describe the asker: the question
    // is elsewhere (`siamo una grande azienda…`); otherwise they may be the topic (`le
    // grandi imprese possono partecipare?`).
    // Only a kind said of oneself is a fact about the asker; any mention still hints at
    // who is asking (`un privato cittadino può…?`).
    // A phrase that itself opens with «sono», «siamo»… (`sono un dipendente`) is said of
    // oneself too.
    // A cue right after a question word is part of the question (`cosa sono gli enti
    // aggregatori?`), not a description.
    let self_cue_at = |i: usize| {
        (i == 0 || !lx.not_self.contains(&words[i - 1]))
            && lx.self_cues.iter().any(|c| words[i..].starts_with(c))
    };
    let described = |at: usize| (at.saturating_sub(6)..=at).any(self_cue_at);
    let msg = &Said::new(words);
    let mut mentioned = None;
    if let Some((a, at, len)) = first_label(msg, &lx.applicants) {
        mentioned = Some(a);
        if described(at) {
            p.applicant = Some(a);
            f.spent.push((at, at + len));
        }
    }
    // A worker's role (`sono impiegata`) makes a private asker only with a question for
    // oneself (`posso chiedere io?`): otherwise the employee may write for the firm.
    if p.applicant.is_none()
        && first_of(msg, &lx.personal).is_some()
        && let Some((at, len, _)) = first_of(msg, &lx.employee_role)
    {
        mentioned = Some(Applicant::Cittadino);
        p.applicant = Some(Applicant::Cittadino);
        f.spent.push((at, at + len));
    }
    if let Some((s, at, len)) = first_label(msg, &lx.sizes) {
        mentioned = mentioned.or(Some(s.applicant()));
        if described(at) {
            p.size = Some(s);
            f.spent.push((at, at + len));
        }
    }
    if first_of(msg, &lx.firm).is_some() {
        p.firm = true;
    }
    // Looked for only when the message has figures (most have none).
    let asks_grant = !amounts.is_empty()
        && first_of(msg, &lx.grant_cues).is_some()
        && first_of(msg, &lx.limit_cues).is_none();
    for a in amounts {
        let after = a.next;
        let headcount =
            (!a.percent && !a.euro && a.value >= 1.0 && a.value < 1e6 && a.value.fract() == 0.0)
                .then(|| cue_end(words, &lx.employees, after, after + 2))
                .flatten();
        if let Some(end) = headcount {
            let n = a.value as u32;
            p.employees = Some(n);
            if p.size.is_none()
                && p.applicant
                    .is_none_or(|x| matches!(x, Applicant::Pmi | Applicant::GrandeImpresa))
            {
                p.size = Some(Size::from_employees(n));
                p.applicant = None;
            }
            f.spent.push((a.start, end));
        } else if a.percent
            && near(
                words,
                &lx.cofinancing_cues,
                a.start.saturating_sub(6),
                after + 3,
            )
        {
            p.cofinancing = Some(a.value);
            f.amounts
                .push((a.start, after, lx.cofinancing_means.clone()));
        } else if !a.percent
            && (a.euro || near(words, &lx.value_cues, a.start.saturating_sub(4), a.start))
            && a.value >= 1000.0
        {
            p.value = Some(a.value);
            // `progetto da 200.000 €: quanto ci danno?` asks the share the grant covers.
            let means = if asks_grant && !lx.grant_means.is_empty() {
                &lx.grant_means
            } else {
                &lx.value_means
            };
            f.amounts.push((a.start, after, means.clone()));
        }
    }
    // "Da soli" before "con altre aziende": the negative phrases are the more specific.
    if first_of(msg, &lx.partners_no).is_some() {
        p.partners = Some(false);
    } else if first_of(msg, &lx.partners_yes).is_some() {
        p.partners = Some(true);
    }
    let place = lx
        .regions
        .iter()
        .filter_map(|r| first_of(msg, &r.places).map(|(at, len, _)| (r, at, len)))
        .min_by_key(|&(_, at, len)| (at, std::cmp::Reverse(len)));
    if let Some((r, at, len)) = place {
        p.region = Some(r.name.clone());
        p.place = Some(title_case(&words[at..at + len]));
    }
    if let Some((s, at, len)) = lx
        .sectors
        .iter()
        .filter_map(|(s, ps)| first_of(msg, ps).map(|(at, len, _)| (s, at, len)))
        .min_by_key(|&(_, at, len)| (at, std::cmp::Reverse(len)))
    {
        p.sector = Some(s.clone());
        // What the firm does is who asks, not what they ask about.
        f.spent.push((at, at + len));
    }
    if let Some((l, _, _)) = lx
        .legal_forms
        .iter()
        .filter_map(|(l, ps)| first_of(msg, ps).map(|(at, len, _)| (l, at, len)))
        .min_by_key(|&(_, at, len)| (at, std::cmp::Reverse(len)))
    {
        p.legal_form = Some(l.clone());
        p.firm = true;
    }
    f.mentioned = mentioned;
    let mention_audience = Profile {
        applicant: mentioned,
        ..Profile::default()
    }
    .audience();
    // Who one says one is beats the firm one mentions (`sono un dipendente di una ditta`).
    let said = Profile {
        applicant: p.applicant,
        size: p.size,
        ..Profile::default()
    }
    .audience();
    f.audience = said.or(mention_audience).or(p.audience()).or_else(|| {
        let hints: Vec<Audience> = lx
            .audience
            .iter()
            .filter(|(_, ps)| first_of(msg, ps).is_some())
            .map(|(a, _)| *a)
            .collect();
        // Only an unambiguous hint counts.
        match hints.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    });
    f
}

fn title_case(words: &[String]) -> String {
    words
        .iter()
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numbers;

    fn lexicon() -> Lexicon {
        crate::knowledge::load_dir(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"),
        )
        .expect("pack loads")
        .lexicon
    }

    fn profile(text: &str) -> Found {
        let ws = super::super::words_of(text);
        let a = numbers::amounts(&ws);
        read(&lexicon(), &ws, &a)
    }

    #[test]
    fn a_large_firm_in_turin() {
        let f = profile(
            "Siamo una grande azienda metalmeccanica di Torino, 1200 dipendenti. Possiamo partecipare al bando welfare della regione?",
        );
        let p = &f.profile;
        assert_eq!(p.applicant(), Some(Applicant::GrandeImpresa));
        assert_eq!(p.employees, Some(1200));
        assert_eq!(p.region.as_deref(), Some("Piemonte"));
        assert_eq!(p.place.as_deref(), Some("Torino"));
        assert_eq!(p.sector.as_deref(), Some("metalmeccanico"));
        assert_eq!(f.audience, Some(Audience::Imprese));
    }

    #[test]
    fn a_small_building_firm_in_novara() {
        let f = profile(
            "Sono titolare di una piccola impresa edile a Novara con 12 dipendenti e vorrei offrire il nido ai figli dei dipendenti, c'è un bando?",
        );
        let p = &f.profile;
        assert_eq!(p.size, Some(Size::Piccola));
        assert_eq!(p.applicant(), Some(Applicant::Pmi));
        assert_eq!(p.employees, Some(12));
        assert_eq!(p.in_piedmont(), Some(true));
        assert_eq!(p.sector.as_deref(), Some("edilizia"));
    }

    #[test]
    fn headcount_gives_the_size_and_other_facts_are_read() {
        let f = profile(
            "srl di Milano con 30 addetti, progetto da 150 mila euro, cofinanziamo il 30%, siamo solo noi",
        );
        let p = &f.profile;
        assert_eq!(p.size, Some(Size::Piccola));
        assert_eq!(p.in_piedmont(), Some(false));
        assert_eq!(p.value, Some(150_000.0));
        assert_eq!(p.cofinancing, Some(30.0));
        assert_eq!(p.partners, Some(false));
        assert_eq!(p.legal_form.as_deref(), Some("S.r.l."));
    }

    #[test]
    fn employers_and_citizens_are_told_apart() {
        assert_eq!(
            profile("ci sono soldi per il welfare dei dipendenti?").audience,
            Some(Audience::Imprese)
        );
        assert_eq!(
            profile("sono un privato cittadino, posso avere un contributo?").audience,
            Some(Audience::Cittadini)
        );
        assert_eq!(profile("qual è la scadenza?").audience, None);
    }

    #[test]
    fn a_worker_asking_for_themselves_is_a_private_asker_not_one_writing_for_the_firm() {
        let own = profile("sono impiegata in una fabbrica a Biella, posso fare domanda io?");
        assert_eq!(own.profile.applicant, Some(Applicant::Cittadino));
        assert_eq!(own.audience, Some(Audience::Cittadini));
        // The same role, writing for the employer: a firm, as before.
        let for_firm = profile(
            "sono impiegata in una ditta di 25 dipendenti, il titolare mi ha chiesto del bando",
        );
        assert_eq!(for_firm.profile.applicant, None);
        assert_eq!(for_firm.audience, Some(Audience::Imprese));
        // Asking for oneself without saying one is a worker: the owner asks for the firm.
        let owner = profile("ho una ditta con 12 dipendenti, posso fare domanda io?");
        assert_eq!(owner.audience, Some(Audience::Imprese));
    }
}
