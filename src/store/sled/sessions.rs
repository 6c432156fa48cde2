//! Sessions in the `sessions` tree: user key → format (1) ‖ revision (u64) ‖ touched
//! (seconds, i64) ‖ the engine's bytes. A value written before revisions existed (plain
//! JSON) reads as revision 0.

use async_trait::async_trait;
use jiff::Timestamp;

use super::SledStore;
use crate::store::{Revision, SessionStore, StoreError, StoredSession, UserId};

const FORMAT: u8 = 1;
const HEAD: usize = 17;

pub(super) fn encode(revision: u64, touched: Timestamp, bytes: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(HEAD + bytes.len());
    v.push(FORMAT);
    v.extend(revision.to_be_bytes());
    v.extend(touched.as_second().to_be_bytes());
    v.extend_from_slice(bytes);
    v
}

pub(super) fn decode(v: &[u8]) -> StoredSession {
    if v.len() >= HEAD && v[0] == FORMAT {
        let rev = u64::from_be_bytes(v[1..9].try_into().unwrap_or_default());
        let secs = i64::from_be_bytes(v[9..17].try_into().unwrap_or_default());
        return StoredSession {
            bytes: v[HEAD..].to_vec(),
            revision: Revision(Some(rev)),
            touched: Timestamp::from_second(secs).unwrap_or(Timestamp::UNIX_EPOCH),
        };
    }
    // Written by an older version: the session as JSON, its last activity inside.
    let touched = serde_json::from_slice::<serde_json::Value>(v)
        .ok()
        .and_then(|j| j.get("last_seen")?.as_str()?.parse().ok())
        .unwrap_or(Timestamp::UNIX_EPOCH);
    StoredSession {
        bytes: v.to_vec(),
        revision: Revision(Some(0)),
        touched,
    }
}

#[async_trait]
impl SessionStore for SledStore {
    async fn load_session(&self, user: UserId) -> Result<Option<StoredSession>, StoreError> {
        Ok(self.sessions.get(user.key())?.map(|v| decode(&v)))
    }

    async fn session_count(&self) -> Result<usize, StoreError> {
        Ok(self.sessions.len())
    }

    async fn expire_sessions(&self, cutoff: Timestamp) -> Result<usize, StoreError> {
        let mut n = 0;
        for item in self.sessions.iter() {
            let (k, v) = item?;
            // Compare-and-swap: a session touched meanwhile is kept.
            if decode(&v).touched < cutoff
                && self
                    .sessions
                    .compare_and_swap(&k, Some(&v), None as Option<&[u8]>)?
                    .is_ok()
            {
                n += 1;
            }
        }
        Ok(n)
    }
}
