//! Crypto-shredding: how a backend makes erasure real on disk.
//!
//! Every record about a user is sealed (XChaCha20-Poly1305) with a key of that user's
//! own, kept outside the backend's data files in a [`crate::store::keys::KeyStore`], and
//! found under a [`Pseudonym`] (an HMAC of the user id under a server secret) instead of
//! the id itself. Erasing a user destroys their key: every copy of their records that a
//! log-structured file still keeps (old versions, segments not yet rewritten) becomes
//! noise, and nothing left names the user.

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::UserId;

/// Bytes of a pseudonym: unique enough for any number of users (collisions at 2^64).
pub const PSEUDONYM: usize = 16;
const NONCE: usize = 24;

/// What stands for a user in keys and indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Pseudonym(pub [u8; PSEUDONYM]);

impl Pseudonym {
    /// The pseudonym of `user` under the server `secret`.
    pub fn of(secret: &[u8; 32], user: UserId) -> Pseudonym {
        Pseudonym::tagged(secret, b"user", &user.0.to_be_bytes())
    }

    /// A keyed tag of `data` in the domain `what` (e.g. a chat in the outbox).
    pub fn tagged(secret: &[u8; 32], what: &[u8], data: &[u8]) -> Pseudonym {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("any key length");
        mac.update(what);
        mac.update(&[0]);
        mac.update(data);
        let full = mac.finalize().into_bytes();
        let mut out = [0; PSEUDONYM];
        out.copy_from_slice(&full[..PSEUDONYM]);
        Pseudonym(out)
    }

    pub fn from_slice(b: &[u8]) -> Option<Pseudonym> {
        Some(Pseudonym(b.get(..PSEUDONYM)?.try_into().ok()?))
    }
}

/// The pseudonyms of users and the tags of chats computed lately, by id: each is an HMAC
/// (four SHA-256 blocks), asked for several times per update (the session's key, its
/// sealing, the question log, the outbox entry and its chat's tag). A pure function of
/// the secret and the id, so remembering it changes nothing but the time; at most
/// [`Tags::CAP`] are kept, then all are forgotten at once.
pub struct Tags {
    secret: [u8; 32],
    kept: std::sync::Mutex<std::collections::HashMap<(Domain, i64), Pseudonym>>,
}

/// What a [`Tags`] entry stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Domain {
    /// A user: [`Pseudonym::of`].
    User,
    /// A chat: [`Pseudonym::tagged`] in the domain `chat`.
    Chat,
}

impl Tags {
    /// Tags kept at most (about 50 bytes each).
    pub const CAP: usize = 4096;

    pub fn new(secret: [u8; 32]) -> Tags {
        Tags {
            secret,
            kept: std::sync::Mutex::default(),
        }
    }

    /// [`Pseudonym::of`] `user`, or the tag of a chat.
    pub fn get(&self, domain: Domain, id: i64) -> Pseudonym {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = kept.get(&(domain, id)) {
            return *p;
        }
        let p = match domain {
            Domain::User => Pseudonym::of(&self.secret, UserId(id)),
            Domain::Chat => Pseudonym::tagged(&self.secret, b"chat", &id.to_be_bytes()),
        };
        if kept.len() >= Tags::CAP {
            kept.clear();
        }
        kept.insert((domain, id), p);
        p
    }
}

thread_local! {
    /// Where nonces come from: a ChaCha20 generator per thread, seeded once from the
    /// operating system, so that sealing makes no system call (it made one `getrandom`
    /// per sealing, three or more per update). 192-bit nonces drawn from a
    /// cryptographic generator repeat with negligible probability, as the operating
    /// system's would.
    static NONCES: std::cell::RefCell<ChaCha20Rng> = std::cell::RefCell::new(
        ChaCha20Rng::from_rng(OsRng).expect("the operating system's random source"),
    );
}

/// A user's (or the server's) data key.
#[derive(Clone, PartialEq, Eq)]
pub struct DataKey(pub [u8; 32]);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(…)")
    }
}

impl DataKey {
    /// A key derived from the server `secret` for records that belong to no user.
    pub fn derived(secret: &[u8; 32], what: &[u8]) -> DataKey {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("any key length");
        mac.update(b"key");
        mac.update(&[0]);
        mac.update(what);
        DataKey(mac.finalize().into_bytes().into())
    }

    pub fn random() -> DataKey {
        DataKey(XChaCha20Poly1305::generate_key(&mut OsRng).into())
    }

    /// Seals `plain`: a fresh random nonce, then the ciphertext with its tag.
    pub fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new(Key::from_slice(&self.0));
        let nonce = NONCES.with(|r| XChaCha20Poly1305::generate_nonce(&mut *r.borrow_mut()));
        let mut out = nonce.to_vec();
        out.extend(
            cipher
                .encrypt(&nonce, plain)
                .expect("encryption of a buffer in memory"),
        );
        out
    }

    /// What [`DataKey::seal`] sealed; `None` if it was sealed with another key or
    /// changed.
    pub fn open(&self, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE {
            return None;
        }
        let cipher = XChaCha20Poly1305::new(Key::from_slice(&self.0));
        cipher
            .decrypt(XNonce::from_slice(&sealed[..NONCE]), &sealed[NONCE..])
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_text_opens_only_with_its_key_and_hides_the_text() {
        let k = DataKey::random();
        let sealed = k.seal(b"Zebedeo Quintiliano");
        assert!(!sealed.windows(7).any(|w| w == b"Zebedeo"));
        assert_eq!(k.open(&sealed).unwrap(), b"Zebedeo Quintiliano");
        assert_eq!(DataKey::random().open(&sealed), None);
        assert_ne!(k.seal(b"x"), k.seal(b"x"), "a fresh nonce each time");
    }

    #[test]
    fn remembered_tags_are_the_ones_computed() {
        let secret = [9; 32];
        let tags = Tags::new(secret);
        for round in 0..2 {
            for id in [-100, 0, 7777, i64::MAX] {
                assert_eq!(
                    tags.get(Domain::User, id),
                    Pseudonym::of(&secret, UserId(id)),
                    "round {round}"
                );
                assert_eq!(
                    tags.get(Domain::Chat, id),
                    Pseudonym::tagged(&secret, b"chat", &id.to_be_bytes())
                );
            }
        }
        for id in 0..Tags::CAP as i64 + 5 {
            assert_eq!(
                tags.get(Domain::User, id),
                Pseudonym::of(&secret, UserId(id))
            );
        }
        assert!(tags.kept.lock().unwrap().len() <= Tags::CAP);
    }

    #[test]
    fn pseudonyms_depend_on_the_secret_and_never_hold_the_id() {
        let (a, b) = ([1; 32], [2; 32]);
        let u = UserId(7777);
        assert_eq!(Pseudonym::of(&a, u), Pseudonym::of(&a, u));
        assert_ne!(Pseudonym::of(&a, u), Pseudonym::of(&b, u));
        assert_ne!(Pseudonym::of(&a, u), Pseudonym::of(&a, UserId(7778)));
        assert_ne!(
            Pseudonym::of(&a, u),
            Pseudonym::tagged(&a, b"chat", &7777i64.to_be_bytes())
        );
    }
}
