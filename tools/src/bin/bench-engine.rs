//! The engine's CPU per message, without the bot around it: every question of the
//! retrieval sets (`sportello_tools::questions`) through [`Engine::handle_with`], the
//! entry the bot and the console use, in one thread, with a fixed clock.
//!
//! The questions are dealt to `--users` users as `bench-threeway` deals them (each user
//! its own conversation, from a fresh session); a pass sends every user's questions in
//! turn. `--passes` passes (each from fresh sessions); the time per message is the median
//! over the passes. The replies' checksum (texts, buttons, effects' kinds, the session's
//! topic) is the same for every pass and every build that answers the same way: print
//! it before and after a change to prove the answers did not move.
//!
//! `cargo run --release -p sportello-tools --bin bench-engine`; under callgrind,
//! `--passes 1` (instructions are repeatable on a busy machine).

use std::hash::Hasher;
use std::time::Instant;

use clap::Parser;
use jiff::{Timestamp, ToSpan};
use sportello::app::Brain;
use sportello::dialogue::{Engine, Event, Session, Settings, UserView};
use sportello_tools::process::{knowledge_dir, repo_dir};
use sportello_tools::questions;

#[derive(Parser)]
struct Args {
    /// Distinct users (each keeps its conversation across its questions).
    #[arg(long, default_value_t = 50)]
    users: usize,
    /// Questions per user in a pass.
    #[arg(long, default_value_t = 10)]
    per_user: usize,
    /// Passes (the time per message is their median).
    #[arg(long, default_value_t = 3)]
    passes: usize,
    /// Read every message afresh (the engine without the brain's memory of readings).
    #[arg(long)]
    no_readings: bool,
}

/// FNV-1a, stable across builds and runs (the std hasher is seeded per process).
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x100_0000_01b3);
        }
    }
}

/// One pass from fresh sessions: the time it took and the replies' checksum.
fn pass(engine: &Engine, qs: &[String], a: &Args) -> (f64, u64, usize) {
    let start: Timestamp = "2026-11-22T10:00:00Z".parse().expect("a timestamp");
    let view = UserView::default();
    let mut sessions: Vec<Session> = vec![Session::default(); a.users];
    let mut sum = Fnv(0xcbf2_9ce4_8422_2325);
    let mut sent = 0usize;
    let t0 = Instant::now();
    for k in 0..a.per_user {
        for (u, slot) in sessions.iter_mut().enumerate() {
            let text = questions::of_user(qs, u, k, a.per_user);
            let now = start + (sent as i64).seconds();
            let session = std::mem::take(slot);
            let out = engine.handle_with(session, &Event::Text(text.to_string()), now, &view);
            for r in &out.replies {
                sum.write(r.text.to_plain().as_bytes());
                for b in r.buttons.iter().flatten() {
                    sum.write(b.label.as_bytes());
                    sum.write(b.data.as_bytes());
                }
                sum.write_u8(0xff);
            }
            for e in &out.effects {
                sum.write(format!("{e:?}").as_bytes());
            }
            sum.write(format!("{:?}", out.session.topic).as_bytes());
            *slot = out.session;
            sent += 1;
        }
    }
    (t0.elapsed().as_secs_f64(), sum.finish(), sent)
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    let qs = questions::load(&repo_dir())?;
    let t = Instant::now();
    let brain = Brain::load(&knowledge_dir())?;
    eprintln!("pack loaded in {:.1} s", t.elapsed().as_secs_f64());
    let settings = Settings {
        helpdesk_contact: "helpdesk@esempio.it".into(),
        ..Settings::default()
    };
    let mut engine = brain.engine(&settings);
    if a.no_readings {
        engine.readings = None;
    }
    let mut per_message = Vec::new();
    let mut checksum = None;
    for p in 0..a.passes.max(1) {
        let (secs, sum, sent) = pass(&engine, &qs, &a);
        let us = secs / sent as f64 * 1e6;
        println!("pass {p}: {sent} messages, {us:.0} µs/message, checksum {sum:016x}");
        anyhow::ensure!(
            checksum.is_none_or(|c| c == sum),
            "pass {p} answered differently from the first"
        );
        checksum = Some(sum);
        per_message.push(us);
    }
    per_message.sort_by(f64::total_cmp);
    // How many of a pass's messages are distinct texts, and how often the searches were
    // answered from the index's memory (`search::found`): a memory helps repeats only.
    let distinct: std::collections::HashSet<&str> = (0..a.per_user)
        .flat_map(|k| (0..a.users).map(move |u| (u, k)))
        .map(|(u, k)| questions::of_user(&qs, u, k, a.per_user))
        .collect();
    let mut answers = (0, 0);
    let mut plain = (0, 0);
    let mut analyses = (0, 0);
    let mut marks = (0, 0);
    let mut bytes = (0, 0);
    let add = |to: &mut (u64, u64), m: (u64, u64)| *to = (to.0 + m.0, to.1 + m.1);
    for ix in std::iter::once(&brain.index).chain(brain.index.english()) {
        let m = ix.memory();
        add(&mut answers, m.answers);
        add(&mut plain, m.plain);
        add(&mut analyses, m.analyses);
        add(&mut marks, m.marks);
        bytes = (bytes.0 + m.bytes.0, bytes.1 + m.bytes.1);
    }
    println!(
        "MEMORY distinct_messages/pass={} answers_remembered={} answers_searched={} plain_remembered={} plain_searched={} analyses_remembered={} analyses_made={} analyses_bytes={} marks_remembered={} marks_found={} marks_bytes={}",
        distinct.len(),
        answers.0,
        answers.1,
        plain.0,
        plain.1,
        analyses.0,
        analyses.1,
        bytes.0,
        marks.0,
        marks.1,
        bytes.1
    );
    println!(
        "READINGS kept={} bytes={}",
        brain.readings.len(),
        brain.readings.bytes()
    );
    println!(
        "RESULT questions={} messages/pass={} median_us_per_message={:.0} checksum={:016x}",
        qs.len(),
        a.users * a.per_user,
        per_message[per_message.len() / 2],
        checksum.unwrap_or_default()
    );
    Ok(())
}
