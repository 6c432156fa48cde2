//! Which language a message is written in, English or Italian.
//!
//! English numbers are read by [`crate::numbers::english`].
//!
//! A light detector: it counts the function words of each language (articles,
//! prepositions, auxiliaries, question words) among the message's folded words. Those
//! words are frequent, short and almost never shared, so three or four of them decide a
//! question; names of calls, acronyms and Italian terms used in English (`de minimis`,
//! `bando`, `ATI`) count for neither side. A statistical detector (n-grams) guesses on a
//! one-line question and would need a model; this one abstains instead.

use crate::text::Lang;

/// A map with the fast hasher the engine uses for its own tables.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// English words that are not Italian words (folded). Short words shared by both
/// languages (`a`, `i`, `in`, `no`, `come`) are left out.
const ENGLISH: &str = "the of and to is are was were be been being have has had do does \
    did can could would should will shall may might must we our us you your i my me it its \
    this that these those there their they them what which who whom whose when where why \
    how much many for from with about into at by an or if not any some all each \
    company companies firm business employees staff workers apply applying application \
    deadline grant grants funding funds call calls eligible eligibility need needs get \
    please thanks hello hi yes want would like know tell";

/// Italian words that are not English words (folded).
const ITALIAN: &str = "il lo la gli le un una uno di del della dei delle dello degli da dal \
    dalla dai nel nella nei nelle sul sulla per con che chi cosa quando quanto quanti quale \
    quali dove perche come sono siamo sei e ci si non anche ma piu gia questo questa quello \
    quella possiamo posso puo possono devo dobbiamo serve servono vorrei vorremmo abbiamo ho \
    hanno essere fare domanda impresa imprese azienda aziende dipendenti scadenza bandi \
    partecipare grazie ciao buongiorno salve mi ti noi voi loro al alla ai alle";

/// The language of `text`, when its function words say so clearly: at least two words
/// of one language and at least twice as many as of the other. `None`: too short or mixed.
pub fn detect(text: &str) -> Option<Lang> {
    // Every message is detected: one look-up per word, in a map of both lists made once
    // (a word of both counts for both).
    static WORDS: std::sync::OnceLock<HashMap<&str, (bool, bool)>> = std::sync::OnceLock::new();
    let lists = WORDS.get_or_init(|| {
        let mut m: HashMap<&str, (bool, bool)> = HashMap::default();
        for w in ENGLISH.split_whitespace() {
            m.entry(w).or_default().0 = true;
        }
        for w in ITALIAN.split_whitespace() {
            m.entry(w).or_default().1 = true;
        }
        m
    });
    let words = crate::fold::fold_str(text);
    let (mut en, mut it) = (0usize, 0usize);
    for w in words.split_whitespace() {
        if let Some(&(e, i)) = lists.get(w) {
            en += usize::from(e);
            it += usize::from(i);
        }
    }
    if en >= 2 && en >= 2 * it.max(1) {
        Some(Lang::En)
    } else if it >= 2 && it >= 2 * en.max(1) {
        Some(Lang::It)
    } else {
        None
    }
}

/// English figures written the way the Italian reader of messages reads them: `1,500
/// employees` → `1500 employees` (an Italian comma is a decimal mark). Other text is left
/// as it is.
pub fn italian_figures(text: &str) -> std::borrow::Cow<'_, str> {
    static GROUPED: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = GROUPED.get_or_init(|| regex::Regex::new(r"\b\d{1,3}(?:,\d{3})+\b").expect("regex"));
    re.replace_all(text, |c: &regex::Captures<'_>| c[0].replace(',', ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_and_italian_questions_are_told_apart() {
        for q in [
            "Hi, we are a German-owned SME with a plant near Turin (80 employees). Can we apply for the company welfare grant? What is the deadline?",
            "What is the deadline?",
            "Can a large company take part?",
            "Is de minimis relevant for the bando?",
            "who can apply to ALFA",
        ] {
            assert_eq!(detect(q), Some(Lang::En), "{q}");
        }
        for q in [
            "Entro quando si presenta la domanda?",
            "Una grande impresa può partecipare?",
            "Che cos'è il de minimis?",
            "chi può partecipare al bando alfa",
        ] {
            assert_eq!(detect(q), Some(Lang::It), "{q}");
        }
        for q in ["ATI", "de minimis", "WECARE", "ok", "", "alfa 2026"] {
            assert_eq!(detect(q), None, "{q}");
        }
    }

    #[test]
    fn grouped_figures_lose_their_commas() {
        assert_eq!(
            italian_figures("about 1,500 employees, budget 40k, €1,250,000.50"),
            "about 1500 employees, budget 40k, €1250000.50"
        );
        assert_eq!(italian_figures("1, 3 and 12,5"), "1, 3 and 12,5");
    }
}
