//! Official documents end to end: generated PDF and DOCX files in a knowledge pack, read,
//! split, cached, cited in answers, sent as files; unreadable files reported by `check`.

use std::path::{Path, PathBuf};
use std::process::Command;

use jiff::Timestamp;
use sportello::action::Action;
use sportello::app::{App, Brain};
use sportello::dialogue::{Effect, Event, Outcome, Session, Settings};
use sportello::documents::extract::{Problem, extract};
use sportello::documents::{Format, split};
use sportello::knowledge::CallId;
use sportello::reply::Span;
use sportello::store::{Store, UserId};
use sportello_testkit::documents::{self as generate, DocxPart};

const CALL: &str = r#"id = "prova"
kind = "call"
programme = "Prova"
title = "Bando di prova per il welfare"
short = "Bando di prova"
summary = "Un bando di prova per le imprese."
source = "test"
"#;

const FAQ: &str = r#"[[faq]]
id = "prova-scadenza"
calls = ["prova"]
question = "Qual è la scadenza del bando di prova?"
answer = "Le domande si presentano entro il 30/06/2026."
source = "test"
"#;

fn lines(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn bando_pages() -> Vec<Vec<String>> {
    vec![
        lines(&[
            "Bando per il welfare aziendale 2026",
            "Regione Piemonte",
            "1",
        ]),
        lines(&[
            "Art. 1 – Finalità",
            "Il presente bando sostiene la conciliazione tra vita e lavoro.",
            "Art. 2 – Dotazione finanziaria",
            "La dotazione è di 2.500.000 € a valere sul fondo regionale.",
            "2",
        ]),
        lines(&[
            "Art. 5 – Soggetti beneficiari",
            "Possono presentare domanda le piccole e medie imprese con",
            "sede operativa in Piemonte. Sono escluse le imprese in difficoltà.",
            "Art. 6 – Spese ammissibili",
            "Sono ammissibili i costi per servizi di welfare, asili nido e",
            "trasporto dei dipendenti, de\u{FB01}niti nel piano aziendale.",
            "3",
        ]),
        lines(&[
            "Art. 7 – Termini di presentazione",
            "La scadenza per la presentazione delle domande del bando è il",
            "30/06/2026, ore 12:00; le domande si inviano tramite PEC.",
            "4",
        ]),
    ]
}

struct Pack {
    _tmp: tempfile::TempDir,
    knowledge: PathBuf,
    cache: PathBuf,
}

fn pack() -> Pack {
    let tmp = tempfile::tempdir().unwrap();
    let k = tmp.path().join("knowledge");
    let docs = k.join("documents/prova");
    std::fs::create_dir_all(k.join("calls")).unwrap();
    std::fs::create_dir_all(k.join("faq")).unwrap();
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::write(k.join("calls/prova.toml"), CALL).unwrap();
    std::fs::write(k.join("faq/prova.toml"), FAQ).unwrap();
    std::fs::write(docs.join("bando.pdf"), generate::pdf(&bando_pages())).unwrap();
    let p = |s: &str| DocxPart::Paragraph(s.into());
    std::fs::write(
        docs.join("linee-guida.docx"),
        generate::docx(&[
            p("Linee guida per la rendicontazione"),
            p("Art. 1 – Rendicontazione"),
            p("La rendicontazione si presenta con la relazione finale."),
            DocxPart::PageBreak,
            p("Art. 2 – Controlli"),
            p("I controlli in loco sono svolti dalla Regione entro 90 giorni."),
        ]),
    )
    .unwrap();
    std::fs::write(
        docs.join("avviso-regione.html"),
        "<html><head><title>Avviso</title><script>var x = 1;</script></head><body>\
         <h2>Art. 1 &ndash; Oggetto</h2><p>Avviso sul bando di prova.</p>\
         <h2>Art. 2 &ndash; Cumulabilità</h2><p>Il contributo <b>non</b> è cumulabile con altri aiuti di Stato.</p>\
         </body></html>",
    )
    .unwrap();
    std::fs::write(docs.join("scansione.pdf"), generate::pdf_without_text(3)).unwrap();
    std::fs::write(
        docs.join("rotto.pdf"),
        b"%PDF-1.7\n\x00\x01 questo non \xe8 un PDF",
    )
    .unwrap();
    std::fs::write(docs.join("vecchio.doc"), b"\xd0\xcf\x11\xe0").unwrap();
    std::fs::write(docs.join("titles.toml"), "\"bando.pdf\" = \"Bando\"\n").unwrap();
    // A second call whose document also speaks of deadlines.
    std::fs::write(
        k.join("calls/altro.toml"),
        CALL.replace("\"prova\"", "\"altro\"")
            .replace("Bando di prova", "Altro bando"),
    )
    .unwrap();
    std::fs::create_dir_all(k.join("documents/altro")).unwrap();
    std::fs::write(
        k.join("documents/altro/avviso.txt"),
        "Art. 1 – Scadenza\nLa scadenza del bando di prova non vale qui: il termine è il 31/12/2026.\n\nArt. 2 – Altro\nAltro testo.\n",
    )
    .unwrap();
    let cache = tmp.path().join("cache");
    Pack {
        knowledge: k,
        cache,
        _tmp: tmp,
    }
}

fn load(p: &Pack) -> Brain {
    Brain::load_with(&p.knowledge, Some(&p.cache)).expect("the pack loads despite bad documents")
}

fn now() -> Timestamp {
    "2026-03-01T10:00:00Z".parse().unwrap()
}

fn say(b: &Brain, ev: Event) -> Outcome {
    let settings = Settings::default();
    b.engine(&settings).handle(Session::default(), &ev, now())
}

fn marks(o: &Outcome) -> Vec<String> {
    o.replies
        .iter()
        .flat_map(|r| r.text.0.iter())
        .filter_map(|s| match s {
            Span::Mark(m) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

fn all_text(o: &Outcome) -> String {
    o.replies
        .iter()
        .map(|r| r.text.to_plain())
        .collect::<Vec<_>>()
        .join("\n---\n")
}

#[test]
fn unreadable_documents_are_warnings_and_the_rest_loads() {
    let p = pack();
    let b = load(&p);
    let mut docs: Vec<(&str, &str)> = b
        .knowledge
        .documents
        .iter()
        .map(|d| (d.id.as_str(), d.title.as_str()))
        .collect();
    docs.sort();
    assert_eq!(
        docs,
        vec![
            ("avviso", "Avviso"),
            ("avviso-regione", "Avviso regione"),
            ("bando", "Bando"),
            ("linee-guida", "Linee guida")
        ]
    );
    let warned = |name: &str, what: &str| {
        b.knowledge
            .warnings
            .iter()
            .any(|w| w.file.file_name().is_some_and(|f| f == name) && w.message.contains(what))
    };
    assert!(
        warned("scansione.pdf", "no text layer"),
        "{:#?}",
        b.knowledge.warnings
    );
    assert!(
        warned("scansione.pdf", "OCR"),
        "{:#?}",
        b.knowledge.warnings
    );
    assert!(
        warned("rotto.pdf", "cannot be read"),
        "{:#?}",
        b.knowledge.warnings
    );
    assert!(
        warned("vecchio.doc", "«doc» are not read"),
        "{:#?}",
        b.knowledge.warnings
    );
    assert_eq!(b.knowledge.warnings.len(), 3, "{:#?}", b.knowledge.warnings);
    // The FAQ and the call are there as ever.
    assert_eq!(b.knowledge.faqs.len(), 1);
}

#[test]
fn articles_and_pages_are_kept_from_pdf_and_docx() {
    let p = pack();
    let b = load(&p);
    let bando = b.knowledge.document("prova", "bando").unwrap();
    let art5 = bando
        .passages
        .iter()
        .find(|x| x.article.as_deref() == Some("5"))
        .unwrap();
    assert_eq!(art5.heading.as_deref(), Some("Soggetti beneficiari"));
    assert_eq!(art5.page, Some(3));
    assert_eq!(
        art5.text,
        "Possono presentare domanda le piccole e medie imprese con sede operativa in Piemonte. Sono escluse le imprese in difficoltà."
    );
    let art6 = bando
        .passages
        .iter()
        .find(|x| x.article.as_deref() == Some("6"))
        .unwrap();
    assert!(
        art6.text.contains("definiti nel piano"),
        "ligature: {}",
        art6.text
    );
    let guide = b.knowledge.document("prova", "linee-guida").unwrap();
    let controls = guide
        .passages
        .iter()
        .find(|x| x.article.as_deref() == Some("2"))
        .unwrap();
    assert_eq!(
        (controls.heading.as_deref(), controls.page),
        (Some("Controlli"), Some(2))
    );
}

#[test]
fn without_a_faq_the_official_text_answers_with_its_citation() {
    let p = pack();
    let b = load(&p);
    let o = say(
        &b,
        Event::Text("le imprese in difficoltà possono presentare domanda?".into()),
    );
    let t = all_text(&o);
    assert!(t.contains("testo ufficiale"), "{t}");
    assert!(t.contains("Art. 5 – Soggetti beneficiari"), "{t}");
    assert!(t.contains("Fonte: Bando, art. 5, pag. 3"), "{t}");
    let m = marks(&o);
    assert!(m.iter().any(|w| w == "difficoltà"), "{m:?}");
    assert!(m.iter().any(|w| w == "imprese"), "{m:?}");
    // A button sends the document itself.
    let doc_button = Action::Document(CallId("prova".into()), "bando".into()).encode();
    assert!(
        o.replies
            .iter()
            .flat_map(|r| r.buttons.iter().flatten())
            .any(|b| b.data == doc_button),
        "{:#?}",
        o.replies
    );
    assert_eq!(o.session.topic, Some(CallId("prova".into())));

    let o = say(&b, Event::Text("chi svolge i controlli in loco?".into()));
    let t = all_text(&o);
    assert!(t.contains("Fonte: Linee guida, art. 2, pag. 2"), "{t}");

    // A web page has no pages: the citation stops at the article.
    let o = say(
        &b,
        Event::Text("il contributo è cumulabile con altri aiuti di Stato?".into()),
    );
    let t = all_text(&o);
    assert!(t.contains("Art. 2 – Cumulabilità"), "{t}");
    assert!(
        t.contains("Fonte: Avviso regione, art. 2\n")
            || t.ends_with("Fonte: Avviso regione, art. 2"),
        "{t}"
    );
}

#[test]
fn a_confident_faq_comes_first_and_the_official_text_below() {
    let p = pack();
    let b = load(&p);
    let o = say(
        &b,
        Event::Text("qual è la scadenza del bando di prova?".into()),
    );
    assert!(o.replies.len() >= 2, "{:#?}", o.replies);
    let first = o.replies[0].text.to_plain();
    assert!(
        first.contains("Le domande si presentano entro il 30/06/2026."),
        "{first}"
    );
    let second = o.replies[1].text.to_plain();
    assert!(second.contains("Nel testo ufficiale"), "{second}");
    assert!(second.contains("Fonte: Bando, art. 7, pag. 4"), "{second}");
    // The other call's notice matches the words too, but it is not about this call.
    assert!(!second.contains("31/12/2026"), "{second}");
    assert!(
        matches!(&o.effects[..], [Effect::Asked { confident: true, best: Some(id), .. }] if id == "faq:prova-scadenza")
    );
}

#[test]
fn questions_the_documents_do_not_cover_get_no_passage() {
    let p = pack();
    let b = load(&p);
    let t = all_text(&say(&b, Event::Text("ricetta della carbonara".into())));
    assert!(!t.contains("Fonte:"), "{t}");
}

#[test]
fn passage_buttons_show_the_whole_passage_and_stale_ones_are_refused() {
    let p = pack();
    let b = load(&p);
    let bando = b.knowledge.document("prova", "bando").unwrap();
    let n = bando
        .passages
        .iter()
        .position(|x| x.article.as_deref() == Some("7"))
        .unwrap() as u32;
    let o = say(
        &b,
        Event::Button(Action::Passage(CallId("prova".into()), "bando".into(), n).encode()),
    );
    let t = all_text(&o);
    assert!(t.contains("Art. 7 – Termini di presentazione"), "{t}");
    assert!(t.contains("tramite PEC"), "{t}");
    assert!(t.contains("Fonte: Bando, art. 7, pag. 4"), "{t}");
    for stale in [
        Action::Passage(CallId("prova".into()), "bando".into(), 999),
        Action::Passage(CallId("prova".into()), "manca".into(), 0),
        Action::Document(CallId("prova".into()), "scansione".into()),
    ] {
        let o = say(&b, Event::Button(stale.encode()));
        assert!(all_text(&o).contains("non è più valido"), "{stale:?}");
        assert!(o.effects.is_empty());
    }
}

#[tokio::test]
async fn the_document_button_sends_the_file() {
    let p = pack();
    let b = load(&p);
    let file = b.knowledge.document("prova", "bando").unwrap().file.clone();
    let app = App::new(
        b,
        p.knowledge.clone(),
        Store::temporary().unwrap(),
        Settings::default(),
    );
    let press = Event::Button(Action::Document(CallId("prova".into()), "bando".into()).encode());
    let replies = app.handle(UserId(7), &press, now()).await.unwrap();
    let doc = replies
        .iter()
        .find_map(|r| r.document.as_ref())
        .expect("a document reply");
    assert_eq!(doc.file_name, "bando.pdf");
    assert_eq!(doc.bytes, std::fs::read(&file).unwrap());
    let caption = doc.caption.as_ref().unwrap().to_plain();
    assert!(
        caption.contains("Bando") && caption.contains("Bando di prova"),
        "{caption}"
    );

    // The file went away after loading: a polite message instead of an error.
    std::fs::remove_file(&file).unwrap();
    let replies = app.handle(UserId(7), &press, now()).await.unwrap();
    assert!(replies.iter().all(|r| r.document.is_none()));
    assert!(
        replies[0]
            .text
            .to_plain()
            .contains("non riesco a inviarti il documento")
    );
}

#[test]
fn a_restart_reads_the_cache_instead_of_extracting_again() {
    let p = pack();
    let first = load(&p);
    let cached: Vec<PathBuf> = std::fs::read_dir(&p.cache)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    // Four readable documents (and the scan, whose emptiness is also remembered).
    assert_eq!(cached.len(), 5, "{cached:?}");
    assert_eq!(first.knowledge.documents.len(), 4);
    // Change what the cache says: if the restart extracted again, it would not show.
    for f in &cached {
        let s = std::fs::read_to_string(f).unwrap();
        std::fs::write(f, s.replace("asili nido", "ludoteche")).unwrap();
    }
    let second = load(&p);
    let art6 = &second
        .knowledge
        .document("prova", "bando")
        .unwrap()
        .passages
        .iter()
        .find(|x| x.article.as_deref() == Some("6"))
        .unwrap()
        .text;
    assert!(art6.contains("ludoteche"), "{art6}");
}

#[test]
fn a_missing_or_unwritable_cache_does_not_break_loading() {
    let p = pack();
    std::fs::write(&p.cache, b"a file where the cache folder should be").unwrap();
    let b = load(&p);
    assert_eq!(b.knowledge.documents.len(), 4);
    let b = Brain::load_with(&p.knowledge, None).unwrap();
    assert_eq!(b.knowledge.documents.len(), 4);
}

#[test]
fn documents_of_an_unknown_call_are_a_warning() {
    let p = pack();
    let other = p.knowledge.join("documents/nessuno");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("a.txt"), "Testo").unwrap();
    let b = load(&p);
    assert!(
        b.knowledge
            .warnings
            .iter()
            .any(|w| w.file.ends_with("nessuno")
                && w.message.contains("no call has the id «nessuno»"))
    );
}

fn check(p: &Pack, strict: bool) -> std::process::Output {
    let config = p.knowledge.parent().unwrap().join("config.toml");
    std::fs::write(
        &config,
        "[knowledge]\ndir = \"knowledge\"\ndocuments_cache = \"cache\"\n",
    )
    .unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_sportello"));
    c.env_remove("SPORTELLO_KNOWLEDGE_DIR")
        .env_remove("SPORTELLO_DATA_DIR")
        .arg("--config")
        .arg(&config)
        .arg("check");
    if strict {
        c.arg("--strict");
    }
    c.output().unwrap()
}

#[test]
fn check_names_unreadable_documents_and_fails_only_when_strict() {
    let p = pack();
    let out = check(&p, false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("4 documenti"), "{stdout}");
    for name in ["scansione.pdf", "rotto.pdf", "vecchio.doc"] {
        assert!(
            stderr
                .lines()
                .any(|l| l.starts_with("warning:") && l.contains(name)),
            "{name}: {stderr}"
        );
    }
    let out = check(&p, true);
    assert!(!out.status.success());
    assert!(Path::new(&p.cache).is_dir());
}

// The generated files read back as they were written.
#[test]
fn generated_pdf_text_comes_back_with_accents_and_ligatures() {
    let bytes = generate::pdf(&[
        vec![
            "Art. 1 – Finalità".into(),
            "Il bando è per i bene\u{FB01}ciari più \u{FB02}essibili.".into(),
        ],
        vec![
            "Art. 2 – Contributo".into(),
            "Fino a 5.000 € per impresa.".into(),
        ],
    ]);
    let e = extract(Format::Pdf, &bytes).unwrap();
    assert_eq!(e.pages.len(), 2);
    let passages = split::split(&e.pages, e.paged);
    assert_eq!(passages.len(), 2, "{passages:?}");
    assert_eq!(passages[0].heading.as_deref(), Some("Finalità"));
    assert_eq!(
        passages[0].text,
        "Il bando è per i beneficiari più flessibili."
    );
    assert_eq!(
        (passages[1].article.as_deref(), passages[1].page),
        (Some("2"), Some(2))
    );
    assert!(passages[1].text.contains("5.000 €"), "{}", passages[1].text);
}

#[test]
fn a_pdf_of_drawings_has_no_text_layer() {
    assert_eq!(
        extract(Format::Pdf, &generate::pdf_without_text(2)),
        Err(Problem::NoTextLayer)
    );
}

#[test]
fn generated_docx_reads_back_with_pages() {
    let bytes = generate::docx(&[
        DocxPart::Paragraph("Art. 1 – Perché".into()),
        DocxPart::Paragraph("Testo & altro.".into()),
        DocxPart::PageBreak,
        DocxPart::Paragraph("Art. 2 – Città".into()),
        DocxPart::Paragraph("Secondo.".into()),
    ]);
    let e = extract(Format::Docx, &bytes).unwrap();
    let p = split::split(&e.pages, e.paged);
    assert_eq!(p.len(), 2);
    assert_eq!(
        (p[1].heading.as_deref(), p[1].page),
        (Some("Città"), Some(2))
    );
    assert_eq!(p[0].text, "Testo & altro.");
}
