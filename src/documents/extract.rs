//! Text out of official documents: PDF (text layer), DOCX, HTML and plain text, page by page.
//!
//! Extraction never panics on bad input and never stops a load: a file that cannot be read
//! gives a [`Problem`] that `sportello check` shows with what to do about it.

use std::io::Read;

use super::Format;

/// Why a document gives no usable text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A PDF whose pages carry no text (a scan, or text turned into drawings).
    NoTextLayer,
    /// The file is damaged, truncated or not what its extension says.
    Corrupt(String),
    /// A PDF protected by a password.
    Encrypted,
    /// A file type that is not read.
    Unsupported(String),
    /// Reading it took longer than its time budget (seconds).
    TooSlow(u64),
}

impl Problem {
    /// The message for `sportello check`: what is wrong and what to do.
    pub fn advice(&self) -> String {
        match self {
            Problem::NoTextLayer => "the PDF has no text layer (a scan?): run OCR on it, or \
                ask the issuer for the original PDF, and put that file here instead"
                .into(),
            Problem::Corrupt(why) => format!(
                "the file cannot be read ({why}): download it again or export it again from \
                 the original"
            ),
            Problem::Encrypted => "the PDF is protected by a password: ask the issuer for an \
                unprotected copy"
                .into(),
            Problem::TooSlow(secs) => format!(
                "reading it took more than {secs} s, so it was left out: check that it is \
                 the right file; a very large scan or an unusual PDF may need to be saved \
                 again (print to PDF) or split"
            ),
            Problem::Unsupported(ext) => format!(
                "files of type «{ext}» are not read: save it as PDF, DOCX, HTML or TXT (or move \
                 it out of knowledge/documents)"
            ),
        }
    }
}

/// Text of a document, page by page.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Extracted {
    pub pages: Vec<String>,
    /// True when `pages` are real pages (so passages can cite a page number).
    pub paged: bool,
}

/// Fewer letters than this in a whole PDF means it has no text layer.
const MIN_LETTERS: usize = 20;

/// Extracts the text of a document from its bytes.
pub fn extract(format: Format, bytes: &[u8]) -> Result<Extracted, Problem> {
    raw(format, bytes).and_then(|e| usable(format, e))
}

/// Whether extracted text can be used: a PDF with (almost) no letters has no text layer.
/// Kept apart from [`raw`] so that the cache remembers scans too and does not read them
/// again at every start.
pub fn usable(format: Format, e: Extracted) -> Result<Extracted, Problem> {
    if format == Format::Pdf && e.pages.iter().map(|p| letters(p)).sum::<usize>() < MIN_LETTERS {
        return Err(Problem::NoTextLayer);
    }
    Ok(e)
}

/// The text as read, before [`usable`] judges it.
pub fn raw(format: Format, bytes: &[u8]) -> Result<Extracted, Problem> {
    match format {
        Format::Pdf => pdf(bytes),
        Format::Docx => docx(bytes),
        Format::Html => html(bytes),
        Format::Text => Ok(text(bytes)),
    }
}

fn letters(s: &str) -> usize {
    s.chars().filter(|c| c.is_alphabetic()).count()
}

fn pdf(bytes: &[u8]) -> Result<Extracted, Problem> {
    let head = &bytes[..bytes.len().min(1024)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(Problem::Corrupt("no PDF header".into()));
    }
    // pdf-extract can panic on malformed content streams: contain it, the load goes on.
    let run = std::panic::catch_unwind(|| -> Result<Vec<String>, Problem> {
        let mut doc =
            lopdf::Document::load_mem(bytes).map_err(|e| Problem::Corrupt(e.to_string()))?;
        if doc.is_encrypted() && doc.decrypt("").is_err() {
            return Err(Problem::Encrypted);
        }
        let pages = doc.get_pages();
        if pages.is_empty() {
            return Err(Problem::Corrupt("the PDF has no pages".into()));
        }
        let mut out = Vec::with_capacity(pages.len());
        for &n in pages.keys() {
            let mut s = String::new();
            let mut dev = pdf_extract::PlainTextOutput::new(&mut s);
            // A page that fails counts as empty; the others are still read.
            if let Err(e) = pdf_extract::output_doc_page(&doc, &mut dev, n) {
                tracing::debug!("PDF page {n}: {e}");
                s.clear();
            }
            out.push(s);
        }
        Ok(out)
    });
    let pages = match run {
        Ok(r) => r?,
        Err(_) => {
            return Err(Problem::Corrupt(
                "the PDF reader failed on its content".into(),
            ));
        }
    };
    Ok(Extracted { pages, paged: true })
}

/// DOCX: the paragraphs of `word/document.xml`; explicit page breaks and the page breaks
/// Word recorded when it last laid the document out (`w:lastRenderedPageBreak`) start pages.
fn docx(bytes: &[u8]) -> Result<Extracted, Problem> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| Problem::Corrupt(format!("not a DOCX archive: {e}")))?;
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .map_err(|_| Problem::Corrupt("no word/document.xml inside".into()))?
        .read_to_string(&mut xml)
        .map_err(|e| Problem::Corrupt(e.to_string()))?;
    docx_xml(&xml)
}

fn docx_xml(xml: &str) -> Result<Extracted, Problem> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut pages = vec![String::new()];
    let mut breaks = 0;
    let mut in_text = false;
    let bad = |e: quick_xml::Error| Problem::Corrupt(format!("document.xml: {e}"));
    loop {
        let ev = reader.read_event().map_err(bad)?;
        match &ev {
            Event::Start(e) | Event::Empty(e) => {
                let empty = matches!(ev, Event::Empty(_));
                let name = e.name();
                let name: &str = name.as_ref();
                match name {
                    "w:t" => in_text = !empty,
                    "w:tab" => pages.last_mut().expect("one page").push(' '),
                    "w:br" | "w:cr" | "w:lastRenderedPageBreak" => {
                        let page_break = name == "w:lastRenderedPageBreak"
                            || e.attributes().flatten().any(|a| {
                                let key: &str = a.key.as_ref();
                                let value: &str = &a.value;
                                key == "w:type" && value == "page"
                            });
                        let cur = pages.last_mut().expect("one page");
                        if !page_break {
                            cur.push('\n');
                        } else if !cur.trim().is_empty() {
                            // Word writes both an explicit break and the rendered one for the
                            // same page: a page only starts after some text.
                            breaks += 1;
                            pages.push(String::new());
                        }
                    }
                    _ => {}
                }
            }
            Event::End(e) => match AsRef::<str>::as_ref(&e.name()) {
                "w:t" => in_text = false,
                "w:p" => pages.last_mut().expect("one page").push('\n'),
                _ => {}
            },
            Event::Text(t) if in_text => pages
                .last_mut()
                .expect("one page")
                .push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_text => {
                let c = match r.resolve_char_ref().map_err(bad)? {
                    Some(c) => Some(c),
                    None => match &**r {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        _ => None,
                    },
                };
                if let Some(c) = c {
                    pages.last_mut().expect("one page").push(c);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if pages.last().is_some_and(|p| p.trim().is_empty()) && pages.len() > 1 {
        pages.pop();
    }
    Ok(Extracted {
        pages,
        paged: breaks > 0,
    })
}

fn html(bytes: &[u8]) -> Result<Extracted, Problem> {
    let text = html2text::config::plain_no_decorate()
        .allow_width_overflow()
        .string_from_read(bytes, 100_000)
        .map_err(|e| Problem::Corrupt(format!("HTML: {e}")))?;
    // html2text marks headings with `#`s even undecorated: a heading is just a line here.
    let text: Vec<&str> = text
        .lines()
        .map(|l| {
            let t = l.trim_start_matches('#');
            if t.len() < l.len() && t.starts_with(' ') {
                t.trim_start()
            } else {
                l
            }
        })
        .collect();
    Ok(Extracted {
        pages: vec![text.join("\n")],
        paged: false,
    })
}

/// Plain text: UTF-8, else Windows-1252 (what older offices save); form feeds separate pages
/// (as `pdftotext` writes them).
fn text(bytes: &[u8]) -> Extracted {
    let s = match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    };
    let s = s.strip_prefix('\u{FEFF}').unwrap_or(&s);
    let pages: Vec<String> = s.split('\u{000C}').map(String::from).collect();
    let paged = pages.len() > 1;
    Extracted { pages, paged }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docx_paragraphs_breaks_and_entities() {
        let xml = r#"<w:document><w:body>
<w:p><w:r><w:t>Art. 1 – Finalità</w:t></w:r></w:p>
<w:p><w:r><w:t xml:space="preserve">Sicurezza &amp; </w:t></w:r><w:r><w:t>welfare</w:t></w:r><w:r><w:instrText>PAGE</w:instrText></w:r></w:p>
<w:p><w:r><w:br w:type="page"/></w:r></w:p>
<w:p><w:r><w:lastRenderedPageBreak/><w:t>Art. 2 – Più</w:t><w:tab/><w:t>x</w:t></w:r></w:p>
</w:body></w:document>"#;
        let e = docx_xml(xml).unwrap();
        assert!(e.paged);
        assert_eq!(e.pages.len(), 2, "{:?}", e.pages);
        assert_eq!(e.pages[0].trim(), "Art. 1 – Finalità\nSicurezza & welfare");
        assert_eq!(e.pages[1].trim(), "Art. 2 – Più x");
    }

    #[test]
    fn text_files_split_at_form_feeds_and_read_windows_1252() {
        let e = text(b"Pagina uno\x0cPagina due");
        assert!(e.paged);
        assert_eq!(e.pages, vec!["Pagina uno", "Pagina due"]);
        let e = text(b"Perch\xe9 s\xec");
        assert_eq!(e.pages, vec!["Perché sì"]);
        assert!(!e.paged);
    }

    #[test]
    fn html_keeps_blocks_on_their_own_lines() {
        let e = html(b"<html><body><h2>Art. 3 &ndash; Spese</h2><p>Sono ammesse le spese <b>di</b> welfare.</p><script>x()</script></body></html>").unwrap();
        let t = &e.pages[0];
        assert!(t.starts_with("Art. 3 – Spese\n"), "{t}");
        assert!(t.contains("Sono ammesse le spese di welfare."), "{t}");
        assert!(!t.contains("x()"), "{t}");
    }

    #[test]
    fn garbage_is_reported_not_panicked_on() {
        assert!(matches!(
            extract(Format::Pdf, b"hello"),
            Err(Problem::Corrupt(_))
        ));
        assert!(matches!(
            extract(
                Format::Pdf,
                b"%PDF-1.5\n1 0 obj << /Type /Catalog >> garbage"
            ),
            Err(Problem::Corrupt(_) | Problem::NoTextLayer)
        ));
        assert!(matches!(
            extract(Format::Docx, b"PK\x03\x04broken"),
            Err(Problem::Corrupt(_))
        ));
    }
}
