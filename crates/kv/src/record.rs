//! The format of the log and of snapshots: a file is an 8-byte magic, then records.
//!
//! A record is `payload length (u32 LE) ‖ CRC-32 of the payload (u32 LE) ‖ payload`,
//! and a payload is one or more operations, applied together or not at all: a write
//! outside a transaction is one record, a transaction's writes are one record. So a
//! record cut short by a crash, or a torn sector, fails its checksum and is dropped
//! whole, with everything after it (see [`Reader`]).
//!
//! Operations, each a tag byte and its fields (integers little-endian):
//! - `PUT`: tree (u32), key length (u32), key, value length (u32), value;
//! - `DEL`: tree (u32), key length (u32), key;
//! - `TREE`: a tree's number (u32) and its name (u32 length, bytes), before any write
//!   to it;
//! - `IDS`: every id [`crate::Db::generate_id`] handed out is below this (u64);
//! - `END`: the last record of a complete snapshot (no fields).

/// The first bytes of a log file.
pub(crate) const LOG_MAGIC: &[u8; 8] = b"SPKVLOG1";
/// The first bytes of a snapshot file.
pub(crate) const SNAP_MAGIC: &[u8; 8] = b"SPKVSNP1";
/// Bytes of a record's header.
pub(crate) const HEADER: usize = 8;
/// No record is longer: a larger length is damage, not data.
pub(crate) const MAX_PAYLOAD: usize = 1 << 30;

const PUT: u8 = 1;
const DEL: u8 = 2;
const TREE: u8 = 3;
const IDS: u8 = 4;
const END: u8 = 5;

/// One operation of a record, borrowing from the bytes read.
#[derive(Debug, PartialEq)]
pub(crate) enum Op<'a> {
    Put(u32, &'a [u8], &'a [u8]),
    Del(u32, &'a [u8]),
    Tree(u32, &'a [u8]),
    Ids(u64),
    End,
}

/// Builds one record at the end of a buffer: [`Frame::finish`] writes its header.
pub(crate) struct Frame<'b> {
    buf: &'b mut Vec<u8>,
    start: usize,
}

impl<'b> Frame<'b> {
    pub(crate) fn new(buf: &'b mut Vec<u8>) -> Frame<'b> {
        let start = buf.len();
        buf.extend_from_slice(&[0; HEADER]);
        Frame { buf, start }
    }

    fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(&(b.len() as u32).to_le_bytes());
        self.buf.extend_from_slice(b);
    }

    pub(crate) fn put(&mut self, tree: u32, key: &[u8], value: &[u8]) {
        self.buf.push(PUT);
        self.buf.extend_from_slice(&tree.to_le_bytes());
        self.bytes(key);
        self.bytes(value);
    }

    pub(crate) fn del(&mut self, tree: u32, key: &[u8]) {
        self.buf.push(DEL);
        self.buf.extend_from_slice(&tree.to_le_bytes());
        self.bytes(key);
    }

    pub(crate) fn tree(&mut self, id: u32, name: &[u8]) {
        self.buf.push(TREE);
        self.buf.extend_from_slice(&id.to_le_bytes());
        self.bytes(name);
    }

    pub(crate) fn ids(&mut self, below: u64) {
        self.buf.push(IDS);
        self.buf.extend_from_slice(&below.to_le_bytes());
    }

    pub(crate) fn end(&mut self) {
        self.buf.push(END);
    }

    /// Bytes in the payload so far.
    pub(crate) fn len(&self) -> usize {
        self.buf.len() - self.start - HEADER
    }

    /// Writes the header; the record's whole length. A record with no operation is
    /// taken back (nothing is written).
    pub(crate) fn finish(self) -> usize {
        let payload = &self.buf[self.start + HEADER..];
        if payload.is_empty() {
            self.buf.truncate(self.start);
            return 0;
        }
        let crc = crc32fast::hash(payload);
        let len = payload.len() as u32;
        self.buf[self.start..self.start + 4].copy_from_slice(&len.to_le_bytes());
        self.buf[self.start + 4..self.start + HEADER].copy_from_slice(&crc.to_le_bytes());
        self.buf.len() - self.start
    }
}

/// Why reading stopped before the end of the bytes.
#[derive(Debug, PartialEq)]
pub(crate) enum Stop {
    /// Fewer bytes left than a header, or than the header's length says.
    Short,
    /// A length beyond [`MAX_PAYLOAD`], a checksum that does not match, or a payload
    /// whose operations do not parse.
    Damaged(&'static str),
}

/// Reads the records of a file's bytes (after its magic), one payload at a time.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    /// Offset of the next record in `bytes`.
    pub(crate) at: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8], at: usize) -> Reader<'a> {
        Reader { bytes, at }
    }

    /// The next record's operations; `Ok(None)` at the exact end of the bytes.
    pub(crate) fn next_record(&mut self) -> Result<Option<Vec<Op<'a>>>, Stop> {
        let rest = &self.bytes[self.at..];
        if rest.is_empty() {
            return Ok(None);
        }
        if rest.len() < HEADER {
            return Err(Stop::Short);
        }
        let len = u32::from_le_bytes(rest[..4].try_into().expect("4 bytes")) as usize;
        let crc = u32::from_le_bytes(rest[4..HEADER].try_into().expect("4 bytes"));
        if len == 0 || len > MAX_PAYLOAD {
            return Err(Stop::Damaged("a record's length is out of range"));
        }
        let Some(payload) = rest.get(HEADER..HEADER + len) else {
            return Err(Stop::Short);
        };
        if crc32fast::hash(payload) != crc {
            return Err(Stop::Damaged("a record's checksum does not match"));
        }
        let ops = parse(payload).ok_or(Stop::Damaged("a record's operations do not parse"))?;
        self.at += HEADER + len;
        Ok(Some(ops))
    }
}

fn parse(mut p: &[u8]) -> Option<Vec<Op<'_>>> {
    fn take<'a>(p: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        let (a, b) = p.split_at_checked(n)?;
        *p = b;
        Some(a)
    }
    fn u32_of(p: &mut &[u8]) -> Option<u32> {
        Some(u32::from_le_bytes(take(p, 4)?.try_into().ok()?))
    }
    fn bytes<'a>(p: &mut &'a [u8]) -> Option<&'a [u8]> {
        let n = u32_of(p)? as usize;
        take(p, n)
    }
    let mut ops = Vec::new();
    while let Some((&tag, rest)) = p.split_first() {
        p = rest;
        ops.push(match tag {
            PUT => {
                let t = u32_of(&mut p)?;
                let k = bytes(&mut p)?;
                Op::Put(t, k, bytes(&mut p)?)
            }
            DEL => {
                let t = u32_of(&mut p)?;
                Op::Del(t, bytes(&mut p)?)
            }
            TREE => {
                let t = u32_of(&mut p)?;
                Op::Tree(t, bytes(&mut p)?)
            }
            IDS => Op::Ids(u64::from_le_bytes(take(&mut p, 8)?.try_into().ok()?)),
            END => Op::End,
            _ => return None,
        });
    }
    Some(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_records() -> Vec<u8> {
        let mut buf = Vec::new();
        let mut f = Frame::new(&mut buf);
        f.tree(1, b"t");
        f.put(1, b"k", b"v");
        f.finish();
        let mut f = Frame::new(&mut buf);
        f.del(1, b"k");
        f.ids(7);
        f.finish();
        buf
    }

    #[test]
    fn records_read_back_as_written() {
        let buf = two_records();
        let mut r = Reader::new(&buf, 0);
        assert_eq!(
            r.next_record().unwrap().unwrap(),
            vec![Op::Tree(1, b"t"), Op::Put(1, b"k", b"v")]
        );
        assert_eq!(
            r.next_record().unwrap().unwrap(),
            vec![Op::Del(1, b"k"), Op::Ids(7)]
        );
        assert_eq!(r.next_record(), Ok(None));
        assert_eq!(r.at, buf.len());
    }

    #[test]
    fn a_record_cut_short_or_changed_stops_the_reading_at_its_start() {
        let buf = two_records();
        let first = {
            let mut r = Reader::new(&buf, 0);
            r.next_record().unwrap();
            r.at
        };
        // Every cut inside the second record leaves the first alone.
        for cut in first + 1..buf.len() {
            let mut r = Reader::new(&buf[..cut], 0);
            assert!(r.next_record().unwrap().is_some());
            assert_eq!(r.next_record(), Err(Stop::Short), "cut at {cut}");
            assert_eq!(r.at, first);
        }
        // Every flipped byte of the second record is noticed.
        for i in first..buf.len() {
            let mut bad = buf.clone();
            bad[i] ^= 0x40;
            let mut r = Reader::new(&bad, 0);
            assert!(r.next_record().unwrap().is_some());
            assert!(r.next_record().is_err(), "byte {i} flipped");
            assert_eq!(r.at, first);
        }
    }

    #[test]
    fn an_empty_record_is_not_written() {
        let mut buf = vec![1, 2];
        assert_eq!(Frame::new(&mut buf).finish(), 0);
        assert_eq!(buf, vec![1, 2]);
    }
}
