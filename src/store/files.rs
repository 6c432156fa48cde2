//! The data directory is private: `0700`, every file in it `0600`, whoever created it.
//!
//! Sessions hold names, questions and eligibility answers, so no other local account
//! may read them. A backend calls [`make_private`] when it opens its directory: it sets
//! the process's umask to `077` (files a backend creates later, such as the embedded
//! store's logs and snapshots, are private from the start; other files the process
//! writes are too) and fixes the modes of what is already there (a directory created by
//! an older version).

use std::io;
use std::path::{Path, PathBuf};

/// Mode of the data directory and of every directory in it.
pub const DIR_MODE: u32 = 0o700;
/// Mode of every file in the data directory.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` if needed and makes it and everything in it private (see module doc).
pub fn make_private(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        // SAFETY: umask only swaps the process's file mode mask; it cannot fail.
        unsafe {
            libc::umask(0o077);
        }
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(dir)?;
        for (path, is_dir, mode) in modes(dir)? {
            let want = if is_dir { DIR_MODE } else { FILE_MODE };
            if mode != want {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(want))?;
            }
        }
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)?;
    Ok(())
}

/// `dir` and everything under it: (path, is a directory, permission bits).
pub fn modes(dir: &Path) -> io::Result<Vec<(PathBuf, bool, u32)>> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        out.push((d.clone(), true, mode_of(&std::fs::metadata(&d)?)));
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let meta = entry.metadata()?;
            if meta.is_dir() {
                todo.push(entry.path());
            } else {
                out.push((entry.path(), false, mode_of(&meta)));
            }
        }
    }
    Ok(out)
}

#[cfg(unix)]
fn mode_of(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o777
}

#[cfg(not(unix))]
fn mode_of(_: &std::fs::Metadata) -> u32 {
    0
}
