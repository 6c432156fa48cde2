//! What staff get for a question (`/risposta`, a forwarded message): the engine's own
//! decision for someone with no conversation yet, as the best entry, two alternatives and
//! a confidence. «Affidabilità: alta» is exactly a direct answer, so its meaning is the
//! one measured on the held-out set (`tests/heldout.rs`, «staff «alta» right»).

use jiff::Timestamp;

use super::Engine;
use crate::decide::Decision;
use crate::search::Confidence;
use crate::understand;

impl Engine<'_> {
    /// What staff get for a question (a `/risposta` or a forward): the engine's own
    /// decision for someone with no conversation yet. The best entry, up to two
    /// alternatives, and whether it would be a direct answer (what «Affidabilità: alta»
    /// means).
    pub fn staff_pick(
        &self,
        question: &str,
        now: Timestamp,
    ) -> (Option<usize>, Vec<usize>, Confidence) {
        let tx = crate::text::texts(crate::text::Lang::It);
        let reading = self.read(tx, question);
        let session = super::Session {
            profile: reading.profile.clone(),
            ..super::Session::default()
        };
        let considered = self.consider(tx, &reading, &session, None, now);
        let (best, mut others, confidence) = match considered.decision {
            Decision::Direct {
                entry, also, lines, ..
            } => (
                Some(entry),
                also.into_iter().chain(lines).collect::<Vec<_>>(),
                Confidence::High,
            ),
            Decision::Menu { entries } => {
                let mut e = entries.into_iter();
                (e.next(), e.collect(), Confidence::Low)
            }
            Decision::WhichCall { calls } => {
                let mut e = calls.into_iter().map(|(_, e)| e);
                (e.next(), e.collect(), Confidence::Low)
            }
            // The options a user would see under «non ho trovato», the first as the
            // ready answer marked «nessuna».
            Decision::Nothing { suggestions } => {
                let mut e = suggestions.into_iter();
                (e.next(), e.collect(), Confidence::None)
            }
        };
        // Staff always see two alternatives when the ranking has them (of the call named,
        // when one is).
        for h in &considered.results.hits {
            let calls = &self.index.entry(h.entry).doc.calls;
            let fits = considered.named.iter().all(|n| {
                understand::calls::best_relation(self.knowledge, n, calls).is_none_or(|r| r.fits())
            });
            if fits && Some(h.entry) != best && !others.contains(&h.entry) {
                others.push(h.entry);
            }
        }
        others.truncate(2);
        (best, others, confidence)
    }
}
