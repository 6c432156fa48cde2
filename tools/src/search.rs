//! The search benchmark (`cargo run --release -p sportello-tools --bin bench-search`): index build time and query latency, on the real pack and on a
//! generated corpus. Figures go to `BENCHMARKS.md`; no test asserts a timing.

use std::path::Path;
use std::time::{Duration, Instant};

use sportello::app::AppError;
use sportello::knowledge::{Knowledge, load_dir};
use sportello::search::{Doc, EntryKind, SearchIndex};

/// Latency figures of one measurement.
#[derive(Debug, Clone)]
pub struct Figures {
    pub label: String,
    pub docs: usize,
    pub build_median: Duration,
    pub query_p50: Duration,
    pub query_p99: Duration,
    pub queries: usize,
}

/// A small deterministic generator (xorshift), so every run measures the same corpus.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Skewed pick: small indexes are more frequent, as in natural text.
    fn pick<'a>(&mut self, v: &'a [String]) -> &'a str {
        let a = (self.next() % v.len() as u64) as usize;
        let b = (self.next() % v.len() as u64) as usize;
        &v[a.min(b)]
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    percentile(&v, 0.5)
}

fn measure_queries(ix: &SearchIndex, queries: &[String], n: usize) -> (Duration, Duration) {
    measure(queries, n, |q| {
        std::hint::black_box(ix.search(q, 3));
    })
}

/// p50 and p99 of `n` runs of `step` over the queries, after a warm-up (so the first
/// measured runs do not pay for lazy initialisation).
fn measure(queries: &[String], n: usize, step: impl Fn(&str)) -> (Duration, Duration) {
    for q in queries.iter().take(50) {
        step(q);
    }
    let mut times: Vec<Duration> = (0..n)
        .map(|i| {
            let q = &queries[i % queries.len()];
            let t = Instant::now();
            step(q);
            t.elapsed()
        })
        .collect();
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.99))
}

/// The whole path of a question through the engine, without replies: reading (chat
/// spellings, named calls, profile facts, question part), focus, search and decision.
/// Every other question is asked with the pack's first call in focus, as a follow-up would
/// be, at a fixed moment (the figures do not depend on the date).
fn measure_questions(
    k: &Knowledge,
    ix: &SearchIndex,
    queries: &[String],
    n: usize,
) -> (Duration, Duration) {
    let settings = sportello::dialogue::Settings::default();
    let engine = sportello::dialogue::Engine {
        knowledge: k,
        index: ix,
        settings: &settings,
        readings: None,
    };
    let tx = sportello::text::texts(sportello::text::Lang::It);
    let now: jiff::Timestamp = "2026-12-01T09:00:00Z".parse().expect("a fixed moment");
    let focused = sportello::dialogue::Session {
        topic: k.calls.first().map(|c| c.id.clone()),
        ..sportello::dialogue::Session::default()
    };
    let fresh = sportello::dialogue::Session::default();
    let turn = std::cell::Cell::new(false);
    measure(queries, n, |q| {
        let session = if turn.replace(!turn.get()) {
            &focused
        } else {
            &fresh
        };
        let reading = engine.read(tx, q);
        std::hint::black_box(engine.consider(tx, &reading, session, None, now));
    })
}

/// The words of the pack, used to generate a corpus that looks like it.
fn vocabulary(k: &Knowledge) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let texts = k
        .faqs
        .iter()
        .flat_map(|f| [f.question.as_str(), f.answer.as_str()])
        .chain(k.calls.iter().flat_map(|c| {
            std::iter::once(c.summary.as_str()).chain(c.sections.iter().map(|s| s.text.as_str()))
        }));
    for t in texts {
        for w in t.split(|c: char| !c.is_alphanumeric()) {
            let w = w.to_lowercase();
            if w.chars().count() >= 3 && seen.insert(w.clone()) {
                words.push(w);
            }
        }
    }
    words
}

/// A generated corpus of `n` documents over the pack's vocabulary.
pub fn generated_corpus(vocab: &[String], n: usize, seed: u64) -> Vec<Doc> {
    let mut rng = Rng(seed | 1);
    (0..n)
        .map(|i| {
            let mut sentence = |len: usize| {
                (0..len)
                    .map(|_| rng.pick(vocab))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let title = sentence(7);
            let alt = sentence(10);
            let body = sentence(90);
            Doc {
                id: format!("faq:gen-{i}"),
                kind: EntryKind::Faq,
                call: None,
                calls: Vec::new(),
                audience: None,
                askers: Vec::new(),
                alone: false,
                for_anyone: false,
                title,
                alt,
                body,
                source: "generato".into(),
            }
        })
        .collect()
}

/// Runs the benchmark and writes a report.
pub fn run(
    dir: &Path,
    queries: usize,
    docs: usize,
    out: &mut impl std::io::Write,
) -> Result<Vec<Figures>, AppError> {
    let k = load_dir(dir)?;
    let mut pack_queries: Vec<String> = k
        .faqs
        .iter()
        .flat_map(|f| f.alternatives.iter().cloned())
        .collect();
    pack_queries.extend(
        [
            "scadensa del bando",
            "\"(AND",
            "quanto cofinanziamnto serve",
            "can large companies apply",
        ]
        .map(String::from),
    );

    let builds: Vec<Duration> = (0..15)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(SearchIndex::from_knowledge(&k).expect("index"));
            t.elapsed()
        })
        .collect();
    let mut ix = SearchIndex::from_knowledge(&k)?;
    // The learned ranker of the pack, when it has one (the whole question uses it).
    let ranker = sportello::search::RankerFile::load(&dir.join(sportello::search::RANKER_FILE))?;
    ix.set_ranker(ranker.as_ref());
    let (p50, p99) = measure_queries(&ix, &pack_queries, queries);
    let build = median(builds);
    let mut figures = vec![Figures {
        label: "WECARE pack (search)".into(),
        docs: ix.entries().len(),
        build_median: build,
        query_p50: p50,
        query_p99: p99,
        queries,
    }];
    let (p50, p99) = measure_questions(&k, &ix, &pack_queries, queries);
    figures.push(Figures {
        label: "WECARE pack (whole question)".into(),
        docs: ix.entries().len(),
        build_median: build,
        query_p50: p50,
        query_p99: p99,
        queries,
    });

    let vocab = vocabulary(&k);
    let corpus = generated_corpus(&vocab, docs, 0x5eed);
    let synonyms: Vec<Vec<String>> = k.synonyms.iter().map(|g| g.terms.clone()).collect();
    let builds: Vec<Duration> = (0..3)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(SearchIndex::build(corpus.clone(), &synonyms).expect("index"));
            t.elapsed()
        })
        .collect();
    let mut big = SearchIndex::build(corpus, &synonyms)?;
    big.set_ranker(ranker.as_ref());
    let mut rng = Rng(0xfeed);
    let mut gen_queries: Vec<String> = (0..500)
        .map(|_| {
            (0..(2 + rng.next() % 5))
                .map(|_| rng.pick(&vocab))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    gen_queries.extend(pack_queries.iter().cloned());
    let (p50, p99) = measure_queries(&big, &gen_queries, queries);
    let build = median(builds);
    figures.push(Figures {
        label: format!("generated corpus ({docs} docs, search)"),
        docs: big.entries().len(),
        build_median: build,
        query_p50: p50,
        query_p99: p99,
        queries,
    });
    let (p50, p99) = measure_questions(&k, &big, &gen_queries, queries);
    figures.push(Figures {
        label: format!("generated corpus ({docs} docs, whole question)"),
        docs: big.entries().len(),
        build_median: build,
        query_p50: p50,
        query_p99: p99,
        queries,
    });

    let _ = writeln!(
        out,
        "| corpus | docs | index build (median) | query p50 | query p99 | queries |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
    for f in &figures {
        let _ = writeln!(
            out,
            "| {} | {} | {:.1} ms | {:.0} µs | {:.0} µs | {} |",
            f.label,
            f.docs,
            f.build_median.as_secs_f64() * 1e3,
            f.query_p50.as_secs_f64() * 1e6,
            f.query_p99.as_secs_f64() * 1e6,
            f.queries
        );
    }
    Ok(figures)
}
