//! Sportello's benchmarks and load generators, kept out of the product crate: the
//! `sportello` binary holds only what an operator runs.
//!
//! - [`search`]: index build and query latency on the pack and a generated corpus
//!   (`bench-search`).
//! - [`documents`]: extraction and indexing of generated official documents
//!   (`bench-documents`).
//! - [`reminders`]: reminder dispatch against the stand-in, killed and restarted
//!   (`bench-reminders`), and [`follows`]: 100,000 followers of a changed call.
//! - `bench-telegram` (a binary): `sportello run` end to end against the stand-in.
//! - `bench-engine` (a binary): the engine's CPU per message, without the bot around it,
//!   with a checksum of the replies.
//! - [`backup`]: what a backup of a running instance costs the commits meanwhile
//!   (`bench-backup`).
//! - [`questions`]: applicants' questions for load, from the retrieval sets.
//! - [`ranker`]: training the learned ranker on the development sets (`train-ranker`).
//! - [`process`]: the bot under measurement as a child process (binary, RSS, CPU time).
//!
//! Every bench talks to the one Bot API stand-in of `sportello-testkit`. Figures go to
//! `BENCHMARKS.md`; no test asserts a timing.

pub mod backup;
pub mod documents;
pub mod follows;
pub mod process;
pub mod questions;
pub mod ranker;
pub mod reminders;
pub mod search;
