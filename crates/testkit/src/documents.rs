//! Writes small PDF and DOCX files, for the tests and the documents benchmark.
//!
//! The repository ships no official document it did not write: tests and benchmarks make
//! their own, with Italian accents, ligatures and page breaks, in the two formats the region
//! publishes. PDF pages use the standard Helvetica font in WinAnsi encoding (Latin-1 accents)
//! plus two glyphs remapped to the "fi"/"fl" ligatures, as typeset PDFs have them.

use std::io::Write;

use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, Stream, StringFormat, dictionary};

/// Code points the test font maps to ligature glyphs (unused in WinAnsi).
const FI: u8 = 0x81;
const FL: u8 = 0x8D;

fn win_ansi(line: &str) -> Vec<u8> {
    line.chars()
        .map(|c| match c {
            '\u{FB01}' => FI,
            '\u{FB02}' => FL,
            '€' => 0x80,
            '–' => 0x96,
            '’' => 0x92,
            '«' => 0xAB,
            '»' => 0xBB,
            c if (c as u32) < 0x100 => c as u8,
            _ => b'?',
        })
        .collect()
}

/// A PDF with a text layer: one string per line, pages in order.
pub fn pdf(pages: &[Vec<String>]) -> Vec<u8> {
    let mut ops_per_page = Vec::new();
    for lines in pages {
        let mut ops = vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 10.into()]),
            Operation::new("TL", vec![14.into()]),
            Operation::new("Td", vec![56.into(), 790.into()]),
        ];
        for l in lines {
            ops.push(Operation::new(
                "Tj",
                vec![Object::String(win_ansi(l), StringFormat::Literal)],
            ));
            ops.push(Operation::new("T*", vec![]));
        }
        ops.push(Operation::new("ET", vec![]));
        ops_per_page.push(ops);
    }
    build(ops_per_page)
}

/// A PDF whose pages hold only drawings: what a scan looks like to a text extractor.
pub fn pdf_without_text(pages: usize) -> Vec<u8> {
    let page = || {
        vec![
            Operation::new("rg", vec![0.2.into(), 0.2.into(), 0.2.into()]),
            Operation::new("re", vec![56.into(), 400.into(), 480.into(), 300.into()]),
            Operation::new("f", vec![]),
        ]
    };
    build((0..pages).map(|_| page()).collect())
}

fn build(pages: Vec<Vec<Operation>>) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let encoding = doc.add_object(dictionary! {
        "Type" => "Encoding",
        "BaseEncoding" => "WinAnsiEncoding",
        "Differences" => vec![
            Object::Integer(FI as i64), Object::Name(b"fi".to_vec()),
            Object::Integer(FL as i64), Object::Name(b"fl".to_vec()),
        ],
    });
    let font = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
        "Encoding" => encoding,
    });
    let resources = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => font },
    });
    let mut kids = Vec::new();
    for operations in pages {
        let content = Content { operations };
        let stream = Stream::new(dictionary! {}, content.encode().expect("content encodes"));
        let content_id = doc.add_object(stream);
        let page = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
        });
        kids.push(Object::Reference(page));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => count,
            "Resources" => resources,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog = doc.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
    });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("PDF written to memory");
    out
}

/// A piece of a generated DOCX body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocxPart {
    Paragraph(String),
    /// An explicit page break (`w:br w:type="page"`).
    PageBreak,
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A minimal valid DOCX (content types, relationships, document body), deflate-compressed.
pub fn docx(parts: &[DocxPart]) -> Vec<u8> {
    let mut body = String::new();
    for p in parts {
        match p {
            DocxPart::Paragraph(t) => body.push_str(&format!(
                "<w:p><w:r><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
                xml_escape(t)
            )),
            DocxPart::PageBreak => body.push_str("<w:p><w:r><w:br w:type=\"page\"/></w:r></w:p>"),
        }
    }
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}</w:body></w:document>"
    );
    let files = [
        (
            "[Content_Types].xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>".to_string(),
        ),
        (
            "_rels/.rels",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/></Relationships>".to_string(),
        ),
        ("word/document.xml", document),
    ];
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in files {
        zip.start_file(name, options).expect("zip entry");
        zip.write_all(content.as_bytes()).expect("zip write");
    }
    zip.finish().expect("zip finished").into_inner()
}
