//! The store as the bot relies on it: what a flush, a crash, a torn log, a compaction
//! and a damaged file leave, read back by opening the directory again.

use std::path::Path;
use std::sync::{Arc, Barrier};

use sportello_kv::transaction::{ConflictableTransactionError, Transactional};
use sportello_kv::{Config, Db, Error};

/// A store whose log file holds its records and nothing more (allocated a byte ahead),
/// so that the tests can cut it where they like.
fn open(dir: &Path) -> Db {
    Config::new().path(dir).preallocate(1).open().unwrap()
}

fn the_log(dir: &Path) -> std::path::PathBuf {
    let mut logs: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with("log-"))
        .collect();
    logs.sort();
    logs.pop().unwrap()
}

/// Transaction `i`: the same key in two trees, and a marker of its own.
fn commit(db: &Db, i: u32) {
    let a = db.open_tree("a").unwrap();
    let b = db.open_tree("b").unwrap();
    (&a, &b)
        .transaction(|(a, b)| {
            a.insert(b"last", i.to_be_bytes())?;
            b.insert(b"last", i.to_be_bytes())?;
            b.insert(format!("n{i:04}").as_bytes(), vec![7u8; 300])?;
            Ok::<_, ConflictableTransactionError<()>>(())
        })
        .unwrap();
}

/// A store in `dir` with transactions `0..n` of [`commit`] made and flushed, closed.
fn committed(dir: &Path, n: u32) {
    let db = open(dir);
    for i in 0..n {
        commit(&db, i);
    }
    db.flush().unwrap();
}

/// How many transactions of [`commit`] the store holds, checking that they are whole
/// and a prefix of those made.
fn whole_prefix(db: &Db) -> u32 {
    let a = db.open_tree("a").unwrap();
    let b = db.open_tree("b").unwrap();
    let last = |t: &sportello_kv::Tree| {
        t.get(b"last")
            .unwrap()
            .map(|v| u32::from_be_bytes(v[..].try_into().unwrap()))
    };
    let (la, lb) = (last(&a), last(&b));
    assert_eq!(la, lb, "a transaction half there");
    let markers = b.scan_prefix(b"n").count() as u32;
    match la {
        None => {
            assert_eq!(markers, 0);
            0
        }
        Some(i) => {
            assert_eq!(markers, i + 1, "the transactions there are not a prefix");
            i + 1
        }
    }
}

#[test]
fn flushed_writes_are_there_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let t = db.open_tree("t").unwrap();
    t.insert(b"k1", b"v1".to_vec()).unwrap();
    t.insert(b"k2", b"v2".to_vec()).unwrap();
    t.remove(b"k1").unwrap();
    assert_eq!(
        t.compare_and_swap(b"k2", Some(b"v2"), Some(b"v3".to_vec()))
            .unwrap(),
        Ok(())
    );
    assert!(
        t.compare_and_swap(b"k2", Some(b"v2"), Some(b"x".to_vec()))
            .unwrap()
            .is_err()
    );
    t.update_and_fetch(b"k3", |old| {
        Some(old.map_or(1u8, |o| o[0] + 1).to_be_bytes().to_vec())
    })
    .unwrap();
    db.flush().unwrap();
    drop((t, db));
    let db = open(dir.path());
    assert!(db.was_recovered());
    let t = db.open_tree("t").unwrap();
    assert_eq!(t.get(b"k1").unwrap(), None);
    assert_eq!(t.get(b"k2").unwrap().as_deref(), Some(&b"v3"[..]));
    assert_eq!(t.get(b"k3").unwrap().as_deref(), Some(&[1u8][..]));
    assert_eq!(t.len(), 2);
}

#[test]
fn every_cut_of_the_log_leaves_whole_transactions_and_a_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let mut lengths = Vec::new();
    {
        let db = open(dir.path());
        for i in 0..6 {
            commit(&db, i);
            db.flush().unwrap();
            lengths.push(std::fs::metadata(the_log(dir.path())).unwrap().len());
        }
    }
    let full = std::fs::read(the_log(dir.path())).unwrap();
    let log_name = the_log(dir.path()).file_name().unwrap().to_owned();
    for cut in (8..=full.len()).step_by(7).chain([full.len()]) {
        let copy = tempfile::tempdir().unwrap();
        std::fs::write(copy.path().join(&log_name), &full[..cut]).unwrap();
        let db = open(copy.path());
        let n = whole_prefix(&db);
        // Every transaction whose flush ended before the cut is there.
        let flushed = lengths.iter().filter(|&&l| l as usize <= cut).count() as u32;
        assert!(n >= flushed, "cut at {cut}: {n} there, {flushed} flushed");
        // The torn end is cut away: writing on and reopening reads everything.
        commit(&db, n);
        db.flush().unwrap();
        drop(db);
        assert_eq!(whole_prefix(&open(copy.path())), n + 1, "cut at {cut}");
    }
}

#[test]
fn a_damaged_record_before_the_end_of_a_log_is_cut_with_what_follows() {
    let dir = tempfile::tempdir().unwrap();
    committed(dir.path(), 4);
    let path = the_log(dir.path());
    let mut bytes = std::fs::read(&path).unwrap();
    let i = bytes.len() / 2;
    bytes[i] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let n = whole_prefix(&open(dir.path()));
    assert!(n < 4, "{n}");
    assert!(std::fs::metadata(&path).unwrap().len() < bytes.len() as u64);
}

#[test]
fn compaction_keeps_every_value_and_removes_the_files_it_replaces() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = open(dir.path());
        for i in 0..50 {
            commit(&db, i);
        }
        db.flush().unwrap();
        db.compact().unwrap();
        for i in 50..60 {
            commit(&db, i);
        }
        db.flush().unwrap();
    }
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "LOCK")
        .collect();
    names.sort();
    // The log the snapshot replaced is kept, zeroed, as the next generation's log.
    assert_eq!(names, ["log-00000002", "log-spare", "snap-00000002"]);
    assert_eq!(whole_prefix(&open(dir.path())), 60);
}

#[test]
fn writes_made_while_a_compaction_runs_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    for i in 0..200 {
        commit(&db, i);
    }
    db.flush().unwrap();
    let start = Arc::new(Barrier::new(2));
    let writer = {
        let (db, start) = (db.clone(), start.clone());
        std::thread::spawn(move || {
            start.wait();
            for i in 200..400 {
                commit(&db, i);
            }
            db.flush().unwrap();
        })
    };
    start.wait();
    db.compact().unwrap();
    writer.join().unwrap();
    db.flush().unwrap();
    drop(db);
    assert_eq!(whole_prefix(&open(dir.path())), 400);
}

#[test]
fn the_store_compacts_by_itself_as_its_log_grows() {
    let dir = tempfile::tempdir().unwrap();
    let db = Config::new()
        .path(dir.path())
        .compact_after(64 << 10)
        .preallocate(1)
        .open()
        .unwrap();
    let t = db.open_tree("t").unwrap();
    // The same few keys written over and over: the log grows, the live data does not.
    for i in 0..2_000u32 {
        t.insert((i % 10).to_be_bytes(), vec![1u8; 200]).unwrap();
        db.flush().unwrap();
    }
    // The compaction runs on a thread of its own; one more, synchronous, waits for it.
    db.compact().unwrap();
    // A snapshot of 10 keys, the log (a spare recycled: zeros) and the spare: each below
    // the threshold and a flush, where 2,000 writes of 200 bytes logged 400 kB.
    assert!(
        db.size_on_disk().unwrap() < 3 * ((64 << 10) + 512),
        "{}",
        db.size_on_disk().unwrap()
    );
    drop((t, db));
    let db = open(dir.path());
    assert_eq!(db.open_tree("t").unwrap().len(), 10);
}

#[test]
fn files_a_compaction_cut_short_left_are_ignored_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = open(dir.path());
        for i in 0..5 {
            commit(&db, i);
        }
        db.compact().unwrap();
        commit(&db, 5);
        db.flush().unwrap();
    }
    // A log of the generation the snapshot replaced, and a snapshot half written.
    std::fs::write(dir.path().join("log-00000001"), b"garbage that is not read").unwrap();
    std::fs::write(dir.path().join("snap-00000003.tmp"), b"half").unwrap();
    let db = open(dir.path());
    assert_eq!(whole_prefix(&db), 6);
    assert!(!dir.path().join("log-00000001").exists());
    assert!(!dir.path().join("snap-00000003.tmp").exists());
}

#[test]
fn a_damaged_snapshot_or_older_log_stops_the_opening_naming_the_file_and_byte() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = open(dir.path());
        for i in 0..5 {
            commit(&db, i);
        }
        db.compact().unwrap();
    }
    let snap = dir.path().join("snap-00000002");
    let mut bytes = std::fs::read(&snap).unwrap();
    let n = bytes.len();
    bytes[n - 20] ^= 0x01;
    std::fs::write(&snap, &bytes).unwrap();
    match sportello_kv::open(dir.path()) {
        Err(Error::Corruption { at, .. }) => {
            assert!(at.contains("snap-00000002, byte "), "{at}")
        }
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("a damaged snapshot was read"),
    }
}

#[test]
fn ids_are_never_handed_out_twice_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let mut seen = std::collections::HashSet::new();
    for round in 0..3 {
        let db = open(dir.path());
        let t = db.open_tree("t").unwrap();
        for _ in 0..10 {
            let id = db.generate_id().unwrap();
            assert!(seen.insert(id), "id {id} twice (round {round})");
            t.insert(id.to_be_bytes(), vec![]).unwrap();
        }
        db.flush().unwrap();
        for _ in 0..10 {
            seen.insert(db.generate_id().unwrap());
        }
        // The last ids were used for nothing: they are not handed out again either.
    }
}

#[test]
fn a_second_opening_of_an_open_store_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    match sportello_kv::open(dir.path()) {
        Err(Error::Io(e)) => assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("opened twice"),
    }
    drop(db);
    open(dir.path());
}

#[test]
fn a_transaction_that_aborts_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let t = db.open_tree("t").unwrap();
    let r = t.transaction(|t| {
        t.insert(b"k", b"v".to_vec())?;
        sportello_kv::transaction::abort::<(), _>("no")
    });
    assert!(r.is_err());
    assert_eq!(t.get(b"k").unwrap(), None);
    db.flush().unwrap();
    drop((t, db));
    assert_eq!(open(dir.path()).open_tree("t").unwrap().len(), 0);
}

#[test]
fn iterators_see_the_range_in_order_both_ways_and_writes_behind_them() {
    let db = Config::new().temporary(true).open().unwrap();
    let t = db.open_tree("t").unwrap();
    for k in [b"a1", b"a2", b"a3", b"b1"] {
        t.insert(k, k.to_vec()).unwrap();
    }
    let keys =
        |it: sportello_kv::Iter| -> Vec<Vec<u8>> { it.map(|r| r.unwrap().0.to_vec()).collect() };
    assert_eq!(
        keys(t.scan_prefix(b"a")),
        vec![b"a1".to_vec(), b"a2".to_vec(), b"a3".to_vec()]
    );
    assert_eq!(
        t.range(&b"a2"[..]..)
            .rev()
            .map(|r| r.unwrap().0.to_vec())
            .collect::<Vec<_>>(),
        vec![b"b1".to_vec(), b"a3".to_vec(), b"a2".to_vec()]
    );
    let mut it = t.iter();
    assert_eq!(&*it.next().unwrap().unwrap().0, b"a1");
    t.insert(b"a15", b"x".to_vec()).unwrap();
    t.remove(b"a2").unwrap();
    assert_eq!(&*it.next().unwrap().unwrap().0, b"a15");
    assert_eq!(&*it.next().unwrap().unwrap().0, b"a3");
}

#[test]
fn a_batch_over_several_trees_is_one_record_whole_or_absent_at_every_cut() {
    let dir = tempfile::tempdir().unwrap();
    let before;
    {
        let db = open(dir.path());
        let (a, b) = (db.open_tree("a").unwrap(), db.open_tree("b").unwrap());
        a.insert(b"gone", b"x".to_vec()).unwrap();
        db.flush().unwrap();
        before = std::fs::metadata(the_log(dir.path())).unwrap().len() as usize;
        let mut batch = sportello_kv::Batch::default();
        batch.insert(&a, b"k", b"1".to_vec());
        batch.insert(&b, b"k", vec![2u8; 500]);
        batch.remove(&a, b"gone");
        batch.insert(&a, b"k", b"3".to_vec());
        db.apply_batch(batch).unwrap();
        assert_eq!(a.get(b"k").unwrap().as_deref(), Some(&b"3"[..]), "in order");
        db.flush().unwrap();
    }
    let full = std::fs::read(the_log(dir.path())).unwrap();
    let name = the_log(dir.path()).file_name().unwrap().to_owned();
    for cut in before..=full.len() {
        let copy = tempfile::tempdir().unwrap();
        std::fs::write(copy.path().join(&name), &full[..cut]).unwrap();
        let db = open(copy.path());
        let (a, b) = (db.open_tree("a").unwrap(), db.open_tree("b").unwrap());
        let whole = cut == full.len();
        assert_eq!(a.get(b"k").unwrap().is_some(), whole, "cut at {cut}");
        assert_eq!(b.get(b"k").unwrap().is_some(), whole, "cut at {cut}");
        assert_eq!(a.get(b"gone").unwrap().is_none(), whole, "cut at {cut}");
    }
}

#[test]
fn a_log_allocated_ahead_reads_to_its_last_record_and_goes_on_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let chunk = 64 * 1024;
    let open = |d: &Path| Config::new().path(d).preallocate(chunk).open().unwrap();
    {
        let db = open(dir.path());
        for i in 0..3 {
            commit(&db, i);
            db.flush().unwrap();
        }
        assert_eq!(std::fs::metadata(the_log(dir.path())).unwrap().len(), chunk);
    }
    {
        let db = open(dir.path());
        assert_eq!(whole_prefix(&db), 3);
        for i in 3..300 {
            commit(&db, i);
        }
        db.flush().unwrap();
        assert_eq!(
            std::fs::metadata(the_log(dir.path())).unwrap().len() % chunk,
            0
        );
    }
    // A record torn before the zeros: cut there, and what follows is written over it.
    let path = the_log(dir.path());
    let mut bytes = std::fs::read(&path).unwrap();
    let end = bytes.iter().rposition(|&b| b != 0).unwrap();
    bytes[end - 10] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let db = open(dir.path());
    assert_eq!(whole_prefix(&db), 299);
    commit(&db, 299);
    db.flush().unwrap();
    drop(db);
    assert_eq!(whole_prefix(&open(dir.path())), 300);
}

#[test]
fn a_full_sync_keeps_the_same_writes() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Config::new()
            .path(dir.path())
            .sync(sportello_kv::Sync::Full)
            .open()
            .unwrap();
        for i in 0..10 {
            commit(&db, i);
            db.flush().unwrap();
        }
    }
    assert_eq!(whole_prefix(&open(dir.path())), 10);
}

#[test]
fn a_log_made_ahead_and_never_written_is_removed_and_the_one_before_stays_the_last() {
    let dir = tempfile::tempdir().unwrap();
    committed(dir.path(), 4);
    // Killed while writing a record, once a compaction had made the next log ahead
    // (its magic, then zeros allocated).
    let path = the_log(dir.path());
    let mut bytes = std::fs::read(&path).unwrap();
    let whole = bytes.len();
    bytes.extend_from_slice(&[9, 0, 0, 0, 1, 2]);
    std::fs::write(&path, &bytes).unwrap();
    let name = path.file_name().unwrap().to_str().unwrap();
    let g: u64 = name["log-".len()..].parse().unwrap();
    let ahead = dir.path().join(format!("log-{:08}", g + 1));
    let mut made = b"SPKVLOG1".to_vec();
    made.extend_from_slice(&[0; 4096]);
    std::fs::write(&ahead, &made).unwrap();
    let db = open(dir.path());
    assert_eq!(whole_prefix(&db), 4);
    assert!(!ahead.exists(), "the empty log is still there");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), whole as u64);
    commit(&db, 4);
    db.flush().unwrap();
    drop(db);
    assert_eq!(whole_prefix(&open(dir.path())), 5);
}

#[test]
fn the_log_a_snapshot_replaced_becomes_the_next_log_and_its_old_records_never_return() {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| dir.path().join(name);
    // Room zeroed 4 KiB at a time, so that the recycled log's old records lie past it.
    let open4k = || {
        Config::new()
            .path(dir.path())
            .preallocate(4096)
            .open()
            .unwrap()
    };
    let db = open4k();
    for i in 0..100 {
        commit(&db, i);
    }
    db.flush().unwrap();
    db.compact().unwrap();
    let replaced = std::fs::metadata(file("log-spare")).unwrap().len();
    for i in 100..110 {
        commit(&db, i);
    }
    db.flush().unwrap();
    db.compact().unwrap();
    // Generation 3 writes into the spare: its size is kept, old records and all.
    let log = file("log-00000003");
    assert_eq!(std::fs::metadata(&log).unwrap().len(), replaced);
    let before = std::fs::read(&log).unwrap();
    // Its first 4 KiB zeroed before it became the log; the old records past them.
    assert!(before[8..8 + 4096].iter().all(|&b| b == 0));
    assert!(before[8 + 4096..].iter().any(|&b| b != 0));
    // Writes that outgrow the zeroed room: it is zeroed further over the old records.
    for i in 110..150 {
        commit(&db, i);
        db.flush().unwrap();
    }
    let after = std::fs::read(&log).unwrap();
    drop(db);
    let first = 8 + before[8..].iter().position(|&b| b != 0).unwrap();
    let end = 8 + after[8..].windows(8).position(|w| w == [0; 8]).unwrap();
    assert!(end > first, "the new records reach the old ones");
    // Killed at any point: the new records to there, then what the file held before.
    for cut in (8..=end).step_by(53).chain([end]) {
        let copy = tempfile::tempdir().unwrap();
        for name in ["snap-00000003", "log-00000003"] {
            std::fs::copy(file(name), copy.path().join(name)).unwrap();
        }
        let mut torn = after[..cut].to_vec();
        torn.extend_from_slice(&after[cut..end].iter().map(|_| 0).collect::<Vec<u8>>());
        torn.extend_from_slice(&after[end..]);
        std::fs::write(copy.path().join("log-00000003"), &torn).unwrap();
        let n = whole_prefix(&open(copy.path()));
        assert!((110..=150).contains(&n), "{n} at {cut}");
        if cut == end {
            assert_eq!(n, 150);
        }
    }
    // A spare a crash left is removed at opening, and not read.
    std::fs::write(file("log-spare"), &before).unwrap();
    assert_eq!(whole_prefix(&open4k()), 150);
    assert!(!file("log-spare").exists());
}
