//! Retrieval quality on applicants' own phrasing: every question of
//! `tests/retrieval/questions.toml` must find its expected entry. Prints hit@1 and hit@3
//! and fails below hit@1 0.85 or hit@3 0.95.

use std::path::Path;

use serde::Deserialize;
use sportello::app::Brain;

#[derive(Deserialize)]
struct Questions {
    q: Vec<Question>,
}

#[derive(Deserialize)]
struct Question {
    text: String,
    expect: Vec<String>,
}

#[test]
fn hit_at_1_and_3_on_applicants_questions() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let brain = Brain::load(&root.join("knowledge")).expect("the shipped knowledge loads");
    let src = std::fs::read_to_string(root.join("tests/retrieval/questions.toml")).unwrap();
    let qs: Questions = toml::from_str(&src).unwrap();
    assert!(qs.q.len() >= 60, "at least 60 questions");
    let ix = &brain.index;
    for q in &qs.q {
        for id in &q.expect {
            assert!(
                ix.find(id).is_some(),
                "expected id {id} does not exist (question «{}»)",
                q.text
            );
        }
    }
    let (mut hit1, mut hit3) = (0usize, 0usize);
    let mut misses = Vec::new();
    // How often the bot answers directly (High), and how often that direct answer is right.
    let (mut high, mut high_right) = (0usize, 0usize);
    for q in &qs.q {
        let r = ix.search(&q.text, 3);
        let ids: Vec<&str> = r
            .hits
            .iter()
            .map(|h| ix.entry(h.entry).doc.id.as_str())
            .collect();
        let ok = |id: &&str| q.expect.iter().any(|e| e == id);
        if ids.first().is_some_and(ok) {
            hit1 += 1;
        }
        if r.confidence == sportello::search::Confidence::High {
            high += 1;
            high_right += usize::from(ids.first().is_some_and(ok));
        }
        if ids.iter().any(ok) {
            hit3 += 1;
        } else {
            misses.push(format!(
                "  «{}» expected {:?}, got {:?}",
                q.text, q.expect, ids
            ));
        }
    }
    let n = qs.q.len() as f64;
    let (h1, h3) = (hit1 as f64 / n, hit3 as f64 / n);
    println!(
        "retrieval: {} questions, hit@1 = {h1:.3}, hit@3 = {h3:.3}",
        qs.q.len()
    );
    println!(
        "confident answers: {high} of {} ({:.0}%), of which right at rank 1: {high_right} ({:.0}%)",
        qs.q.len(),
        100.0 * high as f64 / n,
        100.0 * high_right as f64 / high.max(1) as f64
    );
    for m in &misses {
        println!("{m}");
    }
    assert!(h1 >= 0.85, "hit@1 {h1:.3} < 0.85");
    assert!(h3 >= 0.95, "hit@3 {h3:.3} < 0.95");
}
