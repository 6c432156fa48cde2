//! The current log file: where the next record goes, how far the file is allocated, and
//! how a flush makes what was written durable ([`Sync`]).
//!
//! **Allocated ahead.** The file grows by [`crate::Config::preallocate`] bytes at a time,
//! written as zeros and synced with `fdatasync` (its size and blocks on disk), by a thread
//! of its own once half of the last chunk is used, and records are then written over
//! those zeros. A flush of records thus changes no metadata of the
//! file, so syncing only the bytes written (`sync_file_range`) keeps them across a crash
//! of the system too: with an appending file, the new size would wait for the file
//! system's next journal commit, and the records with it. A reader takes an all-zero
//! header as the log's end (one always follows the records of a recycled log). A log
//! recycled by a compaction keeps its size and blocks: the zeros are written over its
//! old records ahead of the new ones, the same way (then `fdatasync` changes no
//! metadata either).

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::guard::lock;
use crate::record::HEADER;

/// How a flush makes the log durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sync {
    /// `sync_file_range` of the bytes written, waiting until the device has them: what
    /// was flushed survives the process and the system crashing; a power loss can lose
    /// what the disk still held in a volatile cache (as with sled, which synced the same
    /// way).
    #[default]
    Written,
    /// `fdatasync`: the disk's cache is flushed too, so what was flushed also survives a
    /// power loss; each flush waits for it (about 0.15 ms more on the machine of
    /// BENCHMARKS.md, and a longer tail).
    Full,
}

pub(crate) struct LogFile {
    file: Arc<File>,
    /// Where the next record goes.
    pub(crate) len: u64,
    /// Zeros from `len` to here, synced (the file's size, but in a recycled log).
    allocated: Arc<Allocated>,
    /// Bytes before this are durable.
    synced: u64,
    /// Old records lie past the zeros (see [`LogFile::recycled`]).
    recycled: bool,
}

/// How far the file is allocated, and the lock of whoever extends it (the writer, or a
/// thread started ahead of need). Records are written below `bytes` only, and zeros at
/// or above it only with `extending` held, so the two never overlap.
#[derive(Default)]
struct Allocated {
    bytes: AtomicU64,
    extending: Mutex<()>,
    /// A thread extending ahead is running or about to.
    ahead: AtomicBool,
}

impl Allocated {
    /// Writes zeros from `bytes` to `to` (a multiple of `chunk`), past the file's end or
    /// over a recycled log's old records, and syncs them, with `extending` held by the
    /// caller.
    fn extend(&self, file: &File, to: u64) -> io::Result<()> {
        write_zeros(file, self.bytes.load(Ordering::SeqCst), to)?;
        file.sync_data()?;
        self.bytes.fetch_max(to, Ordering::SeqCst);
        Ok(())
    }
}

/// Waits until the device has the `len` bytes of `file` at `from` (`sync_file_range`:
/// neither the file's size nor the disk's cache).
pub(crate) fn sync_range(file: &File, from: u64, len: u64) -> io::Result<()> {
    // SAFETY: a plain system call on a descriptor the caller holds open.
    let r = unsafe {
        libc::sync_file_range(
            file.as_raw_fd(),
            from as i64,
            len as i64,
            libc::SYNC_FILE_RANGE_WAIT_BEFORE
                | libc::SYNC_FILE_RANGE_WRITE
                | libc::SYNC_FILE_RANGE_WAIT_AFTER,
        )
    };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Zeros written from here, without a buffer on the heap.
static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];

/// Writes zeros from `from` to `to` (not synced).
pub(crate) fn write_zeros(file: &File, from: u64, to: u64) -> io::Result<()> {
    let mut at = from;
    while at < to {
        let n = (to - at).min(ZEROS.len() as u64) as usize;
        file.write_all_at(&ZEROS[..n], at)?;
        at += n as u64;
    }
    Ok(())
}

impl LogFile {
    /// The log `file`, its records ending at `len`, nothing after them kept.
    pub(crate) fn new(file: File, len: u64) -> io::Result<LogFile> {
        file.set_len(len)?;
        file.sync_data()?;
        Ok(LogFile {
            recycled: false,
            ..LogFile::recycled(file, len, len)
        })
    }

    /// The log `file`, its records ending at `len`, zeros after them to `zeroed` on disk
    /// and synced (a recycled log, whose old records lie past that: see the module
    /// `compact`).
    pub(crate) fn recycled(file: File, len: u64, zeroed: u64) -> LogFile {
        LogFile {
            file: Arc::new(file),
            len,
            allocated: Arc::new(Allocated {
                bytes: AtomicU64::new(zeroed.max(len)),
                ..Allocated::default()
            }),
            synced: len,
            recycled: true,
        }
    }

    /// Writes `buf` at the end of the records. When it does not fit, the file is
    /// extended to the next multiple of `chunk` first (zeros, synced); once less than half
    /// a chunk is left, a thread extends it by a chunk ahead of need, so that a flush
    /// seldom waits for that.
    pub(crate) fn write(&mut self, buf: &[u8], chunk: u64) -> io::Result<()> {
        if buf.is_empty() {
            return Ok(());
        }
        let chunk = chunk.max(1);
        let end = self.len + buf.len() as u64;
        // In a recycled log a header of zeros always follows the records: past the
        // zeros lie old records.
        let need = end + if self.recycled { HEADER as u64 } else { 0 };
        if need > self.allocated.bytes.load(Ordering::SeqCst) {
            let _held = lock(&self.allocated.extending);
            if need > self.allocated.bytes.load(Ordering::SeqCst) {
                self.allocated
                    .extend(&self.file, need.div_ceil(chunk) * chunk)?;
            }
        }
        self.file.write_all_at(buf, self.len)?;
        self.len = end;
        let allocated = self.allocated.bytes.load(Ordering::SeqCst);
        if allocated - end < chunk / 2 && !self.allocated.ahead.swap(true, Ordering::SeqCst) {
            let (file, alloc) = (Arc::clone(&self.file), Arc::clone(&self.allocated));
            let to = (allocated / chunk + 1) * chunk;
            let spawned = std::thread::Builder::new()
                .name("kv-allocate".into())
                .spawn(move || {
                    {
                        let _held = lock(&alloc.extending);
                        if let Err(e) = alloc.extend(&file, to) {
                            // The writer extends the file itself when it must, and meets
                            // the error then, if it lasts.
                            tracing::warn!(error = %e, "allocating the log ahead failed");
                        }
                    }
                    alloc.ahead.store(false, Ordering::SeqCst);
                });
            if spawned.is_err() {
                self.allocated.ahead.store(false, Ordering::SeqCst);
            }
        }
        Ok(())
    }

    /// Makes every record written so far durable with `fdatasync`, whatever the mode:
    /// before the next generation's log is started, so that no later log outlives an
    /// earlier one's end, even across a power loss.
    pub(crate) fn sync_full(&mut self) -> io::Result<()> {
        self.file.sync_data()?;
        self.synced = self.len;
        Ok(())
    }

    /// Makes every record written so far durable, as `how` says.
    pub(crate) fn sync(&mut self, how: Sync) -> io::Result<()> {
        if self.synced == self.len {
            return Ok(());
        }
        match how {
            Sync::Full => self.file.sync_data()?,
            Sync::Written => sync_range(&self.file, self.synced, self.len - self.synced)?,
        }
        self.synced = self.len;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::FileExt;

    use super::LogFile;
    use crate::record::HEADER;

    #[test]
    fn in_a_recycled_log_a_header_of_zeros_follows_the_records_even_at_the_zeros_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        std::fs::write(&path, vec![0xAB; 4096]).unwrap();
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        file.write_all_at(&[0; 16], 0).unwrap();
        // Zeros to 16: a record of 8 bytes at 8 ends where the old bytes begin.
        let mut log = LogFile::recycled(file, 8, 16);
        log.write(&[1; 8], 16).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 4096, "a recycled log keeps its size");
        assert_eq!(&bytes[8..16], &[1; 8]);
        assert_eq!(&bytes[16..16 + HEADER], &[0; HEADER]);
        assert_eq!(bytes[32], 0xAB, "zeroed a chunk at a time, no further");
    }
}
