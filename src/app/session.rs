//! A user's session as the app sees it. The store keeps the engine's session as bytes
//! (it does not import the engine); they are encoded and decoded here.

use crate::dialogue::{SESSION_VERSION, Session};
use crate::store::{Revision, Store, StoreError, StoredSession, UserId};

/// What loading a session found.
#[derive(Debug, Clone, PartialEq)]
pub enum Loaded {
    /// Nothing stored: a fresh session.
    Fresh(Session),
    Found(Session),
    /// Something unreadable or of another version was stored: replaced by a fresh one.
    Reset(Session),
}

impl Loaded {
    pub fn into_session(self) -> Session {
        match self {
            Loaded::Fresh(s) | Loaded::Found(s) | Loaded::Reset(s) => s,
        }
    }
}

/// The session in `stored`; unreadable or old-version data gives a fresh one, flagged.
pub fn decode(stored: Option<&StoredSession>) -> Loaded {
    match stored {
        None => Loaded::Fresh(Session::default()),
        Some(st) => match serde_json::from_slice::<Session>(&st.bytes) {
            Ok(s) if s.version == SESSION_VERSION => Loaded::Found(s),
            _ => Loaded::Reset(Session::default()),
        },
    }
}

pub fn encode(s: &Session) -> Result<Vec<u8>, StoreError> {
    Ok(serde_json::to_vec(s)?)
}

/// The user's session and the revision to save it against.
pub async fn load(store: &Store, user: UserId) -> Result<(Loaded, Revision), StoreError> {
    let stored = store.load_session(user).await?;
    let rev = stored.as_ref().map_or(Revision(None), |s| s.revision);
    Ok((decode(stored.as_ref()), rev))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialogue::State;
    use crate::store::Commit;
    use jiff::Timestamp;

    #[tokio::test]
    async fn sessions_round_trip_and_garbage_is_reset() {
        let st = Store::temporary().unwrap();
        let u = UserId(42);
        assert!(matches!(load(&st, u).await.unwrap().0, Loaded::Fresh(_)));
        let s = Session {
            state: State::ConfirmErase,
            ..Session::default()
        };
        let save = |bytes: Vec<u8>, rev| {
            let mut c = Commit::new();
            c.session(u, rev, Some(bytes), Timestamp::UNIX_EPOCH);
            c
        };
        st.commit(&save(encode(&s).unwrap(), Revision(None)))
            .await
            .unwrap();
        let (loaded, rev) = load(&st, u).await.unwrap();
        assert_eq!(loaded, Loaded::Found(s));
        st.commit(&save(b"{not json".to_vec(), rev)).await.unwrap();
        let (loaded, rev) = load(&st, u).await.unwrap();
        assert!(matches!(loaded, Loaded::Reset(_)));
        let old = encode(&Session {
            version: 0,
            ..Session::default()
        })
        .unwrap();
        st.commit(&save(old, rev)).await.unwrap();
        assert!(matches!(load(&st, u).await.unwrap().0, Loaded::Reset(_)));
    }
}
