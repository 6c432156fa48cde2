//! Extraction and indexing of generated official documents, cold and cached:
//! `cargo run --release -p sportello-tools --bin bench-documents`.

use clap::Parser;

#[derive(Parser)]
struct Args {
    /// Number of documents.
    #[arg(long, default_value_t = 50)]
    docs: usize,
    /// Pages per document.
    #[arg(long, default_value_t = 40)]
    pages: usize,
    /// Measured runs of each kind (the median is reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    sportello_tools::documents::run(a.docs, a.pages, a.runs, &mut std::io::stdout())?;
    Ok(())
}
