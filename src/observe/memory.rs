//! What the daemon holds between bursts of passes, given back. A pass over
//! a bot unzips an export and normalises both copies on the blocking pool's
//! threads: a burst of passes over a thousand bots peaks at tens of MiB that
//! the pass frees when it ends. glibc's allocator keeps freed memory in the
//! arena of the thread that used it (one arena per thread, up to eight per
//! core) and gives back only what lies at the top of a heap, so an idle
//! daemon kept most of its busiest moment resident (issue 14: 94 MiB idle at
//! 1000 bots, of which about 38 MiB live). Two glibc calls fix that; other C
//! libraries (musl) are left alone, as their allocators already return
//! memory as they go.

/// How many arenas glibc may make unless `MALLOC_ARENA_MAX` says otherwise:
/// passes are bounded by `[daemon] concurrency`, so more arenas only spread
/// the same memory over more heaps that each keep their own free space.
const ARENAS: i32 = 2;

/// Caps glibc's arenas at [`ARENAS`] unless the environment already sets
/// `MALLOC_ARENA_MAX`. Called by the command line before the runtime starts
/// its threads (arenas are made as threads first allocate).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn cap_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    // SAFETY: `mallopt` takes glibc's own lock on the main arena and sets a
    // limit consulted when a thread first needs an arena; it touches no
    // memory of ours and may be called at any time.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, ARENAS);
    }
}

/// Elsewhere: nothing to cap.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn cap_arenas() {}

/// Returns the free pages of every arena to the system (blocking: it walks
/// each arena under its lock; a few milliseconds at a thousand bots). Call
/// it when a burst of passes has ended, not after every pass.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn release_free() {
    // SAFETY: `malloc_trim` takes each arena's lock and only releases pages
    // no allocation uses (madvise on free chunks, sbrk at the top); live
    // allocations are untouched.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Elsewhere: the allocator returns memory by itself.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_free() {}
