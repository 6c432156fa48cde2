//! What the engine remembers of a conversation, in words the user can check: the call in
//! focus and the facts they gave about themselves. Shown by `/privacy`; `/cancellami`
//! erases it with the rest of the session. Also where the focus moves after an answer,
//! which messages only say who the asker is (noted, not searched), and how a message
//! reads without what the asker said of themselves (its question part alone) and with it
//! (the description as the question, when the question part finds nothing).

use jiff::Timestamp;

use super::{Engine, Session};
use crate::decide::Decision;
use crate::knowledge::{CallId, Size};
use crate::reply::Rich;
use crate::text::Texts;
use crate::understand::{self, Reading};

impl Engine<'_> {
    /// «Di che bando parliamo» and «Che cosa so di te», or nothing when nothing is kept.
    pub(super) fn memory(&self, tx: &Texts, s: &Session) -> Option<Rich> {
        let facts = profile_facts(tx, &s.profile);
        let call = s.topic.as_ref().map(|c| {
            self.knowledge
                .call(&c.0)
                .map_or(c.0.clone(), |c| c.short.clone())
        });
        if call.is_none() && facts.is_empty() {
            return None;
        }
        let mut text = tx.t("memory.title", &[]);
        if let Some(c) = call {
            text.line().append(tx.t("memory.call", &[("call", &c)]));
        }
        if !facts.is_empty() {
            text.line()
                .append(tx.t("memory.facts", &[("facts", &facts.join(", "))]));
        }
        Some(text)
    }
}

/// The facts of a profile in words (`piccola impresa, 12 dipendenti, Novara (Piemonte)`).
pub(super) fn profile_facts(tx: &Texts, p: &crate::understand::Profile) -> Vec<String> {
    let mut facts: Vec<String> = Vec::new();
    // The size says more than the kind it implies (`piccola impresa`, not `PMI`).
    match (p.size, p.applicant) {
        (Some(size), None) => {
            let key = match size {
                Size::Micro => "memory.size.micro",
                Size::Piccola => "memory.size.piccola",
                Size::Media => "memory.size.media",
                Size::Grande => "memory.size.grande",
            };
            facts.push(tx.s(key, &[]));
        }
        (_, Some(a)) => facts.push(super::answer_view::applicant_one(tx, a)),
        (None, None) if p.firm => facts.push(tx.s("memory.firm", &[])),
        (None, None) => {}
    }
    if let Some(n) = p.employees {
        facts.push(tx.s("memory.employees", &[("n", &n.to_string())]));
    }
    if let Some(place) = &p.place {
        let region = p.region.clone().unwrap_or_default();
        facts.push(if *place == region {
            place.clone()
        } else {
            format!("{place} ({region})")
        });
    }
    if let Some(sector) = &p.sector {
        facts.push(tx.s("memory.sector", &[("sector", sector)]));
    }
    if let Some(form) = &p.legal_form {
        facts.push(form.clone());
    }
    match p.partners {
        Some(true) => facts.push(tx.s("memory.partners", &[])),
        Some(false) => facts.push(tx.s("memory.alone", &[])),
        None => {}
    }
    if let Some(v) = p.value {
        facts.push(tx.s("memory.value", &[("value", &tx.number(v, Some("€")))]));
    }
    if let Some(c) = p.cofinancing {
        facts.push(tx.s("memory.cofinancing", &[("share", &tx.number(c, Some("%")))]));
    }
    facts
}

impl Engine<'_> {
    /// The focus after an answer about `call`: that call, unless it is the measure or
    /// strategy above the call asked about (the narrower call stays in focus); a general
    /// answer leaves the focus where it was.
    pub(super) fn move_focus(
        &self,
        focus: &mut Option<CallId>,
        call: Option<&CallId>,
        named: &[CallId],
    ) {
        let asked = named.first().or(focus.as_ref()).cloned();
        match (call, asked) {
            (Some(c), Some(a))
                if understand::relation(self.knowledge, &a, c) == understand::Relation::Above =>
            {
                *focus = Some(a)
            }
            (Some(c), _) => *focus = Some(c.clone()),
            (None, Some(a)) => *focus = Some(a),
            (None, None) => {}
        }
    }

    /// The call the pack says entry `entry` sends the asker on to ([`Faq::leads_to`]: a
    /// closed call's status names the open one): after a question about calls in general
    /// (`c'è qualcosa di nuovo adesso?`) answered with it, the conversation is about that
    /// call. `None` for an entry that says no such thing.
    ///
    /// [`Faq::leads_to`]: crate::knowledge::Faq::leads_to
    pub(super) fn leads_to(&self, entry: usize) -> Option<CallId> {
        self.faq_of(entry)?.leads_to.clone()
    }

    /// The FAQ that index entry `entry` is (the reverse of
    /// [`crate::search::SearchIndex::find_faq`]); `None` for a call card, a section or
    /// a passage.
    pub(super) fn faq_of(&self, entry: usize) -> Option<&crate::knowledge::Faq> {
        let id = self.index.entry(entry).doc.id.strip_prefix("faq:")?;
        self.knowledge.faq(id)
    }

    /// A described message whose question part finds nothing (`cosa posso rispondere,
    /// esiste qualcosa?`) read once more with the description around it as the question:
    /// what that finds, unless it finds nothing either (`None` then, and for a message
    /// with no description cut out of it).
    pub(super) fn described_as_question(
        &self,
        tx: &Texts,
        reading: &Reading,
        session: &Session,
        now: Timestamp,
    ) -> Option<super::Considered> {
        if !reading.described || reading.context.is_empty() || reading.context == reading.query {
            return None;
        }
        let whole = Reading {
            query: reading.context.clone(),
            query_whole: reading.context.clone(),
            context: String::new(),
            alone: None,
            ..reading.clone()
        };
        let again = self.consider(tx, &whole, session, None, now);
        (!matches!(again.decision, Decision::Nothing { .. })).then_some(again)
    }

    /// The decision for a message that may hold a self-description, once its sentences that
    /// ask are read alone: a menu becomes the direct answer those sentences get, when the
    /// whole message offered that entry; «non ho trovato» with nothing offered offers what
    /// they find.
    pub(super) fn with_question_alone(
        &self,
        tx: &Texts,
        reading: &Reading,
        session: &Session,
        now: Timestamp,
        decision: Decision,
    ) -> Decision {
        // A self-description leaves the best entry less sure than the question alone
        // would (its words dilute the match): when the sentences that ask, read alone,
        // are answered directly with an entry the whole message offers, that is the
        // answer (the whole message, read with who asks, chose the entries offered).
        match decision {
            Decision::Menu { entries } => match self.asked_alone(tx, reading, session, now) {
                Some(d @ Decision::Direct { entry, .. }) if entries.contains(&entry) => d,
                _ => Decision::Menu { entries },
            },
            // Nothing matched the whole message, but its question alone finds entries:
            // they are offered under «non ho trovato» (never given as the answer).
            Decision::Nothing { suggestions } if suggestions.is_empty() => {
                let suggestions = match self.asked_alone(tx, reading, session, now) {
                    Some(Decision::Direct { entry, also, .. }) => {
                        std::iter::once(entry).chain(also).take(3).collect()
                    }
                    Some(Decision::Menu { entries }) => entries,
                    Some(Decision::WhichCall { calls }) => {
                        calls.into_iter().map(|(_, e)| e).collect()
                    }
                    Some(Decision::Nothing { suggestions }) => suggestions,
                    None => Vec::new(),
                };
                Decision::Nothing { suggestions }
            }
            d => d,
        }
    }

    /// The decision for the sentences of a longer message that ask, read alone (see
    /// [`Reading::alone`]); `None` when no question part was cut out of it.
    pub(super) fn asked_alone(
        &self,
        tx: &Texts,
        reading: &Reading,
        session: &Session,
        now: Timestamp,
    ) -> Option<Decision> {
        let alone = reading.alone.as_ref()?;
        // An asker outside Piedmont is the point of any question they ask (every call
        // is for Piedmont): their description is never read away.
        if reading.profile.in_piedmont() == Some(false) {
            return None;
        }
        // As if the asker had not described themselves: the whole message, which chose
        // the entries offered, was read with who they are.
        let asked = Reading {
            query: alone.clone(),
            query_whole: alone.clone(),
            alone: None,
            context: String::new(),
            described: false,
            audience: None,
            profile: understand::Profile::default(),
            ..reading.clone()
        };
        let session = Session {
            profile: understand::Profile::default(),
            ..session.clone()
        };
        Some(self.consider(tx, &asked, &session, None, now).decision)
    }

    /// The message describes the asker and asks nothing: no call named (a message naming
    /// one is about it: `nuovo bando welfare piemonte 2026`), no question mark or question
    /// word, no part cut out as the question, no wish (`vorrei`), no word for a call
    /// (`ho sentito parlare di un bando che…` is about one), and short enough to be only
    /// that.
    pub(super) fn only_describes(&self, tx: &Texts, r: &Reading) -> bool {
        const SHORT_DESCRIPTION: usize = 25;
        !r.profile.is_empty()
            && r.named.is_empty()
            && !r.asks
            && !r.described
            && !r.eligibility
            && !r.defines
            && r.words.len() <= SHORT_DESCRIPTION
            && !understand::has_phrase(&r.words, tx.phrases("words.intent"))
            && !r
                .words
                .iter()
                .any(|w| self.knowledge.lexicon.generic.contains(w))
    }

    /// The region of an asker who said they work outside Piedmont and asks whether they
    /// may take part (something the sources say only for some calls); `None` otherwise.
    pub(super) fn from_elsewhere<'p>(
        r: &Reading,
        profile: &'p crate::understand::Profile,
    ) -> Option<&'p str> {
        (r.eligibility && profile.in_piedmont() == Some(false))
            .then_some(profile.region.as_deref())
            .flatten()
    }
}
