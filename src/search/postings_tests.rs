//! The postings' searches against tantivy's own, on the shipped pack with passages of
//! official documents made from its own texts, for every fifth question of the retrieval sets: the same entries in
//! the same order with the same scores, bit for bit (see [`super::postings`]).

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, Term};

use super::postings::{Clause, Keep, Text};
use super::*;
use crate::knowledge::documents::{Format, OfficialDocument, Passage};

/// Every `text` of the retrieval sets in `tests/retrieval/`.
fn questions() -> Vec<String> {
    fn collect(v: &toml::Value, out: &mut Vec<String>) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    match v {
                        toml::Value::String(s) if k == "text" => out.push(s.clone()),
                        _ => collect(v, out),
                    }
                }
            }
            toml::Value::Array(a) => a.iter().for_each(|v| collect(v, out)),
            _ => {}
        }
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/retrieval");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the retrieval sets")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let raw = std::fs::read_to_string(&f).expect("a readable set");
        collect(&toml::from_str(&raw).expect("a set in TOML"), &mut out);
    }
    out
}

/// tantivy's best `k` for `clauses` (one flat disjunction of boosted term queries, as
/// the index searched before its postings were read out), kept as `keep` says.
fn tantivy_top(ix: &SearchIndex, clauses: &[Clause], keep: Keep, k: usize) -> Vec<(usize, f32)> {
    let words: Vec<(Occur, Box<dyn Query>)> = clauses
        .iter()
        .map(|c| {
            let field = match c.field {
                Text::Title => ix.fields.title,
                Text::Body => ix.fields.body,
            };
            let term = TermQuery::new(
                Term::from_field_text(field, c.term),
                IndexRecordOption::WithFreqs,
            );
            let q: Box<dyn Query> = if c.boost == 1.0 {
                Box::new(term)
            } else {
                Box::new(BoostQuery::new(Box::new(term), c.boost))
            };
            (Occur::Should, q)
        })
        .collect();
    let passage = Box::new(TermQuery::new(
        Term::from_field_u64(ix.fields.kind, EntryKind::Passage.code()),
        IndexRecordOption::Basic,
    ));
    let words: Box<dyn Query> = Box::new(BooleanQuery::new(words));
    let q = match keep {
        Keep::NotPassages => {
            BooleanQuery::new(vec![(Occur::Must, words), (Occur::MustNot, passage)])
        }
        Keep::Passages => BooleanQuery::new(vec![
            (Occur::Must, words),
            (Occur::Must, Box::new(BoostQuery::new(passage, 0.0))),
        ]),
    };
    let searcher = ix.reader.searcher();
    let top: Vec<(f32, DocAddress)> = searcher
        .search(&q, &TopDocs::with_limit(k).order_by_score())
        .expect("a search");
    top.into_iter()
        .map(|(score, a)| {
            let ord = searcher
                .segment_reader(a.segment_ord)
                .fast_fields()
                .u64("ord")
                .expect("the ord column")
                .first(a.doc_id)
                .expect("an ord");
            (ord as usize, score)
        })
        .collect()
}

/// Scores as bits: equal only when tantivy's arithmetic was replayed exactly.
fn bits(top: &[(usize, f32)]) -> Vec<(usize, u32)> {
    top.iter().map(|&(e, s)| (e, s.to_bits())).collect()
}

/// Compares every search of `questions` over `ix`; returns how many searches found
/// something, to show the comparison was not vacuous.
fn compare(ix: &SearchIndex, questions: &[String]) -> usize {
    let mut found = 0;
    for q in questions {
        let a = ix.analyse(q);
        let clauses = ix.clauses(&a);
        for (keep, k) in [
            (Keep::NotPassages, 40),
            (Keep::Passages, 20),
            (Keep::NotPassages, 1),
        ] {
            let ours = ix.postings.top(clauses.iter().copied(), keep, k);
            let theirs = tantivy_top(ix, &clauses, keep, k);
            assert_eq!(bits(&ours), bits(&theirs), "{q:?} {keep:?} top {k}");
            found += usize::from(!ours.is_empty());
        }
        // The plain baseline's clauses: each stem in both fields, unboosted.
        let plain: Vec<String> = ix.stems_of(q);
        let clauses = ix.plain_clauses(plain.iter().map(String::as_str));
        let ours = ix
            .postings
            .top(clauses.iter().copied(), Keep::NotPassages, 5);
        assert_eq!(
            bits(&ours),
            bits(&tantivy_top(ix, &clauses, Keep::NotPassages, 5)),
            "{q:?} plain"
        );
    }
    found
}

#[test]
fn the_postings_search_as_tantivy_does_score_for_score() {
    let mut k = crate::knowledge::shipped();
    // The shipped pack has no official documents: each call gets one whose passages
    // are its sections and the answers of its FAQs, so that passages share the index
    // (and its statistics) as they do in a deployed pack.
    let documents: Vec<OfficialDocument> = k
        .calls
        .iter()
        .map(|c| {
            let sections = c.sections.iter().map(|s| (Some(s.title.clone()), &s.text));
            let answers = k
                .faqs
                .iter()
                .filter(|f| f.calls.contains(&c.id))
                .map(|f| (None, &f.answer));
            OfficialDocument {
                call: c.id.clone(),
                id: "bando".into(),
                title: "Bando".into(),
                file: "bando.pdf".into(),
                format: Format::Pdf,
                passages: sections
                    .chain(answers)
                    .map(|(heading, text)| Passage {
                        article: None,
                        heading,
                        paragraph: None,
                        page: None,
                        last_page: None,
                        text: text.clone(),
                    })
                    .collect(),
            }
        })
        .collect();
    if let Some(en) = k.english.as_mut() {
        en.documents = documents.clone();
    }
    k.documents = documents;
    let ix = SearchIndex::from_knowledge(&k).expect("the shipped pack indexes");
    let passages = ix
        .entries
        .iter()
        .filter(|e| e.doc.kind == EntryKind::Passage)
        .count();
    assert!(passages > 0, "the shipped pack's documents give passages");
    // Every fifth question (over a thousand): all of them take a minute in a debug build.
    let questions: Vec<String> = questions().into_iter().step_by(5).collect();
    assert!(questions.len() > 1000, "{} questions", questions.len());
    let found = compare(&ix, &questions);
    assert!(found > questions.len(), "{found} searches found something");
    let en = ix.english().expect("the shipped pack has an English view");
    assert!(compare(en, &questions) > 0);
}

#[test]
fn ties_go_to_the_lower_document_and_passages_stay_apart() {
    // Six identical FAQs and six identical passages: equal scores everywhere.
    let mut docs = Vec::new();
    for i in 0..6 {
        let mut p = super::tests::doc(&format!("doc:c/d#{i}"), "", "La scadenza del bando.");
        p.kind = EntryKind::Passage;
        docs.push(p);
        docs.push(super::tests::doc(
            &format!("faq:f{i}"),
            "La scadenza",
            "La scadenza del bando.",
        ));
    }
    let ix = SearchIndex::build(docs, &[]).unwrap();
    let a = ix.analyse("scadenza");
    let clauses = ix.clauses(&a);
    assert!(!clauses.is_empty());
    for (keep, kind) in [
        (Keep::NotPassages, EntryKind::Faq),
        (Keep::Passages, EntryKind::Passage),
    ] {
        for k in [0, 1, 3, 6, 10] {
            let ours = ix.postings.top(clauses.iter().copied(), keep, k);
            assert_eq!(ours.len(), k.min(6), "{keep:?} {k}");
            assert!(ours.iter().all(|&(e, _)| ix.entry(e).doc.kind == kind));
            // Entries were added passage, FAQ, passage, …: the lower ones first.
            let entries: Vec<usize> = ours.iter().map(|h| h.0).collect();
            let mut sorted = entries.clone();
            sorted.sort_unstable();
            assert_eq!(entries, sorted, "{keep:?} {k}");
            assert_eq!(
                bits(&ours),
                bits(&tantivy_top(&ix, &clauses, keep, k.max(1)))[..ours.len()]
            );
        }
    }
}
