//! The data directory is private whoever made it: `0700`, files `0600`, also for files
//! the embedded backend creates after it opened (large values go to blob files).
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;

use jiff::Timestamp;
use sportello::store::files::{DIR_MODE, FILE_MODE, modes};
use sportello::store::{AskedQuestion, Commit, Revision, Store, UserId};

#[tokio::test]
async fn the_data_dir_and_every_file_in_it_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // A directory made by an older version under the usual umask.
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let stray = data.join("notes.txt");
    std::fs::write(&stray, "x").unwrap();
    std::fs::set_permissions(&stray, std::fs::Permissions::from_mode(0o644)).unwrap();
    {
        let st = Store::open(&data, 8).unwrap();
        for i in 0..50 {
            let mut c = Commit::new();
            // Some values large enough to be kept in blob files, created now.
            let size = if i % 10 == 0 { 200_000 } else { 100 };
            c.session(
                UserId(i),
                Revision(None),
                Some(vec![b'x'; size]),
                Timestamp::now(),
            );
            st.commit(&c).await.unwrap();
        }
        // The question log's folder and its day's file, made after opening too.
        let mut c = Commit::new();
        c.log_question(
            Some(UserId(1)),
            AskedQuestion {
                at: Timestamp::now(),
                question: "chi può partecipare?".into(),
                best: None,
                confident: false,
            },
        );
        st.commit(&c).await.unwrap();
        st.flush().await.unwrap();
    }
    let all = modes(&data).unwrap();
    let files = all.iter().filter(|(_, d, _)| !d).count();
    assert!(files >= 3, "sled's files and ours: {all:?}");
    assert!(
        all.iter().any(|(p, d, _)| *d && p != &data),
        "a subdirectory (blobs) was made after opening: {all:?}"
    );
    assert!(
        all.iter()
            .any(|(p, d, _)| !d && p.parent().is_some_and(|q| q.ends_with("questions"))),
        "a file of the question log: {all:?}"
    );
    for (path, is_dir, mode) in all {
        let want = if is_dir { DIR_MODE } else { FILE_MODE };
        assert_eq!(mode, want, "{} is {mode:o}", path.display());
    }
}
