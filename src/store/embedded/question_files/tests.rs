//! Tests of the question log's files: records by day, damage, purges, frozen views.

use super::*;

const D: i64 = 20_000; // a day number: 2024-10-04

fn at(day: i64, second: i64) -> i64 {
    day * DAY + second
}

/// The entries asked since `since`, in the order read back.
fn entries(q: &QuestionFiles, since: i64) -> Vec<Vec<u8>> {
    q.since(since)
        .unwrap()
        .into_iter()
        .map(|(_, v)| v)
        .collect()
}

#[test]
fn records_come_back_by_time_across_days_and_a_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let q = QuestionFiles::open(dir.path()).unwrap();
    q.append(at(D, 10), b"primo").unwrap();
    q.append(at(D + 1, 5), b"secondo").unwrap();
    q.append(at(D + 1, 7), b"terzo").unwrap();
    drop(q);
    let q = QuestionFiles::open(dir.path()).unwrap();
    q.append(at(D + 1, 9), b"quarto").unwrap();
    let all: Vec<_> = q.since(i64::MIN).unwrap();
    let texts: Vec<&[u8]> = all.iter().map(|(_, v)| v.as_slice()).collect();
    assert_eq!(
        texts,
        [&b"primo"[..], b"secondo", b"terzo", b"quarto"],
        "oldest first"
    );
    assert_eq!(all[1].0, at(D + 1, 5));
    // A start within a day: that day's earlier records are left out, not the file.
    let later: Vec<_> = q.since(at(D + 1, 6)).unwrap();
    assert_eq!(later.len(), 2);
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["2024-10-04.log", "2024-10-05.log"]);
}

#[test]
fn a_damaged_tail_is_cut_off_before_the_next_append_and_skipped_by_readers() {
    let dir = tempfile::tempdir().unwrap();
    let q = QuestionFiles::open(dir.path()).unwrap();
    q.append(at(D, 1), b"intero").unwrap();
    drop(q);
    let path = dir.path().join("2024-10-04.log");
    let whole = std::fs::metadata(&path).unwrap().len();
    // Half a record, as a power cut during its write leaves it.
    let half = &encode(at(D, 2), b"a meta")[..11];
    let mut f = OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(half).unwrap();
    drop(f);
    let q = QuestionFiles::open(dir.path()).unwrap();
    assert_eq!(
        q.since(i64::MIN).unwrap().len(),
        1,
        "a reader stops before it"
    );
    q.append(at(D, 3), b"dopo").unwrap();
    let texts = entries(&q, i64::MIN);
    assert_eq!(texts, [b"intero".to_vec(), b"dopo".to_vec()]);
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        whole + encode(0, b"dopo").len() as u64,
        "the half record is gone"
    );
}

#[test]
fn a_failed_append_is_reported_and_leaves_the_file_whole() {
    let dir = tempfile::tempdir().unwrap();
    let q = QuestionFiles::open(dir.path()).unwrap();
    q.append(at(D, 1), b"prima").unwrap();
    q.fail_appends(D);
    assert!(q.append(at(D, 2), b"persa").is_err());
    drop(q);
    let q = QuestionFiles::open(dir.path()).unwrap();
    q.append(at(D, 3), b"dopo").unwrap();
    let texts = entries(&q, i64::MIN);
    assert_eq!(texts, [b"prima".to_vec(), b"dopo".to_vec()]);
}

#[test]
fn a_record_that_does_not_check_ends_what_is_read() {
    let mut bytes = encode(5, b"uno");
    let second = encode(6, b"due");
    let mut bad = second.clone();
    *bad.last_mut().unwrap() ^= 1;
    bytes.extend(&bad);
    bytes.extend(encode(7, b"tre"));
    let (found, end) = records(&bytes);
    assert_eq!(found, [(5, &b"uno"[..])]);
    assert_eq!(end, encode(5, b"uno").len());
    // A length past the rest, or absurd, ends it too.
    let mut long = encode(5, b"uno");
    long[..4].copy_from_slice(&(u32::MAX).to_le_bytes());
    assert_eq!(records(&long), (vec![], 0));
    assert_eq!(records(&second[..HEADER + 3]), (vec![], 0));
}

#[test]
fn a_purge_deletes_old_days_and_rewrites_the_day_it_cuts() {
    let dir = tempfile::tempdir().unwrap();
    let q = QuestionFiles::open(dir.path()).unwrap();
    for (day, s, text) in [
        (D - 3, 0, "a"),
        (D - 1, 50, "b"),
        (D + 2, 0, "e"),
        (D, 10, "c"),
        (D, 30, "d"),
    ] {
        q.append(at(day, s), text.as_bytes()).unwrap();
    }
    let moved = q.write_moved(&[
        (at(D - 10, 0), b"m1".to_vec()),
        (at(D + 1, 0), b"m2".to_vec()),
    ]);
    assert!(moved.unwrap().starts_with("moved-"));
    assert_eq!(q.purge(at(D, 20)).unwrap(), 4, "a, b, c and m1");
    let left = entries(&q, i64::MIN);
    assert_eq!(left, [b"d".to_vec(), b"m2".to_vec(), b"e".to_vec()]);
    assert!(!dir.path().join("2024-10-01.log").exists());
    assert!(!dir.path().join("2024-10-03.log").exists());
    assert_eq!(q.moved().unwrap(), [b"m2".to_vec()]);
    // The day cut was the one appended to: appends go on after its rewrite.
    q.append(at(D, 40), b"f").unwrap();
    assert_eq!(q.purge(at(D, 20)).unwrap(), 0, "nothing more");
    let day = entries(&q, at(D, 0));
    assert_eq!(
        day,
        [b"d".to_vec(), b"f".to_vec(), b"m2".to_vec(), b"e".to_vec()]
    );
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let e = e.unwrap();
        assert!(!e.file_name().to_string_lossy().ends_with(".tmp"));
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            e.metadata().unwrap().permissions().mode() & 0o777,
            FILE_MODE
        );
    }
}

#[test]
fn file_names_are_dates_and_other_files_are_not_the_logs() {
    assert_eq!(day_file(D), "2024-10-04.log");
    assert_eq!(kind_of("2024-10-04.log"), Some(Kind::Day(D)));
    assert_eq!(kind_of("1969-12-31.log"), Some(Kind::Day(-1)));
    assert_eq!(kind_of("moved-123.log"), Some(Kind::Moved));
    for other in ["2024-10-04.tmp", "notes.log", "2024-13-01.log", "LOCK"] {
        assert_eq!(kind_of(other), None, "{other}");
    }
}

#[test]
fn a_temporary_log_goes_with_its_last_handle() {
    let q = QuestionFiles::temporary();
    let dir = q.dir.clone();
    assert!(!dir.exists(), "made at the first append");
    assert!(q.since(i64::MIN).unwrap().is_empty());
    assert!(q.is_empty().unwrap());
    assert_eq!(q.purge(i64::MAX).unwrap(), 0);
    q.append(1, b"x").unwrap();
    assert!(dir.exists());
    assert!(!q.is_empty().unwrap());
    drop(q);
    assert!(!dir.exists());
}

#[test]
fn a_frozen_view_reads_the_log_as_it_stood_and_a_purge_waits_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let q = Arc::new(QuestionFiles::open(dir.path()).unwrap());
    q.append(at(D - 2, 1), b"vecchia").unwrap();
    q.append(at(D, 1), b"prima").unwrap();
    let frozen = q.frozen().unwrap();
    // Appends go on: to the day's file past its noted length, and to a new day.
    q.append(at(D, 2), b"dopo").unwrap();
    q.append(at(D + 1, 1), b"domani").unwrap();
    let texts =
        |f: &Frozen| -> Vec<Vec<u8>> { f.records().unwrap().into_iter().map(|(_, v)| v).collect() };
    assert_eq!(texts(&frozen), [b"vecchia".to_vec(), b"prima".to_vec()]);
    let purging = {
        let q = q.clone();
        std::thread::spawn(move || q.purge(at(D + 2, 0)).unwrap())
    };
    while q.waiting.load(Ordering::SeqCst) == 0 && !purging.is_finished() {
        std::thread::yield_now();
    }
    assert!(!purging.is_finished(), "the purge waits for the view");
    assert_eq!(texts(&frozen), [b"vecchia".to_vec(), b"prima".to_vec()]);
    drop(frozen);
    assert_eq!(purging.join().unwrap(), 4, "then purges everything");
    assert!(q.since(i64::MIN).unwrap().is_empty());
}
