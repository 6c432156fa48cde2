//! Splitting rules checked on text: normalising, headings, paragraphs, pages, chunks.

use super::*;

fn h(line: &str) -> Option<(String, Option<String>)> {
    article_heading(line).map(|h| (h.number, h.title))
}

#[test]
fn article_headings_in_their_usual_spellings() {
    let t = |s: &str| Some(s.to_string());
    assert_eq!(
        h("Art. 5 – Soggetti beneficiari"),
        Some(("5".into(), t("Soggetti beneficiari")))
    );
    assert_eq!(h("Articolo 12"), Some(("12".into(), None)));
    assert_eq!(
        h("ART. 3 SPESE AMMISSIBILI"),
        Some(("3".into(), t("SPESE AMMISSIBILI")))
    );
    assert_eq!(h("Art.7 - Proroghe"), Some(("7".into(), t("Proroghe"))));
    assert_eq!(
        h("Articolo 4 (Modalità di presentazione)"),
        Some(("4".into(), t("Modalità di presentazione")))
    );
    assert_eq!(
        h("Art. 5-bis – Proroga"),
        Some(("5-bis".into(), t("Proroga")))
    );
    assert_eq!(h("Art. 5 bis"), Some(("5-bis".into(), None)));
    // References inside sentences are not headings.
    assert_eq!(h("Art. 5 del decreto legislativo n. 50/2016"), None);
    assert_eq!(h("art. 5 – minuscolo"), None);
    assert_eq!(h("Art. 5, comma 2, della legge"), None);
    assert_eq!(h("Artigianato e commercio"), None);
    assert_eq!(h(&format!("Art. 5 – {}", "Parola ".repeat(40))), None);
}

#[test]
fn numbered_paragraphs() {
    assert_eq!(
        paragraph_number("5.1 Il contributo è concesso"),
        Some("5.1".into())
    );
    assert_eq!(
        paragraph_number("2.3.1. Spese generali"),
        Some("2.3.1".into())
    );
    assert_eq!(paragraph_number("1) Possono partecipare"), Some("1".into()));
    assert_eq!(paragraph_number("3. Le domande"), Some("3".into()));
    assert_eq!(paragraph_number("3. le domande"), None);
    assert_eq!(paragraph_number("2019. Il termine"), None);
    assert_eq!(paragraph_number("27/02/2020 Termine"), None);
    assert_eq!(paragraph_number("5.000 euro di contributo"), None);
}

#[test]
fn normalise_fixes_ligatures_accents_hyphens_and_spaces() {
    let decomposed = "pubblicita\u{0300}"; // a + combining grave
    assert_eq!(normalise(decomposed), "pubblicità");
    assert_eq!(
        normalise("bene\u{FB01}ciari e \u{FB02}essibilità"),
        "beneficiari e flessibilità"
    );
    assert_eq!(
        normalise("le imprese che intendono parte-\ncipare al bando"),
        "le imprese che intendono partecipare\nal bando"
    );
    assert_eq!(normalise("Emilia-\nRomagna"), "Emilia-\nRomagna");
    assert_eq!(
        normalise("a\u{00A0}\u{00A0}b\t c\u{00AD}d\r\n\n\n\ne"),
        "a b cd\n\ne"
    );
}

const BANDO: [&str; 3] = [
    "Bando per il welfare aziendale\nPremessa generale del bando.\n1",
    "Art. 1 – Finalità\nIl bando sostiene la conciliazione\ntra vita e lavoro.\n\nArt. 2 – Soggetti beneficiari\nPossono presentare domanda le PMI\ncon sede in Piemonte.\n2",
    "Articolo 3\nSpese ammissibili\nSono ammissibili le spese per servizi\ndi welfare.\nPag. 3 di 3",
];

#[test]
fn a_document_with_articles_is_split_by_article_with_pages() {
    let pages: Vec<String> = BANDO.iter().map(|s| s.to_string()).collect();
    let p = split(&pages, true);
    let view: Vec<(Option<&str>, Option<&str>, Option<u32>)> = p
        .iter()
        .map(|p| (p.article.as_deref(), p.heading.as_deref(), p.page))
        .collect();
    assert_eq!(
        view,
        vec![
            (None, None, Some(1)),
            (Some("1"), Some("Finalità"), Some(2)),
            (Some("2"), Some("Soggetti beneficiari"), Some(2)),
            (Some("3"), Some("Spese ammissibili"), Some(3)),
        ]
    );
    // Wrapped lines are joined; page numbers and headings are not part of the text.
    assert_eq!(
        p[2].text,
        "Possono presentare domanda le PMI con sede in Piemonte."
    );
    assert_eq!(
        p[3].text,
        "Sono ammissibili le spese per servizi di welfare."
    );
    // A line without a sentence end is a wrapped line, even before a capital.
    assert_eq!(
        p[0].text,
        "Bando per il welfare aziendale Premessa generale del bando."
    );
}

#[test]
fn an_article_crossing_a_page_keeps_its_first_page_and_last_page() {
    let pages = vec![
        "Art. 1 – Oggetto\nTesto uno.".to_string(),
        "Art. 2 – Durata\nInizio del testo".to_string(),
        "che continua qui.\nArt. 3 – Fine\nUltimo.".to_string(),
    ];
    let p = split(&pages, true);
    assert_eq!(p[1].article.as_deref(), Some("2"));
    assert_eq!((p[1].page, p[1].last_page), (Some(2), Some(3)));
    assert_eq!(p[1].text, "Inizio del testo che continua qui.");
}

#[test]
fn long_articles_are_split_at_numbered_paragraphs() {
    let filler = "Il testo prosegue con parole qualsiasi per riempire la riga.\n".repeat(20);
    let page = format!(
        "Art. 5 – Contributo\n5.1 Il contributo massimo\n{filler}5.2 Il cofinanziamento minimo è del 20%.\n{filler}Art. 6 – Fine\nFine."
    );
    let p = split(&[page], true);
    let paras: Vec<(Option<&str>, Option<&str>)> = p
        .iter()
        .map(|p| (p.article.as_deref(), p.paragraph.as_deref()))
        .collect();
    assert_eq!(
        paras,
        vec![
            (Some("5"), Some("5.1")),
            (Some("5"), Some("5.2")),
            (Some("6"), None)
        ]
    );
    assert!(
        p[1].text.starts_with("5.2 Il cofinanziamento minimo"),
        "{}",
        p[1].text
    );
    assert_eq!(p[1].heading.as_deref(), Some("Contributo"));
}

#[test]
fn without_articles_numbered_paragraphs_then_pages() {
    let numbered = "Linee guida\n1. Chi può partecipare\nLe imprese.\n2. Come si partecipa\nOnline.\n2.1 Dettagli\nCon SPID.\n2.1.1 Ancora\nNo.";
    let p = split(&[numbered.to_string()], false);
    let n: Vec<Option<&str>> = p.iter().map(|p| p.paragraph.as_deref()).collect();
    assert_eq!(n, vec![None, Some("1"), Some("2"), Some("2.1")]);
    assert!(p.iter().all(|p| p.page.is_none()));
    assert!(p[3].text.contains("2.1.1 Ancora"));

    let plain = vec![
        "Prima pagina di testo.".to_string(),
        "Seconda pagina.".to_string(),
    ];
    let p = split(&plain, true);
    let pages: Vec<Option<u32>> = p.iter().map(|p| p.page).collect();
    assert_eq!(pages, vec![Some(1), Some(2)]);
}

#[test]
fn empty_text_gives_no_passages() {
    assert!(split(&["".into(), "  \n 3 \n".into()], true).is_empty());
    assert!(split(&[], false).is_empty());
}
