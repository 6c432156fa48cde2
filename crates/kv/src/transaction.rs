//! Transactions over one to three trees of one store, in sled's shape: the closure reads
//! through [`TransactionalTree`]s and buffers its writes; when it returns `Ok`, the
//! writes of every tree go into the log as **one record** and are applied together.
//!
//! The closure runs with the store's writer mutex held, so no other write lands between
//! its reads and its writes (a transaction is serializable with every write, not only
//! with other transactions) and it never has to run again. A closure must therefore
//! not write to the store by other means, nor call [`crate::Db::generate_id`].

use std::cell::RefCell;
use std::collections::BTreeMap;

use crate::Batch;
use crate::tree::Tree;
use crate::{Error, IVec};

/// An error of a read or write inside the closure.
#[derive(Debug)]
pub enum UnabortableTransactionError {
    Conflict,
    Storage(Error),
}

/// What a closure may return as its error.
#[derive(Debug)]
pub enum ConflictableTransactionError<T = ()> {
    Abort(T),
    Storage(Error),
    Conflict,
}

/// The error of a whole transaction.
#[derive(Debug)]
pub enum TransactionError<T = ()> {
    Abort(T),
    Storage(Error),
}

impl<T> From<UnabortableTransactionError> for ConflictableTransactionError<T> {
    fn from(e: UnabortableTransactionError) -> Self {
        match e {
            UnabortableTransactionError::Conflict => ConflictableTransactionError::Conflict,
            UnabortableTransactionError::Storage(s) => ConflictableTransactionError::Storage(s),
        }
    }
}

impl<T> From<Error> for ConflictableTransactionError<T> {
    fn from(e: Error) -> Self {
        ConflictableTransactionError::Storage(e)
    }
}

pub type ConflictableTransactionResult<T, E = ()> =
    std::result::Result<T, ConflictableTransactionError<E>>;
pub type TransactionResult<T, E = ()> = std::result::Result<T, TransactionError<E>>;

/// Ends a transaction's closure with `t` as its error; nothing is written.
pub fn abort<A, T>(t: T) -> ConflictableTransactionResult<A, T> {
    Err(ConflictableTransactionError::Abort(t))
}

/// A tree as a transaction's closure sees it: its own writes over the tree's values.
pub struct TransactionalTree {
    tree: Tree,
    writes: RefCell<BTreeMap<Vec<u8>, Option<IVec>>>,
}

type Unabortable<T> = std::result::Result<T, UnabortableTransactionError>;

impl TransactionalTree {
    fn new(tree: &Tree) -> Self {
        TransactionalTree {
            tree: tree.clone(),
            writes: RefCell::default(),
        }
    }

    pub fn get<K: AsRef<[u8]>>(&self, key: K) -> Unabortable<Option<IVec>> {
        if let Some(w) = self.writes.borrow().get(key.as_ref()) {
            return Ok(w.clone());
        }
        Ok(self.tree.read().get(key.as_ref()).cloned())
    }

    pub fn insert<K: AsRef<[u8]>, V: Into<IVec>>(
        &self,
        key: K,
        value: V,
    ) -> Unabortable<Option<IVec>> {
        let old = self.get(key.as_ref())?;
        (self.writes.borrow_mut()).insert(key.as_ref().to_vec(), Some(value.into()));
        Ok(old)
    }

    pub fn remove<K: AsRef<[u8]>>(&self, key: K) -> Unabortable<Option<IVec>> {
        let old = self.get(key.as_ref())?;
        self.writes.borrow_mut().insert(key.as_ref().to_vec(), None);
        Ok(old)
    }
}

/// Trees a transaction can run over.
pub trait Transactional<E = ()> {
    type View;
    fn transaction<F, A>(&self, f: F) -> TransactionResult<A, E>
    where
        F: Fn(&Self::View) -> ConflictableTransactionResult<A, E>;
}

fn run<V, A, E>(
    first: &Tree,
    make: impl Fn() -> V,
    split: impl FnOnce(V) -> Vec<TransactionalTree>,
    f: impl Fn(&V) -> ConflictableTransactionResult<A, E>,
) -> TransactionResult<A, E> {
    let sh = first.db().map_err(TransactionError::Storage)?;
    let (a, buffered) = {
        let mut w = sh.writer().map_err(TransactionError::Storage)?;
        let (views, a) = loop {
            let views = make();
            match f(&views) {
                Ok(a) => break (views, a),
                Err(ConflictableTransactionError::Abort(e)) => {
                    return Err(TransactionError::Abort(e));
                }
                Err(ConflictableTransactionError::Storage(s)) => {
                    return Err(TransactionError::Storage(s));
                }
                // Nothing else writes while the mutex is held: only a closure that
                // asks for it gets here, and it runs again.
                Err(ConflictableTransactionError::Conflict) => continue,
            }
        };
        let mut batch = Batch::default();
        for v in split(views) {
            for (k, value) in v.writes.into_inner() {
                match value {
                    Some(value) => batch.insert(&v.tree, k, value),
                    None => batch.remove(&v.tree, k),
                }
            }
        }
        batch.apply_locked(&sh, &mut w);
        (a, w.buf.len())
    };
    sh.after_write(buffered)
        .map_err(TransactionError::Storage)?;
    Ok(a)
}

impl Tree {
    pub fn transaction<F, A, E>(&self, f: F) -> TransactionResult<A, E>
    where
        F: Fn(&TransactionalTree) -> ConflictableTransactionResult<A, E>,
    {
        run(self, || TransactionalTree::new(self), |v| vec![v], f)
    }
}

impl<E> Transactional<E> for (&Tree,) {
    type View = (TransactionalTree,);
    fn transaction<F, A>(&self, f: F) -> TransactionResult<A, E>
    where
        F: Fn(&Self::View) -> ConflictableTransactionResult<A, E>,
    {
        let make = || (TransactionalTree::new(self.0),);
        run(self.0, make, |v| vec![v.0], f)
    }
}

impl<E> Transactional<E> for (&Tree, &Tree) {
    type View = (TransactionalTree, TransactionalTree);
    fn transaction<F, A>(&self, f: F) -> TransactionResult<A, E>
    where
        F: Fn(&Self::View) -> ConflictableTransactionResult<A, E>,
    {
        let make = || {
            (
                TransactionalTree::new(self.0),
                TransactionalTree::new(self.1),
            )
        };
        run(self.0, make, |v| vec![v.0, v.1], f)
    }
}

impl<E> Transactional<E> for (&Tree, &Tree, &Tree) {
    type View = (TransactionalTree, TransactionalTree, TransactionalTree);
    fn transaction<F, A>(&self, f: F) -> TransactionResult<A, E>
    where
        F: Fn(&Self::View) -> ConflictableTransactionResult<A, E>,
    {
        let make = || {
            (
                TransactionalTree::new(self.0),
                TransactionalTree::new(self.1),
                TransactionalTree::new(self.2),
            )
        };
        run(self.0, make, |v| vec![v.0, v.1, v.2], f)
    }
}
