/// mimalloc instead of the system allocator: evaluation and planning make
/// and drop millions of small values, where glibc's malloc spent about half
/// of a 10,000-resource plan's CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(terrane::cli::main());
}
