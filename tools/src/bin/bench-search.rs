//! Index build time and query latency of the search, on the shipped pack and on a
//! generated corpus: `cargo run --release -p sportello-tools --bin bench-search`.

use std::path::PathBuf;

use clap::Parser;

#[derive(Parser)]
struct Args {
    /// Queries per measurement.
    #[arg(long, default_value_t = 2000)]
    queries: usize,
    /// Size of the generated corpus.
    #[arg(long, default_value_t = 10_000)]
    docs: usize,
    /// The knowledge pack.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../knowledge"))]
    knowledge: PathBuf,
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    sportello_tools::search::run(&a.knowledge, a.queries, a.docs, &mut std::io::stdout())?;
    Ok(())
}
