//! Test helpers shared by integration tests and benchmarks.
#![allow(dead_code)]

pub mod botapi;
pub mod process;
pub mod scrape;
