//! [`Batch`]: writes to several trees of one store applied as one record, all or none,
//! across a crash too. The bot's commits are batches: an update's session, outbox
//! entries, follows and update id go in together.

use crate::db::{Shared, Writer};
use crate::record::Frame;
use crate::tree::Tree;
use crate::{Db, IVec, Result};

/// Writes gathered to be applied together by [`Db::apply_batch`].
#[derive(Default)]
pub struct Batch {
    writes: Vec<(Tree, IVec, Option<IVec>)>,
}

impl Batch {
    /// Sets `key` of `tree` to `value`.
    pub fn insert(&mut self, tree: &Tree, key: impl AsRef<[u8]>, value: impl Into<IVec>) {
        self.writes
            .push((tree.clone(), IVec::from(key.as_ref()), Some(value.into())));
    }

    /// Removes `key` of `tree`.
    pub fn remove(&mut self, tree: &Tree, key: impl AsRef<[u8]>) {
        self.writes
            .push((tree.clone(), IVec::from(key.as_ref()), None));
    }

    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    pub fn len(&self) -> usize {
        self.writes.len()
    }
}

impl Batch {
    /// Logs the writes as one record and applies them, with the writer mutex held.
    pub(crate) fn apply_locked(self, sh: &Shared, w: &mut Writer) {
        if self.writes.is_empty() {
            return;
        }
        if sh.logging() {
            let mut f = Frame::new(&mut w.buf);
            for (t, k, v) in &self.writes {
                match v {
                    Some(v) => f.put(t.id(), k, v),
                    None => f.del(t.id(), k),
                }
            }
            w.since_snapshot += f.finish() as u64;
        }
        for (t, k, v) in self.writes {
            t.apply_owned(w, k, v);
        }
    }
}

impl Db {
    /// Applies every write of `batch`, in order, as one record of the log (trees of this
    /// store only).
    pub fn apply_batch(&self, batch: Batch) -> Result<()> {
        if batch.writes.is_empty() {
            return Ok(());
        }
        let sh = self.shared();
        let buffered = {
            let mut w = sh.writer()?;
            batch.apply_locked(sh, &mut w);
            w.buf.len()
        };
        sh.after_write(buffered)
    }
}
