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
mod tests;
