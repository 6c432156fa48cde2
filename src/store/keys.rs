//! Where users' data keys live: outside the backend's (log-structured) files, in a store
//! that can forget a key for good.
//!
//! [`KeyFile`] is a file of fixed slots, `keys` in the data directory: a header with the
//! server secret (for pseudonyms), then one 64-byte slot per user (pseudonym and key).
//! Destroying a key overwrites its slot with zeros *in place* and syncs the file before
//! returning; a slot is reused by the next new key. A key created is synced before any
//! record sealed with it can be flushed, so a crash never leaves records without a key.
//! (The guarantee is the file system's: in-place overwrites reach the same blocks on
//! ext4/xfs; a copy-on-write file system or an SSD's wear levelling may keep an old
//! block until it is reused. Put the data directory on an encrypted volume where that
//! matters.)
//!
//! Every seal and open of a user's record reads a key, so reading one never waits for a
//! disk write: the keys are held in a map of their own, and a slot's write and sync (a
//! new user's key, an erased one's zeros) hold only the file, one at a time.
//!
//! [`MemoryKeys`] is the same in memory, for temporary stores.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::StoreError;
use super::shred::{DataKey, PSEUDONYM, Pseudonym};

/// Users' data keys and the server secret.
pub trait KeyStore: Send + Sync {
    /// The secret pseudonyms are made with.
    fn secret(&self) -> &[u8; 32];

    /// The key of `who`, if it has one.
    fn key(&self, who: &Pseudonym) -> Option<DataKey>;

    /// The key of `who`, made (and durable) now if it had none.
    fn key_or_create(&self, who: &Pseudonym) -> Result<DataKey, StoreError>;

    /// Forgets the key of `who` for good (durable when this returns); false if none.
    fn destroy(&self, who: &Pseudonym) -> Result<bool, StoreError>;

    /// Everyone who has a key now (a snapshot tells an erasure since from damage).
    fn holders(&self) -> HashSet<Pseudonym>;
}

const MAGIC: &[u8; 8] = b"SPKEYS01";
const HEADER: u64 = 64;
const SLOT: u64 = 64;
/// Slots the file grows by at a time, written as zeros (free slots, as the format has
/// them) and synced: a new user's key is then written over blocks the file already has.
/// On a full disk, the embedded store's log fails first, and the bot stops and says so
/// (README, «A full disk»), instead of every batch with a new user failing at its key
/// while the store's log still has room, which held back every other user's updates.
const RESERVE: u64 = 1024;
/// The file grows, ahead of need, once fewer free slots than this are left.
const LOW: usize = 256;

/// Keys in memory (temporary stores and tests).
pub struct MemoryKeys {
    secret: [u8; 32],
    keys: Mutex<HashMap<Pseudonym, DataKey>>,
}

impl MemoryKeys {
    pub fn new() -> MemoryKeys {
        MemoryKeys::with_secret(DataKey::random().0)
    }

    /// Keys under a given server secret (a store restored from a snapshot).
    pub fn with_secret(secret: [u8; 32]) -> MemoryKeys {
        MemoryKeys {
            secret,
            keys: Mutex::default(),
        }
    }
}

impl Default for MemoryKeys {
    fn default() -> Self {
        MemoryKeys::new()
    }
}

impl KeyStore for MemoryKeys {
    fn secret(&self) -> &[u8; 32] {
        &self.secret
    }

    fn key(&self, who: &Pseudonym) -> Option<DataKey> {
        self.keys
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(who)
            .cloned()
    }

    fn key_or_create(&self, who: &Pseudonym) -> Result<DataKey, StoreError> {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        Ok(keys.entry(*who).or_insert_with(DataKey::random).clone())
    }

    fn holders(&self) -> HashSet<Pseudonym> {
        let keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        keys.keys().copied().collect()
    }

    fn destroy(&self, who: &Pseudonym) -> Result<bool, StoreError> {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        Ok(keys.remove(who).is_some())
    }
}

/// Keys in a file of fixed slots overwritten in place (see the module documentation).
pub struct KeyFile {
    secret: [u8; 32],
    /// Every key and its slot; never held across a write to the file.
    keys: RwLock<HashMap<Pseudonym, (u64, DataKey)>>,
    /// The file and its free slots, held by whoever writes a slot.
    inner: Mutex<Slots>,
}

struct Slots {
    file: File,
    free: Vec<u64>,
    len: u64,
}

impl KeyFile {
    /// Creates `path` (which must not exist) with the server secret `secret`, durable
    /// when this returns: a store restored from a snapshot keeps the pseudonyms it had.
    pub fn create(path: &Path, secret: &[u8; 32]) -> Result<(), StoreError> {
        let mut file = OpenOptions::new().write(true).create_new(true).open(path)?;
        let mut header = vec![0u8; HEADER as usize];
        header[..8].copy_from_slice(MAGIC);
        header[8..40].copy_from_slice(secret);
        file.write_all(&header)?;
        file.sync_all()?;
        Ok(())
    }

    /// Opens `path`, or creates it with a fresh secret.
    pub fn open(path: &Path) -> Result<KeyFile, StoreError> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        if bytes.is_empty() {
            let mut header = vec![0u8; HEADER as usize];
            header[..8].copy_from_slice(MAGIC);
            header[8..40].copy_from_slice(&DataKey::random().0);
            file.write_all(&header)?;
            file.sync_all()?;
            bytes = header;
        }
        if bytes.len() < HEADER as usize || &bytes[..8] != MAGIC {
            return Err(StoreError::Backend(format!(
                "{} is not a key file",
                path.display()
            )));
        }
        let mut secret = [0; 32];
        secret.copy_from_slice(&bytes[8..40]);
        let mut keys = HashMap::new();
        let mut slots = Slots {
            file,
            free: Vec::new(),
            len: 0,
        };
        for (i, slot) in bytes[HEADER as usize..].chunks(SLOT as usize).enumerate() {
            let i = i as u64;
            slots.len = i + 1;
            if slot.len() < SLOT as usize || slot[0] != 1 {
                slots.free.push(i);
                continue;
            }
            let who = Pseudonym::from_slice(&slot[1..]).expect("a full slot");
            let mut key = [0; 32];
            key.copy_from_slice(&slot[1 + PSEUDONYM..1 + PSEUDONYM + 32]);
            keys.insert(who, (i, DataKey(key)));
        }
        // Lowest first, as `grow` leaves them.
        slots.free.reverse();
        Ok(KeyFile {
            secret,
            keys: RwLock::new(keys),
            inner: Mutex::new(slots),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slots> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn keys(&self) -> RwLockReadGuard<'_, HashMap<Pseudonym, (u64, DataKey)>> {
        self.keys.read().unwrap_or_else(|e| e.into_inner())
    }

    fn keys_mut(&self) -> RwLockWriteGuard<'_, HashMap<Pseudonym, (u64, DataKey)>> {
        self.keys.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl Slots {
    fn write_slot(&mut self, i: u64, slot: &[u8; SLOT as usize]) -> Result<(), StoreError> {
        self.file.seek(SeekFrom::Start(HEADER + i * SLOT))?;
        self.file.write_all(slot)?;
        self.file.sync_data()?;
        Ok(())
    }

    /// Adds [`RESERVE`] free slots at the end of the file, durable when this returns.
    /// What a failed growth wrote is zeros past the last slot: free slots at the next
    /// opening, written over by the next growth.
    fn grow(&mut self) -> Result<(), StoreError> {
        self.file.seek(SeekFrom::Start(HEADER + self.len * SLOT))?;
        self.file.write_all(&vec![0u8; (RESERVE * SLOT) as usize])?;
        self.file.sync_data()?;
        // Lowest first: `pop` takes from the end.
        self.free.extend((self.len..self.len + RESERVE).rev());
        self.len += RESERVE;
        Ok(())
    }
}

impl KeyStore for KeyFile {
    fn secret(&self) -> &[u8; 32] {
        &self.secret
    }

    fn key(&self, who: &Pseudonym) -> Option<DataKey> {
        self.keys().get(who).map(|(_, k)| k.clone())
    }

    fn holders(&self) -> HashSet<Pseudonym> {
        self.keys().keys().copied().collect()
    }

    fn key_or_create(&self, who: &Pseudonym) -> Result<DataKey, StoreError> {
        if let Some(k) = self.key(who) {
            return Ok(k);
        }
        let mut s = self.lock();
        // Made by another thread while this one waited for the file.
        if let Some(k) = self.key(who) {
            return Ok(k);
        }
        let key = DataKey::random();
        if s.free.is_empty() {
            s.grow()?;
        }
        let i = s.free.pop().expect("grow adds free slots");
        let mut slot = [0u8; SLOT as usize];
        slot[0] = 1;
        slot[1..1 + PSEUDONYM].copy_from_slice(&who.0);
        slot[1 + PSEUDONYM..1 + PSEUDONYM + 32].copy_from_slice(&key.0);
        if let Err(e) = s.write_slot(i, &slot) {
            // A full disk, say: the slot stays free, so the next attempt (for this user
            // or another) writes over whatever reached it, and the file holds no key
            // nobody knows of.
            s.free.push(i);
            return Err(e);
        }
        self.keys_mut().insert(*who, (i, key.clone()));
        if s.free.len() < LOW
            && let Err(e) = s.grow()
        {
            // The key is kept; the next new users take the slots left.
            tracing::warn!(free = s.free.len(), "the keys file could not grow: {e}");
        }
        Ok(key)
    }

    fn destroy(&self, who: &Pseudonym) -> Result<bool, StoreError> {
        let mut s = self.lock();
        let Some((i, _)) = self.keys_mut().remove(who) else {
            return Ok(false);
        };
        s.write_slot(i, &[0u8; SLOT as usize])?;
        s.free.push(i);
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::UserId;

    #[test]
    fn a_key_is_read_while_another_users_slot_is_being_written() {
        let dir = tempfile::tempdir().unwrap();
        let kf = std::sync::Arc::new(KeyFile::open(&dir.path().join("keys")).unwrap());
        let who = Pseudonym::of(kf.secret(), UserId(1));
        let key = kf.key_or_create(&who).unwrap();
        // A new user's key being written and synced holds the file meanwhile.
        let writing = kf.lock();
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = kf.clone();
        std::thread::spawn(move || {
            let read = reader.key(&who);
            let known = reader.key_or_create(&who).ok();
            let _ = tx.send((read, known));
        });
        let got = rx.recv_timeout(std::time::Duration::from_secs(30));
        drop(writing);
        let (read, known) = got.expect("not held up by the write");
        assert_eq!(read, Some(key.clone()));
        assert_eq!(known, Some(key));
    }

    #[test]
    fn keys_survive_a_reopen_and_a_destroyed_one_leaves_no_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys");
        let kf = KeyFile::open(&path).unwrap();
        let secret = *kf.secret();
        let (a, b) = (
            Pseudonym::of(&secret, UserId(1)),
            Pseudonym::of(&secret, UserId(2)),
        );
        let ka = kf.key_or_create(&a).unwrap();
        let kb = kf.key_or_create(&b).unwrap();
        assert_eq!(kf.key_or_create(&a).unwrap(), ka);
        drop(kf);
        let kf = KeyFile::open(&path).unwrap();
        assert_eq!(kf.secret(), &secret);
        assert_eq!(kf.key(&a), Some(ka.clone()));
        assert!(kf.destroy(&a).unwrap());
        assert!(!kf.destroy(&a).unwrap());
        let raw = std::fs::read(&path).unwrap();
        assert!(
            !raw.windows(32).any(|w| w == ka.0),
            "the key's bytes are gone"
        );
        assert!(!raw.windows(16).any(|w| w == a.0));
        assert!(
            raw.windows(32).any(|w| w == kb.0),
            "the test looks in the right place"
        );
        drop(kf);
        let kf = KeyFile::open(&path).unwrap();
        assert_eq!(kf.key(&a), None);
        assert_eq!(kf.key(&b), Some(kb));
        // The freed slot is reused: the file does not grow.
        let len = std::fs::metadata(&path).unwrap().len();
        kf.key_or_create(&Pseudonym::of(&secret, UserId(3)))
            .unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), len);
    }

    #[test]
    fn a_key_that_could_not_be_written_leaves_its_slot_to_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys");
        let kf = KeyFile::open(&path).unwrap();
        let secret = *kf.secret();
        let who = |u| Pseudonym::of(&secret, UserId(u));
        kf.key_or_create(&who(1)).unwrap();
        let next_slot = *kf.lock().free.last().unwrap();
        // Writes fail (as on a full disk): the file is swapped for a read-only handle.
        let writable = std::mem::replace(&mut kf.lock().file, File::open(&path).unwrap());
        assert!(kf.key_or_create(&who(2)).is_err());
        assert_eq!(kf.key(&who(2)), None);
        kf.lock().file = writable;
        // The next key takes the slot the failed one had.
        let k3 = kf.key_or_create(&who(3)).unwrap();
        assert_eq!(kf.keys()[&who(3)].0, next_slot);
        let k2 = kf.key_or_create(&who(2)).unwrap();
        drop(kf);
        let kf = KeyFile::open(&path).unwrap();
        assert_eq!((kf.key(&who(2)), kf.key(&who(3))), (Some(k2), Some(k3)));
    }

    #[test]
    fn new_keys_are_written_into_room_the_file_already_has() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys");
        let size = || std::fs::metadata(&path).unwrap().len();
        let kf = KeyFile::open(&path).unwrap();
        let secret = *kf.secret();
        let who = |u| Pseudonym::of(&secret, UserId(u));
        let first = kf.key_or_create(&who(0)).unwrap();
        let reserved = HEADER + RESERVE * SLOT;
        assert_eq!(size(), reserved, "the first key makes room for many");
        // Keys go into that room until fewer than LOW free slots are left; then the file
        // grows, ahead of need.
        let before_growth = RESERVE as usize - LOW;
        for u in 1..before_growth {
            kf.key_or_create(&who(u as i64)).unwrap();
        }
        assert_eq!(size(), reserved);
        assert_eq!(kf.lock().free.len(), LOW);
        kf.key_or_create(&who(before_growth as i64)).unwrap();
        assert_eq!(size(), reserved + RESERVE * SLOT);
        assert_eq!(kf.lock().free.len(), LOW - 1 + RESERVE as usize);
        // When it cannot grow and no slot is free, the key is refused and nothing is lost.
        drop(kf);
        let kf = KeyFile::open(&path).unwrap();
        assert_eq!(kf.key(&who(0)), Some(first));
        assert_eq!(kf.lock().free.len(), LOW - 1 + RESERVE as usize);
        kf.lock().free.clear();
        let writable = std::mem::replace(&mut kf.lock().file, File::open(&path).unwrap());
        let grown = size();
        assert!(kf.key_or_create(&who(-1)).is_err());
        assert_eq!(size(), grown);
        kf.lock().file = writable;
        assert!(kf.key_or_create(&who(-1)).is_ok());
        assert_eq!(size(), grown + RESERVE * SLOT);
    }

    /// Runs in a child process (the test binary started again with [`GROWTH_CHILD`] set):
    /// files may not grow there, so the keys file's growth fails as on a full disk while
    /// slots inside it are still written.
    const GROWTH_CHILD: &str = "SPORTELLO_KEYS_GROWTH_CHILD";

    #[test]
    fn a_growth_that_fails_keeps_the_key_and_the_slots_left_serve() {
        let who = |secret: &[u8; 32], u: i64| Pseudonym::of(secret, UserId(u));
        if let Ok(dir) = std::env::var(GROWTH_CHILD) {
            let path = Path::new(&dir).join("keys");
            let size = std::fs::metadata(&path).unwrap().len();
            // A write past `size` fails with EFBIG (the signal it would raise is ignored).
            let limit = libc::rlimit {
                rlim_cur: size,
                rlim_max: libc::RLIM_INFINITY,
            };
            // SAFETY: plain calls on this process's own signal disposition and limit.
            unsafe {
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &limit), 0);
            }
            let kf = KeyFile::open(&path).unwrap();
            let secret = *kf.secret();
            assert_eq!(kf.lock().free.len(), LOW, "set up by the parent");
            // Every new key goes into a slot left, though each growth after it fails.
            for u in 0..LOW as i64 {
                kf.key_or_create(&who(&secret, 10_000 + u))
                    .expect("a slot was left");
                assert_eq!(std::fs::metadata(&path).unwrap().len(), size);
            }
            assert!(kf.lock().free.is_empty());
            // No slot left and no room to make: refused, nothing written.
            assert!(kf.key_or_create(&who(&secret, -1)).is_err());
            assert_eq!(kf.key(&who(&secret, -1)), None);
            assert_eq!(std::fs::metadata(&path).unwrap().len(), size);
            println!("growth child done");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys");
        let kf = KeyFile::open(&path).unwrap();
        let secret = *kf.secret();
        // Up to the last key before a growth is due.
        for u in 0..(RESERVE as usize - LOW) as i64 {
            kf.key_or_create(&who(&secret, u)).unwrap();
        }
        assert_eq!(kf.lock().free.len(), LOW);
        let size = std::fs::metadata(&path).unwrap().len();
        drop(kf);
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "store::keys::tests::a_growth_that_fails_keeps_the_key_and_the_slots_left_serve",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(GROWTH_CHILD, dir.path())
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && said.contains("growth child done"),
            "the child failed: {said}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Every key the child made is on disk; the next one, with room again, grows it.
        let kf = KeyFile::open(&path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), size);
        for u in 0..LOW as i64 {
            assert!(kf.key(&who(&secret, 10_000 + u)).is_some());
        }
        assert!(kf.lock().free.is_empty());
        kf.key_or_create(&who(&secret, -1)).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            size + RESERVE * SLOT
        );
    }
}
