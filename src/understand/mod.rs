//! Reading a message before searching it: chat spellings, the calls it names, the facts
//! the asker gives about themselves, who is asking, and which part is the question.
//!
//! Search alone reads a message as a bag of words; people write `ke bandi ci sono x le
//! pmi`, name calls by nicknames (`alfa`, `quello del 2023`) and put their question at the
//! end of a self-description. This layer turns that into what search and the engine need,
//! from data only (`chat.toml`, `profile.toml`, the calls' aliases). Pure functions.

mod asking;
pub mod calls;
mod cues;
pub mod english;
pub mod pointers;
pub mod profile;
mod query;
mod sentences;
use query::{query_without, query_words};

pub use calls::{Relation, named_calls, relation};
pub use cues::Cues;
pub use profile::Profile;

use crate::fold::Phrase;
use crate::knowledge::lexicon::Lexicon;
use crate::knowledge::{Audience, CallId, Knowledge};
use crate::numbers;

/// A message as the engine understands it.
#[derive(Debug, Clone, Default)]
pub struct Reading {
    /// The words of the whole message, folded, chat spellings rewritten.
    pub words: Vec<String>,
    /// What search should read: the question part, without the words that only describe
    /// the asker (a headcount, a town), places replaced by their region.
    pub query: String,
    /// The question part with those words kept, for when nothing else is asked
    /// (`siamo una coop sociale, c'è qualcosa per noi?`).
    pub query_whole: String,
    /// The rest of the message when a question part was cut out of it: the asker's
    /// description without the words that only say who asks (a headcount, a town), for
    /// search to weigh a little (see [`crate::search::SearchIndex::search_in_context`]).
    pub context: String,
    /// When a question part was cut out of a longer message and stands by itself (no
    /// wish or figures had to be read with it): what search reads for it, without the
    /// description around it. The engine answers directly when this alone, as if the
    /// asker had not described themselves, is answered directly with an entry the whole
    /// message offers.
    pub alone: Option<String>,
    /// Calls the message names, in order (see [`calls::named_calls`]).
    pub named: Vec<CallId>,
    /// Facts the asker gave about themselves in this message.
    pub profile: Profile,
    /// Who is asking, when the message says or hints it.
    pub audience: Option<Audience>,
    /// A kind of applicant the question asks about without saying it is the asker's
    /// (`e una grande azienda da sola?`).
    pub about: Option<crate::knowledge::Applicant>,
    /// The message describes the asker before asking (a question part was cut out).
    pub described: bool,
    /// The message asks something (a question mark, or it opens with a question word).
    pub asks: bool,
    /// It asks what something is (`cos'è`, `parlami di`), not a detail of it.
    pub defines: bool,
    /// It asks whether the asker may take part (`possiamo partecipare?`).
    pub eligibility: bool,
    /// It speaks in the past (`potevano`, `c'era`): likely about a closed call.
    pub past: bool,
}

pub use crate::numbers::words_of;

/// Rewrites chat spellings (`ke` → `che`, `xké` → `perché`) with the pack's table. A
/// word right after a number is left alone (`50 k` is fifty thousand).
pub fn rewrite(lx: &Lexicon, mut words: Vec<String>) -> Vec<String> {
    if lx.rewrites.is_empty() {
        return words;
    }
    let digits = |w: &str| w.chars().any(|c| c.is_ascii_digit());
    // Only rewrites whose first word the message may hold can match (tried in order).
    // With the bit of each one's first word: at a position, only those whose first word
    // may be the word there are compared.
    let rewrites: Vec<(u64, &(Phrase, String))> = crate::fold::maybe_held(&words, &lx.rewrites)
        .into_iter()
        .map(|r| (r.0.first().map_or(0, |w| crate::fold::word_bit(w)), r))
        .collect();
    let mut out = Vec::with_capacity(words.len());
    let mut i = 0;
    // Whether the word before `i` (as written: words are moved out once passed) is a number.
    let mut after_number = false;
    'next: while i < words.len() {
        if !after_number {
            let bit = crate::fold::word_bit(&words[i]);
            for (from, to) in rewrites
                .iter()
                .filter(|(b, (from, _))| from.is_empty() || *b == bit)
                .map(|&(_, r)| r)
            {
                let n = from.len();
                if i + n <= words.len() && words[i..i + n] == from[..] {
                    out.extend(words_of(to));
                    if n > 0 {
                        after_number = digits(&words[i + n - 1]);
                    }
                    i += n;
                    continue 'next;
                }
            }
        }
        after_number = digits(&words[i]);
        out.push(std::mem::take(&mut words[i]));
        i += 1;
    }
    out
}

pub use crate::fold::has_phrase;

/// Messages up to this many words are read whole: the question part is cut only out of
/// longer ones.
const SHORT: usize = 14;
/// A question of at most this many words, with less than two content words, is bare.
const BARE: usize = 4;
/// A question with this many content words says what it asks by itself.
const SELF_CONTAINED: usize = 3;
/// A short message of several sentences is cut when its question has this many content
/// words (`Chi contatto per informazioni?`).
const APART: usize = 2;

/// Reads a message.
pub fn read(k: &Knowledge, cues: Cues<'_>, text: &str) -> Reading {
    let lx = &k.lexicon;
    let words = rewrite(lx, words_of(text));
    let amounts = numbers::amounts(&words);
    let found = profile::read(lx, &words, &amounts);
    let named = named_calls(k, &words);
    let asks = text.contains('?') || cues.opens_question(&words);

    // The question part: sentences with a question mark, else those that open like a
    // question, else the last one; a short message is all question.
    // «Tipografia di Saluzzo, 11 dipendenti: che documenti servono?»: a description of
    // the asker before a colon is a sentence of its own; what the asker has in mind
    // («un progetto da 60.000 euro: va bene?», «ho visto la scadenza del 13 settembre:
    // era quella?») is part of the question, unless a question word opens what follows.
    let describes_asker = |s: &str| {
        let w = rewrite(lx, words_of(s));
        let f = profile::read(lx, &w, &numbers::amounts(&w));
        let p = &f.profile;
        let rest = query_without(lx, &w, &f.spent, &[]);
        p.value.is_none()
            && p.cofinancing.is_none()
            && p.partners.is_none()
            && !p.is_empty()
            && content_words(&words_of(&rest), k, cues.content) < SELF_CONTAINED
    };
    // A question that opens with a question word after a colon is a sentence of its own
    // («…per un servizio di baby parking: quanto possiamo ottenere al massimo?»).
    let ends_at_colon = |before: &str, after: &str| {
        describes_asker(before) || cues.starts_with_question_word(&rewrite(lx, words_of(after)))
    };
    let parts = sentences::sentences(text, &ends_at_colon);
    let mut described = false;
    // The sentences that ask, when the question part also holds others.
    let mut asking_part = String::new();
    // The sentences that ask say what they ask by themselves (no wish or sentence before
    // them had to be read with them).
    let mut standing = true;
    let read_part = |s: &str| rewrite(lx, words_of(s));
    // A sentence that opens by describing the asker and then asks or says what they
    // want (`sono titolare di una ditta di Novara e vorrei sapere se…`) is read from there.
    let from_ask = |s: &str| -> Option<String> {
        let w = read_part(s);
        ask_start(&w, lx, &cues).map(|i| w[i..].join(" "))
    };
    // A short message is read whole, unless it asks, in a sentence of its own, a question
    // that says what it asks by itself, beside a sentence that describes the asker
    // («Startup di Torino, 6 dipendenti. Chi contatto per avere informazioni su ALFA?») or
    // says something else («ats o ati x alfa? nn ho capito cosa serve»).
    // A sentence asking whether the asker may take part («Possiamo partecipare ad
    // A.L.Fa.?») stands apart too, however few its words: the sentence before says who
    // asks.
    let asks_apart = parts.len() >= 2 && {
        let asking = || parts.iter().filter(|(_, q)| *q).map(|(s, _)| read_part(s));
        let said: usize = asking().map(|w| content_words(&w, k, cues.content)).sum();
        said >= APART || asking().any(|w| asking::asks_eligibility(&w, &cues))
    };
    let question_text = if words.len() <= SHORT && !asks_apart {
        text.to_string()
    } else if parts.len() < 2 {
        match from_ask(text) {
            Some(q) => {
                described = true;
                q
            }
            None => text.to_string(),
        }
    } else {
        let marked: Vec<&str> = parts
            .iter()
            .filter(|(_, q)| *q)
            .map(|(s, _)| s.as_str())
            .collect();
        let asking: Vec<&str> = if !marked.is_empty() {
            marked.clone()
        } else {
            let opening: Vec<&str> = parts
                .iter()
                .filter(|(s, _)| cues.opens_question(&read_part(s)))
                .map(|(s, _)| s.as_str())
                .collect();
            if opening.is_empty() {
                vec![parts.last().map(|(s, _)| s.as_str()).unwrap_or_default()]
            } else {
                opening
            }
        };
        // What the asker wants to do, or the project's figures, belong with a question
        // that says little by itself («Vorremmo un nido aziendale. Si può?», with a
        // question mark or without; «Un progetto da 300 mila euro. Rientriamo nei
        // limiti?»); a question that says what it asks («Qual è il valore minimo del
        // progetto?») is read alone.
        let said: usize = asking
            .iter()
            .map(|s| content_words(&read_part(s), k, cues.content))
            .sum();
        // A question that points back (`ALFA copre tutte e due le cose?`) says little by
        // itself, however many words it has.
        let points_back = asking
            .iter()
            .any(|s| has_phrase(&read_part(s), cues.refers_back));
        // A question that points back and says little else asks about the sentence
        // before it.
        let thin_pointer = said < SELF_CONTAINED
            && asking
                .iter()
                .any(|s| has_phrase(&read_part(s), cues.about_them));
        let said = if points_back || thin_pointer { 0 } else { said };
        // What a sentence's figures stand for (`importo del progetto`…), if it gives any.
        let figures = |s: &str| {
            let w = read_part(s);
            let p = profile::read(lx, &w, &numbers::amounts(&w)).profile;
            let means: Vec<&str> = [
                (p.value.is_some(), lx.value_means.as_str()),
                (p.cofinancing.is_some(), lx.cofinancing_means.as_str()),
            ]
            .into_iter()
            .filter_map(|(given, m)| given.then_some(m))
            .collect();
            (!means.is_empty()).then(|| means.join(" "))
        };
        asking_part = asking.join(" ");
        let about_project = |s: &str| figures(s).is_some();
        let chosen: Vec<&str> = parts
            .iter()
            .map(|(s, _)| s.as_str())
            .filter(|s| {
                asking.contains(s)
                    || (said < SELF_CONTAINED
                        && (has_phrase(&read_part(s), cues.intent) || about_project(s)))
            })
            .collect();
        standing = chosen.len() == marked.len();
        // A bare «è troppo?» or «è possibile?» asks about the sentence before it (a
        // longer one, «Quando scade il bando per il welfare?», asks by itself even when
        // its words are too common in the pack to weigh, and so does «possiamo
        // partecipare?», whoever the sentence before says asks); so does one that points back
        // («…assistono genitori anziani. Si può fare qualcosa per loro?»).
        let mut chosen: Vec<&str> = chosen;
        if let Some(first) = chosen.first().copied()
            && (thin_pointer
                || (content_words(&read_part(first), k, cues.content) < 2
                    && read_part(first).len() <= BARE
                    && !asking::asks_eligibility(&read_part(first), &cues)))
            && let Some(i) = parts.iter().position(|(s, _)| s == first)
            && i > 0
        {
            // Of a sentence that describes the asker before a colon, what follows it.
            let before = parts[i - 1].0.as_str();
            let before = match before.rsplit_once(':') {
                Some((_, after)) if thin_pointer && !after.trim().is_empty() => after,
                _ => before,
            };
            chosen.insert(0, before);
        }
        described = chosen.len() < parts.len();
        // A sentence taken only for the project's figures (`Siamo 2 PMI del biellese e
        // abbiamo pensato un progetto da 300.000 euro. Superiamo il limite?`) lends the
        // question what the figures stand for, not the rest of its description.
        let figures_only = |s: &str| {
            if asking.contains(&s) || has_phrase(&read_part(s), cues.intent) {
                return None;
            }
            figures(s)
        };
        chosen
            .iter()
            .map(|s| match (figures_only(s), from_ask(s)) {
                (Some(m), _) => {
                    described = true;
                    m
                }
                (None, Some(q)) => {
                    described = true;
                    q
                }
                (None, None) => s.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    // A short message is its own question: its words and facts are read already.
    let (qwords, query) = if described || question_text.len() != text.len() {
        let qwords = rewrite(lx, words_of(&question_text));
        let qamounts = numbers::amounts(&qwords);
        let qfound = profile::read(lx, &qwords, &qamounts);
        let query = query_words(lx, &qwords, &qfound, k);
        (qwords, query)
    } else {
        let query = query_words(lx, &words, &found, k);
        (words.clone(), query)
    };
    let query_whole = query_without(lx, &qwords, &[], &[]);
    let cut = described || question_text.len() != text.len();
    // The sentences that ask (with the one a bare question asks about) are the question
    // part when they stand by themselves.
    let alone = (cut && standing && !query.is_empty()).then(|| query.clone());
    let context = if cut {
        query_without(lx, &words, &found.spent, &found.amounts)
    } else {
        String::new()
    };
    // The calls the question part names; a call named only in the description counts
    // when the question names none («Nel 2019 eravamo nel bando WECARE. Possiamo
    // partecipare ad A.L.Fa.?» is about A.L.Fa.).
    // A kind of applicant named in a description is the asker's (`Sono il presidente di
    // un'associazione di categoria. …`).
    let mut found = found;
    if described && found.profile.applicant.is_none() && found.profile.size.is_none() {
        found.profile.applicant = found.mentioned;
    }
    let asking = (!asking_part.is_empty()).then_some(asking_part.as_str());
    let named = calls::asked(k, &qwords, named, asking, cues.turns_to);
    let past = has_phrase(&qwords, cues.past)
        || qwords.iter().any(|w| {
            w.chars().count() >= 5
                && !cues.polite.contains(w)
                && cues.past_endings.iter().any(|e| w.ends_with(e.as_str()))
        });
    Reading {
        query_whole,
        alone,
        context,
        past,
        defines: has_phrase(&qwords, cues.define),
        eligibility: asking::asks_eligibility(&qwords, &cues),
        words,
        query,
        named,
        audience: found.audience,
        about: found
            .mentioned
            .filter(|m| found.profile.applicant != Some(*m)),
        profile: found.profile,
        described,
        asks,
    }
}

/// Where the asking starts in a sentence (its folded words) that opens by describing the
/// asker (a self cue such as `siamo`, `sono titolare` in its first words): the first
/// phrase that asks or says what the asker wants, after the opening.
fn ask_start(words: &[String], lx: &Lexicon, cues: &Cues<'_>) -> Option<usize> {
    let starts = |i: usize, phrases: &[Phrase]| {
        phrases
            .iter()
            .any(|p| !p.is_empty() && words[i..].starts_with(p))
    };
    let opens_self = (0..words.len().min(3)).any(|i| starts(i, &lx.self_cues));
    if !opens_self {
        return None;
    }
    let at = (3..words.len()).find(|&i| {
        starts(i, cues.asking) || starts(i, cues.intent) || starts(i, cues.eligibility)
    })?;
    // A kind of applicant right before the asking words is what is asked about («…un
    // cliente con 1.000 dipendenti: una grande impresa può fare domanda?»).
    let kind = lx
        .applicants
        .iter()
        .flat_map(|(_, ps)| ps)
        .chain(lx.sizes.iter().flat_map(|(_, ps)| ps))
        .filter(|p| !p.is_empty() && p.len() < at && words[..at].ends_with(p))
        .map(|p| at - p.len())
        .min();
    Some(kind.unwrap_or(at).max(3))
}

/// Words that could carry a question's topic: four letters or more, not naming a call.
fn content_words(words: &[String], k: &Knowledge, content: &dyn Fn(&str) -> bool) -> usize {
    // Only the names' words the message may hold.
    let said = crate::fold::WordBits::of(words);
    let names: Vec<&String> = k
        .calls
        .iter()
        .flat_map(|c| c.aliases.iter().chain(&c.weak_aliases).flatten())
        .filter(|n| said.may_have(n))
        .collect();
    words
        .iter()
        .filter(|w| content(w) && !names.contains(w))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack() -> Knowledge {
        crate::knowledge::shipped()
    }

    pub(super) fn reading(text: &str) -> Reading {
        let tx = crate::text::texts(crate::text::Lang::It);
        read(&pack(), Cues::of(tx), text)
    }

    #[test]
    fn chat_spellings_are_rewritten() {
        let k = pack();
        let w = rewrite(
            &k.lexicon,
            words_of("ke bandi ci sn x le pmi? xké nn rispondi, 50 k"),
        );
        assert_eq!(
            w.join(" "),
            "che bandi ci sono per le pmi perche non rispondi 50 k"
        );
    }

    #[test]
    fn a_question_word_after_a_colon_opens_a_question() {
        let r = reading(
            "Siamo una media impresa di Novara con 140 dipendenti. Stiamo valutando A.L.Fa. per un servizio di baby parking: quanto possiamo ottenere al massimo?",
        );
        assert_eq!(r.query, "quanto possiamo ottenere al massimo");
        // What the asker has in mind, then a question that is not a question word, stays
        // one question.
        let r = reading(
            "Siamo una pmi di Novara con 40 dipendenti. Abbiamo un progetto da 60.000 euro: va bene per A.L.Fa.?",
        );
        assert!(
            r.query.starts_with("abbiamo un progetto") && r.query.contains("va bene"),
            "{}",
            r.query
        );
    }

    #[test]
    fn the_question_part_of_a_self_description() {
        let r = reading(
            "Siamo una grande azienda metalmeccanica di Torino, 1200 dipendenti. Possiamo partecipare al bando welfare della regione?",
        );
        assert!(r.described);
        assert_eq!(
            r.query,
            "possiamo partecipare al bando welfare della regione"
        );
        // What the description says beyond who asks is kept as context; the words that
        // only say who asks (kind, sector, headcount, town) are not.
        assert!(!r.context.contains("metalmeccanica"), "{}", r.context);
        assert!(!r.context.contains("1200"), "{}", r.context);
        let r = reading(
            "Siamo una cooperativa sociale di Alessandria con 40 soci, vorremmo aprire un baby parking per i figli dei soci. Qual è il contributo massimo del progetto?",
        );
        assert!(r.described);
        assert!(r.context.contains("baby parking"), "{}", r.context);
        assert!(!r.query.contains("baby"), "{}", r.query);
        assert!(r.asks);
        let r = reading(
            "Buongiorno, ho una ditta di pulizie con 8 dipendenti a Cuneo. Vorrei sapere se posso chiedere un contributo per lo smart working",
        );
        assert_eq!(
            r.query,
            "vorrei sapere se posso chiedere un contributo per lo smart working"
        );
    }

    #[test]
    fn a_question_in_common_words_is_not_bare() {
        // In a pack about welfare calls `bando` and `welfare` weigh nothing: the question
        // still says what it asks, and the description before it is not searched.
        let tx = crate::text::texts(crate::text::Lang::It);
        let weighs = |w: &str| w == "scade" || w == "troppo";
        let cues = Cues {
            content: &weighs,
            ..Cues::of(tx)
        };
        let r = read(
            &pack(),
            cues,
            "Sono il titolare di un'officina meccanica a Pinerolo, 9 dipendenti. Quando scade il bando per il welfare?",
        );
        assert!(r.described);
        assert_eq!(r.query, "quando scade il bando per il welfare");
        // A bare question still asks about the sentence before it.
        let r = read(
            &pack(),
            cues,
            "Sono il titolare di un'officina meccanica a Pinerolo con 9 dipendenti e un budget di 50.000 euro. È troppo?",
        );
        // (through the figures it gives: the project's value, not the rest of it).
        assert!(r.query.starts_with("importo del progetto"), "{}", r.query);
        assert!(r.context.contains("titolare"), "{}", r.context);
    }

    #[test]
    fn a_long_sentence_is_read_from_where_it_asks() {
        let r = reading(
            "salve sono titolare di una impresa di pulizie con 40 dipendenti a Collegno e vorrei sapere se posso finanziare il babysitting",
        );
        assert!(r.described);
        assert_eq!(r.query, "vorrei sapere se posso finanziare il babysitting");
        assert_eq!(r.profile.employees, Some(40));
        // A sentence that describes the asker and says what they want, before a thin
        // question: the wish is kept, the description is not.
        let r = reading(
            "Buongiorno, siamo un'impresa di Alessandria con 50 dipendenti e vorremmo attivare un nido aziendale. Esiste un finanziamento?",
        );
        assert_eq!(
            r.query,
            "vorremmo attivare un nido aziendale esiste un finanziamento"
        );
        // The kind of applicant a question asks about, right before it asks, is part of
        // the question, not of the description.
        let r = reading(
            "Sono un consulente di Fossano e seguo un cliente con 1.000 dipendenti: una grande impresa può fare domanda per A.L.Fa.?",
        );
        assert_eq!(r.query, "grande impresa puo fare domanda per alfa");
    }

    #[test]
    fn a_courtesy_imperfect_is_not_the_past() {
        assert!(!reading("volevamo sapere se il contributo copre tutto il progetto").past);
        assert!(reading("chi poteva partecipare al bando?").past);
    }

    #[test]
    fn places_become_their_region_and_headcounts_leave_the_query() {
        let r = reading("un'azienda di Milano con 40 dipendenti può partecipare?");
        assert_eq!(r.query, "un azienda di lombardia con puo partecipare");
        assert_eq!(r.profile.employees, Some(40));
    }
}
