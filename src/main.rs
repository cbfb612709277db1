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
/// may compact memory to find them (`defrag` of `madvise`, a common default),
/// a page fault can stall, likely for that: of six runs of `validate` of
/// 10,000 resources, the first took 0.88 s (0.73 s in the kernel) and the
/// others 0.12-0.13 s. With plain pages it takes 0.16-0.18 s, peaks 8 % lower,
/// and an apply spends less CPU zeroing pages it barely uses
/// (docs/performance.md). Child processes (`git` for modules, a
/// `credential_process`) inherit the setting, which changes only their
/// memory's page size.
#[cfg(target_os = "linux")]
fn no_transparent_huge_pages() {
    // The kernel reads each argument as an unsigned long.
    let (off, unused): (libc::c_ulong, libc::c_ulong) = (1, 0);
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and touches none of
    // this process's memory. A kernel without it returns an error, which
    // only leaves huge pages on.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, off, unused, unused, unused);
    }
}

#[cfg(not(target_os = "linux"))]
fn no_transparent_huge_pages() {}
