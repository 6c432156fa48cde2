//! Sportello's embedded store: ordered trees of byte keys and values, kept in memory,
//! every write appended to one checksummed log that [`Db::flush`] syncs, and snapshots
//! that keep the log from growing without end.
//!
//! **Why not sled.** The bot wrote through sled 0.34 until issue 11 measured where its
//! CPU went: about a quarter of it was sled's own (page cache, its log's buffers and
//! threads, the transactions' bookkeeping), for data that fits in memory many times
//! over. The bot's access is small: look a key up, write a few keys as one commit, scan a
//! prefix, make the commit durable before a reply goes out. This crate does exactly
//! that: a `BTreeMap` per tree behind a lock, and a log written and synced in the
//! flushing thread. Its API is the part of sled's the bot used (`Db`, `Tree`, `IVec`,
//! `transaction`), so the backend reads as it did, and [`Batch`] for a commit over many
//! trees as one record.
//!
//! **What a crash leaves.** Writes are appended to the log in the order they are
//! applied, each write (or transaction) one record with a CRC-32; a flush returns once
//! the log is synced. After a crash, opening replays the newest snapshot and the logs
//! after it up to the first record cut short: every flushed write is there, and the
//! writes after the last flush that are there form a prefix of those made
//! (the module `db` has the whole argument).
//!
//! **Memory.** Every tree is in memory: the store costs what its keys and values take,
//! plus a map's nodes. A compaction briefly holds a second reference to every value,
//! not a second copy.
//!
//! Modules: `ivec` (the byte strings), `record` (the files' format), `files` (the
//! directory, its lock and its generations), `db` (the store and its log), `logfile` (the
//! current log file, allocated ahead, and [`Sync`]), `compact` (snapshots, without
//! stalling writers), `pace` (background writes that leave the disk to flushes), `replay`
//! (opening), `map` (a tree's map, shared by the registry and the handles), `guard`,
//! `tree` (a tree's handle, its writes and iterators), `batch` (writes to several trees
//! as one record), [`transaction`].

mod batch;
mod compact;
mod db;
mod files;
mod guard;
mod ivec;
mod logfile;
mod map;
mod pace;
mod record;
mod replay;
pub mod transaction;
mod tree;

pub use batch::Batch;
pub use db::{Config, Db, open};
pub use ivec::IVec;
pub use logfile::Sync;
pub use tree::{CompareAndSwapError, Iter, Tree};

/// What a store operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A file of the store does not hold what the store writes.
    #[error("the store's file {at} is damaged: {why}")]
    Corruption { at: String, why: String },
    /// An earlier write of the log failed (a full disk): nothing is written any more.
    #[error("the store's log could not be written ({0}); restart once the cause is fixed")]
    Failed(String),
    /// The store was closed (its last [`Db`] dropped) while a tree was still held.
    #[error("the store is closed")]
    Closed,
}

pub type Result<T> = std::result::Result<T, Error>;
