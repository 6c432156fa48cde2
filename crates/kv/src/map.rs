//! [`TreeMap`]: a tree's number, name and ordered map: what the store's registry, the
//! snapshots and a [`crate::Tree`] handle share. It knows nothing of the log.

use std::collections::BTreeMap;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::IVec;

pub(crate) struct TreeMap {
    id: u32,
    name: IVec,
    map: RwLock<BTreeMap<IVec, IVec>>,
}

impl TreeMap {
    pub(crate) fn new(id: u32, name: IVec, map: BTreeMap<IVec, IVec>) -> TreeMap {
        TreeMap {
            id,
            name,
            map: RwLock::new(map),
        }
    }

    pub(crate) fn id(&self) -> u32 {
        self.id
    }

    pub(crate) fn name(&self) -> IVec {
        self.name.clone()
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, BTreeMap<IVec, IVec>> {
        self.map.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, BTreeMap<IVec, IVec>> {
        self.map.write().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of the map that shares its keys and values.
    pub(crate) fn snapshot(&self) -> BTreeMap<IVec, IVec> {
        self.read().clone()
    }
}
