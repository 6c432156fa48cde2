//! The index's stems as numbers. Every stem an entry holds gets an id when the index is
//! built, and an entry's stem sets are sorted ids: ranking asks thousands of times per
//! message whether an entry holds a concept's stems, and a binary search over integers
//! answers that without hashing and comparing strings. A stem no entry holds has no id,
//! so no set holds it.

use super::HashMap;
use super::analysed::Concept;

/// The ids of the stems that entries hold, given in the order they are first met.
#[derive(Debug, Default)]
pub(super) struct StemIds(HashMap<String, u32>);

impl StemIds {
    /// The id of `stem`, a new one the first time.
    pub(super) fn intern(&mut self, stem: &str) -> u32 {
        if let Some(&id) = self.0.get(stem) {
            return id;
        }
        let id = u32::try_from(self.0.len()).expect("fewer than 2^32 stems");
        self.0.insert(stem.to_string(), id);
        id
    }

    /// The id of `stem`; `None` when no entry holds it.
    pub(super) fn id(&self, stem: &str) -> Option<u32> {
        self.0.get(stem).copied()
    }

    /// How many stems have an id (ids are `0..len`).
    pub(super) fn len(&self) -> usize {
        self.0.len()
    }

    /// The ids of all of `stems`; `None` when one has none (then no entry holds them all).
    pub(super) fn all(&self, stems: &[String]) -> Option<Vec<u32>> {
        stems.iter().map(|s| self.id(s)).collect()
    }

    pub(super) fn shrink_to_fit(&mut self) {
        self.0.shrink_to_fit();
    }
}

/// A set of stem ids (sorted, without repeats).
#[derive(Debug, Default)]
pub(super) struct IdSet(Box<[u32]>);

impl IdSet {
    pub(super) fn new(ids: impl IntoIterator<Item = u32>) -> IdSet {
        let mut v: Vec<u32> = ids.into_iter().collect();
        v.sort_unstable();
        v.dedup();
        IdSet(v.into_boxed_slice())
    }

    pub(super) fn contains(&self, id: u32) -> bool {
        self.0.binary_search(&id).is_ok()
    }
}

impl super::Entry {
    /// Whether its title, alternatives or body hold the stem `id`.
    pub(super) fn holds_stem(&self, id: u32) -> bool {
        self.title_stems.contains(id) || self.alt_stems.contains(id) || self.body_stems.contains(id)
    }
}

/// A concept of a question with its stems as ids, looked up once per search.
#[derive(Debug)]
pub(super) struct ConceptIds {
    /// The user's own word(s) (`None`: a stem no entry holds).
    pub(super) own: Option<Vec<u32>>,
    /// Each synonym's stems, the same way.
    pub(super) alts: Vec<Option<Vec<u32>>>,
}

impl ConceptIds {
    pub(super) fn of(ids: &StemIds, c: &Concept) -> ConceptIds {
        ConceptIds {
            own: ids.all(&c.stems),
            alts: c.alt_terms.iter().map(|t| ids.all(t)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_sets_hold_only_their_ids() {
        let mut ids = StemIds::default();
        let a = ids.intern("bando");
        let b = ids.intern("scadenz");
        assert_eq!(ids.intern("bando"), a);
        assert_ne!(a, b);
        assert_eq!(ids.len(), 2);
        let set = IdSet::new([b, b]);
        assert!(set.contains(b));
        assert!(!set.contains(a));
        assert_eq!(
            ids.all(&["bando".into(), "scadenz".into()]),
            Some(vec![a, b])
        );
        assert_eq!(ids.all(&["bando".into(), "ignot".into()]), None);
        assert_eq!(ids.all(&[]), Some(vec![]));
    }
}
