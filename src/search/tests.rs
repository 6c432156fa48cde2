//! Unit tests of the search index: analysis, typo correction, ranking and confidence on
//! small hand-made corpora.

use super::*;
use crate::reply::{Rich, Span};

pub(super) fn doc(id: &str, title: &str, body: &str) -> Doc {
    Doc {
        id: id.into(),
        kind: EntryKind::Faq,
        call: None,
        calls: Vec::new(),
        audience: None,
        askers: Vec::new(),
        alone: false,
        for_anyone: false,
        title: title.into(),
        alt: String::new(),
        body: body.into(),
        source: "test".into(),
    }
}

fn index() -> SearchIndex {
    SearchIndex::build(
        vec![
            doc(
                "faq:scadenza",
                "Qual è la scadenza del bando?",
                "Il termine è il 27/02/2020 dopo due proroghe.",
            ),
            doc(
                "faq:perche",
                "Perché esiste la strategia?",
                "Per coniugare politiche sociali e lavoro.",
            ),
            doc(
                "faq:pmi",
                "Le piccole e medie imprese possono partecipare?",
                "Sì, in via prioritaria.",
            ),
            doc("faq:novita", "Quali novità ci sono?", "Nessuna novità."),
        ],
        &[vec!["pmi".into(), "piccole e medie imprese".into()]],
    )
    .unwrap()
}

fn best(ix: &SearchIndex, q: &str) -> Option<String> {
    ix.search(q, 3)
        .hits
        .first()
        .map(|h| ix.entry(h.entry).doc.id.clone())
}

#[test]
fn accents_case_and_inflections_do_not_matter() {
    let ix = index();
    assert_eq!(best(&ix, "perche"), Some("faq:perche".into()));
    assert_eq!(best(&ix, "NOVITA"), Some("faq:novita".into()));
    assert_eq!(best(&ix, "scadenze dei bandi"), Some("faq:scadenza".into()));
}

#[test]
fn typos_are_tolerated_but_short_words_are_not_fuzzed() {
    let ix = index();
    assert_eq!(best(&ix, "scadensa"), Some("faq:scadenza".into()));
}

/// Common words of applicants' messages that are one edit from a word of the pack
/// (`chiedono` from `chiudono`, `detto` from `tetto`, `posto` from `costo`) are filler,
/// never «corrected» into that word.
#[test]
fn common_words_one_edit_from_a_pack_word_are_not_corrected_into_it() {
    let ix = SearchIndex::build(
        vec![
            doc(
                "faq:chiuso",
                "Quando chiudono le domande?",
                "Il bando chiude il 27/02/2020.",
            ),
            doc(
                "faq:tetto",
                "Qual è il tetto del contributo?",
                "Il costo massimo è 200.000 €.",
            ),
        ],
        &[],
    )
    .unwrap();
    for q in [
        "mi chiedono",
        "mi hanno detto",
        "al posto nostro",
        "il presidente",
    ] {
        assert!(
            ix.analyse(q).stems().is_empty(),
            "«{q}»: {:?}",
            ix.analyse(q).stems()
        );
    }
    assert_eq!(best(&ix, "quando chiudono?"), Some("faq:chiuso".into()));
}

#[test]
fn synonyms_expand_the_question() {
    let ix = index();
    let r = ix.search("possono partecipare le pmi?", 3);
    assert_eq!(ix.entry(r.hits[0].entry).doc.id, "faq:pmi");
    assert_eq!(r.confidence, Confidence::High);
}

#[test]
fn dotted_acronyms_are_joined_and_nothing_else() {
    let cases = [
        ("il Piano A.L.Fa. 2026", "il Piano ALFa 2026"),
        ("la D.G.R. n. 22-5076", "la DGR n. 22-5076"),
        ("(we.ca.re)", "(wecare)"),
        ("fine frase. Nuova frase.", "fine frase. Nuova frase."),
        ("ore 12.00 del 13.09.2019", "ore 12.00 del 13.09.2019"),
        ("www.regione.piemonte.it", "www.regione.piemonte.it"),
        ("a.b", "a.b"),
    ];
    for (input, want) in cases {
        assert_eq!(join_acronyms(input), want, "{input}");
    }
}

#[test]
fn query_syntax_is_just_text() {
    let ix = index();
    for q in [
        "\"(AND",
        "*",
        "scadenza: quando",
        "a:b OR c^2 ~ 'x' +-",
        "(((",
        "🙂🙂",
        "",
        "   ",
    ] {
        let r = ix.search(q, 3);
        assert!(r.hits.len() <= 3, "{q}");
    }
    assert_eq!(best(&ix, "scadenza: quando?"), Some("faq:scadenza".into()));
    let long = "parola ".repeat(700);
    let r = ix.search(&long, 3);
    assert!(r.query.truncated);
    assert_eq!(r.confidence, Confidence::None);
}

#[test]
fn unrelated_questions_have_no_confident_answer() {
    let ix = index();
    assert_eq!(
        ix.search("ricetta della carbonara", 3).confidence,
        Confidence::None
    );
    assert_eq!(ix.search("il e di", 3).confidence, Confidence::None);
}

/// A text analysed again is taken from the index's memory, and is what analysing it
/// afresh makes; a text that differs in any way is analysed on its own.
#[test]
fn analyses_from_memory_are_the_ones_made() {
    let ix = index();
    let fresh = index();
    // Every field, the set of question stems in order.
    let shown = |a: &Analysed| {
        let mut stems: Vec<_> = a.question_stems.iter().collect();
        stems.sort();
        format!(
            "{:?} {stems:?} {} {} {} {:?} {}",
            a.concepts, a.truncated, a.unknown, a.unknown_words, a.unknown_terms, a.light_weight
        )
    };
    let texts = [
        "scadenza",
        "scadenza del bando",
        "Scadenza del bando?",
        "le pmi possono partecipare?",
        "zzz",
    ];
    for t in texts {
        let made = shown(&fresh.analyse(t));
        assert_eq!(shown(&ix.analyse(t)), made, "{t}");
        assert_eq!(shown(&ix.analyse(t)), made, "{t}");
        assert_eq!(ix.with_analysis(t, shown), made, "{t}");
    }
    // Each text made once, then taken twice.
    let n = texts.len() as u64;
    assert_eq!(ix.memory().analyses, (2 * n, n));
    // A longer text is not its prefix's analysis.
    assert_ne!(
        ix.analyse("scadenza").concepts.len(),
        ix.analyse("scadenza del bando").concepts.len()
    );
    // A reload (a new index) keeps nothing of another's.
    assert_eq!(index().memory().analyses, (0, 0));
}

/// The marks of an excerpt are taken from memory when the text and the wanted stems are
/// the same, and are those found afresh; another text or another question finds its own.
#[test]
fn excerpts_from_memory_mark_what_finding_marks() {
    let ix = index();
    let fresh = index();
    let text = "Il termine è stato prorogato, la scadenza è il 27/02/2020. Le imprese piccole partecipano.";
    let other = "La scadenza delle domande cade in febbraio, per le piccole imprese.";
    let marked = |r: &Rich| -> Vec<String> {
        r.0.iter()
            .filter_map(|s| match s {
                Span::Mark(m) => Some(m.clone()),
                _ => None,
            })
            .collect()
    };
    let deadline = ix.analyse("proroga della scadenza");
    let firms = ix.analyse("piccole imprese");
    for (q, t) in [(&deadline, text), (&firms, text), (&deadline, other)] {
        let made = fresh.excerpt(q, t, 300);
        assert_eq!(ix.excerpt(q, t, 300), made);
        assert_eq!(ix.excerpt(q, t, 300), made);
    }
    assert_eq!(ix.memory().marks, (3, 3));
    // The same text, another question: other words marked.
    let a = marked(&ix.excerpt(&deadline, text, 300));
    let b = marked(&ix.excerpt(&firms, text, 300));
    assert!(a.iter().any(|m| m == "scadenza"), "{a:?}");
    assert!(!b.iter().any(|m| m == "scadenza"), "{b:?}");
    assert!(b.iter().any(|m| m == "imprese"), "{b:?}");
    // The same question, another text: the marks of that text (its offsets).
    let c = marked(&ix.excerpt(&deadline, other, 300));
    assert_eq!(c, ["scadenza"]);
    // A cut excerpt reads the same marks (the length is not part of what is kept).
    assert_eq!(
        ix.excerpt(&deadline, text, 40),
        fresh.excerpt(&deadline, text, 40)
    );
}

#[test]
fn excerpts_mark_the_matched_words() {
    let ix = index();
    let q = ix.analyse("proroga della scadensa");
    let r = ix.excerpt(
        &q,
        "Il termine è stato prorogato, la scadenza è il 27/02/2020.",
        300,
    );
    let marks: Vec<_> =
        r.0.iter()
            .filter_map(|s| {
                if let Span::Mark(m) = s {
                    Some(m.as_str())
                } else {
                    None
                }
            })
            .collect();
    assert_eq!(marks, vec!["prorogato", "scadenza"]);
    assert_eq!(
        r.to_plain(),
        "Il termine è stato prorogato, la scadenza è il 27/02/2020."
    );
}

/// Analyses are kept per thread for the texts of one message, but never handed from one
/// index to another: the same words weigh what each index says.
#[test]
fn a_kept_analysis_belongs_to_its_own_index() {
    let ix = index();
    let other = SearchIndex::build(vec![doc("faq:altro", "Altro", "Niente.")], &[]).unwrap();
    let q = "scadenza del bando";
    let first = ix.analyse(q);
    assert!(first.known_weight() > 0.0);
    // Asked again: the same analysis.
    assert_eq!(ix.analyse(q).stems(), first.stems());
    assert_eq!(ix.analyse(q).known_weight(), first.known_weight());
    // The other index knows none of these words.
    assert_eq!(other.analyse(q).known_weight(), 0.0);
    assert!(ix.analyse(q).known_weight() > 0.0);
}

#[test]
fn the_askers_context_tells_close_entries_apart_without_changing_what_is_asked() {
    let ix = SearchIndex::build(
        vec![
            doc(
                "faq:servizi-figli",
                "Quali servizi per i figli dei dipendenti si possono finanziare?",
                "Nidi, baby parking e centri estivi.",
            ),
            doc(
                "faq:servizi-salute",
                "Quali servizi per la salute dei dipendenti si possono finanziare?",
                "Assicurazioni sanitarie e check-up.",
            ),
            doc("faq:scadenza", "Qual è la scadenza?", "Il 30 giugno."),
        ],
        &[],
    )
    .unwrap();
    let q = "quali servizi si possono finanziare";
    let alone = ix.search(q, 3);
    let with = ix.search_in_context(q, "abbiamo molti figli piccoli", 0.4, 3, &[]);
    let top = |r: &Results| ix.entry(r.hits[0].entry).doc.id.clone();
    assert_eq!(top(&with), "faq:servizi-figli");
    // What the hit says of the question is of the question's own words.
    let of = |r: &Results, id: &str| {
        r.hits
            .iter()
            .find(|h| ix.entry(h.entry).doc.id == id)
            .map(|h| (h.coverage, h.similarity))
            .unwrap()
    };
    assert_eq!(
        of(&alone, "faq:servizi-salute"),
        of(&with, "faq:servizi-salute")
    );
    assert_eq!(
        alone.query.content_concepts(),
        with.query.content_concepts()
    );
    // No context, or a share of nothing, is the plain search.
    let none = ix.search_in_context(q, "abbiamo molti figli piccoli", 0.0, 3, &[]);
    assert_eq!(top(&none), top(&alone));
}

#[test]
fn fields_hold_the_terms_indexed_in_them() {
    let ix = index();
    let (title, body) = (ix.fields.title, ix.fields.body);
    let stem = |w: &str| ix.stem_word(w).expect("a word with a stem");
    // In a title and in a body, in a title only, in a body only.
    let novita = stem("novità");
    assert!(ix.field_holds(title, &novita) && ix.field_holds(body, &novita));
    let scadenza = stem("scadenza");
    assert!(ix.field_holds(title, &scadenza) && !ix.field_holds(body, &scadenza));
    let proroghe = stem("proroghe");
    assert!(!ix.field_holds(title, &proroghe) && ix.field_holds(body, &proroghe));
    // Nowhere.
    assert!(!ix.field_holds(title, "zzz") && !ix.field_holds(body, "zzz"));
    // Leaving out the clauses that would score nothing finds the same entries.
    let hits = ix.search("scadenza delle proroghe", 3).hits;
    assert_eq!(
        hits.first().map(|h| ix.entry(h.entry).doc.id.as_str()),
        Some("faq:scadenza")
    );
}

#[test]
fn searches_from_memory_find_what_searching_finds() {
    let ix = index();
    let questions = [
        "scadenza del bando",
        "le pmi possono partecipare?",
        "perche la strategia",
        "novita",
        "piccole e medie imprese scadenza",
        "zzz",
    ];
    let same = |a: &Results, b: &Results| {
        assert_eq!(a.hits, b.hits);
        assert_eq!(a.confidence, b.confidence);
        assert_eq!(a.query.unknown_terms(), b.query.unknown_terms());
    };
    for q in questions {
        // A new index has searched nothing: its results are searched, not remembered.
        let fresh = index();
        let searched = fresh.search(q, 3);
        let plain = fresh.search_bm25(q, 3);
        let first = ix.search(q, 3);
        let again = ix.search(q, 3);
        same(&searched, &first);
        same(&searched, &again);
        assert_eq!(plain, ix.search_bm25(q, 3));
        assert_eq!(plain, ix.search_bm25(q, 3));
        // Another limit or scope is another query.
        assert_eq!(fresh.search_bm25(q, 1), ix.search_bm25(q, 1));
        same(&fresh.search_passages(q, 5), &ix.search_passages(q, 5));
        same(
            &fresh.search_light(q, 3, &["bando"]),
            &ix.search_light(q, 3, &["bando"]),
        );
    }
    let counts = ix.memory();
    // Each question with a stem: its plain search with a limit of 3 run once and
    // remembered once, with a limit of 1 run once; each with a concept: its search run
    // once and remembered once, its passages searched (another scope), and its light
    // search remembered unless a light word weighs less.
    let asked = questions.len() as u64 - 1;
    assert_eq!(2 * counts.plain.0, counts.plain.1, "{counts:?}");
    assert!(counts.plain.0 >= asked, "{counts:?}");
    assert!(
        counts.answers.0 >= asked && counts.answers.1 >= 2 * asked,
        "{counts:?}"
    );
    assert_eq!(counts.answers.0 + counts.answers.1, 4 * asked, "{counts:?}");
    // A new index (a reload) does not see what another one found.
    let reloaded = index();
    assert_eq!(reloaded.memory(), MemoryCounts::default());
    reloaded.search_bm25(questions[0], 3);
    reloaded.search(questions[0], 3);
    assert_eq!(reloaded.memory().plain, (0, 1));
    assert_eq!(reloaded.memory().answers, (0, 1));
}

#[test]
fn everyday_function_words_are_not_unknown_words() {
    let ix = index();
    // «poi», «far», «alcune», «troppo», «oppure» say nothing of what is asked: they are
    // not words the pack fails to know (which would make a question look off topic).
    let q = ix.search(
        "e poi alcune imprese possono far domanda oppure è troppo tardi?",
        3,
    );
    for w in [
        "poi", "far", "alcun", "alcune", "tropp", "troppo", "oppur", "oppure",
    ] {
        assert!(
            !q.query.unknown_terms().iter().any(|t| t == w),
            "{w}: {:?}",
            q.query.unknown_terms()
        );
    }
    assert_eq!(
        best(&ix, "e poi le pmi possono partecipare?"),
        Some("faq:pmi".into())
    );
}

/// An entry's opening is the same whether answered from the flag computed for the locale's
/// definition cues or tested afresh (a copy of the list, at another address).
#[test]
fn a_titles_opening_is_the_same_from_the_flag_and_afresh() {
    let ix = SearchIndex::build(
        vec![
            doc(
                "faq:cos-e",
                "Che cos'è il welfare aziendale?",
                "Un insieme di servizi.",
            ),
            doc(
                "faq:vuol",
                "Cosa vuol dire de minimis?",
                "Un limite agli aiuti.",
            ),
            doc(
                "faq:tardi",
                "Quando scade il bando, cos'è cambiato?",
                "Il termine.",
            ),
            doc("faq:chi", "Chi può partecipare?", "Le imprese."),
        ],
        &[],
    )
    .unwrap();
    let cues = crate::text::texts(crate::text::Lang::It).phrases("words.define");
    let copy: Vec<crate::fold::Phrase> = cues.to_vec();
    let mut opening = Vec::new();
    for e in 0..ix.entries().len() {
        let flag = ix.title_opens_with(e, cues);
        assert_eq!(flag, ix.title_opens_with(e, &copy), "{e}");
        opening.push(flag);
    }
    // «cos'è» and «vuol dire» in the first four words; not in the fifth; not at all.
    assert_eq!(opening, [true, true, false, false]);
    assert!(!ix.title_opens_with(0, &[]));
}

/// Passages never reach the answers, whether the top is collected (pruned) or every
/// match is counted (the plain scorer), and the passages' scope finds them.
#[test]
fn passages_are_left_out_of_the_answers() {
    let mut docs = Vec::new();
    for i in 0..6 {
        let mut p = doc(
            &format!("doc:c/d#{i}"),
            "",
            "La scadenza della scadenza del bando.",
        );
        p.kind = EntryKind::Passage;
        docs.push(p);
        docs.push(doc(
            &format!("faq:f{i}"),
            &format!("Domanda {i} sulla scadenza"),
            "Risposta.",
        ));
    }
    docs.push(doc("faq:altro", "Chi può partecipare?", "Le imprese."));
    let ix = SearchIndex::build(docs, &[]).unwrap();
    let kinds = |r: &Results| -> Vec<EntryKind> {
        r.hits.iter().map(|h| ix.entry(h.entry).doc.kind).collect()
    };
    let answers = kinds(&ix.search("scadenza del bando", 20));
    assert!(!answers.is_empty());
    assert!(answers.iter().all(|k| *k == EntryKind::Faq), "{answers:?}");
    let passages = kinds(&ix.search_passages("scadenza del bando", 20));
    assert!(!passages.is_empty());
    assert!(
        passages.iter().all(|k| *k == EntryKind::Passage),
        "{passages:?}"
    );
    let scadenza = ix.analyse("scadenza");
    for (scope, kind) in [
        (Scope::Answers, EntryKind::Faq),
        (Scope::Passages, EntryKind::Passage),
    ] {
        let found = ix.top_for(&scadenza, scope, 100);
        assert_eq!(found.len(), 6, "the six of {kind:?}, none of the others");
        assert!(found.iter().all(|h| ix.entry(h.0).doc.kind == kind));
    }
}
