//! What the engine says back: rich text made of typed spans, buttons and documents.
//!
//! Replies never carry markup strings. Dynamic text (a user's words, an answer from the
//! knowledge pack) is always a span, and each adapter renders spans for its own medium:
//! HTML with every span escaped for Telegram, plain text for the console. That is why an
//! answer containing `_*[]()~>#+-=|{}.!` can never break Telegram's entity parser.

use serde::{Deserialize, Serialize};

/// One run of text with a single style.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Span {
    Plain(String),
    Bold(String),
    Italic(String),
    /// A word that matched the user's question.
    Mark(String),
    Link {
        label: String,
        url: String,
    },
}

impl Span {
    fn text(&self) -> &str {
        match self {
            Span::Plain(s) | Span::Bold(s) | Span::Italic(s) | Span::Mark(s) => s,
            Span::Link { label, .. } => label,
        }
    }

    fn with_text(&self, s: String) -> Span {
        match self {
            Span::Plain(_) => Span::Plain(s),
            Span::Bold(_) => Span::Bold(s),
            Span::Italic(_) => Span::Italic(s),
            Span::Mark(_) => Span::Mark(s),
            Span::Link { url, .. } => Span::Link {
                label: s,
                url: url.clone(),
            },
        }
    }
}

/// Text with styles, built from spans.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rich(pub Vec<Span>);

impl Rich {
    pub fn new() -> Self {
        Rich(Vec::new())
    }

    pub fn plain(s: impl Into<String>) -> Self {
        Rich(vec![Span::Plain(s.into())])
    }

    /// Appends a span; adjacent spans of the same style merge, so the HTML stays compact
    /// (`<b>Domanda 1 di 9</b>`, not one tag per piece of a template).
    pub fn push(&mut self, span: Span) -> &mut Self {
        if span.text().is_empty() {
            return self;
        }
        match (self.0.last_mut(), &span) {
            (Some(Span::Plain(a)), Span::Plain(b))
            | (Some(Span::Bold(a)), Span::Bold(b))
            | (Some(Span::Italic(a)), Span::Italic(b))
            | (Some(Span::Mark(a)), Span::Mark(b)) => a.push_str(b),
            _ => self.0.push(span),
        }
        self
    }

    pub fn text(&mut self, s: impl Into<String>) -> &mut Self {
        self.push(Span::Plain(s.into()))
    }

    pub fn bold(&mut self, s: impl Into<String>) -> &mut Self {
        self.push(Span::Bold(s.into()))
    }

    pub fn italic(&mut self, s: impl Into<String>) -> &mut Self {
        self.push(Span::Italic(s.into()))
    }

    pub fn line(&mut self) -> &mut Self {
        self.text("\n")
    }

    pub fn para(&mut self) -> &mut Self {
        self.text("\n\n")
    }

    pub fn append(&mut self, other: Rich) -> &mut Self {
        for s in other.0 {
            self.push(s);
        }
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|s| s.text().trim().is_empty())
    }

    /// The text without styles (what a console or a log shows).
    pub fn to_plain(&self) -> String {
        self.0.iter().map(Span::text).collect()
    }

    /// Telegram HTML, every span escaped.
    pub fn to_html(&self) -> String {
        let mut out = String::with_capacity(self.0.iter().map(|s| s.text().len() + 8).sum());
        for span in &self.0 {
            match span {
                Span::Plain(s) => escape_html_into(&mut out, s),
                Span::Bold(s) => {
                    out.push_str("<b>");
                    escape_html_into(&mut out, s);
                    out.push_str("</b>");
                }
                Span::Italic(s) => {
                    out.push_str("<i>");
                    escape_html_into(&mut out, s);
                    out.push_str("</i>");
                }
                // The few words that carry the match, in bold like Telegram's own search.
                Span::Mark(s) => {
                    out.push_str("<b>");
                    escape_html_into(&mut out, s);
                    out.push_str("</b>");
                }
                Span::Link { label, url } => {
                    out.push_str("<a href=\"");
                    escape_html_into(&mut out, url);
                    out.push_str("\">");
                    escape_html_into(&mut out, label);
                    out.push_str("</a>");
                }
            }
        }
        out
    }

    /// Text for a terminal: bold and matched words in ANSI bold when `ansi` (a terminal),
    /// plain otherwise (piped output gets no marks at all: « » are Italian quotes).
    pub fn to_console(&self, ansi: bool) -> String {
        self.0
            .iter()
            .map(|s| match s {
                Span::Mark(t) | Span::Bold(t) if ansi => format!("\x1b[1m{t}\x1b[0m"),
                Span::Link { label, url } if label != url => format!("{label} ({url})"),
                other => other.text().to_string(),
            })
            .collect()
    }

    /// Splits the text into pieces whose plain length stays within `max_chars`, cutting
    /// at paragraph breaks first, then at line breaks, then at spaces, and only as a last
    /// resort inside a word. Styles are kept on both sides of a cut.
    pub fn split(&self, max_chars: usize) -> Vec<Rich> {
        let max_chars = max_chars.max(16);
        // A text of no more bytes than that has no more characters either.
        let fits = |count: fn(&str) -> usize| {
            self.0.iter().map(|s| count(s.text())).sum::<usize>() <= max_chars
        };
        if fits(str::len) || fits(|t| t.chars().count()) {
            return vec![self.clone()];
        }
        // Flatten to (char, span index) so a cut can be chosen on the plain text.
        let chars: Vec<(char, usize)> = self
            .0
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.text().chars().map(move |c| (c, i)))
            .collect();
        let mut pieces = Vec::new();
        let mut start = 0;
        while start < chars.len() {
            let hard_end = (start + max_chars).min(chars.len());
            let end = if hard_end == chars.len() {
                hard_end
            } else {
                let window = &chars[start..hard_end];
                let find = |pat: &dyn Fn(usize) -> bool| {
                    (1..window.len()).rev().find(|&k| pat(k)).map(|k| start + k)
                };
                let para = find(&|k| window[k - 1].0 == '\n' && window[k].0 == '\n');
                let line = find(&|k| window[k].0 == '\n');
                let space = find(&|k| window[k].0 == ' ');
                para.or(line)
                    .or(space)
                    .filter(|&e| e > start + max_chars / 4)
                    .unwrap_or(hard_end)
            };
            let mut piece = Rich::new();
            let mut k = start;
            while k < end {
                let idx = chars[k].1;
                let mut s = String::new();
                while k < end && chars[k].1 == idx {
                    s.push(chars[k].0);
                    k += 1;
                }
                piece.push(self.0[idx].with_text(s));
            }
            // Drop the separators at the cut so no piece starts or ends with blank lines.
            let trimmed = trim_rich(piece);
            if !trimmed.is_empty() {
                pieces.push(trimmed);
            }
            start = end;
        }
        pieces
    }
}

fn trim_rich(mut r: Rich) -> Rich {
    if let Some(first) = r.0.first_mut() {
        let t = first.text().trim_start_matches(['\n', ' ']).to_string();
        *first = first.with_text(t);
    }
    if let Some(last) = r.0.last_mut() {
        let t = last.text().trim_end_matches(['\n', ' ']).to_string();
        *last = last.with_text(t);
    }
    r.0.retain(|s| !s.text().is_empty());
    r
}

/// Escapes text for Telegram's HTML parse mode (`<`, `>`, `&` and quotes).
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_html_into(&mut out, s);
    out
}

/// [`escape_html`] at the end of `out`.
fn escape_html_into(out: &mut String, s: &str) {
    // The text between two characters to escape is copied whole (they are ASCII, so
    // every cut falls between characters).
    let mut from = 0;
    for (i, b) in s.bytes().enumerate() {
        let entity = match b {
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'&' => "&amp;",
            b'"' => "&quot;",
            _ => continue,
        };
        out.push_str(&s[from..i]);
        out.push_str(entity);
        from = i + 1;
    }
    out.push_str(&s[from..]);
}

/// An inline button: a label and the (versioned, validated) data it carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    pub label: String,
    pub data: String,
}

/// A file sent as a document (e.g. an `.ics` calendar entry), or an image sent as a
/// photo (the `/statistiche` chart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub caption: Option<Rich>,
    /// Shown as a photo (PNG or JPEG) rather than as a file to download.
    #[serde(default)]
    pub photo: bool,
}

/// One message of the bot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub text: Rich,
    /// Rows of inline buttons.
    pub buttons: Vec<Vec<Button>>,
    pub document: Option<Document>,
    /// When the event was a button press: replace the pressed message instead of sending a
    /// new one (adapters that cannot edit just send it).
    pub edit: bool,
    /// The message asks for a typed answer (a number, a VAT number): a console reads a
    /// number typed next as that answer, not as a button.
    #[serde(default)]
    pub typed_answer: bool,
}

impl Reply {
    pub fn new(text: Rich) -> Self {
        Reply {
            text,
            ..Default::default()
        }
    }

    pub fn with_buttons(mut self, rows: Vec<Vec<Button>>) -> Self {
        self.buttons = rows.into_iter().filter(|r| !r.is_empty()).collect();
        self
    }

    pub fn editing(mut self) -> Self {
        self.edit = true;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_every_dynamic_span() {
        let mut r = Rich::new();
        r.bold("a<b>&")
            .text(" _*[]()~>#+-=|{}.! ")
            .push(Span::Link {
                label: "x\"y".into(),
                url: "https://e.x/?a=1&b=2".into(),
            });
        assert_eq!(
            r.to_html(),
            "<b>a&lt;b&gt;&amp;</b> _*[]()~&gt;#+-=|{}.! <a href=\"https://e.x/?a=1&amp;b=2\">x&quot;y</a>"
        );
    }

    #[test]
    fn escaping_changes_the_four_characters_and_keeps_every_other_one() {
        let by_char = |s: &str| -> String {
            s.chars()
                .map(|c| match c {
                    '<' => "&lt;".to_string(),
                    '>' => "&gt;".to_string(),
                    '&' => "&amp;".to_string(),
                    '"' => "&quot;".to_string(),
                    c => c.to_string(),
                })
                .collect()
        };
        for s in [
            "",
            "<",
            "&&",
            "\"«è»\"",
            "perché <3 & più>",
            "€ 20 M€ — «WECARE» & A.L.Fa.",
            "🙂<🙂>🙂",
            "fine con &",
        ] {
            assert_eq!(escape_html(s), by_char(s), "{s}");
        }
        assert_eq!(escape_html("è<é"), "è&lt;é");
    }

    #[test]
    fn marks_are_bold_in_telegram_and_a_terminal_and_absent_when_piped() {
        let mut r = Rich::new();
        r.text("il ").push(Span::Mark("cofinanziamento".into()));
        assert_eq!(r.to_html(), "il <b>cofinanziamento</b>");
        assert_eq!(r.to_console(false), "il cofinanziamento");
        assert_eq!(r.to_console(true), "il \x1b[1mcofinanziamento\x1b[0m");
    }

    #[test]
    fn adjacent_spans_of_one_style_merge() {
        let mut r = Rich::new();
        r.bold("Domanda ").bold("1").text(" di ").text("9").bold("");
        assert_eq!(
            r.0,
            vec![Span::Bold("Domanda 1".into()), Span::Plain(" di 9".into())]
        );
        assert_eq!(r.to_html(), "<b>Domanda 1</b> di 9");
    }

    #[test]
    fn split_prefers_paragraphs_and_keeps_styles() {
        let mut r = Rich::new();
        r.bold("Titolo")
            .para()
            .text("a".repeat(30))
            .para()
            .text("b".repeat(30));
        let parts = r.split(45);
        assert_eq!(parts.len(), 2, "{parts:?}");
        assert_eq!(parts[0].0[0], Span::Bold("Titolo".into()));
        assert!(parts[0].to_plain().ends_with('a'));
        assert_eq!(parts[1].to_plain(), "b".repeat(30));
        assert!(parts.iter().all(|p| p.to_plain().chars().count() <= 45));
    }

    #[test]
    fn split_cuts_a_word_longer_than_the_limit() {
        let r = Rich::plain("x".repeat(100));
        let parts = r.split(30);
        assert_eq!(
            parts.iter().map(|p| p.to_plain()).collect::<String>(),
            "x".repeat(100)
        );
        assert!(parts.iter().all(|p| p.to_plain().chars().count() <= 30));
    }

    #[test]
    fn split_counts_characters_not_bytes() {
        // 30 characters in 70 bytes: one piece at 40, the limit in characters.
        let mut r = Rich::plain("è".repeat(20));
        r.bold("€".repeat(10));
        assert_eq!(r.split(40), vec![r.clone()]);
        let parts = r.split(25);
        assert_eq!(parts.len(), 2, "{parts:?}");
        assert!(parts.iter().all(|p| p.to_plain().chars().count() <= 25));
    }
}
