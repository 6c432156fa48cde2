//! The current log file: where the next record goes, how far the file is allocated, and
//! how a flush makes what was written durable ([`Sync`]).
//!
//! **Allocated ahead.** The file grows by [`crate::Config::preallocate`] bytes at a time,
//! written as zeros and synced with `fdatasync` (its size and blocks on disk), and records
//! are then written over those zeros. A flush of records thus changes no metadata of the
//! file, so syncing only the bytes written (`sync_file_range`) keeps them across a crash
//! of the system too: with an appending file, the new size would wait for the file
//! system's next journal commit, and the records with it. A reader takes an all-zero
//! header as the log's end.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;

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
    file: File,
    /// Where the next record goes.
    pub(crate) len: u64,
    /// The file's size: zeros from `len` to here.
    allocated: u64,
    /// Bytes before this are durable.
    synced: u64,
}

impl LogFile {
    /// The log `file`, its records ending at `len`, nothing after them kept.
    pub(crate) fn new(file: File, len: u64) -> io::Result<LogFile> {
        file.set_len(len)?;
        file.sync_data()?;
        Ok(LogFile {
            file,
            len,
            allocated: len,
            synced: len,
        })
    }

    /// Writes `buf` at the end of the records, allocating `chunk` bytes more when it
    /// does not fit (synced at once).
    pub(crate) fn write(&mut self, buf: &[u8], chunk: u64) -> io::Result<()> {
        if buf.is_empty() {
            return Ok(());
        }
        let end = self.len + buf.len() as u64;
        if end > self.allocated {
            let to = end.div_ceil(chunk.max(1)) * chunk.max(1);
            let zeros = vec![0u8; 64 * 1024];
            let mut at = self.allocated;
            while at < to {
                let n = (to - at).min(zeros.len() as u64) as usize;
                self.file.write_all_at(&zeros[..n], at)?;
                at += n as u64;
            }
            self.file.sync_data()?;
            self.allocated = to;
        }
        self.file.write_all_at(buf, self.len)?;
        self.len = end;
        Ok(())
    }

    /// Makes every record written so far durable, as `how` says.
    pub(crate) fn sync(&mut self, how: Sync) -> io::Result<()> {
        if self.synced == self.len {
            return Ok(());
        }
        match how {
            Sync::Full => self.file.sync_data()?,
            Sync::Written => {
                let (from, n) = (self.synced as i64, (self.len - self.synced) as i64);
                // SAFETY: a plain system call on a descriptor this value owns.
                let r = unsafe {
                    libc::sync_file_range(
                        self.file.as_raw_fd(),
                        from,
                        n,
                        libc::SYNC_FILE_RANGE_WAIT_BEFORE
                            | libc::SYNC_FILE_RANGE_WRITE
                            | libc::SYNC_FILE_RANGE_WAIT_AFTER,
                    )
                };
                if r != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
        }
        self.synced = self.len;
        Ok(())
    }
}
