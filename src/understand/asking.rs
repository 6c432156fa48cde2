//! Whether a question asks if the asker may take part (`possiamo partecipare?`, `siamo
//! ammessi?`), from the locale's word lists: a phrase of `words.eligibility`, unless it
//! only says that some expense is allowed (`che spese sono ammesse?`) or that the
//! project's figures fit (`rientriamo nei limiti?`: `rientriamo` is among
//! `words.admitted`, `limiti` among `words.expenses`).

use super::Cues;
use crate::fold::has_phrase;

/// How many words before an «ammesse» (and after it) a word for expenses makes it about
/// expenses: `le spese per la baby sitter sono ammesse?`, `sono ammessi i costi del nido?`.
const EXPENSE_BEFORE: usize = 6;
const EXPENSE_AFTER: usize = 3;

/// Whether a question (its folded words) asks whether the asker may take part: one of the
/// locale's eligibility phrases, except one that says something is allowed (`sono
/// ammesse`) next to a word for expenses (`che spese sono ammesse?` asks what is paid
/// for, not who may apply).
pub(super) fn asks_eligibility(words: &[String], cues: &Cues<'_>) -> bool {
    let near = |from: usize, to: usize| {
        let (from, to) = (from.min(words.len()), to.min(words.len()));
        has_phrase(&words[from..to], cues.expenses)
    };
    cues.eligibility.iter().filter(|p| !p.is_empty()).any(|p| {
        let says_allowed = has_phrase(p, cues.admitted);
        (0..words.len())
            .filter(|&i| words[i..].starts_with(p))
            .any(|i| {
                let end = i + p.len();
                !(says_allowed
                    && (near(i.saturating_sub(EXPENSE_BEFORE), i)
                        || near(end, end + EXPENSE_AFTER)))
            })
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::reading;

    #[test]
    fn allowed_expenses_are_not_an_eligibility_question() {
        assert!(!reading("che spese sono ammesse?").eligibility);
        assert!(!reading("le spese x la baby sitter sn ammesse?").eligibility);
        assert!(!reading("sono ammessi anche i costi del personale?").eligibility);
        assert!(reading("le cooperative sociali sono ammesse?").eligibility);
        assert!(reading("sono ammesse anche le imprese sociali?").eligibility);
        assert!(reading("possiamo partecipare anche noi?").eligibility);
        // «Rientriamo nei limiti?» asks about the project's figures, not who may apply.
        assert!(
            !reading("un progetto da 300.000 euro: rientriamo nei limiti di alfa?").eligibility
        );
        assert!(reading("siamo una coop sociale, rientriamo tra chi può partecipare?").eligibility);
    }
}
