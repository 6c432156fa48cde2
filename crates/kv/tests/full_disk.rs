//! A full disk: once a write of the log fails, the store takes no more writes (nothing
//! is ever appended after a record that may be torn), and every write flushed before
//! the failure is there when the directory is opened again with room on the disk.
//!
//! The test binary runs itself as a child whose files may not grow past a limit
//! (`RLIMIT_FSIZE`: a write past it fails with `EFBIG`, as a full disk fails with
//! `ENOSPC`).

use std::process::Command;

use sportello_kv::Error;

const CHILD: &str = "SPORTELLO_KV_FULL_DISK_CHILD";
/// The largest file the child may write.
const LIMIT: u64 = 64 * 1024;

/// The child: one write and one flush after another until a flush fails; then a write
/// and a flush that must be refused.
#[test]
fn child_writes_until_the_disk_is_full() {
    let Ok(dir) = std::env::var(CHILD) else {
        return; // Not the child: nothing to do.
    };
    let lim = libc::rlimit {
        rlim_cur: LIMIT,
        rlim_max: LIMIT,
    };
    // SAFETY: plain system calls on this process, with a valid rlimit.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &lim), 0);
    }
    // Allocated ahead a little at a time, so that the limit is met by records.
    let db = sportello_kv::Config::new()
        .path(&dir)
        .preallocate(4096)
        .open()
        .unwrap();
    let t = db.open_tree("t").unwrap();
    for i in 0u32.. {
        t.insert(i.to_be_bytes(), vec![1u8; 1000]).unwrap();
        match db.flush() {
            Ok(_) => println!("flushed {i}"),
            Err(e) => {
                println!("failed: {e}");
                break;
            }
        }
    }
    assert!(matches!(
        t.insert(b"after", b"x".to_vec()),
        Err(Error::Failed(_))
    ));
    assert!(matches!(db.flush(), Err(Error::Failed(_))));
    println!("refused");
}

#[test]
fn a_failed_write_stops_the_store_and_what_was_flushed_is_there_after() {
    if std::env::var(CHILD).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_writes_until_the_disk_is_full",
            "--nocapture",
        ])
        .env(CHILD, dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let flushed: u32 = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("flushed "))
        .next_back()
        .expect("nothing was flushed")
        .parse()
        .unwrap();
    assert!(
        stdout.contains("failed: ") && stdout.contains("File too large"),
        "{stdout}"
    );
    assert!(stdout.contains("refused"), "{stdout}");

    // Room on the disk again: every flushed write is there, and the store writes on.
    let db = sportello_kv::open(dir.path()).unwrap();
    let t = db.open_tree("t").unwrap();
    for i in 0..=flushed {
        assert!(t.get(i.to_be_bytes()).unwrap().is_some(), "write {i} lost");
    }
    assert_eq!(t.get(b"after").unwrap(), None);
    t.insert(b"after", b"x".to_vec()).unwrap();
    db.flush().unwrap();
    drop((t, db));
    let db = sportello_kv::open(dir.path()).unwrap();
    assert!(db.open_tree("t").unwrap().get(b"after").unwrap().is_some());
}
