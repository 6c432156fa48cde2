//! The process's resident memory: how glibc's allocator is told to keep it small.
//!
//! glibc gives every thread that allocates its own arena (up to eight per core), and
//! memory freed in one arena is kept there for that arena's next allocations. A bot whose
//! allocations hop between the runtime's workers, sled's threads and the blocking pool
//! holds many half-empty arenas after a burst. [`limit_arenas`] caps them at two before
//! any thread starts; [`release`] gives free pages back to the system after work that
//! allocates a lot for a short time (building the knowledge and its index, a burst of
//! updates). Both are no-ops where the C library is not glibc. The figures behind the
//! settings are in BENCHMARKS.md ("Memory").

/// Arenas glibc may create: two serve the two runtime workers without contention on the
/// project's 2-core machines; more cost memory, not speed (BENCHMARKS.md).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const ARENAS: libc::c_int = 2;

/// Caps glibc's arenas. Call first in `main`, before any thread exists (arenas already
/// made are kept).
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called before other threads exist.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, ARENAS);
    }
}

/// Returns the allocator's free pages to the system (glibc's `malloc_trim`). Cheap when
/// there is little to return; call it after a load or a burst, not per message.
pub fn release() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim is thread-safe and only releases memory that is free.
    unsafe {
        libc::malloc_trim(0);
    }
}
