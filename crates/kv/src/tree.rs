//! [`Tree`]: one ordered map of the store, and its iterators.
//!
//! Reads take the map's read lock only; writes go through [`crate::db`]'s writer mutex
//! (log order = apply order). Iterators hold no lock between items: each step looks up
//! the next key after the last one returned, so a long scan never blocks a writer and
//! sees the writes made behind its position, as sled's do.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::{Bound, RangeBounds};
use std::sync::{Arc, RwLockReadGuard, RwLockWriteGuard, Weak};

use crate::db::{Shared, Writer};
use crate::map::TreeMap;
use crate::record::Frame;
use crate::{Db, Error, IVec, Result};

/// One ordered map of keys to values: a handle, cheap to clone.
#[derive(Clone)]
pub struct Tree {
    map: Arc<TreeMap>,
    db: Weak<Shared>,
}

/// A compare-and-swap that found another value than the one expected.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareAndSwapError {
    pub current: Option<IVec>,
    pub proposed: Option<IVec>,
}

impl fmt::Display for CompareAndSwapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "compare and swap conflict")
    }
}

impl std::error::Error for CompareAndSwapError {}

impl Db {
    /// The tree named `name`, made (and logged) if new.
    pub fn open_tree<V: AsRef<[u8]>>(&self, name: V) -> Result<Tree> {
        let name = name.as_ref();
        let sh = self.shared();
        let handle = |map: &Arc<TreeMap>| Tree {
            map: Arc::clone(map),
            db: Arc::downgrade(sh),
        };
        if let Some(t) = sh.trees.read().unwrap_or_else(|e| e.into_inner()).get(name) {
            return Ok(handle(t));
        }
        let mut w = sh.writer()?;
        let mut trees = sh.trees.write().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = trees.get(name) {
            return Ok(handle(t));
        }
        let id = w.next_tree;
        w.next_tree += 1;
        if sh.logging() {
            let mut f = Frame::new(&mut w.buf);
            f.tree(id, name);
            w.since_snapshot += f.finish() as u64;
        }
        let name = IVec::from(name);
        let map = Arc::new(TreeMap::new(id, name.clone(), BTreeMap::new()));
        trees.insert(name, Arc::clone(&map));
        Ok(handle(&map))
    }
}

impl Tree {
    pub(crate) fn id(&self) -> u32 {
        self.map.id()
    }

    /// The tree's name.
    pub fn name(&self) -> IVec {
        self.map.name()
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, BTreeMap<IVec, IVec>> {
        self.map.read()
    }

    fn write(&self) -> RwLockWriteGuard<'_, BTreeMap<IVec, IVec>> {
        self.map.write()
    }

    pub(crate) fn db(&self) -> Result<Arc<Shared>> {
        self.db.upgrade().ok_or(Error::Closed)
    }

    /// Logs and applies writes of this tree, with the writer mutex held by the caller:
    /// one record for all of them. Returns the old values.
    pub(crate) fn apply_locked(
        &self,
        sh: &Shared,
        w: &mut Writer,
        writes: &[(&[u8], Option<IVec>)],
    ) -> Vec<Option<IVec>> {
        if sh.logging() {
            let mut f = Frame::new(&mut w.buf);
            self.log_into(&mut f, writes);
            w.since_snapshot += f.finish() as u64;
        }
        self.apply_to_map(w, writes)
    }

    /// Adds the operations of `writes` to a record being built.
    pub(crate) fn log_into(&self, f: &mut Frame<'_>, writes: &[(&[u8], Option<IVec>)]) {
        for (k, v) in writes {
            match v {
                Some(v) => f.put(self.id(), k, v),
                None => f.del(self.id(), k),
            }
        }
    }

    /// Applies one write whose key is already an [`IVec`] (no copy of it is made).
    pub(crate) fn apply_owned(&self, w: &mut Writer, key: IVec, value: Option<IVec>) {
        let mut m = self.write();
        let old = match &value {
            Some(v) => match m.get_mut(&key[..]) {
                Some(slot) => Some(std::mem::replace(slot, v.clone())),
                None => m.insert(key.clone(), v.clone()),
            },
            None => m.remove(&key[..]),
        };
        w.account(&key, old.as_ref(), value.as_ref());
    }

    /// Applies `writes` to the map (their record logged already); the old values.
    pub(crate) fn apply_to_map(
        &self,
        w: &mut Writer,
        writes: &[(&[u8], Option<IVec>)],
    ) -> Vec<Option<IVec>> {
        let mut m = self.write();
        writes
            .iter()
            .map(|(k, v)| {
                let old = match v {
                    Some(v) => match m.get_mut(*k) {
                        Some(slot) => Some(std::mem::replace(slot, v.clone())),
                        None => m.insert(IVec::from(*k), v.clone()),
                    },
                    None => m.remove(*k),
                };
                w.account(k, old.as_ref(), v.as_ref());
                old
            })
            .collect()
    }

    /// One write, logged and applied; the old value.
    fn write_one(&self, key: &[u8], value: Option<IVec>) -> Result<Option<IVec>> {
        let sh = self.db()?;
        let (old, buffered) = {
            let mut w = sh.writer()?;
            let old = self
                .apply_locked(&sh, &mut w, &[(key, value)])
                .pop()
                .flatten();
            (old, w.buf.len())
        };
        sh.after_write(buffered)?;
        Ok(old)
    }

    pub fn get<K: AsRef<[u8]>>(&self, key: K) -> Result<Option<IVec>> {
        Ok(self.read().get(key.as_ref()).cloned())
    }

    pub fn contains_key<K: AsRef<[u8]>>(&self, key: K) -> Result<bool> {
        Ok(self.read().contains_key(key.as_ref()))
    }

    pub fn insert<K: AsRef<[u8]>, V: Into<IVec>>(&self, key: K, value: V) -> Result<Option<IVec>> {
        self.write_one(key.as_ref(), Some(value.into()))
    }

    /// Removes `key`; its value. Nothing is logged when there was none.
    pub fn remove<K: AsRef<[u8]>>(&self, key: K) -> Result<Option<IVec>> {
        let key = key.as_ref();
        if !self.read().contains_key(key) {
            // A write that raced in here is ordered before this no-op: still correct.
            return Ok(None);
        }
        self.write_one(key, None)
    }

    /// Sets `key` to `new` if it holds `old` (`None`: absent), as one write.
    pub fn compare_and_swap<K, OV, NV>(
        &self,
        key: K,
        old: Option<OV>,
        new: Option<NV>,
    ) -> Result<std::result::Result<(), CompareAndSwapError>>
    where
        K: AsRef<[u8]>,
        OV: AsRef<[u8]>,
        NV: Into<IVec>,
    {
        let key = key.as_ref();
        let new = new.map(Into::into);
        let sh = self.db()?;
        let buffered = {
            let mut w = sh.writer()?;
            let current = self.read().get(key).cloned();
            if current.as_deref() != old.as_ref().map(AsRef::as_ref) {
                return Ok(Err(CompareAndSwapError {
                    current,
                    proposed: new,
                }));
            }
            if current.is_some() || new.is_some() {
                self.apply_locked(&sh, &mut w, &[(key, new)]);
            }
            w.buf.len()
        };
        sh.after_write(buffered)?;
        Ok(Ok(()))
    }

    fn update<V, F>(&self, key: &[u8], mut f: F) -> Result<(Option<IVec>, Option<IVec>)>
    where
        F: FnMut(Option<&[u8]>) -> Option<V>,
        IVec: From<V>,
    {
        let sh = self.db()?;
        let (old, new, buffered) = {
            let mut w = sh.writer()?;
            let old = self.read().get(key).cloned();
            let new = f(old.as_deref()).map(IVec::from);
            if old.is_some() || new.is_some() {
                self.apply_locked(&sh, &mut w, &[(key, new.clone())]);
            }
            (old, new, w.buf.len())
        };
        sh.after_write(buffered)?;
        Ok((old, new))
    }

    /// Replaces the value of `key` by `f` of it, as one write; the new value.
    pub fn update_and_fetch<K, V, F>(&self, key: K, f: F) -> Result<Option<IVec>>
    where
        K: AsRef<[u8]>,
        F: FnMut(Option<&[u8]>) -> Option<V>,
        IVec: From<V>,
    {
        self.update(key.as_ref(), f).map(|(_, new)| new)
    }

    /// Replaces the value of `key` by `f` of it, as one write; the old value.
    pub fn fetch_and_update<K, V, F>(&self, key: K, f: F) -> Result<Option<IVec>>
    where
        K: AsRef<[u8]>,
        F: FnMut(Option<&[u8]>) -> Option<V>,
        IVec: From<V>,
    {
        self.update(key.as_ref(), f).map(|(old, _)| old)
    }

    pub fn iter(&self) -> Iter {
        Iter::new(self.clone(), Bound::Unbounded, Bound::Unbounded)
    }

    pub fn range<K: AsRef<[u8]>, R: RangeBounds<K>>(&self, r: R) -> Iter {
        let own = |b: Bound<&K>| match b {
            Bound::Included(k) => Bound::Included(IVec::from(k.as_ref())),
            Bound::Excluded(k) => Bound::Excluded(IVec::from(k.as_ref())),
            Bound::Unbounded => Bound::Unbounded,
        };
        Iter::new(self.clone(), own(r.start_bound()), own(r.end_bound()))
    }

    pub fn scan_prefix<P: AsRef<[u8]>>(&self, prefix: P) -> Iter {
        let p = prefix.as_ref();
        let end = prefix_end(p).map_or(Bound::Unbounded, |e| Bound::Excluded(IVec::from(e)));
        Iter::new(self.clone(), Bound::Included(IVec::from(p)), end)
    }

    pub fn first(&self) -> Result<Option<(IVec, IVec)>> {
        Ok(self
            .read()
            .iter()
            .next()
            .map(|(k, v)| (k.clone(), v.clone())))
    }

    pub fn last(&self) -> Result<Option<(IVec, IVec)>> {
        Ok(self
            .read()
            .iter()
            .next_back()
            .map(|(k, v)| (k.clone(), v.clone())))
    }

    pub fn len(&self) -> usize {
        self.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// Removes every key, as one write.
    pub fn clear(&self) -> Result<()> {
        let sh = self.db()?;
        let buffered = {
            let mut w = sh.writer()?;
            let keys: Vec<IVec> = self.read().keys().cloned().collect();
            let writes: Vec<(&[u8], Option<IVec>)> = keys.iter().map(|k| (&k[..], None)).collect();
            self.apply_locked(&sh, &mut w, &writes);
            w.buf.len()
        };
        sh.after_write(buffered)?;
        Ok(())
    }

    /// Flushes the whole store ([`crate::Db::flush`]).
    pub fn flush(&self) -> Result<usize> {
        crate::Db::from_shared(self.db()?).flush()
    }
}

impl PartialEq for Tree {
    fn eq(&self, o: &Tree) -> bool {
        Arc::ptr_eq(&self.map, &o.map)
    }
}

fn prefix_end(p: &[u8]) -> Option<Vec<u8>> {
    let mut end = p.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Items of a tree in key order (or reverse), looked up afresh at each step.
pub struct Iter {
    tree: Tree,
    lo: Bound<IVec>,
    hi: Bound<IVec>,
    done: bool,
}

impl Iter {
    fn new(tree: Tree, lo: Bound<IVec>, hi: Bound<IVec>) -> Iter {
        Iter {
            tree,
            lo,
            hi,
            done: false,
        }
    }

    pub fn keys(self) -> impl DoubleEndedIterator<Item = Result<IVec>> {
        self.map(|r| r.map(|(k, _)| k))
    }

    pub fn values(self) -> impl DoubleEndedIterator<Item = Result<IVec>> {
        self.map(|r| r.map(|(_, v)| v))
    }

    fn empty(&self) -> bool {
        match (&self.lo, &self.hi) {
            (Bound::Included(a), Bound::Included(b)) => a > b,
            (Bound::Included(a), Bound::Excluded(b))
            | (Bound::Excluded(a), Bound::Included(b))
            | (Bound::Excluded(a), Bound::Excluded(b)) => a >= b,
            _ => false,
        }
    }

    fn step(&mut self, forward: bool) -> Option<Result<(IVec, IVec)>> {
        if self.done || self.empty() {
            return None;
        }
        let got = {
            let m = self.tree.read();
            let mut r = m.range::<[u8], _>((as_ref_bound(&self.lo), as_ref_bound(&self.hi)));
            let item = if forward { r.next() } else { r.next_back() };
            item.map(|(k, v)| (k.clone(), v.clone()))
        };
        match got {
            Some((k, v)) => {
                let past = Bound::Excluded(k.clone());
                if forward {
                    self.lo = past;
                } else {
                    self.hi = past;
                }
                Some(Ok((k, v)))
            }
            None => {
                self.done = true;
                None
            }
        }
    }
}

fn as_ref_bound(b: &Bound<IVec>) -> Bound<&[u8]> {
    match b {
        Bound::Included(k) => Bound::Included(&k[..]),
        Bound::Excluded(k) => Bound::Excluded(&k[..]),
        Bound::Unbounded => Bound::Unbounded,
    }
}

impl Iterator for Iter {
    type Item = Result<(IVec, IVec)>;
    fn next(&mut self) -> Option<Self::Item> {
        self.step(true)
    }
}

impl DoubleEndedIterator for Iter {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.step(false)
    }
}
