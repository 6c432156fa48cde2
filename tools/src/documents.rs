//! The documents benchmark (`bench-documents`): time to extract, split and index generated official
//! documents, cold (empty cache) and warm (a restart with the cache). Figures go to
//! `BENCHMARKS.md`; no test asserts a timing.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::search::Rng;
use sportello::app::{AppError, Brain};

use sportello_testkit::documents as generate;

/// Words of a call's text, accented and with "fi"/"fl" ligatures as typeset PDFs have them.
const WORDS: &[&str] = &[
    "impresa",
    "contributo",
    "domanda",
    "beneficiari",
    "welfare",
    "aziendale",
    "spese",
    "ammissibili",
    "regione",
    "piemonte",
    "finalità",
    "attività",
    "conciliazione",
    "lavoro",
    "servizi",
    "dipendenti",
    "piano",
    "progetto",
    "rendicontazione",
    "scadenza",
    "modalità",
    "priorità",
    "qualità",
    "è",
    "più",
    "già",
    "perché",
    "cioè",
    "sarà",
    "de\u{FB01}nito",
    "\u{FB01}nanziamento",
    "\u{FB02}essibilità",
    "bene\u{FB01}ciario",
    "costi",
    "personale",
    "formazione",
    "valutazione",
    "graduatoria",
    "istruttoria",
    "erogazione",
    "anticipo",
    "saldo",
    "cofinanziamento",
    "partenariato",
    "ente",
    "terzo",
    "settore",
    "PMI",
    "sede",
    "operativa",
    "documentazione",
    "firma",
    "digitale",
    "PEC",
    "entro",
    "giorni",
    "data",
];

/// The pages of one generated call text: an article every two pages, 40 lines a page.
pub fn call_text(seed: u64, pages: usize) -> Vec<Vec<String>> {
    let mut rng = Rng(seed | 1);
    let mut article = 0;
    (0..pages)
        .map(|p| {
            let mut lines = Vec::with_capacity(40);
            if p % 2 == 0 {
                article += 1;
                let title = WORDS[(rng.next() % WORDS.len() as u64) as usize];
                lines.push(format!("Art. {article} – Disposizioni su {title}"));
            }
            while lines.len() < 40 {
                let mut line = String::new();
                while line.chars().count() < 85 {
                    line.push_str(WORDS[(rng.next() % WORDS.len() as u64) as usize]);
                    line.push(' ');
                }
                lines.push(line.trim_end().to_string());
            }
            lines.push(format!("{}", p + 1));
            lines
        })
        .collect()
}

/// Writes a knowledge directory with one call and `docs` PDFs of `pages` pages.
pub fn write_pack(dir: &Path, docs: usize, pages: usize) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join("calls"))?;
    std::fs::write(
        dir.join("calls/bench.toml"),
        "id = \"bench\"\nkind = \"call\"\nprogramme = \"Bench\"\ntitle = \"Bando generato\"\n\
         short = \"Bando generato\"\nsummary = \"Un bando generato per misurare.\"\nsource = \"generato\"\n",
    )?;
    let folder = dir.join(sportello::documents::FOLDER).join("bench");
    std::fs::create_dir_all(&folder)?;
    for i in 0..docs {
        let bytes = generate::pdf(&call_text(2 * i as u64 + 7, pages));
        std::fs::write(folder.join(format!("documento-{i:03}.pdf")), bytes)?;
    }
    Ok(())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// Runs the benchmark and writes a Markdown table.
pub fn run(
    docs: usize,
    pages: usize,
    runs: usize,
    out: &mut impl std::io::Write,
) -> Result<(), AppError> {
    let tmp = std::env::temp_dir().join(format!("sportello-bench-docs-{}", std::process::id()));
    let knowledge = tmp.join("knowledge");
    let _ = std::fs::remove_dir_all(&tmp);
    let t = Instant::now();
    write_pack(&knowledge, docs, pages).map_err(|e| {
        AppError::Knowledge(sportello::knowledge::KnowledgeErrors(vec![
            sportello::knowledge::KnowledgeError {
                file: knowledge.clone(),
                line: 0,
                message: format!("cannot write the generated pack: {e}"),
            },
        ]))
    })?;
    let generated = t.elapsed();
    let bytes: u64 = std::fs::read_dir(knowledge.join(sportello::documents::FOLDER).join("bench"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();
    let runs = runs.max(1);
    let mut cold = Vec::new();
    let mut passages = 0;
    for r in 0..runs {
        let cache = tmp.join(format!("cache-cold-{r}"));
        let t = Instant::now();
        let brain = Brain::load_with(&knowledge, Some(&cache))?;
        cold.push(t.elapsed());
        passages = brain
            .knowledge
            .documents
            .iter()
            .map(|d| d.passages.len())
            .sum();
    }
    let warm_cache = tmp.join("cache-cold-0");
    let mut warm = Vec::new();
    let mut brain = None;
    for _ in 0..runs {
        let t = Instant::now();
        let b = Brain::load_with(&knowledge, Some(&warm_cache))?;
        warm.push(t.elapsed());
        brain = Some(b);
    }
    // Where a warm restart spends its time: reading the cache and splitting, then indexing.
    let mut split = Vec::new();
    let mut index = Vec::new();
    for _ in 0..runs {
        let mut k = sportello::knowledge::load_dir(&knowledge)?;
        let t = Instant::now();
        let (docs, _) = sportello::documents::load(
            &k,
            &sportello::documents::Cache::new(Some(warm_cache.clone())),
        );
        split.push(t.elapsed());
        k.documents = docs;
        let t = Instant::now();
        std::hint::black_box(sportello::search::SearchIndex::from_knowledge(&k)?);
        index.push(t.elapsed());
    }
    let mut query = Vec::new();
    if let Some(b) = &brain {
        for q in [
            "spese ammissibili formazione",
            "scadenza della domanda",
            "cofinanziamento minimo",
            "chi sono i beneficiari",
            "rendicontazione del saldo",
        ]
        .iter()
        .cycle()
        .take(200)
        {
            let t = Instant::now();
            std::hint::black_box(b.index.search_passages(q, 5));
            query.push(t.elapsed());
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let _ = writeln!(
        out,
        "{docs} PDF × {pages} pages ({:.1} MB, generated in {:.0} ms), {passages} passages, {} cores, {runs} runs each\n",
        bytes as f64 / 1e6,
        ms(generated),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    let _ = writeln!(out, "| load | median | min | max |");
    let _ = writeln!(out, "|---|---:|---:|---:|");
    for (label, v) in [
        ("cold: extract + split + index", &cold),
        ("warm restart (cache)", &warm),
        ("warm: of which cache read + split", &split),
        ("warm: of which index build", &index),
    ] {
        let _ = writeln!(
            out,
            "| {label} | {:.0} ms | {:.0} ms | {:.0} ms |",
            ms(median(v.clone())),
            ms(*v.iter().min().expect("runs")),
            ms(*v.iter().max().expect("runs")),
        );
    }
    query.sort();
    if !query.is_empty() {
        let p = |q: f64| query[((query.len() - 1) as f64 * q).round() as usize];
        let _ = writeln!(
            out,
            "\npassage query over the {passages} passages: p50 {:.2} ms, p99 {:.2} ms ({} queries)",
            ms(p(0.5)),
            ms(p(0.99)),
            query.len()
        );
    }
    Ok(())
}
