//! A bounded memory of the results of pure functions, shared by threads: what an index's
//! searches found (`search/found.rs`) and what the engine read in a message
//! (`dialogue/readings.rs`). Each is a pure function of what it was made from and of an
//! exact key that its user writes out in full (so two different inputs never share an
//! entry), so a repeated input takes the result made the first time.
//!
//! Bounded: at most [`KEPT`] results and about [`BYTES`] bytes of keys and results (or
//! the budget given to [`Kept::with_bytes`]), then all are forgotten at once (cheaper
//! than tracking which is oldest, and a burst of new inputs costs one clear). Behind one lock, taken once for a remembered result and twice
//! for a new one; the work itself runs outside it. A debug event every 1,024 look-ups says
//! how many were remembered (for the benches).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// At most this many results are kept (then all are forgotten at once).
pub const KEPT: usize = 2048;
/// At most about this many bytes of keys and results are kept.
pub const BYTES: usize = 1024 * 1024;

/// About how many bytes a kept value holds.
pub trait Size {
    fn size(&self) -> usize;
}

/// About what a heap block of `bytes` takes from the allocator (its size classes are
/// multiples of 16 here; none for nothing allocated).
pub fn block(bytes: usize) -> usize {
    bytes.next_multiple_of(16)
}

struct Map<V> {
    map: HashMap<Box<[u8]>, V, foldhash::fast::RandomState>,
    bytes: usize,
}

/// The memory of one kind of result, with how often it was asked.
pub struct Kept<V> {
    /// Which results (for the debug events).
    kind: &'static str,
    /// At most about this many bytes of keys and results.
    budget: usize,
    kept: Mutex<Map<V>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl<V> std::fmt::Debug for Kept<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kept")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl<V: Clone + Size> Kept<V> {
    /// A memory of at most about [`BYTES`] bytes.
    pub fn new(kind: &'static str) -> Kept<V> {
        Kept::with_bytes(kind, BYTES)
    }

    /// A memory of at most about `budget` bytes of keys and results.
    pub fn with_bytes(kind: &'static str, budget: usize) -> Kept<V> {
        Kept {
            kind,
            budget,
            kept: Mutex::new(Map {
                map: HashMap::default(),
                bytes: 0,
            }),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The result kept under `key`, made by `make` the first time.
    pub fn get_or(&self, key: impl Into<Vec<u8>>, make: impl FnOnce() -> V) -> V {
        let key = key.into();
        if let Some(v) = self.lock().map.get(key.as_slice()) {
            let hits = self.hits.fetch_add(1, Ordering::Relaxed) + 1;
            self.tell(hits, self.misses.load(Ordering::Relaxed));
            return v.clone();
        }
        let misses = self.misses.fetch_add(1, Ordering::Relaxed) + 1;
        self.tell(self.hits.load(Ordering::Relaxed), misses);
        let made = make();
        let size = key.len() + made.size();
        let mut kept = self.lock();
        if kept.map.len() >= KEPT || kept.bytes + size > self.budget {
            kept.map.clear();
            kept.bytes = 0;
        }
        if size <= self.budget
            && kept
                .map
                .insert(key.into_boxed_slice(), made.clone())
                .is_none()
        {
            kept.bytes += size;
        }
        made
    }

    /// Forgets every result.
    pub fn forget(&self) {
        let mut kept = self.lock();
        kept.map.clear();
        kept.bytes = 0;
    }

    /// How many look-ups were answered from memory, and how many made their result.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// How many results are kept now.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// About how many bytes of keys and results are kept now.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    fn tell(&self, hits: u64, misses: u64) {
        if (hits + misses).is_multiple_of(1024) {
            tracing::debug!(kind = self.kind, hits, misses, "kept results");
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Map<V>> {
        // The map holds plain data: one a panicking thread left is still whole.
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Size for u32 {
        fn size(&self) -> usize {
            4
        }
    }

    /// A memory given a budget forgets everything when the next result would pass it,
    /// and keeps nothing bigger than the whole budget.
    #[test]
    fn a_budget_bounds_the_bytes_kept() {
        // Each result: a one-byte key and four bytes.
        let k: Kept<u32> = Kept::with_bytes("test", 12);
        k.get_or(b"a".to_vec(), || 1);
        k.get_or(b"b".to_vec(), || 2);
        assert_eq!((k.len(), k.bytes()), (2, 10));
        k.get_or(b"c".to_vec(), || 3);
        assert_eq!((k.len(), k.bytes()), (1, 5));
        assert_eq!(k.get_or(b"c".to_vec(), || 9), 3);
        let big = vec![0u8; 20];
        assert_eq!(k.get_or(big.clone(), || 4), 4);
        assert_eq!(k.get_or(big, || 5), 5);
        assert!(k.is_empty());
        assert_eq!(block(0), 0);
        assert_eq!((block(1), block(16), block(17)), (16, 16, 32));
    }

    #[test]
    fn a_result_is_made_once_per_key_counted_and_forgotten_on_demand() {
        let k: Kept<u32> = Kept::new("test");
        let mut made = 0;
        for _ in 0..3 {
            assert_eq!(
                k.get_or(b"a".to_vec(), || {
                    made += 1;
                    7
                }),
                7
            );
        }
        assert_eq!(made, 1);
        assert_eq!(k.counts(), (2, 1));
        assert_eq!((k.len(), k.bytes()), (1, 5));
        k.forget();
        assert!(k.is_empty());
        assert_eq!(k.get_or(b"a".to_vec(), || 8), 8);
    }
}
