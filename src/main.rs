fn main() {
    std::process::exit(terrane::cli::main());
}
