/// mimalloc instead of the system allocator: evaluation and planning make
/// and drop millions of small values, where glibc's malloc spent about half
/// of a 10,000-resource plan's CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    no_transparent_huge_pages();
    std::process::exit(terrane::cli::main());
}

/// mimalloc asks for transparent huge pages on its memory. Where the kernel
/// compacts memory to find them (`defrag` of `madvise`, a common default),
/// a page fault can stall: `validate` of 10,000 resources took 0.12-0.13 s
/// in five runs and 0.88 s in a sixth, 0.73 s of it in the kernel. With
/// plain pages it takes 0.16-0.18 s, peaks 8 % lower, and an apply spends
/// less CPU zeroing pages it barely uses (docs/performance.md).
#[cfg(target_os = "linux")]
fn no_transparent_huge_pages() {
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and touches none of
    // this process's memory; a kernel without it returns an error, ignored.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(not(target_os = "linux"))]
fn no_transparent_huge_pages() {}
