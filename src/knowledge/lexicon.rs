//! The words people use, as data: chat spellings (`knowledge/chat.toml`) and how askers
//! describe themselves (`knowledge/profile.toml`: who they are, size, sector, legal form,
//! partners, places by region, and the cues of who is asking).
//!
//! Only the shapes are here; [`crate::understand`] reads messages with them. Every phrase
//! is stored folded (lower case, no accents, apostrophes as spaces) as a list of words, the
//! form messages are compared in, so a file can be written with or without accents.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::files::{FileErrors, read};
use super::{Applicant, Audience, KnowledgeError};

/// A company size under the EU definition of SMEs (Recommendation 2003/361/EC).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Size {
    Micro,
    Piccola,
    Media,
    Grande,
}

impl Size {
    /// The size by headcount alone (turnover is not known from a message).
    pub fn from_employees(n: u32) -> Size {
        match n {
            0..=9 => Size::Micro,
            10..=49 => Size::Piccola,
            50..=249 => Size::Media,
            _ => Size::Grande,
        }
    }

    pub fn applicant(self) -> Applicant {
        match self {
            Size::Grande => Applicant::GrandeImpresa,
            _ => Applicant::Pmi,
        }
    }
}

pub use crate::fold::{Phrase, phrase};

/// A region and the places that count as in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Region {
    pub name: String,
    pub places: Vec<Phrase>,
}

/// Everything of `chat.toml` and `profile.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lexicon {
    /// Chat spelling → full form (the full form as written, to be read again).
    pub rewrites: Vec<(Phrase, String)>,
    /// Words that name a call without saying which (`bando`, `avviso`).
    pub generic: Vec<String>,
    pub applicants: Vec<(Applicant, Vec<Phrase>)>,
    pub sizes: Vec<(Size, Vec<Phrase>)>,
    pub firm: Vec<Phrase>,
    pub employees: Vec<Phrase>,
    pub legal_forms: Vec<(String, Vec<Phrase>)>,
    pub sectors: Vec<(String, Vec<Phrase>)>,
    pub partners_yes: Vec<Phrase>,
    pub partners_no: Vec<Phrase>,
    pub value_cues: Vec<Phrase>,
    pub cofinancing_cues: Vec<Phrase>,
    /// Words after which the asker describes themselves (`siamo`, `la nostra`).
    pub self_cues: Vec<Phrase>,
    /// Words that, right before a self cue, make it part of a question (`cosa sono gli
    /// enti aggregatori?` asks what they are; the asker did not say they are one).
    pub not_self: Vec<String>,
    /// A worker's role said of oneself without an article (`sono impiegata`): the asker
    /// is a private person only when the question also asks for themselves (`personal`);
    /// an employee often writes for the employer (`il titolare mi ha chiesto…`).
    pub employee_role: Vec<Phrase>,
    /// Words that ask for the asker as a person (`posso chiedere io`, `io personalmente`).
    pub personal: Vec<Phrase>,
    /// What a project value and a co-financing share stand for in a question (the words
    /// search reads in place of the number).
    pub value_means: String,
    pub cofinancing_means: String,
    /// Words asking how much of a project's value the grant pays (`quanto ci danno?`
    /// after `progetto da 200.000 €`), and what search then reads in place of the value
    /// (the share the call covers, not the project's limits).
    pub grant_cues: Vec<Phrase>,
    pub grant_means: String,
    /// Words that make such a question one about the call's limits after all (`qual è
    /// il contributo massimo? 250k?`).
    pub limit_cues: Vec<Phrase>,
    pub audience: Vec<(Audience, Vec<Phrase>)>,
    pub regions: Vec<Region>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChat {
    #[serde(default)]
    generic: Vec<String>,
    #[serde(default)]
    rewrite: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    #[serde(default)]
    applicant: BTreeMap<Spanned<String>, Vec<String>>,
    #[serde(default)]
    size: BTreeMap<Spanned<String>, Vec<String>>,
    #[serde(default)]
    words: RawWords,
    #[serde(default)]
    legal_form: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    sector: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    partners: RawPartners,
    #[serde(default)]
    audience: BTreeMap<Spanned<String>, Vec<String>>,
    #[serde(default)]
    region: Vec<RawRegion>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawWords {
    #[serde(default)]
    firm: Vec<String>,
    #[serde(default)]
    employees: Vec<String>,
    #[serde(default)]
    value: Vec<String>,
    #[serde(default)]
    cofinancing: Vec<String>,
    #[serde(rename = "self", default)]
    self_cues: Vec<String>,
    #[serde(default)]
    not_self: Vec<String>,
    #[serde(default)]
    employee_role: Vec<String>,
    #[serde(default)]
    personal: Vec<String>,
    #[serde(default)]
    value_means: String,
    #[serde(default)]
    cofinancing_means: String,
    #[serde(default)]
    grant: Vec<String>,
    #[serde(default)]
    grant_means: String,
    #[serde(default)]
    limits: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPartners {
    #[serde(default)]
    yes: Vec<String>,
    #[serde(default)]
    no: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegion {
    name: String,
    places: Vec<String>,
}

fn phrases(list: &[String]) -> Vec<Phrase> {
    list.iter()
        .map(|s| phrase(s))
        .filter(|p| !p.is_empty())
        .collect()
}

/// A key of a table naming one value of an enum (`grande-impresa`), or an error at it.
fn named<T: for<'de> Deserialize<'de>>(
    key: &Spanned<String>,
    what: &str,
    fe: &mut FileErrors<'_>,
) -> Option<T> {
    match T::deserialize(toml::Value::String(key.get_ref().clone())) {
        Ok(v) => Some(v),
        Err(_) => {
            fe.at(
                key.span().start,
                format!("unknown {what} «{}»", key.get_ref()),
            );
            None
        }
    }
}

/// Reads `chat.toml` and `profile.toml` of a knowledge directory (both optional).
pub(crate) fn load_lexicon(dir: &Path, errors: &mut Vec<KnowledgeError>) -> Lexicon {
    let mut lx = Lexicon::default();
    let chat = dir.join("chat.toml");
    if chat.exists()
        && let Some(src) = read(&chat, errors)
    {
        let mut fe = FileErrors {
            path: &chat,
            src: &src,
            out: errors,
        };
        match toml::from_str::<RawChat>(&src) {
            Ok(raw) => {
                lx.generic = raw.generic.iter().flat_map(|g| phrase(g)).collect();
                for (from, to) in raw.rewrite {
                    let p = phrase(&from);
                    if p.is_empty() || to.trim().is_empty() {
                        let at = src.find(&from).unwrap_or(0);
                        fe.at(at, format!("rewrite «{from}»: both sides need words"));
                    } else {
                        lx.rewrites.push((p, to));
                    }
                }
                // Longer spellings first, so that `cosa e` wins over `cosa`.
                lx.rewrites.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
            }
            Err(e) => fe.toml(e),
        }
    }
    let profile = dir.join("profile.toml");
    if profile.exists()
        && let Some(src) = read(&profile, errors)
    {
        let mut fe = FileErrors {
            path: &profile,
            src: &src,
            out: errors,
        };
        match toml::from_str::<RawProfile>(&src) {
            Ok(raw) => {
                for (k, v) in &raw.applicant {
                    if let Some(a) = named::<Applicant>(k, "applicant", &mut fe) {
                        lx.applicants.push((a, phrases(v)));
                    }
                }
                for (k, v) in &raw.size {
                    if let Some(s) =
                        named::<Size>(k, "size (micro, piccola, media, grande)", &mut fe)
                    {
                        lx.sizes.push((s, phrases(v)));
                    }
                }
                for (k, v) in &raw.audience {
                    if let Some(a) = named::<Audience>(k, "audience", &mut fe) {
                        lx.audience.push((a, phrases(v)));
                    }
                }
                lx.firm = phrases(&raw.words.firm);
                lx.employees = phrases(&raw.words.employees);
                lx.legal_forms = raw
                    .legal_form
                    .iter()
                    .map(|(k, v)| (k.clone(), phrases(v)))
                    .collect();
                lx.sectors = raw
                    .sector
                    .iter()
                    .map(|(k, v)| (k.clone(), phrases(v)))
                    .collect();
                lx.partners_yes = phrases(&raw.partners.yes);
                lx.partners_no = phrases(&raw.partners.no);
                lx.value_cues = phrases(&raw.words.value);
                lx.cofinancing_cues = phrases(&raw.words.cofinancing);
                lx.self_cues = phrases(&raw.words.self_cues);
                lx.not_self = phrases(&raw.words.not_self).into_iter().flatten().collect();
                lx.employee_role = phrases(&raw.words.employee_role);
                lx.personal = phrases(&raw.words.personal);
                lx.value_means = raw.words.value_means.clone();
                lx.cofinancing_means = raw.words.cofinancing_means.clone();
                lx.grant_cues = phrases(&raw.words.grant);
                lx.grant_means = raw.words.grant_means.clone();
                lx.limit_cues = phrases(&raw.words.limits);
                lx.regions = raw
                    .region
                    .iter()
                    .map(|r| Region {
                        name: r.name.clone(),
                        places: phrases(&r.places),
                    })
                    .collect();
                if !lx.regions.iter().any(|r| r.name == "Piemonte") && !lx.regions.is_empty() {
                    fe.at(0, "the regions must include «Piemonte»");
                }
            }
            Err(e) => fe.toml(e),
        }
    }
    lx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_are_folded_words() {
        assert_eq!(phrase("S.r.l."), vec!["srl"]);
        assert_eq!(
            phrase("Società  a responsabilità"),
            vec!["societa", "a", "responsabilita"]
        );
        assert_eq!(
            phrase("nessun'altra azienda"),
            vec!["nessun", "altra", "azienda"]
        );
    }

    #[test]
    fn sizes_by_headcount() {
        assert_eq!(Size::from_employees(9), Size::Micro);
        assert_eq!(Size::from_employees(12), Size::Piccola);
        assert_eq!(Size::from_employees(249), Size::Media);
        assert_eq!(Size::from_employees(1200), Size::Grande);
    }
}
