//! Identifiers shared by every layer (the store at the bottom, the engines above it), so
//! that no layer has to import another one just to name a user or a call.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Stable identifier of a call (strategy, measure or call), e.g. `wecare-welfare-aziendale`.
/// The calls themselves are the pack's ([`crate::knowledge`], which re-exports it).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CallId(pub String);

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Telegram user (or chat) id, or the console's local id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UserId(pub i64);

impl UserId {
    /// Big-endian with the sign bit flipped: byte order equals numeric order.
    pub fn key(self) -> [u8; 8] {
        ((self.0 as u64) ^ (1 << 63)).to_be_bytes()
    }

    pub fn from_key(k: &[u8]) -> Option<UserId> {
        let b: [u8; 8] = k.get(..8)?.try_into().ok()?;
        Some(UserId((u64::from_be_bytes(b) ^ (1 << 63)) as i64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_keys_sort_numerically_including_negative_ids() {
        let ids = [-1_000_000_000_123i64, -5, 0, 7, 1 << 40];
        let keys: Vec<[u8; 8]> = ids.iter().map(|&i| UserId(i).key()).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        for i in ids {
            assert_eq!(UserId::from_key(&UserId(i).key()), Some(UserId(i)));
        }
    }
}
