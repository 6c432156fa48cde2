//! Splitting extracted text into passages a person would cite: by article, else by numbered
//! paragraph, else by page. Pure functions over strings, so every rule is tested on text.

use std::sync::OnceLock;

use regex::Regex;
use unicode_normalization::UnicodeNormalization;

use super::Passage;

/// An article longer than this (characters) is split at its numbered paragraphs, so that a
/// citation points to the paragraph rather than to a page-long article.
const LONG_ARTICLE: usize = 1800;
/// A passage longer than this is split at page boundaries.
const MAX_PASSAGE: usize = 4000;
/// Unpaged text without articles or numbered paragraphs is grouped into passages of about
/// this many characters (at paragraph breaks).
const CHUNK: usize = 1500;
/// A heading is a short line: longer lines starting with "Art." are sentences.
const MAX_HEADING: usize = 160;

/// Typographic ligatures that PDF fonts produce as single characters; search and readers
/// want the letters.
const LIGATURES: &[(char, &str)] = &[
    ('\u{FB00}', "ff"),
    ('\u{FB01}', "fi"),
    ('\u{FB02}', "fl"),
    ('\u{FB03}', "ffi"),
    ('\u{FB04}', "ffl"),
    ('\u{FB05}', "st"),
    ('\u{FB06}', "st"),
    ('\u{0132}', "IJ"),
    ('\u{0133}', "ij"),
    ('\u{0152}', "OE"),
    ('\u{0153}', "oe"),
];

/// Cleans extracted text: composed accents (NFC), ligatures spelled out, odd spaces and
/// soft hyphens removed, words hyphenated across a line break joined, blank runs collapsed.
pub fn normalise(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.nfc() {
        match c {
            '\u{00AD}' | '\u{200B}' | '\u{FEFF}' | '\r' => {}
            '\u{00A0}' | '\u{2002}'..='\u{200A}' | '\u{202F}' | '\t' => s.push(' '),
            // Form feeds are page breaks: callers split on them before normalising.
            '\u{000C}' => s.push('\n'),
            c => match LIGATURES.iter().find(|(l, _)| *l == c) {
                Some((_, r)) => s.push_str(r),
                None => s.push(c),
            },
        }
    }
    let lines: Vec<String> = s
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    for line in lines {
        // "parte-" + "cipare" → "partecipare": only when the next line goes on in lower case.
        if let Some(prev) = out.last_mut() {
            let starts_lower = line.chars().next().is_some_and(char::is_lowercase);
            let hyphenated =
                prev.ends_with('-') && prev.chars().rev().nth(1).is_some_and(char::is_alphabetic);
            if hyphenated && starts_lower {
                prev.pop();
                let (word, rest) = line.split_once(' ').unwrap_or((&line, ""));
                prev.push_str(word);
                if !rest.is_empty() {
                    out.push(rest.to_string());
                }
                continue;
            }
        }
        out.push(line);
    }
    // At most one blank line in a row; none at the ends.
    let mut text = String::new();
    let mut blank = false;
    for l in out {
        if l.is_empty() {
            blank = !text.is_empty();
            continue;
        }
        if !text.is_empty() {
            text.push_str(if blank { "\n\n" } else { "\n" });
        }
        blank = false;
        text.push_str(&l);
    }
    text
}

/// An article heading found on a line: its number and its title, if on the same line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleHeading {
    pub number: String,
    pub title: Option<String>,
}

/// Recognises "Art. 5 – Soggetti beneficiari", "Articolo 5", "ART. 5 SOGGETTI", "Art. 5-bis
/// (Proroga)". A reference inside a sentence ("Art. 5 del decreto") is not a heading.
pub fn article_heading(line: &str) -> Option<ArticleHeading> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(
            r"^(?:ART(?:ICOLO)?|Art(?:icolo)?)\.?\s*(\d{1,3}(?:\s?[-–]?\s?(?:bis|ter|quater|quinquies|sexies))?)(?:\s*[-–—.:(]\s*(.*?)\)?|\s+(\p{Lu}.*))?\s*$",
        )
        .expect("article pattern")
    });
    let line = line.trim();
    if line.chars().count() > MAX_HEADING {
        return None;
    }
    let c = re.captures(line)?;
    let number = c[1]
        .split_whitespace()
        .collect::<String>()
        .replace('–', "-");
    let number = match number.find(|ch: char| ch.is_alphabetic()) {
        Some(i) if !number[..i].ends_with('-') => format!("{}-{}", &number[..i], &number[i..]),
        _ => number,
    };
    let title = c
        .get(2)
        .or(c.get(3))
        .map(|m| m.as_str().trim().trim_end_matches(')').trim().to_string())
        .filter(|t| !t.is_empty());
    // "Art. 5: si applica..." is a sentence, not a title.
    if title
        .as_ref()
        .is_some_and(|t| t.chars().next().is_some_and(char::is_lowercase))
    {
        return None;
    }
    Some(ArticleHeading { number, title })
}

/// Recognises a numbered paragraph at the start of a line: "5.1 Il contributo…",
/// "2.3.1. Spese…", "1) Possono…", "3. Le domande…". Returns its number.
pub fn paragraph_number(line: &str) -> Option<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"^(\d{1,2}(?:\.\d{1,2}){1,2}\.?|\d{1,2}[.)])\s+[\p{Lu}«“\x22]")
            .expect("paragraph pattern")
    });
    let c = re.captures(line.trim())?;
    Some(c[1].trim_end_matches(['.', ')']).to_string())
}

/// A page number line printed by the page layout ("3", "Pag. 3 di 40", "3/40").
fn is_page_number(line: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"^(?i:pag(?:ina|\.)?\s*)?[-–]?\s*\d{1,4}\s*[-–]?(?:\s*(?:di|/)\s*\d{1,4})?$")
            .expect("page number pattern")
    });
    re.is_match(line.trim())
}

#[derive(Debug, Clone)]
struct Line {
    /// 0-based page index.
    page: usize,
    text: String,
}

/// Lines of all pages, with the page they are on; page-number lines at the top or bottom of
/// a page are dropped. Blank lines are kept as empty lines (paragraph breaks); a page break
/// is not one, as sentences and articles go on across pages.
fn lines_of(pages: &[String]) -> Vec<Line> {
    let mut out = Vec::new();
    for (p, page) in pages.iter().enumerate() {
        let text = normalise(page);
        let mut lines: Vec<&str> = text.lines().collect();
        while lines.first().is_some_and(|l| is_page_number(l)) {
            lines.remove(0);
        }
        while lines.last().is_some_and(|l| is_page_number(l)) {
            lines.pop();
        }
        out.extend(lines.into_iter().map(|l| Line {
            page: p,
            text: l.to_string(),
        }));
    }
    out
}

/// Joins lines into paragraphs: wrapped lines are joined with a space; a blank line, a
/// list item or a sentence end followed by a capital starts a new paragraph.
fn join_lines(lines: &[Line]) -> String {
    let mut text = String::new();
    let mut prev_end: Option<char> = None;
    let mut blank = false;
    for l in lines {
        if l.text.is_empty() {
            blank = true;
            continue;
        }
        if let Some(end) = prev_end {
            let first = l.text.chars().next().unwrap_or(' ');
            let item = paragraph_number(&l.text).is_some()
                || matches!(first, '•' | '-' | '–' | '·' | '▪')
                || is_letter_item(&l.text);
            let new_para = blank
                || item
                || (matches!(end, '.' | ';' | ':' | '!' | '?') && first.is_uppercase());
            text.push_str(if new_para { "\n\n" } else { " " });
        }
        text.push_str(&l.text);
        prev_end = l.text.chars().last();
        blank = false;
    }
    text
}

/// "a) ..." / "b. ..." list items.
fn is_letter_item(line: &str) -> bool {
    let mut c = line.chars();
    matches!(
        (c.next(), c.next(), c.next()),
        (Some('a'..='z'), Some(')'), Some(' '))
    )
}

/// A span of lines that becomes one passage (or is split further).
#[derive(Debug, Clone)]
struct Block {
    article: Option<String>,
    heading: Option<String>,
    paragraph: Option<String>,
    /// The page of the heading that opened the block, if any.
    start: Option<usize>,
    lines: Vec<Line>,
}

impl Block {
    fn chars(&self) -> usize {
        self.lines.iter().map(|l| l.text.chars().count() + 1).sum()
    }

    fn first_page(&self) -> Option<usize> {
        self.start.or_else(|| {
            self.lines
                .iter()
                .find(|l| !l.text.is_empty())
                .map(|l| l.page)
        })
    }

    fn last_page(&self) -> Option<usize> {
        self.lines
            .iter()
            .rev()
            .find(|l| !l.text.is_empty())
            .map(|l| l.page)
    }
}

/// Splits a document's pages into passages. `paged` says whether the pages are real pages
/// (PDF, DOCX with page breaks, text with form feeds) so passages carry page numbers.
pub fn split(pages: &[String], paged: bool) -> Vec<Passage> {
    let lines = lines_of(pages);
    let articles = lines
        .iter()
        .filter(|l| article_heading(&l.text).is_some())
        .count();
    let paragraphs = lines
        .iter()
        .filter(|l| paragraph_number(&l.text).is_some())
        .count();
    let mut blocks = if articles >= 2 {
        by_articles(&lines)
    } else if paragraphs >= 2 {
        by_paragraphs(
            &Block {
                article: None,
                heading: None,
                paragraph: None,
                start: None,
                lines: lines.clone(),
            },
            true,
        )
    } else if paged {
        by_pages(&Block {
            article: None,
            heading: None,
            paragraph: None,
            start: None,
            lines,
        })
    } else {
        by_chunks(&lines)
    };
    // Long articles: at their numbered paragraphs; anything still too long: at pages.
    blocks = blocks
        .into_iter()
        .flat_map(|b| {
            if b.article.is_some() && b.chars() > LONG_ARTICLE {
                by_paragraphs(&b, false)
            } else {
                vec![b]
            }
        })
        .flat_map(|b| {
            if b.chars() > MAX_PASSAGE && paged {
                by_pages(&b)
            } else {
                vec![b]
            }
        })
        .collect();
    blocks
        .into_iter()
        .filter_map(|b| {
            let text = join_lines(&b.lines);
            if text.trim().is_empty() {
                return None;
            }
            let (page, last_page) = if paged {
                (
                    b.first_page().map(|p| p as u32 + 1),
                    b.last_page().map(|p| p as u32 + 1),
                )
            } else {
                (None, None)
            };
            Some(Passage {
                article: b.article,
                heading: b.heading,
                paragraph: b.paragraph,
                page,
                last_page,
                text,
            })
        })
        .collect()
}

fn by_articles(lines: &[Line]) -> Vec<Block> {
    let mut blocks = vec![Block {
        article: None,
        heading: None,
        paragraph: None,
        start: None,
        lines: Vec::new(),
    }];
    let mut i = 0;
    while i < lines.len() {
        let l = &lines[i];
        if let Some(h) = article_heading(&l.text) {
            let mut heading = h.title;
            // "Articolo 5" alone on its line: the title is usually the next short line.
            if heading.is_none() {
                let next = lines[i + 1..].iter().position(|n| !n.text.is_empty());
                if let Some(k) = next.map(|k| i + 1 + k) {
                    let t = &lines[k].text;
                    let title_like = t.chars().count() <= 100
                        && t.chars().next().is_some_and(char::is_uppercase)
                        && !t.ends_with(['.', ';', ':', ','])
                        && paragraph_number(t).is_none()
                        && article_heading(t).is_none();
                    if title_like {
                        heading = Some(t.clone());
                        i = k;
                    }
                }
            }
            blocks.push(Block {
                article: Some(h.number),
                heading,
                paragraph: None,
                // The heading's page is where the article starts, even if its body
                // begins on the next page.
                start: Some(l.page),
                lines: Vec::new(),
            });
        } else if let Some(b) = blocks.last_mut() {
            b.lines.push(l.clone());
        }
        i += 1;
    }
    blocks
}

/// Splits a block at its numbered paragraphs. At top level (`top`), only the first level of
/// numbering starts a passage ("2" and "2.1" both, but not "2.1.1").
fn by_paragraphs(b: &Block, top: bool) -> Vec<Block> {
    let mut out = vec![Block {
        paragraph: None,
        lines: Vec::new(),
        ..b.clone()
    }];
    for l in &b.lines {
        match paragraph_number(&l.text) {
            Some(n) if !top || n.matches('.').count() <= 1 => out.push(Block {
                paragraph: Some(n),
                start: None,
                lines: vec![l.clone()],
                ..b.clone()
            }),
            _ => {
                if let Some(last) = out.last_mut() {
                    last.lines.push(l.clone());
                }
            }
        }
    }
    out
}

fn by_pages(b: &Block) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    for l in &b.lines {
        match out.last_mut() {
            Some(last) if last.lines.last().is_some_and(|x| x.page == l.page) => {
                last.lines.push(l.clone())
            }
            _ => out.push(Block {
                start: if out.is_empty() { b.start } else { None },
                lines: vec![l.clone()],
                ..b.clone()
            }),
        }
    }
    out
}

/// Unpaged text without structure: paragraphs grouped up to [`CHUNK`] characters.
fn by_chunks(lines: &[Line]) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    let mut cur: Vec<Line> = Vec::new();
    let mut size = 0;
    for l in lines {
        if l.text.is_empty() && size >= CHUNK {
            out.push(Block {
                article: None,
                heading: None,
                paragraph: None,
                start: None,
                lines: std::mem::take(&mut cur),
            });
            size = 0;
        }
        size += l.text.chars().count() + 1;
        cur.push(l.clone());
    }
    out.push(Block {
        article: None,
        heading: None,
        paragraph: None,
        start: None,
        lines: cur,
    });
    out
}

#[cfg(test)]
mod tests {
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
}
