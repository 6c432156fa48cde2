//! What tantivy found for a query, remembered by the index that found it. Its two
//! searches a message (the answers' candidates in `search_analysed`, the plain BM25
//! second opinion in `search_bm25`) were about a third of the engine's instructions, and
//! an index never changes once built (a reload builds a new one, with an empty memory):
//! the top documents tantivy returns are a pure function of the query built and the
//! number asked for. So a question asked again (the same concepts, or for the plain
//! search the same stems) takes the candidates found the first time instead of searching;
//! ranking, confidence and everything after run as before. A question never asked before
//! gains nothing (it pays for building its key and keeping the result).
//!
//! The key is exact: the query's inputs written out in full, each string with its length
//! (see [`Key`]); two different queries never share an entry. The memory is bounded (at
//! most [`KEPT`] results and [`BYTES`] bytes of keys and results per search kind; then
//! all are forgotten at once, as the thread-local memos of this module do) and shared by
//! the threads that search (each runtime worker): one question is searched once, not
//! once per thread.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use super::HashMap;

/// At most this many results are kept per search kind (then all are forgotten at once).
const KEPT: usize = 2048;
/// At most this many bytes of keys and results are kept per search kind.
const BYTES: usize = 512 * 1024;

/// Candidates as a search returns them: (entry, score), best first.
pub(super) type Candidates = Vec<(usize, f32)>;

/// An exact key: every input of the query written out, strings with their lengths.
#[derive(Default)]
pub(super) struct Key(Vec<u8>);

impl Key {
    pub(super) fn num(&mut self, n: u64) -> &mut Key {
        self.0.extend_from_slice(&n.to_le_bytes());
        self
    }

    pub(super) fn text(&mut self, s: &str) -> &mut Key {
        self.num(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
        self
    }
}

/// The results of one kind of search, by key.
#[derive(Default)]
struct Kept {
    map: HashMap<Box<[u8]>, Box<[(u32, f32)]>>,
    bytes: usize,
}

/// The memory of one kind of search of one index, with how often it was asked.
pub(super) struct Found {
    /// Which search (for the debug events).
    kind: &'static str,
    kept: Mutex<Kept>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl Found {
    fn new(kind: &'static str) -> Found {
        Found {
            kind,
            kept: Mutex::default(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The candidates of `key`, from `search` the first time.
    pub(super) fn get_or(&self, key: Key, search: impl FnOnce() -> Candidates) -> Candidates {
        if let Some(c) = self.lock().map.get(key.0.as_slice()) {
            let hits = self.hits.fetch_add(1, Ordering::Relaxed) + 1;
            self.tell(hits, self.misses.load(Ordering::Relaxed));
            return c.iter().map(|&(e, s)| (e as usize, s)).collect();
        }
        let misses = self.misses.fetch_add(1, Ordering::Relaxed) + 1;
        self.tell(self.hits.load(Ordering::Relaxed), misses);
        let found = search();
        // Entries are positions in the index (far fewer than 2³²): kept in half the room.
        let Ok(small) = found
            .iter()
            .map(|&(e, s)| u32::try_from(e).map(|e| (e, s)))
            .collect::<Result<Box<[_]>, _>>()
        else {
            return found;
        };
        let size = key.0.len() + std::mem::size_of_val(&*small);
        let mut kept = self.lock();
        if kept.map.len() >= KEPT || kept.bytes + size > BYTES {
            kept.map.clear();
            kept.bytes = 0;
        }
        if size <= BYTES
            && kept
                .map
                .insert(key.0.into(), small)
                .is_none()
        {
            kept.bytes += size;
        }
        found
    }

    /// How many searches were answered from memory, and how many were run.
    pub(super) fn counts(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// Every 1,024 searches, how many were remembered (a debug event, for the benches).
    fn tell(&self, hits: u64, misses: u64) {
        if (hits + misses) % 1024 == 0 {
            tracing::debug!(kind = self.kind, hits, misses, "search memory");
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        // The map holds plain data: one a panicking thread left is still whole.
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The two memories of an index: the answers' candidates and the plain BM25 search's.
pub(super) struct Memory {
    pub(super) answers: Found,
    pub(super) plain: Found,
}

impl Default for Memory {
    fn default() -> Memory {
        Memory {
            answers: Found::new("answers"),
            plain: Found::new("plain"),
        }
    }
}

/// How often an index's searches were answered from memory (see [`super::SearchIndex::memory`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemoryCounts {
    /// The answers' searches (`search_analysed`) answered from memory, and run.
    pub answers: (u64, u64),
    /// The plain BM25 searches answered from memory, and run.
    pub plain: (u64, u64),
}

impl Memory {
    pub(super) fn counts(&self) -> MemoryCounts {
        MemoryCounts {
            answers: self.answers.counts(),
            plain: self.plain.counts(),
        }
    }
}
