//! How durable the embedded backend makes a flush (`[data] sync`): the choice between
//! syncing the bytes written and flushing the disk's cache too, named here so that the
//! configuration and the backend agree on it without the configuration naming `kv`.

use serde::Deserialize;

/// How the embedded backend's flush makes its log durable (`[data] sync`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyncMode {
    /// The bytes written reach the device (`sync_file_range`): a flushed write survives
    /// the process and the system crashing; a power loss can lose what the disk held in
    /// a volatile cache.
    #[default]
    Written,
    /// The disk's cache is flushed too (`fdatasync`): a flushed write also survives a
    /// power loss, for a slower flush.
    Full,
}
