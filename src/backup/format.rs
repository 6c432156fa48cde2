//! The backup file: a versioned header, the records compressed, and a checksum over
//! everything before it.
//!
//! ```text
//! SPORTELLO-BACKUP             16 bytes
//! header length                u32, big-endian
//! header                       JSON: format, app version, created at, backend, counts,
//!                              the erasure journal's mark
//! body                         deflate of JSON lines: the server secret (hex), then one
//!                              record per line
//! SHA-256                      32 bytes, of all the bytes above
//! ```
//!
//! The header stays readable without inflating anything, so a file of another format
//! version is named as such before its checksum is checked (a later version may check
//! differently). The body is compressed with flate2's pure-Rust backend: the records are
//! JSON, which deflate shrinks several times for a few milliseconds.

use std::io::{Read, Write};
use std::path::Path;

use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::dump::{Counts, Record};
use crate::store::erasures::Mark;

/// The format this version writes and reads.
pub const FORMAT: u32 = 1;
const MAGIC: &[u8; 16] = b"SPORTELLO-BACKUP";
const SUM: usize = 32;

/// What a backup says about itself, readable without its body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub format: u32,
    /// The version of sportello that wrote it.
    pub app_version: String,
    /// The moment of the snapshot.
    pub created_at: Timestamp,
    /// The backend it was exported from.
    pub backend: String,
    /// Records per kind.
    pub counts: Counts,
    /// Records that could not be read and were left out.
    pub unreadable: u64,
    /// Where the erasure journal stood when the snapshot was taken.
    pub journal: Option<Mark>,
}

/// A snapshot of every kind of data.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub header: Header,
    /// The server secret pseudonyms are made with.
    pub secret: [u8; 32],
    pub records: Vec<Record>,
}

/// Why a file is not a backup this version can restore.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("not a Sportello backup (it does not start with SPORTELLO-BACKUP)")]
    NotABackup,
    #[error("truncated: the file ends before its {0}")]
    Truncated(&'static str),
    #[error(
        "backup format version {found} (written by sportello {app}); this sportello ({ours}) reads version {FORMAT}"
    )]
    Version {
        found: u32,
        app: String,
        ours: &'static str,
    },
    #[error(
        "checksum mismatch: the file is damaged or was altered (SHA-256 stored {stored}, computed {computed})"
    )]
    Checksum { stored: String, computed: String },
    #[error("damaged content: {0}")]
    Damaged(String),
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if s.len() != 64 {
        return None;
    }
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// The file's bytes.
pub fn encode(s: &Snapshot) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = MAGIC.to_vec();
    let header = serde_json::to_vec(&s.header)?;
    out.extend((header.len() as u32).to_be_bytes());
    out.extend(header);
    let mut body = DeflateEncoder::new(out, Compression::default());
    // Writes into memory: they cannot fail.
    let mut line = |v: Vec<u8>| {
        body.write_all(&v).expect("in memory");
        body.write_all(b"\n").expect("in memory");
    };
    line(serde_json::to_vec(&hex(&s.secret))?);
    for r in &s.records {
        line(serde_json::to_vec(r)?);
    }
    let mut out = body.finish().expect("in memory");
    let sum = Sha256::digest(&out);
    out.extend(sum);
    Ok(out)
}

/// The header alone (checks the magic and the version, not the checksum).
pub fn header(bytes: &[u8]) -> Result<(Header, usize), FormatError> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(FormatError::NotABackup);
    }
    let at = MAGIC.len();
    let len = bytes
        .get(at..at + 4)
        .ok_or(FormatError::Truncated("header"))?;
    let len = u32::from_be_bytes(len.try_into().expect("4 bytes")) as usize;
    let start = at + 4;
    let raw = bytes
        .get(start..start + len)
        .ok_or(FormatError::Truncated("header"))?;
    // The version first, with nothing else assumed of the header's shape.
    #[derive(Deserialize)]
    struct Probe {
        format: u32,
        #[serde(default)]
        app_version: String,
    }
    let probe: Probe = serde_json::from_slice(raw)
        .map_err(|e| FormatError::Damaged(format!("header unreadable: {e}")))?;
    if probe.format != FORMAT {
        return Err(FormatError::Version {
            found: probe.format,
            app: probe.app_version,
            ours: env!("CARGO_PKG_VERSION"),
        });
    }
    let h = serde_json::from_slice(raw)
        .map_err(|e| FormatError::Damaged(format!("header unreadable: {e}")))?;
    Ok((h, start + len))
}

/// A whole backup, checked: magic, version, checksum, then every record.
pub fn decode(bytes: &[u8]) -> Result<Snapshot, FormatError> {
    let (header, body_at) = header(bytes)?;
    if bytes.len() < body_at + SUM {
        return Err(FormatError::Truncated("checksum"));
    }
    let (content, stored) = bytes.split_at(bytes.len() - SUM);
    let computed = Sha256::digest(content);
    if computed.as_slice() != stored {
        return Err(FormatError::Checksum {
            stored: hex(stored),
            computed: hex(&computed),
        });
    }
    let mut text = Vec::new();
    DeflateDecoder::new(&content[body_at..])
        .read_to_end(&mut text)
        .map_err(|e| FormatError::Damaged(format!("body: {e}")))?;
    let mut lines = text.split(|b| *b == b'\n').filter(|l| !l.is_empty());
    let secret = lines
        .next()
        .and_then(|l| serde_json::from_slice::<String>(l).ok())
        .and_then(|s| unhex(&s))
        .ok_or_else(|| FormatError::Damaged("no server secret".into()))?;
    let records = lines
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_slice(l)
                .map_err(|e| FormatError::Damaged(format!("record {}: {e}", i + 1)))
        })
        .collect::<Result<Vec<Record>, _>>()?;
    let counts = Counts::of(&records);
    if counts != header.counts {
        return Err(FormatError::Damaged(format!(
            "the header counts {} but the file holds {}",
            header.counts, counts
        )));
    }
    Ok(Snapshot {
        header,
        secret,
        records,
    })
}

/// Writes `bytes` to `path` whole or not at all: a private temporary file beside it
/// (`0600`: a backup holds users' data), synced, then renamed over `path`. On any error
/// the temporary file is removed and `path` is as it was.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("the backup path names no file"))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The rename itself survives a crash once the directory is synced.
        std::fs::File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::dump::Sequence;

    fn snapshot() -> Snapshot {
        let records = vec![
            Record::Sequence {
                name: Sequence::Tickets,
                last: 7,
            },
            Record::Applied {
                id: 3,
                at: Timestamp::UNIX_EPOCH,
            },
        ];
        Snapshot {
            header: Header {
                format: FORMAT,
                app_version: "0.1.0".into(),
                created_at: Timestamp::from_second(1_000).unwrap(),
                backend: "sled".into(),
                counts: Counts::of(&records),
                unreadable: 0,
                journal: None,
            },
            secret: [7; 32],
            records,
        }
    }

    #[test]
    fn a_backup_reads_back_and_any_flipped_byte_is_caught() {
        let s = snapshot();
        let bytes = encode(&s).unwrap();
        assert_eq!(decode(&bytes).unwrap(), s);
        let (_, body) = header(&bytes).unwrap();
        for i in [body, bytes.len() - 40, bytes.len() - 1] {
            let mut bad = bytes.clone();
            bad[i] ^= 0x01;
            assert!(
                matches!(decode(&bad), Err(FormatError::Checksum { .. })),
                "byte {i}"
            );
        }
        assert!(matches!(
            decode(&bytes[..bytes.len() - 10]),
            Err(FormatError::Checksum { .. })
        ));
        assert!(matches!(decode(b"hello"), Err(FormatError::NotABackup)));
    }

    #[test]
    fn another_format_version_is_named_before_the_checksum() {
        let mut s = snapshot();
        s.header.format = FORMAT + 1;
        s.header.app_version = "9.9.9".into();
        let e = decode(&encode(&s).unwrap()).unwrap_err().to_string();
        assert!(e.contains(&format!("version {}", FORMAT + 1)), "{e}");
        assert!(e.contains("9.9.9"), "{e}");
    }

    #[test]
    fn an_atomic_write_that_fails_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-dir").join("b.bak");
        assert!(write_atomic(&missing, b"x").is_err());
        let ok = dir.path().join("b.bak");
        write_atomic(&ok, b"content").unwrap();
        assert_eq!(std::fs::read(&ok).unwrap(), b"content");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&ok).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("b.bak")]);
    }
}
