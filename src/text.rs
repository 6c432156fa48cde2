//! Every user-facing string, per language, in one place.
//!
//! The strings live in `locales/<lang>.toml` (compiled into the binary) so that a second
//! language is a second file. Templates may use `*bold*` and `{name}` placeholders; the
//! values put into placeholders are always inserted as plain spans, never parsed, so user
//! text cannot inject formatting. Dates and spans of time are built from the locale's
//! `time.*` words ([`time`]), which every locale must have to load; amounts are
//! [`format`](mod@format)'s.

pub mod format;
pub mod time;

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::reply::{Rich, Span};

// The keys are the locale's own (never a user's), and a message looks tens of them up: a
// fast seeded hasher, as for the search index's maps, instead of SipHash.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// The languages the bot speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    #[serde(rename = "it")]
    It,
    #[serde(rename = "en")]
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::It, Lang::En];

    fn source(self) -> (&'static str, &'static str) {
        match self {
            Lang::It => ("locales/it.toml", include_str!("../locales/it.toml")),
            Lang::En => ("locales/en.toml", include_str!("../locales/en.toml")),
        }
    }

    /// The language of a Telegram `language_code` (`en`, `en-GB` → English; any other
    /// code → Italian, the language of the calls).
    pub fn from_code(code: &str) -> Lang {
        let primary = code.split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("en") {
            Lang::En
        } else {
            Lang::It
        }
    }

    /// The language named in `/lingua en`, `/language italiano`… (`None`: not a language).
    pub fn from_name(name: &str) -> Option<Lang> {
        match crate::fold::fold_str(name).as_str() {
            "en" | "eng" | "english" | "inglese" => Some(Lang::En),
            "it" | "ita" | "italian" | "italiano" => Some(Lang::It),
            _ => None,
        }
    }

    /// The short code (`it`, `en`), as in `--lang` and the locale file names.
    pub fn code(self) -> &'static str {
        match self {
            Lang::It => "it",
            Lang::En => "en",
        }
    }
}

/// The strings of one language.
#[derive(Debug)]
pub struct Texts {
    /// The language these strings are in (numbers follow it, see the `format` module; dates
    /// and spans follow the locale's words, see the `time` module).
    pub lang: Lang,
    map: HashMap<String, String>,
    lists: HashMap<String, Vec<String>>,
    /// The same lists folded into phrases once (see [`crate::fold::phrase`]).
    phrases: HashMap<String, Vec<crate::fold::Phrase>>,
}

/// The strings of `lang`, loaded once.
pub fn texts(lang: Lang) -> &'static Texts {
    static IT: OnceLock<Texts> = OnceLock::new();
    static EN: OnceLock<Texts> = OnceLock::new();
    let cell = match lang {
        Lang::It => &IT,
        Lang::En => &EN,
    };
    cell.get_or_init(|| {
        let (name, src) = lang.source();
        let mut t = Texts::parse(src).unwrap_or_else(|e| panic!("{name}: {e}"));
        t.lang = lang;
        t
    })
}

impl Texts {
    /// Parses a locale file: string values are messages, arrays of strings are word lists.
    /// Fails, naming the key, when a time word is missing (see [`time`]).
    pub fn parse(src: &str) -> Result<Texts, String> {
        let value: toml::Table = toml::from_str(src).map_err(|e| e.to_string())?;
        let mut map = HashMap::default();
        let mut lists = HashMap::default();
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
        time::check(&map, &lists)?;
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
            lang: Lang::It,
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
/// The text between marks is copied a run at a time, not a character at a time.
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
    let mut rest = template;
    while let Some(at) = rest.find(['*', '{']) {
        buf.push_str(&rest[..at]);
        let mark = rest.as_bytes()[at];
        rest = &rest[at + 1..];
        if mark == b'*' {
            flush(&mut out, &mut buf, bold);
            bold = !bold;
            continue;
        }
        // A placeholder's name runs to the next `}` (or to the end, unclosed).
        let (name, closed) = match rest.find('}') {
            Some(end) => {
                let name = &rest[..end];
                rest = &rest[end + 1..];
                (name, true)
            }
            None => (std::mem::take(&mut rest), false),
        };
        match args.iter().find(|(k, _)| *k == name) {
            Some((_, v)) if closed => {
                flush(&mut out, &mut buf, bold);
                let v = v.to_string();
                out.push(if bold { Span::Bold(v) } else { Span::Plain(v) });
            }
            _ => {
                buf.push('{');
                buf.push_str(name);
                if closed {
                    buf.push('}');
                }
            }
        }
    }
    buf.push_str(rest);
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

    /// Marks, placeholders known and unknown, closed and not: the spans are those of a
    /// reading a character at a time (the former `render`).
    #[test]
    fn templates_render_as_read_a_character_at_a_time() {
        fn by_chars(template: &str, args: &[(&str, &str)]) -> Rich {
            let (mut out, mut bold, mut buf) = (Rich::new(), false, String::new());
            let flush = |out: &mut Rich, buf: &mut String, bold: bool| {
                if !buf.is_empty() {
                    let s = std::mem::take(buf);
                    out.push(if bold { Span::Bold(s) } else { Span::Plain(s) });
                }
            };
            let mut chars = template.chars();
            while let Some(c) = chars.next() {
                match c {
                    '*' => {
                        flush(&mut out, &mut buf, bold);
                        bold = !bold;
                    }
                    '{' => {
                        let (mut name, mut closed) = (String::new(), false);
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
        let args = [("a", "uno *x*"), ("b", ""), ("città", "Torino")];
        for t in [
            "",
            "plain",
            "**",
            "*bold* and *{a}* then {b}{a}",
            "{a",
            "x {unknown} y {a*b} {a{b} } {} {città}è",
            "*open {a} never closed",
            "àè*ì{a}ò*ù{",
        ] {
            assert_eq!(render(t, &args).0, by_chars(t, &args).0, "{t}");
        }
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

    /// The placeholders of a template (`{name}`), sorted.
    fn placeholders(s: &str) -> std::collections::BTreeSet<String> {
        let re = regex::Regex::new(r"\{([a-z_]+)\}").unwrap();
        re.captures_iter(s).map(|c| c[1].to_string()).collect()
    }

    /// Both locale files have the same keys, of the same kind (message or word list), and
    /// every message has the same placeholders in both.
    #[test]
    fn every_locale_has_the_same_keys_and_placeholders() {
        let it = texts(Lang::It);
        for lang in Lang::ALL {
            let tx = texts(lang);
            let name = lang.source().0;
            let mut problems = Vec::new();
            for k in it.map.keys().filter(|k| !tx.map.contains_key(*k)) {
                problems.push(format!("{name} misses message {k}"));
            }
            for k in tx.map.keys().filter(|k| !it.map.contains_key(*k)) {
                problems.push(format!("{name} has message {k} that it.toml lacks"));
            }
            for k in it.lists.keys().filter(|k| !tx.lists.contains_key(*k)) {
                problems.push(format!("{name} misses list {k}"));
            }
            for k in tx.lists.keys().filter(|k| !it.lists.contains_key(*k)) {
                problems.push(format!("{name} has list {k} that it.toml lacks"));
            }
            for (k, v) in &it.map {
                if let Some(w) = tx.map.get(k)
                    && !time::FREE_PLACEHOLDERS.contains(&k.as_str())
                    && placeholders(v) != placeholders(w)
                {
                    problems.push(format!("{name}: {k} has other placeholders"));
                }
            }
            assert!(problems.is_empty(), "{problems:#?}");
        }
    }

    /// The check above can fail: a key missing on one side is caught.
    #[test]
    fn a_missing_key_or_placeholder_is_told_apart() {
        let time = time::keys_of(include_str!("../locales/it.toml"));
        let a = Texts::parse(&format!("x = \"{{n}} giorni\"\ny = \"ciao\"\n{time}")).unwrap();
        let b = Texts::parse(&format!("x = \"{{days}} days\"\n{time}")).unwrap();
        let (x, y) = ("x", "y");
        assert!(a.has(y) && !b.has(y));
        assert_ne!(placeholders(a.raw(x)), placeholders(b.raw(x)));
    }

    #[test]
    fn telegram_language_codes_and_names() {
        assert_eq!(Lang::from_code("en"), Lang::En);
        assert_eq!(Lang::from_code("en-GB"), Lang::En);
        assert_eq!(Lang::from_code("it"), Lang::It);
        assert_eq!(Lang::from_code("de"), Lang::It);
        assert_eq!(Lang::from_name("English"), Some(Lang::En));
        assert_eq!(Lang::from_name("italiano"), Some(Lang::It));
        assert_eq!(Lang::from_name("klingon"), None);
    }
}
