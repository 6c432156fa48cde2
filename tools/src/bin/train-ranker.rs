//! Trains the learned ranker on the development sets and writes the pack's
//! `ranker.toml`: `cargo run --release -p sportello-tools --bin train-ranker` (see
//! `sportello_tools::ranker`; `--dry-run` prints the cross-validation only).

use std::path::PathBuf;

use clap::Parser;
use sportello::app::Brain;
use sportello::text::Lang;
use sportello_tools::ranker::{
    Data, collect, decided, folds, priors, probability, scores, section, set_priors, taught,
    train_decide, train_rerank,
};

#[derive(Parser)]
struct Args {
    /// The knowledge pack (the file is written there).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../knowledge"))]
    knowledge: PathBuf,
    /// Where the development sets are.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/retrieval"))]
    sets: PathBuf,
    /// Italian development sets (never the held-out ones).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "dev.toml,dev2.toml,dev3.toml,dev4.toml,dev5.toml,dev6.toml,dev7.toml,dev8.toml,dev9.toml"
    )]
    it: Vec<String>,
    /// English development sets.
    #[arg(long, value_delimiter = ',', default_value = "dev_en.toml")]
    en: Vec<String>,
    /// Cross-validation folds.
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// How many right direct answers one wrong one costs, for the threshold.
    #[arg(long, default_value_t = 3.0)]
    cost: f32,
    /// How much better (cross-validated hit@1) the learned order must be than the
    /// hand-set one to replace it.
    #[arg(long, default_value_t = 0.01)]
    min_gain: f32,
    /// The L2 penalties tried (each model's is chosen by cross-validation).
    #[arg(long, value_delimiter = ',', default_value = "0.03,0.1,0.3,1,3,10")]
    l2: Vec<f64>,
    /// How many samples an entry's prior is smoothed with toward the rate over all entries.
    #[arg(long, default_value_t = 3.0)]
    prior_k: f32,
    /// Print the cross-validation, write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Also write, into this folder, each language's decided samples as CSV
    /// (`decided-it.csv`, `decided-en.csv`: group, conversation turn, the best entry, whether
    /// it is right, and its decision and candidate features), to try other models on them.
    #[arg(long)]
    export: Option<PathBuf>,
}

struct Trained {
    rerank: Vec<f32>,
    decide: Vec<f32>,
    threshold: f32,
    prior: (std::collections::HashMap<String, f32>, f32),
    taught: sportello::search::taught::Counts,
}

fn train(brain: &Brain, data: &Data, lang: Lang, a: &Args) -> Trained {
    let ix = match lang {
        Lang::En => brain.index.english().unwrap_or(&brain.index),
        Lang::It => &brain.index,
    };
    let s = &data.samples;
    let fold = folds(s, a.folds);
    let labelled: Vec<usize> = (0..s.len())
        .filter(|&i| s[i].right.iter().any(|r| *r))
        .collect();
    let top_right = |i: usize, sc: &[f32]| {
        let best = (0..sc.len()).max_by(|&a, &b| sc[a].total_cmp(&sc[b]).then(b.cmp(&a)));
        best.is_some_and(|b| s[i].right[b])
    };
    let hand: Vec<Vec<f32>> = s
        .iter()
        .map(|x| x.pool.candidates.iter().map(|c| c.score).collect())
        .collect();
    let hit = |sc: &[Vec<f32>]| {
        labelled.iter().filter(|&&i| top_right(i, &sc[i])).count() as f32
            / labelled.len().max(1) as f32
    };
    println!(
        "{lang:?}: {} items ({} answerable), {} reach the choice (direct or menu), {} with an expected candidate",
        data.items,
        data.answerable,
        s.len(),
        labelled.len()
    );
    println!(
        "  rerank, hit@1 among those: hand-set order {:.3}",
        hit(&hand)
    );
    let oof = |l2: f64| {
        let mut out: Vec<Vec<f32>> = vec![Vec::new(); s.len()];
        for f in 0..a.folds {
            let w = train_rerank(s, |i| fold[i] != f, l2);
            for i in (0..s.len()).filter(|&i| fold[i] == f) {
                out[i] = scores(&s[i], &w);
            }
        }
        out
    };
    let mut best = (f32::MIN, a.l2[0], Vec::new());
    for &l2 in &a.l2 {
        let sc = oof(l2);
        let h = hit(&sc);
        println!("  rerank l2 {l2}: cross-validated hit@1 {h:.3}");
        if h > best.0 {
            best = (h, l2, sc);
        }
    }
    // The learned order must beat the hand-set one out of fold (which, tuned on these
    // very sets, is optimistic here): otherwise the file keeps the hand-set order (all
    // weight on its score) and only the decision is learned.
    let hand_hit = hit(&hand);
    let keep_hand = best.0 < hand_hit + a.min_gain;
    let (_, l2r, oof_scores) = if keep_hand {
        println!(
            "  rerank: the hand-set order is kept (learned {:.3} < hand {hand_hit:.3} + {})",
            best.0, a.min_gain
        );
        (hand_hit, 0.0, hand.clone())
    } else {
        best
    };
    // The entries' priors: for the samples a model is fitted on, counted on the other
    // folds of its training data; for those it is tried on, on all of its training data.
    let table = |keep: &dyn Fn(usize) -> bool| priors(ix, s, &oof_scores, keep, a.prior_k);
    // The taught classifier likewise: each sample read by one that never saw its fold.
    let teach = |keep: &dyn Fn(usize) -> bool| taught::counts(ix, s, keep);
    let with_priors = |held: Option<usize>| {
        let mut copy = s.to_vec();
        for g in 0..a.folds {
            if Some(g) == held {
                continue;
            }
            let c = teach(&|i| fold[i] != g && Some(fold[i]) != held);
            taught::set_taught(ix, &mut copy, &c, |i| fold[i] == g);
            let t = table(&|i| fold[i] != g && Some(fold[i]) != held);
            set_priors(ix, &mut copy, &t, |i| fold[i] == g);
        }
        if let Some(f) = held {
            let c = teach(&|i| fold[i] != f);
            taught::set_taught(ix, &mut copy, &c, |i| fold[i] == f);
            let t = table(&|i| fold[i] != f);
            set_priors(ix, &mut copy, &t, |i| fold[i] == f);
        }
        decided(ix, &copy, &oof_scores)
    };
    let per_fold: Vec<_> = (0..a.folds).map(|f| with_priors(Some(f))).collect();
    let d = with_priors(None);
    if let Some(dir) = &a.export {
        let path = dir.join(format!("decided-{}.csv", lang.code()));
        let mut csv = String::from("group,turn,entry,right,answerable,hand_direct,hand_right");
        for n in sportello::search::DECIDE_FEATURES {
            csv.push_str(&format!(",d_{n}"));
        }
        for n in sportello::search::RERANK_FEATURES {
            csv.push_str(&format!(",r_{n}"));
        }
        csv.push('\n');
        for (i, x) in d.iter().enumerate() {
            let Some(x) = x else { continue };
            let c = s[i].pool.choose(ix, &oof_scores[i]).expect("decided");
            let t = &s[i].pool.candidates[c.top];
            csv.push_str(&format!(
                "{},{},{},{},{},{},{}",
                s[i].group,
                s[i].turn,
                ix.entry(t.entry).doc.id,
                u8::from(x.right),
                u8::from(x.answerable),
                u8::from(s[i].hand_direct),
                u8::from(s[i].hand_right)
            ));
            for v in x.x.iter().chain(t.x.iter()) {
                csv.push_str(&format!(",{v}"));
            }

            csv.push('\n');
        }
        if let Err(e) = std::fs::write(&path, csv) {
            eprintln!("{}: {e}", path.display());
            std::process::exit(1);
        }
        println!(
            "  written {}: {} decided samples ({} items, {} answerable)",
            path.display(),
            d.iter().flatten().count(),
            data.items,
            data.answerable
        );
    }
    // The decision's penalty by cross-validated log-loss.
    let oof_p = |l2: f64| {
        let mut p = vec![0.0f32; d.len()];
        for (f, df) in per_fold.iter().enumerate() {
            let w = train_decide(df, |i| fold[i] != f, l2);
            for i in (0..d.len()).filter(|&i| fold[i] == f) {
                if let Some(x) = &df[i] {
                    p[i] = probability(&w, &x.x);
                }
            }
        }
        p
    };
    let mut best = (f32::MAX, a.l2[0], Vec::new());
    for &l2 in &a.l2 {
        let p = oof_p(l2);
        let n = d.iter().flatten().count().max(1) as f32;
        let loss: f32 = d
            .iter()
            .zip(&p)
            .filter_map(|(d, p)| d.as_ref().map(|d| (d.right, p.clamp(1e-4, 1.0 - 1e-4))))
            .map(|(r, p)| if r { -p.ln() } else { -(1.0 - p).ln() })
            .sum::<f32>()
            / n;
        println!("  decide l2 {l2}: cross-validated log-loss {loss:.4}");
        if loss < best.0 {
            best = (loss, l2, p);
        }
    }
    let (_, l2d, probs) = best;
    // The threshold: most right minus `cost` × wrong direct answers, out of fold.
    let at = |t: f32| {
        let (mut right, mut wrong) = (0usize, 0usize);
        for (dd, p) in d.iter().zip(&probs) {
            if let Some(dd) = dd
                && *p >= t
            {
                if dd.right && dd.answerable {
                    right += 1;
                } else {
                    wrong += 1;
                }
            }
        }
        (right, wrong)
    };
    let mut cands: Vec<f32> = probs.clone();
    cands.sort_by(f32::total_cmp);
    cands.dedup();
    let mut chosen = (f32::MIN, 0.5f32);
    for &t in &cands {
        let (r, w) = at(t);
        let gain = r as f32 - a.cost * w as f32;
        if gain > chosen.0 {
            chosen = (gain, t);
        }
    }
    let threshold = chosen.1;
    let hand_right = s.iter().filter(|x| x.hand_direct && x.hand_right).count();
    let hand_wrong = s.iter().filter(|x| x.hand_direct && !x.hand_right).count();
    let rate = |n: usize, of: usize| n as f32 / of.max(1) as f32;
    println!(
        "  decision among those (out of fold): hand-set rules {hand_right} right / {hand_wrong} wrong direct ({:.3} of answerable / {:.3} of items)",
        rate(hand_right, data.answerable),
        rate(hand_wrong, data.items)
    );
    for t in [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, threshold] {
        let (r, w) = at(t);
        println!(
            "  learned at p >= {t:.3}: {r} right / {w} wrong direct ({:.3} / {:.3}){}",
            rate(r, data.answerable),
            rate(w, data.items),
            if t == threshold { "  <- chosen" } else { "" }
        );
    }
    println!("  chosen: rerank l2 {l2r}, decide l2 {l2d}, threshold {threshold:.3}");
    if std::env::var_os("TRAIN_RANKER_DEBUG").is_some() {
        println!("  rerank weights {:?}", train_rerank(s, |_| true, l2r));
    }
    // The final models on every sample (the decision on out-of-fold rerank scores, as it
    // will meet questions the ranker has not seen).
    let identity: Vec<f32> = sportello::search::RERANK_FEATURES
        .iter()
        .map(|n| if *n == "score" { 1.0 } else { 0.0 })
        .collect();
    Trained {
        rerank: if keep_hand {
            identity
        } else {
            train_rerank(s, |_| true, l2r)
        },
        decide: train_decide(&d, |_| true, l2d),
        threshold,
        prior: table(&|_| true),
        taught: teach(&|_| true),
    }
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    // The samples are what the hand-set rules see: an old ranker file must not shape them
    // (nor stop the tool when it was written for other features).
    let brain = Brain::load_unranked(&a.knowledge, None)?;
    let mut out = format!(
        "# The learned ranker (see src/search/learned.rs), written by\n# `cargo run --release -p sportello-tools --bin train-ranker` from the development sets\n# only ({} folds of cross-validation, a wrong direct answer costing {} right ones).\nversion = {}\n",
        a.folds,
        a.cost,
        sportello::search::RANKER_VERSION
    );
    for (lang, names, tag) in [(Lang::It, &a.it, "it"), (Lang::En, &a.en, "en")] {
        let names: Vec<String> = names.iter().filter(|n| !n.is_empty()).cloned().collect();
        if names.is_empty() {
            continue;
        }
        let data = collect(&brain, &a.sets, &names, lang)?;
        let t = train(&brain, &data, lang, &a);
        out.push('\n');
        out.push_str(&section(
            tag,
            &t.rerank,
            &t.decide,
            t.threshold,
            &names.join(" "),
            &t.prior,
            &t.taught,
        ));
    }
    // What is written must read back (the bot refuses a malformed file).
    sportello::search::RankerFile::parse(&out).map_err(|e| anyhow::anyhow!("{e}"))?;
    if a.dry_run {
        println!("(dry run: nothing written)");
    } else {
        let path = a.knowledge.join(sportello::search::RANKER_FILE);
        std::fs::write(&path, out)?;
        println!("written {}", path.display());
    }
    Ok(())
}
