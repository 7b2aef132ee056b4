//! Handing memory the process no longer uses back to the operating system.
//!
//! The binary's allocator (mimalloc, see `src/main.rs`) keeps freed pages a
//! while before returning them, in case they are wanted again; it checks
//! whether that while is over only when the thread that freed them
//! allocates again. A password hash takes argon2's 19 MiB on a blocking
//! thread that may then sleep for minutes, so an idle server kept tens of
//! megabytes it had no use for. A background task forces the collection
//! every few seconds: a few hundred microseconds each time, so an idle
//! process stays small (issue 11: idle RSS at most 30 MB).

use std::time::Duration;

/// How often freed memory is handed back.
pub const COLLECT_EVERY: Duration = Duration::from_secs(2);

/// Hands every freed page the allocator holds back to the system now.
/// Harmless where mimalloc is not the global allocator (the tests): it then
/// has nothing to collect.
pub fn collect_now() {
    // SAFETY: `mi_collect` takes no pointers and may be called from any
    // thread at any time; it only walks mimalloc's own structures.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

/// Runs [`collect_now`] every [`COLLECT_EVERY`], on the blocking pool (the
/// walk is short but not free), until the runtime stops.
pub async fn run_collector() {
    let mut ticker = tokio::time::interval(COLLECT_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let _ = tokio::task::spawn_blocking(collect_now).await;
    }
}
