//! Raw-byte scans of a data directory: what an erased user left on disk, in any file,
//! old versions included (the erasure tests of the help desk and of profile alerts).

use std::path::Path;

/// Occurrences of each needle in every file under `dir`, old versions and all.
pub fn residue(dir: &Path, needles: &[(&str, Vec<u8>)]) -> Vec<(String, usize)> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                files.push(std::fs::read(&p).unwrap());
            }
        }
    }
    needles
        .iter()
        .map(|(name, n)| {
            let count = files
                .iter()
                .map(|f| f.windows(n.len()).filter(|w| w == n).count())
                .sum();
            (name.to_string(), count)
        })
        .collect()
}
