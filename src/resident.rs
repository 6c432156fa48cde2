//! Letting go of the executable's pages that loading mapped and the bot no longer runs.
//!
//! The kernel maps a page of the executable into the process when code or constant data on
//! it is first used, together with its neighbours already in the page cache (fault-around,
//! 64 KiB), and keeps it mapped until the process ends. Loading the knowledge (the TOML,
//! HTML and PDF readers, the index's and the learned decision's builders), reading the
//! configuration and opening the store run code that the bot does not run again while it
//! answers, so those pages stayed in its resident set: about 20 of the 27 MiB idle and 21
//! of the 49 MiB of a burst's peak were the executable's own pages (BENCHMARKS.md, «Main
//! after perf7, and where the idle and peak RSS go», «The executable's pages let go of
//! after loading»).
//!
//! [`release_code`] asks the kernel (`madvise(MADV_DONTNEED)`) to unmap the executable's
//! pages that are read-only and were never written: its code and its read-only constants.
//! What the bot then runs is mapped again at its first use, from the page cache (a minor
//! fault, no disk read while the file is cached), so the resident set holds what answering
//! uses, not what loading used. The page cache itself is the kernel's to keep or reclaim,
//! as for any file read once.
//!
//! Why this is safe: only private mappings of the executable file itself are touched that
//! are not writable and hold no private copy of a page (`Anonymous` of `/proc/self/smaps`
//! is 0: a page of a private file mapping that was ever written is an anonymous copy).
//! For such a mapping `MADV_DONTNEED` only drops page-table entries: every page reads back
//! from the file (its page cache) exactly as it was. (`Private_Dirty` is no guide: a file
//! just written, such as a binary just built or installed, has dirty page-cache pages that
//! count there while still being the file's own.) The relocated
//! read-only data (`.data.rel.ro`, written by the loader before being made read-only) has
//! private pages and is left alone; so are the heap, the stacks and every library.

/// A range of the address space to let go of: start and length in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub start: usize,
    pub len: usize,
}

/// The mappings in `smaps` (the text of `/proc/self/smaps`) of the file `exe` that may be
/// let go of: private, not writable, with no anonymous page. A mapping whose `Anonymous`
/// counter is missing is not one.
pub fn releasable(smaps: &str, exe: &str) -> Vec<Range> {
    let mut out = Vec::new();
    // The mapping being read, if it is a candidate so far, and its anonymous kB.
    let mut current: Option<(Range, Option<u64>)> = None;
    fn finish(c: Option<(Range, Option<u64>)>, out: &mut Vec<Range>) {
        if let Some((r, Some(0))) = c {
            out.push(r);
        }
    }
    for line in smaps.lines() {
        if let Some(head) = header(line) {
            finish(current.take(), &mut out);
            current = head
                .filter(|h| h.path == exe && !h.writable && h.private)
                .map(|h| (h.range, None));
        } else if let Some((_, anon)) = current.as_mut()
            && let Some(v) = counter(line, "Anonymous:")
        {
            *anon = Some(v);
        }
    }
    finish(current, &mut out);
    out
}

/// A mapping's first line in `smaps`.
struct Header<'a> {
    range: Range,
    writable: bool,
    private: bool,
    path: &'a str,
}

/// `Some(Some(h))` for a mapping's first line (`start-end perms offset dev inode path`),
/// `Some(None)` for one that cannot be read as such, `None` for a counter's line.
fn header(line: &str) -> Option<Option<Header<'_>>> {
    let (range, rest) = line.split_once(' ')?;
    let (lo, hi) = range.split_once('-')?;
    if lo.is_empty() || !lo.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let (Ok(lo), Ok(hi)) = (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16)) else {
        return Some(None);
    };
    let mut fields = rest.splitn(5, ' ');
    let perms = fields.next().unwrap_or("").as_bytes();
    let path = fields.nth(3).unwrap_or("").trim_start();
    if perms.len() < 4 || hi <= lo {
        return Some(None);
    }
    Some(Some(Header {
        range: Range {
            start: lo,
            len: hi - lo,
        },
        writable: perms[1] == b'w',
        private: perms[3] == b'p',
        path,
    }))
}

/// The value in kB of the counter `name` if `line` is its line.
fn counter(line: &str, name: &str) -> Option<u64> {
    line.strip_prefix(name)?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()
}

/// Lets go of the executable's read-only pages (see the module's note); returns how many
/// bytes of address space were let go of. Anything that cannot be read or done is
/// reported and skipped: the bot runs the same, only with those pages still mapped.
#[cfg(target_os = "linux")]
pub fn release_code() -> usize {
    let exe = match std::fs::read_link("/proc/self/exe") {
        Ok(p) => p.to_string_lossy().into_owned(),
        Err(e) => {
            tracing::debug!("executable's pages kept: {e}");
            return 0;
        }
    };
    let smaps = match std::fs::read_to_string("/proc/self/smaps") {
        Ok(s) => s,
        Err(e) => {
            tracing::debug!("executable's pages kept: {e}");
            return 0;
        }
    };
    let mut released = 0;
    for r in releasable(&smaps, &exe) {
        // SAFETY: `r` is a whole private mapping of the executable file that is not
        // writable and holds no anonymous page, no private copy (checked just above
        // from the kernel's own account), so MADV_DONTNEED only unmaps pages whose content
        // reads back identical from the file: no memory changes value for any reader.
        let rc = unsafe { libc::madvise(r.start as *mut libc::c_void, r.len, libc::MADV_DONTNEED) };
        if rc == 0 {
            released += r.len;
        } else {
            tracing::debug!(
                "executable's pages kept: {}",
                std::io::Error::last_os_error()
            );
        }
    }
    released
}

/// Elsewhere nothing is let go of.
#[cfg(not(target_os = "linux"))]
pub fn release_code() -> usize {
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXE: &str = "/opt/sportello/bin/sportello";

    fn smaps() -> String {
        let map = |head: &str, anon: u64, dirty: u64| {
            format!(
                "{head}\nSize:  100 kB\nRss:  40 kB\nPrivate_Dirty:  {dirty} kB\nAnonymous:  {anon} kB\nVmFlags: rd mr\n"
            )
        };
        [
            // A binary just installed: its page-cache pages are still dirty.
            map(
                "55f4e8fc1000-55f4e9582000 r--p 00000000 fd:00 1234     /opt/sportello/bin/sportello",
                0,
                5312,
            ),
            map(
                "55f4e9582000-55f4ea805000 r-xp 005c0000 fd:00 1234     /opt/sportello/bin/sportello",
                0,
                0,
            ),
            // .data.rel.ro: relocated by the loader, then made read-only.
            map(
                "55f4ea805000-55f4ea91b000 r--p 01843000 fd:00 1234     /opt/sportello/bin/sportello",
                1112,
                1112,
            ),
            map(
                "55f4ea91b000-55f4ea91e000 rw-p 01959000 fd:00 1234     /opt/sportello/bin/sportello",
                12,
                12,
            ),
            map("55f4ea91e000-55f4eab20000 rw-p 00000000 00:00 0 ", 300, 300),
            map(
                "7f0000000000-7f0000100000 r-xp 00028000 fd:00 99       /usr/lib/x86_64-linux-gnu/libc.so.6",
                0,
                0,
            ),
            map(
                "7f0000200000-7f0000300000 r-xp 00000000 fd:00 1235     /opt/sportello/bin/sportello-old (deleted)",
                0,
                0,
            ),
            map(
                "7f0000400000-7f0000500000 r--s 00000000 fd:00 1234     /opt/sportello/bin/sportello",
                0,
                0,
            ),
        ]
        .concat()
    }

    #[test]
    fn only_the_executables_unwritten_read_only_mappings() {
        assert_eq!(
            releasable(&smaps(), EXE),
            vec![
                Range {
                    start: 0x55f4e8fc1000,
                    len: 0x55f4e9582000 - 0x55f4e8fc1000
                },
                Range {
                    start: 0x55f4e9582000,
                    len: 0x55f4ea805000 - 0x55f4e9582000
                },
            ]
        );
    }

    #[test]
    fn a_mapping_without_its_anonymous_count_or_with_a_private_copy_is_kept() {
        let s = "55f4e9582000-55f4ea805000 r-xp 005c0000 fd:00 1234     /opt/sportello/bin/sportello\nRss: 4 kB\n\
                 55f4ea805000-55f4ea91b000 r--p 01843000 fd:00 1234     /opt/sportello/bin/sportello\nAnonymous: 4 kB\n";
        assert!(releasable(s, EXE).is_empty());
    }

    #[test]
    fn a_path_with_spaces_is_read_whole() {
        let s = "1000-3000 r-xp 00000000 fd:00 7     /srv/my bot/sportello\nPrivate_Dirty: 0 kB\nAnonymous: 0 kB\n";
        assert_eq!(
            releasable(s, "/srv/my bot/sportello"),
            vec![Range {
                start: 0x1000,
                len: 0x2000
            }]
        );
        assert!(releasable(s, "/srv/my").is_empty());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_running_test_lets_go_of_its_code_and_keeps_running() {
        // This test binary's own code: let go of, then run again (this very function).
        let released = release_code();
        assert!(released > 0, "a test binary has read-only pages of its own");
        assert_eq!(releasable("", EXE), vec![]);
        assert_eq!(counter("Anonymous:      12 kB", "Anonymous:"), Some(12));
    }
}
