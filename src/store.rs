//! Durable state behind interfaces: one trait per kind of data, and one module per
//! backend. Nothing above this module names a backend type.
//!
//! - [`sessions::SessionStore`]: each user's session as opaque bytes (the engine encodes
//!   it; the store never imports the engine) with a revision to compare-and-swap against.
//! - [`follows::FollowStore`]: subscriptions to a call's deadline and the reminder queue
//!   (claim, complete, release; a claim is exclusive until released, completed or its
//!   lease ends, so a crash repeats at most the items in flight).
//! - [`tickets::TicketStore`]: help-desk tickets, changed atomically, numbered from one
//!   unique sequence.
//! - [`questions::QuestionLog`]: the anonymous question log, purged after
//!   `[data] question_log_days`.
//! - [`outbox::OutboxStore`]: messages to send, with a claim protocol.
//! - [`updates::UpdateLog`]: Telegram update ids already applied (a redelivered update is
//!   not applied twice).
//! - [`inbox::Inbox`]: updates fetched from Telegram and not yet handled (confirmed to
//!   Telegram only once kept here; handed out again after a crash).
//! - [`watches::WatchStore`]: the calls users follow, with what each was last told.
//! - [`profiles::ProfileStore`]: profile alerts, the profile answers kept with the user's
//!   consent and the calls already compared with them.
//! - [`drafts::DraftStore`]: FAQ drafts staff write from the chat, swapped by
//!   compare-and-swap (one approval publishes).
//! - [`erasure::Erasure`]: erasing one user across all of the above.
//! - [`erasures`]: the journal of erasures (by pseudonym) that a restore applies again.
//! - [`instances::Instances`]: what several instances sharing the store coordinate
//!   through it (a user's turn, one-time duties, reload announcements).
//! - [`dump::Dump`]: every record of every kind in a backend-neutral form, one point in
//!   time (backup, restore, moving between backends).
//! - [`commit`]: what one update changes (session + effects + outgoing messages + the
//!   update id), applied by [`commit::Committer`] in one atomic step.
//! - [`files`]: the data directory's permissions (`0700`, files `0600`).
//! - [`durable`]: how durable the embedded backend makes a flush (`[data] sync`).
//! - [`embedded`]: the embedded backend, over the store of `crates/kv` (the only code
//!   that names it, and sled, which it reads only to move an older data directory).
//! - [`postgres`]: the shared backend for several instances (the only code that names
//!   sqlx).
//!
//! **Why the traits are async.** A backend shared by several instances is a network
//! database (PostgreSQL with an async client): a synchronous interface would either block
//! the runtime's workers on round trips or force every caller through `spawn_blocking`,
//! and a driver that blocks on its own runtime panics inside ours. Async methods cost the
//! embedded store one boxed future per call (it answers from memory; its slow part, the
//! flush, is already async), while the network backend awaits its queries without blocking anyone.
//! The traits are object safe ([`async_trait`]) so the app holds one `Arc<dyn Backend>`
//! chosen at start from the configuration.

pub mod commit;
pub mod drafts;
pub mod dump;
pub mod durable;
pub mod embedded;
pub mod erasure;
pub mod erasures;
pub mod files;
pub mod follows;
pub mod inbox;
pub mod instances;
pub mod keys;
pub mod outbox;
pub mod postgres;
pub mod profiles;
pub mod questions;
pub mod sessions;
pub mod shred;
pub mod tickets;
pub mod updates;
pub mod watches;

use std::path::Path;
use std::sync::Arc;

use jiff::Timestamp;

pub use crate::ids::UserId;
pub use commit::{Commit, CommitError, Committer};
pub use drafts::{Draft, DraftStatus, DraftStore, RegressionChange};
pub use dump::{Dump, Record};
pub use durable::SyncMode;
pub use erasure::Erasure;
pub use follows::FollowStore;
pub use inbox::Inbox;
pub use instances::{Instances, UserTurn};
pub use outbox::OutboxStore;
pub use profiles::{ProfileAlert, ProfileStore};
pub use questions::{AskedQuestion, QuestionLog};
pub use sessions::{Revision, SessionStore, StoredSession};
pub use tickets::{NewTicket, Status, Ticket, TicketStore};
pub use updates::UpdateLog;
pub use watches::{Watch, WatchStore};

/// The traits, for callers that use a [`Store`]'s methods.
pub mod prelude {
    pub use super::{
        Committer, DraftStore, Dump, Erasure, FollowStore, Inbox, Instances, OutboxStore,
        ProfileStore, QuestionLog, SessionStore, TicketStore, UpdateLog, WatchStore,
    };
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend failed (I/O, connection, corruption).
    #[error("database: {0}")]
    Backend(String),
    #[error("encoding: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("data directory: {0}")]
    Io(#[from] std::io::Error),
    /// A change kept conflicting with others (retried and gave up).
    #[error("{0}")]
    Contended(&'static str),
    /// An import into a store that holds data, not forced.
    #[error("the target store holds data: an import replaces it only when forced")]
    NotEmpty,
}

/// Every kind of data, as one backend provides it.
pub trait Backend:
    SessionStore
    + FollowStore
    + TicketStore
    + QuestionLog
    + OutboxStore
    + UpdateLog
    + Inbox
    + WatchStore
    + ProfileStore
    + Erasure
    + Committer
    + DraftStore
    + Instances
    + Dump
    + Send
    + Sync
    + 'static
{
}

impl<T> Backend for T where
    T: SessionStore
        + FollowStore
        + TicketStore
        + QuestionLog
        + OutboxStore
        + UpdateLog
        + Inbox
        + WatchStore
        + ProfileStore
        + Erasure
        + Committer
        + DraftStore
        + Instances
        + Dump
        + Send
        + Sync
        + 'static
{
}

/// The backend in use, shared by every task (cheap to clone). Its methods are the
/// traits' (import [`prelude`]); the helpers below build a one-change [`Commit`].
#[derive(Clone)]
pub struct Store(Arc<dyn Backend>);

impl std::ops::Deref for Store {
    type Target = dyn Backend;

    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

impl Store {
    pub fn new(backend: impl Backend) -> Store {
        Store(Arc::new(backend))
    }

    /// Opens (or creates) the embedded database in `dir` (made `0700`, files `0600`).
    pub fn open(dir: &Path, cache_mb: u64) -> Result<Store, StoreError> {
        Store::open_synced(dir, cache_mb, SyncMode::default())
    }

    /// [`Store::open`], its flushes made durable as `sync` says.
    pub fn open_synced(dir: &Path, cache_mb: u64, sync: SyncMode) -> Result<Store, StoreError> {
        Ok(Store::new(embedded::EmbeddedStore::open(
            dir, cache_mb, sync,
        )?))
    }

    /// Creates the configured backend's store in `dir`, empty, with pseudonyms made with
    /// `secret` (a backup's), for a restore to import into.
    pub fn create_restored(
        dir: &Path,
        cache_mb: u64,
        secret: &[u8; 32],
    ) -> Result<Store, StoreError> {
        Ok(Store::new(embedded::EmbeddedStore::create_restored(
            dir, cache_mb, secret,
        )?))
    }

    /// Connects to the PostgreSQL database at `url` and brings its schema up to date.
    pub async fn connect_postgres(url: &str) -> Result<Store, StoreError> {
        Ok(Store::new(postgres::PgStore::connect(url).await?))
    }

    /// Like [`Store::connect_postgres`], every table in `schema` (created if missing):
    /// several independent stores in one database, e.g. one per test.
    pub async fn connect_postgres_in(url: &str, schema: &str) -> Result<Store, StoreError> {
        Ok(Store::new(
            postgres::PgStore::connect_in(url, Some(schema), 4).await?,
        ))
    }

    /// An embedded database in memory only, gone on drop.
    pub fn temporary() -> Result<Store, StoreError> {
        Ok(Store::new(embedded::EmbeddedStore::temporary()?))
    }

    /// [`Store::temporary`] with pseudonyms made with `secret` (a snapshot's, to import).
    pub fn temporary_with_secret(secret: [u8; 32]) -> Result<Store, StoreError> {
        Ok(Store::new(embedded::EmbeddedStore::temporary_with_secret(
            secret,
        )?))
    }

    /// Applies a commit that reads nothing first (so it cannot conflict).
    async fn commit_alone(&self, c: &Commit) -> Result<(), StoreError> {
        self.commit(c).await.map_err(CommitError::into_store)
    }

    /// Appends a question asked by `by` to the anonymous log.
    pub async fn log_question(
        &self,
        by: Option<UserId>,
        q: &AskedQuestion,
    ) -> Result<(), StoreError> {
        let mut c = Commit::new();
        c.log_question(by, q.clone());
        self.commit_alone(&c).await
    }

    /// Creates a ticket with the next number.
    pub async fn open_ticket(&self, t: NewTicket, now: Timestamp) -> Result<Ticket, StoreError> {
        let mut c = Commit::new();
        let ticket = self.open_ticket_in(&mut c, t, now).await?;
        self.commit_alone(&c).await?;
        Ok(ticket)
    }

    /// Adds a new ticket with the next number of the sequence to `c` (a number whose
    /// commit fails is skipped: numbers are unique, not gapless).
    pub async fn open_ticket_in(
        &self,
        c: &mut Commit,
        t: NewTicket,
        now: Timestamp,
    ) -> Result<Ticket, StoreError> {
        let n = self.next_ticket_number().await?;
        let ticket = t.numbered(n, now);
        c.save_ticket(None, ticket.clone());
        Ok(ticket)
    }

    /// Records that staff-chat message `message` is about ticket `n`.
    pub async fn ticket_posted(&self, n: u64, chat: i64, message: i32) -> Result<(), StoreError> {
        let mut c = Commit::new();
        c.ticket_posted(n, chat, message);
        self.commit_alone(&c).await
    }
}
