//! The English pack: `knowledge/en/`, texts keyed by the ids of the Italian files.
//!
//! The Italian files stay the single source of facts (ids, deadlines, rules, sources);
//! `en/` only holds English wording, one file per Italian file with the same name:
//!
//! - `en/calls/<call>.toml`: `title`, `short`, `programme`, `summary`, `budget`,
//!   `territory`, `keywords`, `aliases`, `weak_aliases` (English names, added before the
//!   Italian ones), and `[section.<id>]` with `title` and `text`;
//! - `en/faq/<file>.toml`: `[faq.<id>]` with `question`, `alternatives`, `answer`;
//! - `en/questionnaires/<file>.toml`: `title`, `intro`, `next_steps`,
//!   `[question.<id>]` with `text`, `label`, `help`, `expected` and `options` (option id
//!   → label), `[rule.<id>]` with `reason` and `fix`;
//! - `en/synonyms.toml`: more synonym groups (English words, Italian terms used in
//!   English such as `bando`, `de minimis`, `ATI`), searched with the Italian groups;
//! - `en/chat.toml`, `en/profile.toml`: the English words of self-descriptions.
//!
//! A separate tree rather than fields in the Italian files: translators never touch the
//! facts, and the Italian files stay as they are. [`english_view`] builds the pack an
//! English reader sees: every text in English where written, otherwise the Italian text
//! with a one-line English note (never a blank); names (titles, button labels) fall back
//! to Italian without a note. Sources and official pages stay Italian: they cite Italian
//! documents. An English id that the Italian files do not have is an error, with its line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::files::{FileErrors, read};
use super::lexicon::Lexicon;
use super::{Knowledge, KnowledgeError, SynonymGroup};
use crate::text::{Lang, texts};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct EnCall {
    title: Option<String>,
    short: Option<String>,
    programme: Option<String>,
    summary: Option<String>,
    budget: Option<String>,
    territory: Option<String>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    weak_aliases: Vec<String>,
    #[serde(default)]
    section: BTreeMap<String, Spanned<EnSection>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnSection {
    title: Option<String>,
    text: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct EnFaqFile {
    #[serde(default)]
    faq: BTreeMap<String, Spanned<EnFaq>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnFaq {
    question: Option<String>,
    #[serde(default)]
    alternatives: Vec<String>,
    answer: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct EnQuestionnaire {
    title: Option<String>,
    intro: Option<String>,
    #[serde(default)]
    next_steps: Vec<String>,
    #[serde(default)]
    question: BTreeMap<String, Spanned<EnQuestion>>,
    #[serde(default)]
    rule: BTreeMap<String, Spanned<EnRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnQuestion {
    text: Option<String>,
    label: Option<String>,
    help: Option<String>,
    expected: Option<String>,
    #[serde(default)]
    options: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnRule {
    reason: Option<String>,
    fix: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSynonyms {
    #[serde(default)]
    group: Vec<RawGroup>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    terms: Vec<String>,
}

/// How much of one Italian file has English text: texts counted one by one (a title, an
/// answer, an option label).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    /// The Italian file, relative to the knowledge directory (`faq/wecare.toml`).
    pub file: PathBuf,
    pub translated: usize,
    pub total: usize,
}

impl Coverage {
    pub fn percent(&self) -> usize {
        (self.translated * 100)
            .checked_div(self.total)
            .unwrap_or(100)
    }
}

/// Counts and fills texts: the English one when given, else the Italian one, with the
/// note when `noted` (running text) and without it for names.
struct Filler<'a> {
    note: &'a str,
    translated: usize,
    total: usize,
}

impl Filler<'_> {
    fn text(&mut self, it: &mut String, en: Option<String>, noted: bool) {
        if it.trim().is_empty() {
            return;
        }
        self.total += 1;
        match en.filter(|e| !e.trim().is_empty()) {
            Some(e) => {
                self.translated += 1;
                *it = e;
            }
            None if noted => *it = format!("{}\n\n{it}", self.note),
            None => {}
        }
    }

    fn opt(&mut self, it: &mut Option<String>, en: Option<String>, noted: bool) {
        if let Some(t) = it.as_mut() {
            self.text(t, en, noted);
        }
    }

    fn list(&mut self, it: &mut Vec<String>, en: Vec<String>) {
        if it.is_empty() {
            return;
        }
        self.total += 1;
        if !en.is_empty() {
            self.translated += 1;
            *it = en;
        }
    }

    fn coverage(&mut self, file: PathBuf) -> Coverage {
        let c = Coverage {
            file,
            translated: self.translated,
            total: self.total,
        };
        self.translated = 0;
        self.total = 0;
        c
    }
}

/// Reads `dir/<sub>/<name>` of the English tree as `T` (missing file: `T::default()`).
fn read_en<T: for<'de> Deserialize<'de> + Default>(
    path: &Path,
    errors: &mut Vec<KnowledgeError>,
) -> Option<(T, String)> {
    if !path.exists() {
        return Some((T::default(), String::new()));
    }
    let src = read(path, errors)?;
    let mut fe = FileErrors {
        path,
        src: &src,
        out: errors,
    };
    match toml::from_str::<T>(&src) {
        Ok(t) => Some((t, src)),
        Err(e) => {
            fe.toml(e);
            None
        }
    }
}

fn unknown(errors: &mut Vec<KnowledgeError>, path: &Path, src: &str, at: usize, what: String) {
    FileErrors {
        path,
        src,
        out: errors,
    }
    .at(at, what);
}

/// The pack in English (see the module doc) and the English coverage of each Italian
/// file. Problems in `en/` are added to `errors`.
pub fn english_view(k: &Knowledge, errors: &mut Vec<KnowledgeError>) -> (Knowledge, Vec<Coverage>) {
    let en_dir = k.dir.join("en");
    let note = texts(Lang::En).s("lang.untranslated", &[]);
    let mut fill = Filler {
        note: &note,
        translated: 0,
        total: 0,
    };
    let mut view = k.clone();
    view.lang = Lang::En;
    view.english = None;
    let mut coverage = Vec::new();
    let name_of = |p: &Path| p.file_name().map(PathBuf::from).unwrap_or_default();

    for c in &mut view.calls {
        let path = en_dir.join("calls").join(name_of(&c.file));
        let Some((en, src)) = read_en::<EnCall>(&path, errors) else {
            continue;
        };
        fill.text(&mut c.title, en.title, false);
        fill.text(&mut c.short, en.short, false);
        fill.text(&mut c.programme, en.programme, false);
        fill.text(&mut c.summary, en.summary, true);
        fill.opt(&mut c.budget, en.budget, false);
        fill.opt(&mut c.territory, en.territory, false);
        if !en.keywords.is_empty() {
            // English keywords add to the Italian ones (names people type in both).
            c.keywords.extend(en.keywords);
        }
        // English names of the call come first: the first name is the one added to a
        // follow-up's query, and it must be a word of the English index.
        let phrases = |v: Vec<String>| -> Vec<super::lexicon::Phrase> {
            v.iter()
                .map(|a| super::lexicon::phrase(a))
                .filter(|p| !p.is_empty())
                .collect()
        };
        c.aliases.splice(0..0, phrases(en.aliases));
        c.weak_aliases.splice(0..0, phrases(en.weak_aliases));
        let mut sections = en.section;
        for s in &mut c.sections {
            let e = sections.remove(&s.id).map(Spanned::into_inner);
            let (title, text) = e.map_or((None, None), |e| (e.title, e.text));
            fill.text(&mut s.title, title, false);
            fill.text(&mut s.text, text, true);
        }
        for (id, s) in sections {
            unknown(
                errors,
                &path,
                &src,
                s.span().start,
                format!("no section «{id}» in this call"),
            );
        }
        coverage.push(fill.coverage(Path::new("calls").join(name_of(&c.file))));
    }

    let mut faq_files: Vec<PathBuf> = Vec::new();
    for f in &view.faqs {
        if !faq_files.contains(&f.file) {
            faq_files.push(f.file.clone());
        }
    }
    for file in faq_files {
        let path = en_dir.join("faq").join(name_of(&file));
        let Some((en, src)) = read_en::<EnFaqFile>(&path, errors) else {
            continue;
        };
        let mut entries = en.faq;
        for f in view.faqs.iter_mut().filter(|f| f.file == file) {
            let e = entries.remove(&f.id).map(Spanned::into_inner);
            let (q, alts, a) = e.map_or((None, Vec::new(), None), |e| {
                (e.question, e.alternatives, e.answer)
            });
            fill.text(&mut f.question, q, false);
            // English alternatives replace the Italian ones; without English ones the
            // Italian phrasings stay (they still match Italian terms).
            if !alts.is_empty() {
                f.alternatives = alts;
            }
            fill.text(&mut f.answer, a, true);
        }
        for (id, e) in entries {
            unknown(
                errors,
                &path,
                &src,
                e.span().start,
                format!("no FAQ «{id}» in faq/{}", name_of(&file).display()),
            );
        }
        coverage.push(fill.coverage(Path::new("faq").join(name_of(&file))));
    }

    for q in &mut view.questionnaires {
        let path = en_dir.join("questionnaires").join(name_of(&q.file));
        let Some((en, src)) = read_en::<EnQuestionnaire>(&path, errors) else {
            continue;
        };
        fill.text(&mut q.title, en.title, false);
        fill.opt(&mut q.intro, en.intro, true);
        fill.list(&mut q.next_steps, en.next_steps);
        let mut questions = en.question;
        for question in &mut q.questions {
            let e = questions.remove(&question.id).map(Spanned::into_inner);
            let (text, label, help, expected, mut options) = match e {
                Some(e) => (e.text, e.label, e.help, e.expected, e.options),
                None => (None, None, None, None, BTreeMap::new()),
            };
            fill.text(&mut question.text, text, true);
            fill.text(&mut question.label, label, false);
            fill.opt(&mut question.help, help, true);
            fill.opt(&mut question.expected, expected, false);
            for o in &mut question.options {
                fill.text(&mut o.label, options.remove(&o.id), false);
            }
            for id in options.into_keys() {
                unknown(
                    errors,
                    &path,
                    &src,
                    0,
                    format!("no option «{id}» in question «{}»", question.id),
                );
            }
        }
        for (id, e) in questions {
            unknown(
                errors,
                &path,
                &src,
                e.span().start,
                format!("no question «{id}» in this questionnaire"),
            );
        }
        let mut rules = en.rule;
        for r in &mut q.rules {
            let e = rules.remove(&r.id).map(Spanned::into_inner);
            let (reason, fix) = e.map_or((None, None), |e| (e.reason, e.fix));
            fill.text(&mut r.reason, reason, true);
            fill.opt(&mut r.fix, fix, true);
        }
        for (id, e) in rules {
            unknown(
                errors,
                &path,
                &src,
                e.span().start,
                format!("no rule «{id}» in this questionnaire"),
            );
        }
        coverage.push(fill.coverage(Path::new("questionnaires").join(name_of(&q.file))));
    }

    let syn_path = en_dir.join("synonyms.toml");
    if syn_path.exists()
        && let Some(src) = read(&syn_path, errors)
    {
        match toml::from_str::<RawSynonyms>(&src) {
            Ok(raw) => view
                .synonyms
                .extend(raw.group.into_iter().map(|g| SynonymGroup {
                    terms: g.terms.iter().map(|t| t.trim().to_lowercase()).collect(),
                })),
            Err(e) => FileErrors {
                path: &syn_path,
                src: &src,
                out: errors,
            }
            .toml(e),
        }
    }
    if en_dir.join("profile.toml").exists() || en_dir.join("chat.toml").exists() {
        let en_lexicon = super::lexicon::load_lexicon(&en_dir, errors);
        view.lexicon = merge_lexicon(std::mem::take(&mut view.lexicon), en_lexicon);
    }
    (view, coverage)
}

/// Adds `en`'s phrases to `it`'s, key by key (a key both have keeps both lists).
fn merge_keyed<K: PartialEq, V>(it: &mut Vec<(K, Vec<V>)>, en: Vec<(K, Vec<V>)>) {
    for (k, v) in en {
        match it.iter_mut().find(|(key, _)| *key == k) {
            Some((_, list)) => list.extend(v),
            None => it.push((k, v)),
        }
    }
}

/// The English reader's lexicon: the Italian words (people mix them in) plus the English
/// ones; what search reads in place of a number is in English.
fn merge_lexicon(mut it: Lexicon, en: Lexicon) -> Lexicon {
    it.rewrites.extend(en.rewrites);
    it.rewrites.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
    it.generic.extend(en.generic);
    merge_keyed(&mut it.applicants, en.applicants);
    merge_keyed(&mut it.sizes, en.sizes);
    it.firm.extend(en.firm);
    it.employees.extend(en.employees);
    merge_keyed(&mut it.legal_forms, en.legal_forms);
    merge_keyed(&mut it.sectors, en.sectors);
    it.partners_yes.extend(en.partners_yes);
    it.partners_no.extend(en.partners_no);
    it.value_cues.extend(en.value_cues);
    it.cofinancing_cues.extend(en.cofinancing_cues);
    it.self_cues.extend(en.self_cues);
    it.not_self.extend(en.not_self);
    it.employee_role.extend(en.employee_role);
    it.personal.extend(en.personal);
    if !en.value_means.is_empty() {
        it.value_means = en.value_means;
    }
    if !en.cofinancing_means.is_empty() {
        it.cofinancing_means = en.cofinancing_means;
    }
    merge_keyed(&mut it.audience, en.audience);
    for r in en.regions {
        match it.regions.iter_mut().find(|x| x.name == r.name) {
            Some(x) => x.places.extend(r.places),
            None => it.regions.push(r),
        }
    }
    it
}
