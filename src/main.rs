//! The `img-mirror` binary: parse arguments, run, map the outcome to an exit code.

mod cli;

mod allocator {
    //! `check` and `extract` build and drop tens of thousands of small strings on two
    //! threads, and mimalloc keeps that off the kernel's page-fault path (a fifth faster);
    //! but mimalloc commits its arenas eagerly, which doubles the peak memory of a long
    //! streaming copy (28 MiB against 12 MiB for a 512 MiB layer). So the allocator is
    //! chosen per command: mimalloc for the offline checks, the system's for the rest.
    //! Each free goes back to whichever allocator owns the pointer, so the choice may
    //! be made at any time, after allocations of the other kind.
    //!
    //! A check lives for a tenth of a second, so mimalloc's return of freed pages to the
    //! kernel is pure cost: each page given back is zeroed again by the kernel when it is
    //! reused, and at exit mimalloc gives back every page one `madvise` at a time (a
    //! tenth of the wall time of a 10,000-entry check). The offline commands turn the
    //! giving back off and leave with `_exit`, once their output is flushed: the kernel
    //! takes the whole address space back at once.

    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicBool, Ordering};

    static USE_MIMALLOC: AtomicBool = AtomicBool::new(false);

    unsafe extern "C" {
        fn mi_is_in_heap_region(p: *const std::ffi::c_void) -> bool;
        fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
        #[cfg(test)]
        fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
        fn _exit(status: std::ffi::c_int) -> !;
    }

    /// `mi_option_purge_delay` in mimalloc 3's `mi_option_e` (libmimalloc-sys 0.1.49
    /// builds mimalloc 3.3; its `extended` bindings do not name this option). -1: never
    /// purge.
    const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

    /// `mi_option_allow_thp` in the same enum. On a kernel whose transparent huge pages
    /// are `madvise`, mimalloc asks for them on every arena it maps, and the kernel then
    /// zeroes 2 MiB for each first touch: a 10,000-entry check grew from 41 to 72 MiB
    /// and spent half its time in `clear_page_erms`.
    const MI_OPTION_ALLOW_THP: std::ffi::c_int = 43;

    /// From now on, new allocations come from mimalloc, which keeps its pages.
    pub fn prefer_mimalloc() {
        // SAFETY: sets two options before mimalloc's first allocation; it reads them on
        // every purge decision and every mapping.
        unsafe {
            mi_option_set(MI_OPTION_PURGE_DELAY, -1);
            mi_option_set(MI_OPTION_ALLOW_THP, 0);
        }
        USE_MIMALLOC.store(true, Ordering::Relaxed);
    }

    /// Ends the process with `status` without running exit handlers (mimalloc's
    /// collection among them). Everything the command writes is flushed before.
    pub fn leave(status: u8) -> ! {
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let _ = std::io::stderr().flush();
        // SAFETY: `_exit` ends the process; no Rust state outlives it.
        unsafe { _exit(status.into()) }
    }

    pub struct PerCommand;

    fn owned_by_mimalloc(ptr: *mut u8) -> bool {
        // SAFETY: a read-only query of mimalloc's own region map; any pointer is fine.
        unsafe { mi_is_in_heap_region(ptr.cast()) }
    }

    // SAFETY: every block is freed and resized by the allocator that made it.
    unsafe impl GlobalAlloc for PerCommand {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            if USE_MIMALLOC.load(Ordering::Relaxed) {
                unsafe { mimalloc::MiMalloc.alloc(layout) }
            } else {
                unsafe { System.alloc(layout) }
            }
        }

        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            if USE_MIMALLOC.load(Ordering::Relaxed) {
                unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
            } else {
                unsafe { System.alloc_zeroed(layout) }
            }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            if owned_by_mimalloc(ptr) {
                unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
            } else {
                unsafe { System.dealloc(ptr, layout) }
            }
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            if owned_by_mimalloc(ptr) {
                unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) }
            } else {
                unsafe { System.realloc(ptr, layout, new_size) }
            }
        }
    }

    #[cfg(test)]
    mod tests {
        /// The index names the option it means: in mimalloc 3.3 the purge delay
        /// defaults to 1000 ms, and no other option does. Fails when an upgrade of
        /// libmimalloc-sys moves the option.
        #[test]
        fn the_purge_delay_option_is_where_mimalloc_has_it() {
            // SAFETY: a read of one option.
            let value = unsafe { super::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
            assert_eq!(value, 1000);
        }

        /// The same for the transparent-huge-pages option, the only one defaulting to 1
        /// among its neighbours (page_commit_on_demand, page_max_reclaim, ...).
        #[test]
        fn the_huge_pages_option_is_where_mimalloc_has_it() {
            // SAFETY: a read of one option.
            let value = unsafe { super::mi_option_get(super::MI_OPTION_ALLOW_THP) };
            assert_eq!(value, 1);
        }
    }
}

#[global_allocator]
static ALLOCATOR: allocator::PerCommand = allocator::PerCommand;

fn main() -> std::process::ExitCode {
    let offline = matches!(
        std::env::args_os()
            .nth(1)
            .as_deref()
            .and_then(|a| a.to_str()),
        Some("check" | "extract")
    );
    // heaptrack and valgrind see only malloc: `IMG_MIRROR_ALLOCATOR=system` keeps the
    // offline commands on it, to profile their memory.
    if offline && std::env::var_os("IMG_MIRROR_ALLOCATOR").is_none_or(|a| a != "system") {
        allocator::prefer_mimalloc();
    }
    let status = cli::main();
    if offline {
        allocator::leave(status);
    }
    std::process::ExitCode::from(status)
}
