//! Sessions in the `sessions` tree: the user's pseudonym → format (1) ‖ revision (u64) ‖
//! touched (seconds, i64) ‖ the engine's bytes, sealed for the user. Revision and
//! activity stay readable, so that a compare-and-swap or an expiry reads no user data.

use async_trait::async_trait;
use jiff::Timestamp;

use super::EmbeddedStore;
use crate::store::{Revision, SessionStore, StoreError, StoredSession, UserId};

const FORMAT: u8 = 1;
pub(super) const HEAD: usize = 17;

/// A stored value: header, then the sealed bytes.
pub(super) fn encode(revision: u64, touched: Timestamp, sealed: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(HEAD + sealed.len());
    v.push(FORMAT);
    v.extend(revision.to_be_bytes());
    v.extend(touched.as_second().to_be_bytes());
    v.extend_from_slice(sealed);
    v
}

/// Revision and last activity of a stored value.
pub(super) fn header(v: &[u8]) -> Option<(u64, Timestamp)> {
    if v.len() < HEAD || v[0] != FORMAT {
        return None;
    }
    let rev = u64::from_be_bytes(v[1..9].try_into().ok()?);
    let secs = i64::from_be_bytes(v[9..17].try_into().ok()?);
    Some((
        rev,
        Timestamp::from_second(secs).unwrap_or(Timestamp::UNIX_EPOCH),
    ))
}

impl EmbeddedStore {
    pub(super) fn session_key(&self, user: UserId) -> Vec<u8> {
        self.who(user).0.to_vec()
    }
}

#[async_trait]
impl SessionStore for EmbeddedStore {
    async fn load_session(&self, user: UserId) -> Result<Option<StoredSession>, StoreError> {
        let Some(v) = self.sessions.get(self.session_key(user))? else {
            return Ok(None);
        };
        let (rev, touched) = header(&v).unwrap_or((0, Timestamp::UNIX_EPOCH));
        Ok(Some(StoredSession {
            // Unreadable (another format, a lost key): the engine starts afresh.
            bytes: v
                .get(HEAD..)
                .and_then(|s| self.open_sealed(s))
                .unwrap_or_default(),
            revision: Revision(Some(rev)),
            touched,
        }))
    }

    async fn session_count(&self) -> Result<usize, StoreError> {
        Ok(self.sessions.len())
    }

    async fn expire_sessions(&self, cutoff: Timestamp) -> Result<usize, StoreError> {
        let mut n = 0;
        for item in self.sessions.iter() {
            let (k, v) = item?;
            let touched = header(&v).map_or(Timestamp::UNIX_EPOCH, |(_, t)| t);
            // Compare-and-swap: a session touched meanwhile is kept.
            if touched < cutoff && self.cas(&self.sessions, &k, Some(&v), None)? {
                n += 1;
            }
        }
        Ok(n)
    }
}
