//! Reading and validating the files of `knowledge/`: the whole pack in one pass (calls,
//! FAQs, synonyms, then the questionnaires, the lexicon, the regression set and the
//! English view), with every reference between files checked once all are read.
//!
//! A call file's shape and its conversion are in [`calls`]; each other kind of file has
//! its own module next to this one.

mod calls;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::files::{FileErrors, read, toml_files};
use super::{
    Applicant, Audience, CallId, Faq, Knowledge, KnowledgeError, KnowledgeErrors, SynonymGroup,
};
use calls::{RawCall, convert_call};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFaqFile {
    #[serde(default)]
    faq: Vec<RawFaq>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFaq {
    id: Spanned<String>,
    #[serde(default)]
    calls: Vec<Spanned<String>>,
    audience: Option<Audience>,
    #[serde(default)]
    askers: Vec<Applicant>,
    #[serde(default)]
    alone: bool,
    #[serde(default)]
    aspects: Vec<Spanned<String>>,
    leads_to: Option<Spanned<String>>,
    question: String,
    #[serde(default)]
    alternatives: Vec<String>,
    answer: Spanned<String>,
    source: String,
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
    terms: Spanned<Vec<String>>,
}

/// Longest FAQ id, so that button data (at most 64 bytes) can always carry it.
const MAX_FAQ_ID: usize = 48;

fn is_valid_id(id: &str, max: usize) -> bool {
    !id.is_empty()
        && id.len() <= max
        && id.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Loads and validates every file of a knowledge directory. On success the pack is
/// complete and consistent; otherwise all errors found are returned.
pub fn load_dir(dir: &Path) -> Result<Knowledge, KnowledgeErrors> {
    load_dir_with(dir, None)
}

/// Loads a knowledge directory as [`load_dir`] does, but with FAQ file `overlay.0` read
/// as `overlay.1` (`None`: as if it did not exist) instead of from disk: how the help
/// desk checks a FAQ file before writing it, with the very errors `load_dir` would give.
pub fn load_dir_with(
    dir: &Path,
    overlay: Option<(&Path, Option<&str>)>,
) -> Result<Knowledge, KnowledgeErrors> {
    load_dir_over(dir, &overlay.into_iter().collect::<Vec<_>>())
}

/// [`load_dir_with`] with several FAQ files read from memory (or as if removed).
pub fn load_dir_over(
    dir: &Path,
    overlays: &[(&Path, Option<&str>)],
) -> Result<Knowledge, KnowledgeErrors> {
    let mut errors = Vec::new();
    if !dir.is_dir() {
        errors.push(KnowledgeError {
            file: dir.to_path_buf(),
            line: 0,
            message: "the knowledge directory does not exist".into(),
        });
        return Err(KnowledgeErrors(errors));
    }
    let mut calls = Vec::new();
    // Call references are checked once every call is known: (file, src, offset, id).
    let mut refs: Vec<(PathBuf, String, usize, String)> = Vec::new();
    // Folded alias -> call id, so that no alias names two calls.
    let mut aliases: Vec<(String, String)> = Vec::new();
    for path in toml_files(&dir.join("calls")) {
        let Some(src) = read(&path, &mut errors) else {
            continue;
        };
        let mut fe = FileErrors {
            path: &path,
            src: &src,
            out: &mut errors,
        };
        match toml::from_str::<RawCall>(&src) {
            Ok(raw) => {
                if let Some(call) = convert_call(raw, &mut fe, &mut refs, &mut aliases) {
                    calls.push(call);
                }
            }
            Err(e) => fe.toml(e),
        }
    }
    let mut faqs = Vec::new();
    let mut faq_files = toml_files(&dir.join("faq"));
    for (over, text) in overlays {
        faq_files.retain(|p| p != over);
        if text.is_some() {
            faq_files.push(over.to_path_buf());
        }
    }
    faq_files.sort();
    let overlaid = |path: &Path| {
        overlays
            .iter()
            .find(|(over, _)| *over == path)
            .and_then(|(_, text)| text.map(str::to_string))
    };
    for path in faq_files {
        let Some(src) = overlaid(&path).or_else(|| read(&path, &mut errors)) else {
            continue;
        };
        let mut fe = FileErrors {
            path: &path,
            src: &src,
            out: &mut errors,
        };
        match toml::from_str::<RawFaqFile>(&src) {
            Ok(raw) => {
                if raw.faq.is_empty() {
                    fe.at(0, "no [[faq]] entry in this file");
                }
                for f in raw.faq {
                    let id_at = f.id.span().start;
                    if !is_valid_id(f.id.get_ref(), MAX_FAQ_ID) {
                        fe.at(id_at, format!("invalid id «{}»: use lower-case words joined by -, at most {MAX_FAQ_ID} characters", f.id.get_ref()));
                    }
                    if f.question.trim().is_empty() || f.answer.get_ref().trim().is_empty() {
                        fe.at(id_at, "a FAQ needs a question and an answer");
                    }
                    for a in &f.aspects {
                        if !is_valid_id(a.get_ref(), MAX_FAQ_ID) {
                            fe.at(
                                a.span().start,
                                format!(
                                    "invalid aspect «{}»: use lower-case words joined by -",
                                    a.get_ref()
                                ),
                            );
                        }
                    }
                    if !f.aspects.is_empty() && f.calls.is_empty() {
                        fe.at(
                            id_at,
                            "an entry with aspects must name its calls (`calls = [...]`)",
                        );
                    }
                    if let Some(to) = &f.leads_to {
                        if f.calls.iter().any(|c| c.get_ref() == to.get_ref()) {
                            fe.at(
                                to.span().start,
                                format!(
                                    "leads_to «{}» is one of this entry's own calls",
                                    to.get_ref()
                                ),
                            );
                        }
                        refs.push((
                            path.clone(),
                            src.clone(),
                            to.span().start,
                            to.get_ref().clone(),
                        ));
                    }
                    for c in &f.calls {
                        refs.push((
                            path.clone(),
                            src.clone(),
                            c.span().start,
                            c.get_ref().clone(),
                        ));
                    }
                    faqs.push((
                        id_at,
                        Faq {
                            id: f.id.into_inner(),
                            calls: f
                                .calls
                                .into_iter()
                                .map(|c| CallId(c.into_inner()))
                                .collect(),
                            audience: f.audience,
                            askers: f.askers,
                            alone: f.alone,
                            aspects: f.aspects.into_iter().map(Spanned::into_inner).collect(),
                            leads_to: f.leads_to.map(|c| CallId(c.into_inner())),
                            question: f.question,
                            alternatives: f.alternatives,
                            answer: f.answer.into_inner(),
                            source: f.source,
                            file: path.clone(),
                        },
                    ));
                }
            }
            Err(e) => fe.toml(e),
        }
    }
    let mut synonyms = Vec::new();
    let syn_path = dir.join("synonyms.toml");
    if syn_path.exists()
        && let Some(src) = read(&syn_path, &mut errors)
    {
        let mut fe = FileErrors {
            path: &syn_path,
            src: &src,
            out: &mut errors,
        };
        match toml::from_str::<RawSynonyms>(&src) {
            Ok(raw) => {
                for g in raw.group {
                    let at = g.terms.span().start;
                    let terms: Vec<String> = g
                        .terms
                        .into_inner()
                        .into_iter()
                        .map(|t| t.trim().to_lowercase())
                        .filter(|t| !t.is_empty())
                        .collect();
                    if terms.len() < 2 {
                        fe.at(at, "a synonym group needs at least two terms");
                    } else {
                        synonyms.push(SynonymGroup { terms });
                    }
                }
            }
            Err(e) => fe.toml(e),
        }
    }

    let questionnaires = super::questionnaire::load_questionnaires(dir, &calls, &mut errors);
    let lexicon = super::lexicon::load_lexicon(dir, &mut errors);

    // Cross-file checks.
    let mut seen_calls: HashMap<&str, &Path> = HashMap::new();
    for c in &calls {
        if let Some(first) = seen_calls.insert(&c.id.0, &c.file) {
            errors.push(KnowledgeError {
                file: c.file.clone(),
                line: 1,
                message: format!("call id «{}» is already used by {}", c.id, first.display()),
            });
        }
    }
    let call_ids: HashSet<&str> = calls.iter().map(|c| c.id.0.as_str()).collect();
    for (path, src, offset, id) in &refs {
        if !call_ids.contains(id.as_str()) {
            FileErrors {
                path,
                src,
                out: &mut errors,
            }
            .at(*offset, format!("unknown call «{id}»"));
        }
    }
    let mut seen_faq: HashMap<String, PathBuf> = HashMap::new();
    let mut faq_list = Vec::new();
    for (at, f) in faqs {
        if let Some(first) = seen_faq.insert(f.id.clone(), f.file.clone()) {
            let src = overlaid(&f.file)
                .unwrap_or_else(|| std::fs::read_to_string(&f.file).unwrap_or_default());
            FileErrors {
                path: &f.file,
                src: &src,
                out: &mut errors,
            }
            .at(
                at,
                format!("FAQ id «{}» is already used in {}", f.id, first.display()),
            );
        }
        faq_list.push(f);
    }
    let regression = super::regression::load_regression(dir, &calls, &faq_list, &mut errors);

    if errors.is_empty() {
        let mut k = Knowledge {
            calls,
            faqs: faq_list,
            synonyms,
            lexicon,
            questionnaires,
            regression,
            dir: dir.to_path_buf(),
            ..Knowledge::default()
        };
        let (english, coverage) = super::english::english_view(&k, &mut errors);
        k.english = Some(Box::new(english));
        k.english_coverage = coverage;
        if errors.is_empty() {
            return Ok(k);
        }
        errors.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        Err(KnowledgeErrors(errors))
    } else {
        errors.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        Err(KnowledgeErrors(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, body: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }

    const CALL: &str = r#"id = "prova"
kind = "call"
programme = "P"
title = "Bando di prova"
short = "Prova"
summary = "Un bando."
source = "test"

[deadline]
status = "known"
at = "2030-01-31T12:00"
source = "test"
"#;

    #[test]
    fn a_valid_pack_loads() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "calls/prova.toml", CALL);
        write(
            dir.path(),
            "faq/a.toml",
            "[[faq]]\nid = \"q\"\ncalls = [\"prova\"]\nquestion = \"Chi?\"\nanswer = \"Tutti.\"\nsource = \"s\"\n",
        );
        let k = load_dir(dir.path()).unwrap();
        assert_eq!(k.calls.len(), 1);
        assert_eq!(k.faqs[0].calls, vec![CallId("prova".into())]);
        let at = k.calls[0].deadline.as_ref().unwrap().known().unwrap();
        let it = crate::text::texts(crate::text::Lang::It);
        assert_eq!(it.date(&at), "31/01/2030, ore 12:00");
    }

    #[test]
    fn every_error_is_reported_with_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "calls/prova.toml",
            &CALL.replace("2030-01-31T12:00", "31/01/2030"),
        );
        write(
            dir.path(),
            "calls/rotto.toml",
            "id = \"rotto\"\nkind = \"call\"\nprogramme = [\n",
        );
        write(
            dir.path(),
            "faq/a.toml",
            "[[faq]]\nid = \"q\"\ncalls = [\"nessuno\"]\nquestion = \"Chi?\"\nanswer = \"x\"\nsource = \"s\"\n\n[[faq]]\nid = \"q\"\nquestion = \"Dove?\"\nanswer = \"y\"\nsource = \"s\"\n",
        );
        write(
            dir.path(),
            "faq/b.toml",
            "[[faq]]\nid = \"z\"\nquestion = \"Chi?\"\nanswer = \"x\"\nsource = \"s\"\nextra = 1\n",
        );
        let errs = load_dir(dir.path()).unwrap_err().0;
        let shown: Vec<String> = errs
            .iter()
            .map(|e| {
                format!(
                    "{}:{}",
                    e.file.file_name().unwrap().to_string_lossy(),
                    e.line
                )
            })
            .collect();
        assert!(shown.contains(&"prova.toml:11".to_string()), "{errs:#?}");
        assert!(
            shown.iter().any(|s| s.starts_with("rotto.toml:")),
            "{errs:#?}"
        );
        assert!(
            shown.contains(&"a.toml:3".to_string()),
            "unknown call: {errs:#?}"
        );
        assert!(
            shown.contains(&"a.toml:9".to_string()),
            "duplicate id: {errs:#?}"
        );
        assert!(
            shown.contains(&"b.toml:6".to_string()),
            "unknown key: {errs:#?}"
        );
        assert!(
            errs.iter().any(|e| e.message.contains("extra")),
            "{errs:#?}"
        );
        assert_eq!(errs.len(), 5, "{errs:#?}");
    }

    #[test]
    fn aspects_say_which_entry_of_another_call_answers_the_same() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "calls/prova.toml", CALL);
        write(
            dir.path(),
            "calls/altro.toml",
            &CALL.replace("id = \"prova\"", "id = \"altro\""),
        );
        let faq = |id: &str, call: &str, aspects: &str| {
            format!(
                "[[faq]]\nid = \"{id}\"\ncalls = [\"{call}\"]\naspects = [{aspects}]\nquestion = \"{id}?\"\nanswer = \"x\"\nsource = \"s\"\n\n"
            )
        };
        let body = [
            faq("p-card", "prova", "\"cos-e\", \"chi\", \"scadenza\""),
            faq("a-cos-e", "altro", "\"cos-e\""),
            faq("a-chi", "altro", "\"chi\", \"partenariato\""),
            faq("a-partner", "altro", "\"partenariato\""),
            faq("a-scadenza", "altro", "\"scadenza\", \"aperto\""),
            faq("a-aperto", "altro", "\"aperto\", \"scadenza\""),
            faq("p-partner", "prova", "\"partenariato\", \"chi\""),
        ]
        .concat();
        write(dir.path(), "faq/a.toml", &body);
        let k = load_dir(dir.path()).unwrap();
        let same = |from: &str, call: &str| -> Vec<String> {
            k.same_aspect(from, &CallId(call.into()))
                .into_iter()
                .map(|(a, f)| format!("{a}:{}", f.id))
                .collect()
        };
        // Each aspect of the card in its order; «scadenza» is answered by two entries of
        // the other call, and the one whose main point it is answers it.
        assert_eq!(
            same("p-card", "altro"),
            ["cos-e:a-cos-e", "chi:a-chi", "scadenza:a-scadenza"]
        );
        // Two entries whose main point is the same: none is the counterpart.
        let k2 = {
            write(
                dir.path(),
                "faq/b.toml",
                &faq("a-partner-bis", "altro", "\"partenariato\""),
            );
            load_dir(dir.path()).unwrap()
        };
        let partner: Vec<String> = k2
            .same_aspect("p-partner", &CallId("altro".into()))
            .into_iter()
            .map(|(a, f)| format!("{a}:{}", f.id))
            .collect();
        assert_eq!(partner, ["chi:a-chi"]);
        // Asked again of its own call, and an unknown entry: nothing.
        assert!(same("a-cos-e", "altro").is_empty());
        assert!(same("nessuna", "altro").is_empty());

        // A malformed aspect is an error that names the file and the line.
        write(
            dir.path(),
            "faq/b.toml",
            &faq("a-bad", "altro", "\"Scadenza!\""),
        );
        let errs = load_dir(dir.path()).unwrap_err().0;
        assert_eq!(errs.len(), 1, "{errs:#?}");
        assert_eq!(errs[0].file.file_name().unwrap(), "b.toml");
        assert_eq!(errs[0].line, 4, "{errs:#?}");
        assert!(errs[0].message.contains("Scadenza!"), "{errs:#?}");
    }

    #[test]
    fn a_call_s_overview_is_its_one_entry_whose_main_aspect_is_cos_e() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "calls/prova.toml", CALL);
        let faq = |id: &str, aspects: &str| {
            format!(
                "[[faq]]\nid = \"{id}\"\ncalls = [\"prova\"]\naspects = [{aspects}]\nquestion = \"{id}?\"\nanswer = \"x\"\nsource = \"s\"\n\n"
            )
        };
        let call = CallId("prova".into());
        write(
            dir.path(),
            "faq/a.toml",
            &[
                faq("card", "\"cos-e\", \"risorse\""),
                faq("soldi", "\"risorse\", \"cos-e\""),
            ]
            .concat(),
        );
        let k = load_dir(dir.path()).unwrap();
        assert_eq!(k.overview(&call).map(|f| f.id.as_str()), Some("card"));
        // Two entries that both lead with it: no one overview.
        write(dir.path(), "faq/b.toml", &faq("card-bis", "\"cos-e\""));
        let k = load_dir(dir.path()).unwrap();
        assert!(k.overview(&call).is_none());
    }

    #[test]
    fn leads_to_names_another_call_of_the_pack() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "calls/prova.toml", CALL);
        write(
            dir.path(),
            "calls/altro.toml",
            &CALL.replace("id = \"prova\"", "id = \"altro\""),
        );
        let faq = |to: &str| {
            format!(
                "[[faq]]\nid = \"chiuso\"\ncalls = [\"prova\"]\nleads_to = \"{to}\"\nquestion = \"q?\"\nanswer = \"x\"\nsource = \"s\"\n"
            )
        };
        write(dir.path(), "faq/a.toml", &faq("altro"));
        let k = load_dir(dir.path()).unwrap();
        assert_eq!(
            k.faq("chiuso").unwrap().leads_to,
            Some(CallId("altro".into()))
        );
        // An unknown call, or the entry's own: an error naming the file and the line.
        for to in ["nessuno", "prova"] {
            write(dir.path(), "faq/a.toml", &faq(to));
            let errs = load_dir(dir.path()).unwrap_err().0;
            assert_eq!(errs.len(), 1, "{to}: {errs:#?}");
            assert_eq!(errs[0].file.file_name().unwrap(), "a.toml");
            assert_eq!(errs[0].line, 4, "{to}: {errs:#?}");
            assert!(errs[0].message.contains(to), "{errs:#?}");
        }
    }
}
