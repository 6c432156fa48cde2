//! Test helpers shared by the integration tests (the Bot API stand-in lives in the
//! `sportello-testkit` crate, shared with the benchmarks).
#![allow(dead_code)]

pub use sportello_testkit::botapi;
pub mod process;
pub mod residue;
pub mod scrape;
pub mod snapshot;
