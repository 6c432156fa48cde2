//! Every user-facing string, per language, in one place.
//!
//! The strings live in `locales/<lang>.toml` (compiled into the binary) so that a second
//! language is a second file. Templates may use `*bold*` and `{name}` placeholders; the
//! values put into placeholders are always inserted as plain spans, never parsed, so user
//! text cannot inject formatting.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::reply::{Rich, Span};

/// The languages the bot speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    #[serde(rename = "it")]
    It,
}

impl Lang {
    pub const ALL: [Lang; 1] = [Lang::It];

    fn source(self) -> (&'static str, &'static str) {
        match self {
            Lang::It => ("locales/it.toml", include_str!("../locales/it.toml")),
        }
    }
}

/// The strings of one language.
#[derive(Debug)]
pub struct Texts {
    map: HashMap<String, String>,
    lists: HashMap<String, Vec<String>>,
    /// The same lists folded into phrases once (see [`crate::fold::phrase`]).
    phrases: HashMap<String, Vec<crate::fold::Phrase>>,
}

/// The strings of `lang`, loaded once.
pub fn texts(lang: Lang) -> &'static Texts {
    static IT: OnceLock<Texts> = OnceLock::new();
    match lang {
        Lang::It => IT.get_or_init(|| Texts::parse(lang.source().1).expect("locales/it.toml")),
    }
}

impl Texts {
    /// Parses a locale file: string values are messages, arrays of strings are word lists.
    pub fn parse(src: &str) -> Result<Texts, String> {
        let value: toml::Table = toml::from_str(src).map_err(|e| e.to_string())?;
        let mut map = HashMap::new();
        let mut lists = HashMap::new();
        for (k, v) in value {
            match v {
                toml::Value::String(s) => {
                    map.insert(k, s);
                }
                toml::Value::Array(a) => {
                    let words = a
                        .into_iter()
                        .map(|w| {
                            w.as_str()
                                .map(str::to_string)
                                .ok_or_else(|| format!("{k}: not a string"))
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    lists.insert(k, words);
                }
                _ => return Err(format!("{k}: expected a string or a list of strings")),
            }
        }
        let phrases = lists
            .iter()
            .map(|(k, v)| {
                let folded: Vec<crate::fold::Phrase> = v
                    .iter()
                    .map(|w| crate::fold::phrase(w))
                    .filter(|p| !p.is_empty())
                    .collect();
                (k.clone(), folded)
            })
            .collect();
        Ok(Texts {
            map,
            lists,
            phrases,
        })
    }

    /// The raw string for `key`. A missing key is a bug caught by the locale test; at run
    /// time it shows the key rather than panicking in front of a user.
    pub fn raw<'a>(&'a self, key: &'a str) -> &'a str {
        self.map.get(key).map(String::as_str).unwrap_or(key)
    }

    /// A word list (greetings, yes/no words...).
    pub fn list(&self, key: &str) -> &[String] {
        self.lists.get(key).map(Vec::as_slice).unwrap_or(&[])
    }

    /// A word list as folded phrases, to compare with the folded words of a message.
    pub fn phrases(&self, key: &str) -> &[crate::fold::Phrase] {
        self.phrases.get(key).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key) || self.lists.contains_key(key)
    }

    /// The plain text of `key` with placeholders filled.
    pub fn s(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.t(key, args).to_plain()
    }

    /// The rich text of `key` with placeholders filled.
    pub fn t(&self, key: &str, args: &[(&str, &str)]) -> Rich {
        render(self.raw(key), args)
    }
}

/// Renders a template: `*...*` toggles bold, `{name}` inserts an argument as a span.
pub fn render(template: &str, args: &[(&str, &str)]) -> Rich {
    let mut out = Rich::new();
    let mut bold = false;
    let mut buf = String::new();
    let flush = |out: &mut Rich, buf: &mut String, bold: bool| {
        if !buf.is_empty() {
            let s = std::mem::take(buf);
            out.push(if bold { Span::Bold(s) } else { Span::Plain(s) });
        }
    };
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => {
                flush(&mut out, &mut buf, bold);
                bold = !bold;
            }
            '{' => {
                let mut name = String::new();
                let mut closed = false;
                for n in chars.by_ref() {
                    if n == '}' {
                        closed = true;
                        break;
                    }
                    name.push(n);
                }
                match args.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) if closed => {
                        flush(&mut out, &mut buf, bold);
                        let v = v.to_string();
                        out.push(if bold { Span::Bold(v) } else { Span::Plain(v) });
                    }
                    _ => {
                        buf.push('{');
                        buf.push_str(&name);
                        if closed {
                            buf.push('}');
                        }
                    }
                }
            }
            c => buf.push(c),
        }
    }
    flush(&mut out, &mut buf, bold);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_plain_spans_even_with_markup_inside() {
        let r = render("Ciao *{name}*, benvenuto", &[("name", "*evil* <b>")]);
        assert_eq!(
            r.0,
            vec![
                Span::Plain("Ciao ".into()),
                Span::Bold("*evil* <b>".into()),
                Span::Plain(", benvenuto".into()),
            ]
        );
    }

    /// Every key used in the source (calls of `t`, `s`, `raw` and `list` with a literal key)
    /// exists in every language file, and every placeholder of a key is the same in all.
    #[test]
    fn every_used_key_exists_in_every_language() {
        let re = regex::Regex::new(r#"\.(?:t|s|raw|list)\(\s*"([a-z0-9_.]+)""#).unwrap();
        let mut used = std::collections::BTreeSet::new();
        let mut stack = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    let src = std::fs::read_to_string(&p).unwrap();
                    for c in re.captures_iter(&src) {
                        used.insert(c[1].to_string());
                    }
                }
            }
        }
        assert!(used.len() > 20, "the scan found too few keys: {used:?}");
        for lang in Lang::ALL {
            let tx = texts(lang);
            let missing: Vec<_> = used.iter().filter(|k| !tx.has(k)).collect();
            assert!(
                missing.is_empty(),
                "{:?} misses {missing:?}",
                lang.source().0
            );
        }
    }
}
