//! [`IVec`]: an immutable, cheaply cloned byte string, the type of every key and value.
//! A clone shares the bytes, so handing a value out of a tree costs a reference count,
//! not a copy.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// Bytes shared by reference count.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IVec(Arc<[u8]>);

impl IVec {
    /// A copy of the bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        self.0.to_vec()
    }
}

impl fmt::Debug for IVec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", &*self.0)
    }
}

impl Deref for IVec {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for IVec {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl std::borrow::Borrow<[u8]> for IVec {
    fn borrow(&self) -> &[u8] {
        &self.0
    }
}

impl From<&[u8]> for IVec {
    fn from(v: &[u8]) -> Self {
        IVec(Arc::from(v))
    }
}

impl From<Vec<u8>> for IVec {
    fn from(v: Vec<u8>) -> Self {
        IVec(Arc::from(v))
    }
}

impl From<&Vec<u8>> for IVec {
    fn from(v: &Vec<u8>) -> Self {
        IVec(Arc::from(v.as_slice()))
    }
}

impl From<&str> for IVec {
    fn from(v: &str) -> Self {
        IVec(Arc::from(v.as_bytes()))
    }
}

impl From<&IVec> for IVec {
    fn from(v: &IVec) -> Self {
        v.clone()
    }
}

impl<const N: usize> From<[u8; N]> for IVec {
    fn from(v: [u8; N]) -> Self {
        IVec(Arc::from(&v[..]))
    }
}

impl<const N: usize> From<&[u8; N]> for IVec {
    fn from(v: &[u8; N]) -> Self {
        IVec(Arc::from(&v[..]))
    }
}

impl From<IVec> for Vec<u8> {
    fn from(v: IVec) -> Self {
        v.0.to_vec()
    }
}

impl PartialEq<[u8]> for IVec {
    fn eq(&self, o: &[u8]) -> bool {
        &*self.0 == o
    }
}

impl PartialEq<&[u8]> for IVec {
    fn eq(&self, o: &&[u8]) -> bool {
        &*self.0 == *o
    }
}

impl PartialEq<Vec<u8>> for IVec {
    fn eq(&self, o: &Vec<u8>) -> bool {
        &*self.0 == o.as_slice()
    }
}
