//! Background writes that leave the disk to the flushes: a slice at a time, each pushed
//! to the disk and waited for, then a pause as long as that took.
//!
//! A flush syncs a few kB and waits for the disk. Behind a snapshot written in one go
//! (MiBs handed to the system, synced at the end) it would wait for all of it. Written
//! this way, a flush waits for about one slice, and the background work takes at most
//! half of the disk's time.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::time::{Duration, Instant};

/// Bytes pushed to the disk at a time.
pub(crate) const SLICE: usize = 256 * 1024;
/// The longest pause after a slice.
const MAX_PAUSE: Duration = Duration::from_millis(50);

/// Writes `bytes` at `at`, waits until the disk has them (`sync_file_range`: not the
/// file's size, nor the disk's cache), then pauses as long as that took.
pub(crate) fn write_slice(file: &File, bytes: &[u8], at: u64) -> io::Result<()> {
    file.write_all_at(bytes, at)?;
    let took = Instant::now();
    crate::logfile::sync_range(file, at, bytes.len() as u64)?;
    std::thread::sleep(took.elapsed().min(MAX_PAUSE));
    Ok(())
}
