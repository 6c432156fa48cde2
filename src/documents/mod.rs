//! The official documents of the calls: found in `knowledge/documents/<call-id>/`, read
//! ([`extract`]), cut into citable passages ([`split`]) and cached by content hash.
//!
//! A document that cannot be read is a warning, never a failure: the rest of the knowledge
//! loads and `sportello check` says which file and what to do. Extraction is the slow part,
//! so its result is cached under the SHA-256 of the file's bytes: a restart, or a reload
//! after another file changed, reads only what is new. A missing or unwritable cache only
//! costs time.

pub mod extract;
pub mod split;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use crate::knowledge::documents::{Format, OfficialDocument, Passage};
use crate::knowledge::{CallId, Knowledge, KnowledgeError};
pub use extract::{Extracted, Problem};

/// Longest document id: `1|p|<call ≤ 32>|<doc>|<passage ≤ 5 digits>` must fit 64 bytes.
pub const MAX_DOCUMENT_ID: usize = 20;
/// The folder of `knowledge/` holding the documents.
pub const FOLDER: &str = "documents";
/// The optional file, in a call's document folder, giving documents their citation titles.
pub const TITLES_FILE: &str = "titles.toml";
/// Bumped when extraction changes, so that cached results of an older extractor are not used.
const EXTRACTOR_VERSION: u32 = 1;

/// An id from a file name: lower-case ASCII words joined by `-`, at most [`MAX_DOCUMENT_ID`].
fn slug(stem: &str) -> String {
    let folded = crate::fold::fold_str(stem);
    let mut s = String::new();
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    let mut s: String = s.chars().take(MAX_DOCUMENT_ID).collect();
    while s.ends_with('-') {
        s.pop();
    }
    if s.is_empty() { "doc".into() } else { s }
}

/// A citation title from a file name: `linee-guida_2019.pdf` → "Linee guida 2019".
fn title_from(stem: &str) -> String {
    let t = stem.replace(['-', '_'], " ");
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut c = t.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => stem.to_string(),
    }
}

/// Where extraction results are cached.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: Option<PathBuf>,
}

impl Cache {
    pub fn new(dir: Option<PathBuf>) -> Cache {
        Cache { dir }
    }

    fn path(&self, hash: &str) -> Option<PathBuf> {
        Some(
            self.dir
                .as_ref()?
                .join(format!("{hash}-v{EXTRACTOR_VERSION}.json")),
        )
    }

    fn get(&self, hash: &str) -> Option<Extracted> {
        let bytes = std::fs::read(self.path(hash)?).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Writes atomically (temporary file, then rename); failures are only logged.
    fn put(&self, hash: &str, e: &Extracted) {
        let Some(path) = self.path(hash) else { return };
        let write = || -> std::io::Result<()> {
            let dir = path.parent().expect("cache file has a folder");
            std::fs::create_dir_all(dir)?;
            // Unique per process and write: two equal files may be extracted at once.
            static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let tmp = dir.join(format!(".{hash}.{}.{n}.tmp", std::process::id()));
            std::fs::write(&tmp, serde_json::to_vec(e).map_err(std::io::Error::other)?)?;
            std::fs::rename(&tmp, &path)
        };
        if let Err(err) = write() {
            tracing::warn!("document cache {}: {err}", path.display());
        }
    }
}

/// One file to read.
struct Job {
    call: CallId,
    file: PathBuf,
    format: Format,
    title: String,
    id: String,
}

/// How long reading one document may take before it is left out with a warning.
pub const BUDGET: std::time::Duration = std::time::Duration::from_secs(60);

/// Reads every document of `knowledge/documents/`; returns the documents read and a warning
/// for each file or folder that could not be used.
pub fn load(k: &Knowledge, cache: &Cache) -> (Vec<OfficialDocument>, Vec<KnowledgeError>) {
    load_within(k, cache, BUDGET)
}

/// [`load`], with a time budget per document: a document whose text is not out within
/// `budget` is a warning like an unreadable one (its reader is left to finish on its own
/// thread; nothing waits for it).
pub fn load_within(
    k: &Knowledge,
    cache: &Cache,
    budget: std::time::Duration,
) -> (Vec<OfficialDocument>, Vec<KnowledgeError>) {
    let root = k.dir.join(FOLDER);
    let mut warnings = Vec::new();
    let warn = |w: &mut Vec<KnowledgeError>, file: &Path, message: String| {
        w.push(KnowledgeError {
            file: file.to_path_buf(),
            line: 0,
            message,
        })
    };
    let Ok(entries) = std::fs::read_dir(&root) else {
        return (Vec::new(), warnings);
    };
    let mut folders: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    folders.sort();
    let mut jobs = Vec::new();
    for folder in folders {
        let name = folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        if !folder.is_dir() {
            warn(
                &mut warnings,
                &folder,
                "not in a call's folder: move it to documents/<call-id>/".into(),
            );
            continue;
        }
        let Some(call) = k.call(&name) else {
            warn(
                &mut warnings,
                &folder,
                format!("no call has the id «{name}»: name the folder after a call in calls/"),
            );
            continue;
        };
        let titles = read_titles(&folder, &mut warnings);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        let mut ids = HashSet::new();
        let mut named = HashSet::new();
        for file in files {
            let fname = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if fname.starts_with('.') || fname == TITLES_FILE {
                continue;
            }
            let Some(format) = Format::of(&file) else {
                let ext = file
                    .extension()
                    .map(|e| e.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "(none)".into());
                warn(&mut warnings, &file, Problem::Unsupported(ext).advice());
                continue;
            };
            let stem = file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut id = slug(&stem);
            let mut n = 2;
            while !ids.insert(id.clone()) {
                let suffix = format!("-{n}");
                let base: String = slug(&stem)
                    .chars()
                    .take(MAX_DOCUMENT_ID - suffix.len())
                    .collect();
                id = format!("{}{suffix}", base.trim_end_matches('-'));
                n += 1;
            }
            named.insert(fname.clone());
            jobs.push(Job {
                call: call.id.clone(),
                title: titles
                    .get(&fname)
                    .cloned()
                    .unwrap_or_else(|| title_from(&stem)),
                file,
                format,
                id,
            });
        }
        for listed in titles.keys().filter(|t| !named.contains(*t)) {
            warn(
                &mut warnings,
                &folder.join(TITLES_FILE),
                format!("«{listed}» is not a document in this folder"),
            );
        }
    }
    let results = run_jobs(&jobs, cache, budget);
    let mut docs = Vec::new();
    for (job, result) in jobs.into_iter().zip(results) {
        match result {
            Ok(e) => {
                let passages = split::split(&e.pages, e.paged);
                if passages.is_empty() {
                    warn(
                        &mut warnings,
                        &job.file,
                        "no text found in the document: check that it is the right file".into(),
                    );
                    continue;
                }
                docs.push(OfficialDocument {
                    call: job.call,
                    id: job.id,
                    title: job.title,
                    file: job.file,
                    format: job.format,
                    passages,
                });
            }
            Err(p) => warn(&mut warnings, &job.file, p.advice()),
        }
    }
    (docs, warnings)
}

/// Extracts the jobs' files on all cores (extraction is CPU-bound, files are independent).
fn run_jobs(
    jobs: &[Job],
    cache: &Cache,
    budget: std::time::Duration,
) -> Vec<Result<Extracted, Problem>> {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8)
        .min(jobs.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<Option<Result<Extracted, Problem>>> = vec![None; jobs.len()];
    let done = std::sync::Mutex::new(&mut results);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    let r = read_one(job, cache, budget);
                    done.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
                }
            });
        }
    });
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(Problem::Corrupt("not read".into()))))
        .collect()
}

fn read_one(job: &Job, cache: &Cache, budget: std::time::Duration) -> Result<Extracted, Problem> {
    let bytes = std::fs::read(&job.file).map_err(|e| Problem::Corrupt(e.to_string()))?;
    let hash = format!("{:x}", Sha256::digest(&bytes));
    let e = match cache.get(&hash) {
        Some(e) => e,
        None => {
            let e = extract_within(job.format, bytes, budget)?;
            cache.put(&hash, &e);
            e
        }
    };
    extract::usable(job.format, e)
}

/// Extracts on a thread of its own and waits at most `budget`: a file that takes longer
/// (a pathological PDF) cannot hold up the rest of the knowledge.
fn extract_within(
    format: Format,
    bytes: Vec<u8>,
    budget: std::time::Duration,
) -> Result<Extracted, Problem> {
    within(budget, move || extract::raw(format, &bytes))
}

/// Runs `work` on a thread of its own and waits for it at most `budget`. A thread cannot
/// be stopped from outside, so one over budget is left to finish; its result is dropped.
fn within<T: Send + 'static>(
    budget: std::time::Duration,
    work: impl FnOnce() -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("document".into())
        .spawn(move || {
            let _ = tx.send(work());
        });
    if let Err(e) = spawned {
        return Err(Problem::Corrupt(format!("no thread to read it: {e}")));
    }
    match rx.recv_timeout(budget) {
        Ok(r) => r,
        Err(_) => Err(Problem::TooSlow(budget.as_secs())),
    }
}

fn read_titles(folder: &Path, warnings: &mut Vec<KnowledgeError>) -> HashMap<String, String> {
    let path = folder.join(TITLES_FILE);
    let Ok(src) = std::fs::read_to_string(&path) else {
        return HashMap::new();
    };
    match toml::from_str::<HashMap<String, String>>(&src) {
        Ok(m) => m,
        Err(e) => {
            let line = e
                .span()
                .map(|s| src[..s.start].matches('\n').count() + 1)
                .unwrap_or(0);
            warnings.push(KnowledgeError {
                file: path,
                line,
                message: format!(
                    "{} (expected lines like \"bando.pdf\" = \"Bando\"); file names are used as titles",
                    e.message().trim()
                ),
            });
            HashMap::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_titles_from_file_names() {
        assert_eq!(slug("Linee guida_2019 (v2)"), "linee-guida-2019-v2");
        assert_eq!(slug("Bando è Più"), "bando-e-piu");
        assert_eq!(slug("!!!"), "doc");
        assert!(slug(&"allegato".repeat(10)).len() <= MAX_DOCUMENT_ID);
        assert_eq!(title_from("linee-guida_2019"), "Linee guida 2019");
        assert_eq!(title_from("bando"), "Bando");
    }

    #[test]
    fn a_document_over_its_time_budget_is_a_warning_like_an_unreadable_one() {
        // A reader that never finishes (it waits for a signal that comes only after).
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let slow = within(std::time::Duration::from_millis(20), move || {
            let _ = wait.recv();
            Ok(())
        });
        assert_eq!(slow, Err(Problem::TooSlow(0)));
        drop(release);
        let p = Problem::TooSlow(60);
        assert!(p.advice().contains("more than 60 s"), "{}", p.advice());
        let ok = extract_within(
            Format::Text,
            "testo".into(),
            std::time::Duration::from_secs(30),
        );
        assert!(ok.is_ok());
    }

    #[test]
    fn formats_by_extension() {
        assert_eq!(Format::of(Path::new("a/B.PDF")), Some(Format::Pdf));
        assert_eq!(Format::of(Path::new("a.htm")), Some(Format::Html));
        assert_eq!(Format::of(Path::new("a.doc")), None);
        assert_eq!(Format::of(Path::new("a")), None);
    }
}
