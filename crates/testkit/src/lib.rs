//! What Sportello's tests and benchmarks share, kept out of the product crate.
//!
//! - [`botapi`] is the one Bot API stand-in on 127.0.0.1: real HTTP/1.1, Telegram's JSON
//!   errors, long polling, fault injection and Telegram's send limits. The integration
//!   tests drive the real `sportello` binary against it, and the benchmarks of
//!   `sportello-tools` measure every bot against it.
//! - [`documents`] writes small PDF and DOCX files (the repository ships no official
//!   document it did not write).
//!
//! It does not depend on `sportello`: the product's tests can use it as a dev-dependency
//! without a second copy of the product's types.

pub mod botapi;
pub mod documents;
